package engine

import (
	"bytes"
	"context"
	"sync"
	"syscall"
	"time"

	"github.com/moby/moby/api/types/container"

	"berth/engine/runtime"
	"berth/store"
)

// Docker's healthcheck defaults.
const (
	defaultHealthInterval      = 30 * time.Second
	defaultHealthTimeout       = 30 * time.Second
	defaultHealthRetries       = 3
	defaultHealthStartInterval = 5 * time.Second
	maxHealthOutput            = 4096
	healthLogEntries           = 5
)

// healthState is one running container's health, updated by its checker.
type healthState struct {
	mu     sync.Mutex
	health container.Health
	cancel context.CancelFunc
	done   chan struct{}
}

// health returns a container's health status; NoHealthcheck when it has none.
func (e *Engine) health(id string) container.HealthStatus {
	e.mu.Lock()
	h := e.healths[id]
	e.mu.Unlock()
	if h == nil {
		return container.NoHealthcheck
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.health.Status
}

// Health returns a copy of a container's health for inspect, nil when it has none.
func (e *Engine) Health(id string) *container.Health {
	e.mu.Lock()
	h := e.healths[id]
	e.mu.Unlock()
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	cp := h.health
	cp.Log = append([]*container.HealthcheckResult(nil), h.health.Log...)
	return &cp
}

func healthEnabled(hc *container.HealthConfig) bool {
	return hc != nil && len(hc.Test) > 0 && hc.Test[0] != "NONE"
}

// startHealth starts the checker of a running container that has a healthcheck.
func (e *Engine) startHealth(c *store.Container) {
	hc := c.Config.Healthcheck
	if !healthEnabled(hc) {
		return
	}
	ctx, cancel := context.WithCancel(e.ctx)
	h := &healthState{health: container.Health{Status: container.Starting}, cancel: cancel, done: make(chan struct{})}
	e.mu.Lock()
	if old := e.healths[c.ID]; old != nil {
		old.cancel()
	}
	e.healths[c.ID] = h
	e.mu.Unlock()
	e.running.Add(1)
	go func() {
		defer e.running.Done()
		defer close(h.done)
		e.checkHealth(ctx, c, h)
	}()
}

// stopHealth stops a container's checker and forgets its health.
func (e *Engine) stopHealth(id string) {
	e.mu.Lock()
	h := e.healths[id]
	delete(e.healths, id)
	e.mu.Unlock()
	if h != nil {
		h.cancel()
		<-h.done
	}
}

// checkHealth probes right after start, then every start_interval during the start
// period and every interval after it. Failures during the start period, or before the
// first interval has passed, do not count toward retries.
func (e *Engine) checkHealth(ctx context.Context, c *store.Container, h *healthState) {
	hc := c.Config.Healthcheck
	interval := orDefault(hc.Interval, defaultHealthInterval)
	timeout := orDefault(hc.Timeout, defaultHealthTimeout)
	startInterval := orDefault(hc.StartInterval, defaultHealthStartInterval)
	retries := hc.Retries
	if retries <= 0 {
		retries = defaultHealthRetries
	}
	started := time.Now()
	for {
		res := e.probe(ctx, c, hc.Test, timeout)
		if ctx.Err() != nil {
			return
		}
		grace := time.Since(started) < max(hc.StartPeriod, interval)
		h.mu.Lock()
		prev := h.health.Status
		h.health.Log = append(h.health.Log, res)
		if len(h.health.Log) > healthLogEntries {
			h.health.Log = h.health.Log[1:]
		}
		if res.ExitCode == 0 {
			h.health.Status, h.health.FailingStreak = container.Healthy, 0
		} else if !(grace && prev == container.Starting) {
			h.health.FailingStreak++
			if h.health.FailingStreak >= retries {
				h.health.Status = container.Unhealthy
			}
		}
		now := h.health.Status
		h.mu.Unlock()
		if now != prev {
			if cur, err := e.containers.Get(c.ID); err == nil {
				e.publish(cur, "health_status: "+string(now))
			}
			e.log.Info("health changed", "container", c.ID[:12], "name", c.Name, "health", now)
		}
		wait := interval
		if now == container.Starting && time.Since(started) < hc.StartPeriod {
			wait = startInterval
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (e *Engine) probe(ctx context.Context, c *store.Container, test []string, timeout time.Duration) *container.HealthcheckResult {
	res := &container.HealthcheckResult{Start: time.Now()}
	var args []string
	switch test[0] {
	case "CMD":
		args = test[1:]
	case "CMD-SHELL":
		args = []string{"/bin/sh", "-c", joinArgs(test[1:])}
	default:
		args = test
	}
	var out limitedBuffer
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	x, err := e.rt.Exec(pctx, c.ID, runtime.ExecConfig{Args: args}, nil, &out, &out)
	if err != nil {
		res.ExitCode, res.Output, res.End = -1, err.Error(), time.Now()
		return res
	}
	// On timeout: TERM, which berth-runtime forwards to the probe, then KILL of the
	// runtime a second later for a probe that ignores it (the exec's WaitDelay then
	// stops waiting for its output).
	var mu sync.Mutex
	var killer *time.Timer
	stop := context.AfterFunc(pctx, func() {
		_ = x.Signal(syscall.SIGTERM)
		mu.Lock()
		killer = time.AfterFunc(time.Second, func() { _ = x.Signal(syscall.SIGKILL) })
		mu.Unlock()
	})
	code, err := x.Wait()
	stop()
	mu.Lock()
	if killer != nil {
		killer.Stop() // a late KILL would only find the process gone
	}
	mu.Unlock()
	res.End = time.Now()
	switch {
	case pctx.Err() == context.DeadlineExceeded:
		res.ExitCode, res.Output = -1, "Health check exceeded timeout ("+timeout.String()+")"
	case err != nil:
		res.ExitCode, res.Output = -1, err.Error()
	default:
		res.ExitCode, res.Output = code, out.String()
	}
	return res
}

func joinArgs(a []string) string {
	var b bytes.Buffer
	for i, s := range a {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// limitedBuffer keeps the first maxHealthOutput bytes written to it.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := maxHealthOutput - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
