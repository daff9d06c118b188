package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"golang.org/x/term"

	"berth/api/stackapi"
)

// stackCall sends a request to berth's own /berth/ endpoints over the same connection
// the Docker client uses, and hands each line of the streamed answer to onLine.
func stackCall(ctx context.Context, c *client.Client, method, path string, body any, onLine func(stackapi.StreamLine)) error {
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			return err
		}
	}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return c.Dialer()(ctx)
	}}}
	req, err := http.NewRequestWithContext(ctx, method, "http://berth"+path, &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("talk to the daemon: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var e struct{ Message string }
		b, _ := io.ReadAll(resp.Body)
		if json.Unmarshal(b, &e) == nil && e.Message != "" {
			return categorized(resp.StatusCode, e.Message)
		}
		return categorized(resp.StatusCode, fmt.Sprintf("daemon answered %s: %s", resp.Status, strings.TrimSpace(string(b))))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var last stackapi.StreamLine
	for sc.Scan() {
		var l stackapi.StreamLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("read the daemon's answer: %w", err)
		}
		last = l
		if onLine != nil {
			onLine(l)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read the daemon's answer: %w", err)
	}
	if !last.Done {
		return fmt.Errorf("the daemon ended the operation without a result")
	}
	if last.Error != "" {
		return categorized(last.Status, last.Error)
	}
	return nil
}

// categorized is the daemon's error msg in the errdefs category of its HTTP status, so
// that callers test the kind of failure and never its text.
func categorized(status int, msg string) error {
	var cat error
	switch status {
	case http.StatusNotFound:
		cat = errdefs.ErrNotFound
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		cat = errdefs.ErrInvalidArgument
	case http.StatusConflict:
		cat = errdefs.ErrConflict
	case http.StatusForbidden:
		cat = errdefs.ErrPermissionDenied
	case http.StatusUnauthorized:
		cat = errdefs.ErrUnauthenticated
	case http.StatusServiceUnavailable:
		cat = errdefs.ErrUnavailable
	case http.StatusNotImplemented:
		cat = errdefs.ErrNotImplemented
	default:
		return errors.New(msg)
	}
	return &categoryError{msg: msg, cat: cat}
}

// categoryError keeps the daemon's words and adds only the category.
type categoryError struct {
	msg string
	cat error
}

func (e *categoryError) Error() string { return e.msg }
func (e *categoryError) Unwrap() error { return e.cat }

// getJSON reads one of berth's own endpoints into v.
func getJSON(ctx context.Context, c *client.Client, path string, v any) error {
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return c.Dialer()(ctx)
	}}}
	req, err := http.NewRequestWithContext(ctx, "GET", "http://berth"+path, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("talk to the daemon: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("daemon answered %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// stackView shows stack progress as Compose does: on a terminal, one live line per
// object redrawn in place; otherwise one plain line per change.
type stackView struct {
	mu    sync.Mutex
	out   *os.File
	tty   bool
	quiet bool // --progress quiet: show nothing
	title string
	order []string
	state map[string]stackapi.Progress
	drawn int
}

func newStackView(title, mode string) *stackView {
	tty := term.IsTerminal(int(os.Stderr.Fd()))
	switch mode {
	case "plain":
		tty = false
	case "tty":
		tty = true
	}
	return &stackView{out: os.Stderr, tty: tty, quiet: mode == "quiet", title: title, state: map[string]stackapi.Progress{}}
}

func (v *stackView) line(l stackapi.StreamLine) {
	if l.Progress == nil || v.quiet {
		return
	}
	p := *l.Progress
	v.mu.Lock()
	defer v.mu.Unlock()
	key := p.Object + " " + p.Name
	if _, ok := v.state[key]; !ok {
		v.order = append(v.order, key)
	}
	v.state[key] = p
	if !v.tty {
		fmt.Fprintf(v.out, " %s %s  %s%s\n", p.Object, p.Name, p.Status, cause(p))
		return
	}
	v.redraw()
}

func cause(p stackapi.Progress) string {
	if p.Cause == "" {
		return ""
	}
	return " (" + p.Cause + ")"
}

func (v *stackView) redraw() {
	if v.drawn > 0 {
		fmt.Fprintf(v.out, "\x1b[%dA", v.drawn)
	}
	done := 0
	for _, k := range v.order {
		if finished(v.state[k].Status) {
			done++
		}
	}
	fmt.Fprintf(v.out, "\x1b[2K[+] %s %d/%d\n", v.title, done, len(v.order))
	width := 0
	for _, k := range v.order {
		width = max(width, len(k))
	}
	for _, k := range v.order {
		p := v.state[k]
		mark := "⠿"
		if finished(p.Status) {
			mark = "✔"
		}
		fmt.Fprintf(v.out, "\x1b[2K %s %-*s  %s%s\n", mark, width, k, p.Status, cause(p))
	}
	v.drawn = len(v.order) + 1
}

func finished(status string) bool {
	switch status {
	case "Created", "Started", "Running", "Healthy", "Exited", "Removed", "Stopped", "Orphan", "Warning":
		return true
	}
	return false
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
