package awsec2

import (
	"context"
	"time"
)

// Throttling, 5xx answers, resets and timeouts are the SDK retryer's job.
// What it cannot know is left here: codes that eventual consistency or a
// dependency going away will clear, and calls repeated by the retryer after
// AWS had already carried them out.

// propagationTimeout bounds the wait for something just created or
// changed to be visible to the calls that name it.
const propagationTimeout = 2 * time.Minute

// Pauses between tries of retryWhen: eventual consistency usually clears
// within a second, a dependency going away can take minutes.
const (
	firstRetryDelay = 500 * time.Millisecond
	maxRetryDelay   = 5 * time.Second
)

// retryWhen calls fn until it succeeds, fails with an error retryable does
// not accept, or the timeout passes, doubling the pause up to
// maxRetryDelay. It returns fn's last error.
func retryWhen(ctx context.Context, timeout time.Duration, retryable func(error) bool, fn func() error) error {
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

// whenCode accepts errors with one of the EC2 codes.
func whenCode(codes ...string) func(error) bool {
	return func(err error) bool { return hasCode(err, codes...) }
}

// whileNew retries fn while EC2 answers one of the not-found codes of an
// ID it has just handed out: right after a create, calls naming the new ID
// can fail for seconds.
func whileNew(ctx context.Context, notFoundCodes []string, fn func() error) error {
	return retryWhen(ctx, propagationTimeout, whenCode(notFoundCodes...), fn)
}
