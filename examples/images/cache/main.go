// Command cache is the webapp example's cache: a tiny line-based key-value server.
//
// Each request is one line, each answer one line:
//
//	GET key        -> the value, or "" when the key is unset
//	SET key value  -> OK
//	INCR key       -> the new value (an unset key counts as 0)
//	PING           -> PONG
//
// Anything else is answered with "ERR " and a reason. The data lives in memory only: the
// example shows service discovery and health gating, not persistence.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("listen", ":6379", "TCP address to listen on")
	health := flag.Bool("health", false, "exit 0 if the server on -listen answers PING, 1 otherwise (for healthchecks)")
	flag.Parse()
	go exitOnTerm()
	if *health {
		os.Exit(checkHealth(*addr))
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("cache listening on %s", ln.Addr())
	s := newStore()
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go serve(c, s)
	}
}

// store is the cache's data, safe for concurrent clients.
type store struct {
	mu sync.Mutex
	m  map[string]string
}

func newStore() *store { return &store{m: map[string]string{}} }

// do executes one request line and returns the answer line, without its newline.
func (s *store) do(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 {
		return "ERR empty command"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch cmd := strings.ToUpper(f[0]); {
	case cmd == "PING" && len(f) == 1:
		return "PONG"
	case cmd == "GET" && len(f) == 2:
		return s.m[f[1]]
	case cmd == "SET" && len(f) == 3:
		s.m[f[1]] = f[2]
		return "OK"
	case cmd == "INCR" && len(f) == 2:
		n := 0
		if v, ok := s.m[f[1]]; ok {
			var err error
			if n, err = strconv.Atoi(v); err != nil {
				return "ERR value is not an integer"
			}
		}
		n++
		s.m[f[1]] = strconv.Itoa(n)
		return s.m[f[1]]
	default:
		return fmt.Sprintf("ERR unknown command or wrong number of arguments: %q", line)
	}
}

func serve(c net.Conn, s *store) {
	defer c.Close()
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if _, err := fmt.Fprintln(c, s.do(sc.Text())); err != nil {
			return
		}
	}
}

// checkHealth asks the local server for PONG; a port given as ":N" means 127.0.0.1:N.
func checkHealth(addr string) int {
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprintln(c, "PING")
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "PONG" {
		fmt.Fprintf(os.Stderr, "no PONG: %q %v\n", line, err)
		return 1
	}
	return 0
}

// exitOnTerm ends the process with status 0 on SIGTERM or SIGINT, so that a stop shows as
// a clean exit rather than Go's status 2 for a fatal signal.
func exitOnTerm() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
	os.Exit(0)
}
