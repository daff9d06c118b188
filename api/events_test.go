package api

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"berth/engine"
)

func TestEventMatches(t *testing.T) {
	ev := engine.Event{Type: "container", Action: "health_status: healthy", ID: "abc123",
		Attributes: map[string]string{"name": "web", "com.docker.compose.project": "s"}}
	tests := []struct {
		filters string
		match   bool
	}{
		{``, true},
		{`{"type":{"container":true}}`, true},
		{`{"type":{"network":true}}`, false},
		{`{"event":{"health_status":true}}`, true},
		{`{"event":{"die":true}}`, false},
		{`{"container":{"web":true}}`, true},
		{`{"container":{"abc":true}}`, true},
		{`{"label":{"com.docker.compose.project=s":true}}`, true},
		{`{"label":{"com.docker.compose.project=t":true}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.filters, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/events?filters="+url.QueryEscape(tt.filters), nil)
			f, err := parseFilters(r, "type", "event", "container", "label")
			if err != nil {
				t.Fatal(err)
			}
			if got := eventMatches(f, ev); got != tt.match {
				t.Errorf("got %v, want %v", got, tt.match)
			}
		})
	}
}
