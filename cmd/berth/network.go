package main

import (
	"github.com/spf13/cobra"
)

// newNetworkCommand groups the network commands, as "docker network" does.
func newNetworkCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "network", Short: "Manage networks"}
	cmd.AddCommand(
		newNetworkCreateCommand(g),
		newNetworkLsCommand(g),
		newNetworkInspectCommand(g),
		newNetworkRmCommand(g),
		newNetworkPruneCommand(g),
		newNetworkConnectCommand(g),
		newNetworkDisconnectCommand(g),
	)
	return cmd
}
