package project

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

func ptr[T any](v T) *T { return &v }

// baseProject is a small project built in Go, as a loader would leave it.
func baseProject() *types.Project {
	return &types.Project{
		Name:         "demo",
		WorkingDir:   "/srv/demo",
		ComposeFiles: []string{"/srv/demo/compose.yaml"},
		Services: types.Services{
			"web": {
				Name: "web",
				ContainerSpec: types.ContainerSpec{
					Image:       "nginx:1.27",
					Command:     types.ShellCommand{"nginx", "-g", "daemon off;"},
					Environment: types.MappingWithEquals{"A": ptr("1"), "B": ptr("2"), "C": ptr("3")},
					Labels:      types.Labels{"team": "web", "tier": "front"},
					CapAdd:      []string{"NET_ADMIN", "SYS_TIME"},
					Volumes: []types.ServiceVolumeConfig{
						{Type: "bind", Source: "/srv/demo/html", Target: "/usr/share/nginx/html", ReadOnly: true},
						{Type: "volume", Source: "data", Target: "/data"},
					},
					Networks: map[string]*types.ServiceNetworkConfig{
						"default": nil,
						"front":   {Aliases: []string{"www", "site"}},
					},
					ExtraHosts: types.HostsList{"a.local": {"10.0.0.1"}, "b.local": {"10.0.0.2"}},
				},
				WorkloadSpec: types.WorkloadSpec{
					Ports: []types.ServicePortConfig{
						{Target: 80, Published: "8080", Protocol: "tcp"},
						{Target: 443, Published: "8443", Protocol: "tcp"},
					},
					DependsOn: types.DependsOnConfig{"db": {Condition: "service_started", Required: true}},
				},
			},
			"db": {
				Name:          "db",
				ContainerSpec: types.ContainerSpec{Image: "postgres:17", Networks: map[string]*types.ServiceNetworkConfig{"default": nil}},
			},
		},
		Networks: types.Networks{"default": {Name: "demo_default"}, "front": {Name: "demo_front"}},
		Volumes:  types.Volumes{"data": {Name: "demo_data"}},
	}
}

// setService edits one service of p in place.
func setService(p *types.Project, name string, edit func(*types.ServiceConfig)) {
	s := p.Services[name]
	edit(&s)
	p.Services[name] = s
}

func webHash(t *testing.T, p *types.Project, o Options) string {
	t.Helper()
	st, err := FromCompose(p, o)
	if err != nil {
		t.Fatal(err)
	}
	return first(t, st, "web").Hash
}

func TestHash(t *testing.T) {
	base := webHash(t, baseProject(), Options{Version: "1.0"})
	web := func(edit func(*types.ServiceConfig)) func(*types.Project, *Options) {
		return func(p *types.Project, _ *Options) { setService(p, "web", edit) }
	}
	tests := []struct {
		name    string
		mutate  func(*types.Project, *Options)
		changed bool
	}{
		{name: "identical input", mutate: func(*types.Project, *Options) {}, changed: false},
		{name: "environment written in another order", mutate: web(func(s *types.ServiceConfig) {
			s.Environment = types.MappingWithEquals{"C": ptr("3"), "A": ptr("1"), "B": ptr("2")}
		}), changed: false},
		{name: "cap_add in another order", mutate: web(func(s *types.ServiceConfig) { s.CapAdd = []string{"SYS_TIME", "NET_ADMIN"} }), changed: false},
		{name: "volumes in another order", mutate: web(func(s *types.ServiceConfig) { s.Volumes[0], s.Volumes[1] = s.Volumes[1], s.Volumes[0] }), changed: false},
		{name: "ports in another order", mutate: web(func(s *types.ServiceConfig) { s.Ports[0], s.Ports[1] = s.Ports[1], s.Ports[0] }), changed: false},
		{name: "aliases in another order", mutate: web(func(s *types.ServiceConfig) { s.Networks["front"].Aliases = []string{"site", "www"} }), changed: false},
		{name: "another berth version", mutate: func(_ *types.Project, o *Options) { o.Version = "2.0" }, changed: false},
		{name: "another -f file", mutate: func(p *types.Project, _ *Options) { p.ComposeFiles = append(p.ComposeFiles, "/srv/demo/override.yaml") }, changed: false},
		{name: "more replicas", mutate: func(_ *types.Project, o *Options) { o.Scale = map[string]int{"web": 3} }, changed: false},
		{name: "another service changed", mutate: func(p *types.Project, _ *Options) {
			setService(p, "db", func(s *types.ServiceConfig) { s.Image = "postgres:18" })
		}, changed: false},

		{name: "environment value", mutate: web(func(s *types.ServiceConfig) { s.Environment["B"] = ptr("20") }), changed: true},
		{name: "environment added", mutate: web(func(s *types.ServiceConfig) { s.Environment["D"] = ptr("4") }), changed: true},
		{name: "image", mutate: web(func(s *types.ServiceConfig) { s.Image = "nginx:1.28" }), changed: true},
		{name: "command", mutate: web(func(s *types.ServiceConfig) { s.Command = types.ShellCommand{"nginx"} }), changed: true},
		{name: "command cleared", mutate: web(func(s *types.ServiceConfig) { s.Command = types.ShellCommand{} }), changed: true},
		{name: "published port", mutate: web(func(s *types.ServiceConfig) { s.Ports[0].Published = "9090" }), changed: true},
		{name: "port protocol", mutate: web(func(s *types.ServiceConfig) { s.Ports[0].Protocol = "udp" }), changed: true},
		{name: "bind source", mutate: web(func(s *types.ServiceConfig) { s.Volumes[0].Source = "/srv/demo/site" }), changed: true},
		{name: "bind read-only", mutate: web(func(s *types.ServiceConfig) { s.Volumes[0].ReadOnly = false }), changed: true},
		{name: "named volume", mutate: func(p *types.Project, _ *Options) {
			p.Volumes["data"] = types.VolumeConfig{Name: "other_data"}
		}, changed: true},
		{name: "network left", mutate: web(func(s *types.ServiceConfig) { delete(s.Networks, "front") }), changed: true},
		{name: "network alias", mutate: web(func(s *types.ServiceConfig) { s.Networks["front"].Aliases = []string{"www"} }), changed: true},
		{name: "network host name", mutate: func(p *types.Project, _ *Options) { p.Networks["front"] = types.NetworkConfig{Name: "edge"} }, changed: true},
		{name: "label", mutate: web(func(s *types.ServiceConfig) { s.Labels["tier"] = "edge" }), changed: true},
		{name: "dependency condition", mutate: web(func(s *types.ServiceConfig) {
			s.DependsOn["db"] = types.ServiceDependency{Condition: "service_healthy", Required: true}
		}), changed: true},
		{name: "restart", mutate: web(func(s *types.ServiceConfig) { s.Restart = "always" }), changed: true},
		{name: "memory", mutate: web(func(s *types.ServiceConfig) { s.MemLimit = 1 << 30 }), changed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, o := baseProject(), Options{Version: "1.0"}
			tt.mutate(p, &o)
			got := webHash(t, p, o)
			if (got != base) != tt.changed {
				t.Errorf("hash changed = %v, want %v", got != base, tt.changed)
			}
		})
	}
}

func TestHashSharedByReplicas(t *testing.T) {
	p := baseProject()
	st, err := FromCompose(p, Options{Scale: map[string]int{"web": 3}})
	if err != nil {
		t.Fatal(err)
	}
	cs := service(t, st, "web").Containers
	for _, c := range cs {
		if c.Hash != cs[0].Hash || c.Config.Labels[LabelConfigHash] != c.Hash {
			t.Errorf("%s: hash %s, label %s; first replica %s", c.Name, c.Hash, c.Config.Labels[LabelConfigHash], cs[0].Hash)
		}
	}
	// Replicas must not share maps: an edit to one is not an edit to all.
	cs[0].Config.Labels["x"] = "y"
	if _, ok := cs[1].Config.Labels["x"]; ok {
		t.Error("replicas share their Labels map")
	}
}

func TestHashStableAcrossRuns(t *testing.T) {
	// Map iteration order differs between runs of the same program; converting many times
	// in one run exercises it.
	want := webHash(t, baseProject(), Options{})
	for range 50 {
		if got := webHash(t, baseProject(), Options{}); got != want {
			t.Fatalf("hash %s, then %s", want, got)
		}
	}
}
