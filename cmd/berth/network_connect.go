package main

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type networkConnectOptions struct {
	aliases    []string
	ipv4       string
	ipv6       string
	driverOpts []string
}

func newNetworkConnectCommand(g *globalOptions) *cobra.Command {
	var opts networkConnectOptions
	cmd := &cobra.Command{
		Use:   "connect [OPTIONS] NETWORK CONTAINER",
		Short: "Connect a container to a network",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runNetworkConnect(cmd.Context(), g, opts, args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.aliases, "alias", nil, "add a network-scoped alias for the container")
	f.StringVar(&opts.ipv4, "ip", "", "IPv4 address, e.g. 172.20.0.10")
	f.StringVar(&opts.ipv6, "ip6", "", "IPv6 address, e.g. fd00::10")
	f.StringArrayVar(&opts.driverOpts, "driver-opt", nil, "driver option for the endpoint (KEY=VALUE)")
	return cmd
}

func runNetworkConnect(ctx context.Context, g *globalOptions, opts networkConnectOptions, net, ctr string) error {
	ep, err := networkAttachment{aliases: opts.aliases, ipv4: opts.ipv4, ipv6: opts.ipv6}.endpoint()
	if err != nil {
		return err
	}
	if ep.DriverOpts, err = parseKeyValues("--driver-opt", opts.driverOpts, "KEY=VALUE", false); err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.NetworkConnect(ctx, net, client.NetworkConnectOptions{Container: ctr, EndpointConfig: ep}); err != nil {
		return fmt.Errorf("connect container %s to network %s: %w", ctr, net, err)
	}
	return nil
}
