package awsclient

import (
	"context"
	"testing"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// Each action is paced on its own, and every caller of one action shares
// its pace; a throttled call waits at most throttleBackoff before the
// pace takes over.
func TestPacedRetryerKeepsOnePacePerAction(t *testing.T) {
	p := newPacedRetryer(func(o *retry.StandardOptions) { o.MaxAttempts = 26 })
	entry := awsmiddleware.SetOperationName(context.Background(), "CreateNetworkAclEntry")
	describe := awsmiddleware.SetOperationName(context.Background(), "DescribeNetworkAcls")
	first, again := p.mode(entry), p.mode(awsmiddleware.SetOperationName(context.Background(), "CreateNetworkAclEntry"))
	if first != again || first == p.mode(describe) {
		t.Error("want one adaptive mode per action, shared by its callers")
	}
	if p.MaxAttempts() != 26 {
		t.Errorf("max attempts %d, want 26", p.MaxAttempts())
	}
	throttled := &smithy.GenericAPIError{Code: "RequestLimitExceeded"}
	for attempt := 1; attempt <= 25; attempt++ {
		if d, err := p.RetryDelay(attempt, throttled); err != nil || d > throttleBackoff {
			t.Fatalf("attempt %d: %v, %v; want at most %v", attempt, d, err, throttleBackoff)
		}
	}
	if !p.IsErrorRetryable(throttled) {
		t.Error("a throttled call is not retried")
	}
}
