package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"berth/engine/image"
)

func TestMergeImageConfig(t *testing.T) {
	img := image.Image{Config: v1.ConfigFile{Config: v1.Config{
		Entrypoint: []string{"/entry"}, Cmd: []string{"serve"}, Env: []string{"PATH=/bin", "A=1"},
		WorkingDir: "/app", User: "app", Labels: map[string]string{"l": "image", "k": "image"},
		ExposedPorts: map[string]struct{}{"80/tcp": {}},
	}}}
	tests := []struct {
		name           string
		cfg            container.Config
		wantEntrypoint []string
		wantCmd        []string
		wantEnv        []string
		wantUser       string
	}{
		{"image defaults", container.Config{}, []string{"/entry"}, []string{"serve"}, []string{"PATH=/bin", "A=1"}, "app"},
		{"cmd replaces image cmd", container.Config{Cmd: []string{"x"}}, []string{"/entry"}, []string{"x"}, nil, "app"},
		{"entrypoint drops image cmd", container.Config{Entrypoint: []string{"/sh"}}, []string{"/sh"}, nil, nil, "app"},
		{"env overrides by name", container.Config{Env: []string{"A=2", "B=3"}}, nil, nil, []string{"PATH=/bin", "A=2", "B=3"}, "app"},
		{"user override", container.Config{User: "0:0"}, nil, nil, nil, "0:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergeImageConfig(&tt.cfg, img)
			if tt.wantEntrypoint != nil && !slices.Equal(got.Entrypoint, tt.wantEntrypoint) {
				t.Errorf("entrypoint %v", got.Entrypoint)
			}
			if (tt.wantEntrypoint != nil || tt.wantCmd != nil) && !slices.Equal(got.Cmd, tt.wantCmd) {
				t.Errorf("cmd %v, want %v", got.Cmd, tt.wantCmd)
			}
			if tt.wantEnv != nil && !slices.Equal(got.Env, tt.wantEnv) {
				t.Errorf("env %v", got.Env)
			}
			if got.User != tt.wantUser || got.WorkingDir != "/app" {
				t.Errorf("user %q workdir %q", got.User, got.WorkingDir)
			}
			if len(got.ExposedPorts) != 1 {
				t.Errorf("exposed ports %v", got.ExposedPorts)
			}
		})
	}
	withLabels := mergeImageConfig(&container.Config{Labels: map[string]string{"k": "mine"}}, img)
	if withLabels.Labels["k"] != "mine" || withLabels.Labels["l"] != "image" {
		t.Errorf("labels %v", withLabels.Labels)
	}
}

func TestParseBind(t *testing.T) {
	tests := []struct {
		in   string
		ro   bool
		fail string
	}{
		{in: "/h:/c"},
		{in: "/h:/c:ro", ro: true},
		{in: "/h:/c:rw"},
		{in: "../x:/c", fail: "neither an absolute host path nor a volume name"},
		{in: "/h:c", fail: "must be absolute"},
		{in: "/h", fail: "HOST:CONTAINER"},
		{in: "/h:/c:xx", fail: "unknown option"},
		{in: "/h:/c:rshared"},
		{in: "/h:/c:ro,rslave,z", ro: true},
		{in: "/h:/c:rshared,private", fail: "propagation is both"},
		{in: "/h:/c:nocopy", fail: "nocopy applies only to a named volume"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m, err := parseBind(tt.in)
			if tt.fail != "" {
				if err == nil || !strings.Contains(err.Error(), tt.fail) || !errdefs.IsInvalidArgument(err) {
					t.Fatalf("err %v, want %q", err, tt.fail)
				}
				return
			}
			if err != nil || m.ReadOnly != tt.ro || m.Source != "/h" || m.Destination != "/c" {
				t.Fatalf("%+v %v", m, err)
			}
		})
	}
	// What project emits for Compose's volume.nocopy and bind.propagation parses.
	m, err := parseBind("data:/var/lib/data:ro,nocopy")
	if err != nil || !m.NoCopy || !m.ReadOnly || m.Type != "volume" {
		t.Errorf("nocopy volume: %+v %v", m, err)
	}
	m, err = parseBind("/h:/c:rshared")
	if err != nil || len(m.Options) != 1 || m.Options[0] != "rshared" {
		t.Errorf("propagation: %+v %v", m, err)
	}
}

func TestLogLimits(t *testing.T) {
	tests := []struct {
		name  string
		opts  map[string]string
		bytes int64
		files int
		fail  bool
	}{
		{"none", nil, 0, 1, false},
		{"size and files", map[string]string{"max-size": "10m", "max-file": "3"}, 10 << 20, 3, false},
		{"bad size", map[string]string{"max-size": "lots"}, 0, 0, true},
		{"files without size", map[string]string{"max-file": "3"}, 0, 0, true},
		{"zero files", map[string]string{"max-size": "1k", "max-file": "0"}, 0, 0, true},
		{"unknown", map[string]string{"colour": "red"}, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, f, err := logLimits(tt.opts)
			if (err != nil) != tt.fail || (!tt.fail && (b != tt.bytes || f != tt.files)) {
				t.Errorf("got %d %d %v", b, f, err)
			}
		})
	}
}

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]int{"": 15, "TERM": 15, "SIGKILL": 9, "usr1": 10, "9": 9} {
		got, err := ParseSignal(in)
		if err != nil || int(got) != want {
			t.Errorf("%q: %d %v", in, got, err)
		}
	}
	for _, bad := range []string{"NOPE", "0", "99"} {
		if _, err := ParseSignal(bad); !errdefs.IsInvalidArgument(err) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestEtcFiles(t *testing.T) {
	dir := t.TempDir()
	if err := writeEtcFiles(dir, "web", "", []string{"db:10.0.0.2"}); err != nil {
		t.Fatal(err)
	}
	hosts, _ := os.ReadFile(filepath.Join(dir, "hosts"))
	for _, want := range []string{"127.0.0.1\tlocalhost", "10.0.0.2\tdb", "127.0.1.1\tweb"} {
		if !strings.Contains(string(hosts), want) {
			t.Errorf("hosts lacks %q:\n%s", want, hosts)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "hostname")); string(b) != "web\n" {
		t.Errorf("hostname %q", b)
	}
	if err := writeEtcFiles(dir, "web", "", []string{"db"}); err == nil {
		t.Error("extra host without IP accepted")
	}
}

func TestUnsupportedSettingsWarn(t *testing.T) {
	cfg := &container.Config{Volumes: map[string]struct{}{"/data": {}}}
	hc := &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: "always"}}
	got := unsupported(cfg, hc)
	if len(got) != 1 || !strings.Contains(got[0], "always") {
		t.Errorf("warnings %q", got)
	}
	if got := unsupported(&container.Config{}, &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: "no"}}); len(got) != 0 {
		t.Errorf("warnings for defaults: %q", got)
	}
}

func TestValidateCreate(t *testing.T) {
	res := func(r container.Resources) container.HostConfig { return container.HostConfig{Resources: r} }
	ncpu := numCPU()
	tests := []struct {
		name string
		cfg  container.Config
		hc   container.HostConfig
		msg  string // "" accepts
	}{
		{name: "defaults"},
		{name: "nnp", hc: container.HostConfig{SecurityOpt: []string{"no-new-privileges"}}},
		{name: "swap unlimited", hc: res(container.Resources{Memory: 64 << 20, MemorySwap: -1})},
		{name: "swap above memory", hc: res(container.Resources{Memory: 64 << 20, MemorySwap: 128 << 20})},
		{name: "cpu quota and period", hc: res(container.Resources{CPUQuota: 50000, CPUPeriod: 100000})},
		{name: "unlimited cpu quota", hc: res(container.Resources{CPUQuota: -1})},
		{name: "absolute workdir", cfg: container.Config{WorkingDir: "/app"}},
		{name: "env without value", cfg: container.Config{Env: []string{"A", "B="}}},
		{name: "bind", hc: container.HostConfig{Binds: []string{"/h:/c", "vol:/data:ro"}}},
		{name: "negative memory", hc: res(container.Resources{Memory: -1}),
			msg: "Minimum memory limit allowed is 6MB"},
		{name: "memory too small", hc: res(container.Resources{Memory: 1 << 20}),
			msg: "Minimum memory limit allowed is 6MB"},
		{name: "swap below memory", hc: res(container.Resources{Memory: 64 << 20, MemorySwap: 32 << 20}),
			msg: "Minimum memoryswap limit should be larger than memory limit, see usage"},
		{name: "swap without memory", hc: res(container.Resources{MemorySwap: 32 << 20}),
			msg: "You should always set the Memory limit when using Memoryswap limit, see usage"},
		{name: "too many cpus", hc: res(container.Resources{NanoCPUs: 1e15}),
			msg: fmt.Sprintf("range of CPUs is from 0.01 to %[1]d.00, as there are only %[1]d CPUs available", ncpu)},
		{name: "negative cpus", hc: res(container.Resources{NanoCPUs: -1}),
			msg: fmt.Sprintf("range of CPUs is from 0.01 to %[1]d.00, as there are only %[1]d CPUs available", ncpu)},
		{name: "cpus and period", hc: res(container.Resources{NanoCPUs: 1e9, CPUPeriod: 100000}),
			msg: "Conflicting options: Nano CPUs and CPU Period cannot both be set"},
		{name: "cpus and quota", hc: res(container.Resources{NanoCPUs: 1e9, CPUQuota: 50000}),
			msg: "Conflicting options: Nano CPUs and CPU Quota cannot both be set"},
		{name: "negative cpu shares", hc: res(container.Resources{CPUShares: -2}),
			msg: "invalid CPU shares (-2): value must be a positive integer"},
		{name: "cpu period too short", hc: res(container.Resources{CPUPeriod: 999}),
			msg: "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"},
		{name: "cpu period too long", hc: res(container.Resources{CPUPeriod: 1000001}),
			msg: "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"},
		{name: "cpu quota too small", hc: res(container.Resources{CPUQuota: 999}),
			msg: "CPU cfs quota can not be less than 1ms (i.e. 1000)"},
		{name: "negative shm size", hc: container.HostConfig{ShmSize: -1},
			msg: "SHM size can not be less than 0"},
		{name: "relative workdir", cfg: container.Config{WorkingDir: "app"},
			msg: "the working directory 'app' is invalid, it needs to be an absolute path"},
		{name: "env without name", cfg: container.Config{Env: []string{"A=1", "=x"}},
			msg: "invalid environment variable: =x"},
		{name: "empty env entry", cfg: container.Config{Env: []string{""}},
			msg: "invalid environment variable: "},
		{name: "hostname too long", cfg: container.Config{Hostname: strings.Repeat("h", 65)},
			msg: `hostname "` + strings.Repeat("h", 65) + `" is too long (maximum 64 bytes)`},
		{name: "bind on root", hc: container.HostConfig{Binds: []string{"/h:/"}},
			msg: `invalid volume specification: '/h:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`},
		{name: "bind on root, unclean", hc: container.HostConfig{Binds: []string{"/h:/x/..:ro"}},
			msg: `invalid volume specification: '/h:/x/..:ro': invalid mount config for type "bind": invalid specification: destination can't be '/'`},
		{name: "volume on root", hc: container.HostConfig{Binds: []string{"data:/"}},
			msg: `invalid volume specification: 'data:/': invalid mount config for type "volume": invalid specification: destination can't be '/'`},
		{name: "bind relative", hc: container.HostConfig{Binds: []string{"/tmp:tmp"}},
			msg: `invalid volume specification: '/tmp:tmp': invalid mount config for type "bind": invalid mount path: 'tmp' mount path must be absolute`},
		{name: "mount on root", hc: container.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeBind, Source: "/h", Target: "/"}}},
			msg: `invalid mount config for type "bind": invalid specification: destination can't be '/'`},
		{name: "mount without target", hc: container.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeVolume}}},
			msg: `invalid mount config for type "volume": field Target must not be empty`},
		{name: "tmpfs on root", hc: container.HostConfig{Tmpfs: map[string]string{"/": ""}},
			msg: `invalid specification: destination can't be '/'`},
		{name: "unknown cap", hc: container.HostConfig{CapAdd: []string{"FLY"}},
			msg: `cap-add: unknown capability "CAP_FLY"`},
		{name: "bad security opt", hc: container.HostConfig{SecurityOpt: []string{"apparmor=x"}},
			msg: `security-opt "apparmor=x" is not supported; berth knows no-new-privileges and seccomp=unconfined`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateCreate("", &tt.cfg, &tt.hc, nil)
			if tt.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !errdefs.IsInvalidArgument(err) || strings.TrimSuffix(err.Error(), ": invalid argument") != tt.msg {
				t.Errorf("got  %v\nwant %s", err, tt.msg)
			}
		})
	}
}

func TestCreateLimits(t *testing.T) {
	many := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	labels := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprint("l", i)] = "v"
		}
		return m
	}
	long := strings.Repeat("x", maxEntryBytes)
	tests := []struct {
		name  string
		cname string
		cfg   container.Config
		hc    container.HostConfig
		msg   string // "" accepts
	}{
		{name: "at the limits", cname: strings.Repeat("n", maxNameBytes),
			cfg: container.Config{Labels: labels(maxEntries), Env: []string{"A=" + long[2:]}, Cmd: []string{long[:1000]}}},
		{name: "name too long", cname: strings.Repeat("n", maxNameBytes+1),
			msg: "container name: 256 bytes, over the limit of 255"},
		{name: "too many labels", cfg: container.Config{Labels: labels(maxEntries + 1)},
			msg: "Labels: 4097 labels, over the limit of 4096"},
		{name: "label too long", cfg: container.Config{Labels: map[string]string{"big": long}},
			msg: `Labels["big"]: 131075 bytes, over the limit of 131072`},
		{name: "too many env entries", cfg: container.Config{Env: many(maxEntries+1, func(i int) string { return fmt.Sprint("E", i, "=1") })},
			msg: "Env: 4097 entries, over the limit of 4096"},
		{name: "env entry too long", cfg: container.Config{Env: []string{"A=1", "B=" + long}},
			msg: "Env[1]: 131074 bytes, over the limit of 131072"},
		{name: "too many args", cfg: container.Config{Entrypoint: []string{"sh"}, Cmd: many(maxEntries, func(int) string { return "a" })},
			msg: "Entrypoint and Cmd: 4097 arguments, over the limit of 4096"},
		{name: "arg too long", cfg: container.Config{Cmd: []string{"echo", long + "x"}},
			msg: "Cmd[1]: 131073 bytes, over the limit of 131072"},
		{name: "config too large", cfg: container.Config{Env: many(10, func(i int) string { return fmt.Sprint("E", i, "=", long[:120<<10]) })},
			msg: "container config (Config, HostConfig and NetworkingConfig as JSON)"},
		{name: "binds too large", hc: container.HostConfig{Binds: many(2000, func(i int) string { return "/" + long[:600] + ":/c" })},
			msg: "container config (Config, HostConfig and NetworkingConfig as JSON)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateCreate(tt.cname, &tt.cfg, &tt.hc, nil)
			if tt.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !errdefs.IsInvalidArgument(err) || !strings.HasPrefix(err.Error(), tt.msg) {
				t.Errorf("got  %v\nwant %s", err, tt.msg)
			}
		})
	}
}
