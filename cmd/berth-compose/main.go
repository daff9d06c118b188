// It runs for milliseconds: Go's look at the cgroup CPU limit at start costs more than
// it could save.
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command berth-compose loads Compose files for the berth CLI, in a process of its own:
// compose-go's loader and its JSON-schema validator then cost only the commands that
// read a Compose file, not every berth command. Usage (see package helperapi):
//
//	berth-compose load     the stack's desired state
//	berth-compose config   print the project, as berth config
//
// The request comes on fd 4, the answer (a helperapi.Response) goes to fd 3; stdin,
// stdout, stderr and the environment are berth's.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"berth/compose"
	"berth/compose/helperapi"
	"berth/project"
)

func main() {
	// It lives for milliseconds and loading allocates a lot: collect lazily.
	debug.SetGCPercent(400)
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: berth-compose load|config (request on fd 4, answer on fd 3)")
		os.Exit(2)
	}
	in, out := os.NewFile(4, "request"), os.NewFile(3, "response")
	req, err := io.ReadAll(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "berth-compose: read request:", err)
		os.Exit(1)
	}
	resp := run(context.Background(), os.Args[1], req, os.Stdin, os.Stdout)
	if err := json.NewEncoder(out).Encode(resp); err != nil {
		fmt.Fprintln(os.Stderr, "berth-compose: write response:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, op string, req []byte, stdin io.Reader, stdout io.Writer) helperapi.Response {
	var resp helperapi.Response
	var err error
	switch op {
	case "load":
		var r helperapi.LoadRequest
		if err = json.Unmarshal(req, &r); err == nil {
			resp, err = load(ctx, r, stdin)
		}
	case "config":
		var r helperapi.ConfigRequest
		if err = json.Unmarshal(req, &r); err == nil {
			resp, err = config(ctx, r, stdin, stdout)
		}
	default:
		err = fmt.Errorf("unknown operation %q", op)
	}
	if err != nil {
		resp.Error, resp.NoFile = err.Error(), errors.Is(err, compose.ErrNoFile)
	}
	return resp
}

func options(o helperapi.Options, stdin io.Reader) compose.Options {
	return compose.Options{
		WorkingDir: o.WorkingDir, ProjectDir: o.ProjectDir, Files: o.Files, Stdin: stdin,
		EnvFiles: o.EnvFiles, Profiles: o.Profiles, ProjectName: o.ProjectName,
		Environ: os.Environ(), Services: o.Services, NoInterpolate: o.NoInterpolate,
		ValidationCache: o.ValidationCache,
	}
}

func warnings(ws []compose.Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.String())
	}
	return out
}

// load loads the files and turns them into the stack's desired state.
func load(ctx context.Context, r helperapi.LoadRequest, stdin io.Reader) (helperapi.Response, error) {
	p, ws, err := compose.Load(ctx, options(r.Options, stdin))
	if err != nil {
		return helperapi.Response{}, err
	}
	resp := helperapi.Response{Warnings: warnings(ws)}
	for _, s := range r.Require {
		if _, err := p.GetService(s); err != nil {
			return resp, fmt.Errorf("no such service: %s", s)
		}
	}
	for name := range r.Scale {
		if _, err := p.GetService(name); err != nil {
			return resp, fmt.Errorf("invalid --scale: no such service: %s", name)
		}
	}
	resp.Stack, err = project.FromCompose(p, project.Options{Scale: r.Scale, Version: r.Version})
	return resp, err
}
