// Package shimproto is the wire protocol between the berth daemon and a shim
// (berth-runtime shim).
//
// The shim listens on a unix socket in the container's bundle. On each connection it first
// writes a Hello line; the client then writes one Request line. "wait" is answered with
// one Exit line once the container has exited (at once if it already has); "kill" and
// "resize" with an empty Reply line; after "stdin" every further byte the client sends is
// the container's standard input, until the client closes its side. Lines are JSON
// terminated by '\n'. A daemon speaking an older Version than the shim still works: fields
// are only ever added.
package shimproto

import (
	"strings"
	"time"
)

// Version is the protocol version this build speaks.
const Version = 1

// Hello is the first line a shim writes on every connection.
type Hello struct {
	Version int `json:"version"`
	Pid     int `json:"pid"`
}

// Request is what a client asks of the shim.
type Request struct {
	Op     string `json:"op"` // "wait", "kill", "resize", "stdin"
	Signal int    `json:"signal,omitempty"`
	Height uint16 `json:"height,omitempty"`
	Width  uint16 `json:"width,omitempty"`
	// Once closes the container's stdin when this stdin stream ends (docker run -i).
	Once bool `json:"once,omitempty"`
}

// Reply answers kill and resize.
type Reply struct {
	Error string `json:"error,omitempty"`
	Code  string `json:"code,omitempty"`
}

// Codes say what kind of failure an Error is, so that the daemon branches on them and
// never on the text. An empty Code is any other failure.
const (
	CodeCommandNotFound = "command-not-found" // the process's executable is missing (exit 127)
	CodeCannotExecute   = "cannot-execute"    // it is there but cannot run (exit 126)
	CodeNotRunning      = "not-running"       // the container has exited
	CodeBadRequest      = "bad-request"       // a request the shim does not understand
)

// ExitNotExist is berth-runtime's exit status for an operation (pause, resume, delete,
// state) on a container libcontainer does not know.
const ExitNotExist = 4

// StartCode classifies the error libcontainer gives for a process that did not start.
// The container's init reports it only as text, so this is the one place that reads it.
func StartCode(msg string) string {
	switch {
	case strings.Contains(msg, "executable file not found"), strings.Contains(msg, "no such file or directory"):
		return CodeCommandNotFound
	case strings.Contains(msg, "permission denied"), strings.Contains(msg, "is a directory"):
		return CodeCannotExecute
	}
	return ""
}

// Exit is how a container ended. The shim also writes it to exit.json in the bundle.
type Exit struct {
	Pid        int       `json:"pid"`
	ExitCode   int       `json:"exitCode"`
	Signal     int       `json:"signal,omitempty"`
	FinishedAt time.Time `json:"finishedAt"`
}

// Start is the one line a shim writes on its sync pipe (fd 3) once the container runs or
// could not be started.
type Start struct {
	Pid   int    `json:"pid,omitempty"`
	Error string `json:"error,omitempty"`
	Code  string `json:"code,omitempty"`
}

// Assign gives a standby shim (berth-runtime shim -standby, started before it was
// needed) its container: the daemon writes it on the shim's fd 4 and closes that. The
// fields are the flags a shim started for one container takes.
type Assign struct {
	ID          string `json:"id"`
	Bundle      string `json:"bundle"`
	RuntimeRoot string `json:"runtimeRoot"`
	Log         string `json:"log"`
	LogMaxSize  int64  `json:"logMaxSize,omitempty"`
	LogMaxFiles int    `json:"logMaxFiles,omitempty"`
	Stdin       bool   `json:"stdin,omitempty"`
	TTY         bool   `json:"tty,omitempty"`
}
