// Command app is the webapp example's application: an HTTP server that counts its hits in
// the cache service and answers "hello from berth, hits: N". It reaches the cache by its
// Compose service name, so it shows the stack's DNS at work.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("listen", ":8000", "HTTP address to listen on")
	cache := flag.String("cache", "cache:6379", "address of the cache service")
	health := flag.Bool("health", false, "exit 0 if something accepts connections on -listen, 1 otherwise (for healthchecks)")
	flag.Parse()
	go exitOnTerm()
	if *health {
		os.Exit(checkPort(*addr))
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n, err := incr(*cache, "hits")
		if err != nil {
			log.Printf("cache: %v", err)
			http.Error(w, "cache unavailable: "+err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "hello from berth, hits: %s\n", n)
	})
	log.Printf("app listening on %s, cache at %s", *addr, *cache)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

// incr increments key in the cache and returns its new value.
func incr(addr, key string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintf(c, "INCR %s\n", key); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "ERR") {
		return "", fmt.Errorf("%s", line)
	}
	return line, nil
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
