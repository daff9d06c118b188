package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"berth/api/stackapi"
)

// The Compose commands that change a stack's existing containers (start, stop, restart,
// kill, pause, unpause) are planned and carried out by the daemon, which orders them by
// the services' dependencies; the CLI names the stack and shows the progress.

// opFlags are the flags every stack operation shares.
type opFlags struct {
	dryRun bool
}

func (o *opFlags) add(f *pflag.FlagSet) {
	f.BoolVar(&o.dryRun, "dry-run", false, "show what would change, and why, without changing anything")
}

// runStackOp resolves the stack and asks the daemon to carry out req on it.
func runStackOp(ctx context.Context, g *globalOptions, co *composeOptions, services []string, req stackapi.OpRequest) error {
	t, err := co.target(ctx, services)
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	req.Stack, req.Services = t.name, services
	if req.DryRun {
		return stackCall(ctx, c, "POST", "/berth/stacks/op", req, func(l stackapi.StreamLine) {
			fmt.Print(l.Plan)
		})
	}
	return stackCall(ctx, c, "POST", "/berth/stacks/op", req, newStackView("Running", "plain").line)
}
