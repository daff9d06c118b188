package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Import adds a one-layer image made from src, a rootfs tar file (optionally
// gzip-compressed) or a directory, tagged ref unless ref is empty. changes
// are Dockerfile-like instructions applied to the config, as for
// `docker import --change`: CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE,
// VOLUME, LABEL.
func (s *Store) Import(ctx context.Context, src string, ref string, changes []string) (Image, error) {
	var tags []string
	if ref != "" {
		r, err := parseRef(ref)
		if err != nil {
			return Image{}, fmt.Errorf("import %s: %w", src, err)
		}
		tags = []string{canonical(r)}
	}
	cfg := v1.Config{Env: []string{defaultPath}}
	for _, c := range changes {
		if err := applyChange(&cfg, c); err != nil {
			return Image{}, fmt.Errorf("import %s: %w", src, err)
		}
	}
	fi, err := os.Stat(src)
	if err != nil {
		return Image{}, errorf(errdefs.ErrInvalidArgument, "import %s: %w", src, err)
	}
	tarPath := src
	if fi.IsDir() {
		work, err := os.MkdirTemp(s.path("tmp"), "import-")
		if err != nil {
			return Image{}, fmt.Errorf("import %s: %w", src, err)
		}
		defer os.RemoveAll(work)
		tarPath = filepath.Join(work, "layer.tar")
		if err := tarDir(ctx, src, tarPath); err != nil {
			return Image{}, fmt.Errorf("import %s: %w", src, err)
		}
	}
	layer, err := tarball.LayerFromFile(tarPath, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return Image{}, fmt.Errorf("import %s: %w", src, err)
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		return Image{}, errorf(errdefs.ErrInvalidArgument, "import %s: %w", src, err)
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return Image{}, fmt.Errorf("import %s: %w", src, err)
	}
	cf = cf.DeepCopy()
	now := v1.Time{Time: time.Now().UTC()}
	cf.Architecture, cf.OS, cf.Created, cf.Config = runtime.GOARCH, "linux", now, cfg
	cf.History = []v1.History{{Created: now, CreatedBy: "berth import", Comment: "Imported from " + src}}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return Image{}, fmt.Errorf("import %s: %w", src, err)
	}
	isrc, err := imageSource(img)
	if err != nil {
		return Image{}, fmt.Errorf("import %s: %w", src, err)
	}
	isrc.tags = tags
	id, err := s.ingest(ctx, isrc)
	if err != nil {
		return Image{}, fmt.Errorf("import %s: %w", src, err)
	}
	out, err := s.Get(id)
	if err != nil {
		return Image{}, fmt.Errorf("import %s: %w", src, err)
	}
	return out, nil
}

// tarDir writes the tree at dir as a tar file, keeping modes, owners,
// symlinks and hard links.
func tarDir(ctx context.Context, dir, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	inodes := map[uint64]string{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		hdr.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uname, hdr.Gname = "", ""
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && fi.Mode().IsRegular() && st.Nlink > 1 {
			if first, ok := inodes[st.Ino]; ok {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			} else {
				inodes[st.Ino] = hdr.Name
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			src, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, src)
			src.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// applyChange applies one Dockerfile-like instruction to cfg.
func applyChange(cfg *v1.Config, change string) error {
	instr, arg, _ := strings.Cut(strings.TrimSpace(change), " ")
	arg = strings.TrimSpace(arg)
	bad := func(why string) error {
		return errorf(errdefs.ErrInvalidArgument, "change %q: %s", change, why)
	}
	if arg == "" {
		return bad("missing argument")
	}
	switch strings.ToUpper(instr) {
	case "CMD", "ENTRYPOINT":
		var argv []string
		if strings.HasPrefix(arg, "[") {
			if err := json.Unmarshal([]byte(arg), &argv); err != nil {
				return bad(`the JSON form must be an array of strings, e.g. ["sh", "-c", "echo hi"]`)
			}
		} else {
			argv = []string{"/bin/sh", "-c", arg}
		}
		if strings.EqualFold(instr, "CMD") {
			cfg.Cmd = argv
		} else {
			cfg.Entrypoint = argv
		}
	case "ENV":
		kvs, err := keyValues(arg)
		if err != nil {
			return bad(err.Error())
		}
		for _, kv := range kvs {
			cfg.Env = setEnv(cfg.Env, kv)
		}
	case "LABEL":
		kvs, err := keyValues(arg)
		if err != nil {
			return bad(err.Error())
		}
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		for _, kv := range kvs {
			k, v, _ := strings.Cut(kv, "=")
			cfg.Labels[k] = v
		}
	case "WORKDIR":
		cfg.WorkingDir = arg
	case "USER":
		cfg.User = arg
	case "EXPOSE":
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range strings.Fields(arg) {
			port, proto, ok := strings.Cut(p, "/")
			if !ok {
				proto = "tcp"
			}
			if port == "" || strings.Trim(port, "0123456789-") != "" || (proto != "tcp" && proto != "udp" && proto != "sctp") {
				return bad(fmt.Sprintf("%q is not a port; use PORT[/PROTO], e.g. 80/tcp", p))
			}
			cfg.ExposedPorts[port+"/"+proto] = struct{}{}
		}
	case "VOLUME":
		var vols []string
		if strings.HasPrefix(arg, "[") {
			if err := json.Unmarshal([]byte(arg), &vols); err != nil {
				return bad(`the JSON form must be an array of strings, e.g. ["/data"]`)
			}
		} else {
			vols = strings.Fields(arg)
		}
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for _, v := range vols {
			cfg.Volumes[v] = struct{}{}
		}
	default:
		return bad("unknown instruction; use CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, VOLUME or LABEL")
	}
	return nil
}

// keyValues parses `K=V K2="v 2"` or the old `K V` form.
func keyValues(arg string) ([]string, error) {
	if k, v, ok := strings.Cut(arg, " "); ok && !strings.Contains(k, "=") {
		return []string{k + "=" + strings.TrimSpace(v)}, nil
	}
	var out []string
	for rest := arg; rest != ""; rest = strings.TrimLeft(rest, " \t") {
		k, v, ok := strings.Cut(rest, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%q is not KEY=VALUE", rest)
		}
		rest = v
		if strings.HasPrefix(v, `"`) {
			end := strings.Index(v[1:], `"`)
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in %q", v)
			}
			v, rest = v[1:end+1], v[end+2:]
		} else if i := strings.IndexAny(v, " \t"); i >= 0 {
			v, rest = v[:i], v[i:]
		} else {
			rest = ""
		}
		out = append(out, k+"="+v)
	}
	return out, nil
}

func setEnv(env []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	for i, e := range env {
		if ek, _, _ := strings.Cut(e, "="); ek == k {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}
