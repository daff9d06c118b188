package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
	"github.com/spf13/pflag"
)

var testVolumes = []volume.Volume{
	{Name: "web10", Driver: "local", Scope: "local", Mountpoint: "/r/volumes/web10/_data"},
	{Name: "web2", Driver: "local", Scope: "local", Mountpoint: "/r/volumes/web2/_data",
		Labels: map[string]string{"b": "2", "a": "1"}},
	{Name: "data", Driver: "local", Scope: "local", Mountpoint: "/r/volumes/data/_data"},
}

func TestPrintVolumes(t *testing.T) {
	tests := []struct {
		name   string
		format string
		quiet  bool
		want   string
	}{
		{name: "table", want: "" +
			"DRIVER    VOLUME NAME\n" +
			"local     data\n" +
			"local     web2\n" +
			"local     web10\n"},
		{name: "quiet", quiet: true, want: "data\nweb2\nweb10\n"},
		{name: "template", format: "{{.Name}} {{.Labels}} {{.Mountpoint}}", want: "" +
			"data  /r/volumes/data/_data\n" +
			"web2 a=1,b=2 /r/volumes/web2/_data\n" +
			"web10  /r/volumes/web10/_data\n"},
		{name: "table template", format: "table {{.Name}}", want: "data\nweb2\nweb10\n"},
		{name: "json", format: "json", want: "" +
			`{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"","Links":"N/A","Mountpoint":"/r/volumes/data/_data","Name":"data","Scope":"local","Size":"N/A","Status":"N/A"}` + "\n" +
			`{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"a=1,b=2","Links":"N/A","Mountpoint":"/r/volumes/web2/_data","Name":"web2","Scope":"local","Size":"N/A","Status":"N/A"}` + "\n" +
			`{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"","Links":"N/A","Mountpoint":"/r/volumes/web10/_data","Name":"web10","Scope":"local","Size":"N/A","Status":"N/A"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newPrinter(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := printVolumes(&b, p, testVolumes, tt.quiet); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}

func TestVolumePruneReport(t *testing.T) {
	tests := []struct {
		name      string
		deleted   []string
		reclaimed uint64
		want      string
	}{
		{"nothing", nil, 0, "Total reclaimed space: 0B\n"},
		{"some", []string{"a", "b"}, 1234, "Deleted Volumes:\na\nb\n\nTotal reclaimed space: 1.234kB\n"},
		{"megabytes", []string{"big"}, 7_800_000, "Deleted Volumes:\nbig\n\nTotal reclaimed space: 7.8MB\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := volumePruneReport(tt.deleted, tt.reclaimed); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVolumePruneRequest(t *testing.T) {
	tests := []struct {
		name    string
		opts    volumePruneOptions
		filters client.Filters
		warning string
		wantErr string
	}{
		{name: "anonymous", opts: volumePruneOptions{}, filters: client.Filters{}, warning: volumePruneWarning},
		{name: "all", opts: volumePruneOptions{all: true}, filters: client.Filters{"all": {"true": true}}, warning: volumePruneAllWarning},
		{name: "label", opts: volumePruneOptions{filters: []string{"label=team=web"}}, filters: client.Filters{"label": {"team=web": true}}, warning: volumePruneWarning},
		{name: "all twice", opts: volumePruneOptions{all: true, filters: []string{"all=1"}}, wantErr: "conflicting options"},
		{name: "bad filter", opts: volumePruneOptions{filters: []string{"label"}}, wantErr: `invalid --filter "label"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, warning, err := tt.opts.request()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(req.Filters, tt.filters) || warning != tt.warning {
				t.Errorf("got %v %q", req.Filters, warning)
			}
		})
	}
	if !strings.HasPrefix(volumePruneWarning, "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N]") {
		t.Error("the prompt is not docker's")
	}
}

func TestVolumeCreateRequest(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    client.VolumeCreateOptions
		wantErr string
	}{
		{name: "defaults", want: client.VolumeCreateOptions{Driver: "local"}},
		{name: "labels and options", args: []string{"--label", "team=web", "--label", "bare", "-o", "type=tmpfs", "-d", "local"},
			want: client.VolumeCreateOptions{Driver: "local", Labels: map[string]string{"team": "web", "bare": ""}, DriverOpts: map[string]string{"type": "tmpfs"}}},
		{name: "bad option", args: []string{"-o", "tmpfs"}, wantErr: `invalid --opt "tmpfs": use KEY=VALUE`},
		{name: "bad label", args: []string{"--label", "=x"}, wantErr: `invalid --label "=x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o volumeCreateOptions
			f := pflag.NewFlagSet("create", pflag.ContinueOnError)
			addVolumeCreateFlags(f, &o)
			if err := f.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			req, err := o.request()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(req, tt.want) {
				t.Errorf("got %+v, want %+v", req, tt.want)
			}
		})
	}
}

func TestVolumeCommandArgs(t *testing.T) {
	g := &globalOptions{}
	cmd := newVolumeCreateCommand(g)
	cmd.SetArgs([]string{"a", "b"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "requires at most 1 argument") {
		t.Errorf("two names: %v", err)
	}
	cmd = newVolumeCreateCommand(g)
	cmd.SetArgs([]string{"--name", "a", "b"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "conflicting options") {
		t.Errorf("--name and a name: %v", err)
	}
}
