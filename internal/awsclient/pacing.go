package awsclient

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// pacedRetryer is the SDK's adaptive retry mode kept per EC2 action, and
// shared by every resource of the provider process, since they share the
// client: EC2 rate-limits each action (or group of actions) with a token
// bucket of its own, so the first RequestLimitExceeded of an action makes
// that action's calls wait for a rate the SDK measures, instead of every
// caller retrying on its own backoff and spending attempts on an empty
// bucket. Actions that are not throttled are never slowed. Retries,
// their number and their backoff are the standard retryer's.
type pacedRetryer struct {
	newMode func() *retry.AdaptiveMode
	base    *retry.AdaptiveMode // for what does not depend on the action
	// throttleJitter is the backoff of a throttled call.
	throttleJitter *retry.ExponentialJitterBackoff

	mu    sync.Mutex
	modes map[string]*retry.AdaptiveMode
}

var _ aws.RetryerV2 = (*pacedRetryer)(nil)

func newPacedRetryer(standard func(*retry.StandardOptions)) *pacedRetryer {
	newMode := func() *retry.AdaptiveMode {
		return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.StandardOptions = append(o.StandardOptions, standard)
		})
	}
	return &pacedRetryer{newMode: newMode, base: newMode(), modes: map[string]*retry.AdaptiveMode{},
		throttleJitter: retry.NewExponentialJitterBackoff(throttleBackoff)}
}

// mode is the action's adaptive mode, made on its first call.
func (p *pacedRetryer) mode(ctx context.Context) *retry.AdaptiveMode {
	action := awsmiddleware.GetOperationName(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.modes[action]
	if m == nil {
		m = p.newMode()
		p.modes[action] = m
	}
	return m
}

func (p *pacedRetryer) IsErrorRetryable(err error) bool { return p.base.IsErrorRetryable(err) }

func (p *pacedRetryer) MaxAttempts() int { return p.base.MaxAttempts() }

// throttleBackoff caps the pause before a throttled call is tried again:
// the action's adaptive rate spaces the calls from then on, and a long
// backoff on top of it would leave the tokens EC2 refills unused.
const throttleBackoff = time.Second

var throttles = retry.IsErrorThrottles(retry.DefaultThrottles)

func (p *pacedRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	if throttles.IsErrorThrottle(err).Bool() {
		return p.throttleJitter.BackoffDelay(attempt, err)
	}
	return p.base.RetryDelay(attempt, err)
}

func (p *pacedRetryer) GetRetryToken(ctx context.Context, err error) (func(error) error, error) {
	return p.mode(ctx).GetRetryToken(ctx, err)
}

// GetInitialToken is the Retryer interface's; the SDK calls
// GetAttemptToken, as adaptive mode does, which takes no initial token.
func (p *pacedRetryer) GetInitialToken() func(error) error { return func(error) error { return nil } }

func (p *pacedRetryer) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	return p.mode(ctx).GetAttemptToken(ctx)
}
