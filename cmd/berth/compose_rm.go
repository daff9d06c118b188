package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"berth/api/stackapi"
)

type composeRmOptions struct {
	compose composeOptions
	force   bool
	stop    bool
	volumes bool
}

func newComposeRmCommand(g *globalOptions) *cobra.Command {
	var o composeRmOptions
	cmd := &cobra.Command{
		Use:   "rm [OPTIONS] [SERVICE...]",
		Short: "Remove a Compose stack's stopped containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComposeRm(cmd.Context(), g, o, args, os.Stdin)
		},
	}
	f := cmd.Flags()
	o.compose.addFlagsFile(f, "") // -f is --force, as in Compose
	f.BoolVarP(&o.force, "force", "f", false, "do not ask to confirm the removal")
	f.BoolVarP(&o.stop, "stop", "s", false, "stop the containers first, if needed")
	f.BoolVarP(&o.volumes, "volumes", "v", false, "remove the anonymous volumes of the containers")
	return cmd
}

// runComposeRm removes the services' stopped containers (stopping them first with -s),
// after asking unless -f.
func runComposeRm(ctx context.Context, g *globalOptions, o composeRmOptions, services []string, stdin io.Reader) error {
	t, err := o.compose.target(ctx, services)
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	list, err := serviceContainers(ctx, c, t, services, true, true)
	if err != nil {
		return err
	}
	if o.stop {
		// The daemon stops them, dependents first.
		req := stackapi.OpRequest{Stack: t.name, Op: "stop", Services: services}
		if err := stackCall(ctx, c, "POST", "/berth/stacks/op", req, newStackView("Running", "plain").line); err != nil {
			return err
		}
		if list, err = serviceContainers(ctx, c, t, services, true, true); err != nil {
			return err
		}
	}
	var stopped []container.Summary
	var names []string
	for _, ct := range list {
		if ct.State != container.StateRunning && ct.State != container.StatePaused && ct.State != container.StateRestarting {
			stopped = append(stopped, ct)
			names = append(names, summaryName(ct))
		}
	}
	if len(stopped) == 0 {
		fmt.Fprintln(os.Stderr, "No stopped containers")
		return nil
	}
	if !o.force && !confirmRemoval(os.Stderr, stdin, names) {
		return nil
	}
	return changeEach(ctx, os.Stderr, stopped, "Removing", "Removed", func(ctx context.Context, ct container.Summary) error {
		_, err := c.ContainerRemove(ctx, ct.ID, client.ContainerRemoveOptions{RemoveVolumes: o.volumes})
		return err
	})
}

// confirmRemoval asks as Compose does; only y or yes agrees.
func confirmRemoval(w io.Writer, r io.Reader, names []string) bool {
	fmt.Fprintf(w, "Going to remove %s\nAre you sure? [yN] ", strings.Join(names, ", "))
	line, _ := bufio.NewReader(r).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}
