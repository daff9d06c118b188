package volumes

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	bolt "go.etcd.io/bbolt"
)

// open returns a store on a fresh root and database, and the root.
func open(t *testing.T) (*Store, string, *bolt.DB) {
	t.Helper()
	root := t.TempDir()
	db, err := bolt.Open(filepath.Join(root, "berth.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := Open(root, db)
	if err != nil {
		t.Fatal(err)
	}
	return s, root, db
}

func noUsers(string) []string { return nil }

func names(vs []Volume) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return out
}

func TestCreateGetListRemove(t *testing.T) {
	s, root, _ := open(t)
	v, err := s.Create("data", map[string]string{"team": "web"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(root, "volumes", "data", "_data")
	if v.Name != "data" || v.Driver != "local" || v.Mountpoint != want || v.Anonymous || v.CreatedAt.IsZero() || v.Labels["team"] != "web" {
		t.Errorf("created %+v", v)
	}
	if fi, err := os.Stat(want); err != nil || !fi.IsDir() {
		t.Fatalf("mountpoint: %v", err)
	}
	got, err := s.Get("data")
	if err != nil || !reflect.DeepEqual(got, v) {
		t.Errorf("get: %+v, %v; want %+v", got, err, v)
	}
	if _, err := s.Create("cache", nil, nil); err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil || !reflect.DeepEqual(names(list), []string{"cache", "data"}) {
		t.Errorf("list: %v, %v", names(list), err)
	}
	if err := os.WriteFile(filepath.Join(want, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("data", false, noUsers); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "volumes", "data")); !os.IsNotExist(err) {
		t.Errorf("directory left behind: %v", err)
	}
	if _, err := s.Get("data"); !errdefs.IsNotFound(err) || err.Error() != "no such volume: data: not found" {
		t.Errorf("get after remove: %v", err)
	}
	if err := s.Remove("data", false, noUsers); !errdefs.IsNotFound(err) {
		t.Errorf("remove twice: %v", err)
	}
	if err := s.Remove("data", true, noUsers); err != nil {
		t.Errorf("remove -f of a missing volume: %v", err)
	}
}

func TestCreateIsIdempotent(t *testing.T) {
	s, _, _ := open(t)
	v1, err := s.Create("data", map[string]string{"a": "1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Docker returns the existing volume, labels and all.
	v2, err := s.Create("data", map[string]string{"a": "2"}, nil)
	if err != nil || !reflect.DeepEqual(v1, v2) {
		t.Errorf("second create: %+v, %v; want %+v", v2, err, v1)
	}
}

func TestCreateAnonymous(t *testing.T) {
	s, _, _ := open(t)
	v, err := s.Create("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(v.Name) || !v.Anonymous {
		t.Errorf("anonymous volume %+v", v)
	}
	if _, ok := v.Labels[AnonymousLabel]; !ok {
		t.Errorf("labels %v lack %s", v.Labels, AnonymousLabel)
	}
}

func TestCreateRefuses(t *testing.T) {
	s, _, _ := open(t)
	tests := []struct {
		name, volume string
		opts         map[string]string
		want         string
	}{
		{"slash", "a/b", nil, `"a/b" includes invalid characters for a local volume name`},
		{"dot dot", "..", nil, "invalid characters"},
		{"one character", "a", nil, "invalid characters"},
		{"leading dash", "-a", nil, "invalid characters"},
		{"absolute path", "/srv", nil, "to mount a host directory, give an absolute path"},
		{"driver option", "data", map[string]string{"type": "tmpfs"}, "driver options are not supported yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Create(tt.volume, nil, tt.opts)
			if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want invalid argument containing %q", err, tt.want)
			}
		})
	}
	if list, _ := s.List(); len(list) != 0 {
		t.Errorf("refused creates left %v", names(list))
	}
}

func TestRemoveInUse(t *testing.T) {
	s, _, _ := open(t)
	if _, err := s.Create("data", nil, nil); err != nil {
		t.Fatal(err)
	}
	inUse := func(name string) []string {
		if name == "data" {
			return []string{"web-1", "worker-1"}
		}
		return nil
	}
	for _, force := range []bool{false, true} {
		err := s.Remove("data", force, inUse)
		if !errdefs.IsConflict(err) || !strings.HasPrefix(err.Error(), "remove data: volume is in use by container(s) web-1, worker-1") {
			t.Errorf("force=%v: %v", force, err)
		}
	}
	if _, err := s.Get("data"); err != nil {
		t.Errorf("refused removal lost the volume: %v", err)
	}
}

func TestPrune(t *testing.T) {
	tests := []struct {
		name  string
		all   bool
		match func(Volume) bool
		want  []string
	}{
		{"anonymous only", false, nil, []string{"anon"}},
		{"all", true, nil, []string{"anon", "named"}},
		{"all matching", true, func(v Volume) bool { return v.Labels["keep"] == "" }, []string{"anon"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, db := open(t)
			anon, err := s.Create("", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			// Give it a readable name for the table.
			renameForTest(t, s, db, anon.Name, "anon")
			for _, n := range []string{"named", "used"} {
				if _, err := s.Create(n, map[string]string{"keep": map[bool]string{true: "yes"}[n == "named"]}, nil); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.Create("", nil, nil); err != nil { // anonymous and in use
				t.Fatal(err)
			}
			list, _ := s.List()
			used := map[string]bool{"used": true}
			for _, v := range list {
				if v.Anonymous && v.Name != "anon" {
					used[v.Name] = true
				}
			}
			if err := os.WriteFile(filepath.Join(s.data("anon"), "f"), make([]byte, 1000), 0o644); err != nil {
				t.Fatal(err)
			}
			inUse := func(n string) []string {
				if used[n] {
					return []string{"c"}
				}
				return nil
			}
			deleted, reclaimed, err := s.Prune(inUse, tt.all, tt.match)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(deleted, tt.want) {
				t.Errorf("deleted %v, want %v", deleted, tt.want)
			}
			if reclaimed != 1000 {
				t.Errorf("reclaimed %d, want 1000", reclaimed)
			}
			left, _ := s.List()
			if len(left) != 4-len(tt.want) {
				t.Errorf("left %v", names(left))
			}
		})
	}
}

// renameForTest moves a volume to another name, record and directory.
func renameForTest(t *testing.T, s *Store, db *bolt.DB, from, to string) {
	t.Helper()
	r, err := s.record(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(s.dir, from), filepath.Join(s.dir, to)); err != nil {
		t.Fatal(err)
	}
	if err := s.delete(from); err != nil {
		t.Fatal(err)
	}
	r.Name, r.Mountpoint = to, s.data(to)
	if err := s.put(r); err != nil {
		t.Fatal(err)
	}
}

func TestSize(t *testing.T) {
	s, _, _ := open(t)
	v, err := s.Create("data", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(v.Mountpoint, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(v.Mountpoint, "d", "a"), make([]byte, 300), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(v.Mountpoint, "d", "a"), filepath.Join(v.Mountpoint, "b")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(v.Mountpoint, "c"), make([]byte, 20), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Size("data"); err != nil || n != 320 {
		t.Errorf("size %d, %v; want 320", n, err)
	}
}

// A daemon killed after marking a removal and before finishing it: Open finishes it.
func TestOpenFinishesRemoval(t *testing.T) {
	s, root, db := open(t)
	v, err := s.Create("data", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create("kept", nil, nil); err != nil {
		t.Fatal(err)
	}
	r, _ := s.record("data")
	r.Removing = true
	if err := s.put(r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("data"); !errdefs.IsNotFound(err) {
		t.Errorf("a volume being removed is still visible: %v", err)
	}
	// The record says removing; a restarted daemon opens the store again.
	s2, err := Open(root, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(v.Mountpoint)); !os.IsNotExist(err) {
		t.Errorf("directory left behind: %v", err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketVolumes).Get([]byte("data")) != nil {
			t.Error("record left behind")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if list, _ := s2.List(); !reflect.DeepEqual(names(list), []string{"kept"}) {
		t.Errorf("volumes after open: %v", names(list))
	}
}

// A daemon killed between recording a volume and making its directory: Open makes it.
func TestOpenMakesMissingDirectory(t *testing.T) {
	s, root, db := open(t)
	v, err := s.Create("data", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Dir(v.Mountpoint)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(root, db); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(v.Mountpoint); err != nil || !fi.IsDir() {
		t.Errorf("mountpoint not made: %v", err)
	}
}

func TestRecordLayout(t *testing.T) {
	s, _, db := open(t)
	if _, err := s.Create("data", map[string]string{"a": "b"}, nil); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	err := db.View(func(tx *bolt.Tx) error {
		return json.Unmarshal(tx.Bucket([]byte("volumes")).Get([]byte("data")), &m)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Name", "Driver", "Mountpoint", "Labels", "CreatedAt"} {
		if _, ok := m[k]; !ok {
			t.Errorf("record lacks %s: %v", k, m)
		}
	}
	if _, ok := m["Removing"]; ok {
		t.Errorf("a settled record carries Removing: %v", m)
	}
}

func FuzzCreateName(f *testing.F) {
	for _, s := range []string{"data", "a", "..", "a/b", "my_vol.1-x", "/abs", "x\x00y", ""} {
		f.Add(s)
	}
	root := f.TempDir()
	db, err := bolt.Open(filepath.Join(root, "berth.db"), 0o600, nil)
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	s, err := Open(root, db)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name string) {
		v, err := s.Create(name, nil, nil)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("create %q: %v", name, err)
			}
			return
		}
		// Whatever was accepted stays inside the volumes directory.
		if filepath.Dir(filepath.Dir(v.Mountpoint)) != s.dir || strings.Contains(v.Name, "/") {
			t.Fatalf("volume %q escapes: %s", name, v.Mountpoint)
		}
		if err := s.Remove(v.Name, false, noUsers); err != nil {
			t.Fatal(err)
		}
	})
}
