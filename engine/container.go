package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"berth/engine/image"
	"berth/engine/runtime"
	"berth/netstack"
	"berth/store"
)

var validName = regexp.MustCompile(`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// minMemory is the smallest memory limit a container can start with (Docker's).
const minMemory = 6 << 20

// Create records a new container from cfg and hc; it does not start it. Warnings are
// things the user should know that do not stop the create.
func (e *Engine) Create(ctx context.Context, name string, cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig) (*store.Container, []string, error) {
	if cfg == nil {
		return nil, nil, fmt.Errorf("create container: no config: %w", errdefs.ErrInvalidArgument)
	}
	if hc == nil {
		hc = &container.HostConfig{}
	}
	if err := validateCreate(name, cfg, hc, nc); err != nil {
		return nil, nil, err
	}
	e.refMu.RLock()
	defer e.refMu.RUnlock()
	img, err := e.images.Get(cfg.Image)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	if _, err := e.parseNetworkMode(hc, nc); err != nil {
		return nil, nil, err
	}
	if _, err := portsOf(hc, cfg); err != nil {
		return nil, nil, err
	}
	warnings = append(warnings, unsupported(cfg, hc)...)
	merged := mergeImageConfig(cfg, img)
	if len(merged.Entrypoint)+len(merged.Cmd) == 0 {
		return nil, nil, fmt.Errorf("no command specified: the image %s has no CMD or ENTRYPOINT; give one after the image name: %w", cfg.Image, errdefs.ErrInvalidArgument)
	}
	argv := append(slices.Clone([]string(merged.Entrypoint)), merged.Cmd...)
	id := newID()
	if name == "" {
		name = e.randomName()
	}
	name = strings.TrimPrefix(name, "/")
	if merged.Hostname == "" {
		merged.Hostname = id[:12]
	}
	if hc.LogConfig.Type == "" {
		hc.LogConfig.Type = "json-file"
	}
	if hc.LogConfig.Type != "json-file" {
		return nil, nil, fmt.Errorf("log driver %q is not supported; use json-file: %w", hc.LogConfig.Type, errdefs.ErrInvalidArgument)
	}
	if _, _, err := logLimits(hc.LogConfig.Config); err != nil {
		return nil, nil, err
	}
	anon, err := e.anonymousVolumes(merged, hc)
	if err != nil {
		return nil, nil, err
	}
	dir := filepath.Join(e.dirs.Root, "containers", id)
	c := &store.Container{
		ID:         id,
		Name:       name,
		Created:    time.Now().UTC(),
		Image:      cfg.Image,
		ImageID:    img.ID,
		Path:       argv[0],
		Args:       argv[1:],
		Config:     merged,
		Requested:  cfg,
		HostConfig: hc,
		Networking: nc,
		Anonymous:  anon,
		State:      store.State{Status: container.StateCreated},
		Dir:        dir,
		LogPath:    filepath.Join(dir, id+"-json.log"),
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		e.removeVolumes(anon)
		return nil, nil, fmt.Errorf("create container: %w", err)
	}
	if err := writeEtcFiles(dir, merged.Hostname, merged.Domainname, e.extraHosts(hc.ExtraHosts)); err != nil {
		os.RemoveAll(dir)
		e.removeVolumes(anon)
		return nil, nil, fmt.Errorf("create container: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	if err := e.containers.Create(c); err != nil {
		os.RemoveAll(dir)
		e.removeVolumes(anon)
		return nil, nil, err
	}
	e.log.Info("created container", "container", id[:12], "name", name, "image", cfg.Image)
	e.publish(c, "create")
	return c, warnings, nil
}

// validateCreate refuses, before anything is made, a create that Docker refuses or that
// would store more than the limits allow. It is the engine's check, so that the API and
// stacks share it.
func validateCreate(name string, cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig) error {
	if err := checkLimits(name, cfg, hc, nc); err != nil {
		return err
	}
	if name != "" && !validName.MatchString(name) {
		return fmt.Errorf("invalid container name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed: %w", name, errdefs.ErrInvalidArgument)
	}
	if err := validateConfig(cfg); err != nil {
		return err
	}
	return validateHostConfig(hc)
}

// validateConfig checks what Docker checks of a container's Config, with Docker's words
// (capitals included, for the scripts that match them).
func validateConfig(cfg *container.Config) error {
	if cfg.WorkingDir != "" && !path.IsAbs(cfg.WorkingDir) {
		return fmt.Errorf("the working directory '%s' is invalid, it needs to be an absolute path: %w", cfg.WorkingDir, errdefs.ErrInvalidArgument)
	}
	for _, kv := range cfg.Env {
		if k, _, _ := strings.Cut(kv, "="); k == "" {
			return fmt.Errorf("invalid environment variable: %s: %w", kv, errdefs.ErrInvalidArgument)
		}
	}
	if len(cfg.Hostname) > maxHostnameBytes {
		return fmt.Errorf("hostname %q is too long (maximum %d bytes): %w", cfg.Hostname, maxHostnameBytes, errdefs.ErrInvalidArgument)
	}
	return nil
}

// validateHostConfig checks a HostConfig as Docker does at create, with Docker's words
// where Docker has a check (capitals included, for the scripts that match them).
func validateHostConfig(hc *container.HostConfig) error {
	invalid := func(msg string, args ...any) error {
		return fmt.Errorf(msg+": %w", append(args, errdefs.ErrInvalidArgument)...)
	}
	r := hc.Resources
	switch {
	case r.Memory != 0 && r.Memory < minMemory:
		return invalid("Minimum memory limit allowed is 6MB")
	case r.Memory > 0 && r.MemorySwap > 0 && r.MemorySwap < r.Memory:
		return invalid("Minimum memoryswap limit should be larger than memory limit, see usage")
	case r.Memory == 0 && r.MemorySwap > 0:
		return invalid("You should always set the Memory limit when using Memoryswap limit, see usage")
	case r.NanoCPUs > 0 && r.CPUPeriod > 0:
		return invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set")
	case r.NanoCPUs > 0 && r.CPUQuota > 0:
		return invalid("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
	case r.NanoCPUs < 0 || r.NanoCPUs > int64(numCPU())*1e9:
		return invalid("range of CPUs is from 0.01 to %[1]d.00, as there are only %[1]d CPUs available", numCPU())
	case r.CPUShares < 0:
		// Docker refuses this only when it starts the container.
		return invalid("invalid CPU shares (%d): value must be a positive integer", r.CPUShares)
	case r.CPUPeriod != 0 && (r.CPUPeriod < 1000 || r.CPUPeriod > 1000000):
		return invalid("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
	case r.CPUQuota > 0 && r.CPUQuota < 1000:
		return invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)")
	case hc.ShmSize < 0:
		return invalid("SHM size can not be less than 0")
	}
	for _, m := range hc.Mounts {
		if m.Target == "" {
			return invalid("invalid mount config for type %q: field Target must not be empty", m.Type)
		}
		if err := checkMountTarget(m.Target); err != nil {
			return invalid("invalid mount config for type %q: %v", m.Type, err)
		}
	}
	for dst := range hc.Tmpfs {
		if err := checkMountTarget(dst); err != nil {
			return invalid("%v", err)
		}
	}
	for _, b := range hc.Binds {
		if _, err := parseBind(b); err != nil {
			return err
		}
	}
	if _, err := runtime.Capabilities(hc.CapAdd, hc.CapDrop, hc.Privileged); err != nil {
		return fmt.Errorf("%v: %w", err, errdefs.ErrInvalidArgument)
	}
	var rls []runtime.Rlimit
	for _, u := range hc.Ulimits {
		rls = append(rls, runtime.Rlimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	if err := runtime.CheckRlimits(rls); err != nil {
		return fmt.Errorf("%v: %w", err, errdefs.ErrInvalidArgument)
	}
	for _, so := range hc.SecurityOpt {
		switch so {
		case "no-new-privileges", "no-new-privileges:true", "no-new-privileges=true",
			"no-new-privileges:false", "no-new-privileges=false", "seccomp=unconfined", "seccomp:unconfined":
		default:
			return fmt.Errorf("security-opt %q is not supported; berth knows no-new-privileges and seccomp=unconfined: %w", so, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// checkMountTarget checks a mount's destination as Docker's mount parser does.
func checkMountTarget(dst string) error {
	switch {
	case path.Clean(dst) == "/":
		return errors.New("invalid specification: destination can't be '/'")
	case !path.IsAbs(dst):
		return fmt.Errorf("invalid mount path: '%s' mount path must be absolute", dst)
	}
	return nil
}

// mergeImageConfig fills what the user left unset from the image, as Docker does.
func mergeImageConfig(cfg *container.Config, img image.Image) *container.Config {
	c := *cfg
	ic := img.Config.Config
	if len(c.Entrypoint) == 0 {
		c.Entrypoint = ic.Entrypoint
		if len(c.Cmd) == 0 {
			c.Cmd = ic.Cmd
		}
	}
	c.Env = runtime.MergeEnv(ic.Env, cfg.Env)
	if c.WorkingDir == "" {
		c.WorkingDir = ic.WorkingDir
	}
	if c.User == "" {
		c.User = ic.User
	}
	if c.StopSignal == "" {
		c.StopSignal = ic.StopSignal
	}
	if len(ic.ExposedPorts) > 0 {
		if c.ExposedPorts == nil {
			c.ExposedPorts = network.PortSet{}
		}
		for p := range ic.ExposedPorts {
			if port, err := network.ParsePort(p); err == nil {
				c.ExposedPorts[port] = struct{}{}
			}
		}
	}
	if len(ic.Volumes) > 0 {
		if c.Volumes == nil {
			c.Volumes = map[string]struct{}{}
		}
		for v := range ic.Volumes {
			c.Volumes[v] = struct{}{}
		}
	}
	if c.Healthcheck == nil && ic.Healthcheck != nil {
		h := ic.Healthcheck
		c.Healthcheck = &container.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, Retries: h.Retries}
	}
	if len(ic.Labels) > 0 {
		labels := map[string]string{}
		for k, v := range ic.Labels {
			labels[k] = v
		}
		for k, v := range cfg.Labels {
			labels[k] = v
		}
		c.Labels = labels
	}
	return &c
}

func newID() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var (
	nameLeft  = []string{"brave", "calm", "eager", "fond", "keen", "lucid", "merry", "nimble", "quiet", "swift", "tidy", "witty", "bold", "gentle", "jolly", "proud"}
	nameRight = []string{"anchor", "bay", "buoy", "cove", "dock", "ferry", "harbor", "keel", "mast", "pier", "quay", "reef", "sail", "tide", "wharf", "jetty"}
)

func (e *Engine) randomName() string {
	pick := func(l []string) string {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(l))))
		return l[n.Int64()]
	}
	for {
		name := pick(nameLeft) + "_" + pick(nameRight)
		if _, err := e.containers.Get(name); errors.Is(err, errdefs.ErrNotFound) {
			return name
		}
		name += "_" + newID()[:4]
		if _, err := e.containers.Get(name); errors.Is(err, errdefs.ErrNotFound) {
			return name
		}
	}
}

// Get returns a container's record by ID, name or unique ID prefix.
func (e *Engine) Get(ref string) (*store.Container, error) { return e.containers.Get(ref) }

// List returns every container.
func (e *Engine) List() ([]*store.Container, error) { return e.containers.List() }

func (e *Engine) publish(c *store.Container, action string, attrs ...string) {
	a := map[string]string{"name": c.Name, "image": c.Image}
	for i := 0; i+1 < len(attrs); i += 2 {
		a[attrs[i]] = attrs[i+1]
	}
	for k, v := range c.Config.Labels {
		a[k] = v
	}
	e.events.Publish(Event{Type: "container", Action: action, ID: c.ID, Attributes: a})
}

func notRunning(c *store.Container) error {
	return fmt.Errorf("container %s is not running: %w", c.ID[:12], errdefs.ErrConflict)
}

// unsupported names the settings berth accepts but does not act on yet, so none is
// ignored silently.
func unsupported(cfg *container.Config, hc *container.HostConfig) []string {
	var out []string
	add := func(what string) { out = append(out, what+" is not supported yet and is ignored") }
	if hc.RestartPolicy.Name != "" && hc.RestartPolicy.Name != "no" {
		add("the restart policy " + string(hc.RestartPolicy.Name))
	}
	if len(hc.Devices) > 0 {
		add("adding devices (--device)")
	}
	if len(hc.DNS) > 0 || len(hc.DNSSearch) > 0 || len(hc.DNSOptions) > 0 {
		add("--dns, --dns-search and --dns-option")
	}
	if len(hc.Mounts) > 0 {
		add("--mount")
	}
	if len(hc.VolumesFrom) > 0 {
		add("--volumes-from")
	}
	return out
}

// anonymousVolumes gives each VOLUME path of the image, and each -v /path, that no bind,
// volume or tmpfs covers a new anonymous volume, as Docker does, so the data there
// outlives the container's own layer; they are mounted like named volumes (with the
// image's content copied in) and removed by rm -v and down -v.
func (e *Engine) anonymousVolumes(cfg *container.Config, hc *container.HostConfig) ([]string, error) {
	covered := map[string]bool{}
	var names []string
	for _, b := range hc.Binds {
		m, err := parseBind(b)
		if err != nil {
			continue
		}
		covered[filepath.Clean(m.Destination)] = true
		// An anonymous volume handed on from a recreated container stays this one's.
		if m.Type == "volume" {
			if v, err := e.volumes.Get(m.Source); err == nil && v.Anonymous {
				names = append(names, v.Name)
			}
		}
	}
	for dst := range hc.Tmpfs {
		covered[filepath.Clean(dst)] = true
	}
	var paths []string
	for p := range cfg.Volumes {
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("volume path %q must be absolute: %w", p, errdefs.ErrInvalidArgument)
		}
		if !covered[filepath.Clean(p)] {
			paths = append(paths, filepath.Clean(p))
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		v, err := e.CreateVolume("", nil, nil)
		if err != nil {
			return nil, fmt.Errorf("anonymous volume for %s: %w", p, err)
		}
		names = append(names, v.Name)
		hc.Binds = append(hc.Binds, v.Name+":"+p)
	}
	return names, nil
}

func (e *Engine) removeVolumes(names []string) {
	for _, n := range names {
		err := e.volumes.Remove(n, false, e.volumeUsers)
		switch {
		case err == nil:
			e.publishVolume(n, "destroy")
		case !errdefs.IsNotFound(err):
			e.log.Warn("remove anonymous volume", "volume", n, "err", err)
		}
	}
}

// extraHosts resolves Docker's special host-gateway address to the host's address on the
// default network, as dockerd does for --add-host NAME:host-gateway.
func (e *Engine) extraHosts(hosts []string) []string {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		if name, ip, ok := strings.Cut(h, ":"); ok && ip == "host-gateway" {
			if n, err := e.net.Network(netstack.DefaultNetwork); err == nil {
				h = name + ":" + n.Gateway.String()
			}
		}
		out = append(out, h)
	}
	return out
}
