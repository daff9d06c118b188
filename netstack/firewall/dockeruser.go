package firewall

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"

	"github.com/coreos/go-iptables/iptables"
)

// dockerUser is the chain Docker reserves for its users' rules; FORWARD jumps
// to it before Docker's own rules and DROP policy.
const dockerUser = "DOCKER-USER"

// dockerUserSpecs returns the accept rules for one bridge, each carrying the
// comment that marks it as this root's.
func dockerUserSpecs(bridge, comment string) [][]string {
	c := []string{"-m", "comment", "--comment", comment}
	return [][]string{
		append([]string{"-i", bridge}, append(c, "-j", "ACCEPT")...),
		append([]string{"-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"}, append(c, "-j", "ACCEPT")...),
		append([]string{"-o", bridge, "-m", "conntrack", "--ctstate", "DNAT"}, append(c, "-j", "ACCEPT")...),
	}
}

// syncDockerUser makes this root's rules in DOCKER-USER accept exactly the
// given bridges. Without the chain (no Docker, or Docker without iptables)
// there is nothing to do. It goes through the iptables binary on PATH, the
// one Docker uses, so the rules land in Docker's backend (nft or legacy).
func (f *Firewall) syncDockerUser(bridges []string) error {
	ipt, err := iptables.New()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			f.log.Debug("no iptables binary, so no DOCKER-USER chain to keep", "op", "docker-user")
			return nil
		}
		return fmt.Errorf("docker-user: %w", err)
	}
	ok, err := ipt.ChainExists("filter", dockerUser)
	if err != nil {
		return fmt.Errorf("docker-user: look for chain: %w", err)
	}
	if !ok {
		return nil
	}
	comment := f.Table()
	lines, err := ipt.List("filter", dockerUser)
	if err != nil {
		return fmt.Errorf("docker-user: list: %w", err)
	}
	for _, line := range lines {
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[0] != "-A" || !hasComment(fields, comment) {
			continue
		}
		if br := ruleBridge(fields); br != "" && slices.Contains(bridges, br) {
			continue
		}
		spec := unquote(fields[2:])
		if err := ipt.Delete("filter", dockerUser, spec...); err != nil {
			return fmt.Errorf("docker-user: delete %q: %w", line, err)
		}
		f.log.Info("removed DOCKER-USER rule of a bridge this root no longer has", "op", "docker-user", "rule", strings.Join(spec, " "))
	}
	for _, br := range bridges {
		for _, spec := range dockerUserSpecs(br, comment) {
			ok, err := ipt.Exists("filter", dockerUser, spec...)
			if err != nil {
				return fmt.Errorf("docker-user: check %s: %w", br, err)
			}
			if ok {
				continue
			}
			if err := ipt.Insert("filter", dockerUser, 1, spec...); err != nil {
				return fmt.Errorf("docker-user: insert for %s: %w", br, err)
			}
			f.log.Info("inserted DOCKER-USER rule so Docker's FORWARD policy cannot drop berth traffic",
				"op", "docker-user", "bridge", br, "rule", strings.Join(spec, " "))
		}
	}
	return nil
}

// hasComment reports whether an iptables -S rule carries the comment.
func hasComment(fields []string, comment string) bool {
	for i := 0; i+1 < len(fields); i++ {
		if fields[i] == "--comment" && strings.Trim(fields[i+1], `"`) == comment {
			return true
		}
	}
	return false
}

// ruleBridge returns the interface an iptables -S rule matches with -i or -o.
func ruleBridge(fields []string) string {
	for i := 0; i+1 < len(fields); i++ {
		if fields[i] == "-i" || fields[i] == "-o" {
			return fields[i+1]
		}
	}
	return ""
}

func unquote(fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = strings.Trim(f, `"`)
	}
	return out
}
