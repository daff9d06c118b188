package main

import "testing"

func TestStoreDo(t *testing.T) {
	s := newStore()
	steps := []struct{ in, want string }{
		{"PING", "PONG"},
		{"GET hits", ""},
		{"INCR hits", "1"},
		{"incr hits", "2"},
		{"SET name berth", "OK"},
		{"GET name", "berth"},
		{"INCR name", "ERR value is not an integer"},
		{"", "ERR empty command"},
		{"SET onlykey", `ERR unknown command or wrong number of arguments: "SET onlykey"`},
	}
	for _, st := range steps {
		if got := s.do(st.in); got != st.want {
			t.Errorf("do(%q) = %q, want %q", st.in, got, st.want)
		}
	}
}
