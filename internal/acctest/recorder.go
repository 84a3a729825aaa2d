package acctest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Recorder is a reverse proxy in front of the emulator that counts EC2
// calls by action and can answer some with throttling errors, as AWS does
// under load.
type Recorder struct {
	URL      string
	server   *http.Server
	mu       sync.Mutex
	calls    map[string]int
	sequence []string
	faults   map[string]*fault
	latency  time.Duration
	icmp     icmpEntries
}

// fault is an error the recorder answers instead of the emulator.
type fault struct {
	status    int
	code      string
	remaining int
}

// StartRecorder listens on a free 127.0.0.1 port and forwards to target.
func StartRecorder(target string) (*Recorder, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Recorder{URL: "http://" + l.Addr().String(), calls: map[string]int{}, faults: map[string]*fault{}}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode != http.StatusOK {
			return nil
		}
		action, _ := resp.Request.Context().Value(actionKey{}).(string)
		if values, ok := resp.Request.Context().Value(valuesKey{}).(url.Values); ok {
			// Only a call the emulator carried out changes what it holds.
			r.icmp.observe(action, values)
		}
		if action != "DescribeNetworkAcls" {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		body = r.icmp.restore(body)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	r.server = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		action := actionOf(req, body)
		ctx := context.WithValue(req.Context(), actionKey{}, action)
		if values, err := url.ParseQuery(string(body)); err == nil {
			ctx = context.WithValue(ctx, valuesKey{}, values)
		}
		req = req.WithContext(ctx)
		f, latency := r.record(action)
		time.Sleep(latency)
		if f != nil {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(f.status)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>injected by the test recorder</Message></Error></Errors><RequestID>injected</RequestID></Response>`, f.code)
			return
		}
		proxy.ServeHTTP(w, req)
	})}
	go func() { _ = r.server.Serve(l) }()
	return r, nil
}

// actionKey and valuesKey carry a request's EC2 action and parameters to
// the response it gets.
type (
	actionKey struct{}
	valuesKey struct{}
)

func actionOf(req *http.Request, body []byte) string {
	if values, err := url.ParseQuery(string(body)); err == nil && values.Get("Action") != "" {
		return values.Get("Action")
	}
	return req.Method + " " + req.URL.Path
}

// record counts the call and says which fault, if any, answers it and how
// long to hold it.
func (r *Recorder) record(action string) (*fault, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[action]++
	r.sequence = append(r.sequence, action)
	if f := r.faults[action]; f != nil && f.remaining > 0 {
		f.remaining--
		answer := *f
		return &answer, r.latency
	}
	return nil, r.latency
}

// SetLatency holds every call for d before answering, as a distant AWS
// region would; the emulator itself answers in about a millisecond.
func (r *Recorder) SetLatency(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latency = d
}

// Throttle makes the next n calls of action fail with RequestLimitExceeded,
// as EC2 answers when its request rate is exceeded.
func (r *Recorder) Throttle(action string, n int) {
	r.Fail(action, http.StatusServiceUnavailable, "RequestLimitExceeded", n)
}

// Fail makes the next n calls of action fail with the HTTP status and EC2
// error code; n = 0 clears the fault.
func (r *Recorder) Fail(action string, status int, code string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults[action] = &fault{status: status, code: code, remaining: n}
}

// Reset forgets the counts and the sequence.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = map[string]int{}
	r.sequence = nil
}

// Sequence returns the actions since the last Reset, in the order they
// arrived.
func (r *Recorder) Sequence() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sequence)
}

// Calls returns the counts by action since the last Reset.
func (r *Recorder) Calls() Calls {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.calls)
}

// Stop closes the proxy.
func (r *Recorder) Stop() { _ = r.server.Close() }

// Calls counts EC2 calls by action.
type Calls map[string]int

// Total is the number of calls.
func (c Calls) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Mutating returns the calls that change something: all but Describe*
// and Get*.
func (c Calls) Mutating() Calls {
	out := Calls{}
	for k, v := range c {
		if !strings.HasPrefix(k, "Describe") && !strings.HasPrefix(k, "Get") {
			out[k] = v
		}
	}
	return out
}

func (c Calls) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, c[k]))
	}
	return fmt.Sprintf("%d calls (%s)", c.Total(), strings.Join(parts, ", "))
}
