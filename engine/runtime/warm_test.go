package runtime

import (
	"os"
	"strings"
	"testing"
)

func TestMigrationFile(t *testing.T) {
	p := migrationFile()
	if p == "" {
		t.Skip("no pids or unified cgroup hierarchy here")
	}
	if !strings.HasPrefix(p, "/sys/fs/cgroup/") || !strings.HasSuffix(p, "/cgroup.procs") {
		t.Fatalf("migration file %q", p)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("migration file %s: %v", p, err)
	}
}
