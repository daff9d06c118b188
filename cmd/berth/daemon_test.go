package main

import (
	"strings"
	"testing"
)

// TestDaemonMissingSaysWhere: a berth without its helpers built in (plain go build)
// looks for berth-daemon beside itself and says so when it is not there.
func TestDaemonMissingSaysWhere(t *testing.T) {
	err := runDaemon(&globalOptions{}, []string{"--root", t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "berth-daemon is missing: it must be installed beside berth") {
		t.Fatalf("runDaemon without berth-daemon: %v", err)
	}
}
