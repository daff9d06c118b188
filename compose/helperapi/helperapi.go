// Package helperapi is what the CLI and berth-compose exchange. berth-compose loads
// Compose files in a process of its own, so that the CLI does not link compose-go's
// loader: its JSON-schema validator alone costs every berth command about 3 ms to start.
// The CLI runs `berth-compose load|config` with its own stdin, stdout, stderr and
// environment, writes the request, as JSON, to its fd 4 and reads one Response, as JSON,
// from its fd 3. (Not as an argument: command lines are public and bounded.)
package helperapi

import "berth/project"

// Options say which Compose files to load and how; compose.Options without Stdin and
// Environ, which the helper inherits.
type Options struct {
	WorkingDir    string
	ProjectDir    string
	Files         []string
	EnvFiles      []string
	Profiles      []string
	ProjectName   string
	Services      []string
	NoInterpolate bool
	// ValidationCache is compose.Options.ValidationCache.
	ValidationCache string
}

// LoadRequest asks for the stack's desired state.
type LoadRequest struct {
	Options Options
	// Require names services that must exist ("no such service: NAME" otherwise).
	Require []string
	// Scale is --scale; each name must be a service.
	Scale   map[string]int
	Version string
}

// ConfigRequest asks berth-compose to print the project as `berth config` does.
type ConfigRequest struct {
	Options  Options
	Services []string // SERVICE... arguments
	Format   string   // yaml or json
	Output   string   // file to write instead of stdout
	Quiet    bool
	List     string // "", services, volumes, networks, profiles or images
}

// Response is the answer on fd 3.
type Response struct {
	Stack    *project.Stack `json:",omitempty"`
	Warnings []string       `json:",omitempty"`
	// Error is what went wrong, already worded for the user; NoFile says it is that no
	// Compose file was found.
	Error  string `json:",omitempty"`
	NoFile bool   `json:",omitempty"`
}
