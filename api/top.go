package api

import "net/http"

func (s *Server) containerTop(w http.ResponseWriter, r *http.Request) {
	top, err := s.eng.Top(r.PathValue("id"), r.URL.Query().Get("ps_args"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, top)
}
