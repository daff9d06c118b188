package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/pflag"

	"berth/compose"
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

// load loads the project the flags describe, with services (named on the command line)
// enabled whatever their profiles, and prints its warnings.
func (o *composeOptions) load(ctx context.Context, services []string) (*types.Project, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("current directory: %w", err)
	}
	stdin, stderr := o.stdin, o.stderr
	if stdin == nil {
		stdin = os.Stdin
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	p, warnings, err := compose.Load(ctx, compose.Options{
		WorkingDir:    wd,
		ProjectDir:    o.projectDir,
		Files:         o.files,
		Stdin:         stdin,
		EnvFiles:      o.envFiles,
		Profiles:      o.profiles,
		ProjectName:   o.projectName,
		Environ:       os.Environ(),
		Services:      services,
		NoInterpolate: o.noInterpolate,
	})
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "berth: warning: %s\n", w)
	}
	return p, nil
}
