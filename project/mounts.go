package project

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
)

// mounts reads volumes:, tmpfs:, and file-based secrets: and configs: into binds
// ("SOURCE:TARGET[:OPTIONS]"), anonymous volumes (Config.Volumes) and tmpfs mounts.
// Binds are sorted: the order of volumes: does not matter to the engine, which orders
// mounts by their targets.
func (c *converter) mounts(svcPath string, svc types.ServiceConfig, cfg *container.Config, hc *container.HostConfig) error {
	tmpfs := map[string]string{}
	for _, t := range svc.Tmpfs {
		target, opts, _ := strings.Cut(t, ":")
		tmpfs[target] = opts
	}
	anon := map[string]struct{}{}
	for i, v := range svc.Volumes {
		key := fmt.Sprintf("%s.volumes[%d]", svcPath, i)
		if v.Target == "" {
			return invalid(key, "no target; use SOURCE:TARGET")
		}
		typ := v.Type
		if typ == "" {
			typ = guessVolumeType(v.Source)
		}
		switch typ {
		case types.VolumeTypeBind:
			src := v.Source
			if src == "" {
				return invalid(key, "a bind mount needs a source; use HOST_PATH:%s", v.Target)
			}
			if !filepath.IsAbs(src) {
				src = filepath.Join(c.p.WorkingDir, src)
			}
			var opts []string
			if v.ReadOnly {
				opts = append(opts, "ro")
			}
			if b := v.Bind; b != nil {
				if b.SELinux != "" {
					opts = append(opts, b.SELinux)
				}
				if b.Propagation != "" {
					opts = append(opts, b.Propagation)
				}
				if !bool(b.CreateHostPath) {
					c.warn(key+".bind.create_host_path", "false is not supported yet; a missing %s is created", src)
				}
				if b.Recursive != "" {
					c.warn(key+".bind.recursive", "not supported yet, ignored")
				}
			}
			hc.Binds = append(hc.Binds, bind(src, v.Target, opts))
		case types.VolumeTypeVolume:
			if v.Source == "" {
				anon[v.Target] = struct{}{}
				continue
			}
			name, ok := c.volNames[v.Source]
			if !ok {
				return invalid(key, "volume %q is not declared; declare it under the top-level volumes:", v.Source)
			}
			var opts []string
			if v.ReadOnly {
				opts = append(opts, "ro")
			}
			if vv := v.Volume; vv != nil {
				if vv.NoCopy {
					opts = append(opts, "nocopy")
				}
				if vv.Subpath != "" {
					c.warn(key+".volume.subpath", "not supported yet, ignored")
				}
			}
			hc.Binds = append(hc.Binds, bind(name, v.Target, opts))
		case types.VolumeTypeTmpfs:
			var opts []string
			if v.ReadOnly {
				opts = append(opts, "ro")
			}
			if t := v.Tmpfs; t != nil {
				if t.Size != 0 {
					opts = append(opts, fmt.Sprintf("size=%d", int64(t.Size)))
				}
				if t.Mode != 0 {
					opts = append(opts, fmt.Sprintf("mode=%o", t.Mode))
				}
			}
			tmpfs[v.Target] = strings.Join(opts, ",")
		default:
			c.warn(key, "volumes of type %q are not supported yet, ignored", typ)
		}
	}
	for i, s := range svc.Secrets {
		c.fileMount(fmt.Sprintf("%s.secrets[%d]", svcPath, i), "secret", types.FileReferenceConfig(s),
			types.FileObjectConfig(c.p.Secrets[s.Source]), "/run/secrets/", hc)
	}
	for i, s := range svc.Configs {
		c.fileMount(fmt.Sprintf("%s.configs[%d]", svcPath, i), "config", types.FileReferenceConfig(s),
			types.FileObjectConfig(c.p.Configs[s.Source]), "/", hc)
	}
	sort.Strings(hc.Binds)
	if len(tmpfs) > 0 {
		hc.Tmpfs = tmpfs
	}
	if len(anon) > 0 {
		cfg.Volumes = anon
	}
	return nil
}

// fileMount binds a secret or config backed by a file read-only at its target, which is
// how Compose provides them without Swarm. Content from the environment or inline needs
// a file written for it, which is the engine's job and not done yet.
func (c *converter) fileMount(key, kind string, ref types.FileReferenceConfig, obj types.FileObjectConfig, dir string, hc *container.HostConfig) {
	if obj.File == "" {
		c.warn(key, "%s %q is not backed by a file: not supported yet, ignored", kind, ref.Source)
		return
	}
	target := ref.Target
	if target == "" {
		target = ref.Source
	}
	if !path.IsAbs(target) {
		target = dir + target
	}
	if ref.UID != "" || ref.GID != "" || ref.Mode != nil {
		c.warn(key, "uid, gid and mode are not supported yet for a %s backed by a file, ignored", kind)
	}
	src := obj.File
	if !filepath.IsAbs(src) {
		src = filepath.Join(c.p.WorkingDir, src)
	}
	hc.Binds = append(hc.Binds, bind(src, target, []string{"ro"}))
}

func bind(src, target string, opts []string) string {
	s := src + ":" + target
	if len(opts) > 0 {
		s += ":" + strings.Join(opts, ",")
	}
	return s
}

// guessVolumeType reads a hand-built volume without type as the short syntax would.
func guessVolumeType(src string) string {
	switch {
	case src == "":
		return types.VolumeTypeVolume
	case filepath.IsAbs(src), strings.HasPrefix(src, "."), strings.HasPrefix(src, "~"):
		return types.VolumeTypeBind
	}
	return types.VolumeTypeVolume
}
