// Every container start runs this binary twice (shim and init), each with one P: the
// cgroup CPU limit that Go reads at start by default would change nothing.
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command berth-runtime runs containers with runc's libcontainer: as a container's shim
// it creates the container and watches over it, and it execs into, pauses and deletes
// containers. It re-executes itself as every container's init, so it imports little
// beyond libcontainer: its start-up cost is paid by every container start and exec.
//
// Usage:
//
//	berth-runtime shim -id ID -bundle DIR -runtime-root DIR -log FILE ...   see shim.go
//	berth-runtime --root DIR exec ID PROCESS.json   own stdio, or --console-fd N; exits with the process's code
//	berth-runtime --root DIR pause|resume|delete|state ID
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"berth/engine/runtime/shimproto"

	_ "github.com/opencontainers/cgroups/devices" // device rules in the config need it
	_ "github.com/opencontainers/runc/libcontainer/nsenter"
)

func init() {
	// Must run before main: libcontainer's init takes over this process.
	if len(os.Args) > 1 && os.Args[1] == "init" {
		libcontainer.Init()
	}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "shim" {
		shimMain(os.Args[2:])
		return
	}
	fs := flag.NewFlagSet("berth-runtime", flag.ContinueOnError)
	root := fs.String("root", "/run/berth/runc", "libcontainer state directory")
	consoleFd := fs.Int("console-fd", -1, "fd of a unix socket to send the TTY master to")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	args := fs.Args()
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: berth-runtime [--root DIR] exec|pause|resume|delete|state ID [ARG]")
		os.Exit(2)
	}
	op, id := args[0], args[1]
	var console *os.File
	if *consoleFd >= 0 {
		console = os.NewFile(uintptr(*consoleFd), "console-socket")
	}
	var err error
	code := 0
	switch op {
	case "exec":
		if len(args) != 3 {
			err = errors.New("exec needs ID and PROCESS.json")
			break
		}
		code, err = execProcess(*root, id, args[2], console)
		if err != nil {
			// As docker exec: 127 for a command that is not there, 126 for one that
			// cannot run; the reason goes to the exec's own stderr.
			fmt.Fprintln(os.Stderr, err)
			os.Exit(startFailureCode(err))
		}
	case "pause", "resume", "delete", "state":
		err = simple(*root, id, op)
	default:
		err = fmt.Errorf("unknown operation %q", op)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		if errors.Is(err, libcontainer.ErrNotExist) {
			os.Exit(shimproto.ExitNotExist)
		}
		os.Exit(125)
	}
	os.Exit(code)
}

// create creates the container of bundle and starts its process, with stdio as its
// stdin, stdout and stderr, or for a terminal with console as the socket that receives
// the TTY master. It returns the init's pid, once the process runs.
func create(root, id, bundle string, stdio []*os.File, console *os.File) (int, error) {
	spec, err := readJSON[specs.Spec](filepath.Join(bundle, "config.json"))
	if err != nil {
		return 0, err
	}
	cfg, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{CgroupName: id, Spec: spec})
	if err != nil {
		return 0, fmt.Errorf("convert spec: %w", err)
	}
	c, err := libcontainer.Create(root, id, cfg)
	if err != nil {
		return 0, err
	}
	p, err := process(spec.Process, true)
	if err != nil {
		_ = c.Destroy()
		return 0, err
	}
	switch {
	case spec.Process.Terminal:
		if console == nil {
			_ = c.Destroy()
			return 0, errors.New("a terminal needs a console socket")
		}
		p.ConsoleSocket = console
	case len(stdio) == 3:
		p.Stdin, p.Stdout, p.Stderr = stdio[0], stdio[1], stdio[2]
	}
	if err := c.Run(p); err != nil {
		_ = c.Destroy()
		return 0, err
	}
	return p.Pid()
}

func execProcess(root, id, path string, console *os.File) (int, error) {
	sp, err := readJSON[specs.Process](path)
	if err != nil {
		return 0, err
	}
	c, err := libcontainer.Load(root, id)
	if err != nil {
		return 0, err
	}
	p, err := process(sp, false)
	if err != nil {
		return 0, err
	}
	if sp.Terminal {
		if console == nil {
			return 0, errors.New("a terminal needs --console-fd")
		}
		p.ConsoleSocket = console
	}
	// Until the process runs, stderr belongs to the init, whose Go runtime crashes with a
	// dump when the container's pids limit leaves it no thread: hold that back.
	// The process gets a pipe of its own, a file, so that waiting for it does not wait
	// for every process that inherited its stderr.
	stderr := &gatedWriter{w: os.Stderr}
	copied := make(chan struct{})
	if !sp.Terminal {
		pr, pw, err := os.Pipe()
		if err != nil {
			return 0, err
		}
		go func() {
			_, _ = io.Copy(stderr, pr)
			pr.Close()
			close(copied)
		}()
		defer pw.Close()
		p.Stdin, p.Stdout, p.Stderr = os.Stdin, os.Stdout, pw
	} else {
		close(copied)
	}
	hitsBefore, current, limit := pidsLimit(c)
	atLimit := func() error {
		return fmt.Errorf("cannot start a process in the container: it has reached its process limit (pids-limit %d); end one of its processes or raise the limit", limit)
	}
	if limit > 0 && current >= limit {
		return 0, atLimit() // a terminal would show the init's crash dump
	}
	if err := c.Run(p); err != nil {
		if hits, _, _ := pidsLimit(c); limit > 0 && hits > hitsBefore {
			return 0, atLimit()
		}
		return 0, err
	}
	stderr.open()
	if f, ok := p.Stderr.(*os.File); ok {
		f.Close() // the process holds it now: its end is the pipe's end
	}
	if console != nil {
		console.Close()
	}
	// Forward termination signals so killing the exec session reaches its process.
	sigs := make(chan os.Signal, 4)
	signalNotify(sigs)
	go func() {
		for s := range sigs {
			_ = p.Signal(s)
		}
	}()
	st, err := p.Wait()
	// What the process wrote last is in the pipe; a process it left behind may hold the
	// pipe open, so the copy is waited for only briefly.
	select {
	case <-copied:
	case <-time.After(200 * time.Millisecond):
	}
	if st == nil {
		return 0, err
	}
	ws := st.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ws.ExitStatus(), nil
}

func simple(root, id, op string) error {
	c, err := libcontainer.Load(root, id)
	if err != nil {
		if op == "delete" && errors.Is(err, libcontainer.ErrNotExist) {
			return nil
		}
		return err
	}
	switch op {
	case "pause":
		return c.Pause()
	case "resume":
		return c.Resume()
	case "delete":
		return c.Destroy()
	default:
		st, err := c.Status()
		if err != nil {
			return err
		}
		s, err := c.State()
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(map[string]any{"status": st.String(), "pid": s.InitProcessPid})
	}
}

func process(sp *specs.Process, init bool) (*libcontainer.Process, error) {
	if sp == nil {
		return nil, errors.New("spec has no process")
	}
	nnp := sp.NoNewPrivileges
	p := &libcontainer.Process{
		Args: sp.Args, Env: sp.Env, Cwd: sp.Cwd,
		UID: int(sp.User.UID), GID: int(sp.User.GID),
		NoNewPrivileges: &nnp,
		Init:            init,
	}
	for _, g := range sp.User.AdditionalGids {
		p.AdditionalGroups = append(p.AdditionalGroups, int(g))
	}
	if c := sp.Capabilities; c != nil {
		p.Capabilities = &configs.Capabilities{Bounding: c.Bounding, Effective: c.Effective,
			Inheritable: c.Inheritable, Permitted: c.Permitted, Ambient: c.Ambient}
	}
	if sp.ConsoleSize != nil {
		p.ConsoleWidth, p.ConsoleHeight = uint16(sp.ConsoleSize.Width), uint16(sp.ConsoleSize.Height)
	}
	var own unix.Rlimit
	for _, rl := range sp.Rlimits {
		typ, ok := rlimitTypes[rl.Type]
		if !ok {
			return nil, fmt.Errorf("unknown rlimit %q", rl.Type)
		}
		// A limit above our own hard limit fails without CAP_SYS_RESOURCE: clamp it.
		hard, soft := rl.Hard, rl.Soft
		if unix.Getrlimit(typ, &own) == nil && own.Max != unix.RLIM_INFINITY {
			hard, soft = min(hard, own.Max), min(soft, own.Max)
		}
		p.Rlimits = append(p.Rlimits, configs.Rlimit{Type: typ, Hard: hard, Soft: soft})
	}
	return p, nil
}

var rlimitTypes = map[string]int{
	"RLIMIT_CPU": unix.RLIMIT_CPU, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_DATA": unix.RLIMIT_DATA,
	"RLIMIT_STACK": unix.RLIMIT_STACK, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK,
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE, "RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO,
	"RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
}

func readJSON[T any](path string) (*T, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return &v, nil
}

func signalNotify(c chan os.Signal) {
	signal.Notify(c, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT)
}

// pidsLimit returns how often the container's pids cgroup has refused a fork, how many
// tasks it has, and its limit (0 for none).
func pidsLimit(c *libcontainer.Container) (hits, current, limit int64) {
	st, err := c.State()
	if err != nil {
		return 0, 0, 0
	}
	dir := st.CgroupPaths["pids"]
	if dir == "" {
		dir = st.CgroupPaths[""]
	}
	if dir == "" {
		return 0, 0, 0
	}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return strings.TrimSpace(string(b))
	}
	limit, _ = strconv.ParseInt(read("pids.max"), 10, 64) // "max": no limit
	current, _ = strconv.ParseInt(read("pids.current"), 10, 64)
	for _, line := range strings.Split(read("pids.events"), "\n") {
		if v, ok := strings.CutPrefix(line, "max "); ok {
			hits, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return hits, current, limit
}

// gatedWriter holds back what is written until open is called, then writes it and
// passes later writes on; if open is never called, it is dropped.
type gatedWriter struct {
	mu     sync.Mutex
	w      io.Writer
	held   []byte
	full   bool
	opened bool
}

// maxHeld bounds what is held before open: an init's crash dump, or the first output of
// a process that started a moment before open.
const maxHeld = 256 << 10

func (g *gatedWriter) Write(b []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.opened {
		// Past the cap, nothing more is held, so what is kept stays in order.
		if !g.full && len(g.held)+len(b) <= maxHeld {
			g.held = append(g.held, b...)
		} else {
			g.full = true
		}
		return len(b), nil
	}
	return g.w.Write(b)
}

func (g *gatedWriter) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.opened = true
	if len(g.held) > 0 {
		_, _ = g.w.Write(g.held)
		g.held = nil
	}
}

// startFailureCode is docker exec's status for a process that did not start: 127 for a
// missing command, 126 otherwise.
func startFailureCode(err error) int {
	if shimproto.StartCode(err.Error()) == shimproto.CodeCommandNotFound {
		return 127
	}
	return 126
}
