package posture_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

func ptr(n int) *int { return &n }

func TestValidationProblems(t *testing.T) {
	mgmt := func(p posture.Peers) posture.Intent {
		return posture.Intent{Profiles: map[string]posture.Peers{"management": p}}
	}
	cases := []struct {
		name     string
		intent   posture.Intent
		acl      *posture.ACLOptions // nil: compile the security group
		group    posture.GroupOptions
		path     string
		contains string
	}{
		{"unknown profile", posture.Intent{Profiles: map[string]posture.Peers{"ftp": {CIDRBlocks: []string{"10.0.0.0/8"}}}}, nil, posture.GroupOptions{},
			`profiles["ftp"]`, "Valid names: cifs, ddboost, directory"},
		{"misspelled profile", posture.Intent{Profiles: map[string]posture.Peers{"managemnt": {CIDRBlocks: []string{"10.0.0.0/8"}}}}, nil, posture.GroupOptions{},
			`profiles["managemnt"]`, `"managemnt" is not a DDVE port profile. Did you mean "management"? Valid names:`},
		{"misspelled short profile", posture.Intent{Profiles: map[string]posture.Peers{"nsf": {CIDRBlocks: []string{"10.0.0.0/8"}}}}, nil, posture.GroupOptions{},
			`profiles["nsf"]`, `Did you mean "nfs"?`},
		{"no peers", mgmt(posture.Peers{}), nil, posture.GroupOptions{},
			`profiles["management"]`, "names no peer"},
		{"not a CIDR", mgmt(posture.Peers{CIDRBlocks: []string{"10.0.1"}}), nil, posture.GroupOptions{},
			`profiles["management"].cidr_blocks["10.0.1"]`, "not a CIDR block"},
		{"non-canonical", mgmt(posture.Peers{CIDRBlocks: []string{"10.0.1.10/24"}}), nil, posture.GroupOptions{},
			`profiles["management"].cidr_blocks["10.0.1.10/24"]`, "write 10.0.1.0/24 for the network, or 10.0.1.10/32"},
		{"IPv6 spelled out", mgmt(posture.Peers{IPv6CIDRBlocks: []string{"2001:DB8:0::/64"}}), nil, posture.GroupOptions{},
			`profiles["management"].ipv6_cidr_blocks["2001:DB8:0::/64"]`, "write 2001:DB8:0::/64 as 2001:db8::/64"},
		{"IPv6 in IPv4 field", mgmt(posture.Peers{CIDRBlocks: []string{"2001:db8::/64"}}), nil, posture.GroupOptions{},
			`profiles["management"].cidr_blocks["2001:db8::/64"]`, "move it to ipv6_cidr_blocks"},
		{"IPv4 in IPv6 field", mgmt(posture.Peers{IPv6CIDRBlocks: []string{"10.0.0.0/8"}}), nil, posture.GroupOptions{},
			`profiles["management"].ipv6_cidr_blocks["10.0.0.0/8"]`, "move it to cidr_blocks"},
		{"IPv6 in a deny's IPv4 field", posture.Intent{}, &posture.ACLOptions{Deny: []posture.DenyRule{{CIDRBlock: "2001:db8::/64"}}}, posture.GroupOptions{},
			`deny[0].cidr_block`, "2001:db8::/64 is IPv6: move it to ipv6_cidr_block."},
		{"IPv4 in a deny's IPv6 field", posture.Intent{}, &posture.ACLOptions{Deny: []posture.DenyRule{{IPv6CIDRBlock: "10.0.0.0/8"}}}, posture.GroupOptions{},
			`deny[0].ipv6_cidr_block`, "10.0.0.0/8 is IPv4: move it to cidr_block."},
		{"negative port", posture.Intent{CustomRules: []posture.CustomRule{{Direction: "ingress", Protocol: "tcp", FromPort: ptr(-5), ToPort: ptr(22), Peers: posture.Peers{CIDRBlocks: []string{"10.0.9.0/24"}}}}}, nil, posture.GroupOptions{},
			`custom_rules[0]`, "Ports must lie in 0-65535; got from_port -5, to_port 22."},
		{"public ingress", mgmt(posture.Peers{CIDRBlocks: []string{"0.0.0.0/0"}}), nil, posture.GroupOptions{},
			`profiles["management"].cidr_blocks["0.0.0.0/0"]`, "allow_public_ingress = true"},
		{"public IPv6 ingress", mgmt(posture.Peers{IPv6CIDRBlocks: []string{"::/0"}}), nil, posture.GroupOptions{},
			`profiles["management"].ipv6_cidr_blocks["::/0"]`, "allow_public_ingress"},
		{"bad group ID", mgmt(posture.Peers{SecurityGroupIDs: []string{"bastion"}}), nil, posture.GroupOptions{},
			`profiles["management"].security_group_ids["bastion"]`, "sg-0123456789abcdef0"},
		{"group as ACL peer", mgmt(posture.Peers{SecurityGroupIDs: []string{"sg-0123456789abcdef0"}}), &posture.ACLOptions{}, posture.GroupOptions{},
			`profiles["management"].security_group_ids["sg-0123456789abcdef0"]`, "use the CIDR blocks"},
		{"group as ACL peer of a custom rule", posture.Intent{CustomRules: []posture.CustomRule{
			{Direction: "ingress", Protocol: "tcp", FromPort: ptr(8443), ToPort: ptr(8443), Peers: posture.Peers{CIDRBlocks: []string{"10.0.9.0/24"}}},
			{Direction: "ingress", Protocol: "tcp", FromPort: ptr(8444), ToPort: ptr(8444), Peers: posture.Peers{SecurityGroupIDs: []string{"sg-0123456789abcdef0"}}},
		}}, &posture.ACLOptions{}, posture.GroupOptions{},
			`custom_rules[1].security_group_ids["sg-0123456789abcdef0"]`, "use the CIDR blocks"},
		{"internet in halves", mgmt(posture.Peers{CIDRBlocks: []string{"0.0.0.0/1", "128.0.0.0/1"}}), nil, posture.GroupOptions{},
			`profiles["management"]`, "together cover every IPv4 address"},
		{"IPv6 internet in halves through a prefix list", posture.Intent{Profiles: map[string]posture.Peers{"management": {PrefixListIDs: []string{"pl-0123456789abcdef0"}}}},
			&posture.ACLOptions{PrefixListCIDRs: map[string][]string{"pl-0123456789abcdef0": {"::/1", "8000::/1"}}}, posture.GroupOptions{},
			`profiles["management"]`, "together cover every IPv6 address"},
		{"return traffic from the internet in pieces", posture.Intent{Profiles: map[string]posture.Peers{"smtp": {CIDRBlocks: []string{"0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"}}}}, &posture.ACLOptions{}, posture.GroupOptions{},
			`profiles["smtp"]`, "together cover every IPv4 address"},
		{"ICMPv6 towards an IPv4 peer", posture.Intent{CustomRules: []posture.CustomRule{{Direction: "ingress", Protocol: "icmpv6", FromPort: ptr(128), ToPort: ptr(0), Peers: posture.Peers{CIDRBlocks: []string{"10.0.0.0/8"}}}}}, &posture.ACLOptions{}, posture.GroupOptions{},
			`custom_rules[0]`, "would allow every ICMP type and code"},
		{"ICMP towards an IPv6 peer", posture.Intent{CustomRules: []posture.CustomRule{{Direction: "egress", Protocol: "icmp", FromPort: ptr(8), ToPort: ptr(-1), Peers: posture.Peers{IPv6CIDRBlocks: []string{"2001:db8::/64"}}}}}, nil, posture.GroupOptions{},
			`custom_rules[0]`, "use protocol icmpv6"},
		{"ICMP code under every type", posture.Intent{CustomRules: []posture.CustomRule{{Direction: "ingress", Protocol: "icmp", FromPort: ptr(-1), ToPort: ptr(3), Peers: posture.Peers{CIDRBlocks: []string{"10.0.0.0/8"}}}}}, nil, posture.GroupOptions{},
			`custom_rules[0].to_port`, "set to_port to -1"},
		{"public return traffic of an outbound profile", posture.Intent{Profiles: map[string]posture.Peers{"object_storage": {CIDRBlocks: []string{"0.0.0.0/0"}}}}, &posture.ACLOptions{}, posture.GroupOptions{},
			`profiles["object_storage"].cidr_blocks["0.0.0.0/0"]`, "profile object_storage HTTPS to S3 admits it inbound on tcp 1024-2048, 2050, 2053-3008, 3010-65535 as return traffic"},
		{"public return traffic of an outbound custom rule", posture.Intent{CustomRules: []posture.CustomRule{{Direction: "egress", Protocol: "all", Peers: posture.Peers{IPv6CIDRBlocks: []string{"::/0"}}}}}, &posture.ACLOptions{}, posture.GroupOptions{},
			`custom_rules[0].ipv6_cidr_blocks["::/0"]`, "admits it inbound on all protocols as return traffic"},
		{"prefix list resolving to the internet", posture.Intent{Profiles: map[string]posture.Peers{"remote_management": {PrefixListIDs: []string{"pl-0123456789abcdef0"}}}},
			&posture.ACLOptions{PrefixListCIDRs: map[string][]string{"pl-0123456789abcdef0": {"10.0.0.0/8", "::/0"}}}, posture.GroupOptions{},
			`profiles["remote_management"].prefix_list_ids["pl-0123456789abcdef0"]`, "::/0 (prefix list pl-0123456789abcdef0 holds it) would let the whole internet in: profile remote_management REST API admits it inbound on tcp 3009"},
		{"ports reversed", posture.Intent{CustomRules: []posture.CustomRule{{Direction: "ingress", Protocol: "tcp", FromPort: ptr(9000), ToPort: ptr(8000), Peers: posture.Peers{CIDRBlocks: []string{"10.0.0.0/8"}}}}}, nil, posture.GroupOptions{},
			`custom_rules[0]`, "swap them"},
		{"port out of range", posture.Intent{CustomRules: []posture.CustomRule{{Direction: "ingress", Protocol: "udp", FromPort: ptr(1), ToPort: ptr(70000), Peers: posture.Peers{CIDRBlocks: []string{"10.0.0.0/8"}}}}}, nil, posture.GroupOptions{},
			`custom_rules[0]`, "0-65535"},
		{"ports with all", posture.Intent{CustomRules: []posture.CustomRule{{Direction: "egress", Protocol: "all", FromPort: ptr(1), ToPort: ptr(2), Peers: posture.Peers{CIDRBlocks: []string{"10.0.0.0/8"}}}}}, nil, posture.GroupOptions{},
			`custom_rules[0]`, "Protocol all has no ports"},
		{"bad description", posture.Intent{CustomRules: []posture.CustomRule{{Direction: "egress", Protocol: "all", Description: "naïve <agent>", Peers: posture.Peers{CIDRBlocks: []string{"10.0.0.0/8"}}}}}, nil, posture.GroupOptions{},
			`custom_rules[0].description`, "255 characters"},
		{"ephemeral reversed", mgmt(posture.Peers{CIDRBlocks: []string{"10.0.0.0/8"}}), &posture.ACLOptions{EphemeralFrom: 60000, EphemeralTo: 1024}, posture.GroupOptions{},
			`ephemeral_ports`, "swap them"},
		{"deny ports with all", posture.Intent{}, &posture.ACLOptions{Deny: []posture.DenyRule{{CIDRBlock: "5.5.5.5/32", FromPort: ptr(22), ToPort: ptr(22)}}}, posture.GroupOptions{},
			`deny[0]`, "Protocol all has no ports"},
		{"deny non-canonical", posture.Intent{}, &posture.ACLOptions{Deny: []posture.DenyRule{{CIDRBlock: "5.5.5.5/24"}}}, posture.GroupOptions{},
			`deny[0].cidr_block`, "write 5.5.5.0/24"},
		{"group quota", mgmt(posture.Peers{CIDRBlocks: hosts(31)}), nil, posture.GroupOptions{},
			`profiles["management"]`, "needs 62 IPv4 ingress rule slots, over the quota of 60: 62 from IPv4 CIDR rules. The quota is passed at ingress tcp 443-443 10.0.0.8/32 (management)"},
		{"group quota counts references in both families", posture.Intent{Profiles: map[string]posture.Peers{"remote_management": {IPv6CIDRBlocks: ipv6Hosts(40), SecurityGroupIDs: groupIDs(25)}}}, nil, posture.GroupOptions{},
			`profiles["remote_management"]`, "needs 65 IPv6 ingress rule slots, over the quota of 60: 40 from IPv6 CIDR rules, 25 from security group references (each counts for IPv4 and IPv6)"},
		{"group quota counts AWS-managed lists in both families", posture.Intent{Profiles: map[string]posture.Peers{"remote_management": {IPv6CIDRBlocks: ipv6Hosts(40), PrefixListIDs: []string{"pl-0123456789abcdef0"}}}}, nil,
			posture.GroupOptions{PrefixLists: map[string]posture.PrefixListWeight{"pl-0123456789abcdef0": {Weight: 25, Family: "IPv4", AWSManaged: true}}},
			`profiles["remote_management"]`, "needs 65 IPv6 ingress rule slots"},
		{"group quota with prefix list weight", posture.Intent{Profiles: map[string]posture.Peers{"object_storage": {PrefixListIDs: []string{"pl-0123456789abcdef0"}}}}, nil,
			posture.GroupOptions{PrefixLists: map[string]posture.PrefixListWeight{"pl-0123456789abcdef0": {Weight: 61, Family: "IPv4"}}},
			`profiles["object_storage"]`, "needs 61 IPv4 egress rule slots"},
		{"ACL quota", mgmt(posture.Peers{CIDRBlocks: hosts(10)}), &posture.ACLOptions{}, posture.GroupOptions{},
			`entries_per_direction_quota`, "needs 20 IPv4 ingress entries plus the built-in deny-all, 21 in all, over the quota of 20. The quota is passed at ingress #1190 allow proto 6 10.0.0.10/32 443-443 (management: HTTPS)"},
		{"deny band full", posture.Intent{}, &posture.ACLOptions{Deny: denies(1000), EntriesPerDirectionQuota: 2000}, posture.GroupOptions{},
			`deny`, "need more numbers than 1-899 holds"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.acl != nil {
				_, err = posture.CompileACL(tc.intent, *tc.acl)
			} else {
				_, err = posture.CompileGroup(tc.intent, tc.group)
			}
			var problems posture.Problems
			if !errors.As(err, &problems) {
				t.Fatalf("want problems, got %v", err)
			}
			for _, p := range problems {
				if p.Path.String() == tc.path && strings.Contains(p.Detail, tc.contains) {
					return
				}
			}
			t.Fatalf("no problem at %s containing %q in:\n%v", tc.path, tc.contains, err)
		})
	}
}

func TestPublicIngressOptIn(t *testing.T) {
	intent := posture.Intent{
		Profiles:           map[string]posture.Peers{"management": {CIDRBlocks: []string{"0.0.0.0/0"}}},
		AllowPublicIngress: true,
	}
	if _, err := posture.CompileGroup(intent, posture.GroupOptions{}); err != nil {
		t.Fatal(err)
	}
	// Outbound-only profiles may reach the whole internet from a stateful
	// group without opting in.
	outbound := posture.Intent{Profiles: map[string]posture.Peers{"object_storage": {CIDRBlocks: []string{"0.0.0.0/0"}}}}
	if _, err := posture.CompileGroup(outbound, posture.GroupOptions{}); err != nil {
		t.Fatal(err)
	}
	// In an ACL their return entry admits the internet: opting in allows it.
	outbound.AllowPublicIngress = true
	if _, err := posture.CompileACL(outbound, posture.ACLOptions{}); err != nil {
		t.Fatal(err)
	}
	// A one-way flow has no return entry, so nothing public comes in.
	syslog := posture.Intent{Profiles: map[string]posture.Peers{"syslog": {CIDRBlocks: []string{"0.0.0.0/0"}}}}
	if _, err := posture.CompileACL(syslog, posture.ACLOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestAllProblemsReportedTogether(t *testing.T) {
	intent := posture.Intent{Profiles: map[string]posture.Peers{
		"ftp":        {CIDRBlocks: []string{"10.0.0.0/8"}},
		"management": {CIDRBlocks: []string{"10.0.1.10/24"}},
	}}
	_, err := posture.CompileGroup(intent, posture.GroupOptions{})
	var problems posture.Problems
	if !errors.As(err, &problems) || len(problems) != 2 {
		t.Fatalf("want 2 problems, got %v", err)
	}
}

func hosts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("10.0.%d.%d/32", i/250, i%250+1)
	}
	return out
}

func ipv6Hosts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("2001:db8::%x/128", i+1)
	}
	return out
}

func groupIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("sg-%017x", i+1)
	}
	return out
}

func denies(n int) []posture.DenyRule {
	out := make([]posture.DenyRule, n)
	for i := range out {
		out[i] = posture.DenyRule{CIDRBlock: fmt.Sprintf("5.%d.%d.0/24", i/250, i%250)}
	}
	return out
}

// A block typed in one profile and resolved from a prefix list in another
// is one peer: its return ranges merge into one entry.
func TestReturnRangesMergePerBlock(t *testing.T) {
	intent := posture.Intent{Profiles: map[string]posture.Peers{
		"management": {CIDRBlocks: []string{"10.0.2.0/24"}},
		"nfs":        {PrefixListIDs: []string{"pl-0123456789abcdef0"}},
	}}
	entries, err := posture.CompileACL(intent, posture.ACLOptions{PrefixListCIDRs: map[string][]string{"pl-0123456789abcdef0": {"10.0.2.0/24"}}})
	if err != nil {
		t.Fatal(err)
	}
	var returns []string
	for _, e := range entries {
		if e.Egress && e.Protocol == "6" {
			returns = append(returns, e.String())
		}
	}
	if len(returns) != 1 || !strings.Contains(returns[0], "512-65535") {
		t.Fatalf("want one TCP return entry 512-65535, got %v", returns)
	}
}
