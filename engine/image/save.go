package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"go.etcd.io/bbolt"
)

// Save writes the images refs name as a tar in the format of Docker 25's
// `docker save`: manifest.json for docker load, plus index.json, oci-layout
// and blobs/sha256 (configs exactly as stored, layers uncompressed) so the
// archive is also an OCI image layout. A ref given by name is recorded as a
// tag; one given by ID is saved untagged, as Docker does.
func (s *Store) Save(ctx context.Context, w io.Writer, refs []string) error {
	type item struct {
		rec  record
		tags []string // canonical
	}
	var items []item
	layers := map[string]layerRecord{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		byID := map[string]int{}
		for _, ref := range refs {
			id, byRef, err := resolve(tx, ref)
			if err != nil {
				return err
			}
			i, ok := byID[id]
			if !ok {
				rec, err := getRecord(tx, id)
				if err != nil {
					return err
				}
				i = len(items)
				byID[id] = i
				items = append(items, item{rec: rec})
				for _, l := range rec.Layers {
					var lr layerRecord
					if err := json.Unmarshal(tx.Bucket(bucketLayers).Get([]byte(l.DiffID)), &lr); err != nil {
						return fmt.Errorf("layer %s has no record: %w", l.DiffID, err)
					}
					layers[l.DiffID] = lr
				}
			}
			if byRef != "" && !strings.Contains(byRef, "@") {
				items[i].tags = append(items[i].tags, byRef)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save images: %w", err)
	}

	tw := tar.NewWriter(w)
	written := map[string]bool{}
	writeFile := func(name string, b []byte) error {
		if written[name] {
			return nil
		}
		written[name] = true
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	if err := writeFile("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return fmt.Errorf("save images: %w", err)
	}
	var manifests []dockerManifest
	var index v1.IndexManifest
	index.SchemaVersion = 2
	index.MediaType = types.OCIImageIndex
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return err
		}
		raw, err := os.ReadFile(s.blobPath(it.rec.ID))
		if err != nil {
			return fmt.Errorf("save images: %w", err)
		}
		if err := writeFile("blobs/sha256/"+hexOf(it.rec.ID), raw); err != nil {
			return fmt.Errorf("save images: %w", err)
		}
		dm := dockerManifest{Config: "blobs/sha256/" + hexOf(it.rec.ID)}
		om := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
			Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(raw)), Digest: mustHash(it.rec.ID)}}
		for _, l := range it.rec.Layers {
			lr := layers[l.DiffID]
			p := "blobs/sha256/" + hexOf(l.DiffID)
			if !written[p] {
				written[p] = true
				if err := s.writeLayer(tw, p, lr); err != nil {
					return fmt.Errorf("save images: layer %s: %w", l.DiffID, err)
				}
			}
			dm.Layers = append(dm.Layers, p)
			om.Layers = append(om.Layers, v1.Descriptor{MediaType: types.OCIUncompressedLayer, Size: lr.UncompressedSize, Digest: mustHash(l.DiffID)})
		}
		mb, err := json.Marshal(om)
		if err != nil {
			return fmt.Errorf("save images: %w", err)
		}
		md, _, err := v1.SHA256(strings.NewReader(string(mb)))
		if err != nil {
			return err
		}
		if err := writeFile("blobs/sha256/"+md.Hex, mb); err != nil {
			return fmt.Errorf("save images: %w", err)
		}
		desc := v1.Descriptor{MediaType: types.OCIManifestSchema1, Size: int64(len(mb)), Digest: md}
		if len(it.tags) == 0 {
			index.Manifests = append(index.Manifests, desc)
		}
		for _, t := range it.tags {
			dm.RepoTags = append(dm.RepoTags, familiar(t))
			d := desc
			d.Annotations = map[string]string{annotationContainerdName: t}
			if tag, err := name.NewTag(t, name.WeakValidation); err == nil {
				d.Annotations[annotationRefName] = tag.TagStr()
			}
			index.Manifests = append(index.Manifests, d)
		}
		manifests = append(manifests, dm)
	}
	for _, f := range []struct {
		name string
		v    any
	}{{"index.json", index}, {"manifest.json", manifests}} {
		b, err := json.Marshal(f.v)
		if err != nil {
			return fmt.Errorf("save images: %w", err)
		}
		if err := writeFile(f.name, b); err != nil {
			return fmt.Errorf("save images: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("save images: %w", err)
	}
	return nil
}

// writeLayer writes a layer uncompressed, as its DiffID names it.
func (s *Store) writeLayer(tw *tar.Writer, p string, lr layerRecord) error {
	f, err := os.Open(s.blobPath(lr.Digest))
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := decompress(f)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := tw.WriteHeader(&tar.Header{Name: p, Mode: 0o644, Size: lr.UncompressedSize, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	n, err := io.Copy(tw, r)
	if err != nil {
		return err
	}
	if n != lr.UncompressedSize {
		return fmt.Errorf("blob %s holds %d bytes uncompressed, expected %d", lr.Digest, n, lr.UncompressedSize)
	}
	return nil
}

func mustHash(d string) v1.Hash {
	h, err := v1.NewHash(d)
	if err != nil {
		panic(fmt.Sprintf("stored digest %q is invalid: %v", d, err))
	}
	return h
}
