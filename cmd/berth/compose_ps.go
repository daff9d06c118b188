package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"berth/project"
)

type composePsOptions struct {
	compose  composeOptions
	all      bool
	quiet    bool
	services bool
	status   []string
	format   string
}

func newComposePsCommand(g *globalOptions) *cobra.Command {
	var o composePsOptions
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS] [SERVICE...]",
		Short: "List a Compose stack's containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComposePs(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	o.compose.addFlags(f)
	f.BoolVarP(&o.all, "all", "a", false, "also show stopped containers")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "only show IDs")
	f.BoolVar(&o.services, "services", false, "only show service names")
	f.StringArrayVar(&o.status, "status", nil, "only containers in this state: created, running, paused, restarting, removing, exited, dead")
	f.StringVar(&o.format, "format", "table", "table or json")
	return cmd
}

// composePsRow is one line of berth ps, with Compose's JSON field names.
type composePsRow struct {
	ID         string
	Name       string
	Image      string
	Command    string
	Project    string
	Service    string
	Created    int64
	State      string
	Status     string
	Health     string
	ExitCode   int
	Publishers []publisher
	Ports      string
}

type publisher struct {
	URL           string
	TargetPort    uint16
	PublishedPort uint16
	Protocol      string
}

func runComposePs(ctx context.Context, g *globalOptions, o composePsOptions, services []string) error {
	if o.format != "table" && o.format != "json" {
		return fmt.Errorf("invalid --format %q: use table or json", o.format)
	}
	name, err := o.compose.stackName(ctx)
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	list, err := stackContainers(ctx, c, name, o.all || len(o.status) > 0)
	if err != nil {
		return err
	}
	var rows []composePsRow
	seen := map[string]bool{}
	for _, ct := range list {
		svc := ct.Labels[project.LabelService]
		if len(services) > 0 && !contains(services, svc) {
			continue
		}
		if len(o.status) > 0 && !contains(o.status, string(ct.State)) {
			continue
		}
		if o.services {
			if !seen[svc] {
				fmt.Println(svc)
			}
			seen[svc] = true
			continue
		}
		row := composePsRow{ID: ct.ID, Name: strings.TrimPrefix(ct.Names[0], "/"), Image: ct.Image, Command: ct.Command,
			Project: name, Service: svc, Created: ct.Created, State: string(ct.State), Status: ct.Status, Ports: formatPorts(ct.Ports)}
		if info, err := c.ContainerInspect(ctx, ct.ID, client.ContainerInspectOptions{}); err == nil && info.Container.State != nil {
			row.ExitCode = info.Container.State.ExitCode
			if h := info.Container.State.Health; h != nil {
				row.Health = string(h.Status)
			}
		}
		for _, p := range ct.Ports {
			ip := ""
			if p.IP.IsValid() {
				ip = p.IP.String()
			}
			row.Publishers = append(row.Publishers, publisher{URL: ip, TargetPort: p.PrivatePort, PublishedPort: p.PublicPort, Protocol: p.Type})
		}
		rows = append(rows, row)
	}
	if o.services {
		return nil
	}
	if o.quiet {
		for _, r := range rows {
			fmt.Println(r.ID)
		}
		return nil
	}
	if o.format == "json" {
		enc := json.NewEncoder(os.Stdout)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := newTable(os.Stdout)
	fmt.Fprintln(tw, "NAME\tIMAGE\tCOMMAND\tSERVICE\tCREATED\tSTATUS\tPORTS")
	now := time.Now()
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%q\t%s\t%s\t%s\t%s\n", r.Name, r.Image, ellipsis(r.Command, 20), r.Service,
			since(now, time.Unix(r.Created, 0)), r.Status, r.Ports)
	}
	return tw.Flush()
}
