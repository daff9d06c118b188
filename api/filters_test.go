package api

import (
	"net/http/httptest"
	"net/url"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/moby/api/types/container"

	berthimage "berth/engine/image"
	"berth/store"
)

func TestContainerFilters(t *testing.T) {
	c := &store.Container{ID: "abc123", Name: "web-1", Image: "busybox", ImageID: "sha256:feed",
		Config: &container.Config{Labels: map[string]string{"tier": "front", "x": ""}},
		State:  store.State{Status: container.StateExited, ExitCode: 3}}
	tests := []struct {
		filters string
		match   bool
	}{
		{``, true},
		{`{"name":{"web":true}}`, true},
		{`{"name":["db"]}`, false},
		{`{"id":{"abc":true}}`, true},
		{`{"status":{"exited":true}}`, true},
		{`{"status":{"running":true}}`, false},
		{`{"status":{"running":true,"exited":true}}`, true},
		{`{"label":{"tier=front":true}}`, true},
		{`{"label":{"tier=front":true,"x":true}}`, true},
		{`{"label":{"tier=back":true}}`, false},
		{`{"ancestor":{"busybox":true}}`, true},
		{`{"exited":{"3":true}}`, true},
		{`{"exited":{"0":true}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.filters, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/containers/json?filters="+url.QueryEscape(tt.filters), nil)
			f, err := parseFilters(r, containerFilterKeys...)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.container(c); got != tt.match {
				t.Errorf("match %v, want %v", got, tt.match)
			}
		})
	}
	r := httptest.NewRequest("GET", "/containers/json?filters="+url.QueryEscape(`{"colour":{"red":true}}`), nil)
	if _, err := parseFilters(r, containerFilterKeys...); err == nil {
		t.Error("unknown filter accepted")
	}
}

func TestImageFilters(t *testing.T) {
	img := berthimage.Image{RepoTags: []string{"busybox:latest", "127.0.0.1:5000/x/y:1"},
		Config: v1.ConfigFile{Config: v1.Config{Labels: map[string]string{"a": "b"}}}}
	tests := []struct {
		filters string
		match   bool
	}{
		{`{"reference":{"busybox":true}}`, true},
		{`{"reference":{"busybox:latest":true}}`, true},
		{`{"reference":{"busy*":true}}`, true},
		{`{"reference":{"alpine":true}}`, false},
		{`{"reference":{"127.0.0.1:5000/x/y":true}}`, true},
		{`{"dangling":{"true":true}}`, false},
		{`{"label":{"a=b":true}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.filters, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/images/json?filters="+url.QueryEscape(tt.filters), nil)
			f, err := parseFilters(r, imageFilterKeys...)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.image(img); got != tt.match {
				t.Errorf("match %v, want %v", got, tt.match)
			}
		})
	}
}
