package project

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func TestNames(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		scale   map[string]int
		want    []string
		wantErr string
	}{
		{name: "one by default", yaml: "services: {web: {image: nginx}}", want: []string{"demo-web-1"}},
		{name: "deploy.replicas", yaml: "services: {web: {image: nginx, deploy: {replicas: 3}}}",
			want: []string{"demo-web-1", "demo-web-2", "demo-web-3"}},
		{name: "scale key", yaml: "services: {web: {image: nginx, scale: 2}}", want: []string{"demo-web-1", "demo-web-2"}},
		{name: "--scale wins", yaml: "services: {web: {image: nginx, deploy: {replicas: 3}}}", scale: map[string]int{"web": 2},
			want: []string{"demo-web-1", "demo-web-2"}},
		{name: "--scale 0", yaml: "services: {web: {image: nginx}}", scale: map[string]int{"web": 0}, want: nil},
		{name: "container_name", yaml: "services: {web: {image: nginx, container_name: front}}", want: []string{"front"}},
		{name: "container_name with replicas", yaml: "services: {web: {image: nginx, container_name: front}}",
			scale: map[string]int{"web": 2}, wantErr: "services.web: container_name can only be used with 1 replica"},
		{name: "--scale of an unknown service", yaml: "services: {web: {image: nginx}}", scale: map[string]int{"api": 2},
			wantErr: `--scale: no enabled service "api"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := FromCompose(load(t, tt.yaml), Options{Scale: tt.scale})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if !errors.Is(err, errdefs.ErrInvalidArgument) {
					t.Errorf("error %v is not an invalid argument", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, c := range service(t, st, "web").Containers {
				got = append(got, c.Name)
				if c.Number != i+1 {
					t.Errorf("%s: Number = %d, want %d", c.Name, c.Number, i+1)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("names = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLabels(t *testing.T) {
	st := convert(t, `
services:
  web:
    image: nginx:${TAG}
    labels: {team: web, com.docker.compose.project: spoofed}
    deploy: {replicas: 2}
    depends_on:
      db: {condition: service_healthy}
      cache: {condition: service_started, restart: true}
  db: {image: postgres}
  cache: {image: redis}
`, Options{Version: "0.3.0"})
	c := service(t, st, "web").Containers[1]
	want := map[string]string{
		"team":               "web",
		LabelProject:         "demo",
		LabelService:         "web",
		LabelContainerNumber: "2",
		LabelOneoff:          "False",
		LabelConfigHash:      c.Hash,
		LabelWorkingDir:      testDir,
		LabelConfigFiles:     testDir + "/compose.yaml",
		LabelVersion:         "0.3.0",
		LabelImage:           "nginx:1.2",
		LabelDependsOn:       "cache:service_started:true,db:service_healthy:false",
	}
	if !maps.Equal(c.Config.Labels, want) {
		t.Errorf("labels = %v\nwant %v", c.Config.Labels, want)
	}
	if len(c.Hash) != 64 {
		t.Errorf("hash %q is not a hex sha256", c.Hash)
	}
}

func TestEnvironment(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "web.env"), []byte("FROM_FILE=1\nB=file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := loadIn(t, dir, `
services:
  web:
    image: nginx
    env_file: web.env
    environment: [C=3, B=2, A=1, TAG, UNSET]
`)
	st, err := FromCompose(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := first(t, st, "web").Config.Env
	// environment: wins over env_file; TAG comes from the project's environment; UNSET has
	// no value and is passed without one, as Compose does.
	want := []string{"A=1", "B=2", "C=3", "FROM_FILE=1", "TAG=1.2", "UNSET"}
	if !slices.Equal(got, want) {
		t.Errorf("Env = %q, want %q", got, want)
	}
}

func TestCommand(t *testing.T) {
	tests := []struct {
		name           string
		yaml           string
		cmd, entry     []string
		cmdNil, entNil bool
	}{
		{name: "unset keeps the image's", yaml: "{image: busybox}", cmdNil: true, entNil: true},
		{name: "shell form", yaml: "{image: busybox, command: echo hi there}", cmd: []string{"echo", "hi", "there"}, entNil: true},
		{name: "exec form", yaml: `{image: busybox, entrypoint: ["/bin/sh", "-c"], command: ["echo hi"]}`,
			cmd: []string{"echo hi"}, entry: []string{"/bin/sh", "-c"}},
		{name: "explicitly empty clears", yaml: "{image: busybox, entrypoint: [], command: []}", cmd: []string{}, entry: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := first(t, convert(t, "services:\n  web: "+tt.yaml, Options{}), "web").Config
			if (c.Cmd == nil) != tt.cmdNil || (!tt.cmdNil && !slices.Equal(c.Cmd, tt.cmd)) {
				t.Errorf("Cmd = %#v, want %#v (nil %v)", c.Cmd, tt.cmd, tt.cmdNil)
			}
			if (c.Entrypoint == nil) != tt.entNil || (!tt.entNil && !slices.Equal(c.Entrypoint, tt.entry)) {
				t.Errorf("Entrypoint = %#v, want %#v (nil %v)", c.Entrypoint, tt.entry, tt.entNil)
			}
		})
	}
}

// bindings renders a PortMap as "PORT/PROTO -> IP:HOSTPORT" lines, sorted.
func bindings(pm network.PortMap) []string {
	var out []string
	for p, bs := range pm {
		for _, b := range bs {
			ip := ""
			if b.HostIP.IsValid() {
				ip = b.HostIP.String()
			}
			out = append(out, p.String()+" -> "+ip+":"+b.HostPort)
		}
	}
	slices.Sort(out)
	return out
}

func exposed(ps network.PortSet) []string {
	var out []string
	for p := range ps {
		out = append(out, p.String())
	}
	slices.Sort(out)
	return out
}

func TestPorts(t *testing.T) {
	tests := []struct {
		name         string
		ports        string
		wantBindings []string
		wantExposed  []string
	}{
		{name: "single", ports: `ports: ["8080:80"]`,
			wantBindings: []string{"80/tcp -> :8080"}, wantExposed: []string{"80/tcp"}},
		{name: "host ip", ports: `ports: ["127.0.0.1:8080:80"]`,
			wantBindings: []string{"80/tcp -> 127.0.0.1:8080"}, wantExposed: []string{"80/tcp"}},
		{name: "ipv6 host ip", ports: `ports: ["[::1]:8080:80"]`,
			wantBindings: []string{"80/tcp -> ::1:8080"}, wantExposed: []string{"80/tcp"}},
		{name: "range", ports: `ports: ["8000-8001:80-81"]`,
			wantBindings: []string{"80/tcp -> :8000", "81/tcp -> :8001"}, wantExposed: []string{"80/tcp", "81/tcp"}},
		{name: "host range for one port", ports: `ports: ["9000-9010:80"]`,
			wantBindings: []string{"80/tcp -> :9000-9010"}, wantExposed: []string{"80/tcp"}},
		{name: "random host port", ports: `ports: ["80"]`,
			wantBindings: []string{"80/tcp -> :"}, wantExposed: []string{"80/tcp"}},
		{name: "udp", ports: `ports: ["53:53/udp"]`,
			wantBindings: []string{"53/udp -> :53"}, wantExposed: []string{"53/udp"}},
		{name: "long syntax", ports: `ports: [{target: 80, published: "8080", host_ip: 0.0.0.0, protocol: tcp}]`,
			wantBindings: []string{"80/tcp -> 0.0.0.0:8080"}, wantExposed: []string{"80/tcp"}},
		{name: "same target twice", ports: `ports: ["8080:80", "127.0.0.1:8081:80"]`,
			wantBindings: []string{"80/tcp -> 127.0.0.1:8081", "80/tcp -> :8080"}, wantExposed: []string{"80/tcp"}},
		{name: "expose only", ports: `expose: ["3000", "4000-4001/udp"]`,
			wantExposed: []string{"3000/tcp", "4000/udp", "4001/udp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := first(t, convert(t, "services:\n  web: {image: nginx, "+tt.ports+"}", Options{}), "web")
			if got := bindings(c.HostConfig.PortBindings); !slices.Equal(got, tt.wantBindings) {
				t.Errorf("bindings = %q, want %q", got, tt.wantBindings)
			}
			if got := exposed(c.Config.ExposedPorts); !slices.Equal(got, tt.wantExposed) {
				t.Errorf("exposed = %q, want %q", got, tt.wantExposed)
			}
		})
	}
}

func TestVolumes(t *testing.T) {
	tests := []struct {
		name      string
		volumes   string
		top       string
		wantBinds []string
		wantAnon  []string
		wantTmpfs map[string]string
		wantStack []Volume
	}{
		{name: "relative bind is resolved", volumes: `volumes: ["./data:/data", "../shared:/shared:ro"]`,
			wantBinds: []string{"/srv/demo/data:/data", "/srv/shared:/shared:ro"}},
		{name: "bind options", volumes: `volumes: [{type: bind, source: /etc/app, target: /app, read_only: true, bind: {selinux: z, propagation: rslave}}]`,
			wantBinds: []string{"/etc/app:/app:ro,z,rslave"}},
		{name: "named volume uses its host name", volumes: `volumes: ["db:/var/lib/db", "logs:/logs:ro"]`,
			top:       "volumes: {db: {}, logs: {name: shared-logs}, unused: {}}",
			wantBinds: []string{"db_host_name_placeholder", "shared-logs:/logs:ro"},
			wantStack: []Volume{
				{Key: "db", Name: "demo_db", Labels: map[string]string{LabelVolume: "db", LabelProject: "demo"}},
				{Key: "logs", Name: "shared-logs", Labels: map[string]string{LabelVolume: "logs", LabelProject: "demo"}},
			}},
		{name: "external volume", volumes: `volumes: ["certs:/certs"]`, top: "volumes: {certs: {external: true}}",
			wantBinds: []string{"certs:/certs"}, wantStack: []Volume{{Key: "certs", Name: "certs", External: true}}},
		{name: "anonymous volume", volumes: `volumes: ["/cache", {type: volume, target: /tmpdata}]`,
			wantAnon: []string{"/cache", "/tmpdata"}},
		{name: "tmpfs", volumes: `tmpfs: ["/run", "/tmp:size=64m"], volumes: [{type: tmpfs, target: /scratch, tmpfs: {size: 1048576, mode: 0o1777}}]`,
			wantTmpfs: map[string]string{"/run": "", "/tmp": "size=64m", "/scratch": "size=1048576,mode=1777"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := convert(t, "services:\n  web: {image: nginx, "+tt.volumes+"}\n"+tt.top, Options{})
			c := first(t, st, "web")
			want := slices.Clone(tt.wantBinds)
			for i, b := range want {
				if b == "db_host_name_placeholder" {
					want[i] = "demo_db:/var/lib/db"
				}
			}
			slices.Sort(want)
			if !slices.Equal(c.HostConfig.Binds, want) {
				t.Errorf("Binds = %q, want %q", c.HostConfig.Binds, want)
			}
			if got := slices.Sorted(maps.Keys(c.Config.Volumes)); !slices.Equal(got, tt.wantAnon) {
				t.Errorf("anonymous volumes = %q, want %q", got, tt.wantAnon)
			}
			if !maps.Equal(c.HostConfig.Tmpfs, tt.wantTmpfs) {
				t.Errorf("Tmpfs = %q, want %q", c.HostConfig.Tmpfs, tt.wantTmpfs)
			}
			if !reflect.DeepEqual(st.Volumes, tt.wantStack) {
				t.Errorf("Stack.Volumes = %+v, want %+v", st.Volumes, tt.wantStack)
			}
		})
	}
}

func TestNetworks(t *testing.T) {
	st := convert(t, `
services:
  web:
    image: nginx
    networks:
      front: {aliases: [www, site]}
      back: {ipv4_address: 10.5.0.10, priority: 100}
  db:
    image: postgres
  sidecar:
    image: busybox
    network_mode: service:web
  host:
    image: busybox
    network_mode: host
networks:
  front: {}
  back:
    internal: true
    labels: {tier: back}
    ipam: {config: [{subnet: 10.5.0.0/16, gateway: 10.5.0.1}]}
  shared: {external: true, name: proxy}
`, Options{})

	t.Run("stack networks", func(t *testing.T) {
		want := []Network{
			{Key: "back", Name: "demo_back", Internal: true, Subnet: "10.5.0.0/16", Gateway: "10.5.0.1",
				Labels: map[string]string{"tier": "back", LabelNetwork: "back", LabelProject: "demo"}},
			{Key: "default", Name: "demo_default", Labels: map[string]string{LabelNetwork: "default", LabelProject: "demo"}},
			{Key: "front", Name: "demo_front", Labels: map[string]string{LabelNetwork: "front", LabelProject: "demo"}},
			{Key: "shared", Name: "proxy", External: true},
		}
		if !reflect.DeepEqual(st.Networks, want) {
			t.Errorf("Networks = %+v\nwant %+v", st.Networks, want)
		}
	})
	t.Run("aliases include the service name", func(t *testing.T) {
		eps := first(t, st, "web").Networking.EndpointsConfig
		if got := eps["demo_front"].Aliases; !slices.Equal(got, []string{"web", "site", "www"}) {
			t.Errorf("front aliases = %q", got)
		}
		if got := eps["demo_back"].Aliases; !slices.Equal(got, []string{"web"}) {
			t.Errorf("back aliases = %q", got)
		}
		if got := eps["demo_back"].IPAMConfig.IPv4Address.String(); got != "10.5.0.10" {
			t.Errorf("back ipv4 = %s", got)
		}
		if got := first(t, st, "db").Networking.EndpointsConfig["demo_default"].Aliases; !slices.Equal(got, []string{"db"}) {
			t.Errorf("db aliases = %q", got)
		}
	})
	modes := []struct{ service, want string }{
		{"web", "demo_back"}, // priority 100 before front
		{"db", "demo_default"},
		{"sidecar", "container:demo-web-1"},
		{"host", "host"},
	}
	for _, m := range modes {
		t.Run("network mode of "+m.service, func(t *testing.T) {
			c := first(t, st, m.service)
			if got := string(c.HostConfig.NetworkMode); got != m.want {
				t.Errorf("NetworkMode = %q, want %q", got, m.want)
			}
			if strings.HasPrefix(m.want, "demo_") != (len(c.Networking.EndpointsConfig) > 0) {
				t.Errorf("EndpointsConfig = %v with network mode %s", c.Networking.EndpointsConfig, m.want)
			}
		})
	}
	t.Run("service:x is a dependency", func(t *testing.T) {
		s := service(t, st, "sidecar")
		if s.NetworkModeService != "web" {
			t.Errorf("NetworkModeService = %q", s.NetworkModeService)
		}
		want := []Dependency{{Service: "web", Condition: "service_started", Required: true, Restart: true}}
		if !reflect.DeepEqual(s.DependsOn, want) {
			t.Errorf("DependsOn = %+v, want %+v", s.DependsOn, want)
		}
	})
}

func TestVolumesFrom(t *testing.T) {
	st := convert(t, `
services:
  data: {image: busybox, container_name: data-box, volumes: [/data]}
  app: {image: busybox, volumes_from: ["data:ro", "container:legacy"]}
`, Options{})
	s := service(t, st, "app")
	if got := s.Containers[0].HostConfig.VolumesFrom; !slices.Equal(got, []string{"data-box:ro", "legacy"}) {
		t.Errorf("VolumesFrom = %q", got)
	}
	if !slices.Equal(s.VolumesFromServices, []string{"data"}) {
		t.Errorf("VolumesFromServices = %q", s.VolumesFromServices)
	}
	if len(s.DependsOn) != 1 || s.DependsOn[0].Service != "data" || !s.DependsOn[0].Required {
		t.Errorf("DependsOn = %+v", s.DependsOn)
	}
}

func TestDependsOn(t *testing.T) {
	st := convert(t, `
services:
  web:
    image: nginx
    depends_on:
      db: {condition: service_healthy, restart: true}
      migrate: {condition: service_completed_successfully}
      cache: {condition: service_started, required: false}
  db: {image: postgres}
  migrate: {image: busybox}
  cache: {image: redis}
  api: {image: busybox, depends_on: [db]}
`, Options{})
	want := []Dependency{
		{Service: "cache", Condition: "service_started", Required: false},
		{Service: "db", Condition: "service_healthy", Required: true, Restart: true},
		{Service: "migrate", Condition: "service_completed_successfully", Required: true},
	}
	if got := service(t, st, "web").DependsOn; !reflect.DeepEqual(got, want) {
		t.Errorf("web DependsOn = %+v\nwant %+v", got, want)
	}
	if got := service(t, st, "api").DependsOn; !reflect.DeepEqual(got, []Dependency{{Service: "db", Condition: "service_started", Required: true}}) {
		t.Errorf("api DependsOn = %+v", got)
	}
}

func TestHealthcheck(t *testing.T) {
	tests := []struct {
		name string
		hc   string
		want *Healthcheck
	}{
		{name: "none", hc: "", want: nil},
		{name: "full", hc: `healthcheck: {test: ["CMD", "pg_isready"], interval: 5s, timeout: 2s, retries: 3, start_period: 1m, start_interval: 500ms}`,
			want: &Healthcheck{Test: []string{"CMD", "pg_isready"}, Interval: 5 * time.Second, Timeout: 2 * time.Second,
				Retries: 3, StartPeriod: time.Minute, StartInterval: 500 * time.Millisecond}},
		{name: "shell string", hc: `healthcheck: {test: "curl -f localhost"}`,
			want: &Healthcheck{Test: []string{"CMD-SHELL", "curl -f localhost"}}},
		{name: "disable", hc: `healthcheck: {disable: true}`, want: &Healthcheck{Test: []string{"NONE"}}},
		{name: "timings only keep the image's test", hc: `healthcheck: {interval: 1s}`, want: &Healthcheck{Interval: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := convert(t, "services:\n  db: {image: postgres, "+tt.hc+"}", Options{})
			s := service(t, st, "db")
			if !reflect.DeepEqual(s.Healthcheck, tt.want) {
				t.Errorf("Healthcheck = %+v, want %+v", s.Healthcheck, tt.want)
			}
			got := s.Containers[0].Config.Healthcheck
			if tt.want == nil {
				if got != nil {
					t.Errorf("Config.Healthcheck = %+v, want nil", got)
				}
				return
			}
			want := &container.HealthConfig{Test: tt.want.Test, Interval: tt.want.Interval, Timeout: tt.want.Timeout,
				Retries: tt.want.Retries, StartPeriod: tt.want.StartPeriod, StartInterval: tt.want.StartInterval}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Config.Healthcheck = %+v, want %+v", got, want)
			}
		})
	}
}

func TestResources(t *testing.T) {
	pids := func(n int64) *int64 { return &n }
	tests := []struct {
		name   string
		yaml   string
		memory int64
		nano   int64
		pids   *int64
	}{
		{name: "none", yaml: "", memory: 0, nano: 0, pids: nil},
		{name: "service keys", yaml: "mem_limit: 256m, cpus: 0.5, pids_limit: 100", memory: 256 << 20, nano: 5e8, pids: pids(100)},
		{name: "deploy limits", yaml: "deploy: {resources: {limits: {memory: 1g, cpus: '1.5', pids: 50}}}",
			memory: 1 << 30, nano: 15e8, pids: pids(50)},
		{name: "a tenth of a cpu", yaml: "cpus: 0.1", nano: 1e8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := first(t, convert(t, "services:\n  web: {image: nginx, "+tt.yaml+"}", Options{}), "web").HostConfig.Resources
			if r.Memory != tt.memory || r.NanoCPUs != tt.nano || !reflect.DeepEqual(r.PidsLimit, tt.pids) {
				t.Errorf("Memory %d NanoCPUs %d PidsLimit %v, want %d %d %v", r.Memory, r.NanoCPUs, r.PidsLimit, tt.memory, tt.nano, tt.pids)
			}
		})
	}
}

func TestRestart(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want container.RestartPolicy
	}{
		{name: "default", yaml: "", want: container.RestartPolicy{Name: "no"}},
		{name: "no", yaml: `restart: "no"`, want: container.RestartPolicy{Name: "no"}},
		{name: "always", yaml: "restart: always", want: container.RestartPolicy{Name: "always"}},
		{name: "on-failure", yaml: "restart: on-failure", want: container.RestartPolicy{Name: "on-failure"}},
		{name: "on-failure:3", yaml: "restart: on-failure:3", want: container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}},
		{name: "unless-stopped", yaml: "restart: unless-stopped", want: container.RestartPolicy{Name: "unless-stopped"}},
		{name: "deploy any", yaml: "deploy: {restart_policy: {condition: any}}", want: container.RestartPolicy{Name: "always"}},
		{name: "deploy on-failure", yaml: "deploy: {restart_policy: {condition: on-failure, max_attempts: 5}}",
			want: container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 5}},
		{name: "deploy none", yaml: "deploy: {restart_policy: {condition: none}}", want: container.RestartPolicy{Name: "no"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := first(t, convert(t, "services:\n  web: {image: nginx, "+tt.yaml+"}", Options{}), "web").HostConfig.RestartPolicy
			if got != tt.want {
				t.Errorf("RestartPolicy = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestHostConfig(t *testing.T) {
	c := first(t, convert(t, `
services:
  web:
    image: nginx
    user: "1000:1000"
    working_dir: /app
    hostname: web1
    domainname: example.org
    tty: true
    stdin_open: true
    stop_signal: SIGINT
    stop_grace_period: 1m30s
    cap_add: [SYS_TIME, NET_ADMIN]
    cap_drop: [ALL]
    privileged: true
    read_only: true
    security_opt: ["no-new-privileges:true"]
    sysctls: {net.core.somaxconn: "1024"}
    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512}
    extra_hosts: ["db.local:10.0.0.2", "api.local=10.0.0.3"]
    init: true
    shm_size: 64m
    logging: {driver: json-file, options: {max-size: 10m}}
`, Options{}), "web")
	cfg, hc := c.Config, c.HostConfig
	if cfg.User != "1000:1000" || cfg.WorkingDir != "/app" || cfg.Hostname != "web1" || cfg.Domainname != "example.org" ||
		!cfg.Tty || !cfg.OpenStdin || cfg.StopSignal != "SIGINT" || cfg.StopTimeout == nil || *cfg.StopTimeout != 90 {
		t.Errorf("Config = %+v", cfg)
	}
	if !slices.Equal(hc.CapAdd, []string{"NET_ADMIN", "SYS_TIME"}) || !slices.Equal(hc.CapDrop, []string{"ALL"}) {
		t.Errorf("caps = %q %q", hc.CapAdd, hc.CapDrop)
	}
	if !hc.Privileged || !hc.ReadonlyRootfs || !slices.Equal(hc.SecurityOpt, []string{"no-new-privileges:true"}) {
		t.Errorf("privileged %v readonly %v security %q", hc.Privileged, hc.ReadonlyRootfs, hc.SecurityOpt)
	}
	if hc.Sysctls["net.core.somaxconn"] != "1024" {
		t.Errorf("Sysctls = %v", hc.Sysctls)
	}
	wantUlimits := []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}, {Name: "nproc", Soft: 512, Hard: 512}}
	if !reflect.DeepEqual(hc.Ulimits, wantUlimits) {
		t.Errorf("Ulimits = %+v", hc.Ulimits)
	}
	if !slices.Equal(hc.ExtraHosts, []string{"api.local:10.0.0.3", "db.local:10.0.0.2"}) {
		t.Errorf("ExtraHosts = %q", hc.ExtraHosts)
	}
	if hc.Init == nil || !*hc.Init || hc.ShmSize != 64<<20 {
		t.Errorf("Init %v ShmSize %d", hc.Init, hc.ShmSize)
	}
	if hc.LogConfig.Type != "json-file" || hc.LogConfig.Config["max-size"] != "10m" {
		t.Errorf("LogConfig = %+v", hc.LogConfig)
	}
	if hc.AutoRemove {
		t.Error("AutoRemove")
	}
}

func TestImage(t *testing.T) {
	st := convert(t, "services:\n  app: {build: .}", Options{})
	if s := service(t, st, "app"); s.Image != "demo-app" || s.Containers[0].Config.Image != "demo-app" {
		t.Errorf("image of a built service = %q", s.Image)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *types.Project)
		want   string
	}{
		{name: "network_mode of a disabled service", mutate: func(p *types.Project) {
			setService(p, "web", func(s *types.ServiceConfig) { s.NetworkMode = "service:vpn"; s.Networks = nil })
		}, want: `services.web.network_mode: service "vpn" is not enabled`},
		{name: "undeclared network", mutate: func(p *types.Project) {
			setService(p, "web", func(s *types.ServiceConfig) { s.Networks["back"] = nil })
		}, want: `services.web.networks.back: network "back" is not declared`},
		{name: "undeclared volume", mutate: func(p *types.Project) {
			setService(p, "web", func(s *types.ServiceConfig) {
				s.Volumes = append(s.Volumes, types.ServiceVolumeConfig{Type: "volume", Source: "nope", Target: "/x"})
			})
		}, want: `services.web.volumes[2]: volume "nope" is not declared`},
		{name: "bad published port", mutate: func(p *types.Project) {
			setService(p, "web", func(s *types.ServiceConfig) { s.Ports[0].Published = "80:80" })
		}, want: `services.web.ports[0]: published "80:80" is not a port or range`},
		{name: "required dependency disabled", mutate: func(p *types.Project) {
			setService(p, "web", func(s *types.ServiceConfig) {
				s.DependsOn["vpn"] = types.ServiceDependency{Condition: "service_started", Required: true}
			})
		}, want: `services.web.depends_on.vpn: service "vpn" is not enabled`},
		{name: "invalid service name", mutate: func(p *types.Project) {
			p.Services["../x"] = types.ServiceConfig{Name: "../x", ContainerSpec: types.ContainerSpec{Image: "nginx"}}
		}, want: `services: invalid service name "../x"`},
		{name: "container_name of another service", mutate: func(p *types.Project) {
			setService(p, "web", func(s *types.ServiceConfig) { s.ContainerName = "app" })
			setService(p, "db", func(s *types.ServiceConfig) { s.ContainerName = "app" })
		}, want: `services.web.container_name: "app" is also the name of service db's container_name; choose another`},
		{name: "container_name berth gives another service", mutate: func(p *types.Project) {
			setService(p, "web", func(s *types.ServiceConfig) { s.ContainerName = "demo-db-1" })
		}, want: `services.web.container_name: "demo-db-1" is also the name of service db's container 1; choose another`},
		{name: "container_name berth gives a service's own replica", mutate: func(p *types.Project) {
			setService(p, "web", func(s *types.ServiceConfig) { s.ContainerName = "demo-a-2" })
			p.Services["a"] = types.ServiceConfig{Name: "a", Scale: ptr(2), ContainerSpec: types.ContainerSpec{Image: "nginx"}}
		}, want: `services.web.container_name: "demo-a-2" is also the name of service a's container 2; choose another`},
		{name: "no image", mutate: func(p *types.Project) {
			setService(p, "web", func(s *types.ServiceConfig) { s.Image = "" })
		}, want: "services.web: no image and no build"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := baseProject()
			tt.mutate(p)
			_, err := FromCompose(p, Options{})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("error = %v, want one starting %q", err, tt.want)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	st := convert(t, `
services:
  web:
    image: nginx
    deploy: {replicas: 2}
    volumes: [{type: volume, source: data, target: /data, volume: {subpath: sub}}]
volumes: {data: {}}
`, Options{})
	want := []string{"services.web.volumes[0].volume.subpath: not supported yet, ignored"}
	if !slices.Equal(st.Warnings, want) {
		t.Errorf("Warnings = %q, want %q (once, not per replica)", st.Warnings, want)
	}
}
