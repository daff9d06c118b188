package image

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/containerd/errdefs"
	"go.etcd.io/bbolt"
)

// Remove removes refOrID with Docker's semantics. Removing a tag of an image
// that has other tags only untags it. Removing its last tag, or the image by
// ID, deletes the image; by ID with several tags this needs force. An image
// inUse reports as used is never deleted: without force that is a conflict,
// with force its tags are removed and the image stays. Blobs and layers that
// no other image uses are deleted with the image. untagged lists the removed
// references (familiar form); deleted lists the image ID and then the DiffIDs
// of the layers deleted.
func (s *Store) Remove(refOrID string, force bool, inUse func(id string) bool) (untagged, deleted []string, err error) {
	if inUse == nil {
		inUse = func(string) bool { return false }
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var garbage []string
	err = s.db.Update(func(tx *bbolt.Tx) error {
		id, byRef, err := resolve(tx, refOrID)
		if err != nil {
			return err
		}
		rec, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		tags := tagsOf(tx, id)
		tb := tx.Bucket(bucketTags)
		name := refOrID
		if len(tags) > 0 {
			name = familiar(tags[0])
		}
		if byRef != "" && !strings.Contains(byRef, "@") {
			name = familiar(byRef)
			if len(tags) > 1 {
				untagged = append(untagged, familiar(byRef))
				return tb.Delete([]byte(byRef))
			}
		} else if len(tags) > 1 && !force {
			return errorf(errdefs.ErrConflict, "unable to delete %s (must be forced): image is referenced in multiple repositories", short(id))
		}
		if inUse(id) {
			if !force {
				return errorf(errdefs.ErrConflict, "image %s (%s) is in use by a container; remove the container first", name, short(id))
			}
			for _, t := range tags {
				untagged = append(untagged, familiar(t))
				if err := tb.Delete([]byte(t)); err != nil {
					return err
				}
			}
			return nil
		}
		for _, t := range tags {
			untagged = append(untagged, familiar(t))
			if err := tb.Delete([]byte(t)); err != nil {
				return err
			}
		}
		for _, d := range rec.RepoDigests {
			untagged = append(untagged, familiar(d))
		}
		if err := tx.Bucket(bucketImages).Delete([]byte(id)); err != nil {
			return err
		}
		deleted = append(deleted, id)
		garbage = append(garbage, s.blobPath(id))
		if rec.ManifestDigest != "" {
			garbage = append(garbage, s.blobPath(rec.ManifestDigest))
		}
		// Layers and manifests other images still use stay.
		used := map[string]bool{}
		if err := tx.Bucket(bucketImages).ForEach(func(k, v []byte) error {
			var o record
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			used[o.ManifestDigest] = true
			for _, l := range o.Layers {
				used[l.DiffID] = true
			}
			return nil
		}); err != nil {
			return err
		}
		if used[rec.ManifestDigest] {
			garbage = garbage[:1]
		}
		lb := tx.Bucket(bucketLayers)
		seen := map[string]bool{}
		for _, l := range rec.Layers {
			if used[l.DiffID] || seen[l.DiffID] {
				continue
			}
			seen[l.DiffID] = true
			var lr layerRecord
			if v := lb.Get([]byte(l.DiffID)); v != nil && json.Unmarshal(v, &lr) == nil {
				garbage = append(garbage, s.blobPath(lr.Digest))
			}
			garbage = append(garbage, s.layerPath(l.DiffID))
			if err := lb.Delete([]byte(l.DiffID)); err != nil {
				return err
			}
			deleted = append(deleted, l.DiffID)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("remove image %s: %w", refOrID, err)
	}
	// Files go after the records: a crash here leaves orphans Open removes.
	for _, g := range garbage {
		if err := os.RemoveAll(g); err != nil {
			return untagged, deleted, fmt.Errorf("remove image %s: %w", refOrID, err)
		}
	}
	return untagged, deleted, nil
}

// short is the 12-digit ID Docker prints.
func short(id string) string {
	h := hexOf(id)
	if len(h) > 12 {
		h = h[:12]
	}
	return h
}
