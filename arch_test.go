package berth_test

import (
	"os/exec"
	"strings"
	"testing"
)

// deps lists every package pkg imports, directly or not.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// TestImportArrows guards the package arrows of DESIGN.md: data flows one way, and the
// binaries paid per container start stay lean.
func TestImportArrows(t *testing.T) {
	rules := []struct {
		pkg       string
		forbidden []string // import path prefixes
	}{
		// Below the engine: no Compose, no project, no engine.
		{"./engine/runtime/...", []string{"berth/engine", "berth/project", "berth/compose", "berth/api", "berth/store"}},
		{"./engine/image/...", []string{"berth/engine/runtime", "berth/project", "berth/compose", "berth/api", "berth/store"}},
		{"./store/...", []string{"berth/engine", "berth/api", "berth/project", "berth/compose"}},
		{"./engine", []string{"berth/api", "berth/daemon", "berth/cmd", "berth/compose"}},
		{"./graph", []string{"berth/", "github.com/compose-spec"}},
		{"./project", []string{"berth/engine", "berth/api", "berth/netstack", "berth/volumes", "berth/store", "berth/daemon"}},
		{"./volumes/...", []string{"berth/engine", "berth/api", "berth/store", "berth/project", "berth/compose"}},
		{"./netstack/...", []string{"berth/engine", "berth/project", "berth/compose", "berth/api", "berth/store"}},
		// Re-executed as every container's init, and one runs per container as its shim:
		// libcontainer, the shim's protocol and log writer, and little else.
		{"./cmd/berth-runtime", []string{"berth/engine/image", "berth/store", "berth/api", "berth/netstack", "berth/daemon", "berth/compose", "berth/project", "github.com/moby/moby", "github.com/google/go-containerregistry", "go.etcd.io/bbolt", "net/http", "github.com/spf13/cobra"}},
		// The long-running daemon: none of the CLI's weight.
		{"./cmd/berth-daemon", []string{"github.com/spf13/cobra", "github.com/compose-spec/compose-go/v2/loader", "github.com/santhosh-tekuri", "github.com/moby/moby/client", "berth/compose", "berth/cmd"}},
		// The CLI starts for every command: no Compose loader (berth-compose loads files),
		// no daemon.
		{"./cmd/berth", []string{"github.com/compose-spec/compose-go/v2/loader", "github.com/santhosh-tekuri", "berth/daemon", "berth/engine", "berth/netstack", "berth/volumes", "berth/store", "go.etcd.io/bbolt"}},
		{"./compose/helperapi", []string{"github.com/compose-spec/compose-go/v2/loader", "github.com/santhosh-tekuri"}},
		// PID 1 of --init containers: the standard library only.
		{"./cmd/berth-init", []string{"berth/", "github.com/", "golang.org/"}},
	}
	for _, r := range rules {
		t.Run(r.pkg, func(t *testing.T) {
			for _, d := range deps(t, r.pkg) {
				for _, f := range r.forbidden {
					if strings.HasPrefix(d, f) && !isSelf(r.pkg, d) {
						t.Errorf("%s imports %s", r.pkg, d)
					}
				}
			}
		})
	}
}

func isSelf(pattern, dep string) bool {
	p := "berth/" + strings.TrimSuffix(strings.TrimPrefix(pattern, "./"), "/...")
	return dep == p || strings.HasPrefix(dep, p+"/")
}

// TestAPIOnlyThroughTheEngine guards the rule that only the engine changes the host: the
// API server imports none of the engine's parts, so it reads through the engine's methods
// and changes nothing but through them.
func TestAPIOnlyThroughTheEngine(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, "./api").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string]bool{"berth/engine": true, "berth/api/stackapi": true, "berth/project": true, "berth/internal/version": true}
	for _, imp := range strings.Fields(string(out)) {
		if strings.HasPrefix(imp, "berth/") && !allowed[imp] {
			t.Errorf("api imports %s; reach it through the engine", imp)
		}
	}
}
