package api

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

func TestEncodePathStat(t *testing.T) {
	in := container.PathStat{Name: "app", Size: 4096, Mode: os.ModeDir | 0o755, Mtime: time.Unix(1700000000, 0).UTC(), LinkTarget: ""}
	v, err := encodePathStat(in)
	if err != nil {
		t.Fatal(err)
	}
	data, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	var out container.PathStat
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Errorf("round trip: %+v, want %+v", out, in)
	}
}
