package runtime

import (
	"fmt"
	"slices"
	"strings"

	"github.com/moby/profiles/seccomp"
	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Mount is a bind mount from the host (or a tmpfs when Type is "tmpfs").
type Mount struct {
	Source      string
	Destination string
	Type        string // "bind" (default) or "tmpfs"
	ReadOnly    bool
	Options     []string
}

// Config is everything the runtime needs to build one container's OCI spec.
type Config struct {
	ID       string
	Rootfs   string
	Args     []string
	Env      []string
	Cwd      string
	UID, GID uint32
	// AdditionalGids are supplementary groups, resolved by the caller from the image.
	AdditionalGids []uint32
	Hostname       string
	Terminal       bool
	Mounts         []Mount

	// NetNS is a network namespace to join; empty gives a fresh one with only loopback.
	NetNS string
	// HostNetwork shares the host's network namespace (--network host).
	HostNetwork bool
	// CgroupParent is the absolute cgroup path under which the container's cgroup is made.
	CgroupParent string

	MemoryBytes int64 // 0: no limit
	NanoCPUs    int64 // 1e9 is one CPU; 0: no limit
	PidsLimit   int64 // 0: no limit

	CapAdd, CapDrop []string
	Privileged      bool
	ReadOnly        bool
	NoNewPrivileges bool
	// Seccomp turns on Docker's default seccomp profile (unless Privileged).
	Seccomp bool
	// ShmSizeBytes sizes /dev/shm; 0 gives Docker's 64 MiB.
	ShmSizeBytes int64
	// Rlimits override the default limits (Docker's --ulimit), by name such as "nofile".
	Rlimits []Rlimit
	// Sysctls are namespaced kernel parameters set in the container (--sysctl).
	Sysctls map[string]string
	// UnmaskPaths leaves /proc's masked and read-only paths open
	// (--security-opt systempaths=unconfined).
	UnmaskPaths bool
}

// Rlimit is one resource limit; Name is Docker's short form ("nofile", "nproc", ...).
type Rlimit struct {
	Name       string
	Soft, Hard int64
}

var rlimitNames = map[string]bool{
	"as": true, "core": true, "cpu": true, "data": true, "fsize": true, "locks": true,
	"memlock": true, "msgqueue": true, "nice": true, "nofile": true, "nproc": true,
	"rss": true, "rtprio": true, "rttime": true, "sigpending": true, "stack": true,
}

// CheckRlimits validates Docker --ulimit settings.
func CheckRlimits(rls []Rlimit) error {
	for _, r := range rls {
		if !rlimitNames[r.Name] {
			return fmt.Errorf("invalid ulimit %q: unknown name", r.Name)
		}
		if r.Soft > r.Hard && r.Hard >= 0 {
			return fmt.Errorf("invalid ulimit %s: soft limit %d is above hard limit %d", r.Name, r.Soft, r.Hard)
		}
	}
	return nil
}

// DefaultCaps is Docker's default capability set.
var DefaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// allCaps is every capability the kernel berth targets knows, for --privileged and "ALL".
var allCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// Docker's masked and read-only paths (moby oci/defaults.go).
var (
	maskedPaths = []string{
		"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
	}
	readonlyPaths = []string{
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	}
)

// boundingCaps are the capabilities this process may hand on; nil when unknown.
func boundingCaps() []string {
	c, err := capability.NewPid2(0)
	if err != nil || c.Load() != nil {
		return nil
	}
	var out []string
	for _, cp := range capability.ListKnown() {
		if c.Get(capability.BOUNDING, cp) {
			out = append(out, "CAP_"+strings.ToUpper(cp.String()))
		}
	}
	return out
}

// everyCap is every capability berth can give: all the kernel knows that this process
// holds in its bounding set (a sandboxed host may lack some, and asking for one it lacks
// fails the start).
func everyCap() []string {
	b := boundingCaps()
	if b == nil {
		return slices.Clone(allCaps)
	}
	return slices.DeleteFunc(slices.Clone(allCaps), func(c string) bool { return !slices.Contains(b, c) })
}

// Capabilities resolves Docker's --cap-add/--cap-drop semantics against the default set.
// Names may omit the CAP_ prefix and use any case; "ALL" means every capability.
func Capabilities(add, drop []string, privileged bool) ([]string, error) {
	if privileged {
		return everyCap(), nil
	}
	norm := func(list []string) ([]string, error) {
		var out []string
		for _, c := range list {
			c = strings.ToUpper(strings.TrimSpace(c))
			if c == "ALL" {
				out = append(out, "ALL")
				continue
			}
			if !strings.HasPrefix(c, "CAP_") {
				c = "CAP_" + c
			}
			if !slices.Contains(allCaps, c) {
				return nil, fmt.Errorf("unknown capability %q", c)
			}
			out = append(out, c)
		}
		return out, nil
	}
	a, err := norm(add)
	if err != nil {
		return nil, fmt.Errorf("cap-add: %w", err)
	}
	d, err := norm(drop)
	if err != nil {
		return nil, fmt.Errorf("cap-drop: %w", err)
	}
	var caps []string
	switch {
	case slices.Contains(a, "ALL"):
		caps = slices.DeleteFunc(everyCap(), func(c string) bool { return slices.Contains(d, c) })
	case slices.Contains(d, "ALL"):
		for _, c := range a {
			if !slices.Contains(caps, c) {
				caps = append(caps, c)
			}
		}
	default:
		caps = slices.DeleteFunc(slices.Clone(DefaultCaps), func(c string) bool { return slices.Contains(d, c) })
		for _, c := range a {
			if !slices.Contains(caps, c) {
				caps = append(caps, c)
			}
		}
	}
	return caps, nil
}

// Spec builds the OCI runtime spec for c, with Docker's defaults for everything c leaves
// unset.
func Spec(c Config) (*specs.Spec, error) {
	if c.ID == "" || c.Rootfs == "" || len(c.Args) == 0 {
		return nil, fmt.Errorf("build spec: id, rootfs and args are required")
	}
	caps, err := Capabilities(c.CapAdd, c.CapDrop, c.Privileged)
	if err != nil {
		return nil, fmt.Errorf("build spec: %w", err)
	}
	cwd := c.Cwd
	if cwd == "" {
		cwd = "/"
	}
	shm := c.ShmSizeBytes
	if shm == 0 {
		shm = 64 << 20
	}
	sysOpts := []string{"nosuid", "noexec", "nodev", "ro"}
	cgroupOpts := []string{"nosuid", "noexec", "nodev", "relatime", "ro"}
	if c.Privileged {
		sysOpts[3] = "rw"
		cgroupOpts[4] = "rw"
	}
	s := &specs.Spec{
		Version:  "1.0.2",
		Hostname: c.Hostname,
		Root:     &specs.Root{Path: c.Rootfs, Readonly: c.ReadOnly},
		Process: &specs.Process{
			Terminal: c.Terminal,
			User:     specs.User{UID: c.UID, GID: c.GID, AdditionalGids: c.AdditionalGids},
			Args:     c.Args,
			Env:      c.Env,
			Cwd:      cwd,
			Capabilities: &specs.LinuxCapabilities{
				Bounding: caps, Effective: caps, Permitted: caps,
			},
			NoNewPrivileges: c.NoNewPrivileges,
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1048576, Soft: 1048576}},
		},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: sysOpts},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: cgroupOpts},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", fmt.Sprintf("size=%d", shm)}},
		},
		Linux: &specs.Linux{
			CgroupsPath: strings.TrimSuffix(c.CgroupParent, "/") + "/" + c.ID,
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
				{Type: specs.MountNamespace}, {Type: specs.NetworkNamespace, Path: c.NetNS},
			},
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: c.Privileged, Access: "rwm"}},
			},
		},
	}
	if len(c.Sysctls) > 0 {
		s.Linux.Sysctl = c.Sysctls
	}
	if c.HostNetwork {
		s.Linux.Namespaces = slices.DeleteFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == specs.NetworkNamespace })
	}
	if !c.Privileged && !c.UnmaskPaths {
		s.Linux.MaskedPaths = slices.Clone(maskedPaths)
		s.Linux.ReadonlyPaths = slices.Clone(readonlyPaths)
	}
	for _, m := range c.Mounts {
		s.Mounts = append(s.Mounts, ociMount(m))
	}
	if err := CheckRlimits(c.Rlimits); err != nil {
		return nil, fmt.Errorf("build spec: %w", err)
	}
	for _, r := range c.Rlimits {
		typ := "RLIMIT_" + strings.ToUpper(r.Name)
		s.Process.Rlimits = slices.DeleteFunc(s.Process.Rlimits, func(o specs.POSIXRlimit) bool { return o.Type == typ })
		s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: typ, Soft: uint64(r.Soft), Hard: uint64(r.Hard)})
	}
	if c.MemoryBytes < 0 || c.NanoCPUs < 0 || c.PidsLimit < 0 {
		return nil, fmt.Errorf("build spec: limits must not be negative")
	}
	if c.MemoryBytes > 0 {
		mem := c.MemoryBytes
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &mem}
	}
	if c.NanoCPUs > 0 {
		period := uint64(100000)
		quota := c.NanoCPUs * int64(period) / 1e9
		s.Linux.Resources.CPU = &specs.LinuxCPU{Period: &period, Quota: &quota}
	}
	if c.PidsLimit > 0 {
		p := c.PidsLimit
		s.Linux.Resources.Pids = &specs.LinuxPids{Limit: &p}
	}
	if c.Seccomp && !c.Privileged {
		sc, err := seccomp.GetDefaultProfile(s)
		if err != nil {
			return nil, fmt.Errorf("build spec: seccomp profile: %w", err)
		}
		s.Linux.Seccomp = sc
	}
	return s, nil
}

func ociMount(m Mount) specs.Mount {
	if m.Type == "tmpfs" {
		opts := append([]string{"nosuid", "nodev", "noexec"}, m.Options...)
		if m.ReadOnly {
			opts = append(opts, "ro")
		}
		return specs.Mount{Destination: m.Destination, Type: "tmpfs", Source: "tmpfs", Options: opts}
	}
	opts := append([]string{"rbind"}, m.Options...)
	if m.ReadOnly {
		opts = append(opts, "ro")
	} else {
		opts = append(opts, "rw")
	}
	return specs.Mount{Destination: m.Destination, Type: "bind", Source: m.Source, Options: opts}
}
