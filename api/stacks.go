package api

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"berth/api/stackapi"
	"berth/engine"
	"berth/project"
)

func (s *Server) stackRoutes() {
	s.mux.HandleFunc("POST /berth/stacks/up", s.stackUp)
	s.mux.HandleFunc("POST /berth/stacks/down", s.stackDown)
	s.mux.HandleFunc("POST /berth/stacks/op", s.stackOp)
	s.mux.HandleFunc("GET /berth/stacks", s.stackList)
}

func (s *Server) stackUp(w http.ResponseWriter, r *http.Request) {
	var req stackapi.UpRequest
	if err := decodeJSON(w, r, "up", &req); err != nil {
		writeError(w, err)
		return
	}
	if req.DryRun {
		plan, err := s.eng.PlanUp(&req.Stack, engine.UpOptions(req.Options))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, stackapi.StreamLine{Plan: plan.String(), Done: true})
		return
	}
	s.streamStack(w, r, req.Stack.Name, func(ctx context.Context) error {
		return s.eng.Up(ctx, &req.Stack, engine.UpOptions(req.Options))
	})
}

func (s *Server) stackDown(w http.ResponseWriter, r *http.Request) {
	var req stackapi.DownRequest
	if err := decodeJSON(w, r, "down", &req); err != nil {
		writeError(w, err)
		return
	}
	o := engine.DownOptions{RemoveOrphans: req.RemoveOrphans, Volumes: req.Volumes}
	if req.TimeoutSecs != nil {
		d := time.Duration(*req.TimeoutSecs) * time.Second
		o.Timeout = &d
	}
	s.streamStack(w, r, req.Stack.Name, func(ctx context.Context) error {
		return s.eng.Down(ctx, &req.Stack, o)
	})
}

func (s *Server) stackOp(w http.ResponseWriter, r *http.Request) {
	var req stackapi.OpRequest
	if err := decodeJSON(w, r, "stack operation", &req); err != nil {
		writeError(w, err)
		return
	}
	o := engine.OpOptions{Services: req.Services, Signal: req.Signal}
	if req.TimeoutSecs != nil {
		d := time.Duration(*req.TimeoutSecs) * time.Second
		o.Timeout = &d
	}
	op := engine.StackOp(req.Op)
	if req.DryRun {
		plan, err := s.eng.PlanOp(req.Stack, op, o)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, stackapi.StreamLine{Plan: plan.String(), Done: true})
		return
	}
	s.streamStack(w, r, req.Stack, func(ctx context.Context) error {
		return s.eng.RunOp(ctx, req.Stack, op, o)
	})
}

// streamStack runs op and streams the stack's progress events as JSON lines until it
// returns. The operation goes on if the client leaves, as a Compose run would finish its
// step: a half-applied stack is worse than a finished one.
func (s *Server) streamStack(w http.ResponseWriter, r *http.Request, stack string, op func(context.Context) error) {
	events, done := s.eng.Events().Subscribe()
	defer done()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	send := func(l stackapi.StreamLine) {
		_ = enc.Encode(l)
		if fl != nil {
			fl.Flush()
		}
	}
	result := make(chan error, 1)
	start := time.Now()
	go func() { result <- op(s.base) }()
	defer func() { s.log.Debug("stack operation", "stack", stack, "took", time.Since(start)) }()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				events, done = s.eng.Events().Subscribe()
				defer done()
				continue
			}
			if p, ok := progressOf(ev, stack); ok {
				send(stackapi.StreamLine{Progress: &p})
			}
		case err := <-result:
			// Progress published before the result is already in the channel.
			for drained := false; !drained; {
				select {
				case ev, open := <-events:
					if !open {
						drained = true
						break
					}
					if p, ok := progressOf(ev, stack); ok {
						send(stackapi.StreamLine{Progress: &p})
					}
				default:
					drained = true
				}
			}
			line := stackapi.StreamLine{Done: true}
			if err != nil {
				line.Error, line.Status = message(err), statusOf(err)
			}
			send(line)
			return
		}
	}
}

func (s *Server) stackList(w http.ResponseWriter, r *http.Request) {
	stacks, err := s.eng.Stacks()
	if err != nil {
		writeError(w, err)
		return
	}
	out := []stackapi.Summary{}
	for name, cs := range stacks {
		out = append(out, stackapi.Summary{Name: name, Status: engine.StatusSummary(cs),
			ConfigFiles: cs[0].Config.Labels[project.LabelConfigFiles]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, out)
}

// progressOf reads the progress of one stack out of an engine event.
func progressOf(ev engine.Event, stack string) (stackapi.Progress, bool) {
	p, ok := engine.ProgressOf(ev)
	if !ok || p.Stack != stack {
		return stackapi.Progress{}, false
	}
	return stackapi.Progress{Object: p.Object, Name: p.Name, Status: p.Status, Cause: p.Cause}, true
}
