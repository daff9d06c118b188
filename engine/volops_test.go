package engine

import (
	"reflect"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"berth/store"
)

func TestContainerVolumes(t *testing.T) {
	user := func(name string, binds []string, mounts ...mount.Mount) *store.Container {
		return &store.Container{ID: name + "-id", Name: name, Config: &container.Config{},
			HostConfig: &container.HostConfig{Binds: binds, Mounts: mounts}}
	}
	got := VolumeUsersOf([]*store.Container{
		user("web-1", []string{"data:/data", "/srv/x:/x", "./rel:/r", "data:/again:ro"}),
		user("web-2", []string{"cache:/cache:rw"}, mount.Mount{Type: mount.TypeVolume, Source: "data"},
			mount.Mount{Type: mount.TypeBind, Source: "bound"}),
		{ID: "x", Name: "no-hostconfig"},
	})
	want := map[string][]string{"data": {"web-1", "web-2"}, "cache": {"web-2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
