package engine

import (
	"fmt"
	"testing"

	"github.com/moby/moby/api/types/container"

	"berth/project"
	"berth/store"
)

// member is a container of stack s: service svc, replica n, in state status, depending
// on deps.
func member(svc string, n int, status container.ContainerState, deps string) *store.Container {
	name := fmt.Sprintf("s-%s-%d", svc, n)
	cfg := container.Config{Labels: map[string]string{
		project.LabelProject: "s", project.LabelService: svc, project.LabelContainerNumber: fmt.Sprint(n),
		project.LabelDependsOn: deps}}
	return &store.Container{ID: name + "-id", Name: name, Config: &cfg, State: store.State{Status: status}}
}

func TestPlanOp(t *testing.T) {
	// web depends on api, which depends on db; web has 11 replicas, numbered as numbers.
	stack := []*store.Container{
		member("web", 10, "running", "api:service_started:false"),
		member("web", 2, "running", "api:service_started:false"),
		member("db", 1, "exited", ""),
		member("api", 1, "running", "db:service_healthy:true"),
		member("web", 1, "paused", "api:service_started:false"),
		member("other", 1, "running", ""),
	}
	oneOff := member("web", 99, "running", "")
	oneOff.Config.Labels[project.LabelOneoff] = "True"
	elsewhere := member("db", 1, "running", "")
	elsewhere.Config.Labels[project.LabelProject] = "t"
	all := append(stack, oneOff, elsewhere)
	tests := []struct {
		op   StackOp
		o    OpOptions
		want string
	}{
		{OpStop, OpOptions{}, "s-web-1: stop (paused)\ns-web-2: stop (running)\ns-web-10: stop (running)\ns-other-1: stop (running)\ns-api-1: stop (running) after web\n"},
		{OpStart, OpOptions{}, "s-db-1: start (exited)\n"},
		{OpRestart, OpOptions{}, "s-db-1: restart (exited)\ns-api-1: restart (running) after db\ns-other-1: restart (running)\ns-web-1: restart (paused) after api\ns-web-2: restart (running) after api\ns-web-10: restart (running) after api\n"},
		{OpKill, OpOptions{Services: []string{"api", "db"}}, "s-api-1: kill (running)\n"},
		{OpPause, OpOptions{}, "s-web-2: pause (running)\ns-web-10: pause (running)\ns-other-1: pause (running)\ns-api-1: pause (running) after web\n"},
		{OpUnpause, OpOptions{}, "s-web-1: unpause (paused)\n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.op), func(t *testing.T) {
			p, err := planOp("s", all, tt.op, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.String(); got != tt.want {
				t.Errorf("plan:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
	if _, err := planOp("empty", all, OpStart, OpOptions{}); err == nil {
		t.Error("start of a stack without containers: no error")
	}
	if p, err := planOp("empty", all, OpStop, OpOptions{}); err != nil || len(p.Steps) != 0 {
		t.Errorf("stop of a stack without containers: %v %v", p, err)
	}
}
