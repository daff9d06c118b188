package engine

import "testing"

func TestEventsOrderAndSlowSubscriber(t *testing.T) {
	e := newEvents()
	fast, stopFast := e.Subscribe()
	defer stopFast()
	slow, stopSlow := e.Subscribe()
	defer stopSlow()
	for i := range 300 {
		e.Publish(Event{Type: "container", Action: "start", ID: string(rune('a' + i%26))})
		if i < 299 {
			<-fast
		}
	}
	if ev := <-fast; ev.ID != string(rune('a'+299%26)) {
		t.Errorf("fast subscriber got %q last", ev.ID)
	}
	n := 0
	for range slow {
		n++
	}
	if n != 256 {
		t.Errorf("slow subscriber got %d events before being dropped, want 256", n)
	}
	stopSlow() // a second stop after the drop is harmless
}
