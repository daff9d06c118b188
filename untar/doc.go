// Package untar extracts tar streams from untrusted sources into a directory tree
// without touching anything outside it. Every path in berth that unpacks a tar it did not
// write goes through it: image layers, image archives (docker save, OCI layouts),
// imports, copies into a container and out of one, and later build contexts.
//
// The guarantees, whatever the archive holds:
//   - Entry names are cleaned; a name that climbs out of the destination ("../x") is
//     refused, and a leading "/" means the destination.
//   - Directories are resolved with openat2(RESOLVE_IN_ROOT) (or an equally safe
//     fallback), so a symlink met on the way, made by an earlier entry or already in the
//     tree, resolves inside the root as it would inside a chroot. Every change is then made
//     relative to the directory's handle, to one name, without following a final symlink.
//   - A hard link names an existing entry inside the destination.
//   - Whiteouts (.wh.NAME) are refused when NAME is empty, "." or "..".
//   - Device nodes and FIFOs are made only when the caller allows them (image layers, as
//     root); trusted.* extended attributes are never applied, so an archive cannot forge
//     overlayfs metadata.
//
// It knows nothing of images or containers.
package untar
