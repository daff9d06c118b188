package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newPortCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER",
		Short: "List the port mappings of a container",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPort(cmd.Context(), g, args[0])
		},
	}
}

func runPort(ctx context.Context, g *globalOptions, name string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		return fmt.Errorf("inspect container %s: %w", name, err)
	}
	if res.Container.NetworkSettings == nil {
		return nil
	}
	return printPorts(os.Stdout, res.Container.NetworkSettings.Ports)
}

// printPorts prints "80/tcp -> 0.0.0.0:8080" lines, sorted by container port.
func printPorts(w io.Writer, ports network.PortMap) error {
	keys := make([]network.Port, 0, len(ports))
	for p := range ports {
		keys = append(keys, p)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Num() != keys[j].Num() {
			return keys[i].Num() < keys[j].Num()
		}
		return keys[i].Proto() < keys[j].Proto()
	})
	for _, p := range keys {
		for _, b := range ports[p] {
			ip := "0.0.0.0"
			if b.HostIP.IsValid() {
				ip = b.HostIP.String()
				if b.HostIP.Is6() {
					ip = "[" + ip + "]"
				}
			}
			if _, err := fmt.Fprintf(w, "%s -> %s:%s\n", p, ip, b.HostPort); err != nil {
				return err
			}
		}
	}
	return nil
}
