// Package e2e tests the real berth binary as root: each test starts its own daemon under a
// private state root, drives it with the berth and docker CLIs, and removes every trace
// of it (processes, mounts, cgroups, runtime files) when it ends, passed or failed.
//
// Run with: make build && BERTH_BIN=$PWD/bin/berth go test -count=1 -p 1 -v ./e2e/
package e2e
