package engine

import (
	"encoding/json"
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// Limits on what one create may store. A container's record is kept in the state database
// and read again by every list, inspect and event, so a hostile create must not be able
// to make it huge. Each limit is far above any real use; docs/architecture.md lists them.
const (
	// maxNameBytes bounds a container's name.
	maxNameBytes = 255
	// maxHostnameBytes is Docker's, the kernel's HOST_NAME_MAX.
	maxHostnameBytes = 64
	// maxEntries bounds the labels, the environment entries, and the arguments of
	// Entrypoint and Cmd together, each.
	maxEntries = 4096
	// maxEntryBytes bounds one label (key and value), environment entry or argument.
	// It is Linux's MAX_ARG_STRLEN: a longer argument or environment entry cannot be
	// passed to exec anyway.
	maxEntryBytes = 128 << 10
	// maxConfigBytes bounds Config, HostConfig and NetworkingConfig together, as JSON.
	maxConfigBytes = 1 << 20
)

// checkLimits refuses a create that would store more than the limits allow, naming the
// field and its limit.
func checkLimits(name string, cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig) error {
	tooMany := func(field string, n int, unit string, limit int) error {
		return fmt.Errorf("%s: %d %s, over the limit of %d: %w", field, n, unit, limit, errdefs.ErrInvalidArgument)
	}
	if len(name) > maxNameBytes {
		return tooMany("container name", len(name), "bytes", maxNameBytes)
	}
	if len(cfg.Labels) > maxEntries {
		return tooMany("Labels", len(cfg.Labels), "labels", maxEntries)
	}
	for k, v := range cfg.Labels {
		if n := len(k) + len(v); n > maxEntryBytes {
			return tooMany(fmt.Sprintf("Labels[%.40q]", k), n, "bytes", maxEntryBytes)
		}
	}
	if len(cfg.Env) > maxEntries {
		return tooMany("Env", len(cfg.Env), "entries", maxEntries)
	}
	for i, kv := range cfg.Env {
		if len(kv) > maxEntryBytes {
			return tooMany(fmt.Sprintf("Env[%d]", i), len(kv), "bytes", maxEntryBytes)
		}
	}
	if n := len(cfg.Entrypoint) + len(cfg.Cmd); n > maxEntries {
		return tooMany("Entrypoint and Cmd", n, "arguments", maxEntries)
	}
	for _, f := range []struct {
		name string
		args []string
	}{{"Entrypoint", cfg.Entrypoint}, {"Cmd", cfg.Cmd}} {
		for i, a := range f.args {
			if len(a) > maxEntryBytes {
				return tooMany(fmt.Sprintf("%s[%d]", f.name, i), len(a), "bytes", maxEntryBytes)
			}
		}
	}
	size := 0
	for _, v := range []any{cfg, hc, nc} {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("container config: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		size += len(b)
	}
	if size > maxConfigBytes {
		return tooMany("container config (Config, HostConfig and NetworkingConfig as JSON)", size, "bytes", maxConfigBytes)
	}
	return nil
}
