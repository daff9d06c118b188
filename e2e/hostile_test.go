package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The hostile-input tier: for each crafted input, berth answers with a clear error, the
// daemon still answers, and the store and the host are as before.

type tarEntry struct {
	name, link, body string
	typ              byte
}

func tarFile(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o644}
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if e.typ == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	tw.Close()
	return buf.Bytes()
}

// dockerSave returns a docker-save archive of one image with the given layer, tagged tag.
func dockerSave(t *testing.T, tag string, layer []byte) []byte {
	t.Helper()
	sum := sha256.Sum256(layer)
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Cmd": []string{"sh"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(sum[:])}},
	})
	man, _ := json.Marshal([]map[string]any{{"Config": "config.json", "RepoTags": []string{tag}, "Layers": []string{"layer.tar"}}})
	return tarFile(t,
		tarEntry{name: "config.json", body: string(cfg), typ: tar.TypeReg},
		tarEntry{name: "layer.tar", body: string(layer), typ: tar.TypeReg},
		tarEntry{name: "manifest.json", body: string(man), typ: tar.TypeReg})
}

// hostState is what a hostile input must leave as it was: the image list, and a
// directory beside the archive with a file in it.
type hostState struct {
	images string
	canary string
}

func (e *env) hostState(canary string) hostState {
	e.t.Helper()
	b, _ := os.ReadFile(filepath.Join(canary, "keep"))
	names, _ := os.ReadDir(canary)
	var ns []string
	for _, n := range names {
		ns = append(ns, n.Name())
	}
	return hostState{images: e.must("image", "ls", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"),
		canary: string(b) + " " + strings.Join(ns, ",")}
}

func TestHostileImageArchives(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	canary := filepath.Join(dir, "canary")
	os.MkdirAll(canary, 0o755)
	os.WriteFile(filepath.Join(canary, "keep"), []byte("keep"), 0o644)
	good := tarFile(t, tarEntry{name: "f", body: "x", typ: tar.TypeReg})
	cases := []struct {
		name, want string
		archive    []byte
	}{
		{"OCI index.json linked to /dev/zero", "archive lacks index.json",
			tarFile(t, tarEntry{name: "oci-layout", body: `{"imageLayoutVersion":"1.0.0"}`, typ: tar.TypeReg}, tarEntry{name: "index.json", link: "/dev/zero", typ: tar.TypeSymlink})},
		{"OCI blobs linked to a host directory", "archive lacks blobs/sha256/",
			tarFile(t, tarEntry{name: "index.json", typ: tar.TypeReg, body: `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("a", 64) + `","size":10}]}`},
				tarEntry{name: "blobs", link: canary, typ: tar.TypeSymlink})},
		{"manifest.json of megabytes", "larger than 4 MiB",
			tarFile(t, tarEntry{name: "manifest.json", body: "[" + strings.Repeat(" ", 5<<20) + "]", typ: tar.TypeReg})},
		{"a whiteout of the layer's parent", `whiteout ".wh..." names no entry`,
			dockerSave(t, "evil:1", tarFile(t, tarEntry{name: "d/", typ: tar.TypeDir}, tarEntry{name: "d/.wh...", typ: tar.TypeReg}))},
		{"a layer entry climbing out", `escapes the destination`,
			dockerSave(t, "evil:2", tarFile(t, tarEntry{name: "../../../../../.." + canary + "/evil", body: "x", typ: tar.TypeReg}))},
		{"an entry through a symlink to the host", "",
			dockerSave(t, "evil:3", tarFile(t, tarEntry{name: "l", link: canary, typ: tar.TypeSymlink}, tarEntry{name: "l/evil", body: "x", typ: tar.TypeReg}))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.hostState(canary)
			p := filepath.Join(dir, "archive.tar")
			os.WriteFile(p, c.archive, 0o644)
			r := e.run("image", "load", "-i", p)
			if r.code == 0 || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "goroutine") {
				t.Errorf("want a refusal saying %q:\n%s", c.want, r)
			}
			if after := e.hostState(canary); after != before {
				t.Errorf("load changed the store or the host: %+v, was %+v", after, before)
			}
		})
	}
	// A well-formed archive still loads beside them.
	p := filepath.Join(dir, "good.tar")
	os.WriteFile(p, dockerSave(t, "good:1", good), 0o644)
	if out := e.must("image", "load", "-i", p); !strings.Contains(out, "Loaded image: good:1") {
		t.Errorf("good archive: %s", out)
	}
}

// apiClient talks HTTP to the env's daemon socket.
func (e *env) apiClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", e.dirs.Socket)
		}}}
}

func (e *env) api(method, path string, body io.Reader) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, "http://berth"+path, body)
	req.Header.Set("Content-Type", "application/json")
	res, err := e.apiClient().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestHostileAPIRequests(t *testing.T) {
	e := newEnv(t)
	before := e.must("container", "ls", "-a", "-q")
	big := `{"Image":"` + testImage + `","Labels":{"x":"` + strings.Repeat("y", 50<<20) + `"}}`
	cases := []struct {
		name, path, body, want string
		status                 int
	}{
		{"a 50 MB create body", "/containers/create", big, "over 4 MiB", 413},
		{"swap below memory", "/containers/create", `{"Image":"` + testImage + `","HostConfig":{"Memory":67108864,"MemorySwap":33554432}}`, "Minimum memoryswap limit should be larger than memory limit", 400},
		{"negative CPU shares", "/containers/create", `{"Image":"` + testImage + `","HostConfig":{"CpuShares":-1}}`, "invalid CPU shares", 400},
		{"CPU quota under 1000", "/containers/create", `{"Image":"` + testImage + `","HostConfig":{"CpuQuota":10}}`, "CPU cfs quota", 400},
		{"relative working directory", "/containers/create", `{"Image":"` + testImage + `","WorkingDir":"rel"}`, "working directory", 400},
		{"environment entry without a name", "/containers/create", `{"Image":"` + testImage + `","Env":["=x"]}`, "invalid environment variable", 400},
		{"negative shm size", "/containers/create", `{"Image":"` + testImage + `","HostConfig":{"ShmSize":-1}}`, "SHM size", 400},
		{"a bind onto /", "/containers/create", `{"Image":"` + testImage + `","HostConfig":{"Binds":["/tmp:/"]}}`, "/", 400},
		{"a too-new API version", "/v99999999999999999999/_ping", "", "too new", 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method := "POST"
			if c.body == "" {
				method = "GET"
			}
			status, body := e.api(method, c.path, strings.NewReader(c.body))
			if status != c.status || !strings.Contains(strings.ToLower(body), strings.ToLower(c.want)) {
				t.Errorf("%s %s: %d %s; want %d saying %q", method, c.path, status, body, c.status, c.want)
			}
			if status, _ := e.api("GET", "/_ping", nil); status != 200 {
				t.Errorf("/_ping after %s: %d", c.name, status)
			}
		})
	}
	if after := e.must("container", "ls", "-a", "-q"); after != before {
		t.Errorf("refused creates left containers: %q", after)
	}
}

func TestHostileComposeFiles(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, yaml, want string
	}{
		{"duplicate container_name", `services:
  a:
    image: ` + testImage + `
    command: sleep 100
    container_name: same
  b:
    image: ` + testImage + `
    command: sleep 100
    container_name: same
`, `container name "same" is already that of service`},
		{"alias bomb", "x: &a [1,1,1,1,1,1,1,1,1]\n" + bomb() + "services:\n  a:\n    image: " + testImage + "\n", "expands too much"},
		{"service name climbing", "services:\n  ../../x:\n    image: " + testImage + "\n", "invalid service name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := e.newStack("hostile", c.yaml)
			start := time.Now()
			r := s.run("up", "-d")
			if r.code == 0 || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "goroutine") {
				t.Errorf("want a refusal saying %q:\n%s", c.want, r)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("refusal took %s", d)
			}
			if out := e.must("container", "ls", "-a", "-q"); out != "" {
				t.Errorf("a refused up created containers: %s", out)
			}
			if out := e.must("network", "ls", "--format", "{{.Name}}"); strings.Contains(out, "hostile") {
				t.Errorf("a refused up created networks: %s", out)
			}
		})
	}
}

// bomb returns YAML anchors that expand nine-fold per level.
func bomb() string {
	var b strings.Builder
	prev := "a"
	for i := range 9 {
		name := fmt.Sprintf("l%d", i)
		fmt.Fprintf(&b, "%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", name, name, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = name
	}
	return b.String()
}

// A thousand published ports on one container, and fifty containers with twenty each,
// come up and forward; the firewall keeps taking changes afterwards.
func TestPublishManyPorts(t *testing.T) {
	e := newEnv(t)
	var y strings.Builder
	y.WriteString("services:\n  many:\n    image: " + testImage + "\n    command: [\"httpd\", \"-f\", \"-p\", \"20500\", \"-h\", \"/etc\"]\n    ports: [\"127.0.0.1:20000-20999:20000-20999\"]\n")
	for i := range 50 {
		fmt.Fprintf(&y, "  s%d:\n    image: %s\n    command: [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/etc\"]\n    ports: [\"127.0.0.1:%d-%d:80-99\"]\n", i, testImage, 21000+i*20, 21000+i*20+19)
	}
	s := e.newStack("ports", y.String())
	s.must("up", "-d")
	t.Cleanup(func() { s.run("down", "-t", "0") })
	for _, addr := range []string{"127.0.0.1:20500", "127.0.0.1:21000", "127.0.0.1:21980"} {
		// Any HTTP answer (httpd lists no directory) has come through the port.
		waitFor(t, 20*time.Second, "an HTTP answer from "+addr, func() bool {
			_, err := loopbackGet(addr)
			return err == nil
		}, func() string { return s.run("ps", "-a").String() + s.run("logs", "many").String() })
	}
	e.must("network", "create", "after-ports")
	e.must("network", "rm", "after-ports")
}

// Compose's volume nocopy and bind propagation reach the engine as options it knows: a
// nocopy volume starts empty, where a plain one gets the image's content.
func TestStackVolumeNoCopyAndPropagation(t *testing.T) {
	e := newEnv(t)
	host := t.TempDir()
	s := e.newStack("opts", `services:
  app:
    image: `+testImage+`
    command: ["sleep", "1000"]
    volumes:
      - type: volume
        source: empty
        target: /etc
        volume: {nocopy: true}
      - type: volume
        source: full
        target: /bin
      - type: bind
        source: `+host+`
        target: /host
        bind: {propagation: rslave}
volumes:
  empty: {}
  full: {}
`)
	s.must("up", "-d")
	t.Cleanup(func() { s.run("down", "-v", "-t", "0") })
	if out := e.execOut("opts-app-1", "ls /etc | wc -l").stdout; strings.TrimSpace(out) != "0" {
		t.Errorf("a nocopy volume got the image's /etc: %q entries", out)
	}
	if out := e.execOut("opts-app-1", "ls /bin | wc -l").stdout; strings.TrimSpace(out) == "0" {
		t.Error("a plain volume did not get the image's /bin")
	}
}
