package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/moby/moby/api/types/events"

	"berth/engine"
)

// eventsStream serves GET /events: the daemon's event stream from now on, as Docker's
// JSON messages, filtered by type, event (action), container, label. It ends when the
// client leaves or at ?until=. berth keeps no history, so ?since= in the past shows only
// what happens from now on.
func (s *Server) eventsStream(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilters(r, "type", "event", "container", "label", "network", "volume", "image")
	if err != nil {
		writeError(w, err)
		return
	}
	var until <-chan time.Time
	if v := r.URL.Query().Get("until"); v != "" {
		t, err := parseUnixTime(v)
		if err == nil {
			timer := time.NewTimer(time.Until(t))
			defer timer.Stop()
			until = timer.C
		}
	}
	ch, done := s.eng.Events().Subscribe()
	defer done()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	if fl != nil {
		fl.Flush()
	}
	enc := json.NewEncoder(w)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return // dropped as a slow reader
			}
			if ev.Type == "stack" || !eventMatches(f, ev) {
				continue
			}
			m := events.Message{Type: events.Type(ev.Type), Action: events.Action(ev.Action), Scope: "local",
				Actor: events.Actor{ID: ev.ID, Attributes: ev.Attributes},
				Time:  ev.Time.Unix(), TimeNano: ev.Time.UnixNano()}
			if err := enc.Encode(m); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		case <-until:
			return
		case <-r.Context().Done():
			return
		}
	}
}

func eventMatches(f filters, ev engine.Event) bool {
	for _, l := range f["label"] {
		if !labelMatch(ev.Attributes)(l) {
			return false
		}
	}
	// network and volume filters select events of those objects, by ID or name.
	for _, typ := range []string{"network", "volume"} {
		if _, ok := f[typ]; ok && ev.Type != typ {
			return false
		}
	}
	return f.any("type", func(v string) bool { return v == ev.Type }) &&
		f.any("network", func(v string) bool { return strings.HasPrefix(ev.ID, v) || ev.Attributes["name"] == v }) &&
		f.any("volume", func(v string) bool { return ev.ID == v }) &&
		f.any("image", func(v string) bool { return ev.Attributes["image"] == v || ev.ID == v }) &&
		f.any("event", func(v string) bool { return v == ev.Action || strings.HasPrefix(ev.Action, v+":") }) &&
		f.any("container", func(v string) bool {
			return ev.Type == "container" && (strings.HasPrefix(ev.ID, v) || ev.Attributes["name"] == v)
		})
}
