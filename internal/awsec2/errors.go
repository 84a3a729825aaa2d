// Package awsec2 is the provider's EC2 layer: finders that turn AWS's
// not-found codes into one error, waiters and retries around eventual
// consistency, and the mutations the resources need, each with as few calls
// as EC2 allows. It speaks posture's types, so the resources stay adapters.
package awsec2

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/aws/smithy-go"
)

// EC2 error codes the layer reacts to.
const (
	codeGroupNotFound        = "InvalidGroup.NotFound"
	codeGroupIDNotFound      = "InvalidGroupId.NotFound"
	codeDependencyViolation  = "DependencyViolation"
	codeACLNotFound          = "InvalidNetworkAclID.NotFound"
	codeACLNotFoundEmulator  = "InvalidRouteTableID.NotFound" // the emulator's code for an unknown ACL
	codeEntryAlreadyExists   = "NetworkAclEntryAlreadyExists"
	codeRuleNotFound         = "InvalidSecurityGroupRuleId.NotFound"
	codePermissionNotFound   = "InvalidPermission.NotFound"
	codeAssociationNotFound  = "InvalidAssociationID.NotFound"
	codePrefixListNotFound   = "InvalidPrefixListID.NotFound"
	codePrefixListIDNotFound = "InvalidPrefixListId.NotFound"
	codeSubnetNotFound       = "InvalidSubnetID.NotFound"
)

// ErrNotFound is returned by every finder when the thing does not exist.
var ErrNotFound = errors.New("not found")

// IsNotFound reports whether err means the thing is gone.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

func hasCode(err error, codes ...string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && slices.Contains(codes, apiErr.ErrorCode())
}

// notFound turns AWS's not-found codes into ErrNotFound, keeping the cause.
func notFound(err error, codes ...string) error {
	if hasCode(err, codes...) {
		return errors.Join(ErrNotFound, err)
	}
	return err
}

// Pauses between tries of retryWhen: eventual consistency usually clears
// within a second, a dependency going away can take minutes.
const (
	firstRetryDelay = 500 * time.Millisecond
	maxRetryDelay   = 5 * time.Second
)

// retryWhen calls fn until it succeeds, fails with another error, or the
// timeout passes, doubling the pause up to maxRetryDelay. It is for errors
// that eventual consistency or a dependency going away will clear;
// throttling is the SDK retryer's job.
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

func whenCode(codes ...string) func(error) bool {
	return func(err error) bool { return hasCode(err, codes...) }
}
