package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/spf13/pflag"
)

func TestParseMemory(t *testing.T) {
	tests := []struct {
		name, in string
		want     int64
		wantErr  bool
	}{
		{"empty", "", 0, false},
		{"bytes", "1024", 1024, false},
		{"kilobytes", "2k", 2048, false},
		{"megabytes", "64m", 64 << 20, false},
		{"upper case", "1G", 1 << 30, false},
		{"with b", "64mb", 64 << 20, false},
		{"bad unit", "12q", 0, true},
		{"negative", "-1m", 0, true},
		{"words", "lots", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMemory("--memory", tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseMemory(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseMemory(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
	_, err := parseMemory("--memory", "12q")
	want := `invalid --memory "12q": use a number with an optional unit b, k, m, g, e.g. 64m`
	if err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestParseCPUs(t *testing.T) {
	tests := []struct {
		name, in string
		want     int64
		wantErr  string
	}{
		{"empty", "", 0, ""},
		{"half", "0.5", 500_000_000, ""},
		{"two", "2", 2_000_000_000, ""},
		{"nine decimals", "0.000000001", 1, ""},
		{"too precise", "0.0000000001", 0, "too precise"},
		{"negative", "-1", 0, "invalid --cpus"},
		{"not a number", "x", 0, "invalid --cpus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCPUs(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseCPUs(%q) error %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseCPUs(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseEnv(t *testing.T) {
	t.Setenv("BERTH_TEST_FROM_HOST", "hostval")
	dir := t.TempDir()
	file := filepath.Join(dir, "env")
	if err := os.WriteFile(file, []byte("# comment\n\nA=1\n  B=two words\nBERTH_TEST_FROM_HOST\nUNSET_BERTH_TEST_VAR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("A=1\nBAD KEY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		files   []string
		values  []string
		want    []string
		wantErr string
	}{
		{"none", nil, nil, nil, ""},
		{"values", nil, []string{"A=1", "B=", "C=x=y"}, []string{"A=1", "B=", "C=x=y"}, ""},
		{"copied from host", nil, []string{"BERTH_TEST_FROM_HOST"}, []string{"BERTH_TEST_FROM_HOST=hostval"}, ""},
		{"unset stays bare", nil, []string{"UNSET_BERTH_TEST_VAR"}, []string{"UNSET_BERTH_TEST_VAR"}, ""},
		{"file then flags", []string{file}, []string{"A=override"},
			[]string{"A=1", "B=two words", "BERTH_TEST_FROM_HOST=hostval", "UNSET_BERTH_TEST_VAR", "A=override"}, ""},
		{"empty name", nil, []string{"=x"}, nil, `invalid --env "=x"`},
		{"bad file line", []string{bad}, nil, nil, bad + ":2:"},
		{"missing file", []string{filepath.Join(dir, "nope")}, nil, nil, "read --env-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseEnv(tt.files, tt.values)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseVolumes(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		in        []string
		wantBinds []string
		wantAnon  map[string]struct{}
		wantErr   string
	}{
		{"bind", []string{"/srv:/data"}, []string{"/srv:/data"}, nil, ""},
		{"read-only", []string{"/srv:/data:ro"}, []string{"/srv:/data:ro"}, nil, ""},
		{"named volume", []string{"cache:/cache"}, []string{"cache:/cache"}, nil, ""},
		{"relative host", []string{"./d:/d"}, []string{filepath.Join(cwd, "d") + ":/d"}, nil, ""},
		{"anonymous", []string{"/scratch"}, nil, map[string]struct{}{"/scratch": {}}, ""},
		{"relative container", []string{"/srv:data"}, nil, nil, `container path "data" is not absolute`},
		{"bad mode", []string{"/srv:/data:rx"}, nil, nil, `unknown mode "rx"`},
		{"too many colons", []string{"/a:/b:ro:x"}, nil, nil, "too many colons"},
		{"empty host", []string{":/data"}, nil, nil, "host path is empty"},
		{"root target", []string{"/srv:/"}, nil, nil, "cannot be /"},
		{"ambiguous host", []string{"a/b:/data"}, nil, nil, "neither absolute nor a volume name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			binds, anon, err := parseVolumes(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "HOST:CONTAINER") {
					t.Errorf("error %q does not show the expected form", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(binds, tt.wantBinds) || !reflect.DeepEqual(anon, tt.wantAnon) {
				t.Errorf("got %q %v, want %q %v", binds, anon, tt.wantBinds, tt.wantAnon)
			}
		})
	}
}

func TestParseLogConfig(t *testing.T) {
	tests := []struct {
		name    string
		driver  string
		opts    []string
		want    container.LogConfig
		wantErr string
	}{
		{"default", "", nil, container.LogConfig{Type: "json-file"}, ""},
		{"rotation", "", []string{"max-size=10m", "max-file=3"},
			container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "10m", "max-file": "3"}}, ""},
		{"other driver", "none", nil, container.LogConfig{Type: "none"}, ""},
		{"bad size", "", []string{"max-size=big"}, container.LogConfig{}, "invalid --log-opt max-size=big"},
		{"bad count", "", []string{"max-size=1m", "max-file=0"}, container.LogConfig{}, "invalid --log-opt max-file=0"},
		{"count without size", "", []string{"max-file=2"}, container.LogConfig{}, "needs max-size"},
		{"no equals", "", []string{"max-size"}, container.LogConfig{}, `invalid --log-opt "max-size"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLogConfig(tt.driver, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseSecurityOpts(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "seccomp.json")
	if err := os.WriteFile(profile, []byte("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		in         []string
		want       []string
		unconfined bool
		wantErr    string
	}{
		{"no-new-privileges", []string{"no-new-privileges"}, []string{"no-new-privileges"}, false, ""},
		{"no-new-privileges=true", []string{"no-new-privileges=true"}, []string{"no-new-privileges=true"}, false, ""},
		{"seccomp unconfined", []string{"seccomp=unconfined"}, []string{"seccomp=unconfined"}, false, ""},
		{"seccomp file", []string{"seccomp=" + profile}, []string{`seccomp={"defaultAction":"SCMP_ACT_ALLOW"}`}, false, ""},
		{"deprecated colon", []string{"apparmor:unconfined"}, []string{"apparmor=unconfined"}, false, ""},
		{"systempaths", []string{"systempaths=unconfined"}, nil, true, ""},
		{"unknown", []string{"foo=bar"}, nil, false, `unknown option "foo"`},
		{"bare word", []string{"nonewprivs"}, nil, false, `invalid --security-opt "nonewprivs"`},
		{"bad bool", []string{"no-new-privileges=maybe"}, nil, false, "true or false"},
		{"missing profile", []string{"seccomp=/nonexistent.json"}, nil, false, "read the seccomp profile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSecurityOpts(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.opts, tt.want) || got.unconfinedPaths != tt.unconfined {
				t.Errorf("got %q unconfined=%v, want %q unconfined=%v", got.opts, got.unconfinedPaths, tt.want, tt.unconfined)
			}
		})
	}
}

// TestContainerFlags parses a whole "container run" command line into a create request.
func TestContainerFlags(t *testing.T) {
	var o containerOptions
	f := pflag.NewFlagSet("run", pflag.ContinueOnError)
	addContainerFlags(f, &o)
	if err := f.Parse([]string{
		"--rm", "-e", "A=1", "-v", "/srv:/data:ro", "-w", "/app", "-u", "1000:1000", "--name", "web",
		"--entrypoint", "", "-m", "64m", "--cpus", "1.5", "--pids-limit", "100", "--hostname", "h",
		"--cap-add", "NET_ADMIN", "--cap-drop", "ALL", "--read-only", "--security-opt", "no-new-privileges",
		"--log-opt", "max-size=1m", "--log-opt", "max-file=2", "-it",
		"alpine", "sh", "-c", "echo hi", "-e", "X",
	}); err != nil {
		t.Fatal(err)
	}
	o.noteSetFlags(f)
	args := f.Args()
	spec, err := o.parse(args[0], args[1:])
	if err != nil {
		t.Fatal(err)
	}
	pids := int64(100)
	wantCfg := &container.Config{
		Image:      "alpine",
		Cmd:        []string{"sh", "-c", "echo hi", "-e", "X"},
		Env:        []string{"A=1"},
		WorkingDir: "/app",
		User:       "1000:1000",
		Hostname:   "h",
		Tty:        true,
		OpenStdin:  true,
		Entrypoint: []string{""},
	}
	wantHost := &container.HostConfig{
		Binds:          []string{"/srv:/data:ro"},
		AutoRemove:     true,
		CapAdd:         []string{"NET_ADMIN"},
		CapDrop:        []string{"ALL"},
		ReadonlyRootfs: true,
		SecurityOpt:    []string{"no-new-privileges"},
		LogConfig:      container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "1m", "max-file": "2"}},
		Resources:      container.Resources{Memory: 64 << 20, NanoCPUs: 1_500_000_000, PidsLimit: &pids},
	}
	if !reflect.DeepEqual(spec.Config, wantCfg) {
		t.Errorf("config\n got %+v\nwant %+v", spec.Config, wantCfg)
	}
	if !reflect.DeepEqual(spec.HostConfig, wantHost) {
		t.Errorf("host config\n got %+v\nwant %+v", spec.HostConfig, wantHost)
	}
	if spec.Name != "web" {
		t.Errorf("name %q", spec.Name)
	}
}

func TestContainerFlagsDefaults(t *testing.T) {
	var o containerOptions
	f := pflag.NewFlagSet("run", pflag.ContinueOnError)
	addContainerFlags(f, &o)
	if err := f.Parse([]string{"alpine"}); err != nil {
		t.Fatal(err)
	}
	o.noteSetFlags(f)
	spec, err := o.parse("alpine", nil)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Config.Entrypoint != nil || spec.HostConfig.PidsLimit != nil || spec.Config.StopTimeout != nil {
		t.Errorf("unset flags changed defaults: %+v %+v", spec.Config, spec.HostConfig)
	}
}

func TestContainerFlagsRelativeWorkdir(t *testing.T) {
	o := containerOptions{workdir: "app"}
	if _, err := o.parse("alpine", nil); err == nil || !strings.Contains(err.Error(), "--workdir") {
		t.Errorf("error %v, want one naming --workdir", err)
	}
}
