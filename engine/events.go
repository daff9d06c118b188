package engine

import (
	"sync"
	"time"
)

// Event is something that happened to an object the daemon manages. Type and Action
// follow Docker's events ("container" "create", "start", "die", "destroy", ...).
type Event struct {
	Type       string
	Action     string
	ID         string
	Attributes map[string]string
	Time       time.Time
}

// Events is the daemon's one event stream. Events are published after the change they
// report is recorded, in the order they were recorded, and every subscriber sees them in
// that order. A subscriber that falls 256 events behind is dropped: its channel is
// closed, and it must re-read state and subscribe again.
type Events struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
}

func newEvents() *Events { return &Events{subs: map[chan Event]struct{}{}} }

// Subscribe returns a channel of every event from now on, and a function that ends the
// subscription.
func (e *Events) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, 256)
	e.mu.Lock()
	e.subs[ch] = struct{}{}
	e.mu.Unlock()
	return ch, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if _, ok := e.subs[ch]; ok {
			delete(e.subs, ch)
			close(ch)
		}
	}
}

// Publish sends ev to every subscriber.
func (e *Events) Publish(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for ch := range e.subs {
		select {
		case ch <- ev:
		default:
			delete(e.subs, ch)
			close(ch)
		}
	}
}
