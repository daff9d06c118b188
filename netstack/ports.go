package netstack

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/containerd/errdefs"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"berth/netstack/firewall"
)

// Publish forwards host ports to a connected container. Each host port is held with a
// bound socket while published, so another program (or container) cannot take it and a
// conflict is reported at once, naming the port. Host port 0 picks a free one. It
// returns the ports as published.
func (m *Manager) Publish(containerID string, ports []Port) ([]Port, error) {
	if len(ports) == 0 {
		return nil, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	eps, err := m.Endpoints(containerID)
	if err != nil {
		return nil, err
	}
	if len(eps) == 0 {
		return nil, fmt.Errorf("publish ports: the container is on no network: %w", errdefs.ErrInvalidArgument)
	}
	if n, err := m.Network(eps[0].NetworkID); err == nil && n.Bridge == "" {
		return nil, fmt.Errorf("network %s is a %s network: its containers are reached at their own addresses, so ports are not published; drop -p: %w", n.Name, n.Driver, errdefs.ErrInvalidArgument)
	} else if err == nil && n.Internal {
		return nil, fmt.Errorf("network %s is internal, so its containers cannot publish ports; drop -p or put the container on another network first: %w", n.Name, errdefs.ErrInvalidArgument)
	}
	var holds []*os.File
	var out []Port
	undo := func() {
		for _, h := range holds {
			h.Close()
		}
	}
	for _, p := range ports {
		h, port, err := holdPort(p)
		if err != nil {
			undo()
			return nil, err
		}
		holds = append(holds, h)
		p.HostPort = port
		out = append(out, p)
	}
	b, err := json.Marshal(out)
	if err != nil {
		undo()
		return nil, err
	}
	if err := m.c.DB.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketPorts).Put([]byte(containerID), b) }); err != nil {
		undo()
		return nil, err
	}
	m.holds[containerID] = holds
	if err := m.applyLocked(); err != nil && !m.appliedAnyway(err) {
		// Unpublished again, so a failed publish leaves no record and no rule.
		delete(m.holds, containerID)
		undo()
		_ = m.c.DB.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketPorts).Delete([]byte(containerID)) })
		if rerr := m.applyLocked(); rerr != nil {
			m.c.Log.Warn("restore firewall after a failed publish", "container", containerID, "err", rerr)
		}
		return nil, err
	}
	return out, nil
}

// Unpublish stops forwarding a container's ports and frees them.
func (m *Manager) Unpublish(containerID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, h := range m.holds[containerID] {
		h.Close()
	}
	delete(m.holds, containerID)
	if ports, err := m.Ports(containerID); err != nil || len(ports) == 0 {
		return err // nothing published: the rules need no change
	}
	if err := m.c.DB.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketPorts).Delete([]byte(containerID)) }); err != nil {
		return err
	}
	return m.applyLocked()
}

// Ports are a container's published ports.
func (m *Manager) Ports(containerID string) ([]Port, error) {
	var out []Port
	err := m.c.DB.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketPorts).Get([]byte(containerID))
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &out)
	})
	return out, err
}

// Rehold takes the held sockets of a container's published ports again (after a daemon
// restart); the rules kept forwarding meanwhile.
func (m *Manager) Rehold(containerID string) error {
	ports, err := m.Ports(containerID)
	if err != nil || len(ports) == 0 {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var holds []*os.File
	for _, p := range ports {
		h, _, err := holdPort(p)
		if err != nil {
			m.c.Log.Warn("re-hold published port", "container", containerID[:12], "port", p.HostPort, "err", err)
			continue
		}
		holds = append(holds, h)
	}
	m.holds[containerID] = holds
	return nil
}

// holdPort binds (without listening) the host port, reserving it.
func holdPort(p Port) (*os.File, uint16, error) {
	typ := unix.SOCK_STREAM
	if p.Proto == "udp" {
		typ = unix.SOCK_DGRAM
	} else if p.Proto != "tcp" {
		return nil, 0, fmt.Errorf("invalid protocol %q: use tcp or udp: %w", p.Proto, errdefs.ErrInvalidArgument)
	}
	fd, err := unix.Socket(unix.AF_INET, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, 0, err
	}
	addr := &unix.SockaddrInet4{Port: int(p.HostPort)}
	if p.HostIP.IsValid() && p.HostIP.Is4() {
		addr.Addr = p.HostIP.As4()
	}
	if err := unix.Bind(fd, addr); err != nil {
		unix.Close(fd)
		host := "0.0.0.0"
		if p.HostIP.IsValid() {
			host = p.HostIP.String()
		}
		if errors.Is(err, unix.EADDRINUSE) {
			return nil, 0, fmt.Errorf("host port %s:%d/%s is already in use; choose another host port: %w", host, p.HostPort, p.Proto, errdefs.ErrConflict)
		}
		return nil, 0, fmt.Errorf("reserve host port %s:%d/%s: %w", host, p.HostPort, p.Proto, err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, 0, err
	}
	return os.NewFile(uintptr(fd), "port"), uint16(sa.(*unix.SockaddrInet4).Port), nil
}

// applyLocked makes the firewall match the records: every network, every published port.
func (m *Manager) applyLocked() error {
	nets, err := m.Networks()
	if err != nil {
		return err
	}
	byID := map[string]Network{}
	var fwNets []firewall.Network
	for _, n := range nets {
		byID[n.ID] = n
		if n.Bridge == "" {
			continue // macvlan and ipvlan traffic does not pass the host's bridge rules
		}
		fwNets = append(fwNets, firewall.Network{Bridge: n.Bridge, Subnet: n.Subnet, Internal: n.Internal})
	}
	published := map[string][]Port{}
	err = m.c.DB.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPorts).ForEach(func(k, v []byte) error {
			var ports []Port
			if err := json.Unmarshal(v, &ports); err != nil {
				return err
			}
			published[string(k)] = ports
			return nil
		})
	})
	if err != nil {
		return err
	}
	var fwPorts []firewall.Port
	for id, ports := range published {
		eps, err := m.Endpoints(id)
		if err != nil {
			return err
		}
		if len(eps) == 0 {
			continue
		}
		ep := eps[0]
		for _, p := range ports {
			fwPorts = append(fwPorts, firewall.Port{Proto: p.Proto, HostIP: p.HostIP, HostPort: p.HostPort,
				ContainerIP: ep.Address.Addr(), ContainerPort: p.ContainerPort, Bridge: byID[ep.NetworkID].Bridge})
		}
	}
	if err := m.fw.Apply(fwNets, fwPorts); err != nil {
		return fmt.Errorf("apply firewall rules: %w", err)
	}
	return nil
}

// appliedAnyway reports whether err leaves the rules in place, with only the steps after
// them to retry on the next change; it logs such an error.
func (m *Manager) appliedAnyway(err error) bool {
	var ac *firewall.AfterCommitError
	if !errors.As(err, &ac) {
		return false
	}
	m.c.Log.Warn("firewall rules applied, a later step failed; retried on the next change", "err", err)
	return true
}

// Teardown removes every network object of this root from the host: bridges, rules.
// Records stay; Open brings them back. Used by tests and uninstall.
func (m *Manager) Teardown() error {
	nets, err := m.Networks()
	if err != nil {
		return err
	}
	for _, n := range nets {
		deleteBridge(n.Bridge)
	}
	return m.fw.Remove()
}
