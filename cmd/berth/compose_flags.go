package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"berth/compose/helperapi"
	"berth/internal/version"
	"berth/project"
	"berth/statedir"
)

// composeOptions are Docker Compose's global flags. Compose puts them on its root command;
// berth's root also carries the container, image and network groups, which must not take
// them, so every Compose command registers them on itself with addFlags.
type composeOptions struct {
	files       []string
	projectName string
	projectDir  string
	envFiles    []string
	profiles    []string

	noInterpolate bool      // set by config --no-interpolate
	stdin         io.Reader // nil means os.Stdin
	stderr        io.Writer // nil means os.Stderr
}

func (o *composeOptions) addFlags(fs *pflag.FlagSet) {
	o.addFlagsFile(fs, "f")
}

// addFlagsFile is addFlags with another shorthand for --file: logs keeps -f for
// --follow, as Compose users type it.
func (o *composeOptions) addFlagsFile(fs *pflag.FlagSet, short string) {
	fs.StringArrayVarP(&o.files, "file", short, nil, "compose configuration files (default: compose.yaml in the current directory or its parents)")
	fs.StringVarP(&o.projectName, "project-name", "p", "", "project name")
	fs.StringVar(&o.projectDir, "project-directory", "", "alternate working directory (default: the path of the first compose file)")
	fs.StringArrayVar(&o.envFiles, "env-file", nil, "alternate environment files")
	fs.StringArrayVar(&o.profiles, "profile", nil, "profiles to enable")
}

// request is the flags as berth-compose takes them.
func (o *composeOptions) request(ctx context.Context, services []string) (helperapi.Options, error) {
	wd, err := os.Getwd()
	if err != nil {
		return helperapi.Options{}, fmt.Errorf("current directory: %w", err)
	}
	return helperapi.Options{
		WorkingDir: wd, ProjectDir: o.projectDir, Files: o.files, EnvFiles: o.envFiles,
		Profiles: o.profiles, ProjectName: o.projectName,
		Services: services, NoInterpolate: o.noInterpolate,
		ValidationCache: filepath.Join(statedir.Resolve(globalsOf(ctx).root).Root, "cache", "compose-validated"),
	}, nil
}

func (o *composeOptions) streams() (io.Reader, io.Writer) {
	stdin, stderr := o.stdin, o.stderr
	if stdin == nil {
		stdin = os.Stdin
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	return stdin, stderr
}

// load loads the stack the flags describe, with services (named on the command line)
// enabled whatever their profiles, and prints its warnings. require names services that
// must exist, scale is --scale.
func (o *composeOptions) load(ctx context.Context, services, require []string, scale map[string]int) (*project.Stack, error) {
	opts, err := o.request(ctx, services)
	if err != nil {
		return nil, err
	}
	stdin, stderr := o.streams()
	resp, err := callCompose(ctx, "load", helperapi.LoadRequest{Options: opts, Require: require, Scale: scale, Version: version.Version}, stdin, os.Stdout, stderr)
	if err != nil {
		return nil, err
	}
	return resp.Stack, nil
}
