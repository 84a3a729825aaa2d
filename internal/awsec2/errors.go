// Package awsec2 is the provider's EC2 layer: finders that turn AWS's
// not-found codes into one error, waiters and retries around eventual
// consistency and repeated calls, and the mutations the resources need,
// each with as few calls as EC2 allows. It speaks posture's types, so the
// resources stay adapters.
package awsec2

import (
	"errors"
	"slices"

	"github.com/aws/smithy-go"
)

// EC2 error codes the layer reacts to.
const (
	codeGroupNotFound        = "InvalidGroup.NotFound"
	codeGroupIDNotFound      = "InvalidGroupId.NotFound"
	codeGroupDuplicate       = "InvalidGroup.Duplicate"
	codeGroupInUse           = "InvalidGroup.InUse"
	codeDependencyViolation  = "DependencyViolation"
	codeRuleNotFound         = "InvalidSecurityGroupRuleId.NotFound"
	codePermissionNotFound   = "InvalidPermission.NotFound"
	codePermissionDuplicate  = "InvalidPermission.Duplicate"
	codeRulesLimitExceeded   = "RulesPerSecurityGroupLimitExceeded"
	codeACLNotFound          = "InvalidNetworkAclID.NotFound"
	codeEntryAlreadyExists   = "NetworkAclEntryAlreadyExists"
	codeEntryNotFound        = "InvalidNetworkAclEntry.NotFound"
	codeEntryLimitExceeded   = "NetworkAclEntryLimitExceeded"
	codeAssociationNotFound  = "InvalidAssociationID.NotFound"
	codePrefixListNotFound   = "InvalidPrefixListID.NotFound"
	codePrefixListIDNotFound = "InvalidPrefixListId.NotFound"
	codeSubnetNotFound       = "InvalidSubnetID.NotFound"
	codeVPCNotFound          = "InvalidVpcID.NotFound"
)

// The not-found codes of each kind of ID, as EC2 answers a call that names
// one it does not know (yet).
var (
	groupNotFoundCodes = []string{codeGroupNotFound, codeGroupIDNotFound}
	aclNotFoundCodes   = []string{codeACLNotFound}
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
