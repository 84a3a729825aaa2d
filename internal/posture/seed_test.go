package posture_test

import (
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

const seedPrefixList = "pl-63a5400a"

var seedS3CIDRs = []string{"3.5.0.0/19", "52.216.0.0/15", "54.231.0.0/16"}

func seedIntent() posture.Intent {
	return posture.Intent{Profiles: map[string]posture.Peers{
		"management":     {CIDRBlocks: []string{"10.0.1.10/32"}},
		"object_storage": {PrefixListIDs: []string{seedPrefixList}},
	}}
}

func seedACLOptions() posture.ACLOptions {
	return posture.ACLOptions{
		Deny:            []posture.DenyRule{{CIDRBlock: "5.5.5.5/32"}},
		PrefixListCIDRs: map[string][]string{seedPrefixList: seedS3CIDRs},
	}
}

func TestSeedGroupGolden(t *testing.T) {
	rules, err := posture.CompileGroup(seedIntent(), posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []posture.Rule{
		{Direction: "ingress", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRIPv4: "10.0.1.10/32", Description: "ddve management: SSH", Profiles: []string{"management"}},
		{Direction: "ingress", Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRIPv4: "10.0.1.10/32", Description: "ddve management: HTTPS", Profiles: []string{"management"}},
		{Direction: "egress", Protocol: "tcp", FromPort: 443, ToPort: 443, PrefixListID: seedPrefixList, Description: "ddve object_storage: HTTPS to S3", Profiles: []string{"object_storage"}},
	}
	assertRules(t, rules, want)
}

func TestSeedACLGolden(t *testing.T) {
	entries, err := posture.CompileACL(seedIntent(), seedACLOptions())
	if err != nil {
		t.Fatal(err)
	}
	in := func(n int, action, proto, cidr string, from, to int, purpose string) posture.Entry {
		return posture.Entry{RuleNumber: n, Action: action, Protocol: proto, CIDRBlock: cidr, FromPort: from, ToPort: to, Purpose: purpose}
	}
	out := func(n int, action, proto, cidr string, from, to int, purpose string) posture.Entry {
		e := in(n, action, proto, cidr, from, to, purpose)
		e.Egress = true
		return e
	}
	want := []posture.Entry{
		in(10, "deny", "-1", "5.5.5.5/32", 0, 0, "deny[0]"),
		in(1000, "allow", "6", "10.0.1.10/32", 22, 22, "management: SSH"),
		in(1010, "allow", "6", "10.0.1.10/32", 443, 443, "management: HTTPS"),
		in(1020, "allow", "6", "3.5.0.0/19", 1024, 65535, "object_storage: return traffic"),
		in(1030, "allow", "6", "52.216.0.0/15", 1024, 65535, "object_storage: return traffic"),
		in(1040, "allow", "6", "54.231.0.0/16", 1024, 65535, "object_storage: return traffic"),
		out(1000, "allow", "6", "10.0.1.10/32", 1024, 65535, "management: return traffic"),
		out(1010, "allow", "6", "3.5.0.0/19", 443, 443, "object_storage: HTTPS to S3"),
		out(1020, "allow", "6", "52.216.0.0/15", 443, 443, "object_storage: HTTPS to S3"),
		out(1030, "allow", "6", "54.231.0.0/16", 443, 443, "object_storage: HTTPS to S3"),
	}
	assertEntries(t, entries, want)
}

func TestSeedBastionSubnetGolden(t *testing.T) {
	entries, err := posture.CompileACL(posture.Intent{}, posture.ACLOptions{
		Deny:          []posture.DenyRule{{CIDRBlock: "5.5.5.5/32"}},
		DefaultAction: "allow",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []posture.Entry{
		{RuleNumber: 10, Action: "deny", Protocol: "-1", CIDRBlock: "5.5.5.5/32", Purpose: "deny[0]"},
		{RuleNumber: 32000, Action: "allow", Protocol: "-1", CIDRBlock: "0.0.0.0/0", Purpose: "default_action allow"},
		{RuleNumber: 32010, Action: "allow", Protocol: "-1", IPv6CIDRBlock: "::/0", Purpose: "default_action allow"},
		{RuleNumber: 32000, Egress: true, Action: "allow", Protocol: "-1", CIDRBlock: "0.0.0.0/0", Purpose: "default_action allow"},
		{RuleNumber: 32010, Egress: true, Action: "allow", Protocol: "-1", IPv6CIDRBlock: "::/0", Purpose: "default_action allow"},
	}
	assertEntries(t, entries, want)
}

func assertRules(t *testing.T, got, want []posture.Rule) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rules, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Key() != w.Key() || g.Description != w.Description || !equalStrings(g.Profiles, w.Profiles) {
			t.Errorf("rule %d:\n got  %+v\n want %+v", i, g, w)
		}
	}
}

func assertEntries(t *testing.T, got, want []posture.Entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d:\n got  %+v\n want %+v", i, got[i], want[i])
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
