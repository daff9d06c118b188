package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// helperBinaries are berth-runtime, berth-daemon, berth-init and berth-compose when they
// are built into this binary (make's embed_helpers tag), so users install one file; nil
// otherwise, and they are found beside the executable. helperDigest names this set of builds.
var (
	helperBinaries map[string][]byte
	helperDigest   string
)

// installHelpers writes the embedded helpers under root/bin/<digest>/ once per build and
// returns that directory; "" when none are embedded. An installed pair is recognized by
// name and size, so a daemon start does not page in the embedded copies.
func installHelpers(root string) (string, error) {
	if len(helperBinaries) == 0 {
		return "", nil
	}
	dir := filepath.Join(root, "bin", strings.TrimSpace(helperDigest))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("install helpers: %w", err)
	}
	for name, b := range helperBinaries {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Size() == int64(len(b)) {
			continue
		}
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, b, 0o755); err != nil {
			return "", fmt.Errorf("install helpers: %w", err)
		}
		if err := os.Rename(tmp, p); err != nil {
			return "", fmt.Errorf("install helpers: %w", err)
		}
	}
	return dir, nil
}
