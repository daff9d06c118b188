package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type composePortOptions struct {
	compose  composeOptions
	index    int
	protocol string
}

func newComposePortCommand(g *globalOptions) *cobra.Command {
	var o composePortOptions
	cmd := &cobra.Command{
		Use:   "port [OPTIONS] SERVICE PRIVATE_PORT",
		Short: "Print the public port of a service's port binding",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComposePort(cmd.Context(), g, o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	o.compose.addFlags(f)
	f.IntVar(&o.index, "index", 1, "replica of the service, from 1")
	f.StringVar(&o.protocol, "protocol", "tcp", "tcp or udp")
	return cmd
}

func runComposePort(ctx context.Context, g *globalOptions, o composePortOptions, service, port string) error {
	if o.protocol != "tcp" && o.protocol != "udp" {
		return fmt.Errorf("invalid --protocol %q: use tcp or udp", o.protocol)
	}
	if strings.Contains(port, "/") {
		return fmt.Errorf("invalid port %q: give the number and the protocol with --protocol, e.g. 53 --protocol udp", port)
	}
	want, err := parsePortArg(port + "/" + o.protocol)
	if err != nil {
		return err
	}
	t, err := o.compose.target(ctx, []string{service})
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	ct, err := serviceContainer(ctx, c, t, service, o.index, false)
	if err != nil {
		return err
	}
	res, err := c.ContainerInspect(ctx, ct.ID, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	if ns := res.Container.NetworkSettings; ns != nil && len(ns.Ports[want]) > 0 {
		fmt.Fprintln(os.Stdout, hostAddr(ns.Ports[want][0]))
		return nil
	}
	return fmt.Errorf("no port %s for container %s", want, summaryName(ct))
}
