// Package stackapi holds the wire types of berth's own stack endpoints (/berth/stacks),
// shared by the daemon's API server and the CLI. The CLI loads and checks the Compose
// files, so errors point into them, and sends the desired state.
package stackapi

import (
	"time"

	"berth/project"
)

// UpOptions are berth up's flags that shape the plan.
type UpOptions struct {
	Services           []string
	ForceRecreate      bool
	NoRecreate         bool
	AlwaysRecreateDeps bool
	NoStart            bool
	NoDeps             bool
	RemoveOrphans      bool
	// Wait waits, after the changes, until every container runs (healthy, when it has a
	// healthcheck), up to WaitTimeout (0: no limit).
	Wait        bool
	WaitTimeout time.Duration
}

// UpRequest is the body of POST /berth/stacks/up.
type UpRequest struct {
	Stack   project.Stack
	Options UpOptions
	DryRun  bool
}

// DownRequest is the body of POST /berth/stacks/down.
type DownRequest struct {
	Stack         project.Stack
	TimeoutSecs   *int
	RemoveOrphans bool
	Volumes       bool
}

// OpRequest is the body of POST /berth/stacks/op: start, stop, restart, kill, pause or
// unpause of a stack's existing containers, planned by the daemon from their labels.
type OpRequest struct {
	Stack       string
	Op          string
	Services    []string // empty: every service
	TimeoutSecs *int     // stop and restart: nil for each container's own grace
	Signal      string   // kill
	DryRun      bool     // answer with the plan, change nothing
}

// Progress is what happened to one object, as Compose shows it
// ("Container web-1  Started").
type Progress struct {
	Object string // "Container", "Network", "Volume"
	Name   string
	Status string // "Creating", "Created", "Starting", "Started", "Healthy", "Recreate", ...
	Cause  string
}

// StreamLine is one line of a stack operation's answer: progress lines, then one with
// Done set (and Error if it failed). A dry run answers with the Plan.
type StreamLine struct {
	Progress *Progress `json:",omitempty"`
	Plan     string    `json:",omitempty"`
	Done     bool      `json:",omitempty"`
	Error    string    `json:",omitempty"`
	// Status is the HTTP status the Error would have had as an answer, so that the
	// client knows its kind (404 not found, 409 conflict, ...).
	Status int `json:",omitempty"`
}

// Summary is one line of berth ls.
type Summary struct {
	Name        string
	Status      string
	ConfigFiles string
}
