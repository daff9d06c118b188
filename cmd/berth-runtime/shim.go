package main

// The shim (berth-runtime shim) watches over one container and outlives the daemon: it
// creates the container in-process, so its init is the shim's own child, holds its stdio
// (or TTY master), writes its json-file log, forwards stdin, resizes and signals, and
// records the exit status in exit.json. It speaks shimproto on shim.sock in the bundle.
// Being the runtime itself saves a process start on every container start.

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"berth/engine/runtime/console"
	"berth/engine/runtime/jsonlog"
	"berth/engine/runtime/shimproto"
)

type options struct {
	id, bundle, runtimeRoot, log string
	logMaxSize                   int64
	logMaxFiles                  int
	stdin, tty                   bool
}

func shimMain(args []string) {
	// One idle shim per container: one P and a small heap keep its RSS low.
	goruntime.GOMAXPROCS(1)
	debug.SetGCPercent(25)
	var o options
	fs := flag.NewFlagSet("berth-runtime shim", flag.ExitOnError)
	fs.StringVar(&o.id, "id", "", "container ID")
	fs.StringVar(&o.bundle, "bundle", "", "bundle directory with config.json")
	fs.StringVar(&o.runtimeRoot, "runtime-root", "", "libcontainer state directory")
	fs.StringVar(&o.log, "log", "", "json-file log path")
	fs.Int64Var(&o.logMaxSize, "log-max-size", 0, "rotate the log past this many bytes (0: never)")
	fs.IntVar(&o.logMaxFiles, "log-max-file", 1, "log files kept")
	fs.BoolVar(&o.stdin, "stdin", false, "keep the container's stdin open for attach")
	fs.BoolVar(&o.tty, "tty", false, "give the container a terminal")
	standby := fs.Bool("standby", false, "wait on fd 4 for the container (shimproto.Assign)")
	_ = fs.Parse(args)
	sync := os.NewFile(3, "sync")
	if *standby {
		var ok bool
		if o, ok = awaitAssignment(os.NewFile(4, "assign")); !ok {
			return // the daemon stopped, or let this spare go
		}
	}
	if err := run(o, sync); err != nil {
		fmt.Fprintln(os.Stderr, "berth-runtime shim:", err)
		os.Exit(1)
	}
}

// awaitAssignment is a standby shim's wait: the daemon starts one before it is needed,
// so that a container's start does not wait for a process to start. It reads the
// container's settings from f until EOF; none (the daemon stopped or let it go) means
// exit. It names itself berth-spare while it waits, so that it is told apart from the
// shim of a container.
func awaitAssignment(f *os.File) (options, bool) {
	setComm("berth-spare")
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil || len(b) == 0 {
		return options{}, false
	}
	var a shimproto.Assign
	if err := json.Unmarshal(b, &a); err != nil {
		fmt.Fprintln(os.Stderr, "berth-runtime shim: bad assignment:", err)
		return options{}, false
	}
	setComm("berth-runtime")
	// Until now stdout and stderr were /dev/null: the bundle did not exist.
	if l, err := os.OpenFile(filepath.Join(a.Bundle, "shim.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err == nil {
		_ = unix.Dup3(int(l.Fd()), 1, 0)
		_ = unix.Dup3(int(l.Fd()), 2, 0)
		l.Close()
	}
	return options{
		id: a.ID, bundle: a.Bundle, runtimeRoot: a.RuntimeRoot, log: a.Log,
		logMaxSize: a.LogMaxSize, logMaxFiles: max(a.LogMaxFiles, 1), stdin: a.Stdin, tty: a.TTY,
	}, true
}

// setComm sets the process's name as ps -o comm and /proc/PID/comm show it.
func setComm(name string) {
	_ = os.WriteFile("/proc/self/comm", []byte(name), 0)
}

type shim struct {
	o   options
	pid int

	stdin     io.WriteCloser // nil without -stdin
	ttyMaster *os.File

	// mu is held while reaping, so kill never signals a pid that was just reaped.
	mu     sync.Mutex
	exit   *shimproto.Exit
	exited chan struct{}
	// conns counts connections being served.
	conns sync.WaitGroup
}

func run(o options, syncPipe *os.File) error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("become subreaper: %w", err)
	}
	s := &shim{o: o, exited: make(chan struct{})}
	report := func(st shimproto.Start) {
		b, _ := json.Marshal(st)
		_, _ = syncPipe.Write(append(b, '\n'))
		syncPipe.Close()
	}
	fail := func(err error) error {
		report(shimproto.Start{Error: err.Error(), Code: shimproto.StartCode(err.Error())})
		return err
	}
	logw, err := jsonlog.Open(o.log, o.logMaxSize, o.logMaxFiles)
	if err != nil {
		return fail(fmt.Errorf("open log: %w", err))
	}
	sockPath := filepath.Join(o.bundle, "shim.sock")
	_ = os.Remove(sockPath)
	ln, err := net.Listen("unix", sockPath)
	if err != nil {
		return fail(fmt.Errorf("listen: %w", err))
	}
	// Signals that would end the shim are caught and dropped. Caught, not ignored: an
	// ignored signal stays ignored across exec, in every process of the container.
	drop := make(chan os.Signal, 1)
	signal.Notify(drop, unix.SIGPIPE, unix.SIGHUP, unix.SIGINT, unix.SIGTERM)
	go func() {
		for range drop {
		}
	}()

	copiers, err := s.start(logw)
	if err != nil {
		ln.Close()
		return fail(err)
	}
	report(shimproto.Start{Pid: s.pid})
	go s.serve(ln)
	// Start-up garbage (libcontainer's) is not needed again. Returning it costs a
	// collection: not while a short-lived container may be exiting, and not at all
	// for one that is gone by then.
	freeTimer := time.AfterFunc(100*time.Millisecond, debug.FreeOSMemory)
	defer freeTimer.Stop()

	// Nothing is reaped until the container runs: libcontainer waits for its helpers.
	s.reap()
	// The pid namespace is gone with its init, so every writer of the pipes is too; the
	// bound only guards against a descriptor leaked outside the container.
	select {
	case <-copiers:
	case <-time.After(5 * time.Second):
	}
	logw.Close()
	if err := s.writeExit(); err != nil {
		fmt.Fprintln(os.Stderr, "berth-runtime shim: record exit:", err)
	}
	ln.Close()
	close(s.exited)
	// Let connections already accepted get their answer; a stdin stream may never end,
	// hence the bound.
	done := make(chan struct{})
	go func() { s.conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
	}
	_ = os.Remove(sockPath)
	return nil
}

// start creates and starts the container, and wires its stdio to the log.
func (s *shim) start(logw *jsonlog.Writer) (<-chan struct{}, error) {
	o := s.o
	var stdio []*os.File // the container's ends, closed here once it has them
	var readers []struct {
		stream string
		r      *os.File
	}
	var consoleSock, consolePeer *os.File
	closeStdio := func() {
		for _, f := range stdio {
			f.Close()
		}
		if consolePeer != nil {
			consolePeer.Close()
		}
	}
	if o.tty {
		keep, peer, err := console.Socketpair()
		if err != nil {
			return nil, err
		}
		consoleSock, consolePeer = keep, peer
	} else {
		var stdinR *os.File
		if o.stdin {
			r, w, err := os.Pipe()
			if err != nil {
				return nil, err
			}
			stdinR, s.stdin = r, w
		} else {
			f, err := os.Open(os.DevNull)
			if err != nil {
				return nil, err
			}
			stdinR = f
		}
		stdio = append(stdio, stdinR)
		for _, stream := range []string{"stdout", "stderr"} {
			r, w, err := os.Pipe()
			if err != nil {
				closeStdio()
				return nil, err
			}
			stdio = append(stdio, w)
			readers = append(readers, struct {
				stream string
				r      *os.File
			}{stream, r})
		}
	}
	pid, err := create(o.runtimeRoot, o.id, o.bundle, stdio, consolePeer)
	closeStdio()
	if err != nil {
		if consoleSock != nil {
			consoleSock.Close()
		}
		return nil, err
	}
	s.pid = pid
	if o.tty {
		master, err := console.RecvMaster(consoleSock)
		consoleSock.Close()
		if err != nil {
			_ = unix.Kill(pid, unix.SIGKILL)
			return nil, err
		}
		s.ttyMaster, s.stdin = master, master
		readers = append(readers, struct {
			stream string
			r      *os.File
		}{"stdout", master})
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, rd := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A TTY master reads EIO once the last slave closes: that is its EOF.
			_ = logw.Copy(rd.stream, rd.r)
			if rd.r != s.ttyMaster {
				rd.r.Close()
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	return done, nil
}

// reap waits for the container's init, reaping any other orphan on the way. It blocks
// in waitid without reaping, rather than waiting for SIGCHLD, which reaches a Go
// program through a goroutine hop; the reaping itself happens under mu.
func (s *shim) reap() {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if s.reapOnce() {
			return
		}
		if errors.Is(err, unix.ECHILD) {
			// The init is no longer our child: nothing will ever report its exit.
			s.mu.Lock()
			s.exit = &shimproto.Exit{Pid: s.pid, ExitCode: 255, FinishedAt: time.Now().UTC()}
			s.mu.Unlock()
			return
		}
	}
}

// reapOnce reaps every exited child and reports whether the init was among them.
func (s *shim) reapOnce() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err != nil || pid <= 0 {
			return false
		}
		if pid == s.pid {
			e := &shimproto.Exit{Pid: pid, ExitCode: ws.ExitStatus(), FinishedAt: time.Now().UTC()}
			if ws.Signaled() {
				e.Signal = int(ws.Signal())
				e.ExitCode = 128 + e.Signal
			}
			s.exit = e
			return true
		}
	}
}

func (s *shim) writeExit() error {
	b, err := json.Marshal(s.exit)
	if err != nil {
		return err
	}
	path := filepath.Join(s.o.bundle, "exit.json")
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	// Written whole then renamed, so a reader never sees half a record. Not synced: the
	// record matters only until the daemon reads it, within this boot.
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (s *shim) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.conns.Add(1)
		go func() {
			defer s.conns.Done()
			s.handle(c)
		}()
	}
}

func (s *shim) handle(c net.Conn) {
	defer c.Close()
	enc := json.NewEncoder(c)
	if err := enc.Encode(shimproto.Hello{Version: shimproto.Version, Pid: s.pid}); err != nil {
		return
	}
	br := bufio.NewReader(c)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return
	}
	var req shimproto.Request
	if err := json.Unmarshal(line, &req); err != nil {
		_ = enc.Encode(shimproto.Reply{Error: "bad request: " + err.Error(), Code: shimproto.CodeBadRequest})
		return
	}
	switch req.Op {
	case "wait":
		<-s.exited
		_ = enc.Encode(s.exit)
	case "kill":
		_ = enc.Encode(replyOf(s.kill(req.Signal)))
	case "resize":
		var err error
		if s.ttyMaster == nil {
			err = errors.New("container has no terminal")
		} else {
			err = console.Resize(s.ttyMaster, req.Height, req.Width)
		}
		_ = enc.Encode(shimproto.Reply{Error: errString(err)})
	case "stdin":
		if s.stdin == nil {
			_ = enc.Encode(shimproto.Reply{Error: "container was not created with stdin open"})
			return
		}
		_ = enc.Encode(shimproto.Reply{})
		_, _ = io.Copy(s.stdin, br)
		if req.Once && s.ttyMaster == nil {
			s.stdin.Close()
		}
	default:
		_ = enc.Encode(shimproto.Reply{Error: "unknown op " + strconv.Quote(req.Op), Code: shimproto.CodeBadRequest})
	}
}

// kill signals the init. It is our child until we reap it, so its pid cannot have been
// reused by another process.
func (s *shim) kill(sig int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exit != nil {
		return errExited
	}
	return unix.Kill(s.pid, unix.Signal(sig))
}

// errExited is a request for a container whose init has been reaped.
var errExited = errors.New("container is not running")

// replyOf answers a request that ended with err.
func replyOf(err error) shimproto.Reply {
	switch {
	case err == nil:
		return shimproto.Reply{}
	case errors.Is(err, errExited):
		return shimproto.Reply{Error: err.Error(), Code: shimproto.CodeNotRunning}
	}
	return shimproto.Reply{Error: err.Error()}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
