package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"berth/engine/image"
)

// Image changes made through the API go through these methods, which publish Docker's
// image events after the store has recorded the change: pull, load, import, tag, untag
// and delete. An image is removed under refMu, which creating a container shares, so no
// container comes to use it between the check and the removal.

// PullImage pulls ref into the store.
func (e *Engine) PullImage(ctx context.Context, ref string, o image.PullOptions) (image.Image, error) {
	img, err := e.images.Pull(ctx, ref, o)
	if err != nil {
		return img, err
	}
	e.publishImage(ref, "pull", ref)
	return img, nil
}

// LoadImages adds the images of a docker save or OCI layout archive.
func (e *Engine) LoadImages(ctx context.Context, r io.Reader, progress io.Writer) ([]image.Image, error) {
	imgs, err := e.images.Load(ctx, r, progress)
	for _, img := range imgs {
		name := img.ID
		if len(img.RepoTags) > 0 {
			name = img.RepoTags[0]
		}
		e.publishImage(img.ID, "load", name)
	}
	return imgs, err
}

// ImportImage adds an image made of the root filesystem tarball r.
func (e *Engine) ImportImage(ctx context.Context, r io.Reader, ref string, changes []string) (image.Image, error) {
	tmp, err := os.CreateTemp(filepath.Join(e.dirs.Root, "image", "tmp"), "import-*.tar")
	if err != nil {
		return image.Image{}, err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return image.Image{}, fmt.Errorf("read import: %w", err)
	}
	img, err := e.images.Import(ctx, tmp.Name(), ref, changes)
	if err != nil {
		return img, err
	}
	name := ref
	if name == "" {
		name = img.ID
	}
	e.publishImage(img.ID, "import", name)
	return img, nil
}

// TagImage gives the image src the name ref.
func (e *Engine) TagImage(src, ref string) error {
	if err := e.images.Tag(src, ref); err != nil {
		return err
	}
	if img, err := e.images.Get(ref); err == nil {
		e.publishImage(img.ID, "tag", ref)
	}
	return nil
}

// RemoveImage untags refOrID and deletes the image when no name is left, unless a
// container uses it (force removes it anyway).
func (e *Engine) RemoveImage(refOrID string, force bool) (untagged, deleted []string, err error) {
	e.refMu.Lock()
	defer e.refMu.Unlock()
	list, err := e.containers.List()
	if err != nil {
		return nil, nil, err
	}
	used := map[string]bool{}
	for _, c := range list {
		used[c.ImageID] = true
	}
	id := refOrID
	if img, gerr := e.images.Get(refOrID); gerr == nil {
		id = img.ID
	}
	untagged, deleted, err = e.images.Remove(refOrID, force, func(id string) bool { return used[id] })
	for _, u := range untagged {
		e.publishImage(id, "untag", u)
	}
	for _, d := range deleted {
		e.publishImage(d, "delete", d)
	}
	return untagged, deleted, err
}

// publishImage publishes an image event with the name in the short form dockerd uses
// ("busybox:latest", not "docker.io/library/busybox:latest").
func (e *Engine) publishImage(id, action, name string) {
	name = image.Familiar(name)
	if action == "pull" {
		id = name
	}
	e.events.Publish(Event{Type: "image", Action: action, ID: id, Attributes: map[string]string{"name": name}})
}
