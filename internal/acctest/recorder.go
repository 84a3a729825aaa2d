package acctest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Recorder is a reverse proxy in front of the emulator that counts EC2
// calls by action and, when a test asks, answers as AWS does and the
// emulator never does: throttling, latency, replies lost after the call
// took effect (LoseReply), and a new ID unknown for a while (Lag).
type Recorder struct {
	URL    string
	server *http.Server
	mu     sync.Mutex
	calls  map[string]int
	// retries counts the calls the SDK repeated after a transient error
	// (its amz-sdk-request header says attempt 2 or later).
	retries  map[string]int
	sequence []string
	faults   map[string]*fault
	lost     map[string]int          // action -> replies still to lose
	repeats  map[string]repeatAnswer // request body -> answer to its repeat
	lag      *lag
	latency  time.Duration
	icmp     icmpEntries
	agents   map[string]bool // User-Agent headers since the last Reset
	// buckets, when set, throttle each action as EC2 does; throttled
	// counts the calls they refused since the last Reset.
	buckets   *tokenBuckets
	throttled map[string]int
	// authorize completes authorize answers as AWS gives them; nil
	// passes the emulator's answers through.
	authorize *authorizeAnswers
	target    string // the emulator's URL
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
	r := &Recorder{
		URL: "http://" + l.Addr().String(), calls: map[string]int{}, retries: map[string]int{}, faults: map[string]*fault{},
		lost: map[string]int{}, repeats: map[string]repeatAnswer{}, agents: map[string]bool{}, throttled: map[string]int{},
		authorize: &authorizeAnswers{emulator: EC2Client(target)}, target: target,
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = func(resp *http.Response) error {
		action, _ := resp.Request.Context().Value(actionKey{}).(string)
		if resp.StatusCode >= http.StatusInternalServerError && action == "ReplaceNetworkAclAssociation" {
			// The emulator fails on an association that is gone (the
			// subnet was moved since it was read) with HTTP 500, which the
			// SDK would retry; AWS answers InvalidAssociationID.NotFound.
			awsError(resp, http.StatusBadRequest, "InvalidAssociationID.NotFound")
			return nil
		}
		if resp.StatusCode >= http.StatusBadRequest && resp.StatusCode < http.StatusInternalServerError && strings.Contains(action, "NetworkAcl") {
			return answerUnknownACLAsAWS(resp)
		}
		if resp.StatusCode != http.StatusOK {
			return nil
		}
		if values, ok := resp.Request.Context().Value(valuesKey{}).(url.Values); ok {
			// Only a call the emulator carried out changes what it holds.
			r.icmp.observe(action, values)
		}
		lagging := r.lagsAfter(action)
		answers := r.authorizeAnswers()
		authorizing := answers != nil && strings.HasPrefix(action, "AuthorizeSecurityGroup")
		if action != "DescribeNetworkAcls" && !lagging && !authorizing {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if values, ok := resp.Request.Context().Value(valuesKey{}).(url.Values); ok && authorizing {
			if body, err = answers.complete(resp.Request.Context(), action, values, body); err != nil {
				return err
			}
		}
		if lagging {
			r.startLag(body)
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
		f, latency := r.record(action, isRetry(req), req.UserAgent())
		time.Sleep(latency)
		if f != nil {
			writeError(w, f.status, f.code)
			return
		}
		values, _ := ctx.Value(valuesKey{}).(url.Values)
		if answer, ok := r.repeatOf(string(body)); ok {
			answer.write(w)
			return
		}
		if code, ok := r.lagging(action, values); ok {
			writeError(w, http.StatusBadRequest, code)
			return
		}
		if r.loseReply(action) {
			// The emulator carries the call out; its reply is lost on the
			// way back, and the SDK will send the same request again.
			carried := httptest.NewRecorder()
			proxy.ServeHTTP(carried, req)
			if carried.Code == http.StatusOK {
				r.expectRepeat(action, string(body), carried.Body.Bytes())
			}
			writeError(w, http.StatusInternalServerError, "InternalError")
			return
		}
		proxy.ServeHTTP(w, req)
	})}
	go func() { _ = r.server.Serve(l) }()
	return r, nil
}

// answerUnknownACLAsAWS gives a network ACL call that names an unknown
// ACL the code AWS answers, InvalidNetworkAclID.NotFound: the emulator
// answers InvalidRouteTableID.NotFound (it keeps ACLs beside route tables),
// and the provider knows only AWS's code.
func answerUnknownACLAsAWS(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if bytes.Contains(body, []byte("<Code>InvalidRouteTableID.NotFound</Code>")) {
		awsError(resp, http.StatusBadRequest, "InvalidNetworkAclID.NotFound")
		return nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return nil
}

// awsError turns a reply into an EC2 error reply.
func awsError(resp *http.Response, status int, code string) {
	w := httptest.NewRecorder()
	writeError(w, status, code)
	body := w.Body.Bytes()
	resp.StatusCode, resp.Status = status, http.StatusText(status)
	resp.Header = w.Header().Clone()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
}

func writeError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>injected by the test recorder</Message></Error></Errors><RequestID>injected</RequestID></Response>`, code)
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

// isRetry reports whether the SDK sends the request again after a
// transient error: its amz-sdk-request header reads "attempt=N; max=M".
func isRetry(req *http.Request) bool {
	attempt := req.Header.Get("Amz-Sdk-Request")
	return strings.HasPrefix(attempt, "attempt=") && !strings.HasPrefix(attempt, "attempt=1;") && attempt != "attempt=1"
}

// record counts the call and says which fault, if any, answers it and how
// long to hold it.
func (r *Recorder) record(action string, retry bool, agent string) (*fault, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[action]++
	r.agents[agent] = true
	if retry {
		r.retries[action]++
	}
	r.sequence = append(r.sequence, action)
	if r.buckets != nil && !r.buckets.take(action, time.Now()) {
		r.throttled[action]++
		return &fault{status: http.StatusServiceUnavailable, code: "RequestLimitExceeded"}, r.latency
	}
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

// SetTokenBuckets throttles every action as EC2 rate-limits its API: each
// action has a bucket of capacity tokens, full at first and refilled at
// refill tokens a second; a call that finds its bucket empty is answered
// RequestLimitExceeded (HTTP 503) and takes no token. capacity 0 turns
// throttling off.
func (r *Recorder) SetTokenBuckets(capacity int, refill float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buckets = nil
	if capacity > 0 {
		r.buckets = &tokenBuckets{capacity: float64(capacity), refill: refill, buckets: map[string]*tokenBucket{}}
	}
}

// Throttled returns the calls the token buckets refused since the last
// Reset, by action.
func (r *Recorder) Throttled() Calls {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.throttled)
}

// tokenBuckets are EC2's request rate limits, one bucket per action.
type tokenBuckets struct {
	capacity, refill float64
	buckets          map[string]*tokenBucket
}

type tokenBucket struct {
	tokens float64
	at     time.Time
}

// take spends a token of the action's bucket, if it holds one.
func (b *tokenBuckets) take(action string, now time.Time) bool {
	bucket := b.buckets[action]
	if bucket == nil {
		bucket = &tokenBucket{tokens: b.capacity, at: now}
		b.buckets[action] = bucket
	}
	bucket.tokens = min(b.capacity, bucket.tokens+now.Sub(bucket.at).Seconds()*b.refill)
	bucket.at = now
	if bucket.tokens < 1 {
		return false
	}
	bucket.tokens--
	return true
}

// EmulatorAuthorizeAnswers, on, passes the emulator's answers to
// AuthorizeSecurityGroupIngress and Egress through as they are: the rules
// of the call's last permission only, without the descriptions of rules
// that name a group or a prefix list. By default, and off, the recorder
// answers as AWS does, with every rule the call made, and the emulator
// keeps those descriptions.
func (r *Recorder) EmulatorAuthorizeAnswers(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.authorize = nil
	if !on {
		r.authorize = &authorizeAnswers{emulator: EC2Client(r.target)}
	}
}

func (r *Recorder) authorizeAnswers() *authorizeAnswers {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.authorize
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

// LoseReply makes the next n calls of action take effect in the emulator
// while their replies are lost (the client gets HTTP 500, which the SDK
// retries). The repeat gets what AWS answers a repeated call: see
// repeatCodes.
func (r *Recorder) LoseReply(action string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lost[action] = n
}

// repeatCodes are what AWS answers when a call that took effect comes
// again with the same parameters; the emulator does not always (it
// answers HTTP 500 for some, repeats others). CreateNetworkAcl carries a
// ClientToken, so AWS answers its repeat as it did the first call.
// Calls not listed (ModifySecurityGroupRules, ReplaceNetworkAclEntry,
// CreateTags, DeleteTags) do the same again, and go to the emulator.
var repeatCodes = map[string]string{
	"CreateSecurityGroup":           "InvalidGroup.Duplicate",
	"AuthorizeSecurityGroupIngress": "InvalidPermission.Duplicate",
	"AuthorizeSecurityGroupEgress":  "InvalidPermission.Duplicate",
	"RevokeSecurityGroupIngress":    "InvalidSecurityGroupRuleId.NotFound",
	"RevokeSecurityGroupEgress":     "InvalidSecurityGroupRuleId.NotFound",
	"DeleteSecurityGroup":           "InvalidGroup.NotFound",
	"CreateNetworkAclEntry":         "NetworkAclEntryAlreadyExists",
	"DeleteNetworkAclEntry":         "InvalidNetworkAclEntry.NotFound",
	"ReplaceNetworkAclAssociation":  "InvalidAssociationID.NotFound",
	"DeleteNetworkAcl":              "InvalidNetworkAclID.NotFound",
	"CreateNetworkAcl":              replayReply,
}

// replayReply in repeatCodes answers the repeat with the first reply.
const replayReply = "replay"

// repeatAnswer is what the repeat of a call whose reply was lost gets.
type repeatAnswer struct {
	code  string // an EC2 error code, or empty for the reply below
	reply []byte
}

func (a repeatAnswer) write(w http.ResponseWriter) {
	if a.code != "" {
		writeError(w, http.StatusBadRequest, a.code)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(a.reply)
}

func (r *Recorder) loseReply(action string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lost[action] <= 0 {
		return false
	}
	r.lost[action]--
	return true
}

func (r *Recorder) expectRepeat(action, body string, reply []byte) {
	code, ok := repeatCodes[action]
	if !ok {
		return
	}
	// A revoke by permission names no rule ID: AWS answers its repeat
	// with the permission's not-found code.
	if strings.HasPrefix(action, "Revoke") && !strings.Contains(body, "SecurityGroupRuleId") {
		code = "InvalidPermission.NotFound"
	}
	answer := repeatAnswer{code: code}
	if code == replayReply {
		answer = repeatAnswer{reply: reply}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.repeats[body] = answer
}

// repeatOf returns the answer to a repeated call, once.
func (r *Recorder) repeatOf(body string) (repeatAnswer, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	answer, ok := r.repeats[body]
	delete(r.repeats, body)
	return answer, ok
}

// lag is a new ID EC2 does not know yet everywhere.
type lag struct {
	create string // the action whose reply hands out the ID
	id     string // set once create answered
	// remaining counts, by action, the calls naming the ID still to fail;
	// the key anyAction counts calls of every action.
	remaining map[string]int
}

const anyAction = ""

// Lag makes EC2 slow to know the next ID the create action hands out: the
// first n calls of each of the actions given that name it (the next n
// calls of any action, when none is given) answer its not-found code,
// InvalidGroup.NotFound or InvalidNetworkAclID.NotFound, as AWS does for a
// few seconds after a create.
func (r *Recorder) Lag(create string, n int, actions ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	remaining := map[string]int{}
	if len(actions) == 0 {
		remaining[anyAction] = n
	}
	for _, a := range actions {
		remaining[a] = n
	}
	r.lag = &lag{create: create, remaining: remaining}
}

func (r *Recorder) lagsAfter(action string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lag != nil && r.lag.id == "" && r.lag.create == action
}

var createdID = regexp.MustCompile(`<(?:groupId|networkAclId)>([^<]+)</`)

func (r *Recorder) startLag(reply []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := createdID.FindSubmatch(reply); m != nil && r.lag != nil {
		r.lag.id = string(m[1])
	}
}

// lagging returns the not-found code a call answers while its ID lags.
func (r *Recorder) lagging(action string, values url.Values) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.lag
	if l == nil || l.id == "" {
		return "", false
	}
	key := action
	if _, ok := l.remaining[key]; !ok {
		key = anyAction
	}
	if l.remaining[key] <= 0 {
		return "", false
	}
	for _, vs := range values {
		if slices.Contains(vs, l.id) {
			l.remaining[key]--
			if strings.HasPrefix(l.id, "sg-") {
				return "InvalidGroup.NotFound", true
			}
			return "InvalidNetworkAclID.NotFound", true
		}
	}
	return "", false
}

// Pending names the LoseReply and Lag faults armed but not yet met, so a
// test can tell that the step it meant to hit was taken.
func (r *Recorder) Pending() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for action, n := range r.lost {
		if n > 0 {
			out = append(out, fmt.Sprintf("LoseReply(%s) x%d", action, n))
		}
	}
	if l := r.lag; l != nil {
		for action, n := range l.remaining {
			if action == anyAction {
				action = "any call"
			}
			if n > 0 {
				out = append(out, fmt.Sprintf("Lag(%s, %s) x%d", l.create, action, n))
			}
		}
	}
	slices.Sort(out)
	return out
}

// ClearFaults disarms LoseReply and Lag faults and forgets pending repeats.
func (r *Recorder) ClearFaults() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lost, r.repeats, r.lag = map[string]int{}, map[string]repeatAnswer{}, nil
}

// Reset forgets the counts and the sequence.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = map[string]int{}
	r.retries = map[string]int{}
	r.sequence = nil
	r.agents = map[string]bool{}
	r.throttled = map[string]int{}
}

// FirstAttempts returns the counts by action since the last Reset, less
// the SDK's repeats after transient errors: the calls the provider made.
func (r *Recorder) FirstAttempts() Calls {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := Calls{}
	for action, n := range r.calls {
		if n -= r.retries[action]; n > 0 {
			out[action] = n
		}
	}
	return out
}

// Sequence returns the actions since the last Reset, in the order they
// arrived.
func (r *Recorder) Sequence() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sequence)
}

// UserAgents returns the User-Agent headers of the calls since the last
// Reset, sorted: the provider names itself and its version there.
func (r *Recorder) UserAgents() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.agents))
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
