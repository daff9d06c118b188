package image

import "fmt"

// categoryError puts an error in one of errdefs' categories without adding
// the category's name to the message.
type categoryError struct {
	cat, err error
}

func (e *categoryError) Error() string   { return e.err.Error() }
func (e *categoryError) Unwrap() []error { return []error{e.err, e.cat} }

// errorf formats an error in category cat (errdefs.ErrNotFound, …).
func errorf(cat error, format string, args ...any) error {
	return &categoryError{cat: cat, err: fmt.Errorf(format, args...)}
}
