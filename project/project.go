// Package project turns a loaded Compose project into berth's desired state of a stack:
// for each service its containers (names, full runtime settings, Compose labels, a
// config hash), plus the stack's networks and volumes. It is plain data with no I/O and
// no runtime knowledge, so a second consumer (a Kubernetes exporter) can read it.
package project

import (
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// Compose's labels, which tools that know Compose read.
const (
	LabelProject         = "com.docker.compose.project"
	LabelService         = "com.docker.compose.service"
	LabelContainerNumber = "com.docker.compose.container-number"
	LabelConfigHash      = "com.docker.compose.config-hash"
	LabelOneoff          = "com.docker.compose.oneoff"
	LabelWorkingDir      = "com.docker.compose.project.working_dir"
	LabelConfigFiles     = "com.docker.compose.project.config_files"
	LabelVersion         = "com.docker.compose.version"
	LabelNetwork         = "com.docker.compose.network"
	LabelVolume          = "com.docker.compose.volume"
	LabelDependsOn       = "com.docker.compose.depends_on"
	LabelImage           = "com.docker.compose.image"
)

// Stack is the desired state of one Compose project.
type Stack struct {
	Name       string
	WorkingDir string
	Files      []string
	Services   []Service // in a stable order (by name)
	Networks   []Network
	Volumes    []Volume
	// Warnings name the keys berth read but cannot honour yet (file, service, key), for
	// the caller to print: nothing valid is dropped silently.
	Warnings []string
}

// Service is one service and the containers it should have.
type Service struct {
	Name       string
	Image      string
	PullPolicy string // "always", "missing", "never", "build"? (from pull_policy)
	DependsOn  []Dependency
	// Containers are the desired replicas, numbered from 1.
	Containers []Container
	// Healthcheck is the service's healthcheck, nil for the image's. An empty Test keeps
	// the image's test with these timings; ["NONE"] disables it.
	Healthcheck *Healthcheck
	// StopGrace is stop_grace_period (nil: the default).
	StopGrace *time.Duration
	// NetworkModeService is the service whose network namespace this one joins
	// (network_mode: service:x), "" if none.
	NetworkModeService string
	// VolumesFrom lists services whose volumes this one mounts.
	VolumesFromServices []string
}

// Dependency is one depends_on entry.
type Dependency struct {
	Service   string
	Condition string // "service_started", "service_healthy", "service_completed_successfully"
	Required  bool
	Restart   bool // recreate this service when the dependency is recreated
}

// Healthcheck is a service's healthcheck, in Docker's terms.
type Healthcheck struct {
	Test          []string // ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]
	Interval      time.Duration
	Timeout       time.Duration
	Retries       int
	StartPeriod   time.Duration
	StartInterval time.Duration
}

// Container is one desired container of a service.
type Container struct {
	Name       string // project-service-N, or container_name
	Number     int
	Config     container.Config // includes Labels with Compose's labels and the config hash
	HostConfig container.HostConfig
	Networking network.NetworkingConfig
	// Hash is the config hash: it changes exactly when the container must be recreated.
	Hash string
}

// Network is a network the stack needs.
type Network struct {
	Key      string // the name in the Compose file ("default")
	Name     string // on the host: project_key, or name:, or the external name
	External bool
	Internal bool
	Subnet   string // first ipam config subnet, "" for automatic
	Gateway  string
	Labels   map[string]string
	// Driver and DriverOpts are as written ("" is the default bridge), so the engine can
	// refuse what it does not support.
	Driver     string
	DriverOpts map[string]string
}

// Volume is a named volume the stack needs.
type Volume struct {
	Key      string
	Name     string // project_key, or name:, or the external name
	External bool
	Labels   map[string]string
	// Driver and DriverOpts are as written ("" is the local driver).
	Driver     string
	DriverOpts map[string]string
}
