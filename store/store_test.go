package store

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
)

func TestContainers(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := NewContainers(db)
	a := &Container{ID: "abc111", Name: "web", Config: &container.Config{Image: "busybox"}}
	b := &Container{ID: "abc222", Name: "db"}
	for _, c := range []*Container{a, b} {
		if err := s.Create(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Create(&Container{ID: "zzz", Name: "web"}); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("duplicate name: %v", err)
	}
	lookups := []struct {
		ref  string
		want string
		err  error
	}{
		{"abc111", "abc111", nil},
		{"web", "abc111", nil},
		{"/db", "abc222", nil},
		{"abc2", "abc222", nil},
		{"abc", "", errdefs.ErrInvalidArgument},
		{"nope", "", errdefs.ErrNotFound},
	}
	for _, l := range lookups {
		t.Run(l.ref, func(t *testing.T) {
			c, err := s.Get(l.ref)
			if l.err != nil {
				if !errors.Is(err, l.err) {
					t.Fatalf("got %v, want %v", err, l.err)
				}
				return
			}
			if err != nil || c.ID != l.want {
				t.Fatalf("got %v %v, want %s", c, err, l.want)
			}
		})
	}
	if _, err := s.Update("abc111", func(c *Container) error { c.State.Status = container.StateRunning; return nil }); err != nil {
		t.Fatal(err)
	}
	failing := errors.New("no")
	if _, err := s.Update("abc111", func(c *Container) error { c.State.Status = container.StateDead; return failing }); !errors.Is(err, failing) {
		t.Fatal(err)
	}
	if c, _ := s.Get("web"); c.State.Status != container.StateRunning || c.Config.Image != "busybox" {
		t.Errorf("record after update %+v", c)
	}
	if err := s.Delete("abc111"); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(&Container{ID: "new", Name: "web"}); err != nil {
		t.Errorf("name not freed: %v", err)
	}
	list, _ := s.List()
	if len(list) != 2 {
		t.Errorf("list has %d", len(list))
	}
	if _, err := Open(filepath.Join(t.TempDir(), "x", "state.db")); err == nil {
		t.Error("open in a missing dir succeeded")
	}
}
