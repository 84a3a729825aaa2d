package evaluate_test

import (
	"fmt"
	"net/netip"

	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// An ACL that denies SSH from everywhere, then allows all of 10.0.0.0/8 and
// echo requests from anywhere: its ingress exposure, as a table.
func ExampleACLExposure() {
	acl := evaluate.ACL{Entries: []posture.Entry{
		{RuleNumber: 10, Action: posture.Deny, Protocol: "6", CIDRBlock: "0.0.0.0/0", FromPort: 22, ToPort: 22},
		{RuleNumber: 20, Action: posture.Allow, Protocol: "-1", CIDRBlock: "10.0.0.0/8"},
		{RuleNumber: 30, Action: posture.Allow, Protocol: "1", CIDRBlock: "0.0.0.0/0", ICMPType: 8, ICMPCode: -1},
	}}
	x := evaluate.ACLExposure(acl)
	fmt.Println(x.Ingress)
	fmt.Println(x.Egress.IsEmpty())
	// Output:
	// all but icmp,tcp  ipv4  10.0.0.0/8                                                                              *
	// icmp              ipv4  0.0.0.0/5 8.0.0.0/7 11.0.0.0/8 12.0.0.0/6 16.0.0.0/4 32.0.0.0/3 64.0.0.0/2 128.0.0.0/1  type 8
	// icmp              ipv4  10.0.0.0/8                                                                              all types
	// tcp               ipv4  10.0.0.0/8                                                                              0-21,23-65535
	// true
}

// Box and the set operations: what the requests of a flow leave open.
func ExampleSpace_Subtract() {
	peers := evaluate.Box(6, netip.MustParsePrefix("10.0.2.0/24"), 2049, 2052)
	denied := evaluate.Box(-1, netip.MustParsePrefix("10.0.2.128/25"), -1, -1)
	open := peers.Subtract(denied)
	fmt.Println(open)
	fmt.Println(open.Contains(6, netip.MustParseAddr("10.0.2.7"), 2049), open.Contains(6, netip.MustParseAddr("10.0.2.200"), 2049))
	// Output:
	// tcp  ipv4  10.0.2.0/25  2049-2052
	// true false
}
