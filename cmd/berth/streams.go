package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"golang.org/x/term"
)

// stdinIsTerminal reports whether berth's standard input is a terminal.
func stdinIsTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

// terminalSize returns the height and width of the terminal on stdout, or stdin.
func terminalSize() (height, width uint, ok bool) {
	for _, f := range []*os.File{os.Stdout, os.Stdin} {
		if w, h, err := term.GetSize(int(f.Fd())); err == nil && w > 0 && h > 0 {
			return uint(h), uint(w), true
		}
	}
	return 0, 0, false
}

// rawTerminal puts the terminal on stdin into raw mode, so keys reach the container
// unchanged, and returns the function that restores it.
func rawTerminal() (restore func(), err error) {
	fd := int(os.Stdin.Fd())
	state, err := term.MakeRaw(fd)
	if err != nil {
		return nil, fmt.Errorf("put the terminal into raw mode: %w", err)
	}
	return func() { _ = term.Restore(fd, state) }, nil
}

// pumpStreams copies stdin to the hijacked connection and its output to stdout and
// stderr (demultiplexed unless tty) until the output ends or ctx ends.
//
// The stdin copy is not waited for: a read from a terminal cannot be interrupted, and the
// process exits soon after the output ends, as docker's does.
func pumpStreams(ctx context.Context, resp *client.HijackedResponse, stdin, tty bool) error {
	stop := context.AfterFunc(ctx, resp.Close)
	defer stop()
	if stdin {
		go func() {
			_, _ = io.Copy(resp.Conn, os.Stdin)
			_ = resp.CloseWrite()
		}()
	}
	var err error
	if tty {
		_, err = io.Copy(os.Stdout, resp.Reader)
	} else {
		_, err = stdcopy.StdCopy(os.Stdout, os.Stderr, resp.Reader)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// A reset is the daemon closing the stream while stdin still had bytes in flight,
	// as when the process ends at once: the output has ended all the same.
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		return fmt.Errorf("copy the container's output: %w", err)
	}
	return nil
}

// watchResize calls resize with the terminal size now and on every SIGWINCH until the
// returned stop function is called; stop waits for the watcher to end.
func watchResize(ctx context.Context, resize func(ctx context.Context, height, width uint) error) (stop func()) {
	if h, w, ok := terminalSize(); ok {
		_ = resize(ctx, h, w)
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				if h, w, ok := terminalSize(); ok {
					_ = resize(ctx, h, w)
				}
			}
		}
	})
	return func() {
		signal.Stop(ch)
		cancel()
		wg.Wait()
	}
}

// proxySignals forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to the
// container, as docker run does without a TTY, until stop is called.
func proxySignals(ctx context.Context, c *client.Client, id string) (stop func()) {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-ch:
				sig, ok := s.(syscall.Signal)
				if !ok {
					continue
				}
				if _, err := c.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: fmt.Sprint(int(sig))}); err != nil && ctx.Err() == nil {
					fmt.Fprintf(os.Stderr, "berth: forward signal %v: %v\n", s, err)
				}
			}
		}
	})
	return func() {
		signal.Stop(ch)
		cancel()
		wg.Wait()
	}
}

// waitCondition is the condition docker waits on for a container it is about to start.
func waitCondition(autoRemove bool) container.WaitCondition {
	if autoRemove {
		return container.WaitConditionRemoved
	}
	return container.WaitConditionNextExit
}

// exitStatus turns a wait result into the container's exit code.
func exitStatus(ctx context.Context, w client.ContainerWaitResult) (int, error) {
	select {
	case res := <-w.Result:
		if res.Error != nil && res.Error.Message != "" {
			return 125, errors.New(res.Error.Message)
		}
		return int(res.StatusCode), nil
	case err := <-w.Error:
		return 125, fmt.Errorf("wait for the container: %w", err)
	case <-ctx.Done():
		return 125, ctx.Err()
	}
}

// attachAndStart attaches to container id, registers a wait, starts it with start, copies
// its streams and returns its exit code. It is the heart of "run" and "start -a".
func attachAndStart(ctx context.Context, c *client.Client, id string, stdin, tty, autoRemove bool, start func(ctx context.Context) error) (int, error) {
	if stdin && tty && !stdinIsTerminal() {
		return 125, errors.New("the input device is not a TTY; drop -t, or run berth from a terminal")
	}
	// The attach and the wait are both in place before the start; they are independent
	// requests, so they go in parallel.
	var wait client.ContainerWaitResult
	waiting := make(chan struct{})
	go func() {
		defer close(waiting)
		wait = c.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: waitCondition(autoRemove)})
	}()
	att, err := c.ContainerAttach(ctx, id, client.ContainerAttachOptions{
		Stream: true, Stdin: stdin, Stdout: true, Stderr: true,
	})
	<-waiting
	if err != nil {
		return 125, fmt.Errorf("attach to container %s: %w", shortID(id), err)
	}
	resp := att.HijackedResponse
	defer resp.Close()

	if stdin && tty {
		restore, err := rawTerminal()
		if err != nil {
			return 125, err
		}
		defer restore()
	}
	if err := start(ctx); err != nil {
		return startFailureCode(err), err
	}
	if tty {
		stop := watchResize(ctx, func(ctx context.Context, h, w uint) error {
			_, err := c.ContainerResize(ctx, id, client.ContainerResizeOptions{Height: h, Width: w})
			return err
		})
		defer stop()
	} else {
		stop := proxySignals(ctx, c, id)
		defer stop()
	}
	if err := pumpStreams(ctx, &resp, stdin, tty); err != nil {
		return 125, err
	}
	return exitStatus(ctx, wait)
}

// startFailureCode is the exit code docker run gives when the container's process could
// not be started: 127 for a missing command, 126 for one that cannot be executed.
func startFailureCode(err error) int {
	m := err.Error()
	switch {
	case strings.Contains(m, "executable file not found"), strings.Contains(m, "no such file or directory"):
		return 127
	case strings.Contains(m, "permission denied"):
		return 126
	}
	return 125
}
