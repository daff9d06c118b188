// Package store keeps the daemon's container records in bbolt. Every change is one
// transaction, so a crash never leaves a half-written record. The image store keeps its
// own buckets (prefixed "image.") in the same database.
//
// Bucket layout:
//
//	containers/<id>   JSON Container: what was asked (Config, HostConfig) and what is (State)
//	names/<name>      container ID; names are unique, without the leading "/"
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketContainers = []byte("containers")
	bucketNames      = []byte("names")
)

// Open opens (or creates) the database at path. It fails at once, rather than wait, when
// another daemon holds it.
func Open(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 100 * time.Millisecond})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open state %s: another berth daemon is using it", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketContainers, bucketNames} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	return db, nil
}

// State is the observed state of a container.
type State struct {
	Status     container.ContainerState
	Pid        int
	ExitCode   int
	Error      string
	OOMKilled  bool
	StartedAt  time.Time
	FinishedAt time.Time
}

// Container is one container's record.
type Container struct {
	ID      string
	Name    string
	Created time.Time
	Image   string // as the user gave it
	ImageID string
	Path    string
	Args    []string
	Config  *container.Config
	// Requested is Config as asked, before the image's defaults were merged in.
	Requested  *container.Config
	HostConfig *container.HostConfig
	// Networking holds the per-network settings asked for (aliases, addresses).
	Networking *network.NetworkingConfig
	// Anonymous names the anonymous volumes made for this container (rm -v removes them).
	Anonymous []string
	State     State
	// Dir holds the container's persistent files: log, hostname, hosts, resolv.conf.
	Dir          string
	LogPath      string
	RestartCount int
}

// Containers reads and writes container records.
type Containers struct{ db *bolt.DB }

// NewContainers returns the container records of db.
func NewContainers(db *bolt.DB) *Containers { return &Containers{db: db} }

// Create records a new container; the name must be free.
func (s *Containers) Create(c *Container) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		names := tx.Bucket(bucketNames)
		if id := names.Get([]byte(c.Name)); id != nil {
			return fmt.Errorf("the container name %q is already in use by container %q; remove or rename that container, or choose another name: %w",
				"/"+c.Name, string(id), errdefs.ErrConflict)
		}
		if err := names.Put([]byte(c.Name), []byte(c.ID)); err != nil {
			return err
		}
		return put(tx, c)
	})
}

// Update changes a container's record through fn, in one transaction.
func (s *Containers) Update(id string, fn func(*Container) error) (*Container, error) {
	var out *Container
	err := s.db.Update(func(tx *bolt.Tx) error {
		c, err := get(tx, id)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		out = c
		return put(tx, c)
	})
	return out, err
}

// Delete removes a container's record and frees its name.
func (s *Containers) Delete(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		c, err := get(tx, id)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketNames).Delete([]byte(c.Name)); err != nil {
			return err
		}
		return tx.Bucket(bucketContainers).Delete([]byte(id))
	})
}

// Get finds a container by full ID, name (with or without "/"), or unique ID prefix.
func (s *Containers) Get(ref string) (*Container, error) {
	var out *Container
	err := s.db.View(func(tx *bolt.Tx) error {
		id, err := resolve(tx, ref)
		if err != nil {
			return err
		}
		out, err = get(tx, id)
		return err
	})
	return out, err
}

// List returns every container record.
func (s *Containers) List() ([]*Container, error) {
	var out []*Container
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketContainers).ForEach(func(_, v []byte) error {
			var c Container
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			out = append(out, &c)
			return nil
		})
	})
	return out, err
}

func resolve(tx *bolt.Tx, ref string) (string, error) {
	if ref == "" {
		return "", fmt.Errorf("no container given: %w", errdefs.ErrInvalidArgument)
	}
	cs := tx.Bucket(bucketContainers)
	if cs.Get([]byte(ref)) != nil {
		return ref, nil
	}
	if id := tx.Bucket(bucketNames).Get([]byte(strings.TrimPrefix(ref, "/"))); id != nil {
		return string(id), nil
	}
	var found []string
	cur := cs.Cursor()
	for k, _ := cur.Seek([]byte(ref)); k != nil && strings.HasPrefix(string(k), ref); k, _ = cur.Next() {
		found = append(found, string(k))
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("no such container: %s: %w", ref, errdefs.ErrNotFound)
	default:
		return "", fmt.Errorf("%q matches %d containers; give more of the ID: %w", ref, len(found), errdefs.ErrInvalidArgument)
	}
}

func get(tx *bolt.Tx, id string) (*Container, error) {
	v := tx.Bucket(bucketContainers).Get([]byte(id))
	if v == nil {
		return nil, fmt.Errorf("no such container: %s: %w", id, errdefs.ErrNotFound)
	}
	var c Container
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, fmt.Errorf("read container %s: %w", id, err)
	}
	return &c, nil
}

func put(tx *bolt.Tx, c *Container) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketContainers).Put([]byte(c.ID), b)
}
