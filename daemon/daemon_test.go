package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, body string
		want       int
		fail       string
	}{
		{"missing", "", 0, ""},
		{"registries", `{"insecure-registries": ["127.0.0.1:5000", "reg:80"]}`, 2, ""},
		{"unknown key", `{"insecure-registry": []}`, 0, "unknown field"},
		{"not json", `insecure`, 0, "daemon.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name, "daemon.json")
			if tt.body != "" {
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, []byte(tt.body), 0o644)
			}
			fc, err := readFile(p)
			if tt.fail != "" {
				if err == nil || !strings.Contains(err.Error(), tt.fail) {
					t.Fatalf("err %v, want %q", err, tt.fail)
				}
				return
			}
			if err != nil || len(fc.InsecureRegistries) != tt.want {
				t.Fatalf("%+v %v", fc, err)
			}
		})
	}
}
