package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newPortCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings or a specific mapping for the container",
		Args: func(cmd *cobra.Command, args []string) error {
			if err := requireArgs(1)(cmd, args); err != nil {
				return err
			}
			if len(args) > 2 {
				return fmt.Errorf("%q accepts at most 2 arguments\nUsage: %s", cmd.CommandPath(), cmd.UseLine())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			port := ""
			if len(args) == 2 {
				port = args[1]
			}
			return runPort(cmd.Context(), g, args[0], port)
		},
	}
}

func runPort(ctx context.Context, g *globalOptions, name, port string) error {
	var want network.Port
	if port != "" {
		p, err := parsePortArg(port)
		if err != nil {
			return err
		}
		want = p
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		return fmt.Errorf("inspect container %s: %w", name, err)
	}
	var ports network.PortMap
	if res.Container.NetworkSettings != nil {
		ports = res.Container.NetworkSettings.Ports
	}
	if port == "" {
		return printPorts(os.Stdout, ports)
	}
	if len(ports[want]) == 0 {
		return fmt.Errorf("no public port '%s' published for %s", port, name)
	}
	return printPort(os.Stdout, ports[want])
}

// parsePortArg parses the PRIVATE_PORT[/PROTO] argument; the protocol defaults to tcp.
func parsePortArg(s string) (network.Port, error) {
	num, proto, _ := strings.Cut(s, "/")
	if proto == "" {
		proto = "tcp"
	}
	n, err := strconv.ParseUint(num, 10, 16)
	if err != nil || n == 0 {
		return network.Port{}, fmt.Errorf("invalid port %q: use PRIVATE_PORT[/PROTO], e.g. 80 or 53/udp", s)
	}
	p, _ := network.PortFrom(uint16(n), network.IPProtocol(strings.ToLower(proto)))
	return p, nil
}

// hostAddr formats where a binding listens: "0.0.0.0:8080", "[::]:8080". A binding the
// daemon reports without an address listens on every IPv4 address.
func hostAddr(b network.PortBinding) string {
	ip := "0.0.0.0"
	if b.HostIP.IsValid() {
		ip = b.HostIP.String()
	}
	return net.JoinHostPort(ip, b.HostPort)
}

// printPort prints the host addresses of one container port, one a line, as
// "docker port CONTAINER PORT" does.
func printPort(w io.Writer, bindings []network.PortBinding) error {
	var out []string
	for _, b := range bindings {
		out = append(out, hostAddr(b))
	}
	sort.SliceStable(out, func(i, j int) bool { return naturalLess(out[i], out[j]) })
	return writeLines(w, out)
}

// printPorts prints "80/tcp -> 0.0.0.0:8080" lines in docker's natural order.
func printPorts(w io.Writer, ports network.PortMap) error {
	var out []string
	for p, bindings := range ports {
		for _, b := range bindings {
			out = append(out, fmt.Sprintf("%s -> %s", p, hostAddr(b)))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return naturalLess(out[i], out[j]) })
	return writeLines(w, out)
}

func writeLines(w io.Writer, lines []string) error {
	for _, l := range lines {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	return nil
}
