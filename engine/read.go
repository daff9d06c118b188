package engine

import (
	"context"
	"io"

	"berth/engine/image"
	"berth/engine/runtime/jsonlog"
	"berth/netstack"
	"berth/store"
	"berth/volumes"
)

// The types the engine's API speaks in. Its callers (the API server) name them through
// the engine and never import the parts that own them: they read through the methods
// below and change nothing but through the engine.
type (
	Container   = store.Container
	Network     = netstack.Network
	NetworkSpec = netstack.NetworkSpec
	Endpoint    = netstack.Endpoint
	Port        = netstack.Port
	Volume      = volumes.Volume
	Image       = image.Image
	PullOptions = image.PullOptions
	LogEntry    = jsonlog.Entry
)

// DefaultNetwork is the network a container joins when it names none.
const DefaultNetwork = netstack.DefaultNetwork

// Network returns a network by name, ID or unique ID prefix.
func (e *Engine) Network(ref string) (Network, error) { return e.net.Network(ref) }

// Networks lists the networks.
func (e *Engine) Networks() ([]Network, error) { return e.net.Networks() }

// NetworkEndpoints lists the endpoints on network ref.
func (e *Engine) NetworkEndpoints(ref string) ([]Endpoint, error) {
	return e.net.EndpointsOfNetwork(ref)
}

// Endpoints lists a container's endpoints.
func (e *Engine) Endpoints(containerID string) ([]Endpoint, error) {
	return e.net.Endpoints(containerID)
}

// NetnsPath is the path of a container's network namespace.
func (e *Engine) NetnsPath(containerID string) string { return e.net.NetnsPath(containerID) }

// Ports lists a container's published ports.
func (e *Engine) Ports(containerID string) ([]Port, error) { return e.net.Ports(containerID) }

// Image returns an image by name or ID.
func (e *Engine) Image(ref string) (Image, error) { return e.images.Get(ref) }

// ImageList lists the images.
func (e *Engine) ImageList() ([]Image, error) { return e.images.List() }

// SaveImages writes a docker save archive of refs to w.
func (e *Engine) SaveImages(ctx context.Context, w io.Writer, refs []string) error {
	return e.images.Save(ctx, w, refs)
}

// Volume returns a volume by name.
func (e *Engine) Volume(name string) (Volume, error) { return e.volumes.Get(name) }

// VolumeList lists the volumes.
func (e *Engine) VolumeList() ([]Volume, error) { return e.volumes.List() }
