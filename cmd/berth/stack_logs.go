package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"golang.org/x/term"

	"berth/project"
)

// stackContainers lists a stack's containers (one-off ones excluded), by service then
// number.
func stackContainers(ctx context.Context, c *client.Client, stack string, all bool) ([]container.Summary, error) {
	res, err := c.ContainerList(ctx, client.ContainerListOptions{All: all,
		Filters: client.Filters{}.Add("label", project.LabelProject+"="+stack)})
	if err != nil {
		return nil, err
	}
	out := res.Items[:0]
	for _, ct := range res.Items {
		if ct.Labels[project.LabelOneoff] != "True" {
			out = append(out, ct)
		}
	}
	sortByReplica(out)
	return out, nil
}

// sortByReplica sorts containers by service, then by number as a number (2 before 10).
func sortByReplica(list []container.Summary) {
	slices.SortStableFunc(list, func(x, y container.Summary) int {
		a, b := x.Labels, y.Labels
		if c := strings.Compare(a[project.LabelService], b[project.LabelService]); c != 0 {
			return c
		}
		m, _ := strconv.Atoi(a[project.LabelContainerNumber])
		n, _ := strconv.Atoi(b[project.LabelContainerNumber])
		return m - n
	})
}

// exitInfo is a container of a followed stack that ended.
type exitInfo struct {
	service, name string
	code          int
}

// logPrinter writes lines prefixed with the container's name, in its own colour, as
// Compose does; one line at a time so lines of different containers never mix.
type logPrinter struct {
	mu       sync.Mutex
	out      io.Writer
	width    int
	color    bool
	noPrefix bool
}

var prefixColors = []string{"36", "33", "32", "35", "34", "96", "93", "92", "95", "94"}

func newLogPrinter(names []string, noColor, noPrefix bool) *logPrinter {
	w := 0
	for _, n := range names {
		w = max(w, len(n))
	}
	return &logPrinter{out: os.Stdout, width: w, color: !noColor && term.IsTerminal(int(os.Stdout.Fd())), noPrefix: noPrefix}
}

func (p *logPrinter) writer(name string, index int) io.WriteCloser {
	pr, pw := io.Pipe()
	prefix := fmt.Sprintf("%-*s | ", p.width, name)
	if p.color {
		prefix = "\x1b[" + prefixColors[index%len(prefixColors)] + "m" + prefix + "\x1b[0m"
	}
	if p.noPrefix {
		prefix = ""
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			fmt.Fprintln(p.out, prefix+sc.Text())
			p.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	return &lineWriter{PipeWriter: pw, done: done}
}

// lineWriter's Close returns once its last line is printed, so that logs does not exit
// before it.
type lineWriter struct {
	*io.PipeWriter
	done chan struct{}
}

func (w *lineWriter) Close() error {
	err := w.PipeWriter.Close()
	<-w.done
	return err
}

type stackLogOptions struct {
	follow, timestamps bool
	tail, since        string
	noColor, noPrefix  bool
}

// followStack prints the logs of the stack's containers of the given services (all
// when nil). With follow it goes on until ctx ends, reporting each exit on exits (may be
// nil).
func followStack(ctx context.Context, c *client.Client, stack string, services map[string]bool, follow bool, exits chan<- exitInfo) error {
	return printStackLogs(ctx, c, stack, services, stackLogOptions{follow: follow, tail: "all"}, exits)
}

func printStackLogs(ctx context.Context, c *client.Client, stack string, services map[string]bool, o stackLogOptions, exits chan<- exitInfo) error {
	list, err := stackContainers(ctx, c, stack, true)
	if err != nil {
		return err
	}
	var names []string
	var chosen []container.Summary
	for _, ct := range list {
		if services != nil && !services[ct.Labels[project.LabelService]] {
			continue
		}
		chosen = append(chosen, ct)
		names = append(names, strings.TrimPrefix(ct.Names[0], "/"))
	}
	printer := newLogPrinter(names, o.noColor, o.noPrefix)
	var wg sync.WaitGroup
	for i, ct := range chosen {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := names[i]
			rc, err := c.ContainerLogs(ctx, ct.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true,
				Follow: o.follow, Tail: o.tail, Since: o.since, Timestamps: o.timestamps})
			if err != nil {
				return
			}
			defer rc.Close()
			w := printer.writer(name, i)
			info, ierr := c.ContainerInspect(ctx, ct.ID, client.ContainerInspectOptions{})
			if ierr == nil && info.Container.Config != nil && info.Container.Config.Tty {
				_, _ = io.Copy(w, rc)
			} else {
				_, _ = stdcopy.StdCopy(w, w, rc)
			}
			w.Close()
			if o.follow && exits != nil && ctx.Err() == nil {
				res := c.ContainerWait(ctx, ct.ID, client.ContainerWaitOptions{})
				select {
				case r := <-res.Result:
					printer.mu.Lock()
					fmt.Fprintf(os.Stdout, "%s exited with code %d\n", name, r.StatusCode)
					printer.mu.Unlock()
					exits <- exitInfo{service: ct.Labels[project.LabelService], name: name, code: int(r.StatusCode)}
				case <-res.Error:
				case <-ctx.Done():
				}
			}
		}()
	}
	wg.Wait()
	return nil
}
