package posture_test

import (
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// One replication peer: the answers to its connections (egress tcp
// 1024-65535) hold DDVE's own connections to it on 2051, so the request
// entry can never match and is left out; the entry that covers it names
// both purposes.
func TestCoveredEntryLeftOut(t *testing.T) {
	in := posture.Intent{Profiles: map[string]posture.Peers{"replication": {CIDRBlocks: []string{"10.1.0.0/16"}}}}
	entries, err := posture.CompileACL(in, posture.ACLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var egress []string
	for _, e := range entries {
		if e.Egress {
			egress = append(egress, e.Key().String()+" ("+e.Purpose+")")
		}
	}
	want := "egress allow tcp 1024-65535 10.1.0.0/16 (replication: return traffic; replication: replication)"
	if strings.Join(egress, "\n") != want {
		t.Errorf("egress:\n%s\nwant\n%s", strings.Join(egress, "\n"), want)
	}
}

// Peers nested in one another: the inner block's entries go, unless its
// ports reach beyond the outer's.
func TestCoveredNestedBlocks(t *testing.T) {
	in := posture.Intent{Profiles: map[string]posture.Peers{
		"nfs":        {CIDRBlocks: []string{"10.0.2.0/24"}},
		"ddboost":    {CIDRBlocks: []string{"10.0.2.128/25"}},
		"management": {CIDRBlocks: []string{"10.0.2.7/32"}},
	}}
	entries, err := posture.CompileACL(in, posture.ACLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch {
		case e.CIDRBlock == "10.0.2.128/25":
			t.Errorf("%s (%s) lies inside 10.0.2.0/24's entries", e, e.Purpose)
		case e.CIDRBlock == "10.0.2.0/24" && !e.Egress && e.FromPort == 2049 && e.Purpose != "nfs: NFS and DD Boost data; ddboost: NFS and DD Boost data":
			t.Errorf("the covering entry's purpose %q does not name ddboost's", e.Purpose)
		case e.CIDRBlock == "10.0.2.7/32" && !e.Egress && e.FromPort != 22 && e.FromPort != 443:
			t.Errorf("unexpected %s", e)
		case e.CIDRBlock == "10.0.2.7/32" && e.Egress:
			// management's answers, 1024-65535, lie inside nfs's return
			// entry towards 10.0.2.0/24 (512-65535).
			t.Errorf("%s (%s) lies inside the /24's return entry", e, e.Purpose)
		}
	}
}

// A deny-list ACL's allow-all covers every profile allow: only the denies
// and the allow-all remain, which names what it covers.
func TestAllowAllCoversProfiles(t *testing.T) {
	in := posture.Intent{Profiles: map[string]posture.Peers{"management": {CIDRBlocks: []string{"10.0.1.10/32"}}}, PathMTUDiscovery: true}
	entries, err := posture.CompileACL(in, posture.ACLOptions{DefaultAction: posture.Allow, Deny: []posture.DenyRule{{CIDRBlock: "5.5.5.5/32"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 5 {
		t.Fatalf("got %v, want the deny and four allow-all entries", entries)
	}
	for _, e := range entries {
		if e.Action == posture.Allow && e.CIDRBlock == "0.0.0.0/0" && e.Purpose != "default_action allow; management: SSH; management: HTTPS" && !e.Egress {
			t.Errorf("ingress allow-all's purpose: %q", e.Purpose)
		}
	}
}

// Leaving covered entries out keeps the survivors' numbers: a peer whose
// block swallows an earlier one removes the inner entries and renumbers
// nothing.
func TestCoveredKeepsNumbers(t *testing.T) {
	before := posture.Intent{Profiles: map[string]posture.Peers{"management": {CIDRBlocks: []string{"10.0.1.10/32", "10.0.3.0/24"}}}}
	first, err := posture.CompileACL(before, posture.ACLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	after := posture.Intent{Profiles: map[string]posture.Peers{"management": {CIDRBlocks: []string{"10.0.1.10/32", "10.0.3.0/24", "10.0.0.0/16"}}}}
	second, err := posture.CompileACL(after, posture.ACLOptions{Previous: first})
	if err != nil {
		t.Fatal(err)
	}
	numbers := map[posture.EntryKey]int{}
	for _, e := range first {
		numbers[e.Key()] = e.RuleNumber
	}
	for _, e := range second {
		if e.CIDRBlock == "10.0.1.10/32" || e.CIDRBlock == "10.0.3.0/24" {
			t.Errorf("%s lies inside 10.0.0.0/16", e)
		}
		if n, ok := numbers[e.Key()]; ok && n != e.RuleNumber {
			t.Errorf("%s moved from %d", e, n)
		}
	}
}
