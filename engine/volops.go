package engine

import (
	"fmt"
	"strings"

	"github.com/moby/moby/api/types/mount"

	"berth/store"
	"berth/volumes"
)

// Volume changes made through the API or a stack go through these methods: whether a
// volume is in use is read under refMu, which creating a container shares, so no
// container comes to name a volume between the check and the removal; each change
// publishes Docker's event after it is recorded.

// CreateVolume creates a named volume, or an anonymous one when name is "".
func (e *Engine) CreateVolume(name string, labels, opts map[string]string) (volumes.Volume, error) {
	existed := false
	if name != "" {
		_, err := e.volumes.Get(name)
		existed = err == nil
	}
	v, err := e.volumes.Create(name, labels, opts)
	if err != nil {
		return v, err
	}
	if !existed {
		e.publishVolume(v.Name, "create")
	}
	return v, nil
}

// RemoveVolume removes a volume that no container uses, or with force one whatever uses it.
func (e *Engine) RemoveVolume(name string, force bool) error {
	e.refMu.Lock()
	defer e.refMu.Unlock()
	users, err := e.volumeUsersNow()
	if err != nil {
		return err
	}
	if err := e.volumes.Remove(name, force, users); err != nil {
		return err
	}
	e.publishVolume(name, "destroy")
	return nil
}

// PruneVolumes removes the unused volumes that match (the anonymous ones only, unless
// all), returning their names and the bytes freed. Those removed before an error are
// reported with it.
func (e *Engine) PruneVolumes(all bool, match func(volumes.Volume) bool) ([]string, int64, error) {
	e.refMu.Lock()
	defer e.refMu.Unlock()
	users, err := e.volumeUsersNow()
	if err != nil {
		return nil, 0, err
	}
	deleted, reclaimed, err := e.volumes.Prune(users, all, match)
	for _, name := range deleted {
		e.publishVolume(name, "destroy")
	}
	return deleted, reclaimed, err
}

// VolumeUsers maps each volume to the names of the containers that mount it, read once.
func (e *Engine) VolumeUsers() (map[string][]string, error) {
	list, err := e.containers.List()
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	return VolumeUsersOf(list), nil
}

// volumeUsersNow returns a function naming the containers that use a volume. It fails
// rather than call a volume unused when the containers cannot be read.
func (e *Engine) volumeUsersNow() (func(string) []string, error) {
	users, err := e.VolumeUsers()
	if err != nil {
		return nil, err
	}
	return func(name string) []string { return users[name] }, nil
}

// volumeUsers names the containers that use volume name.
func (e *Engine) volumeUsers(name string) []string {
	users, _ := e.VolumeUsers()
	return users[name]
}

// VolumeUsersOf maps each volume name to the names of the containers of list that mount
// it: binds "NAME:/path[:mode]" whose source is a volume, and mounts of type volume.
func VolumeUsersOf(list []*store.Container) map[string][]string {
	out := map[string][]string{}
	for _, c := range list {
		if c.HostConfig == nil {
			continue
		}
		seen := map[string]bool{}
		use := func(name string) {
			if name != "" && !seen[name] {
				seen[name] = true
				out[name] = append(out[name], c.Name)
			}
		}
		for _, b := range c.HostConfig.Binds {
			if src, _, ok := strings.Cut(b, ":"); ok && !strings.Contains(src, "/") {
				use(src)
			}
		}
		for _, m := range c.HostConfig.Mounts {
			if m.Type == mount.TypeVolume {
				use(m.Source)
			}
		}
	}
	return out
}

func (e *Engine) publishVolume(name, action string) {
	e.events.Publish(Event{Type: "volume", Action: action, ID: name, Attributes: map[string]string{"driver": "local"}})
}
