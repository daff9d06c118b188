package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"

	"github.com/moby/moby/api/types/jsonstream"
	"golang.org/x/term"
)

// displayStream prints a daemon's JSON message stream (load, import) on out and returns
// the error the stream ends with.
func displayStream(r io.Reader, out *os.File) error {
	return displayMessages(decodeMessages(r), out, term.IsTerminal(int(out.Fd())))
}

// decodeMessages yields the messages of a JSON message stream.
func decodeMessages(r io.Reader) iter.Seq2[jsonstream.Message, error] {
	return func(yield func(jsonstream.Message, error) bool) {
		dec := json.NewDecoder(r)
		for {
			var m jsonstream.Message
			err := dec.Decode(&m)
			if errors.Is(err, io.EOF) {
				return
			}
			if !yield(m, err) || err != nil {
				return
			}
		}
	}
}

// progressView renders a message stream. On a terminal each layer (message ID) keeps one
// line that is rewritten in place; otherwise a line is printed when a layer's status
// changes, so logs are not flooded with progress bars.
type progressView struct {
	out  io.Writer
	tty  bool
	ids  []string          // order of the lines on a terminal
	last map[string]string // last status printed per ID
}

func displayMessages(msgs iter.Seq2[jsonstream.Message, error], out io.Writer, tty bool) error {
	v := &progressView{out: out, tty: tty, last: map[string]string{}}
	for m, err := range msgs {
		if err != nil {
			return fmt.Errorf("read the daemon's progress: %w", err)
		}
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
		v.show(m)
	}
	return nil
}

func (v *progressView) show(m jsonstream.Message) {
	if m.Stream != "" {
		fmt.Fprint(v.out, m.Stream)
		return
	}
	if m.Status == "" && m.Progress == nil {
		return
	}
	if m.ID == "" {
		fmt.Fprintln(v.out, m.Status)
		return
	}
	line := m.ID + ": " + m.Status
	if p := renderProgress(m.Progress); p != "" {
		line += " " + p
	}
	if !v.tty {
		if v.last[m.ID] != m.Status {
			v.last[m.ID] = m.Status
			fmt.Fprintln(v.out, m.ID+": "+m.Status)
		}
		return
	}
	idx := -1
	for i, id := range v.ids {
		if id == m.ID {
			idx = i
			break
		}
	}
	if idx < 0 {
		v.ids = append(v.ids, m.ID)
		fmt.Fprintf(v.out, "%s\n", line)
		return
	}
	up := len(v.ids) - idx
	// Move up to the layer's line, rewrite it, and come back down.
	fmt.Fprintf(v.out, "\x1b[%dA\r\x1b[2K%s\r\x1b[%dB", up, line, up)
}

// renderProgress formats a progress detail as "12.3MB/45.6MB".
func renderProgress(p *jsonstream.Progress) string {
	if p == nil || p.HideCounts || p.Current <= 0 {
		return ""
	}
	unit := func(n int64) string {
		if p.Units != "" && p.Units != "bytes" {
			return fmt.Sprintf("%d %s", n, p.Units)
		}
		return humanSize(n)
	}
	if p.Total <= 0 {
		return unit(p.Current)
	}
	return strings.TrimSpace(unit(p.Current) + "/" + unit(p.Total))
}
