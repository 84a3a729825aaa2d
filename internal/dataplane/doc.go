// Package dataplane turns what EC2 holds, a security group's rules and a
// subnet's network ACL entries as the AWS SDK returns them, into nftables
// rulesets, so that real daemons and clients in Linux network namespaces
// can show whether a posture lets the intended traffic through and nothing
// else.
//
// The translator reads raw SDK types only. It shares no code with the
// provider's compiler (internal/posture) or its evaluator
// (internal/evaluate), so that the kernel is a second, independent opinion
// on what AWS would do with the same rules. Its test
// (TestAccDataplane, run by `make testdataplane`) applies postures through
// Terraform against moto, reads them back through the SDK, translates them
// and runs traffic through them.
package dataplane
