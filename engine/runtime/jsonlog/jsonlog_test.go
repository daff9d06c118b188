package jsonlog

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readAll(t *testing.T, path string, files int) []Entry {
	t.Helper()
	var out []Entry
	for _, p := range Files(path, files) {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(f, func(e Entry) error { out = append(out, e); return nil }); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return out
}

func TestCopySplitsLines(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{"lines", "a\nb\n", []string{"a\n", "b\n"}},
		{"no final newline", "a\nb", []string{"a\n", "b"}},
		{"long line is split", strings.Repeat("x", maxLine+10) + "\n", []string{strings.Repeat("x", maxLine), "xxxxxxxxxx\n"}},
		{"unicode and quotes", "é \"q\"\n", []string{"é \"q\"\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c-json.log")
			w, err := Open(path, 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Copy("stdout", strings.NewReader(tt.input)); err != nil {
				t.Fatal(err)
			}
			w.Close()
			got := readAll(t, path, 1)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d entries, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i].Log != tt.want[i] || got[i].Stream != "stdout" || got[i].Time.IsZero() {
					t.Errorf("entry %d = %+v, want log %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestRotationKeepsNewest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := Open(path, 200, 3)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i := range 40 {
		lines = append(lines, strings.Repeat("l", i%7)+"\n")
	}
	if err := w.Copy("stderr", strings.NewReader(strings.Join(lines, ""))); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := os.Stat(path + ".3"); err == nil {
		t.Error("more files kept than max-file")
	}
	got := readAll(t, path, 3)
	if len(got) == 0 || len(got) >= len(lines) {
		t.Fatalf("kept %d of %d entries; rotation should drop the oldest", len(got), len(lines))
	}
	// What is kept is the tail, in order.
	tail := lines[len(lines)-len(got):]
	for i := range got {
		if got[i].Log != tail[i] {
			t.Fatalf("entry %d = %q, want %q", i, got[i].Log, tail[i])
		}
	}
	for _, p := range Files(path, 3) {
		st, _ := os.Stat(p)
		if st.Size() > 200 {
			t.Errorf("%s is %d bytes, over max-size", p, st.Size())
		}
	}
}

func TestDecodeLeavesTornLine(t *testing.T) {
	in := `{"log":"a\n","stream":"stdout","time":"2026-01-01T00:00:00Z"}` + "\n" + `{"log":"b`
	var n int
	off, err := Decode(strings.NewReader(in), func(Entry) error { n++; return nil })
	if err != nil || n != 1 || off != int64(strings.Index(in, "\n")+1) {
		t.Fatalf("n=%d off=%d err=%v", n, off, err)
	}
}

// TestCopyFlushesPartialLine: a prompt without a newline reaches the log while the
// writer is still open, so attach and logs -f show it at once.
func TestCopyFlushesPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := Open(path, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- w.Copy("stdout", pr) }()
	if _, err := pw.Write([]byte("/ # ")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got := readAll(t, path, 1); len(got) == 1 && got[0].Log == "/ # " {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("partial line not written while the stream is open")
		}
		time.Sleep(10 * time.Millisecond)
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
