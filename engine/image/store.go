package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"go.etcd.io/bbolt"
)

var (
	bucketImages = []byte("image.images")
	bucketTags   = []byte("image.tags")
	bucketLayers = []byte("image.layers")
)

// Store is the image store. Its methods are safe for concurrent use.
type Store struct {
	dir string
	db  *bbolt.DB

	// maxMountData is the longest overlay option string given to mount(2);
	// longer ones go through fsconfig. A field so tests can force either path.
	maxMountData int

	// mu serializes changes to files and records (commits, removals).
	// Downloads and unpacking run outside it, in private tmp/ directories.
	mu sync.Mutex
}

// Image is an image as Docker reports it.
type Image struct {
	ID          string // "sha256:<config digest hex>"
	RepoTags    []string
	RepoDigests []string
	Created     time.Time
	Size        int64 // sum of uncompressed layer sizes
	Config      v1.ConfigFile
	DiffIDs     []string
}

// record is what image.images holds for an image.
type record struct {
	ID                string        `json:"id"`
	ManifestDigest    string        `json:"manifestDigest,omitempty"`
	ManifestMediaType string        `json:"manifestMediaType,omitempty"`
	RepoDigests       []string      `json:"repoDigests,omitempty"` // canonical
	Layers            []layerRecord `json:"layers"`
	Created           time.Time     `json:"created"`
}

// layerRecord describes a layer: in image.images, as the image's manifest
// names it; in image.layers, the one blob the store keeps for a DiffID.
type layerRecord struct {
	DiffID           string `json:"diffID"`
	Digest           string `json:"digest"`
	MediaType        string `json:"mediaType,omitempty"`
	Size             int64  `json:"size"`
	UncompressedSize int64  `json:"uncompressedSize,omitempty"`
}

// Open opens the store kept in dir, with its records in db.
func Open(dir string, db *bbolt.DB) (*Store, error) {
	s := &Store{dir: dir, db: db, maxMountData: 4000}
	if err := os.RemoveAll(s.path("tmp")); err != nil {
		return nil, fmt.Errorf("open image store: clear tmp: %w", err)
	}
	for _, d := range []string{"blobs/sha256", "layers", "roots", "tmp"} {
		if err := os.MkdirAll(s.path(d), 0o700); err != nil {
			return nil, fmt.Errorf("open image store: %w", err)
		}
	}
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketImages, bucketTags, bucketLayers} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open image store: %w", err)
	}
	if err := s.removeOrphans(); err != nil {
		return nil, fmt.Errorf("open image store: %w", err)
	}
	return s, nil
}

func (s *Store) path(elem ...string) string {
	return filepath.Join(append([]string{s.dir}, elem...)...)
}

// blobPath returns the file of a blob digest "sha256:<hex>".
func (s *Store) blobPath(digest string) string {
	return s.path("blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
}

func (s *Store) layerPath(diffID string) string {
	return s.path("layers", strings.TrimPrefix(diffID, "sha256:"))
}

// removeOrphans deletes blobs and layer directories no record names: what a
// crash between renaming files into place and committing records left.
func (s *Store) removeOrphans() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	blobs := map[string]bool{}
	layers := map[string]bool{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketLayers).ForEach(func(k, v []byte) error {
			var l layerRecord
			if err := json.Unmarshal(v, &l); err != nil {
				return err
			}
			layers[hexOf(string(k))] = true
			blobs[hexOf(l.Digest)] = true
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketImages).ForEach(func(k, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			blobs[hexOf(r.ID)] = true
			if r.ManifestDigest != "" {
				blobs[hexOf(r.ManifestDigest)] = true
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, d := range []struct {
		dir  string
		keep map[string]bool
	}{{s.path("blobs", "sha256"), blobs}, {s.path("layers"), layers}} {
		ents, err := os.ReadDir(d.dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if !d.keep[e.Name()] {
				if err := os.RemoveAll(filepath.Join(d.dir, e.Name())); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func hexOf(digest string) string { return strings.TrimPrefix(digest, "sha256:") }

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// resolve finds the image ID refOrID names, in a read transaction.
func resolve(tx *bbolt.Tx, refOrID string) (id string, byRef string, err error) {
	images := tx.Bucket(bucketImages)
	if h, ok := strings.CutPrefix(refOrID, "sha256:"); ok || (len(refOrID) == 64 && isHex(refOrID)) {
		if len(h) == 64 && images.Get([]byte("sha256:"+h)) != nil {
			return "sha256:" + h, "", nil
		}
		if ok && len(h) < 4 {
			return "", "", errorf(errdefs.ErrNotFound, "no such image: %s", refOrID)
		}
		if ok {
			return prefixMatch(images, h, refOrID)
		}
	}
	if c, perr := normalize(refOrID); perr == nil {
		if strings.Contains(c, "@") {
			if id := byRepoDigest(images, c); id != "" {
				return id, c, nil
			}
		} else if v := tx.Bucket(bucketTags).Get([]byte(c)); v != nil {
			return string(v), c, nil
		}
	}
	if len(refOrID) >= 4 && isHex(refOrID) {
		return prefixMatch(images, refOrID, refOrID)
	}
	return "", "", errorf(errdefs.ErrNotFound, "no such image: %s", refOrID)
}

func prefixMatch(images *bbolt.Bucket, prefix, orig string) (string, string, error) {
	var found []string
	c := images.Cursor()
	p := []byte("sha256:" + prefix)
	for k, _ := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, _ = c.Next() {
		found = append(found, string(k))
	}
	switch len(found) {
	case 0:
		return "", "", errorf(errdefs.ErrNotFound, "no such image: %s", orig)
	case 1:
		return found[0], "", nil
	}
	return "", "", errorf(errdefs.ErrInvalidArgument, "image ID prefix %s is ambiguous (%d images); give more characters", orig, len(found))
}

func byRepoDigest(images *bbolt.Bucket, c string) string {
	var id string
	_ = images.ForEach(func(k, v []byte) error {
		var r record
		if json.Unmarshal(v, &r) == nil {
			for _, d := range r.RepoDigests {
				if d == c {
					id = string(k)
					return errStop
				}
			}
		}
		return nil
	})
	return id
}

var errStop = errors.New("stop")

func getRecord(tx *bbolt.Tx, id string) (record, error) {
	var r record
	v := tx.Bucket(bucketImages).Get([]byte(id))
	if v == nil {
		return r, errorf(errdefs.ErrNotFound, "no such image: %s", id)
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("decode image record %s: %w", id, err)
	}
	return r, nil
}

// tagsOf returns the canonical tags pointing at id.
func tagsOf(tx *bbolt.Tx, id string) []string {
	var tags []string
	_ = tx.Bucket(bucketTags).ForEach(func(k, v []byte) error {
		if string(v) == id {
			tags = append(tags, string(k))
		}
		return nil
	})
	return tags
}

// image builds the Image for a record.
func (s *Store) image(tx *bbolt.Tx, r record) (Image, error) {
	img := Image{ID: r.ID, Created: r.Created}
	for _, t := range tagsOf(tx, r.ID) {
		img.RepoTags = append(img.RepoTags, familiar(t))
	}
	for _, d := range r.RepoDigests {
		img.RepoDigests = append(img.RepoDigests, familiar(d))
	}
	layers := tx.Bucket(bucketLayers)
	for _, l := range r.Layers {
		img.DiffIDs = append(img.DiffIDs, l.DiffID)
		var lr layerRecord
		if v := layers.Get([]byte(l.DiffID)); v != nil && json.Unmarshal(v, &lr) == nil {
			img.Size += lr.UncompressedSize
		}
	}
	f, err := os.Open(s.blobPath(r.ID))
	if err != nil {
		return Image{}, fmt.Errorf("read config of image %s: %w", r.ID, err)
	}
	defer f.Close()
	cfg, err := v1.ParseConfigFile(f)
	if err != nil {
		return Image{}, fmt.Errorf("read config of image %s: %w", r.ID, err)
	}
	img.Config = *cfg
	return img, nil
}

// Get returns the image refOrID names: a reference ("busybox",
// "busybox:1.36", "127.0.0.1:5000/x/y:tag", "name@sha256:…"), an ID with or
// without "sha256:", or a unique ID prefix of at least 4 hex digits.
func (s *Store) Get(refOrID string) (Image, error) {
	var img Image
	err := s.db.View(func(tx *bbolt.Tx) error {
		id, _, err := resolve(tx, refOrID)
		if err != nil {
			return err
		}
		r, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		img, err = s.image(tx, r)
		return err
	})
	if err != nil {
		return Image{}, fmt.Errorf("get image: %w", err)
	}
	return img, nil
}

// List returns all images, newest first.
func (s *Store) List() ([]Image, error) {
	var imgs []Image
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketImages).ForEach(func(k, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode image record %s: %w", k, err)
			}
			img, err := s.image(tx, r)
			if err != nil {
				return err
			}
			imgs = append(imgs, img)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	sort.SliceStable(imgs, func(i, j int) bool {
		if !imgs[i].Created.Equal(imgs[j].Created) {
			return imgs[i].Created.After(imgs[j].Created)
		}
		return imgs[i].ID < imgs[j].ID
	})
	return imgs, nil
}

// Tag points ref at the image src names, moving ref from any other image.
func (s *Store) Tag(src, ref string) error {
	r, err := parseRef(ref)
	if err != nil {
		return fmt.Errorf("tag image: %w", err)
	}
	if _, ok := r.(name.Tag); !ok {
		return errorf(errdefs.ErrInvalidArgument, "tag image: %s is a digest reference; a tag looks like NAME:TAG", ref)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err = s.db.Update(func(tx *bbolt.Tx) error {
		id, _, err := resolve(tx, src)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketTags).Put([]byte(canonical(r)), []byte(id))
	})
	if err != nil {
		return fmt.Errorf("tag image: %w", err)
	}
	return nil
}

// LayerDirs returns the unpacked layer directories of image id, lowest first
// (reverse them for an overlay lowerdir).
func (s *Store) LayerDirs(id string) ([]string, error) {
	var dirs []string
	err := s.db.View(func(tx *bbolt.Tx) error {
		rid, _, err := resolve(tx, id)
		if err != nil {
			return err
		}
		r, err := getRecord(tx, rid)
		if err != nil {
			return err
		}
		for _, l := range r.Layers {
			dirs = append(dirs, s.layerPath(l.DiffID))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("layer dirs: %w", err)
	}
	return dirs, nil
}
