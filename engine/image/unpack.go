package image

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"

	"github.com/klauspost/compress/zstd"

	"berth/untar"
)

// decompress returns r uncompressed, detecting gzip and zstd by their magic
// numbers; anything else is passed through.
func decompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return gzip.NewReader(br)
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		d, err := zstd.NewReader(br)
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return io.NopCloser(br), nil
}

// unpack extracts the uncompressed layer tar r into dest, which must exist, turning
// OCI whiteouts into overlayfs ones.
func unpack(r io.Reader, dest string) error {
	return untar.Extract(context.Background(), r, dest, "/", untar.Options{Whiteouts: true, Special: true, Owners: true})
}
