package main

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/network"
)

var testNow = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func TestSince(t *testing.T) {
	tests := []struct {
		name string
		ago  time.Duration
		want string
	}{
		{"seconds", 5 * time.Second, "5 seconds ago"},
		{"minute", 61 * time.Second, "About a minute ago"},
		{"hours", 3 * time.Hour, "3 hours ago"},
		{"days", 50 * time.Hour, "2 days ago"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := since(testNow, testNow.Add(-tt.ago)); got != tt.want {
				t.Errorf("since = %q, want %q", got, tt.want)
			}
		})
	}
	if got := since(testNow, time.Time{}); got != "" {
		t.Errorf("zero time = %q", got)
	}
}

func TestEllipsisAndShortID(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"short", "sh", 20, "sh"},
		{"exact", "12345", 5, "12345"},
		{"cut", "sleep 1000000000000000", 10, "sleep 100…"},
		{"runes", "ééééé", 3, "éé…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ellipsis(tt.in, tt.n); got != tt.want {
				t.Errorf("ellipsis(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
	if got := shortID("sha256:0123456789abcdef0123"); got != "0123456789ab" {
		t.Errorf("shortID = %q", got)
	}
}

func TestFormatPorts(t *testing.T) {
	v4, v6 := netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("::")
	tcp := func(ip netip.Addr, private, public uint16) container.PortSummary {
		return container.PortSummary{IP: ip, PrivatePort: private, PublicPort: public, Type: "tcp"}
	}
	tests := []struct {
		name  string
		ports []container.PortSummary
		want  string
	}{
		{"none", nil, ""},
		{"exposed only", []container.PortSummary{{PrivatePort: 443, Type: "tcp"}}, "443/tcp"},
		{"mapped to another port", []container.PortSummary{tcp(v4, 80, 8080)}, "0.0.0.0:8080->80/tcp"},
		{"same port on both families", []container.PortSummary{tcp(v6, 80, 80), tcp(v4, 80, 80)}, "0.0.0.0:80->80/tcp, [::]:80->80/tcp"},
		{"mapped ports come last", []container.PortSummary{tcp(v4, 80, 8080), tcp(v6, 80, 8080), {PrivatePort: 443, Type: "tcp"}},
			"443/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"},
		{"range on the same numbers", []container.PortSummary{tcp(v4, 8001, 8001), tcp(v4, 8000, 8000)}, "0.0.0.0:8000-8001->8000-8001/tcp"},
		{"exposed range and a gap", []container.PortSummary{{PrivatePort: 80, Type: "tcp"}, {PrivatePort: 81, Type: "tcp"}, {PrivatePort: 90, Type: "tcp"}, {PrivatePort: 53, Type: "udp"}},
			"80-81/tcp, 53/udp, 90/tcp"},
		{"random host ports", []container.PortSummary{tcp(v4, 80, 32768), tcp(v4, 81, 32769)}, "0.0.0.0:32768->80/tcp, 0.0.0.0:32769->81/tcp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatPorts(tt.ports); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPrintContainers(t *testing.T) {
	items := []container.Summary{{
		ID:      "0123456789abcdef0123456789abcdef",
		Names:   []string{"/web", "/other/alias"},
		Image:   "alpine:3.20",
		Command: "sleep 1000000000000000000",
		Created: testNow.Add(-5 * time.Second).Unix(),
		State:   "running",
		Status:  "Up 5 seconds",
	}}
	tests := []struct {
		name   string
		format string
		quiet  bool
		trunc  bool
		want   string
	}{
		{"table", "", false, true,
			"CONTAINER ID   IMAGE         COMMAND                  CREATED         STATUS         PORTS     NAMES\n" +
				"0123456789ab   alpine:3.20   \"sleep 1000000000000…\"   5 seconds ago   Up 5 seconds             web\n"},
		{"quiet", "", true, true, "0123456789ab\n"},
		{"quiet no-trunc", "", true, false, "0123456789abcdef0123456789abcdef\n"},
		{"template", "{{.Names}} {{.State}}", false, true, "web running\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newPrinter(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := printContainers(&buf, p, items, tt.quiet, tt.trunc, testNow); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", buf.String(), tt.want)
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		p, _ := newPrinter("json")
		var buf bytes.Buffer
		if err := printContainers(&buf, p, append(items, items...), false, true, testNow); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != 2 {
			t.Fatalf("want one line per container, got %q", buf.String())
		}
		var row map[string]string
		if err := json.Unmarshal([]byte(lines[0]), &row); err != nil {
			t.Fatal(err)
		}
		if row["ID"] != "0123456789ab" || row["Names"] != "web" || row["RunningFor"] != "5 seconds ago" || row["State"] != "running" {
			t.Errorf("row %v", row)
		}
	})
}

func TestPrintImages(t *testing.T) {
	items := []image.Summary{
		{
			ID:       "sha256:abcdef0123456789abcdef",
			RepoTags: []string{"alpine:3.20", "localhost:5000/alpine:latest"},
			Created:  testNow.Add(-3 * time.Hour).Unix(),
			Size:     7_800_000,
		},
		{ID: "sha256:fedcba9876543210", Created: testNow.Add(-3 * time.Hour).Unix(), Size: 1000},
	}
	p, _ := newPrinter("")
	var buf bytes.Buffer
	if err := printImages(&buf, p, items, false, true, testNow); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"REPOSITORY              TAG       IMAGE ID       CREATED       SIZE\n" +
		"alpine                  3.20      abcdef012345   3 hours ago   7.8MB\n" +
		"localhost:5000/alpine   latest    abcdef012345   3 hours ago   7.8MB\n" +
		"<none>                  <none>    fedcba987654   3 hours ago   1kB\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := printImages(&buf, p, items, true, true, testNow); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "abcdef012345\nfedcba987654\n" {
		t.Errorf("quiet got %q", buf.String())
	}
}

func TestWriteInspect(t *testing.T) {
	raws := []json.RawMessage{json.RawMessage(`{"Id":"a","State":{"Running":true}}`), json.RawMessage(`{"Id":"b"}`)}
	var buf bytes.Buffer
	if err := writeInspect(&buf, "", raws); err != nil {
		t.Fatal(err)
	}
	want := "[\n    {\n        \"Id\": \"a\",\n        \"State\": {\n            \"Running\": true\n        }\n    },\n    {\n        \"Id\": \"b\"\n    }\n]\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := writeInspect(&buf, "{{.Id}} {{.State.Running}}", raws[:1]); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "a true\n" {
		t.Errorf("template got %q", buf.String())
	}
	buf.Reset()
	if err := writeInspect(&buf, "", nil); err != nil || buf.String() != "[]\n" {
		t.Errorf("empty got %q, %v", buf.String(), err)
	}
}

func TestPrintPorts(t *testing.T) {
	ports := network.PortMap{
		network.MustParsePort("80/tcp"):  {{HostIP: netip.MustParseAddr("0.0.0.0"), HostPort: "8080"}},
		network.MustParsePort("53/udp"):  {{HostPort: "5353"}},
		network.MustParsePort("443/tcp"): nil,
	}
	var buf bytes.Buffer
	if err := printPorts(&buf, ports); err != nil {
		t.Fatal(err)
	}
	want := "53/udp -> 0.0.0.0:5353\n80/tcp -> 0.0.0.0:8080\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}

	buf.Reset()
	err := printPort(&buf, []network.PortBinding{
		{HostIP: netip.MustParseAddr("::"), HostPort: "32768"},
		{HostIP: netip.MustParseAddr("0.0.0.0"), HostPort: "32768"},
	})
	if want := "0.0.0.0:32768\n[::]:32768\n"; err != nil || buf.String() != want {
		t.Errorf("printPort got %q, %v; want %q", buf.String(), err, want)
	}
}

func TestParsePortArg(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{"80", "80/tcp", ""},
		{"53/udp", "53/udp", ""},
		{"80/TCP", "80/tcp", ""},
		{"http", "", `invalid port "http": use PRIVATE_PORT[/PROTO], e.g. 80 or 53/udp`},
		{"0", "", "invalid port"},
		{"70000/tcp", "", "invalid port"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parsePortArg(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Errorf("parsePortArg(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
}
