package posture_test

import (
	"strings"
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
		// The answers to DDVE's own connections come back to 1024-65535
		// less the ports DDVE listens on (2049, 2051, 2052, 3009; 111 lies
		// below): S3 never reaches them through a return entry.
		in(1020, "allow", "6", "3.5.0.0/19", 1024, 2048, "object_storage: return traffic"),
		in(1030, "allow", "6", "3.5.0.0/19", 2050, 2050, "object_storage: return traffic"),
		in(1040, "allow", "6", "3.5.0.0/19", 2053, 3008, "object_storage: return traffic"),
		in(1050, "allow", "6", "3.5.0.0/19", 3010, 65535, "object_storage: return traffic"),
		in(1060, "allow", "6", "52.216.0.0/15", 1024, 2048, "object_storage: return traffic"),
		in(1070, "allow", "6", "52.216.0.0/15", 2050, 2050, "object_storage: return traffic"),
		in(1080, "allow", "6", "52.216.0.0/15", 2053, 3008, "object_storage: return traffic"),
		in(1090, "allow", "6", "52.216.0.0/15", 3010, 65535, "object_storage: return traffic"),
		in(1100, "allow", "6", "54.231.0.0/16", 1024, 2048, "object_storage: return traffic"),
		in(1110, "allow", "6", "54.231.0.0/16", 2050, 2050, "object_storage: return traffic"),
		in(1120, "allow", "6", "54.231.0.0/16", 2053, 3008, "object_storage: return traffic"),
		in(1130, "allow", "6", "54.231.0.0/16", 3010, 65535, "object_storage: return traffic"),
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

// With ddve_ephemeral_ports set, DDVE's own connections come back to that
// range alone: one return entry per peer.
func TestSeedACLWithDDVEEphemeralPorts(t *testing.T) {
	opts := seedACLOptions()
	opts.DDVEEphemeralFrom, opts.DDVEEphemeralTo = 32768, 60999
	entries, err := posture.CompileACL(seedIntent(), opts)
	if err != nil {
		t.Fatal(err)
	}
	returns := 0
	for _, e := range entries {
		if e.Purpose == "object_storage: return traffic" {
			returns++
			if e.FromPort != 32768 || e.ToPort != 60999 {
				t.Errorf("return entry %s", e)
			}
		}
		if e.Purpose == "management: return traffic" && (e.FromPort != 1024 || e.ToPort != 65535) {
			t.Errorf("the bastion's clients still send from ephemeral_ports: %s", e)
		}
	}
	if returns != 3 {
		t.Errorf("%d S3 return entries, want 3", returns)
	}
}

// A peer of outbound-only profiles never reaches a port DDVE listens on:
// the fixed services and whatever an inbound profile of the posture opens.
func TestDDVEEphemeralLeavesListeningPortsOut(t *testing.T) {
	in := posture.Intent{Profiles: map[string]posture.Peers{
		"dns":         {CIDRBlocks: []string{"10.0.0.53/32"}},
		"ntp":         {CIDRBlocks: []string{"10.0.0.123/32"}},
		"kmip":        {CIDRBlocks: []string{"10.0.0.96/32"}},
		"directory":   {CIDRBlocks: []string{"10.0.0.88/32"}},
		"replication": {CIDRBlocks: []string{"10.1.0.0/16"}},
		"cifs":        {CIDRBlocks: []string{"10.0.4.0/24"}},
	}}
	entries, err := posture.CompileACL(in, posture.ACLOptions{EntriesPerDirectionQuota: 40})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Egress || e.Protocol != "6" && e.Protocol != "17" {
			continue
		}
		outboundOnly := e.CIDRBlock != "10.1.0.0/16" && e.CIDRBlock != "10.0.4.0/24"
		for _, port := range []int{111, 2049, 2051, 2052, 3009} {
			if outboundOnly && e.FromPort <= port && port <= e.ToPort {
				t.Errorf("%s (%s) lets a peer of an outbound-only profile reach %d", e, e.Purpose, port)
			}
		}
	}
}

func TestDDVEEphemeralPortsChecked(t *testing.T) {
	opts := seedACLOptions()
	opts.DDVEEphemeralFrom, opts.DDVEEphemeralTo = 60999, 32768
	_, err := posture.CompileACL(seedIntent(), opts)
	if err == nil || !strings.Contains(err.Error(), "ddve_ephemeral_ports") || !strings.Contains(err.Error(), "from_port 60999 is above to_port 32768") {
		t.Errorf("reversed ddve_ephemeral_ports: %v", err)
	}
}
