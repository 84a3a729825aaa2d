package evaluate_test

import (
	"net/netip"

	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
)

// The peers this package's tests name beside CIDR blocks: the S3 prefix
// list and a security group with one member. The compiler's oracle tests
// in posture draw from a wider pool.
const (
	listS3    = "pl-0123456789abcdef0"
	peerGroup = "sg-0123456789abcdef0"
)

var prefixLists = map[string][]string{listS3: {"3.5.0.0/19", "52.216.0.0/15"}}

// resolver resolves the S3 list and the group as AWS would.
func resolver() evaluate.Resolver {
	return evaluate.Resolver{
		GroupMembers: map[string][]netip.Addr{peerGroup: {netip.MustParseAddr("10.3.3.3")}},
		PrefixLists:  map[string][]netip.Prefix{listS3: {netip.MustParsePrefix("3.5.0.0/19"), netip.MustParsePrefix("52.216.0.0/15")}},
	}
}
