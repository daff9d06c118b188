// Package daemon wires berth's daemon together: it takes the state root's lock, opens the
// state database, the image store, the runtime and the engine, and serves the API on the
// unix socket until its context ends.
package daemon
