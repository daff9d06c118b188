package main

import (
	"context"
	"fmt"
	"os"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

type imagePullOptions struct {
	quiet bool
}

func newImagePullCommand(g *globalOptions) *cobra.Command {
	var opts imagePullOptions
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImagePull(cmd.Context(), g, opts, args[0])
		},
	}
	cmd.Flags().BoolVarP(&opts.quiet, "quiet", "q", false, "suppress the progress output")
	return cmd
}

// runImagePull pulls ref with the credentials the docker CLI would use, shows progress on
// stderr and prints the full reference on stdout.
func runImagePull(ctx context.Context, g *globalOptions, opts imagePullOptions, ref string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return pullImage(ctx, c, ref, opts.quiet)
}

// pullImage pulls ref with the user's registry credentials, showing progress on stderr
// unless quiet, and prints the full name pulled.
func pullImage(ctx context.Context, c *client.Client, ref string, quiet bool) error {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return fmt.Errorf("invalid image reference %q: %w; use NAME[:TAG|@DIGEST], e.g. alpine:3.20", ref, err)
	}
	named = reference.TagNameOnly(named)
	auth, err := registryAuth(reference.Domain(named))
	if err != nil {
		return err
	}
	res, err := c.ImagePull(ctx, named.String(), client.ImagePullOptions{RegistryAuth: auth})
	if err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	if quiet {
		err = res.Wait(ctx)
	} else {
		err = displayMessages(res.JSONMessages(ctx), os.Stderr, term.IsTerminal(int(os.Stderr.Fd())))
	}
	if err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	fmt.Println(named.String())
	return nil
}

// registryAuth returns the encoded credentials for domain from ~/.docker/config.json and
// its credential helpers, or "" for anonymous access.
func registryAuth(domain string) (string, error) {
	reg, err := name.NewRegistry(domain)
	if err != nil {
		return "", nil //nolint:nilerr // an odd host name simply has no stored credentials
	}
	a, err := authn.DefaultKeychain.Resolve(reg)
	if err != nil {
		return "", fmt.Errorf("read credentials for %s: %w", domain, err)
	}
	if a == authn.Anonymous {
		return "", nil
	}
	cfg, err := a.Authorization()
	if err != nil {
		return "", fmt.Errorf("read credentials for %s: %w", domain, err)
	}
	if *cfg == (authn.AuthConfig{}) {
		return "", nil
	}
	return authconfig.Encode(registry.AuthConfig{
		Username:      cfg.Username,
		Password:      cfg.Password,
		Auth:          cfg.Auth,
		IdentityToken: cfg.IdentityToken,
		RegistryToken: cfg.RegistryToken,
		ServerAddress: domain,
	})
}
