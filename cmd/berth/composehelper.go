package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"berth/compose/helperapi"
	"berth/statedir"
)

// globalKey carries the command's globalOptions in its context.
type globalKey struct{}

func globalsOf(ctx context.Context) *globalOptions {
	if g, ok := ctx.Value(globalKey{}).(*globalOptions); ok {
		return g
	}
	return &globalOptions{}
}

// errNoComposeFile is what berth-compose answers when no Compose file was found.
var errNoComposeFile = errors.New("no compose file found")

// helperError is an error berth-compose worded for the user.
type helperError struct {
	msg    string
	noFile bool
}

func (e *helperError) Error() string        { return e.msg }
func (e *helperError) Is(target error) bool { return target == errNoComposeFile && e.noFile }

// callCompose runs berth-compose op with req, giving it stdin, stdout and stderr, prints
// the warnings it returns and returns its answer.
func callCompose(ctx context.Context, op string, req any, stdin io.Reader, stdout, stderr io.Writer) (helperapi.Response, error) {
	var resp helperapi.Response
	bin, err := composeHelper(globalsOf(ctx))
	if err != nil {
		return resp, err
	}
	b, err := json.Marshal(req)
	if err != nil {
		return resp, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return resp, err
	}
	defer r.Close()
	reqR, reqW, err := os.Pipe()
	if err != nil {
		w.Close()
		return resp, err
	}
	defer reqW.Close()
	cmd := exec.CommandContext(ctx, bin, op)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.ExtraFiles = []*os.File{w, reqR}
	err = cmd.Start()
	w.Close()
	reqR.Close()
	if err != nil {
		return resp, fmt.Errorf("run %s: %w", bin, err)
	}
	// The pipe holds 64 KiB; a larger request is written while the helper reads it.
	go func() {
		_, _ = reqW.Write(b)
		reqW.Close()
	}()
	decErr := json.NewDecoder(r).Decode(&resp)
	if err := cmd.Wait(); err != nil {
		return resp, fmt.Errorf("%s %s: %w", filepath.Base(bin), op, err)
	}
	if decErr != nil {
		return resp, fmt.Errorf("%s %s: read its answer: %w", filepath.Base(bin), op, decErr)
	}
	for _, w := range resp.Warnings {
		fmt.Fprintf(stderr, "berth: warning: %s\n", w)
	}
	if resp.Error != "" {
		return resp, &helperError{msg: resp.Error, noFile: resp.NoFile}
	}
	return resp, nil
}

// composeHelper finds berth-compose: the copy built into berth, installed under the
// state root (or, when that is not writable, the user's own cache directory, never a
// shared one such as /tmp where another user could plant a file), else the one beside
// the executable.
func composeHelper(g *globalOptions) (string, error) {
	const name = "berth-compose"
	if len(helperBinaries) > 0 {
		dir, err := installHelpers(statedir.Resolve(g.root).Root)
		if err != nil {
			if cache, cerr := os.UserCacheDir(); cerr == nil {
				dir, err = installHelpers(filepath.Join(cache, "berth"))
			}
		}
		if err != nil {
			return "", err
		}
		return filepath.Join(dir, name), nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	p := filepath.Join(filepath.Dir(exe), name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s is missing: it must be installed beside berth (in %s)", name, filepath.Dir(exe))
	}
	return p, nil
}
