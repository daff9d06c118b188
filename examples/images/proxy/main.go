// Command proxy is the webapp example's front door: a reverse proxy from its published
// port to the app service, found by its Compose service name.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("listen", ":8080", "HTTP address to listen on")
	upstream := flag.String("upstream", "http://app:8000", "URL to forward every request to")
	health := flag.Bool("health", false, "exit 0 if something accepts connections on -listen, 1 otherwise (for healthchecks)")
	flag.Parse()
	go exitOnTerm()
	if *health {
		os.Exit(checkPort(*addr))
	}
	u, err := url.Parse(*upstream)
	if err != nil {
		log.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ErrorLog = log.Default()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s %s", r.RemoteAddr, r.Method, r.URL)
		p.ServeHTTP(w, r)
	})
	log.Printf("proxy listening on %s, forwarding to %s", *addr, u)
	log.Fatal(http.ListenAndServe(*addr, h))
}

// checkPort reports 0 if addr accepts a TCP connection; ":N" means 127.0.0.1:N.
func checkPort(addr string) int {
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c.Close()
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
