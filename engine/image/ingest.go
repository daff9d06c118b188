package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"go.etcd.io/bbolt"
)

// source is an image to add to the store, from any origin.
type source struct {
	rawConfig         []byte
	rawManifest       []byte // optional
	manifestMediaType string
	layers            []layerSource
	tags              []string // canonical
	repoDigests       []string // canonical
}

// layerSource is one layer of a source.
type layerSource struct {
	diffID    string
	digest    string // "" = the blob's digest is computed while copying
	mediaType string
	// open returns the blob as stored (compressed or not).
	open func() (io.ReadCloser, error)
	// progress, if set, is told the bytes copied so far.
	progress func(done int64)
}

// staged is work done under tmp/ waiting to be renamed into place.
type staged struct {
	from, to string
}

// ingest adds src to the store: it copies and unpacks layers whose DiffID the
// store lacks into tmp/, then renames everything into place and writes the
// records in one transaction. On error nothing of src is left.
func (s *Store) ingest(ctx context.Context, src source) (string, error) {
	sum := sha256.Sum256(src.rawConfig)
	id := "sha256:" + hex.EncodeToString(sum[:])
	cfg, err := v1.ParseConfigFile(bytes.NewReader(src.rawConfig))
	if err != nil {
		return "", errorf(errdefs.ErrInvalidArgument, "image config is not valid JSON: %w", err)
	}
	if len(cfg.RootFS.DiffIDs) != len(src.layers) {
		return "", errorf(errdefs.ErrInvalidArgument, "image %s has %d layers but its config lists %d diff_ids", id, len(src.layers), len(cfg.RootFS.DiffIDs))
	}
	work, err := os.MkdirTemp(s.path("tmp"), "ingest-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)

	rec := record{ID: id, Created: cfg.Created.Time, RepoDigests: src.repoDigests, ManifestMediaType: src.manifestMediaType}
	var moves []staged
	newLayers := map[string]layerRecord{}
	for i, l := range src.layers {
		l.diffID = cfg.RootFS.DiffIDs[i].String()
		if l.diffID == "" || len(hexOf(l.diffID)) != 64 || !isHex(hexOf(l.diffID)) {
			return "", errorf(errdefs.ErrInvalidArgument, "image %s: diff_id %q is not a sha256 digest", id, l.diffID)
		}
		if nl, ok := newLayers[l.diffID]; ok {
			rec.Layers = append(rec.Layers, nl)
			continue
		}
		if _, err := os.Stat(s.layerPath(l.diffID)); err == nil {
			rec.Layers = append(rec.Layers, layerRecord{DiffID: l.diffID, Digest: l.digest, MediaType: l.mediaType})
			continue
		}
		if err := ctx.Err(); err != nil {
			return "", err
		}
		lr, mv, err := s.stageLayer(work, l)
		if err != nil {
			return "", fmt.Errorf("layer %s: %w", l.diffID, err)
		}
		moves = append(moves, mv...)
		newLayers[l.diffID] = lr
		rec.Layers = append(rec.Layers, lr)
	}
	cfgTmp, err := writeTmp(work, src.rawConfig)
	if err != nil {
		return "", err
	}
	moves = append(moves, staged{cfgTmp, s.blobPath(id)})
	if src.rawManifest != nil {
		ms := sha256.Sum256(src.rawManifest)
		rec.ManifestDigest = "sha256:" + hex.EncodeToString(ms[:])
		mTmp, err := writeTmp(work, src.rawManifest)
		if err != nil {
			return "", err
		}
		moves = append(moves, staged{mTmp, s.blobPath(rec.ManifestDigest)})
	}
	if err := s.commit(rec, moves, newLayers, src.tags); err != nil {
		return "", err
	}
	return id, nil
}

// commit renames the staged files into place and writes the records, undoing
// the renames if the transaction fails.
func (s *Store) commit(rec record, moves []staged, newLayers map[string]layerRecord, tags []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A layer found present while staging may have been removed since.
	for _, l := range rec.Layers {
		if _, ok := newLayers[l.DiffID]; ok {
			continue
		}
		if _, err := os.Stat(s.layerPath(l.DiffID)); err != nil {
			return errorf(errdefs.ErrConflict, "layer %s was removed while the image was added; try again", l.DiffID)
		}
	}
	var done []string
	undo := func() {
		for _, p := range done {
			os.RemoveAll(p)
		}
	}
	for _, m := range moves {
		if _, err := os.Lstat(m.to); err == nil {
			continue // already there: same digest, same content
		}
		if err := os.Rename(m.from, m.to); err != nil {
			undo()
			return err
		}
		done = append(done, m.to)
	}
	err := s.db.Update(func(tx *bbolt.Tx) error {
		lb := tx.Bucket(bucketLayers)
		for d, l := range newLayers {
			if lb.Get([]byte(d)) != nil {
				continue
			}
			v, err := json.Marshal(l)
			if err != nil {
				return err
			}
			if err := lb.Put([]byte(d), v); err != nil {
				return err
			}
		}
		ib := tx.Bucket(bucketImages)
		if old := ib.Get([]byte(rec.ID)); old != nil {
			var o record
			if json.Unmarshal(old, &o) == nil {
				rec.RepoDigests = union(o.RepoDigests, rec.RepoDigests)
				if rec.ManifestDigest == "" {
					rec.ManifestDigest, rec.ManifestMediaType = o.ManifestDigest, o.ManifestMediaType
				}
			}
		}
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if err := ib.Put([]byte(rec.ID), v); err != nil {
			return err
		}
		for _, t := range tags {
			if err := tx.Bucket(bucketTags).Put([]byte(t), []byte(rec.ID)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		undo()
		return err
	}
	return nil
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, x := range b {
		found := false
		for _, y := range out {
			found = found || x == y
		}
		if !found {
			out = append(out, x)
		}
	}
	return out
}

// stageLayer copies a layer blob into work, checks its digest, and unpacks it
// into a directory in work, checking the DiffID.
func (s *Store) stageLayer(work string, l layerSource) (layerRecord, []staged, error) {
	lr := layerRecord{DiffID: l.diffID, Digest: l.digest, MediaType: l.mediaType}
	rc, err := l.open()
	if err != nil {
		return lr, nil, err
	}
	blob, err := os.CreateTemp(work, "blob-")
	if err != nil {
		rc.Close()
		return lr, nil, err
	}
	defer blob.Close()
	h := sha256.New()
	w := io.MultiWriter(blob, h)
	pw := &progressWriter{fn: l.progress, reported: -1}
	if l.progress != nil {
		w = io.MultiWriter(w, pw)
	}
	n, err := io.Copy(w, rc)
	rc.Close()
	if err != nil {
		return lr, nil, errorf(errdefs.ErrInvalidArgument, "blob is truncated or corrupt: %w", err)
	}
	got := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if lr.Digest == "" {
		lr.Digest = got
	} else if got != lr.Digest {
		return lr, nil, errorf(errdefs.ErrInvalidArgument, "blob digest is %s, expected %s", got, lr.Digest)
	}
	lr.Size = n
	if l.progress != nil && pw.reported != n {
		l.progress(n)
	}
	if _, err := blob.Seek(0, io.SeekStart); err != nil {
		return lr, nil, err
	}
	dir, err := os.MkdirTemp(work, "layer-")
	if err != nil {
		return lr, nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return lr, nil, err
	}
	dr, err := decompress(blob)
	if err != nil {
		return lr, nil, errorf(errdefs.ErrInvalidArgument, "decompress layer: %w", err)
	}
	defer dr.Close()
	dh := sha256.New()
	cw := &countWriter{}
	tee := io.TeeReader(dr, io.MultiWriter(dh, cw))
	if err := unpack(tee, dir); err != nil {
		return lr, nil, err
	}
	// The tar reader stops at the end-of-archive marker; hash the padding too.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return lr, nil, errorf(errdefs.ErrInvalidArgument, "layer is truncated or corrupt: %w", err)
	}
	if gotDiff := "sha256:" + hex.EncodeToString(dh.Sum(nil)); gotDiff != l.diffID {
		return lr, nil, errorf(errdefs.ErrInvalidArgument, "uncompressed layer digest is %s, but the config says %s", gotDiff, l.diffID)
	}
	lr.UncompressedSize = cw.n
	return lr, []staged{{blob.Name(), s.blobPath(lr.Digest)}, {dir, s.layerPath(l.diffID)}}, nil
}

func writeTmp(work string, b []byte) (string, error) {
	f, err := os.CreateTemp(work, "blob-")
	if err != nil {
		return "", err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return f.Name(), err
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// progressWriter reports the bytes written at most every 100ms; the caller
// reports the total at the end unless it was the last report.
type progressWriter struct {
	fn       func(int64)
	n        int64
	reported int64
	last     time.Time
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if now := time.Now(); now.Sub(p.last) > 100*time.Millisecond {
		p.last, p.reported = now, p.n
		p.fn(p.n)
	}
	return len(b), nil
}
