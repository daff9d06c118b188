package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/spf13/pflag"
)

// containerOptions are the flags shared by "container create" and "container run".
type containerOptions struct {
	env         []string
	envFiles    []string
	volumes     []string
	labels      []string
	workdir     string
	user        string
	name        string
	entrypoint  string
	memory      string
	cpus        string
	pidsLimit   int64
	hostname    string
	capAdd      []string
	capDrop     []string
	readOnly    bool
	privileged  bool
	init        bool
	securityOpt []string
	logDriver   string
	logOpts     []string
	stopSignal  string
	stopTimeout int
	interactive bool
	tty         bool
	autoRemove  bool
	networks    []string // --network, in order: the first is the network mode
	aliases     []string // --network-alias, for the first network
	ipv4        string   // --ip, on the first network
	ipv6        string   // --ip6, on the first network
	publish     []string
	publishAll  bool
	expose      []string

	// Which optional flags were given: an unset flag leaves the image's or daemon's default.
	entrypointSet  bool
	pidsLimitSet   bool
	stopTimeoutSet bool
}

func addContainerFlags(f *pflag.FlagSet, o *containerOptions) {
	f.SetInterspersed(false) // flags after IMAGE belong to the container's command
	f.StringArrayVarP(&o.env, "env", "e", nil, "set an environment variable (KEY=VALUE, or KEY to copy it from here)")
	f.StringArrayVar(&o.envFiles, "env-file", nil, "read environment variables from a file")
	f.StringArrayVarP(&o.volumes, "volume", "v", nil, "bind mount a volume (HOST:CONTAINER[:ro])")
	f.StringArrayVarP(&o.labels, "label", "l", nil, "set a label (KEY=VALUE)")
	f.StringVarP(&o.workdir, "workdir", "w", "", "working directory inside the container")
	f.StringVarP(&o.user, "user", "u", "", "user to run as (NAME|UID[:GROUP|GID])")
	f.StringVar(&o.name, "name", "", "name of the container")
	f.StringVar(&o.entrypoint, "entrypoint", "", "override the image's entrypoint")
	f.StringVarP(&o.memory, "memory", "m", "", "memory limit, e.g. 64m")
	f.StringVar(&o.cpus, "cpus", "", "number of CPUs, e.g. 0.5")
	f.Int64Var(&o.pidsLimit, "pids-limit", 0, "maximum number of processes (-1 for unlimited)")
	f.StringVar(&o.hostname, "hostname", "", "container host name")
	f.StringArrayVar(&o.capAdd, "cap-add", nil, "add a Linux capability")
	f.StringArrayVar(&o.capDrop, "cap-drop", nil, "drop a Linux capability")
	f.BoolVar(&o.readOnly, "read-only", false, "mount the container's root filesystem read-only")
	f.BoolVar(&o.privileged, "privileged", false, "give extended privileges to the container")
	f.BoolVar(&o.init, "init", false, "run an init inside the container that forwards signals and reaps processes")
	f.StringArrayVar(&o.securityOpt, "security-opt", nil, "security option, e.g. no-new-privileges")
	f.StringVar(&o.logDriver, "log-driver", "", "logging driver (json-file)")
	f.StringArrayVar(&o.logOpts, "log-opt", nil, "log driver option, e.g. max-size=10m or max-file=3")
	f.StringVar(&o.stopSignal, "stop-signal", "", "signal to stop the container")
	f.IntVar(&o.stopTimeout, "stop-timeout", 0, "seconds to wait for the container to stop before killing it")
	f.BoolVarP(&o.interactive, "interactive", "i", false, "keep STDIN open even if not attached")
	f.BoolVarP(&o.tty, "tty", "t", false, "allocate a pseudo-TTY")
	f.BoolVar(&o.autoRemove, "rm", false, "remove the container when it exits")
	f.StringArrayVar(&o.networks, "network", nil, "connect the container to a network (NAME, host, none, container:NAME; repeat for more)")
	f.StringArrayVar(&o.aliases, "network-alias", nil, "add a network-scoped alias on the first network")
	f.StringVar(&o.ipv4, "ip", "", "IPv4 address on the first network, e.g. 172.20.0.10")
	f.StringVar(&o.ipv6, "ip6", "", "IPv6 address on the first network, e.g. fd00::10")
	f.StringArrayVarP(&o.publish, "publish", "p", nil, "publish a container's port to the host ([IP:][HOST:]CONTAINER[/PROTO], e.g. 8080:80)")
	f.BoolVarP(&o.publishAll, "publish-all", "P", false, "publish all exposed ports to random host ports")
	f.StringArrayVar(&o.expose, "expose", nil, "expose a port or a range of ports (PORT[/PROTO])")
}

// noteSetFlags records which optional flags the user gave.
func (o *containerOptions) noteSetFlags(f *pflag.FlagSet) {
	o.entrypointSet = f.Changed("entrypoint")
	o.pidsLimitSet = f.Changed("pids-limit")
	o.stopTimeoutSet = f.Changed("stop-timeout")
}

// containerSpec is what ContainerCreate needs.
type containerSpec struct {
	Config           *container.Config
	HostConfig       *container.HostConfig
	NetworkingConfig *network.NetworkingConfig
	Name             string
}

// parse turns the flags, the image and its command into a create request. It checks what
// can be checked here so a typo fails before anything reaches the daemon.
func (o *containerOptions) parse(image string, cmd []string) (*containerSpec, error) {
	env, err := parseEnv(o.envFiles, o.env)
	if err != nil {
		return nil, err
	}
	binds, anon, err := parseVolumes(o.volumes)
	if err != nil {
		return nil, err
	}
	labels, err := parseKeyValues("--label", o.labels, "KEY=VALUE, e.g. app=web", true)
	if err != nil {
		return nil, err
	}
	memory, err := parseMemory("--memory", o.memory)
	if err != nil {
		return nil, err
	}
	nanoCPUs, err := parseCPUs(o.cpus)
	if err != nil {
		return nil, err
	}
	logConfig, err := parseLogConfig(o.logDriver, o.logOpts)
	if err != nil {
		return nil, err
	}
	secOpts, err := parseSecurityOpts(o.securityOpt)
	if err != nil {
		return nil, err
	}
	exposed, portBindings, err := parsePublish(o.publish)
	if err != nil {
		return nil, err
	}
	if exposed, err = parseExpose(exposed, o.expose); err != nil {
		return nil, err
	}
	nets, err := parseNetworking(o.networks, o.aliases, o.ipv4, o.ipv6)
	if err != nil {
		return nil, err
	}
	if nets.mode.IsContainer() {
		if len(portBindings) > 0 || o.publishAll || len(o.expose) > 0 {
			return nil, fmt.Errorf("conflicting options: port publishing and the container type network mode; publish the ports on the container whose network is shared (%s)", nets.mode.ConnectedContainer())
		}
		if o.hostname != "" {
			return nil, fmt.Errorf("conflicting options: hostname and the network mode; the container takes the host name of %s, so drop --hostname", nets.mode.ConnectedContainer())
		}
	}
	if o.workdir != "" && !strings.HasPrefix(o.workdir, "/") {
		return nil, fmt.Errorf("invalid --workdir %q: the working directory must be an absolute path, e.g. /app", o.workdir)
	}

	cfg := &container.Config{
		Image:      image,
		Cmd:        cmd,
		Env:        env,
		Labels:     labels,
		WorkingDir: o.workdir,
		User:       o.user,
		Hostname:   o.hostname,
		Tty:        o.tty,
		OpenStdin:  o.interactive,
		StopSignal: o.stopSignal,
	}
	if len(anon) > 0 {
		cfg.Volumes = anon
	}
	if len(exposed) > 0 {
		cfg.ExposedPorts = exposed
	}
	if o.entrypointSet {
		cfg.Entrypoint = []string{o.entrypoint}
		if o.entrypoint == "" {
			// docker's way of saying "no entrypoint", overriding the image's
			cfg.Entrypoint = []string{""}
		}
	}
	if o.stopTimeoutSet {
		t := o.stopTimeout
		cfg.StopTimeout = &t
	}
	hc := &container.HostConfig{
		Binds:           binds,
		AutoRemove:      o.autoRemove,
		CapAdd:          o.capAdd,
		CapDrop:         o.capDrop,
		ReadonlyRootfs:  o.readOnly,
		Privileged:      o.privileged,
		SecurityOpt:     secOpts.opts,
		LogConfig:       logConfig,
		NetworkMode:     nets.mode,
		PortBindings:    portBindings,
		PublishAllPorts: o.publishAll,
		Resources: container.Resources{
			Memory:   memory,
			NanoCPUs: nanoCPUs,
		},
	}
	if o.init {
		hc.Init = &o.init
	}
	if secOpts.unconfinedPaths {
		hc.MaskedPaths = []string{}
		hc.ReadonlyPaths = []string{}
	}
	if o.pidsLimitSet {
		p := o.pidsLimit
		hc.PidsLimit = &p
	}
	return &containerSpec{Config: cfg, HostConfig: hc, NetworkingConfig: nets.config, Name: o.name}, nil
}

// parseEnv reads the env files, then the -e values, in docker's order: later wins.
func parseEnv(files, values []string) ([]string, error) {
	var env []string
	for _, file := range files {
		vars, err := readEnvFile(file)
		if err != nil {
			return nil, err
		}
		env = append(env, vars...)
	}
	for _, v := range values {
		e, err := envValue(v)
		if err != nil {
			return nil, fmt.Errorf("invalid --env %q: %w", v, err)
		}
		env = append(env, e)
	}
	return env, nil
}

// envValue checks KEY=VALUE, and turns a bare KEY into KEY=VALUE from this process's
// environment (or leaves it bare when unset, as docker does).
func envValue(v string) (string, error) {
	k, _, hasValue := strings.Cut(v, "=")
	if k == "" {
		return "", fmt.Errorf("the variable name is empty; use KEY=VALUE, e.g. DEBUG=1")
	}
	if hasValue {
		return v, nil
	}
	if strings.ContainsAny(k, " \t") {
		return "", fmt.Errorf("variable %q contains whitespace; use KEY=VALUE, e.g. DEBUG=1", k)
	}
	if val, ok := os.LookupEnv(k); ok {
		return k + "=" + val, nil
	}
	return k, nil
}

// readEnvFile reads KEY=VALUE lines; blank lines and lines starting with # are skipped.
func readEnvFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read --env-file: %w", err)
	}
	return parseEnvFile(path, data)
}

func parseEnvFile(path string, data []byte) ([]string, error) {
	var env []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimLeft(sc.Text(), " \t")
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := envValue(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		env = append(env, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return env, nil
}

// parseVolumes splits -v values into binds (HOST:CONTAINER[:MODE]) and anonymous volumes
// (CONTAINER alone). A host path starting with "." is made absolute, as docker does.
func parseVolumes(specs []string) (binds []string, anon map[string]struct{}, _ error) {
	for _, spec := range specs {
		fail := func(why string) error {
			return fmt.Errorf("invalid --volume %q: %s; use HOST:CONTAINER[:ro], e.g. /srv/data:/data:ro", spec, why)
		}
		parts := strings.Split(spec, ":")
		switch len(parts) {
		case 1:
			if !filepath.IsAbs(parts[0]) {
				return nil, nil, fail(fmt.Sprintf("container path %q is not absolute", parts[0]))
			}
			if anon == nil {
				anon = map[string]struct{}{}
			}
			anon[filepath.Clean(parts[0])] = struct{}{}
			continue
		case 2, 3:
		default:
			return nil, nil, fail("too many colons")
		}
		src, dst := parts[0], parts[1]
		if src == "" {
			return nil, nil, fail("the host path is empty")
		}
		if !filepath.IsAbs(dst) {
			return nil, nil, fail(fmt.Sprintf("container path %q is not absolute", dst))
		}
		if dst == "/" {
			return nil, nil, fail("the container path cannot be /")
		}
		if strings.HasPrefix(src, ".") {
			abs, err := filepath.Abs(src)
			if err != nil {
				return nil, nil, fail(err.Error())
			}
			src = abs
		} else if !filepath.IsAbs(src) && strings.Contains(src, "/") {
			return nil, nil, fail(fmt.Sprintf("host path %q is neither absolute nor a volume name (start relative paths with ./)", src))
		}
		bind := src + ":" + dst
		if len(parts) == 3 {
			mode := parts[2]
			for _, m := range strings.Split(mode, ",") {
				switch m {
				case "ro", "rw", "z", "Z", "nocopy", "private", "rprivate", "shared", "rshared", "slave", "rslave":
				default:
					return nil, nil, fail(fmt.Sprintf("unknown mode %q (use ro or rw)", m))
				}
			}
			bind += ":" + mode
		}
		binds = append(binds, bind)
	}
	return binds, anon, nil
}

// parseKeyValues parses KEY=VALUE flags; with allowBare, KEY alone means an empty value.
func parseKeyValues(flag string, values []string, example string, allowBare bool) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(values))
	for _, v := range values {
		k, val, ok := strings.Cut(v, "=")
		if k == "" || (!ok && !allowBare) {
			return nil, fmt.Errorf("invalid %s %q: use %s", flag, v, example)
		}
		m[k] = val
	}
	return m, nil
}

// parseMemory parses a size such as 64m (binary units, as docker's --memory); "" is 0.
func parseMemory(flag, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := units.RAMInBytes(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid %s %q: use a number with an optional unit b, k, m, g, e.g. 64m", flag, s)
	}
	return n, nil
}

// parseCPUs turns a CPU count such as 0.5 into nano CPUs, exactly as docker does.
func parseCPUs(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() < 0 {
		return 0, fmt.Errorf("invalid --cpus %q: use a number of CPUs, e.g. 0.5 or 2", s)
	}
	nano := r.Mul(r, big.NewRat(1e9, 1))
	if !nano.IsInt() {
		return 0, fmt.Errorf("invalid --cpus %q: too precise; use at most 9 decimal places", s)
	}
	if !nano.Num().IsInt64() {
		return 0, fmt.Errorf("invalid --cpus %q: too large", s)
	}
	return nano.Num().Int64(), nil
}

// parseLogConfig builds the log configuration; berth logs to json-file unless told.
func parseLogConfig(driver string, opts []string) (container.LogConfig, error) {
	cfg, err := parseKeyValues("--log-opt", opts, "KEY=VALUE, e.g. max-size=10m", false)
	if err != nil {
		return container.LogConfig{}, err
	}
	if driver == "" {
		driver = "json-file"
	}
	if v, ok := cfg["max-size"]; ok && v != "-1" {
		if n, err := units.RAMInBytes(v); err != nil || n <= 0 {
			return container.LogConfig{}, fmt.Errorf("invalid --log-opt max-size=%s: use a positive size with an optional unit k, m, g, e.g. max-size=10m", v)
		}
	}
	if v, ok := cfg["max-file"]; ok {
		if n, err := strconv.Atoi(v); err != nil || n < 1 {
			return container.LogConfig{}, fmt.Errorf("invalid --log-opt max-file=%s: use a whole number of files of at least 1, e.g. max-file=3", v)
		}
		if _, ok := cfg["max-size"]; !ok {
			return container.LogConfig{}, fmt.Errorf("invalid --log-opt max-file=%s: max-file needs max-size too, e.g. --log-opt max-size=10m", v)
		}
	}
	return container.LogConfig{Type: driver, Config: cfg}, nil
}

// securityOpts are parsed --security-opt values.
type securityOpts struct {
	opts            []string
	unconfinedPaths bool // systempaths=unconfined: nothing masked or read-only
}

// parseSecurityOpts checks --security-opt values as the docker CLI does; a seccomp profile
// is read here and sent as JSON.
func parseSecurityOpts(values []string) (securityOpts, error) {
	var out securityOpts
	for _, v := range values {
		if v == "no-new-privileges" {
			out.opts = append(out.opts, v)
			continue
		}
		k, val, ok := strings.Cut(v, "=")
		if !ok {
			k, val, ok = strings.Cut(v, ":") // docker's deprecated form
		}
		if !ok || val == "" {
			return out, fmt.Errorf("invalid --security-opt %q: use KEY=VALUE, e.g. no-new-privileges or seccomp=unconfined", v)
		}
		switch k {
		case "no-new-privileges":
			if _, err := strconv.ParseBool(val); err != nil {
				return out, fmt.Errorf("invalid --security-opt %q: no-new-privileges takes true or false", v)
			}
			out.opts = append(out.opts, k+"="+val)
		case "seccomp":
			if val == "unconfined" || val == "builtin" {
				out.opts = append(out.opts, k+"="+val)
				continue
			}
			data, err := os.ReadFile(val)
			if err != nil {
				return out, fmt.Errorf("invalid --security-opt %q: read the seccomp profile: %w", v, err)
			}
			var buf bytes.Buffer
			if err := json.Compact(&buf, data); err != nil {
				return out, fmt.Errorf("invalid --security-opt %q: the seccomp profile is not JSON: %w", v, err)
			}
			out.opts = append(out.opts, "seccomp="+buf.String())
		case "systempaths":
			if val != "unconfined" {
				return out, fmt.Errorf("invalid --security-opt %q: use systempaths=unconfined", v)
			}
			out.unconfinedPaths = true
		case "label", "apparmor", "writable-cgroups":
			out.opts = append(out.opts, k+"="+val)
		default:
			return out, fmt.Errorf("invalid --security-opt %q: unknown option %q; use no-new-privileges, seccomp=, apparmor=, label= or systempaths=unconfined", v, k)
		}
	}
	return out, nil
}
