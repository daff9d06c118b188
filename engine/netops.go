package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/errdefs"

	"berth/netstack"
)

// Network changes made through the API or a stack go through these methods: the rules
// (the default network stays, one in use stays) are checked under refMu, which creating
// a container and connecting one also take, so no container comes to name a network
// between the check and the removal; each change publishes Docker's event after it is
// recorded.

// CreateNetwork creates a network (docker network create, a stack's networks).
func (e *Engine) CreateNetwork(ctx context.Context, spec netstack.NetworkSpec) (netstack.Network, error) {
	n, err := e.net.Create(ctx, spec)
	if err != nil {
		return n, err
	}
	e.publishNetwork(n, "create", "")
	return n, nil
}

// RemoveNetwork removes a network that no container names.
func (e *Engine) RemoveNetwork(ctx context.Context, ref string) error {
	e.refMu.Lock()
	defer e.refMu.Unlock()
	n, err := e.net.Network(ref)
	if err != nil {
		return err
	}
	return e.removeNetworkLocked(ctx, n)
}

func (e *Engine) removeNetworkLocked(ctx context.Context, n netstack.Network) error {
	if n.Name == netstack.DefaultNetwork {
		return fmt.Errorf("%s is a pre-defined network and cannot be removed: %w", n.Name, errdefs.ErrPermissionDenied)
	}
	if users := e.NetworkInUse(n); len(users) > 0 {
		return fmt.Errorf("network %s is used by container(s) %s; remove them or disconnect them first: %w", n.Name, strings.Join(users, ", "), errdefs.ErrConflict)
	}
	if err := e.net.Remove(ctx, n.ID); err != nil {
		return err
	}
	e.publishNetwork(n, "destroy", "")
	return nil
}

// PruneNetworks removes every network that no container names, but the default one, and
// returns their names.
func (e *Engine) PruneNetworks(ctx context.Context) ([]string, error) {
	e.refMu.Lock()
	defer e.refMu.Unlock()
	nets, err := e.net.Networks()
	if err != nil {
		return nil, err
	}
	removed := []string{}
	for _, n := range nets {
		if n.Name == netstack.DefaultNetwork || len(e.NetworkInUse(n)) > 0 {
			continue
		}
		if err := e.removeNetworkLocked(ctx, n); err != nil {
			e.log.Warn("prune network", "network", n.Name, "err", err)
			continue
		}
		removed = append(removed, n.Name)
	}
	return removed, nil
}

// publishNetwork publishes a network event as dockerd does: the network's ID, its name
// and driver, and the container for connect and disconnect.
func (e *Engine) publishNetwork(n netstack.Network, action, containerID string) {
	a := map[string]string{"name": n.Name, "type": n.Driver}
	if containerID != "" {
		a["container"] = containerID
	}
	e.events.Publish(Event{Type: "network", Action: action, ID: n.ID, Attributes: a})
}
