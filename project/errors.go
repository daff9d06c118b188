package project

import (
	"fmt"

	"github.com/containerd/errdefs"
)

// Error is a mistake in the user's project that the Compose loader let through and that
// berth cannot turn into containers. Path is the key in the Compose model
// ("services.web.ports[0]"); it matches errdefs.ErrInvalidArgument.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string { return e.Path + ": " + e.Msg }

// Unwrap makes errors.Is(err, errdefs.ErrInvalidArgument) hold.
func (e *Error) Unwrap() error { return errdefs.ErrInvalidArgument }

func invalid(path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}
