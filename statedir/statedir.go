// Package statedir derives every path berth uses from its state root, so two roots (two
// users, two tests) never share a file, a socket or a host object name.
package statedir

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
)

// DefaultRoot is the state root when neither --root nor BERTH_ROOT is given.
const DefaultRoot = "/var/lib/berth"

// Dirs are the locations derived from one state root.
type Dirs struct {
	Root   string // persistent state: database, images, logs
	Run    string // runtime files, on tmpfs so a reboot clears them
	Socket string // the daemon's API socket
	// Tag is a short name for host objects (cgroups, bridges, firewall chains) of this root.
	Tag string
}

// Resolve returns the directories of root ("" means BERTH_ROOT, else DefaultRoot).
func Resolve(root string) Dirs {
	if root == "" {
		root = os.Getenv("BERTH_ROOT")
	}
	if root == "" {
		root = DefaultRoot
	}
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	root = filepath.Clean(root)
	sum := sha256.Sum256([]byte(root))
	tag := hex.EncodeToString(sum[:])[:8]
	run := "/run/berth"
	if root != DefaultRoot {
		run = "/run/berth-" + tag
	}
	return Dirs{Root: root, Run: run, Socket: filepath.Join(run, "berth.sock"), Tag: tag}
}

// Host returns the daemon address to use: host if set, else BERTH_HOST, else the socket
// of d, as a unix:// URL.
func (d Dirs) Host(host string) string {
	if host == "" {
		host = os.Getenv("BERTH_HOST")
	}
	if host == "" {
		host = "unix://" + d.Socket
	}
	return host
}
