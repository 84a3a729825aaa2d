package awsclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsclient"
)

// isolate keeps the test away from the machine's AWS configuration and
// the instance metadata service.
func isolate(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "",
		"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "",
		"AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_EC2": "",
	} {
		t.Setenv(k, v)
	}
}

func TestNoRegion(t *testing.T) {
	isolate(t)
	_, err := awsclient.New(context.Background(), awsclient.Settings{MaxRetries: -1})
	if !errors.Is(err, awsclient.ErrNoRegion) {
		t.Fatalf("want ErrNoRegion, got %v", err)
	}
}

func TestNoCredentials(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	_, err := awsclient.New(context.Background(), awsclient.Settings{Region: "us-east-1", MaxRetries: -1})
	if err == nil || !strings.Contains(err.Error(), "no usable AWS credentials") {
		t.Fatalf("want a credentials error, got %v", err)
	}
}

// TestUserAgentAndRetries talks to a loopback server that throttles every
// call: the client names the provider in its User-Agent, never sends the
// secret key, and tries max_retries + 1 times.
func TestUserAgentAndRetries(t *testing.T) {
	isolate(t)
	var attempts atomic.Int32
	var userAgent, authorization atomic.Value
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		userAgent.Store(r.Header.Get("User-Agent"))
		authorization.Store(r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message></Error></Errors></Response>`))
	}))
	defer server.Close()

	client, err := awsclient.New(context.Background(), awsclient.Settings{
		Region: "us-east-1", EC2Endpoint: server.URL, MaxRetries: 1,
		UserAgentName: "terraform-provider-ddve", UserAgentVersion: "1.2.3",
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.EC2.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{})
	if err == nil || !strings.Contains(err.Error(), "RequestLimitExceeded") {
		t.Fatalf("want the throttling error after retries, got %v", err)
	}
	if got := attempts.Load(); got != 2 {
		t.Errorf("%d attempts, want 2 (max_retries 1)", got)
	}
	if ua, _ := userAgent.Load().(string); !strings.Contains(ua, "terraform-provider-ddve/1.2.3") {
		t.Errorf("User-Agent %q does not name the provider", ua)
	}
	if auth, _ := authorization.Load().(string); strings.Contains(auth, "secret") || !strings.Contains(auth, "AKIDEXAMPLE") {
		t.Errorf("Authorization header %q: want the key ID signed, never the secret", auth)
	}
}

// TestEndpointFromEnvironment: AWS_ENDPOINT_URL_EC2 points the client at
// another endpoint, as the provider's endpoints.ec2 does.
func TestEndpointFromEnvironment(t *testing.T) {
	isolate(t)
	var hits atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><securityGroupInfo/></DescribeSecurityGroupsResponse>`))
	}))
	defer server.Close()
	t.Setenv("AWS_ENDPOINT_URL_EC2", server.URL)
	client, err := awsclient.New(context.Background(), awsclient.Settings{Region: "us-east-1", MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.EC2.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{}); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 1 {
		t.Fatalf("the endpoint from AWS_ENDPOINT_URL_EC2 got %d calls, want 1", hits.Load())
	}
}

// TestMaxAttemptsFromEnvironment: without max_retries, AWS_MAX_ATTEMPTS
// says how often a call is tried; max_retries wins over it.
func TestMaxAttemptsFromEnvironment(t *testing.T) {
	isolate(t)
	var attempts atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		attempts.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message></Error></Errors></Response>`))
	}))
	defer server.Close()
	t.Setenv("AWS_MAX_ATTEMPTS", "3")
	for _, c := range []struct {
		maxRetries int
		want       int32
	}{{-1, 3}, {0, 1}} {
		attempts.Store(0)
		client, err := awsclient.New(context.Background(), awsclient.Settings{Region: "us-east-1", EC2Endpoint: server.URL, MaxRetries: c.maxRetries})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.EC2.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{}); err == nil {
			t.Fatal("want the throttling error")
		}
		if got := attempts.Load(); got != c.want {
			t.Errorf("max_retries %d with AWS_MAX_ATTEMPTS=3: %d attempts, want %d", c.maxRetries, got, c.want)
		}
	}
}
