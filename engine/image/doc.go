// Package image is berth's content-addressed image store.
//
// Blobs (compressed layers as received, manifests, configs) are stored once
// by digest; each layer is unpacked once into a directory keyed by its DiffID
// and shared by every image that uses it; image records (tags, config digest,
// layers) live in bbolt. The store loads `docker save` archives and OCI
// image-layout archives, imports a rootfs (tar or directory) as a one-layer
// image, pulls from registries with go-containerregistry, saves images in the
// docker-save format, and prepares and removes overlayfs container roots.
// It knows nothing of containers beyond "a root made from an image": whether
// an image is in use is asked of the caller.
//
// Files under the store directory:
//
//	blobs/sha256/<hex>   blobs by digest: layers as received, manifests, configs
//	layers/<diffid-hex>/ unpacked layers (overlay whiteouts already converted)
//	roots/<key>/         container roots: upper/, work/, merged/ (and empty/ for
//	                     images without layers)
//	tmp/                 work in progress; cleared by Open
//
// Everything is written under tmp/ first and renamed into place, and records
// are written in one bbolt transaction after the files are in place. Open
// clears tmp/ and removes blobs and layer directories that no record names,
// so an interrupted load, pull or unpack leaves nothing behind.
//
// bbolt buckets (all created by Open):
//
//	image.images  "sha256:<config hex>"   -> JSON record: manifest digest, repo
//	                                         digests, layers (digest, DiffID,
//	                                         media type, size), created time
//	image.tags    "docker.io/library/busybox:latest" (canonical tag)
//	                                      -> "sha256:<image id hex>"
//	image.layers  "sha256:<diffid hex>"   -> JSON record of the blob kept for the
//	                                         layer: digest, media type, size,
//	                                         uncompressed size
//
// Image IDs are config digests, as Docker reports them. Tags are stored in
// canonical form and returned in Docker's familiar form ("busybox:latest" for
// docker.io/library images).
package image
