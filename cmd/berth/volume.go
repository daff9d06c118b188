package main

import (
	"github.com/spf13/cobra"
)

// newVolumeCommand groups the volume commands, as "docker volume" does.
func newVolumeCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "volume", Short: "Manage volumes"}
	cmd.AddCommand(
		newVolumeCreateCommand(g),
		newVolumeLsCommand(g),
		newVolumeInspectCommand(g),
		newVolumeRmCommand(g),
		newVolumePruneCommand(g),
	)
	return cmd
}
