package evaluate_test

import (
	"maps"
	"net/netip"
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// A hand-made posture whose layers disagree: the group admits SSH from a
// whole /24 and NFS from a host, the ACL passes SSH from one host of it
// and forgets NFS's answers.
func TestCheckLayersFindsMismatches(t *testing.T) {
	group := evaluate.Group{Rules: []posture.Rule{
		{Direction: "ingress", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRIPv4: "10.0.1.0/24"},
		{Direction: "ingress", Protocol: "tcp", FromPort: 2049, ToPort: 2049, CIDRIPv4: "10.0.2.5/32"},
	}}
	acl := evaluate.ACL{Entries: []posture.Entry{
		{RuleNumber: 100, Action: "allow", Protocol: "6", CIDRBlock: "10.0.1.10/32", FromPort: 22, ToPort: 22},
		{RuleNumber: 110, Action: "allow", Protocol: "6", CIDRBlock: "10.0.2.5/32", FromPort: 2049, ToPort: 2049},
		{RuleNumber: 100, Egress: true, Action: "allow", Protocol: "6", CIDRBlock: "10.0.1.10/32", FromPort: 1024, ToPort: 65535},
	}}
	c := evaluate.CheckLayers(group, acl, evaluate.LayerOptions{Ephemeral: evaluate.PortRange{From: 1024, To: 65535}})
	var requests, returns []string
	for _, m := range c.Mismatches {
		line := m.Direction + " " + m.Protocol + " " + m.CIDR.String() + " " + m.Ports
		if m.Kind == "request" {
			requests = append(requests, line)
		} else {
			returns = append(returns, line)
		}
	}
	// The group admits SSH from 10.0.1.0/24, the ACL from 10.0.1.10 alone.
	// The /24 less one host is one block at each prefix length below /24,
	// the sibling of the half that holds 10.0.1.10: /25 to /32, 8 blocks
	// (10.0.1.128/25, .64/26, .32/27, .16/28, .0/29, .12/30, .8/31,
	// .11/32), the lowest address first.
	if len(requests) != 8 || !strings.HasPrefix(requests[0], "ingress tcp 10.0.1.0/29 22") {
		t.Errorf("request mismatches: %v", requests)
	}
	if len(returns) != 1 || returns[0] != "egress tcp 10.0.2.5/32 1024-65535" {
		t.Errorf("return mismatches: %v", returns)
	}
	both := 0
	for _, r := range c.ExposureRows() {
		if r.Layer == evaluate.LayerBoth {
			both++
		}
	}
	if both != 2 {
		t.Errorf("want SSH from 10.0.1.10 and NFS from 10.0.2.5 through both layers, got %d rows:\n%s", both, c.Table())
	}
	if table := c.Table(); !strings.Contains(table, "admits tcp 22 from 10.0.1.0/24 except 10.0.1.10/32, which the network ACL drops (8 rows)") ||
		!strings.Contains(table, "admits requests whose answers, tcp 1024-65535 to 10.0.2.5/32, the network ACL drops") {
		t.Errorf("the table does not explain the lost answers:\n%s", table)
	}
}

// A posture the provider compiled has no mismatch.
func TestCheckLayersCompiledSeed(t *testing.T) {
	rules, err := posture.CompileGroup(aclIntent(), posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := posture.CompileACL(aclIntent(), seedACLOptions())
	if err != nil {
		t.Fatal(err)
	}
	c := evaluate.CheckLayers(evaluate.Group{Rules: rules, Resolver: resolver()}, evaluate.ACL{Entries: entries}, evaluate.LayerOptions{Ephemeral: evaluate.PortRange{From: 1024, To: 65535}})
	if len(c.Mismatches) != 0 {
		t.Fatalf("mismatches in a compiled posture:\n%s", c.Table())
	}
}

func mismatchKinds(c evaluate.LayerCheck) map[string]int {
	kinds := map[string]int{}
	for _, m := range c.Mismatches {
		kinds[m.Kind+" "+m.Direction+" "+m.Protocol]++
	}
	return kinds
}

// Answers of every protocol are checked, one-way services expect none,
// traffic only the ACL passes is reported, DDVE's own subnet is left out.
func TestCheckLayersEveryKindOfAnswer(t *testing.T) {
	ephemeral := evaluate.PortRange{From: 1024, To: 65535}
	group := evaluate.Group{Rules: []posture.Rule{
		{Direction: "ingress", Protocol: "icmp", FromPort: 8, ToPort: -1, CIDRIPv4: "10.0.1.0/24"},
		{Direction: "egress", Protocol: "47", FromPort: -1, ToPort: -1, CIDRIPv4: "10.0.2.0/24"},
		{Direction: "egress", Protocol: "udp", FromPort: 514, ToPort: 514, CIDRIPv4: "10.0.7.0/24"},
		{Direction: "ingress", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRIPv4: "10.0.1.10/32"},
		{Direction: "ingress", Protocol: "tcp", FromPort: 2049, ToPort: 2049, CIDRIPv4: "10.0.9.0/24"},
	}}
	acl := evaluate.ACL{Entries: []posture.Entry{
		{RuleNumber: 100, Action: "allow", Protocol: "1", CIDRBlock: "10.0.1.0/24", ICMPType: 8, ICMPCode: -1},
		{RuleNumber: 110, Action: "allow", Protocol: "6", CIDRBlock: "0.0.0.0/0", FromPort: 22, ToPort: 22},
		{RuleNumber: 100, Egress: true, Action: "allow", Protocol: "47", CIDRBlock: "10.0.2.0/24"},
		{RuleNumber: 110, Egress: true, Action: "allow", Protocol: "17", CIDRBlock: "10.0.7.0/24", FromPort: 514, ToPort: 514},
		{RuleNumber: 120, Egress: true, Action: "allow", Protocol: "6", CIDRBlock: "10.0.1.10/32", FromPort: 1024, ToPort: 65535},
	}}
	c := evaluate.CheckLayers(group, acl, evaluate.LayerOptions{
		Ephemeral: ephemeral,
		Services:  []posture.ServiceReply{{Inbound: false, Protocol: 17, From: 514, To: 514, Replies: catalog.Replies{OneWay: true}}},
		Local:     []netip.Prefix{netip.MustParsePrefix("10.0.9.0/24")},
	})
	// Syslog is one-way, so its missing answers are none; NFS comes from
	// DDVE's own subnet, which the ACL never sees, so it is no mismatch.
	want := map[string]int{
		// The echo requests from 10.0.1.0/24 get no echo reply (type 0)
		// back out: one block, one type.
		"return traffic egress icmp": 1,
		// GRE out to 10.0.2.0/24 gets no GRE back in: one block.
		"return traffic ingress 47": 1,
		// The ACL passes SSH from 0.0.0.0/0; the group admits it from
		// 10.0.1.10 alone, and DDVE's subnet 10.0.9.0/24 is left out. The
		// two holes share 10.0.0.0/20 and part at /21 (10.0.1.10 lies in
		// 10.0.0.0/21, 10.0.9.0/24 in 10.0.8.0/21). What is left is one
		// block at each prefix length /1 to /20 beside the shared path
		// (20), one at each of /22 to /32 beside 10.0.1.10 inside its /21
		// (11), and one at each of /22 to /24 beside 10.0.9.0/24 inside
		// its /21 (3): 34 blocks, each its own row.
		"network ACL only ingress tcp": 34,
	}
	if got := mismatchKinds(c); !maps.Equal(got, want) {
		t.Errorf("mismatches by kind: %v\nwant %v\n%s", got, want, c.Table())
	}
}
