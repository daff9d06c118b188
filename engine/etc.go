package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// writeEtcFiles writes the container's /etc/hostname, /etc/hosts and /etc/resolv.conf,
// which are bind-mounted over the image's.
func writeEtcFiles(dir, hostname, domain string, extraHosts []string) error {
	fqdn := hostname
	if domain != "" {
		fqdn = hostname + "." + domain
	}
	var hosts bytes.Buffer
	hosts.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	hosts.WriteString("fe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")
	for _, h := range extraHosts {
		name, ip, ok := strings.Cut(h, ":")
		if !ok || name == "" {
			return fmt.Errorf("invalid extra host %q: use NAME:IP", h)
		}
		if _, err := netip.ParseAddr(strings.Trim(ip, "[]")); err != nil {
			return fmt.Errorf("invalid extra host %q: %q is not an IP address", h, ip)
		}
		fmt.Fprintf(&hosts, "%s\t%s\n", strings.Trim(ip, "[]"), name)
	}
	fmt.Fprintf(&hosts, "127.0.1.1\t%s\n", strings.TrimSpace(fqdn+" "+hostnameIfDiffers(hostname, fqdn)))
	files := map[string][]byte{
		"hostname":    []byte(hostname + "\n"),
		"hosts":       hosts.Bytes(),
		"resolv.conf": resolvConf(),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func hostnameIfDiffers(h, fqdn string) string {
	if h == fqdn {
		return ""
	}
	return h
}

// resolvConf is the host's resolv.conf without loopback nameservers, which would point
// into the container's own namespace, as Docker does.
func resolvConf() []byte {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return nil
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			if a, err := netip.ParseAddr(f[1]); err == nil && a.IsLoopback() {
				continue
			}
		}
		out.WriteString(line + "\n")
	}
	return out.Bytes()
}
