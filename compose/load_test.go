package compose

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// load writes files into a new directory and loads them with o, WorkingDir taken
// relative to that directory.
func load(t *testing.T, files map[string]string, o Options) (*types.Project, []Warning, string) {
	t.Helper()
	dir := writeFiles(t, t.TempDir(), files)
	o.WorkingDir = filepath.Join(dir, o.WorkingDir)
	p, w, err := Load(context.Background(), o)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return p, w, dir
}

func image(t *testing.T, p *types.Project, service string) string {
	t.Helper()
	s, err := p.GetService(service)
	if err != nil {
		t.Fatalf("service %s: %v", service, err)
	}
	return s.Image
}

const web = "services:\n  web:\n    image: nginx\n"

func TestLoadSearchesParents(t *testing.T) {
	p, _, dir := load(t, map[string]string{"compose.yaml": web, "a/b/README": ""}, Options{WorkingDir: "a/b"})
	if want := []string{filepath.Join(dir, "compose.yaml")}; !slices.Equal(p.ComposeFiles, want) {
		t.Errorf("ComposeFiles = %v, want %v", p.ComposeFiles, want)
	}
	if p.WorkingDir != dir {
		t.Errorf("WorkingDir = %s, want %s", p.WorkingDir, dir)
	}
}

func TestLoadMerges(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		opts  Options
		check func(t *testing.T, p *types.Project)
	}{
		{
			name: "override file",
			files: map[string]string{
				"compose.yaml":          web,
				"compose.override.yaml": "services:\n  web:\n    image: nginx:1.27\n    ports: [\"8080:80\"]\n",
			},
			check: func(t *testing.T, p *types.Project) {
				if got := image(t, p, "web"); got != "nginx:1.27" {
					t.Errorf("image = %s", got)
				}
				if len(p.Services["web"].Ports) != 1 {
					t.Errorf("ports = %v", p.Services["web"].Ports)
				}
			},
		},
		{
			name: "-f twice",
			files: map[string]string{
				"base.yaml": web,
				"prod.yaml": "services:\n  web:\n    environment:\n      MODE: prod\n  db:\n    image: postgres\n",
			},
			opts: Options{Files: []string{"base.yaml", "prod.yaml"}},
			check: func(t *testing.T, p *types.Project) {
				if got := p.Services["web"].Environment["MODE"]; got == nil || *got != "prod" {
					t.Errorf("MODE = %v", got)
				}
				if image(t, p, "db") != "postgres" {
					t.Error("db missing")
				}
			},
		},
		{
			name:  "stdin",
			files: map[string]string{"compose.yaml": "services:\n  other:\n    image: x\n"},
			opts:  Options{Files: []string{"-"}, Stdin: strings.NewReader(web)},
			check: func(t *testing.T, p *types.Project) {
				if image(t, p, "web") != "nginx" || len(p.Services) != 1 {
					t.Errorf("services = %v", p.ServiceNames())
				}
			},
		},
		{
			name: "include",
			files: map[string]string{
				"compose.yaml":    "include:\n  - db/compose.yaml\n" + web + "    depends_on: [db]\n",
				"db/compose.yaml": "services:\n  db:\n    image: postgres\n    env_file: db.env\n",
				"db/db.env":       "POSTGRES_DB=app\n",
			},
			check: func(t *testing.T, p *types.Project) {
				if got := p.Services["db"].Environment["POSTGRES_DB"]; got == nil || *got != "app" {
					t.Errorf("POSTGRES_DB = %v", got)
				}
			},
		},
		{
			name: "extends",
			files: map[string]string{
				"compose.yaml": "services:\n  web:\n    extends:\n      file: base.yaml\n      service: base\n    image: nginx\n",
				"base.yaml":    "services:\n  base:\n    image: busybox\n    environment:\n      LOG: debug\n",
			},
			check: func(t *testing.T, p *types.Project) {
				if got := p.Services["web"].Environment["LOG"]; got == nil || *got != "debug" {
					t.Errorf("LOG = %v", got)
				}
				if image(t, p, "web") != "nginx" {
					t.Error("extends overrode the image")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, _ := load(t, tt.files, tt.opts)
			tt.check(t, p)
		})
	}
}

func TestLoadInterpolates(t *testing.T) {
	const file = "services:\n  web:\n    image: \"nginx:${TAG:-latest}\"\n    environment:\n      EMPTY: \"${UNSET-}\"\n      DEF: \"${EMPTY_VAR:-fallback}\"\n"
	tests := []struct {
		name  string
		files map[string]string
		opts  Options
		want  string
	}{
		{"default", nil, Options{}, "nginx:latest"},
		{".env", map[string]string{".env": "TAG=1.25\n"}, Options{}, "nginx:1.25"},
		{"environment wins over .env", map[string]string{".env": "TAG=1.25\n"}, Options{Environ: []string{"TAG=1.27"}}, "nginx:1.27"},
		{"--env-file replaces .env", map[string]string{".env": "TAG=1.25\n", "prod.env": "TAG=1.26\n"}, Options{EnvFiles: []string{"prod.env"}}, "nginx:1.26"},
		{".env beside the project directory", map[string]string{"app/.env": "TAG=2\n", "app/compose.yaml": file}, Options{WorkingDir: "app/sub2"}, "nginx:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"compose.yaml": file, "app/sub2/x": ""}
			for k, v := range tt.files {
				files[k] = v
			}
			tt.opts.Environ = append(tt.opts.Environ, "EMPTY_VAR=")
			p, _, _ := load(t, files, tt.opts)
			if got := image(t, p, "web"); got != tt.want {
				t.Errorf("image = %s, want %s", got, tt.want)
			}
			env := p.Services["web"].Environment
			if env["EMPTY"] == nil || *env["EMPTY"] != "" || env["DEF"] == nil || *env["DEF"] != "fallback" {
				t.Errorf("environment = %v", env)
			}
		})
	}
}

func TestLoadProfiles(t *testing.T) {
	const file = web + "  debug:\n    image: busybox\n    profiles: [debug]\n    depends_on: [helper]\n  helper:\n    image: busybox\n    profiles: [tools]\n"
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"none", Options{}, []string{"web"}},
		{"--profile", Options{Profiles: []string{"debug", "tools"}}, []string{"debug", "helper", "web"}},
		{"COMPOSE_PROFILES", Options{Environ: []string{"COMPOSE_PROFILES=tools"}}, []string{"helper", "web"}},
		{"--profile wins over COMPOSE_PROFILES", Options{Profiles: []string{"tools"}, Environ: []string{"COMPOSE_PROFILES=debug"}}, []string{"helper", "web"}},
		{"named service enables itself and its dependencies", Options{Services: []string{"debug"}}, []string{"debug", "helper", "web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, _ := load(t, map[string]string{"compose.yaml": file}, tt.opts)
			if got := p.ServiceNames(); !slices.Equal(got, tt.want) {
				t.Errorf("services = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLoadProjectName(t *testing.T) {
	tests := []struct {
		name  string
		named string // name: in the file
		opts  Options
		want  string
	}{
		{"directory, normalized", "", Options{}, "my_appv2"},
		{"name: wins over the directory, normalized", "name: My-Stack\n", Options{}, "my-stack"},
		{"COMPOSE_PROJECT_NAME wins over name:", "name: stack\n", Options{Environ: []string{"COMPOSE_PROJECT_NAME=fromenv"}}, "fromenv"},
		{"COMPOSE_PROJECT_NAME from .env", "", Options{Files: []string{"compose.yaml"}, EnvFiles: []string{"vars.env"}}, "dotenv"},
		{"-p wins over everything", "name: stack\n", Options{ProjectName: "cli", Environ: []string{"COMPOSE_PROJECT_NAME=fromenv"}}, "cli"},
		{"--project-directory", "", Options{ProjectDir: "Other.Dir"}, "otherdir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"My_App.v2/compose.yaml": tt.named + web, "My_App.v2/vars.env": "COMPOSE_PROJECT_NAME=dotenv\n"}
			tt.opts.WorkingDir = "My_App.v2"
			if tt.opts.ProjectDir != "" {
				files["My_App.v2/"+tt.opts.ProjectDir+"/x"] = ""
			}
			p, _, _ := load(t, files, tt.opts)
			if p.Name != tt.want {
				t.Errorf("name = %q, want %q", p.Name, tt.want)
			}
		})
	}
}

func TestLoadWarnsUnsupported(t *testing.T) {
	files := map[string]string{
		"compose.yaml": `services:
  web:
    image: nginx
    restart: always
    logging:
      driver: syslog
    security_opt: [label=disable, no-new-privileges]
  db:
    image: postgres
    restart: "no"
    logging:
      driver: json-file
  debug:
    image: busybox
    profiles: [debug]
    restart: always
`,
		"compose.override.yaml": "services:\n  db:\n    dns: 1.1.1.1\n",
	}
	_, warnings, _ := load(t, files, Options{})
	var got []string
	for _, w := range warnings {
		got = append(got, w.String())
	}
	want := []string{
		"compose.override.yaml: services.db.dns: not supported yet and ignored",
		`compose.yaml: services.web.logging.driver: "syslog" not supported yet, json-file is used`,
		"compose.yaml: services.web.restart: not supported yet and ignored",
		`compose.yaml: services.web.security_opt: "label=disable" not supported yet and ignored`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if warnings[1].Service != "web" || warnings[1].File != "compose.yaml" {
		t.Errorf("warning = %+v", warnings[1])
	}
}
