package runtime

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"berth/engine/runtime/shimproto"
)

// fakeShim stands in for berth-runtime: as a spare it records its assignment and
// reports a pid; started for one container it reports another pid.
const fakeShim = `#!/bin/sh
if [ "$2" = -standby ]; then
	a=$(cat <&4)
	[ -n "$a" ] || exit 0 # let go
	echo "$a" >"$(dirname "$0")/assigned.$$"
	echo '{"pid":1001}' >&3
	exit 0
fi
echo '{"pid":1002}' >&3
`

func TestSpareShim(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "berth-runtime")
	if err := os.WriteFile(bin, []byte(fakeShim), 0o755); err != nil {
		t.Fatal(err)
	}
	r := New(filepath.Join(dir, "run"), bin)
	cfg := Config{ID: "c1", Rootfs: dir, Args: []string{"true"}}
	start := func(id string) int {
		t.Helper()
		c := cfg
		c.ID = id
		pid, err := r.Start(context.Background(), c, StartOptions{Log: LogOptions{Path: filepath.Join(dir, id+".log")}})
		if err != nil {
			t.Fatal(err)
		}
		return pid
	}
	// Without KeepSpare every start starts its own shim.
	if pid := start("c1"); pid != 1002 {
		t.Fatalf("pid = %d, want 1002 (a shim of its own)", pid)
	}
	r.KeepSpare()
	if pid := start("c2"); pid != 1002 {
		t.Fatalf("first start after KeepSpare: pid = %d, want 1002", pid)
	}
	waitSpare(t, r, true)
	if pid := start("c3"); pid != 1001 {
		t.Fatalf("pid = %d, want 1001 (the spare)", pid)
	}
	assigned, _ := filepath.Glob(filepath.Join(dir, "assigned.*"))
	var a shimproto.Assign
	for _, f := range assigned {
		if b, _ := os.ReadFile(f); len(b) > 0 {
			if err := json.Unmarshal(b, &a); err != nil {
				t.Fatal(err)
			}
		}
	}
	if a.ID != "c3" || a.Bundle != r.Bundle("c3") || a.Log != filepath.Join(dir, "c3.log") {
		t.Errorf("assignment = %+v", a)
	}
	waitSpare(t, r, true) // the next one is on its way
	r.Close()
	waitSpare(t, r, false)
}

func TestSpareShimGoesWhenIdle(t *testing.T) {
	defer func(d time.Duration) { spareIdle = d }(spareIdle)
	spareIdle = 100 * time.Millisecond
	dir := t.TempDir()
	bin := filepath.Join(dir, "berth-runtime")
	if err := os.WriteFile(bin, []byte(fakeShim), 0o755); err != nil {
		t.Fatal(err)
	}
	r := New(filepath.Join(dir, "run"), bin)
	defer r.Close()
	r.KeepSpare()
	c := Config{ID: "c1", Rootfs: dir, Args: []string{"true"}}
	if _, err := r.Start(context.Background(), c, StartOptions{Log: LogOptions{Path: filepath.Join(dir, "c1.log")}}); err != nil {
		t.Fatal(err)
	}
	waitSpare(t, r, true)
	waitSpare(t, r, false)
}

func waitSpare(t *testing.T, r *Runtime, want bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		have := r.spare != nil
		r.mu.Unlock()
		if have == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("spare present = %v, want %v", have, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
