package project

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// hash is the config hash: a hex sha256 of the JSON of everything the engine is given to
// create the container, minus what is per replica (the name, number and default hostname
// are not in it). encoding/json writes map keys sorted, and the builders above sort the
// lists whose order does not matter (env, binds, capabilities, aliases, bindings), so the
// same project hashes the same in every run.
func hash(cfg container.Config, hc container.HostConfig, nc network.NetworkingConfig) (string, error) {
	labels := maps.Clone(cfg.Labels)
	// These differ between replicas, between berth versions, or between invocations that
	// do not change the container (another -f file that leaves this service alone), so
	// they must not force a recreate.
	for _, l := range []string{LabelConfigHash, LabelContainerNumber, LabelVersion, LabelWorkingDir, LabelConfigFiles} {
		delete(labels, l)
	}
	cfg.Labels = labels
	b, err := json.Marshal(struct {
		Config     container.Config
		HostConfig container.HostConfig
		Networking network.NetworkingConfig
	}{cfg, hc, nc})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
