// Package jsonlog writes and reads container logs in Docker's json-file format: one JSON
// object per line, {"log":"text\n","stream":"stdout","time":"RFC3339Nano"}, rotated by
// size into path.1 … path.N (path.1 newest). It is imported by berth-shim, so it stays
// small.
package jsonlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// maxLine is where a line without '\n' is cut into a partial entry, as Docker does.
const maxLine = 16 << 10

// Entry is one line of a log.
type Entry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// Writer appends entries to a log file, rotating it when it passes MaxSize.
type Writer struct {
	path     string
	maxSize  int64 // 0: never rotate
	maxFiles int   // files kept in all, the current one included

	mu   sync.Mutex
	f    *os.File
	size int64
}

// Open opens path for appending. maxSize 0 disables rotation; maxFiles below 1 means 1.
func Open(path string, maxSize int64, maxFiles int) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Writer{path: path, maxSize: maxSize, maxFiles: max(maxFiles, 1), f: f, size: st.Size()}, nil
}

// Write appends one entry.
func (w *Writer) Write(stream string, log []byte, t time.Time) error {
	b, err := json.Marshal(Entry{Log: string(log), Stream: stream, Time: t.UTC()})
	if err != nil {
		return err
	}
	b = append(b, '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.maxSize > 0 && w.size+int64(len(b)) > w.maxSize && w.size > 0 {
		if err := w.rotateLocked(); err != nil {
			return err
		}
	}
	n, err := w.f.Write(b)
	w.size += int64(n)
	return err
}

func (w *Writer) rotateLocked() error {
	if err := w.f.Close(); err != nil {
		return err
	}
	if w.maxFiles > 1 {
		for i := w.maxFiles - 1; i > 1; i-- {
			_ = os.Rename(w.path+"."+strconv.Itoa(i-1), w.path+"."+strconv.Itoa(i))
		}
		if err := os.Rename(w.path, w.path+".1"); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_TRUNC|os.O_CREATE, 0o640)
	if err != nil {
		return err
	}
	w.f, w.size = f, 0
	return nil
}

// Copy writes everything read from r as entries of stream until EOF: one entry per
// line, and whatever a read ends with that is not a whole line (a shell prompt, a
// progress bar) at once as a partial entry, so followers see it without waiting.
func (w *Writer) Copy(stream string, r io.Reader) error {
	buf := make([]byte, maxLine)
	for {
		n, err := r.Read(buf)
		for p := buf[:n]; len(p) > 0; {
			i := bytes.IndexByte(p, '\n')
			line := p
			if i >= 0 {
				line = p[:i+1]
			}
			if werr := w.Write(stream, line, time.Now()); werr != nil {
				return werr
			}
			p = p[len(line):]
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// Close closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.f.Close()
}

// Files lists the files of the log at path, oldest first, the current one last.
func Files(path string, maxFiles int) []string {
	var out []string
	for i := max(maxFiles, 1) - 1; i >= 1; i-- {
		p := path + "." + strconv.Itoa(i)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return append(out, path)
}

// Decode reads entries from r and calls fn for each, stopping at EOF or fn's error.
// A torn last line (a writer mid-write) is left unread, and its length not counted in
// the returned offset, so a follower can go on from there.
func Decode(r io.Reader, fn func(Entry) error) (consumed int64, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return consumed, nil
		}
		if err != nil {
			return consumed, err
		}
		consumed += int64(len(line))
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return consumed, fmt.Errorf("corrupt log line: %w", err)
		}
		if err := fn(e); err != nil {
			return consumed, err
		}
	}
}
