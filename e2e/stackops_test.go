package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

const orderedStack = `services:
  db:
    image: ` + testImage + `
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
  api:
    image: ` + testImage + `
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    depends_on: [db]
  web:
    image: ` + testImage + `
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    depends_on: [api]
`

// before fails unless line a comes before line b in out.
func before(t *testing.T, out, a, b string) {
	t.Helper()
	i, j := strings.Index(out, a), strings.Index(out, b)
	if i < 0 || j < 0 || i > j {
		t.Errorf("want %q before %q in:\n%s", a, b, out)
	}
}

// The daemon plans start, stop, restart, kill, pause and unpause of a stack from its
// containers' labels and walks them in dependency order.
func TestStackOpsFollowDependencies(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("ord", orderedStack)
	s.must("up", "-d")

	plan := s.must("stop", "--dry-run").stdout
	if want := "ord-web-1: stop (running)\nord-api-1: stop (running) after web\nord-db-1: stop (running) after api\n"; plan != want {
		t.Errorf("stop --dry-run:\n%s\nwant:\n%s", plan, want)
	}
	for _, p := range s.ps() {
		if p.State != "running" {
			t.Errorf("stop --dry-run changed %s to %s", p.Name, p.State)
		}
	}
	out := s.must("stop").stderr
	before(t, out, "ord-web-1  Stopped", "ord-api-1  Stopping")
	before(t, out, "ord-api-1  Stopped", "ord-db-1  Stopping")

	out = s.must("start").stderr
	before(t, out, "ord-db-1  Started", "ord-api-1  Starting")
	before(t, out, "ord-api-1  Started", "ord-web-1  Starting")

	out = s.must("pause").stderr
	before(t, out, "ord-web-1  Paused", "ord-db-1  Pausing")
	out = s.must("unpause").stderr
	before(t, out, "ord-db-1  Unpaused", "ord-web-1  Unpausing")

	out = s.must("restart", "-t", "1").stderr
	before(t, out, "ord-db-1  Started", "ord-web-1  Restarting")

	out = s.must("kill", "api").stderr
	if !strings.Contains(out, "ord-api-1  Killed") || strings.Contains(out, "ord-db-1") {
		t.Errorf("kill api:\n%s", out)
	}
	if r := s.run("start", "--dry-run"); r.code != 0 || !strings.Contains(r.stdout, "ord-api-1: start") {
		t.Errorf("start --dry-run after kill:\n%s", r)
	}
}

// Two ups of one project at once converge to one set of containers: the daemon
// serialises the changes to a stack.
func TestStackConcurrentUpsConverge(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("twice", orderedStack)
	var wg sync.WaitGroup
	results := make([]res, 3)
	for i := range results {
		wg.Go(func() { results[i] = s.run("up", "-d") })
	}
	wg.Wait()
	for _, r := range results {
		if r.code != 0 {
			t.Errorf("concurrent up:\n%s", r)
		}
	}
	names := psNames(s.ps("-a"))
	if want := []string{"twice-api-1", "twice-db-1", "twice-web-1"}; strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("containers after concurrent ups: %v, want %v", names, want)
	}
	if out := e.must("container", "ls", "-a", "-q"); len(lines(out)) != 3 {
		t.Errorf("%d containers, want 3:\n%s", len(lines(out)), out)
	}
}

// eventsOf follows GET /events for objects of type typ and returns each event as
// "ACTION NAME-ATTRIBUTE [CONTAINER-ATTRIBUTE]".
func (e *env) eventsOf(ctx context.Context, typ string) <-chan string {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", `http://berth/events?filters={"type":["`+typ+`"]}`, nil)
	res, err := e.apiClient().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	got := make(chan string, 64)
	go func() {
		defer res.Body.Close()
		dec := json.NewDecoder(res.Body)
		for {
			var ev struct {
				Type, Action string
				Actor        struct {
					ID         string
					Attributes map[string]string
				}
			}
			if dec.Decode(&ev) != nil {
				close(got)
				return
			}
			got <- strings.TrimSpace(ev.Action + " " + ev.Actor.Attributes["name"] + " " + ev.Actor.Attributes["container"])
		}
	}()
	return got
}

// expectEvents fails unless got yields want, in order.
func expectEvents(t *testing.T, ctx context.Context, got <-chan string, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case g, ok := <-got:
			if !ok || g != w {
				t.Fatalf("event %q, want %q", g, w)
			}
		case <-ctx.Done():
			t.Fatalf("no event %q", w)
		}
	}
}

// Network, volume and image changes go through the engine and publish Docker's events.
func TestObjectEvents(t *testing.T) {
	e := newEnv(t)
	id := e.runDetached("--name", "evc", testImage, "sleep", "1000")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	nets := e.eventsOf(ctx, "network")
	e.must("network", "create", "evnet")
	e.must("network", "connect", "evnet", "evc")
	e.must("network", "disconnect", "evnet", "evc")
	e.must("network", "rm", "evnet")
	expectEvents(t, ctx, nets, "create evnet", "connect evnet "+id, "disconnect evnet "+id, "destroy evnet")

	vols := e.eventsOf(ctx, "volume")
	e.must("volume", "create", "evvol")
	e.must("volume", "rm", "evvol")
	expectEvents(t, ctx, vols, "create", "destroy")

	imgs := e.eventsOf(ctx, "image")
	e.must("image", "tag", testImage, "evimg:1")
	e.must("image", "rm", "evimg:1")
	expectEvents(t, ctx, imgs, "tag evimg:1", "untag evimg:1")

	// A network in use stays, with the reason.
	e.must("network", "create", "busy")
	e.must("network", "connect", "busy", "evc")
	if r := e.run("network", "rm", "busy"); r.code == 0 || !strings.Contains(r.stderr, "is used by container(s) evc") {
		t.Errorf("rm of a network in use:\n%s", r)
	}
}
