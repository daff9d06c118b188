package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMain builds berth-compose beside the test binary, where a berth built without
// embedded helpers looks for it, so commands that load Compose files run as they do
// for users.
func TestMain(m *testing.M) {
	exe, err := os.Executable()
	if err == nil {
		out, berr := exec.Command("go", "build", "-o", filepath.Join(filepath.Dir(exe), "berth-compose"), "berth/cmd/berth-compose").CombinedOutput()
		if berr != nil {
			err = fmt.Errorf("%v\n%s", berr, out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "build berth-compose:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
