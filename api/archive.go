package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
)

// containerExtraRoutes adds docker cp's archive endpoints and top.
func (s *Server) containerExtraRoutes() {
	m := s.mux
	m.HandleFunc("HEAD /containers/{id}/archive", s.containerArchiveStat)
	m.HandleFunc("GET /containers/{id}/archive", s.containerArchiveGet)
	m.HandleFunc("PUT /containers/{id}/archive", s.containerArchivePut)
	m.HandleFunc("GET /containers/{id}/top", s.containerTop)
}

// pathStatHeader is where Docker sends a path's stat: base64 of its JSON.
const pathStatHeader = "X-Docker-Container-Path-Stat"

func encodePathStat(st container.PathStat) (string, error) {
	data, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(data), nil
}

func archivePath(r *http.Request) (string, error) {
	p := r.URL.Query().Get("path")
	if p == "" {
		return "", fmt.Errorf("path is required: %w", errdefs.ErrInvalidArgument)
	}
	return p, nil
}

func (s *Server) containerArchiveStat(w http.ResponseWriter, r *http.Request) {
	p, err := archivePath(r)
	if err != nil {
		writeError(w, err)
		return
	}
	st, err := s.eng.StatPath(r.PathValue("id"), p)
	if err != nil {
		// A HEAD answer has no body: the status alone tells the client.
		w.WriteHeader(statusOf(err))
		return
	}
	v, err := encodePathStat(st)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set(pathStatHeader, v)
	w.WriteHeader(http.StatusOK)
}

func (s *Server) containerArchiveGet(w http.ResponseWriter, r *http.Request) {
	p, err := archivePath(r)
	if err != nil {
		writeError(w, err)
		return
	}
	started := false
	err = s.eng.CopyFrom(r.PathValue("id"), p, w, func(st container.PathStat) {
		if v, err := encodePathStat(st); err == nil {
			w.Header().Set(pathStatHeader, v)
		}
		w.Header().Set("Content-Type", "application/x-tar")
		w.WriteHeader(http.StatusOK)
		started = true
	})
	if err != nil {
		if !started {
			writeError(w, err)
			return
		}
		// The status is sent; a truncated tar is all the client can be told.
		s.log.Warn("copy from container cut short", "container", r.PathValue("id"), "path", p, "err", err)
	}
}

func (s *Server) containerArchivePut(w http.ResponseWriter, r *http.Request) {
	p, err := archivePath(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.eng.CopyTo(r.PathValue("id"), p, r.Body, boolQuery(r, "noOverwriteDirNonDir")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}
