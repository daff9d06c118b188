// Command berth-daemon is berth's daemon on its own: the daemon's code without the CLI's
// (Compose loading, the Docker client, cobra), so the long-running process stays small.
// `berth daemon` runs it when it is installed beside berth-runtime and berth-shim, and
// runs the same code in-process otherwise. It takes `berth daemon`'s flags.
package main

import (
	"os"
	"path/filepath"

	"berth/daemon"
)

func main() {
	binDir := ""
	if exe, err := os.Executable(); err == nil {
		binDir = filepath.Dir(exe)
	}
	os.Exit(daemon.Main(os.Args[1:], binDir, os.Stderr))
}
