package evaluate_test

import (
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

func seedIntent() posture.Intent {
	return posture.Intent{Profiles: map[string]posture.Peers{
		"management":     {CIDRBlocks: []string{"10.0.1.10/32"}, SecurityGroupIDs: []string{peerGroup}},
		"object_storage": {PrefixListIDs: []string{listS3}},
	}}
}

func seedACLOptions() posture.ACLOptions {
	return posture.ACLOptions{
		Deny:            []posture.DenyRule{{CIDRBlock: "5.5.5.5/32"}},
		PrefixListCIDRs: prefixLists,
	}
}

func aclIntent() posture.Intent {
	in := seedIntent()
	in.Profiles["management"] = posture.Peers{CIDRBlocks: []string{"10.0.1.10/32"}}
	return in
}

// The self-check accepts what the compilers make of the seed posture (the
// mutation test's scenarios are checked beside the compiler, in posture).
func TestSelfCheckAcceptsTheSeed(t *testing.T) {
	rules, err := posture.CompileGroup(seedIntent(), posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := evaluate.CheckGroup(seedIntent(), rules); err != nil {
		t.Fatal(err)
	}
	entries, err := posture.CompileACL(aclIntent(), seedACLOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := evaluate.CheckACL(aclIntent(), seedACLOptions(), entries); err != nil {
		t.Fatal(err)
	}
}

// ...and names the flow a broken compilation would lose.
func TestSelfCheckNamesTheLostFlow(t *testing.T) {
	opts := seedACLOptions()
	entries, err := posture.CompileACL(aclIntent(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var broken []posture.Entry
	for _, e := range entries {
		if !e.Egress || e.Purpose != "management: return traffic" {
			broken = append(broken, e)
		}
	}
	err = evaluate.CheckACL(aclIntent(), opts, broken)
	if err == nil || !strings.Contains(err.Error(), "management SSH: inbound tcp 22 would not pass (egress)") {
		t.Fatalf("want the SSH flow named, got %v", err)
	}

	rules, _ := posture.CompileGroup(seedIntent(), posture.GroupOptions{})
	rules[0].FromPort = 21
	err = evaluate.CheckGroup(seedIntent(), rules)
	if err == nil || !strings.Contains(err.Error(), "would also let through") {
		t.Fatalf("want the extra port named, got %v", err)
	}
}

// BenchmarkSelfCheck is what the check adds to a plan of the seed posture:
// the group and the DDVE subnet's ACL.
func BenchmarkSelfCheck(b *testing.B) {
	rules, err := posture.CompileGroup(seedIntent(), posture.GroupOptions{})
	if err != nil {
		b.Fatal(err)
	}
	opts := seedACLOptions()
	entries, err := posture.CompileACL(aclIntent(), opts)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := evaluate.CheckGroup(seedIntent(), rules); err != nil {
			b.Fatal(err)
		}
		if err := evaluate.CheckACL(aclIntent(), opts, entries); err != nil {
			b.Fatal(err)
		}
	}
}

// A rule that names a security group cannot be stood in for by a block the
// user typed: dropping it fails the check whatever else the profile names.
func TestSelfCheckComparesReferencesOnTheirOwn(t *testing.T) {
	intent := posture.Intent{Profiles: map[string]posture.Peers{
		"management": {SecurityGroupIDs: []string{peerGroup}, IPv6CIDRBlocks: []string{"::/0"}, CIDRBlocks: []string{"0.0.0.0/0"}},
	}, AllowPublicIngress: true}
	rules, err := posture.CompileGroup(intent, posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var withoutReferences []posture.Rule
	for _, r := range rules {
		if r.ReferencedGroupID == "" {
			withoutReferences = append(withoutReferences, r)
		}
	}
	if err := evaluate.CheckGroup(intent, withoutReferences); err == nil || !strings.Contains(err.Error(), "management SSH: inbound tcp 22 would not pass") {
		t.Fatalf("want the lost reference named, got %v", err)
	}
}
