package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/containerd/errdefs"
)

// maxJSONBody bounds a JSON request body. Docker sets no bound, but a decoded body takes
// several times its size in memory, and what a create decodes is stored and read again by
// every later list; the largest real bodies (a stack's whole Compose project) are tens of
// kilobytes. Streams (image load and import, archive upload) are not JSON and stay
// unbounded.
const maxJSONBody = 4 << 20

// emptyBody is an empty request body. It matches io.EOF, so that the requests whose body
// is optional can let it pass.
type emptyBody struct{}

func (emptyBody) Error() string        { return "the body is empty" }
func (emptyBody) Is(target error) bool { return target == io.EOF }

// errTooLarge marks a request body over its limit; statusOf answers 413.
var errTooLarge = errors.New("too large")

// decodeJSON decodes r's body, one JSON value, into v, reading no more than maxJSONBody
// bytes. what names the request in the error ("create", "network create"). An empty body
// is an error that also matches io.EOF, for the requests whose body is optional.
func decodeJSON(w http.ResponseWriter, r *http.Request, what string, v any) error {
	body := http.MaxBytesReader(w, r.Body, maxJSONBody)
	err := json.NewDecoder(body).Decode(v)
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooLarge):
		return fmt.Errorf("invalid %s request: the body is over %d MiB, the limit for a JSON request: %w", what, maxJSONBody>>20, errTooLarge)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("invalid %s request: %w: %w", what, emptyBody{}, errdefs.ErrInvalidArgument)
	default:
		return fmt.Errorf("invalid %s request: %v: %w", what, err, errdefs.ErrInvalidArgument)
	}
}
