package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkUnpack unpacks a layer of 100 directories with 50 small files each.
func BenchmarkUnpack(b *testing.B) {
	var es []entry
	for d := range 100 {
		es = append(es, entry{name: fmt.Sprintf("d%d/", d), typ: tar.TypeDir})
		for f := range 50 {
			es = append(es, entry{name: fmt.Sprintf("d%d/f%d", d, f), typ: tar.TypeReg, body: "content"})
		}
	}
	layer := tarBytes(b, es...)
	dir := b.TempDir()
	b.ResetTimer()
	for i := range b.N {
		dest := filepath.Join(dir, fmt.Sprint(i))
		os.Mkdir(dest, 0o755)
		if err := unpack(bytes.NewReader(layer), dest); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(dest)
		b.StartTimer()
	}
}
