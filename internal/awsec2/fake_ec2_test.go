package awsec2_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// fakeEC2 answers EC2 calls from a script, as AWS answers them where the
// emulator does not: each action takes its answers in order, and the
// last one repeats.
type fakeEC2 struct {
	t       *testing.T
	mu      sync.Mutex
	answers map[string][]func(url.Values) answer
	calls   []url.Values
}

// answer is an EC2 reply: an error code (HTTP 400), or the inner XML of
// a successful reply.
type answer struct {
	code string
	body string
}

func fails(code string) func(url.Values) answer {
	return func(url.Values) answer { return answer{code: code} }
}

func replies(body string) func(url.Values) answer {
	return func(url.Values) answer { return answer{body: body} }
}

// newFakeEC2 returns the fake and an SDK client that talks to it, trying
// each call once: the SDK's own retries are not under test here.
func newFakeEC2(t *testing.T, script map[string][]func(url.Values) answer) (*fakeEC2, *ec2.Client) {
	f := &fakeEC2{t: t, answers: script}
	server := httptest.NewServer(f)
	t.Cleanup(server.Close)
	client := ec2.New(ec2.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(server.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
	return f, client
}

func (f *fakeEC2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		f.t.Error(err)
	}
	action := r.Form.Get("Action")
	f.mu.Lock()
	f.calls = append(f.calls, r.Form)
	queue := f.answers[action]
	if len(queue) == 0 {
		f.mu.Unlock()
		f.t.Errorf("unscripted call %s %v", action, r.Form)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	next := queue[0]
	if len(queue) > 1 {
		f.answers[action] = queue[1:]
	}
	f.mu.Unlock()
	a := next(r.Form)
	w.Header().Set("Content-Type", "text/xml")
	if a.code != "" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<Response><Errors><Error><Code>%s</Code><Message>scripted</Message></Error></Errors><RequestID>r</RequestID></Response>`, a.code)
		return
	}
	fmt.Fprintf(w, `<%sResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>%s</%sResponse>`, action, a.body, action)
}

// callsOf returns the parameters of each call of the action, in order.
func (f *fakeEC2) callsOf(action string) []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []url.Values
	for _, c := range f.calls {
		if c.Get("Action") == action {
			out = append(out, c)
		}
	}
	return out
}
