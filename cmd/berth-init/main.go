// Command berth-init is the init process of containers run with --init (Compose's
// init: true): as PID 1 it starts the container's command, forwards the signals it gets
// to it, reaps every orphan, and exits with the command's exit code. A shell or a
// program that was not written to be PID 1 then stops on SIGTERM and leaves no zombies.
//
// Usage: berth-init -- COMMAND [ARG...]
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "berth-init: usage: berth-init -- COMMAND [ARG...]")
		os.Exit(2)
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Its own process group, so a signal reaches the command's whole job, as with tini -g.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if isTerminal() {
		cmd.SysProcAttr.Foreground, cmd.SysProcAttr.Ctty = true, 0
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "berth-init: %v\n", err)
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, exec.ErrNotFound) {
			os.Exit(127)
		}
		os.Exit(126)
	}
	child := cmd.Process.Pid
	for sig := range sigs {
		s := sig.(syscall.Signal)
		if s == syscall.SIGURG {
			continue // the Go runtime's own preemption signal
		}
		if s != syscall.SIGCHLD {
			// Forward everything else to the command's process group.
			_ = syscall.Kill(-child, s)
			continue
		}
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if err != nil || pid <= 0 {
				break
			}
			if pid == child {
				if ws.Signaled() {
					os.Exit(128 + int(ws.Signal()))
				}
				os.Exit(ws.ExitStatus())
			}
		}
	}
}

// isTerminal reports whether stdin is a terminal, so the command gets it as foreground.
func isTerminal() bool {
	_, err := unixIoctlGetTermios(0)
	return err == nil
}
