package engine

import (
	"testing"

	"github.com/moby/moby/api/types/container"

	"berth/project"
	"berth/store"
)

func desired(stack, svc string, n int, hash string, env ...string) project.Container {
	name := stack + "-" + svc + "-" + string(rune('0'+n))
	return project.Container{Name: name, Number: n, Hash: hash,
		Config: container.Config{Image: "img", Env: env, Labels: map[string]string{
			project.LabelProject: stack, project.LabelService: svc, project.LabelConfigHash: hash,
			project.LabelContainerNumber: string(rune('0' + n))}}}
}

func existing(d project.Container, status container.ContainerState, imageID string) *store.Container {
	cfg := d.Config
	return &store.Container{ID: d.Name + "-id", Name: d.Name, ImageID: imageID, Config: &cfg, Requested: &cfg,
		HostConfig: &container.HostConfig{}, State: store.State{Status: status}}
}

func TestPlanUp(t *testing.T) {
	web1 := desired("s", "web", 1, "h1", "A=1")
	db1 := desired("s", "db", 1, "d1")
	changedWeb := desired("s", "web", 1, "h2", "A=2", "B=3")
	stack := func(web ...project.Container) *project.Stack {
		return &project.Stack{Name: "s", Services: []project.Service{
			{Name: "db", Image: "img", Containers: []project.Container{db1}},
			{Name: "web", Image: "img", Containers: web, DependsOn: []project.Dependency{{Service: "db", Condition: "service_started", Restart: true}}},
		}, Networks: []project.Network{{Key: "default", Name: "s_default"}}}
	}
	imageID := func(string) string { return "sha256:img" }
	tests := []struct {
		name  string
		stack *project.Stack
		have  []*store.Container
		opts  UpOptions
		nets  bool
		want  string
	}{
		{"cold", stack(web1), nil, UpOptions{}, false,
			"network s_default: create\ns-db-1: create\ns-web-1: create\n"},
		{"no-op", stack(web1), []*store.Container{existing(db1, "running", "sha256:img"), existing(web1, "running", "sha256:img")}, UpOptions{}, true,
			"s-db-1: keep\ns-web-1: keep\n"},
		{"stopped is started", stack(web1), []*store.Container{existing(db1, "exited", "sha256:img"), existing(web1, "running", "sha256:img")}, UpOptions{}, true,
			"s-db-1: start (stopped)\ns-web-1: keep\n"},
		{"environment change", stack(changedWeb), []*store.Container{existing(db1, "running", "sha256:img"), existing(web1, "running", "sha256:img")}, UpOptions{}, true,
			"s-db-1: keep\ns-web-1: recreate (environment changed: A, B)\n"},
		{"image digest", stack(web1), []*store.Container{existing(db1, "running", "sha256:img"), existing(web1, "running", "sha256:old")}, UpOptions{}, true,
			"s-db-1: keep\ns-web-1: recreate (image digest changed)\n"},
		{"dependency recreated with restart", stack(web1), []*store.Container{existing(db1, "running", "sha256:old"), existing(web1, "running", "sha256:img")}, UpOptions{}, true,
			"s-db-1: recreate (image digest changed)\ns-web-1: recreate (dependency db was recreated)\n"},
		{"force recreate", stack(web1), []*store.Container{existing(db1, "running", "sha256:img"), existing(web1, "running", "sha256:img")}, UpOptions{ForceRecreate: true}, true,
			"s-db-1: recreate (--force-recreate)\ns-web-1: recreate (--force-recreate)\n"},
		{"no recreate", stack(changedWeb), []*store.Container{existing(db1, "running", "sha256:img"), existing(web1, "exited", "sha256:img")}, UpOptions{NoRecreate: true}, true,
			"s-db-1: keep\ns-web-1: start\n"},
		{"scale down removes highest", stack(web1), []*store.Container{existing(db1, "running", "sha256:img"), existing(web1, "running", "sha256:img"),
			existing(desired("s", "web", 2, "h1"), "running", "sha256:img"), existing(desired("s", "web", 3, "h1"), "running", "sha256:img")}, UpOptions{}, true,
			"s-db-1: keep\ns-web-1: keep\ns-web-3: remove (scaled to 1)\ns-web-2: remove (scaled to 1)\n"},
		{"service argument without deps", stack(web1), nil, UpOptions{Services: []string{"web"}, NoDeps: true}, true,
			"s-web-1: create\n"},
		{"service argument pulls deps", stack(web1), nil, UpOptions{Services: []string{"web"}}, true,
			"s-db-1: create\ns-web-1: create\n"},
		{"always recreate deps", stack(web1), []*store.Container{existing(db1, "running", "sha256:img"), existing(web1, "running", "sha256:img")},
			UpOptions{Services: []string{"web"}, AlwaysRecreateDeps: true}, true,
			"s-db-1: recreate (--always-recreate-deps)\ns-web-1: recreate (dependency db was recreated)\n"},
		{"orphan", stack(web1), []*store.Container{existing(db1, "running", "sha256:img"), existing(web1, "running", "sha256:img"), existing(desired("s", "old", 1, "x"), "running", "sha256:img")}, UpOptions{}, true,
			"s-db-1: keep\ns-web-1: keep\ns-old-1: orphan (service old is not in the file)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := planUp(tt.stack, tt.have, tt.opts, imageID, func(string) bool { return tt.nets }).String()
			if got != tt.want {
				t.Errorf("plan:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}
