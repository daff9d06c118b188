package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"berth/internal/version"
)

type versionOptions struct {
	format string
}

type clientVersion struct {
	Version    string
	APIVersion string `json:"ApiVersion"`
	GoVersion  string
	Os         string
	Arch       string
}

type serverVersion struct {
	Version       string
	APIVersion    string `json:"ApiVersion"`
	MinAPIVersion string `json:"MinAPIVersion"`
	GoVersion     string
	Os            string
	Arch          string
}

type versionInfo struct {
	Client clientVersion
	Server *serverVersion
}

func newVersionCommand(g *globalOptions) *cobra.Command {
	var opts versionOptions
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Show the berth version of the client and the daemon",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVersion(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.format, "format", "f", "", "output format: json or a Go template")
	return cmd
}

func runVersion(ctx context.Context, g *globalOptions, opts versionOptions) error {
	v := versionInfo{Client: clientVersion{
		Version:    version.Version,
		APIVersion: version.APIVersion,
		GoVersion:  runtime.Version(),
		Os:         runtime.GOOS,
		Arch:       runtime.GOARCH,
	}}
	c, serverErr := g.connect(ctx)
	if serverErr == nil {
		defer c.Close()
		var sv client.ServerVersionResult
		sv, serverErr = c.ServerVersion(ctx, client.ServerVersionOptions{})
		if serverErr == nil {
			v.Server = &serverVersion{
				Version:       sv.Version,
				APIVersion:    sv.APIVersion,
				MinAPIVersion: sv.MinAPIVersion,
				Os:            sv.Os,
				Arch:          sv.Arch,
			}
			for _, comp := range sv.Components {
				if gv := comp.Details["GoVersion"]; gv != "" && v.Server.GoVersion == "" {
					v.Server.GoVersion = gv
				}
			}
		}
	}
	if err := printVersion(os.Stdout, opts.format, v); err != nil {
		return err
	}
	if serverErr != nil {
		return fmt.Errorf("server version: %w", serverErr)
	}
	return nil
}

func printVersion(w io.Writer, format string, v versionInfo) error {
	switch format {
	case "":
	case "json":
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	default:
		p, err := newPrinter(format)
		if err != nil {
			return err
		}
		return p.row(w, v)
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "Client:")
	fmt.Fprintf(tw, " Version:\t%s\n", v.Client.Version)
	fmt.Fprintf(tw, " API version:\t%s\n", v.Client.APIVersion)
	fmt.Fprintf(tw, " Go version:\t%s\n", v.Client.GoVersion)
	fmt.Fprintf(tw, " OS/Arch:\t%s/%s\n", v.Client.Os, v.Client.Arch)
	if s := v.Server; s != nil {
		fmt.Fprintln(tw, "")
		fmt.Fprintln(tw, "Server: berth")
		fmt.Fprintf(tw, " Version:\t%s\n", s.Version)
		api := s.APIVersion
		if s.MinAPIVersion != "" {
			api += " (minimum version " + s.MinAPIVersion + ")"
		}
		fmt.Fprintf(tw, " API version:\t%s\n", api)
		if s.GoVersion != "" {
			fmt.Fprintf(tw, " Go version:\t%s\n", s.GoVersion)
		}
		fmt.Fprintf(tw, " OS/Arch:\t%s/%s\n", s.Os, s.Arch)
	}
	return tw.Flush()
}
