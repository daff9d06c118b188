package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// webClientYAML is a two-service stack: web serves stackPage, client idles; FOO is client's
// environment.
func webClientYAML(foo string) string {
	return `services:
  web:
    image: ` + testImage + `
    command: ` + stackHTTPDCmd + `
  client:
    image: ` + testImage + `
    command: ` + loopCmd + `
    environment:
      FOO: ` + foo + `
`
}

func TestStackUpCreatesNamedContainersLabelsAndNetwork(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("shop", webClientYAML("one"))
	s.must("up", "-d")

	list := s.ps()
	if got, want := psNames(list), []string{"shop-client-1", "shop-web-1"}; !slices.Equal(got, want) {
		t.Fatalf("ps lists %v, want %v", got, want)
	}
	for _, p := range list {
		if p.State != "running" || p.Project != "shop" {
			t.Errorf("%s: state %q project %q, want running in shop", p.Name, p.State, p.Project)
		}
	}
	web := e.inspectStack("shop-web-1")
	wantLabels := map[string]string{
		"com.docker.compose.project":              "shop",
		"com.docker.compose.service":              "web",
		"com.docker.compose.container-number":     "1",
		"com.docker.compose.oneoff":               "False",
		"com.docker.compose.project.config_files": s.file,
		"com.docker.compose.project.working_dir":  s.dir,
	}
	for k, v := range wantLabels {
		if got := web.Config.Labels[k]; got != v {
			t.Errorf("label %s = %q, want %q", k, got, v)
		}
	}
	if web.Config.Labels["com.docker.compose.config-hash"] == "" {
		t.Errorf("no com.docker.compose.config-hash label: %v", web.Config.Labels)
	}
	if !slices.Contains(strings.Fields(e.must("network", "ls", "--format", "{{.Name}}")), "shop_default") {
		t.Fatalf("network ls has no shop_default:\n%s", e.must("network", "ls"))
	}
	ep, ok := web.NetworkSettings.Networks["shop_default"]
	if !ok || ep.IPAddress == "" {
		t.Fatalf("shop-web-1 is not on shop_default: %+v", web.NetworkSettings.Networks)
	}
	// Services find each other by service name.
	e.waitResolves("shop-client-1", "web", ep.IPAddress)
	e.waitServesFromCtr("shop-client-1", "web")
}

func TestStackSecondUpChangesNothing(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("same", webClientYAML("one"))
	s.must("up", "-d")
	before := psIDs(s.ps())

	r := s.must("up", "-d")
	out := r.stdout + r.stderr
	for _, word := range []string{"Recreate", "Creating", "Removing", "Stopping"} {
		if strings.Contains(out, word) {
			t.Errorf("second up with an unchanged file says %q:\n%s", word, r)
		}
	}
	if after := psIDs(s.ps()); !mapsEqual(before, after) {
		t.Fatalf("container IDs changed on a no-op up: before %v, after %v", before, after)
	}
	dry := s.must("up", "-d", "--dry-run")
	for _, want := range []string{"same-web-1: keep", "same-client-1: keep"} {
		if !strings.Contains(dry.stdout+dry.stderr, want) {
			t.Errorf("--dry-run does not say %q:\n%s", want, dry)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestStackEnvChangeRecreatesOnlyThatServiceAndSaysWhy(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("envchg", webClientYAML("one"))
	s.must("up", "-d")
	before := psIDs(s.ps())

	s.write(webClientYAML("two"))
	dry := s.must("up", "-d", "--dry-run")
	for _, want := range []string{"envchg-client-1: recreate (environment changed: FOO)", "envchg-web-1: keep"} {
		if !strings.Contains(dry.stdout+dry.stderr, want) {
			t.Errorf("--dry-run does not say %q:\n%s", want, dry)
		}
	}
	if got := psIDs(s.ps()); !mapsEqual(before, got) {
		t.Fatalf("--dry-run changed containers: before %v, after %v", before, got)
	}

	r := s.must("up", "-d")
	if !strings.Contains(r.stdout+r.stderr, "envchg-client-1  Recreate (environment changed: FOO)") {
		t.Errorf("up does not say why it recreates client:\n%s", r)
	}
	if strings.Contains(r.stdout+r.stderr, "envchg-web-1  Recreate") {
		t.Errorf("up recreates web, whose config did not change:\n%s", r)
	}
	after := psIDs(s.ps())
	if after["envchg-web-1"] != before["envchg-web-1"] {
		t.Errorf("web was recreated: %s -> %s", before["envchg-web-1"], after["envchg-web-1"])
	}
	if after["envchg-client-1"] == before["envchg-client-1"] || after["envchg-client-1"] == "" {
		t.Errorf("client was not recreated: %s -> %s", before["envchg-client-1"], after["envchg-client-1"])
	}
	if env := e.inspectStack("envchg-client-1").Config.Env; !slices.Contains(env, "FOO=two") {
		t.Errorf("recreated client has env %v, want FOO=two", env)
	}
}

func TestStackDependsOnServiceHealthyWaitsForHealth(t *testing.T) {
	e := newEnv(t)
	// db turns healthy about 1.5 s after it starts; its passing probe leaves a marker in a
	// volume both share, so app can tell whether db had been healthy when app started.
	s := e.newStack("healthy", `services:
  db:
    image: `+testImage+`
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1.5; touch /tmp/ready; while true; do sleep 0.1; done"]
    volumes: [shared:/shared]
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready && touch /shared/db-was-healthy"]
      interval: 500ms
      retries: 10
  app:
    image: `+testImage+`
    command: ["sh", "-c", "if [ -f /shared/db-was-healthy ]; then echo app-saw-healthy-db; else echo app-started-too-early; fi; trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    volumes: [shared:/shared]
    depends_on:
      db:
        condition: service_healthy
volumes:
  shared:
`)
	start := time.Now()
	s.must("up", "-d")
	if d := time.Since(start); d < time.Second {
		t.Errorf("up -d took %s; db cannot be healthy before 1.5 s", d)
	}
	logs := e.waitLogs("healthy-app-1", "app-")
	if !strings.Contains(logs, "app-saw-healthy-db") {
		t.Fatalf("app started before db was healthy:\n%s", logs)
	}
	db, app := e.inspectStack("healthy-db-1"), e.inspectStack("healthy-app-1")
	if db.State.Health == nil || db.State.Health.Status != "healthy" {
		t.Fatalf("db health is %+v, want healthy", db.State.Health)
	}
	for _, p := range s.ps() {
		if p.Service == "db" && p.Health != "healthy" {
			t.Errorf("ps --format json gives db Health %q (status %q), want healthy", p.Health, p.Status)
		}
	}
	// The health log keeps the last probes only: when it still begins with a failing probe,
	// its first passing one is the probe that made db healthy, and app must start after it.
	var firstPass time.Time
	if log := db.State.Health.Log; len(log) > 0 && log[0].ExitCode != 0 {
		for _, l := range log {
			if l.ExitCode == 0 {
				firstPass = l.End
				break
			}
		}
	}
	if !firstPass.IsZero() && app.State.StartedAt.Before(firstPass) {
		t.Errorf("app started at %s, before db's first passing probe ended at %s", app.State.StartedAt, firstPass)
	}
}

func TestStackDependencyNeverHealthyFailsUpNamingIt(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("sick", `services:
  db:
    image: `+testImage+`
    command: `+loopCmd+`
    healthcheck:
      test: ["CMD", "false"]
      interval: 300ms
      retries: 2
  app:
    image: `+testImage+`
    command: `+loopCmd+`
    depends_on:
      db:
        condition: service_healthy
`)
	r := s.run("up", "-d")
	if r.code == 0 {
		t.Fatalf("up succeeded with a dependency that is never healthy:\n%s", r)
	}
	if !strings.Contains(r.stderr, "db") || !strings.Contains(r.stderr, "unhealthy") {
		t.Errorf("up's error does not name the unhealthy dependency db:\n%s", r)
	}
	for _, p := range s.ps() {
		if p.Service == "app" && p.State == "running" {
			t.Errorf("app runs although its dependency never got healthy: %+v", p)
		}
		// A failed up leaves what it started running, so its logs explain the failure.
		if p.Service == "db" && p.State != "running" {
			t.Errorf("db is %s after the failed up, want it left running", p.State)
		}
	}
}

func TestStackCompletedSuccessfullyRunsJobFirst(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("job", `services:
  migrate:
    image: `+testImage+`
    command: ["sh", "-c", "sleep 0.5; echo v2 > /state/schema; echo migrated"]
    volumes: [state:/state]
  app:
    image: `+testImage+`
    command: ["sh", "-c", "echo app-sees-schema-$(cat /state/schema); trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    volumes: [state:/state]
    depends_on:
      migrate:
        condition: service_completed_successfully
volumes:
  state:
`)
	s.must("up", "-d")
	e.waitLogs("job-app-1", "app-sees-schema-v2")
	job := e.inspectStack("job-migrate-1")
	if job.State.Status != "exited" || job.State.ExitCode != 0 {
		t.Errorf("migrate is %s (exit %d), want exited 0", job.State.Status, job.State.ExitCode)
	}
}

func TestStackFailingJobStopsUpNamingIt(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("badjob", `services:
  migrate:
    image: `+testImage+`
    command: ["sh", "-c", "echo cannot migrate; exit 3"]
  app:
    image: `+testImage+`
    command: `+loopCmd+`
    depends_on:
      migrate:
        condition: service_completed_successfully
`)
	r := s.run("up", "-d")
	if r.code == 0 {
		t.Fatalf("up succeeded although the job it waits for failed:\n%s", r)
	}
	if !strings.Contains(r.stderr, "migrate") || !strings.Contains(r.stderr, "3") {
		t.Errorf("up's error does not name the failed job migrate and its code 3:\n%s", r)
	}
	for _, p := range s.ps() {
		if p.Service == "app" && p.State == "running" {
			t.Errorf("app runs although the job failed: %+v", p)
		}
		if p.Service == "migrate" && (p.State != "exited" || p.ExitCode != 3) {
			t.Errorf("ps --format json gives the job state %q ExitCode %d (status %q), want exited 3", p.State, p.ExitCode, p.Status)
		}
	}
}

func TestStackScaleUpAndDown(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("scale", `services:
  web:
    image: `+testImage+`
    command: `+loopCmd+`
`)
	s.must("up", "-d", "--scale", "web=3")
	if got, want := psNames(s.ps()), []string{"scale-web-1", "scale-web-2", "scale-web-3"}; !slices.Equal(got, want) {
		t.Fatalf("after --scale web=3, ps lists %v, want %v", got, want)
	}
	keep := psIDs(s.ps())["scale-web-1"]
	r := s.must("up", "-d", "--scale", "web=1")
	for _, gone := range []string{"scale-web-3", "scale-web-2"} {
		if !strings.Contains(r.stdout+r.stderr, gone+"  Removed") {
			t.Errorf("up --scale web=1 does not report removing %s:\n%s", gone, r)
		}
	}
	list := s.ps()
	if got, want := psNames(list), []string{"scale-web-1"}; !slices.Equal(got, want) {
		t.Fatalf("after --scale web=1, ps lists %v, want %v", got, want)
	}
	if list[0].ID != keep {
		t.Errorf("scaling down replaced web-1 (%s -> %s)", keep, list[0].ID)
	}
	if out := e.must("container", "ls", "-a", "--format", "{{.Names}}"); strings.Contains(out, "scale-web-2") || strings.Contains(out, "scale-web-3") {
		t.Errorf("container ls -a still lists a removed replica:\n%s", out)
	}
}

func TestStackRemoveOrphans(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("orph", `services:
  web:
    image: `+testImage+`
    command: `+loopCmd+`
  old:
    image: `+testImage+`
    command: `+loopCmd+`
`)
	s.must("up", "-d")
	s.write(`services:
  web:
    image: ` + testImage + `
    command: ` + loopCmd + `
`)
	r := s.must("up", "-d")
	if !slices.Contains(strings.Fields(e.must("container", "ls", "--format", "{{.Names}}")), "orph-old-1") {
		t.Fatalf("up without --remove-orphans removed the orphan orph-old-1:\n%s", r)
	}
	if !strings.Contains(strings.ToLower(r.stderr+r.stdout), "orphan") {
		t.Errorf("up does not mention the orphan container:\n%s", r)
	}
	s.must("up", "-d", "--remove-orphans")
	if out := e.must("container", "ls", "-a", "--format", "{{.Names}}"); strings.Contains(out, "orph-old-1") {
		t.Fatalf("up --remove-orphans left orph-old-1:\n%s", out)
	}
	if got := psNames(s.ps()); !slices.Equal(got, []string{"orph-web-1"}) {
		t.Errorf("ps lists %v, want [orph-web-1]", got)
	}
}

func TestStackNamedVolumeKeptByDownRemovedByDownV(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("vol", `services:
  db:
    image: `+testImage+`
    command: ["sh", "-c", "echo run >> /data/runs; echo runs=$(wc -l < /data/runs); trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    volumes: [data:/data]
volumes:
  data:
`)
	volumes := func() []string { return strings.Fields(e.must("volume", "ls", "-q")) }
	s.must("up", "-d")
	e.waitLogs("vol-db-1", "runs=1")
	s.must("down", "-t", "1")
	if !slices.Contains(volumes(), "vol_data") {
		t.Fatalf("down removed the named volume: volume ls -q = %v", volumes())
	}
	s.must("up", "-d")
	e.waitLogs("vol-db-1", "runs=2")
	s.must("down", "-v", "-t", "1")
	if slices.Contains(volumes(), "vol_data") {
		t.Fatalf("down -v kept the named volume: volume ls -q = %v", volumes())
	}
}

func TestStackBindIsRelativeToComposeFile(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("bind", `services:
  app:
    image: `+testImage+`
    command: ["sh", "-c", "cat /cfg/greeting; trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    volumes: ["./cfg:/cfg:ro"]
`)
	writeFile(t, s.dir+"/cfg/greeting", "bound-from-beside-the-file\n")
	// The test's working directory is e2e/, not the stack's: ./cfg must follow the file.
	s.must("up", "-d")
	e.waitLogs("bind-app-1", "bound-from-beside-the-file")
	if r := e.execOut("bind-app-1", "echo x > /cfg/new"); r.code == 0 {
		t.Errorf("a :ro bind is writable:\n%s", r)
	}
}

func TestStackPublishesPortsOnLoopback(t *testing.T) {
	e := newEnv(t)
	port := freeLoopbackPort(t)
	s := e.newStack("pub", fmt.Sprintf(`services:
  web:
    image: %s
    command: %s
    ports: ["127.0.0.1:%d:80"]
`, testImage, stackHTTPDCmd, port))
	s.must("up", "-d")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var body string
	var err error
	waitFor(t, 10*time.Second, "the page on "+addr, func() bool {
		body, err = loopbackGet(addr)
		return err == nil && strings.Contains(body, stackPage)
	}, func() string { return fmt.Sprintf("last: %q %v", body, err) })
	if out := s.must("ps").stdout; !strings.Contains(out, fmt.Sprintf("127.0.0.1:%d->80/tcp", port)) {
		t.Errorf("ps does not show the published port:\n%s", out)
	}
	s.must("down", "-t", "1")
	if _, err := loopbackGet(addr); err == nil {
		t.Errorf("%s still answers after down", addr)
	}
}

func TestStackProfilesSelectServices(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("prof", `services:
  web:
    image: `+testImage+`
    command: `+loopCmd+`
  debug:
    image: `+testImage+`
    command: `+loopCmd+`
    profiles: [debug]
`)
	if got := lines(s.must("config", "--services").stdout); !slices.Equal(got, []string{"web"}) {
		t.Errorf("config --services without a profile = %v, want [web]", got)
	}
	s.must("up", "-d")
	if got := psNames(s.ps()); !slices.Equal(got, []string{"prof-web-1"}) {
		t.Fatalf("without --profile, ps lists %v, want [prof-web-1]", got)
	}
	s.must("up", "-d", "--profile", "debug")
	if got := psNames(s.ps("--profile", "debug")); !slices.Equal(got, []string{"prof-debug-1", "prof-web-1"}) {
		t.Fatalf("with --profile debug, ps lists %v, want [prof-debug-1 prof-web-1]", got)
	}
}

func TestStackProjectNameFromFlagAndEnvironment(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("dirname", `services:
  web:
    image: `+testImage+`
    command: `+loopCmd+`
`)
	e.must("up", "-p", "fromflag", "--file", s.file, "-d")
	if r := e.runEnv([]string{"COMPOSE_PROJECT_NAME=fromenv"}, "up", "--file", s.file, "-d"); r.code != 0 {
		t.Fatalf("up with COMPOSE_PROJECT_NAME failed:\n%s", r)
	}
	got := strings.Fields(e.must("container", "ls", "--format", "{{.Names}}"))
	slices.Sort(got)
	if want := []string{"fromenv-web-1", "fromflag-web-1"}; !slices.Equal(got, want) {
		t.Fatalf("containers %v, want %v (and none named after the directory)", got, want)
	}
	ls := e.must("ls")
	for _, p := range []string{"fromflag", "fromenv"} {
		if !strings.Contains(ls, p) {
			t.Errorf("berth ls does not list %s:\n%s", p, ls)
		}
	}
	e.must("down", "-p", "fromflag", "--file", s.file, "-t", "1")
	if got := strings.Fields(e.must("container", "ls", "-a", "--format", "{{.Names}}")); !slices.Equal(got, []string{"fromenv-web-1"}) {
		t.Errorf("down -p fromflag left %v, want only [fromenv-web-1]", got)
	}
}

// Like Compose, the commands that only read or remove a project's objects find them by
// its name: no compose file is needed (the test's working directory, e2e/, has none).
func TestStackProjectCommandsByNameNeedNoFile(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("byname", `services:
  web:
    image: `+testImage+`
    command: ["sh", "-c", "echo byname-says-hi; trap 'exit 0' TERM; while true; do sleep 0.1; done"]
`)
	s.must("up", "-d")
	e.waitLogs("byname-web-1", "byname-says-hi")
	if out := e.must("ps", "-p", "byname", "-q"); out != psIDs(s.ps())["byname-web-1"] {
		t.Errorf("ps -p byname -q = %q, want the ID of byname-web-1", out)
	}
	if out := e.must("logs", "-p", "byname", "--no-log-prefix"); out != "byname-says-hi" {
		t.Errorf("logs -p byname = %q", out)
	}
	e.must("down", "-p", "byname", "-t", "1")
	if out := e.must("container", "ls", "-aq"); out != "" {
		t.Errorf("down -p byname left containers: %s", out)
	}
}

func TestStackConfigUnknownKeyPointsAtLineAndSuggests(t *testing.T) {
	e := newEmptyEnv(t)
	s := e.newStack("typo", `services:
  web:
    image: `+testImage+`
    comand: ["true"]
`)
	for _, args := range [][]string{{"config", "-q"}, {"up", "-d"}} {
		r := s.run(args[0], args[1:]...)
		if r.code != 1 {
			t.Errorf("%s with an unknown key: exit %d, want 1:\n%s", args[0], r.code, r)
		}
		for _, want := range []string{s.file + ":4:", "services.web.comand", `did you mean "command"`} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s's error lacks %q:\n%s", args[0], want, r)
			}
		}
	}
	if out := e.run("container", "ls", "-a", "--format", "{{.Names}}").stdout; strings.TrimSpace(out) != "" {
		t.Errorf("an invalid file created containers: %s", out)
	}
}

func TestStackConfigDependencyCycleIsAnError(t *testing.T) {
	e := newEmptyEnv(t)
	s := e.newStack("cycle", `services:
  a:
    image: `+testImage+`
    depends_on: [b]
  b:
    image: `+testImage+`
    depends_on: [a]
`)
	r := s.run("up", "-d")
	if r.code != 1 {
		t.Fatalf("up with a dependency cycle: exit %d, want 1:\n%s", r.code, r)
	}
	if !strings.Contains(r.stderr, s.file+":") || !regexp.MustCompile(`cycle: (a -> b -> a|b -> a -> b)`).MatchString(r.stderr) {
		t.Errorf("the error does not name the cycle a -> b:\n%s", r)
	}
}

func TestStackLogsPrefixLinesWithContainerName(t *testing.T) {
	e := newEnv(t)
	s := e.newStack("logs", `services:
  alpha:
    image: `+testImage+`
    command: ["sh", "-c", "echo alpha line 1; echo alpha line 2; trap 'exit 0' TERM; while true; do sleep 0.1; done"]
  beta:
    image: `+testImage+`
    command: ["sh", "-c", "echo beta line 1"]
`)
	s.must("up", "-d")
	e.waitLogs("logs-alpha-1", "alpha line 2")
	e.waitStatus("logs-beta-1", "exited")

	out := s.must("logs", "--no-color").stdout
	prefixed := regexp.MustCompile(`(?m)^(logs-alpha-1|logs-beta-1) +\| (.*)$`)
	got := map[string][]string{}
	for _, m := range prefixed.FindAllStringSubmatch(out, -1) {
		got[m[1]] = append(got[m[1]], m[2])
	}
	if !slices.Equal(got["logs-alpha-1"], []string{"alpha line 1", "alpha line 2"}) || !slices.Equal(got["logs-beta-1"], []string{"beta line 1"}) {
		t.Errorf("logs --no-color: want each line prefixed with its container name, got %v:\n%s", got, out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("logs --no-color has colour codes:\n%q", out)
	}
	bare := lines(s.must("logs", "--no-log-prefix", "alpha").stdout)
	if !slices.Equal(bare, []string{"alpha line 1", "alpha line 2"}) {
		t.Errorf("logs --no-log-prefix alpha = %q", bare)
	}
	if tail := lines(s.must("logs", "--no-log-prefix", "--tail", "1", "alpha").stdout); !slices.Equal(tail, []string{"alpha line 2"}) {
		t.Errorf("logs --tail 1 alpha = %q", tail)
	}
}

func TestStackDownRemovesContainersAndNetworks(t *testing.T) {
	e := newEnv(t)
	// The default network's bridge exists once any container has been created.
	e.must("container", "rm", "-f", e.runDetached(testImage, "true"))
	// Its veth goes with its namespace, in the background.
	var baseline []string
	waitFor(t, 5*time.Second, "the removed container's veth to go", func() bool {
		baseline = e.rootLinks()
		return !slices.ContainsFunc(baseline, func(l string) bool { return strings.HasPrefix(l, "ve") })
	}, func() string { return fmt.Sprint(baseline) })
	s := e.newStack("gone", `services:
  web:
    image: `+testImage+`
    command: `+loopCmd+`
    networks: [default, back]
  db:
    image: `+testImage+`
    command: `+loopCmd+`
    networks: [back]
networks:
  back:
`)
	s.must("up", "-d")
	during := e.rootLinks()
	if len(during) <= len(baseline) {
		t.Fatalf("up created no bridge or veth: before %v, during %v", baseline, during)
	}
	r := s.must("down", "-t", "1")
	for _, want := range []string{"gone-web-1  Removed", "gone-db-1  Removed", "gone_default  Removed", "gone_back  Removed"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("down does not report %q:\n%s", want, r)
		}
	}
	if out := e.must("container", "ls", "-aq"); out != "" {
		t.Errorf("containers left after down: %s", out)
	}
	if got := strings.Fields(e.must("network", "ls", "--format", "{{.Name}}")); !slices.Equal(got, []string{"bridge"}) {
		t.Errorf("networks left after down: %v, want only [bridge]", got)
	}
	var after []string
	waitFor(t, 5*time.Second, "down to remove the stack's bridges and veths", func() bool {
		after = e.rootLinks()
		return slices.Equal(after, baseline)
	}, func() string { return fmt.Sprintf("before up %v, after down %v", baseline, after) })
}

func TestStackTwoStacksAreIsolated(t *testing.T) {
	e := newEnv(t)
	a := e.newStack("alpha", `services:
  web:
    image: `+testImage+`
    command: `+stackHTTPDCmd+`
  client:
    image: `+testImage+`
    command: `+loopCmd+`
`)
	b := e.newStack("beta", `services:
  api:
    image: `+testImage+`
    command: `+stackHTTPDCmd+`
`)
	a.must("up", "-d")
	b.must("up", "-d")
	e.waitServesFromCtr("alpha-client-1", "web")
	// Each stack's names resolve in that stack only.
	if addrs, r := e.stackLookup("alpha-client-1", "api"); len(addrs) > 0 || r.code == 0 {
		t.Errorf("a container of stack alpha resolves beta's service api to %v:\n%s", addrs, r)
	}
	if addrs, r := e.stackLookup("beta-api-1", "web"); len(addrs) > 0 || r.code == 0 {
		t.Errorf("a container of stack beta resolves alpha's service web to %v:\n%s", addrs, r)
	}
	// Nor is beta's container reachable from alpha by address.
	api := e.inspectStack("beta-api-1").NetworkSettings.Networks["beta_default"].IPAddress
	if api == "" {
		t.Fatalf("beta-api-1 has no address on beta_default")
	}
	if r := e.execOut("alpha-client-1", fmt.Sprintf(`printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 %s 80`, api)); strings.Contains(r.stdout, stackPage) {
		t.Errorf("alpha-client-1 reached beta-api-1 at %s:\n%s", api, r)
	}
	// Taking one stack down leaves the other alone.
	b.must("down", "-t", "1")
	if got := psNames(a.ps()); !slices.Equal(got, []string{"alpha-client-1", "alpha-web-1"}) {
		t.Errorf("after beta's down, alpha has %v", got)
	}
}

// webYAML is one web service serving stackPage, with SVC=web in its environment.
func webYAML(extra string) string {
	return `services:
  web:
    image: ` + testImage + `
    command: ` + stackHTTPDCmd + `
    environment:
      SVC: web
` + extra
}

func TestStackExecRunsInServiceContainer(t *testing.T) {
	e := newEnv(t)
	requireStackCommand(t, e, "exec")
	s := e.newStack("ex", webYAML(""))
	s.must("up", "-d", "--scale", "web=2")
	r := s.must("exec", "-T", "-e", "X=1", "-w", "/tmp", "-u", "1000", "web", "sh", "-c", `echo "$SVC $X $(pwd) $(id -u)"`)
	if got := strings.TrimSpace(r.stdout); got != "web 1 /tmp 1000" {
		t.Errorf("exec with -e -w -u printed %q, want %q", got, "web 1 /tmp 1000")
	}
	if r := s.run("exec", "-T", "web", "sh", "-c", "exit 4"); r.code != 4 {
		t.Errorf("exec exit code %d, want 4:\n%s", r.code, r)
	}
	host2 := e.inspectStack("ex-web-2")
	if got := strings.TrimSpace(s.must("exec", "-T", "--index", "2", "web", "hostname").stdout); got != host2.ID[:12] {
		t.Errorf("exec --index 2 ran in %q, want ex-web-2 (%s)", got, host2.ID[:12])
	}
}

func TestStackRunOneOffContainer(t *testing.T) {
	e := newEnv(t)
	requireStackCommand(t, e, "run")
	s := e.newStack("oneoff", webYAML(`    depends_on: [db]
  db:
    image: `+testImage+`
    command: `+loopCmd+`
`))
	r := s.run("run", "--rm", "web", "sh", "-c", "echo one-off sees $SVC; exit 5")
	if r.code != 5 || !strings.Contains(r.stdout, "one-off sees web") {
		t.Fatalf("run --rm: want the service's environment and exit code 5:\n%s", r)
	}
	// run starts what the service depends on, but not the service itself.
	list := s.ps()
	if got := psNames(list); !slices.Equal(got, []string{"oneoff-db-1"}) || list[0].State != "running" {
		t.Errorf("after run, ps lists %v (%+v), want only oneoff-db-1 running", got, list)
	}
	if out := e.must("container", "ls", "-a", "--format", "{{.Names}}"); strings.Contains(out, "oneoff-web-run-") {
		t.Errorf("run --rm left its container:\n%s", out)
	}
	name := strings.TrimSpace(s.must("run", "-d", "web").stdout)
	if !strings.HasPrefix(name, "oneoff-web-run-") {
		t.Fatalf("run -d printed %q, want a name oneoff-web-run-ID", name)
	}
	if l := e.inspectStack(name).Config.Labels; l["com.docker.compose.oneoff"] != "True" || l["com.docker.compose.service"] != "web" {
		t.Errorf("one-off container labels: %v", l)
	}
	s.must("down", "-t", "0")
	if out := e.must("container", "ls", "-a", "--format", "{{.Names}}"); out != "" {
		t.Errorf("down left containers, one-off ones included:\n%s", out)
	}
}

func TestStackStopStartRestartKeepContainers(t *testing.T) {
	e := newEnv(t)
	requireStackCommand(t, e, "stop")
	s := e.newStack("ssr", webYAML(""))
	s.must("up", "-d")
	id := psIDs(s.ps())["ssr-web-1"]
	first := e.inspectStack(id).State.StartedAt

	s.must("stop", "-t", "1", "web")
	if st := e.inspectStack(id).State; st.Status != "exited" {
		t.Fatalf("after stop, web is %s, want exited", st.Status)
	}
	s.must("start", "web")
	if st := e.inspectStack(id).State; !st.Running {
		t.Fatalf("after start, web is %s, want running", st.Status)
	}
	s.must("restart", "-t", "1", "web")
	st := e.inspectStack(id).State
	if !st.Running || !st.StartedAt.After(first) {
		t.Errorf("after restart: running %v, started %s (first start %s)", st.Running, st.StartedAt, first)
	}
	if got := psIDs(s.ps()); len(got) != 1 || got["ssr-web-1"] != id {
		t.Errorf("stop, start and restart replaced the container: %v, want only %s", got, id)
	}
	e.waitServesFromCtr(id, "127.0.0.1")
}

func TestStackPauseAndUnpause(t *testing.T) {
	e := newEnv(t)
	requireStackCommand(t, e, "pause")
	s := e.newStack("pz", webYAML(""))
	s.must("up", "-d")
	s.must("pause", "web")
	if st := s.ps()[0].State; st != "paused" {
		t.Fatalf("after pause, web is %s", st)
	}
	s.must("unpause", "web")
	if st := s.ps()[0].State; st != "running" {
		t.Fatalf("after unpause, web is %s", st)
	}
}

func TestStackKillSendsSignal(t *testing.T) {
	e := newEnv(t)
	requireStackCommand(t, e, "kill")
	s := e.newStack("kl", `services:
  app:
    image: `+testImage+`
    command: ["sh", "-c", "trap 'echo got USR1' USR1; echo ready; while true; do sleep 0.1; done"]
`)
	s.must("up", "-d")
	e.waitLogs("kl-app-1", "ready")
	s.must("kill", "-s", "SIGUSR1", "app")
	e.waitLogs("kl-app-1", "got USR1")
	s.must("kill", "app")
	e.waitStatus("kl-app-1", "exited")
	if code := e.inspectStack("kl-app-1").State.ExitCode; code != 137 {
		t.Errorf("after kill (SIGKILL), exit code %d, want 137", code)
	}
}

func TestStackRmRemovesOnlyStoppedUnlessStop(t *testing.T) {
	e := newEnv(t)
	requireStackCommand(t, e, "rm")
	s := e.newStack("rmv", webYAML(`  once:
    image: `+testImage+`
    command: ["true"]
`))
	s.must("up", "-d")
	e.waitStatus("rmv-once-1", "exited")
	s.must("rm", "-f")
	if got := psNames(s.ps()); !slices.Equal(got, []string{"rmv-web-1"}) {
		t.Fatalf("rm -f: ps lists %v, want the running rmv-web-1 only", got)
	}
	s.must("rm", "-s", "-f", "web")
	if got := psNames(s.ps()); len(got) != 0 {
		t.Fatalf("rm -s -f web left %v", got)
	}
}

func TestStackPortTopCpAndImages(t *testing.T) {
	e := newEnv(t)
	for _, c := range []string{"port", "top", "cp", "images"} {
		requireStackCommand(t, e, c)
	}
	port := freeLoopbackPort(t)
	s := e.newStack("misc", webYAML(fmt.Sprintf("    ports: [\"127.0.0.1:%d:80\"]\n", port)))
	s.must("up", "-d")
	if got, want := strings.TrimSpace(s.must("port", "web", "80").stdout), fmt.Sprintf("127.0.0.1:%d", port); got != want {
		t.Errorf("port web 80 = %q, want %q", got, want)
	}
	if out := s.must("top", "web").stdout; !strings.Contains(out, "misc-web-1") || !strings.Contains(out, "httpd -p 80") {
		t.Errorf("top web does not show httpd under misc-web-1:\n%s", out)
	}
	src := filepath.Join(t.TempDir(), "in.txt")
	writeFile(t, src, "copied in\n")
	s.must("cp", src, "web:/tmp/in.txt")
	if r := e.execOut("misc-web-1", "cat /tmp/in.txt"); strings.TrimSpace(r.stdout) != "copied in" {
		t.Errorf("cp into web: the container reads %q", r.stdout)
	}
	dst := filepath.Join(t.TempDir(), "out.html")
	s.must("cp", "web:/www/index.html", dst)
	if b, err := os.ReadFile(dst); err != nil || strings.TrimSpace(string(b)) != stackPage {
		t.Errorf("cp out of web: %q, %v", b, err)
	}
	if out := s.must("images").stdout; !strings.Contains(out, "misc-web-1") || !strings.Contains(out, strings.Split(testImage, ":")[0]) {
		t.Errorf("images does not list web's image:\n%s", out)
	}
}

func TestStackWaitReturnsExitCode(t *testing.T) {
	e := newEnv(t)
	requireStackCommand(t, e, "wait")
	s := e.newStack("wt", `services:
  job:
    image: `+testImage+`
    command: ["sh", "-c", "sleep 0.5; exit 7"]
`)
	s.must("up", "-d")
	if r := s.run("wait", "job"); r.code != 7 {
		t.Errorf("wait job: exit %d, want the job's 7:\n%s", r.code, r)
	}
}
