package runtime

import (
	"slices"
	"testing"
)

func TestCapabilities(t *testing.T) {
	tests := []struct {
		name       string
		add, drop  []string
		privileged bool
		want       []string // checked for presence
		absent     []string
		count      int // -1: don't check
		err        bool
	}{
		{name: "defaults", count: len(DefaultCaps), want: []string{"CAP_CHOWN", "CAP_KILL"}, absent: []string{"CAP_SYS_ADMIN"}},
		{name: "add short lowercase", add: []string{"sys_admin"}, want: []string{"CAP_SYS_ADMIN"}, count: len(DefaultCaps) + 1},
		{name: "drop", drop: []string{"CAP_NET_RAW"}, absent: []string{"CAP_NET_RAW"}, count: len(DefaultCaps) - 1},
		{name: "drop all add one", drop: []string{"ALL"}, add: []string{"NET_BIND_SERVICE"}, want: []string{"CAP_NET_BIND_SERVICE"}, count: 1},
		{name: "add all drop one", add: []string{"all"}, drop: []string{"SYS_ADMIN"}, absent: []string{"CAP_SYS_ADMIN"}, count: len(everyCap()) - 1},
		{name: "privileged", privileged: true, count: len(everyCap())},
		{name: "unknown", add: []string{"CAP_FLY"}, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Capabilities(tt.add, tt.drop, tt.privileged)
			if tt.err {
				if err == nil {
					t.Fatalf("want error, got %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.count >= 0 && len(got) != tt.count {
				t.Errorf("got %d caps %v, want %d", len(got), got, tt.count)
			}
			for _, c := range tt.want {
				if !slices.Contains(got, c) {
					t.Errorf("missing %s in %v", c, got)
				}
			}
			for _, c := range tt.absent {
				if slices.Contains(got, c) {
					t.Errorf("unexpected %s in %v", c, got)
				}
			}
		})
	}
}

func TestSpec(t *testing.T) {
	base := Config{ID: "abc", Rootfs: "/r", Args: []string{"/bin/true"}, CgroupParent: "/berth-x/", Seccomp: true}
	t.Run("defaults", func(t *testing.T) {
		s, err := Spec(base)
		if err != nil {
			t.Fatal(err)
		}
		if s.Linux.CgroupsPath != "/berth-x/abc" {
			t.Errorf("cgroups path %q", s.Linux.CgroupsPath)
		}
		if s.Process.Cwd != "/" {
			t.Errorf("cwd %q", s.Process.Cwd)
		}
		if s.Linux.Seccomp == nil || len(s.Linux.Seccomp.Syscalls) == 0 {
			t.Error("no seccomp profile")
		}
		if !slices.Contains(s.Linux.MaskedPaths, "/proc/kcore") || !slices.Contains(s.Linux.ReadonlyPaths, "/proc/sys") {
			t.Error("masked or read-only paths missing")
		}
		if s.Linux.Resources.Memory != nil || s.Linux.Resources.CPU != nil {
			t.Error("limits set without being asked")
		}
		var sys bool
		for _, m := range s.Mounts {
			if m.Destination == "/sys" && slices.Contains(m.Options, "ro") {
				sys = true
			}
		}
		if !sys {
			t.Error("/sys is not read-only")
		}
	})
	t.Run("limits", func(t *testing.T) {
		c := base
		c.MemoryBytes, c.NanoCPUs, c.PidsLimit = 64<<20, 500_000_000, 64
		s, err := Spec(c)
		if err != nil {
			t.Fatal(err)
		}
		r := s.Linux.Resources
		if *r.Memory.Limit != 64<<20 || *r.CPU.Quota != 50000 || *r.CPU.Period != 100000 || *r.Pids.Limit != 64 {
			t.Errorf("limits: mem %d quota %d period %d pids %d", *r.Memory.Limit, *r.CPU.Quota, *r.CPU.Period, *r.Pids.Limit)
		}
	})
	t.Run("privileged", func(t *testing.T) {
		c := base
		c.Privileged = true
		s, err := Spec(c)
		if err != nil {
			t.Fatal(err)
		}
		if s.Linux.Seccomp != nil || len(s.Linux.MaskedPaths) != 0 || !s.Linux.Resources.Devices[0].Allow {
			t.Error("privileged keeps seccomp, masks or device restrictions")
		}
	})
	t.Run("binds", func(t *testing.T) {
		c := base
		c.Mounts = []Mount{{Source: "/h", Destination: "/c", ReadOnly: true}, {Destination: "/t", Type: "tmpfs"}}
		s, err := Spec(c)
		if err != nil {
			t.Fatal(err)
		}
		n := len(s.Mounts)
		if m := s.Mounts[n-2]; m.Type != "bind" || !slices.Contains(m.Options, "ro") || m.Source != "/h" {
			t.Errorf("bind mount %+v", m)
		}
		if m := s.Mounts[n-1]; m.Type != "tmpfs" || m.Destination != "/t" {
			t.Errorf("tmpfs mount %+v", m)
		}
	})
	t.Run("missing args", func(t *testing.T) {
		c := base
		c.Args = nil
		if _, err := Spec(c); err == nil {
			t.Error("want error")
		}
	})
}
