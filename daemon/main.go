package daemon

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"berth/statedir"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return fmt.Sprint(*l) }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// Main runs the daemon from command-line arguments and returns the exit code. Both
// `berth daemon` and the dedicated berth-daemon binary use it, so they take the same
// flags: --root, --log-format text|json, -D/--debug, --insecure-registry (repeatable)
// and the hidden --ready-fd. binDir is where berth-runtime and berth-init are.
func Main(args []string, binDir string, stderr io.Writer) int {
	fs := flag.NewFlagSet("berth daemon", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", "", "state root (default $BERTH_ROOT, else "+statedir.DefaultRoot+")")
	readyFD := fs.Int("ready-fd", -1, "file descriptor that receives one line once the daemon is ready or failed")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	var debug bool
	fs.BoolVar(&debug, "debug", false, "log debug messages")
	fs.BoolVar(&debug, "D", false, "log debug messages (shorthand)")
	var insecure stringList
	fs.Var(&insecure, "insecure-registry", "registry (HOST:PORT) to reach over plain HTTP; also read from ROOT/daemon.json \"insecure-registries\"")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "berth daemon: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	hopts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch *logFormat {
	case "text":
		h = slog.NewTextHandler(stderr, hopts)
	case "json":
		h = slog.NewJSONHandler(stderr, hopts)
	default:
		fmt.Fprintf(stderr, "berth daemon: invalid --log-format %q: use text or json\n", *logFormat)
		return 2
	}
	cfg := Config{Dirs: statedir.Resolve(*root), Log: slog.New(h), InsecureRegistries: insecure, BinDir: binDir}
	if *readyFD >= 0 {
		cfg.Ready = os.NewFile(uintptr(*readyFD), "ready")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, cfg); err != nil {
		fmt.Fprintf(stderr, "berth: daemon: %v\n", err)
		return 1
	}
	return 0
}
