package compose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzLoad loads arbitrary bytes as compose.yaml, as berth-compose does, in a directory of
// its own, with an empty environment and a validation cache in a temporary directory,
// never the user's. Whatever the input, Load must return, without a panic, either a
// project or an *Error with a message. The seeds are in testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(web))
	cache := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, _, err := Load(context.Background(), Options{WorkingDir: dir, ValidationCache: cache})
			done <- err
		}()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second): // a safety net: inputs load in milliseconds
			t.Fatalf("Load did not return in 10s")
		}
		if err == nil {
			return
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("error %T is no *Error: %v", err, err)
		}
		if ce.Msg == "" || strings.Contains(ce.Msg, "goroutine ") {
			t.Fatalf("error without a message of its own: %q", err)
		}
	})
}
