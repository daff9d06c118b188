package project

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
)

// Options are the command line's choices that shape the desired state.
type Options struct {
	// Scale overrides the number of replicas per service (--scale SERVICE=N).
	Scale map[string]int
	// Version is berth's version, written to the com.docker.compose.version label.
	Version string
}

// FromCompose turns a loaded Compose project (interpolated, paths resolved, only the
// enabled services) into the stack's desired state. Mistakes the loader let through are
// returned as *Error; keys berth cannot honour yet end up in Stack.Warnings.
func FromCompose(p *types.Project, o Options) (*Stack, error) {
	if p == nil {
		return nil, invalid("project", "no project")
	}
	if p.Name == "" {
		return nil, invalid("name", "the project has no name; set name: or use -p")
	}
	c := &converter{p: p, o: o, names: map[string][]string{}}
	for name := range o.Scale {
		if _, ok := p.Services[name]; !ok {
			return nil, invalid("--scale", "no enabled service %q", name)
		}
	}
	services := slices.Sorted(maps.Keys(p.Services))
	// Names first: network_mode and volumes_from point at other services' containers.
	for _, name := range services {
		svc := p.Services[name]
		if !serviceName.MatchString(name) {
			// compose.Load refuses these; a project from elsewhere gets them checked here,
			// as they end up in container and host names
			return nil, invalid("services", "invalid service name %q: use [a-zA-Z0-9][a-zA-Z0-9_.-]*", name)
		}
		n, err := c.replicas(name, svc)
		if err != nil {
			return nil, err
		}
		c.names[name] = containerNames(p.Name, name, svc.ContainerName, n)
	}
	if err := c.checkNames(services); err != nil {
		return nil, err
	}
	networks, err := c.networks(services)
	if err != nil {
		return nil, err
	}
	volumes, err := c.volumes(services)
	if err != nil {
		return nil, err
	}
	st := &Stack{
		Name:       p.Name,
		WorkingDir: p.WorkingDir,
		Files:      slices.Clone(p.ComposeFiles),
		Networks:   networks,
		Volumes:    volumes,
	}
	for _, name := range services {
		s, err := c.service(name, p.Services[name])
		if err != nil {
			return nil, err
		}
		st.Services = append(st.Services, s)
	}
	st.Warnings = c.warnings
	return st, nil
}

type converter struct {
	p        *types.Project
	o        Options
	names    map[string][]string // service → container names, by number
	netNames map[string]string   // network key → host name
	volNames map[string]string   // volume key → host name
	warnings []string
}

// warn records a warning once, though every replica is built and finds it again.
func (c *converter) warn(path, format string, args ...any) {
	w := path + ": " + fmt.Sprintf(format, args...)
	if !slices.Contains(c.warnings, w) {
		c.warnings = append(c.warnings, w)
	}
}

// replicas is --scale, else deploy.replicas, else scale, else 1.
func (c *converter) replicas(name string, svc types.ServiceConfig) (int, error) {
	n, key := 1, ""
	if v, ok := c.o.Scale[name]; ok {
		n, key = v, "--scale "+name
	} else if svc.Deploy != nil && svc.Deploy.Replicas != nil {
		n, key = *svc.Deploy.Replicas, "services."+name+".deploy.replicas"
	} else if svc.Scale != nil {
		n, key = *svc.Scale, "services."+name+".scale"
	}
	if n < 0 {
		return 0, invalid(key, "%d replicas: use 0 or more", n)
	}
	if svc.ContainerName != "" && n > 1 {
		return 0, invalid("services."+name, "container_name can only be used with 1 replica")
	}
	return n, nil
}

// serviceName is Compose's rule for a service name.
var serviceName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// checkNames refuses two containers of one name: the engine would create the first and
// fail on the second, leaving half a stack. A container_name can be another service's,
// or a name berth gives, e.g. "demo-db-1".
func (c *converter) checkNames(services []string) error {
	type ctr struct {
		service string
		n       int // 1-based
	}
	owner := map[string]ctr{}
	for _, name := range services {
		for i, cn := range c.names[name] {
			this := ctr{name, i + 1}
			prev, ok := owner[cn]
			if !ok {
				owner[cn] = this
				continue
			}
			if c.p.Services[this.service].ContainerName == "" {
				// the earlier one set container_name: report there
				prev, this = this, prev
			}
			what := fmt.Sprintf("service %s's container %d", prev.service, prev.n)
			if c.p.Services[prev.service].ContainerName != "" {
				what = "service " + prev.service + "'s container_name"
			}
			return invalid("services."+this.service+".container_name", "%q is also the name of %s; choose another", cn, what)
		}
	}
	return nil
}

func containerNames(project, service, containerName string, n int) []string {
	names := make([]string, n)
	for i := range names {
		if containerName != "" {
			names[i] = containerName
		} else {
			names[i] = fmt.Sprintf("%s-%s-%d", project, service, i+1)
		}
	}
	return names
}

// firstContainer is the container that network_mode, ipc, pid and volumes_from mean by
// "service:x", as Compose does.
func (c *converter) firstContainer(path, service string) (string, error) {
	svc, ok := c.p.Services[service]
	if !ok {
		return "", invalid(path, "service %q is not enabled (or does not exist); enable its profile or remove the reference", service)
	}
	if svc.ContainerName != "" {
		return svc.ContainerName, nil
	}
	return fmt.Sprintf("%s-%s-1", c.p.Name, service), nil
}

func (c *converter) service(name string, svc types.ServiceConfig) (Service, error) {
	path := "services." + name
	s := Service{
		Name:       name,
		Image:      imageName(c.p.Name, name, svc),
		PullPolicy: svc.PullPolicy,
	}
	if s.Image == "" {
		return s, invalid(path, "no image and no build; set image:")
	}
	c.unsupported(path, svc)
	deps, err := c.dependsOn(path, svc)
	if err != nil {
		return s, err
	}
	s.DependsOn = deps
	if ref, ok := strings.CutPrefix(svc.NetworkMode, types.ServicePrefix); ok {
		s.NetworkModeService = ref
	}
	s.VolumesFromServices = volumesFromServices(svc.VolumesFrom)
	if svc.StopGracePeriod != nil {
		d := time.Duration(*svc.StopGracePeriod)
		s.StopGrace = &d
	}
	s.Healthcheck, _ = healthcheck(svc.HealthCheck)

	for i, cname := range c.names[name] {
		ctr, err := c.container(name, svc, s, i+1)
		if err != nil {
			return s, err
		}
		ctr.Name = cname
		s.Containers = append(s.Containers, ctr)
	}
	return s, nil
}

// unsupported warns about the keys that have no place in the container berth creates yet.
func (c *converter) unsupported(path string, svc types.ServiceConfig) {
	keys := []struct {
		key string
		set bool
	}{
		{"mac_address", svc.MacAddress != ""},
		{"gpus", len(svc.Gpus) > 0},
		{"links", len(svc.Links) > 0},
		{"external_links", len(svc.ExternalLinks) > 0},
		{"pre_start", len(svc.PreStart) > 0},
		{"post_start", len(svc.PostStart) > 0},
		{"pre_stop", len(svc.PreStop) > 0},
		{"use_api_socket", svc.UseAPISocket},
		{"models", len(svc.Models) > 0},
		{"provider", svc.Provider != nil},
		{"blkio_config", svc.BlkioConfig != nil && (len(svc.BlkioConfig.WeightDevice) > 0 ||
			len(svc.BlkioConfig.DeviceReadBps) > 0 || len(svc.BlkioConfig.DeviceWriteBps) > 0 ||
			len(svc.BlkioConfig.DeviceReadIOps) > 0 || len(svc.BlkioConfig.DeviceWriteIOps) > 0)},
		{"deploy.resources.reservations.devices", svc.Deploy != nil && svc.Deploy.Resources.Reservations != nil &&
			len(svc.Deploy.Resources.Reservations.Devices) > 0},
	}
	for _, k := range keys {
		if k.set {
			c.warn(path+"."+k.key, "not supported yet, ignored")
		}
	}
}

// imageName is image:, or for a service that is only built the name Compose gives the
// built image. berth cannot build yet; the caller warns.
func imageName(project, service string, svc types.ServiceConfig) string {
	if svc.Image != "" {
		return svc.Image
	}
	if svc.Build != nil {
		return strings.ToLower(project + "-" + service)
	}
	return ""
}

// dependsOn is depends_on plus the implicit dependencies of network_mode, ipc, pid and
// volumes_from on another service, sorted by service.
func (c *converter) dependsOn(path string, svc types.ServiceConfig) ([]Dependency, error) {
	deps := map[string]Dependency{}
	for dep, d := range svc.DependsOn {
		if _, ok := c.p.Services[dep]; !ok {
			if !d.Required {
				continue // an optional dependency on a disabled service
			}
			return nil, invalid(path+".depends_on."+dep, "service %q is not enabled (or does not exist); enable its profile or set required: false", dep)
		}
		cond := d.Condition
		if cond == "" {
			cond = types.ServiceConditionStarted
		}
		deps[dep] = Dependency{Service: dep, Condition: cond, Required: d.Required, Restart: d.Restart}
	}
	implicit := volumesFromServices(svc.VolumesFrom)
	for _, mode := range []string{svc.NetworkMode, svc.Ipc, svc.Pid} {
		if ref, ok := strings.CutPrefix(mode, types.ServicePrefix); ok {
			implicit = append(implicit, ref)
		}
	}
	for _, dep := range implicit {
		if _, ok := deps[dep]; !ok {
			// As compose-go's loader does: sharing a namespace or volumes means the
			// dependent must follow a recreated dependency.
			deps[dep] = Dependency{Service: dep, Condition: types.ServiceConditionStarted, Required: true, Restart: true}
		}
	}
	out := make([]Dependency, 0, len(deps))
	for _, k := range slices.Sorted(maps.Keys(deps)) {
		out = append(out, deps[k])
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// volumesFromServices are the services named in volumes_from ("x", "x:ro", "service:x"),
// not the "container:name" entries.
func volumesFromServices(from []string) []string {
	var out []string
	for _, v := range from {
		if strings.HasPrefix(v, types.ContainerPrefix) {
			continue
		}
		v = strings.TrimPrefix(v, types.ServicePrefix)
		name, _, _ := strings.Cut(v, ":")
		if name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

func healthcheck(h *types.HealthCheckConfig) (*Healthcheck, *container.HealthConfig) {
	if h == nil {
		return nil, nil
	}
	hc := &Healthcheck{Test: slices.Clone([]string(h.Test))}
	if h.Disable {
		hc.Test = []string{"NONE"}
	}
	dur := func(d *types.Duration) time.Duration {
		if d == nil {
			return 0
		}
		return time.Duration(*d)
	}
	hc.Interval = dur(h.Interval)
	hc.Timeout = dur(h.Timeout)
	hc.StartPeriod = dur(h.StartPeriod)
	hc.StartInterval = dur(h.StartInterval)
	if h.Retries != nil {
		hc.Retries = int(*h.Retries)
	}
	return hc, &container.HealthConfig{
		Test:          slices.Clone(hc.Test),
		Interval:      hc.Interval,
		Timeout:       hc.Timeout,
		StartPeriod:   hc.StartPeriod,
		StartInterval: hc.StartInterval,
		Retries:       hc.Retries,
	}
}

// container builds replica number n. Every replica is built afresh so none shares a map
// or slice with another.
func (c *converter) container(name string, svc types.ServiceConfig, s Service, n int) (Container, error) {
	path := "services." + name
	cfg := container.Config{
		Image:      s.Image,
		Env:        environment(svc.Environment),
		WorkingDir: svc.WorkingDir,
		User:       svc.User,
		Hostname:   svc.Hostname,
		Domainname: svc.DomainName,
		Tty:        svc.Tty,
		OpenStdin:  svc.StdinOpen,
		StopSignal: svc.StopSignal,
	}
	// nil keeps the image's; an explicit empty list clears it.
	if svc.Command != nil {
		cfg.Cmd = append([]string{}, svc.Command...)
	}
	if svc.Entrypoint != nil {
		cfg.Entrypoint = append([]string{}, svc.Entrypoint...)
	}
	if svc.StopGracePeriod != nil {
		secs := int(time.Duration(*svc.StopGracePeriod).Round(time.Second) / time.Second)
		cfg.StopTimeout = &secs
	}
	_, cfg.Healthcheck = healthcheck(svc.HealthCheck)

	hc := container.HostConfig{
		CapAdd:         sortedCopy(svc.CapAdd),
		CapDrop:        sortedCopy(svc.CapDrop),
		Privileged:     svc.Privileged,
		ReadonlyRootfs: svc.ReadOnly,
		SecurityOpt:    slices.Clone(svc.SecurityOpt),
		DNSOptions:     slices.Clone(svc.DNSOpts),
		DNSSearch:      slices.Clone([]string(svc.DNSSearch)),
		GroupAdd:       slices.Clone(svc.GroupAdd),
		OomScoreAdj:    int(svc.OomScoreAdj),
		UTSMode:        container.UTSMode(svc.Uts),
		CgroupnsMode:   container.CgroupnsMode(svc.Cgroup),
		UsernsMode:     container.UsernsMode(svc.UserNSMode),
		Runtime:        svc.Runtime,
		ShmSize:        int64(svc.ShmSize),
		Init:           svc.Init,
		VolumeDriver:   svc.VolumeDriver,
		LogConfig:      logConfig(svc),
		RestartPolicy:  restartPolicy(svc),
		AutoRemove:     false,
	}
	if len(svc.Annotations) > 0 {
		hc.Annotations = maps.Clone(map[string]string(svc.Annotations))
	}
	if len(svc.Sysctls) > 0 {
		hc.Sysctls = maps.Clone(map[string]string(svc.Sysctls))
	}
	if len(svc.StorageOpt) > 0 {
		hc.StorageOpt = maps.Clone(svc.StorageOpt)
	}
	if len(svc.ExtraHosts) > 0 {
		hc.ExtraHosts = svc.ExtraHosts.AsList(":")
		sort.Strings(hc.ExtraHosts)
	}
	for i, d := range svc.DNS {
		a, err := parseAddr(d)
		if err != nil {
			return Container{}, invalid(fmt.Sprintf("%s.dns[%d]", path, i), "%q is not an IP address", d)
		}
		hc.DNS = append(hc.DNS, a)
	}
	ipc, err := c.namespace(path+".ipc", svc.Ipc)
	if err != nil {
		return Container{}, err
	}
	pid, err := c.namespace(path+".pid", svc.Pid)
	if err != nil {
		return Container{}, err
	}
	hc.IpcMode, hc.PidMode = container.IpcMode(ipc), container.PidMode(pid)
	if hc.Resources, err = resources(path, svc); err != nil {
		return Container{}, err
	}
	if hc.VolumesFrom, err = c.volumesFrom(path, svc.VolumesFrom); err != nil {
		return Container{}, err
	}
	if cfg.ExposedPorts, hc.PortBindings, err = ports(path, svc); err != nil {
		return Container{}, err
	}
	if err := c.mounts(path, svc, &cfg, &hc); err != nil {
		return Container{}, err
	}
	nc, mode, err := c.networking(path, name, svc)
	if err != nil {
		return Container{}, err
	}
	hc.NetworkMode = container.NetworkMode(mode)

	cfg.Labels = c.labels(name, svc, s, n)
	h, err := hash(cfg, hc, nc)
	if err != nil {
		return Container{}, fmt.Errorf("%s: hash: %w", path, err)
	}
	cfg.Labels[LabelConfigHash] = h
	return Container{Number: n, Config: cfg, HostConfig: hc, Networking: nc, Hash: h}, nil
}

// environment is "K=V" sorted by key; a variable without a value (unresolved) is passed
// as "K", which the engine leaves unset, as Compose does.
func environment(env types.MappingWithEquals) []string {
	if len(env) == 0 {
		return nil
	}
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if v := env[k]; v != nil {
			out = append(out, k+"="+*v)
		} else {
			out = append(out, k)
		}
	}
	return out
}

func (c *converter) labels(name string, svc types.ServiceConfig, s Service, n int) map[string]string {
	l := map[string]string{}
	maps.Copy(l, svc.Labels)
	maps.Copy(l, svc.CustomLabels)
	l[LabelProject] = c.p.Name
	l[LabelService] = name
	l[LabelContainerNumber] = strconv.Itoa(n)
	l[LabelOneoff] = "False"
	l[LabelWorkingDir] = c.p.WorkingDir
	l[LabelConfigFiles] = strings.Join(c.p.ComposeFiles, ",")
	l[LabelVersion] = c.o.Version
	l[LabelImage] = s.Image
	deps := make([]string, len(s.DependsOn))
	for i, d := range s.DependsOn {
		deps[i] = fmt.Sprintf("%s:%s:%t", d.Service, d.Condition, d.Restart)
	}
	l[LabelDependsOn] = strings.Join(deps, ",")
	return l
}

// namespace maps ipc: and pid: values; "service:x" joins x's first container.
func (c *converter) namespace(path, mode string) (string, error) {
	if ref, ok := strings.CutPrefix(mode, types.ServicePrefix); ok {
		name, err := c.firstContainer(path, ref)
		if err != nil {
			return "", err
		}
		return types.ContainerPrefix + name, nil
	}
	return mode, nil
}

// volumesFrom maps "x[:mode]" and "service:x[:mode]" to x's first container, as Compose
// does, and "container:name[:mode]" to "name[:mode]", the engine's form.
func (c *converter) volumesFrom(path string, from []string) ([]string, error) {
	var out []string
	for i, v := range from {
		if ref, ok := strings.CutPrefix(v, types.ContainerPrefix); ok {
			out = append(out, ref)
			continue
		}
		ref, mode, hasMode := strings.Cut(strings.TrimPrefix(v, types.ServicePrefix), ":")
		name, err := c.firstContainer(fmt.Sprintf("%s.volumes_from[%d]", path, i), ref)
		if err != nil {
			return nil, err
		}
		if hasMode {
			name += ":" + mode
		}
		out = append(out, name)
	}
	return out, nil
}

// restartPolicy is restart:, overridden by deploy.restart_policy as in Compose.
func restartPolicy(svc types.ServiceConfig) container.RestartPolicy {
	var rp container.RestartPolicy
	if svc.Restart != "" {
		name, count, _ := strings.Cut(svc.Restart, ":")
		n, _ := strconv.Atoi(count)
		rp = container.RestartPolicy{Name: restartMode(name), MaximumRetryCount: n}
	}
	if svc.Deploy != nil && svc.Deploy.RestartPolicy != nil {
		p := svc.Deploy.RestartPolicy
		rp = container.RestartPolicy{Name: restartMode(p.Condition)}
		if p.MaxAttempts != nil {
			rp.MaximumRetryCount = int(*p.MaxAttempts)
		}
	}
	if rp.Name == "" {
		rp.Name = container.RestartPolicyDisabled
	}
	return rp
}

func restartMode(s string) container.RestartPolicyMode {
	switch s {
	case "", "no", "none":
		return container.RestartPolicyDisabled
	case "any", "always":
		return container.RestartPolicyAlways
	case "on-failure":
		return container.RestartPolicyOnFailure
	case "unless-stopped":
		return container.RestartPolicyUnlessStopped
	}
	return container.RestartPolicyMode(s) // the engine refuses it by name
}

// logConfig is logging: (or the legacy log_driver/log_opt), json-file by default.
func logConfig(svc types.ServiceConfig) container.LogConfig {
	lc := container.LogConfig{Type: svc.LogDriver}
	if len(svc.LogOpt) > 0 {
		lc.Config = maps.Clone(svc.LogOpt)
	}
	if svc.Logging != nil {
		if svc.Logging.Driver != "" {
			lc.Type = svc.Logging.Driver
		}
		if len(svc.Logging.Options) > 0 {
			lc.Config = maps.Clone(map[string]string(svc.Logging.Options))
		}
	}
	if lc.Type == "" {
		lc.Type = "json-file"
	}
	return lc
}

// resources reads the service keys, then deploy.resources.limits, which win when set, as
// in Compose.
func resources(path string, svc types.ServiceConfig) (container.Resources, error) {
	r := container.Resources{
		Memory:            int64(svc.MemLimit),
		MemoryReservation: int64(svc.MemReservation),
		MemorySwap:        int64(svc.MemSwapLimit),
		NanoCPUs:          nanoCPUs(svc.CPUS),
		CPUShares:         svc.CPUShares,
		CPUPeriod:         svc.CPUPeriod,
		CPUQuota:          svc.CPUQuota,
		CpusetCpus:        svc.CPUSet,
		CgroupParent:      svc.CgroupParent,
		DeviceCgroupRules: slices.Clone(svc.DeviceCgroupRules),
	}
	if svc.MemSwappiness != 0 {
		v := int64(svc.MemSwappiness)
		r.MemorySwappiness = &v
	}
	if svc.BlkioConfig != nil {
		r.BlkioWeight = svc.BlkioConfig.Weight
	}
	if svc.PidsLimit != 0 {
		v := svc.PidsLimit
		r.PidsLimit = &v
	}
	if svc.OomKillDisable {
		t := true
		r.OomKillDisable = &t
	}
	if svc.Deploy != nil && svc.Deploy.Resources.Limits != nil {
		l := svc.Deploy.Resources.Limits
		if l.MemoryBytes != 0 {
			r.Memory = int64(l.MemoryBytes)
		}
		if l.NanoCPUs != 0 {
			r.NanoCPUs = nanoCPUs(float32(l.NanoCPUs))
		}
		if l.Pids != 0 {
			v := l.Pids
			r.PidsLimit = &v
		}
	}
	if svc.Deploy != nil && svc.Deploy.Resources.Reservations != nil {
		if m := svc.Deploy.Resources.Reservations.MemoryBytes; m != 0 {
			r.MemoryReservation = int64(m)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(svc.Ulimits)) {
		u := svc.Ulimits[name]
		if u == nil {
			continue
		}
		soft, hard := int64(u.Soft), int64(u.Hard)
		if u.Single != 0 {
			soft, hard = int64(u.Single), int64(u.Single)
		}
		r.Ulimits = append(r.Ulimits, &container.Ulimit{Name: name, Soft: soft, Hard: hard})
	}
	for i, d := range svc.Devices {
		if d.Source == "" {
			return r, invalid(fmt.Sprintf("%s.devices[%d]", path, i), "no source; use HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]]")
		}
		m := container.DeviceMapping{PathOnHost: d.Source, PathInContainer: d.Target, CgroupPermissions: d.Permissions}
		if m.PathInContainer == "" {
			m.PathInContainer = m.PathOnHost
		}
		if m.CgroupPermissions == "" {
			m.CgroupPermissions = "rwm"
		}
		r.Devices = append(r.Devices, m)
	}
	return r, nil
}

// nanoCPUs goes through the float32's shortest decimal form, so cpus: 0.1 is exactly
// 100000000 and not 100000001.
func nanoCPUs(cpus float32) int64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(cpus), 'f', -1, 32), 64)
	return int64(math.Round(f * 1e9))
}

func sortedCopy(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}
