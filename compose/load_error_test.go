package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// writeFiles creates files (path relative to dir → content) and returns dir.
func writeFiles(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		opts  Options
		want  string
	}{
		{
			name:  "invalid yaml",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n   ports: [\"80\"]\n"},
			want:  `compose.yaml:3: invalid YAML: did not find expected key; check the indentation and quoting around this line`,
		},
		{
			name:  "invalid yaml in a value",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    command: echo: hi\n"},
			want:  `compose.yaml:4: invalid YAML: mapping values are not allowed in this context; check the indentation and quoting around this line`,
		},
		{
			name:  "invalid yaml from stdin",
			files: map[string]string{},
			opts:  Options{Files: []string{"-"}, Stdin: strings.NewReader("services:\n\tweb: {}\n")},
			want:  `stdin:2: invalid YAML: found character that cannot start any token; check the indentation and quoting around this line`,
		},
		{
			name:  "duplicate key",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    image: redis\n"},
			want:  `compose.yaml:4: invalid YAML: mapping key "image" already defined at line 3; remove or rename one of the two`,
		},
		{
			name:  "value of the wrong YAML type",
			files: map[string]string{"compose.yaml": "services:\n  web: !!int nginx\n"},
			want:  "compose.yaml: invalid YAML: cannot construct !!str `nginx` as a !!int; check the value's type and quoting",
		},
		{
			name:  "alias bomb",
			files: map[string]string{"compose.yaml": aliasBomb(9)},
			want:  `compose.yaml: the file expands too much through its YAML aliases (*name); write the repeated parts out, or alias fewer and smaller anchors`,
		},
		{
			name:  "unknown key with suggestion",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    enviroment:\n      A: b\n"},
			want:  `compose.yaml:4: services.web.enviroment: unknown key; did you mean "environment"?`,
		},
		{
			name:  "unknown top-level key",
			files: map[string]string{"compose.yaml": "servics:\n  web:\n    image: nginx\n"},
			want:  `compose.yaml:1: servics: unknown key; did you mean "services"?`,
		},
		{
			name:  "unknown key without suggestion",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    colour: blue\n"},
			want:  `compose.yaml:4: services.web.colour: unknown key; remove it, or name it "x-colour" to keep it as an extension`,
		},
		{
			name:  "wrong type",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    ports: 8080\n"},
			want:  `compose.yaml:4: services.web.ports: must be a list`,
		},
		{
			name:  "missing required variable",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: \"nginx:${TAG:?give the nginx tag}\"\n"},
			want:  `compose.yaml:3: services.web.image: required variable TAG is missing a value: give the nginx tag; set TAG in the environment or in .env`,
		},
		{
			name:  "missing required variable in a list",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    command:\n      - run\n      - $${X}\n      - ${PORT?}\n"},
			want:  `compose.yaml:7: services.web.command: required variable PORT is missing a value; set PORT in the environment or in .env`,
		},
		{
			name:  "undefined network",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    networks: [frontend]\nnetworks:\n  front: {}\n"},
			want:  `compose.yaml:4: services.web.networks: network "frontend" is not defined; declare it under the top-level "networks:" key`,
		},
		{
			name:  "undefined network with suggestion",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    networks:\n      backnd: {}\nnetworks:\n  backend: {}\n"},
			want:  `compose.yaml:5: services.web.networks: network "backnd" is not defined; did you mean "backend"?`,
		},
		{
			name:  "undefined volume",
			files: map[string]string{"compose.yaml": "services:\n  db:\n    image: postgres\n    volumes:\n      - ./conf:/etc/conf\n      - data:/var/lib/postgresql/data\n"},
			want:  `compose.yaml:6: services.db.volumes: volume "data" is not defined; declare it under the top-level "volumes:" key`,
		},
		{
			name:  "undefined secret",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    secrets:\n      - source: token\n"},
			want:  `compose.yaml:5: services.web.secrets: secret "token" is not defined; declare it under the top-level "secrets:" key`,
		},
		{
			name:  "depends_on unknown service",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    depends_on: [dbb]\n  db:\n    image: postgres\n"},
			want:  `compose.yaml:4: services.web.depends_on: service "dbb" is not defined; did you mean "db"?`,
		},
		{
			name:  "depends_on cycle",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    depends_on: [db]\n  db:\n    image: postgres\n    depends_on:\n      web:\n        condition: service_started\n"},
			want:  `compose.yaml:8: services.db.depends_on: dependency cycle: db -> web -> db; remove one of these dependencies`,
		},
		{
			name:  "cycle through network_mode and volumes_from",
			files: map[string]string{"compose.yaml": "services:\n  a:\n    image: x\n    network_mode: service:b\n  b:\n    image: x\n    volumes_from: [c]\n  c:\n    image: x\n    volumes_from: [\"a:ro\"]\n"},
			want:  `compose.yaml:4: services.a.network_mode: dependency cycle: a -> b -> c -> a; remove one of these dependencies`,
		},
		{
			name:  "no image",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    ports: [\"80\"]\n"},
			want:  `compose.yaml:2: services.web: neither image nor build is set; add image:, e.g. "image: nginx"`,
		},
		{
			name:  "error in override file",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n", "compose.override.yaml": "services:\n  web:\n    porst: [\"80\"]\n"},
			want:  `compose.override.yaml:3: services.web.porst: unknown key; did you mean "ports"?`,
		},
		{
			name:  "duplicate container_name",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    container_name: app\n  db:\n    image: postgres\n    container_name: app\n"},
			want:  `compose.yaml:7: services.db.container_name: container name "app" is already that of service "web" (compose.yaml:4); give each service its own container_name, or remove it to let berth name the container`,
		},
		{
			name: "duplicate container_name across files",
			files: map[string]string{
				"compose.yaml":          "services:\n  web:\n    image: nginx\n    container_name: app\n",
				"compose.override.yaml": "services:\n  db:\n    image: postgres\n    container_name: app\n",
			},
			want: `compose.override.yaml:4: services.db.container_name: container name "app" is already that of service "web" (compose.yaml:4); give each service its own container_name, or remove it to let berth name the container`,
		},
		{
			name:  "service name with slashes",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n  ../../x:\n    image: nginx\n"},
			want:  `compose.yaml:4: services: invalid service name "../../x"; use letters, digits, "_", "." and "-", starting with a letter or digit, e.g. "x"`,
		},
		{
			name:  "service name of dots",
			files: map[string]string{"compose.yaml": "services:\n  \"..\":\n    image: nginx\n"},
			want:  `compose.yaml:2: services: invalid service name ".."; use letters, digits, "_", "." and "-", starting with a letter or digit, e.g. "web"`,
		},
		{
			name:  "service name starting with a dash",
			files: map[string]string{"compose.yaml": "services:\n  -web:\n    image: nginx\n"},
			want:  `compose.yaml:2: services: invalid service name "-web"; use letters, digits, "_", "." and "-", starting with a letter or digit, e.g. "web"`,
		},
		{
			name:  "service name with slashes in an included file",
			files: map[string]string{"compose.yaml": "include: [other.yaml]\nservices:\n  web:\n    image: nginx\n", "other.yaml": "services:\n  a/b:\n    image: nginx\n"},
			want:  `other.yaml: services: invalid service name "a/b"; use letters, digits, "_", "." and "-", starting with a letter or digit, e.g. "ab"`,
		},
		{
			name:  "hidden service name in an included file",
			files: map[string]string{"compose.yaml": "include: [other.yaml]\nservices:\n  web:\n    image: nginx\n", "other.yaml": "services:\n  .db:\n    image: nginx\n"},
			want:  `services: invalid service name ".db" in a file pulled in by include or extends; use letters, digits, "_", "." and "-", starting with a letter or digit, e.g. "db"`,
		},
		{
			name:  "no compose file",
			files: map[string]string{"sub/README": ""},
			opts:  Options{WorkingDir: "sub"},
			want:  `no compose file found in DIR/sub or its parents; create compose.yaml or give -f`,
		},
		{
			name:  "missing -f file",
			files: map[string]string{"compose.yaml": "services: {}\n"},
			opts:  Options{Files: []string{"other.yaml"}},
			want:  `other.yaml: no such file; check the path given with -f or COMPOSE_FILE`,
		},
		{
			name:  "missing env file",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n"},
			opts:  Options{EnvFiles: []string{"prod.env"}},
			want:  `prod.env: env file not found; check the path given with --env-file`,
		},
		{
			name:  "invalid -p",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n"},
			opts:  Options{ProjectName: "My App"},
			want:  `invalid project name "My App"; use only lowercase letters, digits, "-" and "_", starting with a letter or digit, e.g. "myapp"`,
		},
		{
			name:  "unknown service named",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n"},
			opts:  Options{Services: []string{"wbe"}},
			want:  `no such service: wbe; did you mean "web"?`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, t.TempDir(), tt.files)
			o := tt.opts
			o.WorkingDir = filepath.Join(dir, o.WorkingDir)
			_, _, err := Load(context.Background(), o)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error is %T, not *Error", err)
			}
			if got := strings.ReplaceAll(err.Error(), dir, "DIR"); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// aliasBomb is a "billion laughs" Compose file: levels anchors, each a list of nine
// aliases of the one before, so that it expands to 9^levels strings.
func aliasBomb(levels int) string {
	var b strings.Builder
	b.WriteString("x-l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= levels; i++ {
		a := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "x-l%d: &l%d [%s]\n", i, i, strings.Repeat(a+", ", 8)+a)
	}
	b.WriteString("services:\n  web:\n    image: nginx\n")
	return b.String()
}

// TestLoadAliasBombBounded checks that an alias bomb is refused before it expands: 9^9
// strings would take gigabytes, the refusal takes a few megabytes.
func TestLoadAliasBombBounded(t *testing.T) {
	dir := writeFiles(t, t.TempDir(), map[string]string{"compose.yaml": aliasBomb(9)})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan error, 1)
	go func() {
		_, _, err := Load(context.Background(), Options{WorkingDir: dir})
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute): // only a safety net against a test that never ends
		t.Fatal("Load did not return")
	}
	runtime.ReadMemStats(&after)
	var ce *Error
	if !errors.As(err, &ce) || !strings.Contains(ce.Msg, "expands too much") {
		t.Fatalf("error %v, want the file refused for expanding too much", err)
	}
	const limit = 64 << 20
	n := after.TotalAlloc - before.TotalAlloc
	t.Logf("refused in %d KiB allocated", n>>10)
	if n > limit {
		t.Errorf("Load allocated %d MiB, want under %d MiB", n>>20, limit>>20)
	}
}

// spaces is a stdin of n spaces.
type spaces struct{ n int }

func (s *spaces) Read(p []byte) (int, error) {
	if s.n == 0 {
		return 0, io.EOF
	}
	p = p[:min(len(p), s.n)]
	for i := range p {
		p[i] = ' '
	}
	s.n -= len(p)
	return len(p), nil
}

func TestLoadRefusesLargeFiles(t *testing.T) {
	tests := []struct {
		name string
		size int64 // of compose.yaml, sparse; 0: none
		opts Options
		want string
	}{
		{
			name: "file",
			size: 64 << 20,
			want: `compose.yaml: larger than 8 MiB, too large for a Compose file; check the path given with -f or COMPOSE_FILE`,
		},
		{
			name: "file just over the limit",
			size: 8<<20 + 1,
			opts: Options{Files: []string{"compose.yaml"}},
			want: `compose.yaml: larger than 8 MiB, too large for a Compose file; check the path given with -f or COMPOSE_FILE`,
		},
		{
			name: "stdin",
			opts: Options{Files: []string{"-"}, Stdin: &spaces{64 << 20}},
			want: `stdin: larger than 8 MiB, too large for a Compose file; check what is piped to -f -`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.size > 0 {
				f := filepath.Join(writeFiles(t, dir, map[string]string{"compose.yaml": ""}), "compose.yaml")
				if err := os.Truncate(f, tt.size); err != nil {
					t.Fatal(err)
				}
			}
			o := tt.opts
			o.WorkingDir = dir
			_, _, err := Load(context.Background(), o)
			var ce *Error
			if !errors.As(err, &ce) || err.Error() != tt.want {
				t.Errorf("error:\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}
