package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"berth/api"
	"berth/engine"
	"berth/engine/image"
	"berth/engine/runtime"
	"berth/netstack"
	"berth/netstack/dns"
	"berth/statedir"
	"berth/store"
	"berth/volumes"
)

// Config is what the daemon needs to start.
type Config struct {
	Dirs statedir.Dirs
	// Ready, if set, receives one line once the socket accepts requests ("ready") or the
	// daemon cannot start ("error: reason"), and is then closed.
	Ready *os.File
	// BinDir holds berth-runtime and berth-init; empty means beside the running executable.
	BinDir string
	// InsecureRegistries are reached over plain HTTP (loopback ones always are).
	InsecureRegistries []string
	Log                *slog.Logger
}

// Run serves until ctx ends. Containers keep running after it returns.
func Run(ctx context.Context, c Config) error {
	err := run(ctx, c)
	if err != nil && c.Ready != nil {
		fmt.Fprintf(c.Ready, "error: %v\n", err)
		c.Ready.Close()
	}
	return err
}

func run(ctx context.Context, c Config) error {
	d := c.Dirs
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if os.Geteuid() != 0 {
		return errors.New("the daemon must run as root (it creates namespaces, cgroups and mounts)")
	}
	for _, dir := range []string{d.Root, d.Run} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	runtimeBin, err := helpers(c.BinDir)
	if err != nil {
		return err
	}
	file, err := readFile(filepath.Join(d.Root, "daemon.json"))
	if err != nil {
		return err
	}
	insecure := append(c.InsecureRegistries, file.InsecureRegistries...)
	// The database lock makes this the only daemon of the root.
	db, err := store.Open(filepath.Join(d.Root, "berth.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	images, err := image.Open(filepath.Join(d.Root, "image"), db)
	if err != nil {
		return fmt.Errorf("open image store: %w", err)
	}
	vols, err := volumes.Open(d.Root, db)
	if err != nil {
		return fmt.Errorf("open volumes: %w", err)
	}
	var forward []string
	if file.DNSForward == nil || *file.DNSForward {
		forward = hostResolvers()
	}
	resolver := dns.New(dns.Config{Forward: forward, Log: log})
	defer resolver.Close()
	nets, err := netstack.Open(netstack.Config{Root: d.Root, RunDir: d.Run, Tag: d.Tag, DB: db, DNS: resolver, Log: log})
	if err != nil {
		return fmt.Errorf("open networks: %w", err)
	}
	defer nets.Close()
	eng, err := engine.New(engine.Config{
		Dirs: d, DB: db, Images: images,
		Runtime: runtime.New(d.Run, runtimeBin),
		InitBin: filepath.Join(filepath.Dir(runtimeBin), "berth-init"),
		Net:     nets,
		Volumes: vols,
		Log:     log,
	})
	if err != nil {
		return fmt.Errorf("start engine: %w", err)
	}
	defer eng.Close()
	_ = os.Remove(d.Socket) // stale: we hold the lock, so no daemon serves it
	ln, err := net.Listen("unix", d.Socket)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", d.Socket, err)
	}
	defer os.Remove(d.Socket)
	if err := os.Chmod(d.Socket, 0o660); err != nil {
		ln.Close()
		return err
	}
	pidFile := filepath.Join(d.Run, "berth.pid")
	_ = os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	defer os.Remove(pidFile)
	log.Info("daemon ready", "root", d.Root, "socket", d.Socket)
	// Start-up garbage (package init of the whole binary, restoring state) is not needed
	// again: hand it back rather than keep it for the daemon's lifetime.
	debug.FreeOSMemory()
	if c.Ready != nil {
		fmt.Fprintln(c.Ready, "ready")
		c.Ready.Close()
		c.Ready = nil
	}
	err = api.New(eng, log, insecure).Serve(ctx, ln)
	log.Info("daemon stopped; containers keep running")
	return err
}

// helpers finds berth-runtime, which is also every container's shim.
func helpers(dir string) (runtimeBin string, err error) {
	if dir == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", err
		}
		dir = filepath.Dir(exe)
	}
	runtimeBin = filepath.Join(dir, "berth-runtime")
	if _, err := os.Stat(runtimeBin); err != nil {
		return "", fmt.Errorf("berth-runtime is missing: it must be installed beside berth (in %s)", dir)
	}
	return runtimeBin, nil
}

// fileConfig is ROOT/daemon.json, the settings a daemon started by the CLI cannot get
// as flags. Keys follow Docker's daemon.json.
type fileConfig struct {
	InsecureRegistries []string `json:"insecure-registries"`
	// DNSForward sends names the embedded DNS cannot answer to the host's resolvers;
	// default true.
	DNSForward *bool `json:"dns-forward"`
}

// hostResolvers are the nameservers of the host's resolv.conf, reached from the daemon.
func hostResolvers() []string {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			if ip, err := netip.ParseAddr(f[1]); err == nil {
				out = append(out, netip.AddrPortFrom(ip, 53).String())
			}
		}
	}
	return out
}

func readFile(path string) (fileConfig, error) {
	var fc fileConfig
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return fc, nil
	}
	if err != nil {
		return fc, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fc); err != nil {
		return fc, fmt.Errorf("%s: %v; the file holds a JSON object such as {\"insecure-registries\": [\"127.0.0.1:5000\"]}", path, err)
	}
	return fc, nil
}
