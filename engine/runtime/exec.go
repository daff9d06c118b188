package runtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"berth/engine/runtime/console"
)

// ExecConfig is a further process to run in a running container. Unset fields take the
// container's own values.
type ExecConfig struct {
	Args     []string
	Env      []string // added to the container's environment
	Cwd      string
	User     *specs.User
	Terminal bool
	// Privileged gives the process every capability, as docker exec --privileged does.
	Privileged bool
}

// Exec is a process started in a container.
type Exec struct {
	cmd  *exec.Cmd
	spec string
	// Master is the TTY master of a Terminal exec; read and write the process through it.
	Master *os.File
	// failed is the exit code of a Terminal exec whose process never started (126 or 127,
	// its reason written to stdout), or nil.
	failed *int
}

// Exec starts a process in the running container id. Without a terminal its stdio are
// stdin, stdout and stderr (any may be nil).
func (r *Runtime) Exec(ctx context.Context, id string, e ExecConfig, stdin io.Reader, stdout, stderr io.Writer) (*Exec, error) {
	if len(e.Args) == 0 {
		return nil, errors.New("exec: no command given")
	}
	b, err := os.ReadFile(filepath.Join(r.Bundle(id), "config.json"))
	if err != nil {
		return nil, fmt.Errorf("exec: %w", ErrNotRunning)
	}
	var spec specs.Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		return nil, fmt.Errorf("exec: read spec: %w", err)
	}
	p := *spec.Process
	p.Args = e.Args
	p.Env = MergeEnv(p.Env, e.Env)
	p.Terminal = e.Terminal
	if e.Cwd != "" {
		p.Cwd = e.Cwd
	}
	if e.User != nil {
		p.User = *e.User
	}
	if e.Privileged {
		caps, _ := Capabilities(nil, nil, true)
		p.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
	}
	pb, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	path := filepath.Join(r.Bundle(id), "exec-"+hex.EncodeToString(rnd[:])+".json")
	if err := os.WriteFile(path, pb, 0o600); err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	args := []string{"--root", r.StateDir()}
	var keep, pass *os.File
	if e.Terminal {
		if keep, pass, err = console.Socketpair(); err != nil {
			os.Remove(path)
			return nil, err
		}
		defer keep.Close()
		args = append(args, "--console-fd", "3")
	}
	cmd := exec.Command(r.runtimeBin, append(args, "exec", id, path)...)
	// Output pipes are drained for at most this long once the process has exited, in
	// case something it started still holds them.
	cmd.WaitDelay = 2 * time.Second
	var stdinW *os.File
	var runtimeErr bytes.Buffer
	if e.Terminal {
		cmd.ExtraFiles = []*os.File{pass}
		// berth-runtime says here why a process could not start.
		cmd.Stderr = &runtimeErr
	} else {
		cmd.Stdout, cmd.Stderr = stdout, stderr
		if stdin != nil {
			// A pipe, not the stream itself: Wait must not wait for the client to close
			// its stdin after the process has ended.
			pr, pw, err := os.Pipe()
			if err != nil {
				os.Remove(path)
				return nil, err
			}
			cmd.Stdin, stdinW = pr, pw
			defer pr.Close()
		}
	}
	if err := cmd.Start(); err != nil {
		if stdinW != nil {
			stdinW.Close()
		}
		os.Remove(path)
		return nil, fmt.Errorf("exec: %w", err)
	}
	if stdinW != nil {
		go func() {
			_, _ = io.Copy(stdinW, stdin)
			stdinW.Close()
		}()
	}
	x := &Exec{cmd: cmd, spec: path}
	if e.Terminal {
		pass.Close()
		m, err := console.RecvMaster(keep)
		if err != nil {
			// No terminal came: the process did not start. berth-runtime exits 126 or
			// 127 with its reason then, which reaches the client as without a terminal.
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			var werr error
			select {
			case werr = <-waited:
			case <-time.After(2 * time.Second):
				_ = cmd.Process.Kill() // alive without a terminal: something else went wrong
				werr = <-waited
			}
			os.Remove(path)
			var ee *exec.ExitError
			if errors.As(werr, &ee) && (ee.ExitCode() == 126 || ee.ExitCode() == 127) && stdout != nil {
				code := ee.ExitCode()
				_, _ = stdout.Write(bytes.ReplaceAll(runtimeErr.Bytes(), []byte("\n"), []byte("\r\n")))
				x.failed = &code
				return x, nil
			}
			return nil, fmt.Errorf("exec: %w", err)
		}
		x.Master = m
	}
	return x, nil
}

// Pid is the host pid of berth-runtime, which forwards signals to the process.
func (x *Exec) Pid() int { return x.cmd.Process.Pid }

// Signal forwards sig to the process.
func (x *Exec) Signal(sig syscall.Signal) error { return x.cmd.Process.Signal(sig) }

// Wait waits for the process and returns its exit code (128+N for signal N). Exit code
// 126/127 come from the process itself; a runtime failure is an error.
func (x *Exec) Wait() (int, error) {
	if x.failed != nil {
		return *x.failed, nil
	}
	err := x.cmd.Wait()
	os.Remove(x.spec)
	if x.Master != nil {
		defer x.Master.Close()
	}
	// A process the exec left behind may hold its output open: the exec has ended all
	// the same, and its exit status is known.
	if errors.Is(err, exec.ErrWaitDelay) && x.cmd.ProcessState != nil {
		err = nil
		if !x.cmd.ProcessState.Success() {
			err = &exec.ExitError{ProcessState: x.cmd.ProcessState}
		}
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	default:
		return -1, err
	}
}

// MergeEnv overlays add on base, by variable name: a variable in add replaces the one
// of the same name in base, new ones are appended in order.
func MergeEnv(base, add []string) []string {
	out := slices.Clone(base)
	for _, kv := range add {
		name, _, _ := strings.Cut(kv, "=")
		i := slices.IndexFunc(out, func(o string) bool { n, _, _ := strings.Cut(o, "="); return n == name })
		if i >= 0 {
			out[i] = kv
		} else {
			out = append(out, kv)
		}
	}
	return out
}

// Resize sets the size of a Terminal exec's terminal.
func (x *Exec) Resize(height, width uint16) error {
	if x.Master == nil {
		return errors.New("exec has no terminal")
	}
	return console.Resize(x.Master, height, width)
}
