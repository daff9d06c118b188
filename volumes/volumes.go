package volumes

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	bolt "go.etcd.io/bbolt"
)

// AnonymousLabel marks an anonymous volume, as Docker (23 and later) marks it; prune
// without "all" removes only volumes that carry it.
const AnonymousLabel = "com.docker.volume.anonymous"

var bucketVolumes = []byte("volumes")

// validName is the local driver's rule for volume names, as in Docker.
var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// Volume is one volume.
type Volume struct {
	Name       string
	Driver     string // always "local"
	Mountpoint string // <root>/volumes/<name>/_data
	Labels     map[string]string
	Options    map[string]string
	CreatedAt  time.Time
	// Anonymous volumes were created without a name (docker run -v /path, image VOLUME);
	// prune removes them by default.
	Anonymous bool
}

// Copy-up states of a record.
const (
	copyUpCopying = "copying"
	copyUpDone    = "done"
)

// record is what the bucket holds: the volume and the progress of changes to it.
type record struct {
	Volume
	Removing bool   `json:",omitempty"`
	CopyUp   string `json:",omitempty"`
}

// Store keeps the volumes of one state root.
type Store struct {
	dir string // <root>/volumes
	db  *bolt.DB

	// mu guards locks.
	mu    sync.Mutex
	locks map[string]*nameLock
}

type nameLock struct {
	sync.Mutex
	refs int
}

// Open returns the volumes of the state root, finishing removals and undoing copy-ups
// that a previous daemon left cut short.
func Open(root string, db *bolt.DB) (*Store, error) {
	s := &Store{dir: filepath.Join(root, "volumes"), db: db, locks: map[string]*nameLock{}}
	if err := os.MkdirAll(s.dir, 0o701); err != nil {
		return nil, fmt.Errorf("open volumes: %w", err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketVolumes)
		return err
	}); err != nil {
		return nil, fmt.Errorf("open volumes: %w", err)
	}
	recs, err := s.records()
	if err != nil {
		return nil, fmt.Errorf("open volumes: %w", err)
	}
	for _, r := range recs {
		switch {
		case r.Removing:
			if err := s.finishRemove(r.Name, false); err != nil {
				return nil, fmt.Errorf("open volumes: finish removing %s: %w", r.Name, err)
			}
		case r.CopyUp == copyUpCopying:
			if err := s.undoCopyUp(r.Name); err != nil {
				return nil, fmt.Errorf("open volumes: undo copy-up into %s: %w", r.Name, err)
			}
		default:
			if err := os.MkdirAll(s.data(r.Name), 0o755); err != nil {
				return nil, fmt.Errorf("open volumes: %w", err)
			}
		}
	}
	return s, nil
}

// lock serializes changes to one volume.
func (s *Store) lock(name string) (unlock func()) {
	s.mu.Lock()
	l := s.locks[name]
	if l == nil {
		l = &nameLock{}
		s.locks[name] = l
	}
	l.refs++
	s.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		s.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(s.locks, name)
		}
		s.mu.Unlock()
	}
}

func (s *Store) data(name string) string { return filepath.Join(s.dir, name, "_data") }

// Create makes a volume, or returns the existing one of that name unchanged, as Docker's
// create does. An empty name makes an anonymous volume with a random 64-hex-digit name.
// The local driver has no options in berth yet, so any option is refused.
func (s *Store) Create(name string, labels, opts map[string]string) (Volume, error) {
	anonymous := name == ""
	if anonymous {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		name = hex.EncodeToString(b)
	}
	if !validName.MatchString(name) {
		return Volume{}, fmt.Errorf("create volume %s: %q includes invalid characters for a local volume name, only %q are allowed; to mount a host directory, give an absolute path: %w",
			name, name, "[a-zA-Z0-9][a-zA-Z0-9_.-]", errdefs.ErrInvalidArgument)
	}
	if len(opts) > 0 {
		return Volume{}, fmt.Errorf("create volume %s: driver options are not supported yet; drop the -o/driver_opts: %w", name, errdefs.ErrInvalidArgument)
	}
	defer s.lock(name)()
	if r, err := s.record(name); err == nil && !r.Removing {
		return r.Volume, nil
	} else if err != nil && !errdefs.IsNotFound(err) {
		return Volume{}, fmt.Errorf("create volume %s: %w", name, err)
	}
	labels = maps.Clone(labels)
	if anonymous {
		if labels == nil {
			labels = map[string]string{}
		}
		labels[AnonymousLabel] = ""
	}
	_, anonLabel := labels[AnonymousLabel]
	v := Volume{
		Name: name, Driver: "local", Mountpoint: s.data(name), Labels: labels,
		CreatedAt: time.Now().UTC().Truncate(time.Second), Anonymous: anonLabel,
	}
	if err := s.put(record{Volume: v}); err != nil {
		return Volume{}, fmt.Errorf("create volume %s: %w", name, err)
	}
	if err := os.MkdirAll(v.Mountpoint, 0o755); err != nil {
		if derr := s.delete(name); derr != nil {
			err = errors.Join(err, derr)
		}
		return Volume{}, fmt.Errorf("create volume %s: %w", name, err)
	}
	return v, nil
}

// Get returns the volume called name.
func (s *Store) Get(name string) (Volume, error) {
	r, err := s.record(name)
	if err != nil {
		return Volume{}, err
	}
	if r.Removing {
		return Volume{}, notFound(name)
	}
	return r.Volume, nil
}

// List returns every volume, ordered by name.
func (s *Store) List() ([]Volume, error) {
	recs, err := s.records()
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	out := make([]Volume, 0, len(recs))
	for _, r := range recs {
		if !r.Removing {
			out = append(out, r.Volume)
		}
	}
	return out, nil
}

// Remove deletes a volume and its data. A volume that inUse says containers use is
// refused, force or not, as in Docker; force makes a missing volume no error and drops
// the record even when the data cannot all be deleted.
func (s *Store) Remove(name string, force bool, inUse func(name string) []string) error {
	defer s.lock(name)()
	return s.removeLocked(name, force, inUse)
}

func (s *Store) removeLocked(name string, force bool, inUse func(name string) []string) error {
	r, err := s.record(name)
	if errdefs.IsNotFound(err) {
		if force {
			return nil
		}
		return err
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	if r.Removing {
		return notFound(name)
	}
	if users := inUse(name); len(users) > 0 {
		return fmt.Errorf("remove %s: volume is in use by container(s) %s: %w", name, strings.Join(users, ", "), errdefs.ErrConflict)
	}
	r.Removing = true
	if err := s.put(r); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	if err := s.finishRemove(name, force); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return nil
}

// finishRemove deletes the directory of a volume marked removing, then its record. When
// the directory cannot be deleted the mark is taken back, unless force says to drop the
// record anyway.
func (s *Store) finishRemove(name string, force bool) error {
	if err := os.RemoveAll(filepath.Join(s.dir, name)); err != nil && !force {
		if r, gerr := s.record(name); gerr == nil {
			r.Removing = false
			err = errors.Join(err, s.put(r))
		}
		return err
	}
	return s.delete(name)
}

// Prune removes the volumes no container uses and match accepts (nil accepts all):
// only anonymous ones unless all, as Docker 23 and later do. It returns the names
// removed and the bytes their data held; a volume that cannot be removed is skipped.
func (s *Store) Prune(inUse func(name string) []string, all bool, match func(Volume) bool) (deleted []string, reclaimed int64, err error) {
	list, err := s.List()
	if err != nil {
		return nil, 0, fmt.Errorf("prune volumes: %w", err)
	}
	var errs []error
	for _, v := range list {
		if !all && !v.Anonymous || match != nil && !match(v) {
			continue
		}
		if len(inUse(v.Name)) > 0 {
			continue
		}
		size, _ := s.Size(v.Name)
		if err := s.Remove(v.Name, false, inUse); err != nil {
			if !errdefs.IsConflict(err) && !errdefs.IsNotFound(err) {
				errs = append(errs, err)
			}
			continue
		}
		deleted = append(deleted, v.Name)
		reclaimed += size
	}
	if len(errs) > 0 {
		return deleted, reclaimed, fmt.Errorf("prune volumes: %w", errors.Join(errs...))
	}
	return deleted, reclaimed, nil
}

// Size returns the bytes of the files in a volume, each hard-linked file counted once.
func (s *Store) Size(name string) (int64, error) {
	v, err := s.Get(name)
	if err != nil {
		return 0, err
	}
	var size int64
	seen := map[uint64]bool{}
	err = filepath.WalkDir(v.Mountpoint, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // deleted while we walk
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			if seen[st.Ino] {
				return nil
			}
			seen[st.Ino] = true
		}
		size += fi.Size()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("size of volume %s: %w", name, err)
	}
	return size, nil
}

func notFound(name string) error {
	return fmt.Errorf("no such volume: %s: %w", name, errdefs.ErrNotFound)
}

func (s *Store) record(name string) (record, error) {
	var r record
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketVolumes).Get([]byte(name))
		if b == nil {
			return notFound(name)
		}
		return json.Unmarshal(b, &r)
	})
	return r, err
}

func (s *Store) records() ([]record, error) {
	var out []record
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketVolumes).ForEach(func(k, b []byte) error {
			var r record
			if err := json.Unmarshal(b, &r); err != nil {
				return fmt.Errorf("volume %s: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

func (s *Store) put(r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketVolumes).Put([]byte(r.Name), b)
	})
}

func (s *Store) delete(name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketVolumes).Delete([]byte(name))
	})
}
