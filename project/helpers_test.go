package project

import (
	"context"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// testDir is the working directory of loaded test projects. Nothing is read from it: the
// file's content is given, so paths and hashes are the same on every machine.
const testDir = "/srv/demo"

// load parses a Compose file as berth's CLI does (interpolated, normalized, paths
// resolved) for project "demo".
func load(t *testing.T, yaml string) *types.Project {
	t.Helper()
	return loadIn(t, testDir, yaml)
}

func loadIn(t *testing.T, dir, yaml string) *types.Project {
	t.Helper()
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: dir + "/compose.yaml", Content: []byte(yaml)}},
		Environment: types.Mapping{"TAG": "1.2"},
	}, func(o *loader.Options) {
		o.SetProjectName("demo", true)
		o.ResolvePaths = true
	})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	p.ComposeFiles = []string{dir + "/compose.yaml"} // as the CLI's loader records them
	return p
}

// convert loads yaml and turns it into a Stack.
func convert(t *testing.T, yaml string, o Options) *Stack {
	t.Helper()
	st, err := FromCompose(load(t, yaml), o)
	if err != nil {
		t.Fatalf("FromCompose: %v", err)
	}
	return st
}

func service(t *testing.T, st *Stack, name string) Service {
	t.Helper()
	for _, s := range st.Services {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no service %q in %v", name, st.Services)
	return Service{}
}

// first is the first container of service name.
func first(t *testing.T, st *Stack, name string) Container {
	t.Helper()
	s := service(t, st, name)
	if len(s.Containers) == 0 {
		t.Fatalf("service %s has no containers", name)
	}
	return s.Containers[0]
}
