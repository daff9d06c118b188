package engine

import (
	"encoding/json"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
)

// FuzzValidateCreate checks arbitrary create bodies and names as a create does before it
// makes anything: no panic, and every refusal is an invalid argument (400), never a 500.
func FuzzValidateCreate(f *testing.F) {
	f.Add([]byte(`{"Image":"busybox","Cmd":["true"]}`), "web")
	f.Fuzz(func(t *testing.T, body []byte, name string) {
		var req container.CreateRequest
		if json.Unmarshal(body, &req) != nil || req.Config == nil {
			return
		}
		hc := req.HostConfig
		if hc == nil {
			hc = &container.HostConfig{}
		}
		if err := validateCreate(name, req.Config, hc, req.NetworkingConfig); err != nil && !errdefs.IsInvalidArgument(err) {
			t.Fatalf("not an invalid argument: %v", err)
		}
	})
}
