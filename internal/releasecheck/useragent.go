package main

import (
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// userAgents is a reverse proxy in front of the emulator that notes the
// User-Agent of every request. The provider names itself and its version
// there, so the plan shows which build answered, which a search of the
// binary for the version string cannot prove.
type userAgents struct {
	URL    string
	server *http.Server
	mu     sync.Mutex
	seen   map[string]bool
}

func startUserAgents(target string) (*userAgents, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ua := &userAgents{URL: "http://" + l.Addr().String(), seen: map[string]bool{}}
	proxy := httputil.NewSingleHostReverseProxy(u)
	ua.server = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua.mu.Lock()
		ua.seen[r.UserAgent()] = true
		ua.mu.Unlock()
		proxy.ServeHTTP(w, r)
	})}
	go func() { _ = ua.server.Serve(l) }()
	return ua, nil
}

func (ua *userAgents) stop() { _ = ua.server.Close() }

// reset forgets the agents seen, before the next CLI's plan.
func (ua *userAgents) reset() {
	ua.mu.Lock()
	defer ua.mu.Unlock()
	ua.seen = map[string]bool{}
}

// check requires that every request since the last reset came from the
// provider at version, and that there was one.
func (ua *userAgents) check(version string) error {
	ua.mu.Lock()
	defer ua.mu.Unlock()
	want := project + "/" + version
	if len(ua.seen) == 0 {
		return fmt.Errorf("the plan sent EC2 no request")
	}
	for agent := range ua.seen {
		if !slices.Contains(strings.Fields(agent), want) {
			return fmt.Errorf("a request's User-Agent %q does not name %s; seen: %q", agent, want, slices.Sorted(maps.Keys(ua.seen)))
		}
	}
	fmt.Printf("   EC2 requests of the plan named %s\n", want)
	return nil
}
