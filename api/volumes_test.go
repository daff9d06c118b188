package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/volume"
	bolt "go.etcd.io/bbolt"

	"berth/engine"
	"berth/store"
	"berth/volumes"
)

// volumeServer serves the /volumes endpoints from a real store on a temporary root and
// the given container records.
func volumeServer(t *testing.T, containers ...*store.Container) (*httptest.Server, *volumes.Store) {
	t.Helper()
	root := t.TempDir()
	db, err := bolt.Open(filepath.Join(root, "berth.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := volumes.Open(root, db)
	if err != nil {
		t.Fatal(err)
	}
	// The store stands in for the engine, with the same rule for what is in use.
	users := func() (map[string][]string, error) { return engine.VolumeUsersOf(containers), nil }
	inUse := func(name string) []string { u, _ := users(); return u[name] }
	a := volumeAPI{listVolumes: st.List, volume: st.Get, log: slog.New(slog.DiscardHandler), listUsers: users, createVolume: st.Create,
		removeVolume: func(name string, force bool) error { return st.Remove(name, force, inUse) },
		pruneVolumes: func(all bool, match func(volumes.Volume) bool) ([]string, int64, error) {
			return st.Prune(inUse, all, match)
		}}
	m := http.NewServeMux()
	volumeRoutes(m, func() volumeAPI { return a })
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return srv, st
}

func do(t *testing.T, srv *httptest.Server, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return res.StatusCode
}

func user(name string, binds []string, mounts ...mount.Mount) *store.Container {
	return &store.Container{ID: name + "-id", Name: name, Config: &container.Config{},
		HostConfig: &container.HostConfig{Binds: binds, Mounts: mounts}}
}

func TestVolumeJSON(t *testing.T) {
	srv, _ := volumeServer(t)
	var v volume.Volume
	if code := do(t, srv, "POST", "/volumes/create", `{"Name":"data","Labels":{"team":"web"}}`, &v); code != http.StatusCreated {
		t.Fatalf("create: status %d", code)
	}
	if v.Name != "data" || v.Driver != "local" || v.Scope != "local" || v.Labels["team"] != "web" ||
		!strings.HasSuffix(v.Mountpoint, "/volumes/data/_data") || v.CreatedAt == "" {
		t.Errorf("created %+v", v)
	}
	// Docker shows absent labels and options as null.
	var raw map[string]any
	do(t, srv, "POST", "/volumes/create", `{"Name":"plain"}`, nil)
	if code := do(t, srv, "GET", "/volumes/plain", "", &raw); code != http.StatusOK {
		t.Fatalf("inspect: status %d", code)
	}
	for _, k := range []string{"Labels", "Options"} {
		if v, ok := raw[k]; !ok || v != nil {
			t.Errorf("%s = %v, want null", k, v)
		}
	}
	var list volume.ListResponse
	do(t, srv, "GET", "/volumes", "", &list)
	if len(list.Volumes) != 2 || list.Warnings == nil {
		t.Errorf("list %+v", list)
	}
	var anon volume.Volume
	do(t, srv, "POST", "/volumes/create", `{}`, &anon)
	if _, ok := anon.Labels[volumes.AnonymousLabel]; !ok || len(anon.Name) != 64 {
		t.Errorf("anonymous volume %+v", anon)
	}
}

func TestVolumeErrors(t *testing.T) {
	srv, _ := volumeServer(t, user("web-1", []string{"data:/var/lib/data:ro", "/srv:/srv"}))
	do(t, srv, "POST", "/volumes/create", `{"Name":"data"}`, nil)
	tests := []struct {
		method, path, body string
		code               int
		msg                string
	}{
		{"GET", "/volumes/nope", "", 404, "no such volume: nope"},
		{"POST", "/volumes/create", `{"Name":"a/b"}`, 400, `"a/b" includes invalid characters`},
		{"POST", "/volumes/create", `{"Name":"x1","Driver":"nfs"}`, 400, `volume driver "nfs" is not supported`},
		{"POST", "/volumes/create", `{"Name":"x1","DriverOpts":{"type":"tmpfs"}}`, 400, "driver options are not supported yet"},
		{"DELETE", "/volumes/data", "", 409, "remove data: volume is in use by container(s) web-1"},
		{"DELETE", "/volumes/data?force=1", "", 409, "in use"},
		{"DELETE", "/volumes/nope", "", 404, "no such volume: nope"},
		{"DELETE", "/volumes/nope?force=1", "", 204, ""},
		{"GET", "/volumes?filters=" + url.QueryEscape(`{"dangling":["maybe"]}`), "", 400, "invalid filter 'dangling=maybe'"},
		{"GET", "/volumes?filters=" + url.QueryEscape(`{"colour":["red"]}`), "", 400, "invalid filter"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.body, func(t *testing.T) {
			var body struct{ Message string }
			var out any = &body
			if tt.code == 204 {
				out = nil
			}
			code := do(t, srv, tt.method, tt.path, tt.body, out)
			if code != tt.code || !strings.Contains(body.Message, tt.msg) {
				t.Errorf("got %d %q, want %d containing %q", code, body.Message, tt.code, tt.msg)
			}
		})
	}
}

func TestVolumeListFilters(t *testing.T) {
	srv, _ := volumeServer(t, user("web-1", nil, mount.Mount{Type: mount.TypeVolume, Source: "used", Target: "/data"}))
	do(t, srv, "POST", "/volumes/create", `{"Name":"used","Labels":{"tier":"db"}}`, nil)
	do(t, srv, "POST", "/volumes/create", `{"Name":"free","Labels":{"tier":"web"}}`, nil)
	tests := []struct {
		filters string
		want    []string
	}{
		{``, []string{"free", "used"}},
		{`{"dangling":{"true":true}}`, []string{"free"}},
		{`{"dangling":["0"]}`, []string{"used"}},
		{`{"name":["fr"]}`, []string{"free"}},
		{`{"name":["^u"]}`, []string{"used"}},
		{`{"label":["tier=web"]}`, []string{"free"}},
		{`{"label":["tier"]}`, []string{"free", "used"}},
		{`{"driver":["local"]}`, []string{"free", "used"}},
		{`{"driver":["nfs"]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.filters, func(t *testing.T) {
			var list volume.ListResponse
			if code := do(t, srv, "GET", "/volumes?filters="+url.QueryEscape(tt.filters), "", &list); code != 200 {
				t.Fatalf("status %d", code)
			}
			var got []string
			for _, v := range list.Volumes {
				got = append(got, v.Name)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVolumePrune(t *testing.T) {
	tests := []struct {
		filters string
		want    []string
	}{
		{``, []string{"anon"}},
		{`{"all":["true"]}`, []string{"anon", "named"}},
		{`{"all":{"1":true},"label!":{"keep":true}}`, []string{"anon"}},
		{`{"all":["true"],"label":["keep"]}`, []string{"named"}},
	}
	for _, tt := range tests {
		t.Run(tt.filters, func(t *testing.T) {
			srv, st := volumeServer(t, user("web-1", []string{"used:/data"}))
			do(t, srv, "POST", "/volumes/create", `{"Name":"used"}`, nil)
			do(t, srv, "POST", "/volumes/create", `{"Name":"named","Labels":{"keep":""}}`, nil)
			do(t, srv, "POST", "/volumes/create", `{"Name":"anon","Labels":{"com.docker.volume.anonymous":""}}`, nil)
			v, _ := st.Get("anon")
			if err := os.WriteFile(filepath.Join(v.Mountpoint, "f"), make([]byte, 1234), 0o644); err != nil {
				t.Fatal(err)
			}
			var rep volume.PruneReport
			path := "/volumes/prune"
			if tt.filters != "" {
				path += "?filters=" + url.QueryEscape(tt.filters)
			}
			if code := do(t, srv, "POST", path, "", &rep); code != 200 {
				t.Fatalf("status %d", code)
			}
			if !reflect.DeepEqual(rep.VolumesDeleted, tt.want) {
				t.Errorf("deleted %v, want %v", rep.VolumesDeleted, tt.want)
			}
			wantSize := uint64(0)
			if tt.want[0] == "anon" {
				wantSize = 1234
			}
			if rep.SpaceReclaimed != wantSize {
				t.Errorf("reclaimed %d, want %d", rep.SpaceReclaimed, wantSize)
			}
			if _, err := st.Get("used"); err != nil {
				t.Errorf("pruned a volume in use: %v", err)
			}
		})
	}
}
