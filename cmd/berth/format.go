package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/docker/go-units"
)

// newTable returns a writer that aligns tab-separated columns as docker does.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
}

// printer writes rows in the format the user asked for with --format: "" or "table" for
// the default table, "json" for one JSON object per line, otherwise a Go template.
type printer struct {
	format string
	tmpl   *template.Template
}

func newPrinter(format string) (*printer, error) {
	p := &printer{format: format}
	switch format {
	case "", "table", "json":
		return p, nil
	}
	text := strings.TrimPrefix(format, "table ")
	t, err := template.New("format").Funcs(templateFuncs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("invalid --format %q: %w", format, err)
	}
	p.tmpl = t
	return p, nil
}

// isTable reports whether the default table was asked for.
func (p *printer) isTable() bool { return p.format == "" || p.format == "table" }

// row writes one row in JSON or template form.
func (p *printer) row(w io.Writer, v any) error {
	if p.format == "json" {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	var buf bytes.Buffer
	if err := p.tmpl.Execute(&buf, v); err != nil {
		return fmt.Errorf("format: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"join":  strings.Join,
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"split": strings.Split,
	"truncate": func(s string, n int) string {
		if utf8.RuneCountInString(s) <= n {
			return s
		}
		return string([]rune(s)[:n])
	},
}

// shortID returns the 12-character form of a container or image ID.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// ellipsis shortens s to at most n runes, ending in "…" when cut.
func ellipsis(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return string(r[:n])
	}
	return string(r[:n-1]) + "…"
}

// since formats how long ago t was, as docker does: "5 seconds ago".
func since(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return units.HumanDuration(now.Sub(t)) + " ago"
}

// humanSize formats a byte count as docker does: "7.8MB".
func humanSize(n int64) string {
	return units.HumanSizeWithPrecision(float64(n), 3)
}

// writeJSONArray prints raw JSON documents as one indented array, as docker inspect does.
func writeJSONArray(w io.Writer, raws []json.RawMessage) error {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, r := range raws {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(bytes.TrimSpace(r))
	}
	buf.WriteByte(']')
	var out bytes.Buffer
	if len(raws) == 0 {
		out.WriteString("[]")
	} else if err := json.Indent(&out, buf.Bytes(), "", "    "); err != nil {
		return fmt.Errorf("format the daemon's JSON: %w", err)
	}
	out.WriteByte('\n')
	_, err := w.Write(out.Bytes())
	return err
}

// writeInspect prints raw JSON documents as an array, or each through a template.
func writeInspect(w io.Writer, format string, raws []json.RawMessage) error {
	if format == "" || format == "json" && len(raws) == 0 {
		return writeJSONArray(w, raws)
	}
	p, err := newPrinter(format)
	if err != nil {
		return err
	}
	for _, r := range raws {
		if format == "json" {
			if _, err := fmt.Fprintf(w, "%s\n", bytes.TrimSpace(r)); err != nil {
				return err
			}
			continue
		}
		var v any
		if err := json.Unmarshal(r, &v); err != nil {
			return fmt.Errorf("decode the daemon's JSON: %w", err)
		}
		if err := p.row(w, v); err != nil {
			return err
		}
	}
	return nil
}

// inspectEach fetches the raw JSON of each named object, prints what it got as docker
// inspect does (an array, or a template per object), and returns the first error
// after printing, so one missing name does not hide the others.
func inspectEach(ctx context.Context, names []string, format string, get func(ctx context.Context, name string) (json.RawMessage, error)) error {
	var raws []json.RawMessage
	err := forEach(ctx, names, false, func(ctx context.Context, name string) error {
		raw, err := get(ctx, name)
		if err != nil {
			return err
		}
		raws = append(raws, raw)
		return nil
	})
	if werr := writeInspect(os.Stdout, format, raws); werr != nil {
		return werr
	}
	return err
}
