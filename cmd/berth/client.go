package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/moby/moby/client"

	"berth/internal/version"
	"berth/statedir"
)

// connect returns a client for the daemon of g. When the user named no daemon (no -H, no
// BERTH_HOST) and nothing answers on the root's socket, it starts one and waits for it to
// say it is ready.
func (g *globalOptions) connect(ctx context.Context) (*client.Client, error) {
	dirs := statedir.Resolve(g.root)
	explicit := g.host != "" || os.Getenv("BERTH_HOST") != ""
	host := dirs.Host(g.host)
	if !explicit {
		// The root's own daemon speaks this build's API (or a newer build's, which
		// accepts older versions): no ping to negotiate, which costs a round trip on
		// every command. A connection the socket accepts says the daemon is up.
		c, err := client.New(client.WithHost(host), client.WithVersion(version.APIVersion))
		if err != nil {
			return nil, fmt.Errorf("daemon address %q: %w", host, err)
		}
		conn, err := net.Dial("unix", dirs.Socket)
		if err == nil {
			conn.Close()
			return c, nil
		}
		c.Close()
		if !notListening(err) {
			return nil, fmt.Errorf("connect to the daemon at %s: %w", host, err)
		}
	}
	c, err := client.New(client.WithHost(host), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("daemon address %q: %w", host, err)
	}
	_, err = c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	if err == nil {
		return c, nil
	}
	if explicit || !notListening(err) {
		c.Close()
		return nil, fmt.Errorf("connect to the daemon at %s: %w", host, err)
	}
	startErr := startDaemon(ctx, dirs)
	// Ping even when the start failed: another berth may have started the daemon first, in
	// which case ours exits saying the socket is taken and the other one answers.
	if _, err := c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		c.Close()
		if startErr != nil {
			return nil, startErr
		}
		return nil, fmt.Errorf("connect to the daemon at %s after starting it: %w", host, err)
	}
	return c, nil
}

// notListening reports whether err means no process listens on the socket.
func notListening(err error) bool {
	return client.IsErrConnectionFailed(err) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)
}

// daemonStartError is a daemon that could not start, with the log that says why.
type daemonStartError struct {
	Reason string
	Log    string
}

func (e *daemonStartError) Error() string {
	return fmt.Sprintf("the daemon could not start: %s (log: %s)", e.Reason, e.Log)
}

// startDaemon starts "berth daemon" for dirs in its own session and waits until it writes
// its ready line on fd 3: "ready", or "error: reason". EOF means it died before saying.
func startDaemon(ctx context.Context, dirs statedir.Dirs) error {
	logPath := filepath.Join(dirs.Root, "daemon.log")
	if err := os.MkdirAll(dirs.Root, 0o700); err != nil {
		return &daemonStartError{Reason: err.Error(), Log: logPath}
	}
	exe, err := os.Executable()
	if err != nil {
		return &daemonStartError{Reason: fmt.Sprintf("find the berth executable: %v", err), Log: logPath}
	}
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return &daemonStartError{Reason: err.Error(), Log: logPath}
	}
	defer logFile.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return &daemonStartError{Reason: err.Error(), Log: logPath}
	}
	defer r.Close()

	cmd := exec.Command(exe, "daemon", "--root", dirs.Root, "--ready-fd", "3")
	cmd.Stdin = nil // /dev/null
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close() // only the daemon holds the write end now, so its exit means EOF
	if err != nil {
		return &daemonStartError{Reason: err.Error(), Log: logPath}
	}
	// The daemon outlives us; nobody waits for it here.
	_ = cmd.Process.Release()

	stop := context.AfterFunc(ctx, func() { r.Close() })
	defer stop()
	line, err := bufio.NewReader(r).ReadString('\n')
	if ctx.Err() != nil {
		return ctx.Err()
	}
	line = strings.TrimSpace(line)
	switch {
	case line == "ready":
		return nil
	case strings.HasPrefix(line, "error:"):
		return &daemonStartError{Reason: strings.TrimSpace(strings.TrimPrefix(line, "error:")), Log: logPath}
	case err == io.EOF || line == "":
		return &daemonStartError{Reason: "it exited without saying why", Log: logPath}
	case err != nil:
		return &daemonStartError{Reason: fmt.Sprintf("read its ready line: %v", err), Log: logPath}
	default:
		return &daemonStartError{Reason: fmt.Sprintf("unexpected ready line %q", line), Log: logPath}
	}
}
