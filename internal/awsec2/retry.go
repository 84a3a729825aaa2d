package awsec2

import (
	"context"
	"time"
)

// Throttling, 5xx answers, resets and timeouts are the SDK retryer's job.
// What it cannot know is left here: codes that eventual consistency or a
// dependency going away will clear, and calls repeated by the retryer after
// AWS had already carried them out.
//
// The helpers go by two names: a retry... function repeats a call while
// its error says "not yet" (retryWhile, retryWhileNotFound); a
// waitFor... function reads AWS until it lists a state (waitForGroupRules,
// waitForNetworkACL, waitForGroupGone), so a caller can tell from the
// name whether it makes a change or only waits to see one.

// propagationTimeout bounds the wait for something just created or
// changed to be visible to the calls that name it.
const propagationTimeout = 2 * time.Minute

// Pauses between tries of retryWhile: eventual consistency usually clears
// within a second, a dependency going away can take minutes.
const (
	firstRetryDelay = 500 * time.Millisecond
	maxRetryDelay   = 5 * time.Second
)

// retryWhile calls fn until it succeeds, fails with an error retryable does
// not accept, or the timeout passes, doubling the pause up to
// maxRetryDelay. It returns fn's last error.
func retryWhile(ctx context.Context, timeout time.Duration, retryable func(error) bool, fn func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	delay := firstRetryDelay
	for {
		err := fn()
		if err == nil || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, maxRetryDelay)
	}
}

// anyOfCodes accepts errors with one of the EC2 codes.
func anyOfCodes(codes ...string) func(error) bool {
	return func(err error) bool { return hasCode(err, codes...) }
}

// retryWhileNotFound retries fn while EC2 answers one of the not-found
// codes of an ID it has just handed out: right after a create, calls
// naming the new ID can fail for seconds.
func retryWhileNotFound(ctx context.Context, notFoundCodes []string, fn func() error) error {
	return retryWhile(ctx, propagationTimeout, anyOfCodes(notFoundCodes...), fn)
}
