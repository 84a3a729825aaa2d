package posture_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

func TestSharedFlowsCollapse(t *testing.T) {
	peers := posture.Peers{CIDRBlocks: []string{"10.0.2.0/24"}}
	rules, err := posture.CompileGroup(posture.Intent{Profiles: map[string]posture.Peers{"ddboost": peers, "nfs": peers}}, posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 4 {
		t.Fatalf("ddboost and nfs with one peer: want 4 rules, got %d: %v", len(rules), rules)
	}
	for _, r := range rules {
		if !slices.Equal(r.Profiles, []string{"ddboost", "nfs"}) || !strings.HasPrefix(r.Description, "ddve ddboost, nfs: ") {
			t.Errorf("rule %v: profiles %v, description %q", r, r.Profiles, r.Description)
		}
	}
}

func TestEveryPeerKindIsOneRule(t *testing.T) {
	peers := posture.Peers{
		CIDRBlocks:       []string{"10.0.1.10/32"},
		IPv6CIDRBlocks:   []string{"2001:db8::/64"},
		SecurityGroupIDs: []string{"sg-0123456789abcdef0"},
		PrefixListIDs:    []string{"pl-0123456789abcdef0"},
	}
	rules, err := posture.CompileGroup(posture.Intent{Profiles: map[string]posture.Peers{"replication": peers}}, posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// 2051 in and out, for four peers.
	if len(rules) != 8 {
		t.Fatalf("want 8 rules, got %d: %v", len(rules), rules)
	}
	for _, r := range rules {
		set := 0
		for _, v := range []string{r.CIDRIPv4, r.CIDRIPv6, r.ReferencedGroupID, r.PrefixListID} {
			if v != "" {
				set++
			}
		}
		if set != 1 || r.FromPort != 2051 || r.ToPort != 2051 || r.Protocol != "tcp" {
			t.Errorf("rule %+v is not one peer on tcp 2051", r)
		}
	}
}

func TestCustomRules(t *testing.T) {
	in := posture.Intent{CustomRules: []posture.CustomRule{
		{Direction: "ingress", Protocol: "tcp", FromPort: ptr(8443), ToPort: ptr(8443), Description: "vendor agent",
			Peers: posture.Peers{CIDRBlocks: []string{"10.0.9.0/24", "10.0.8.0/24"}}},
		{Direction: "egress", Protocol: "icmp", FromPort: ptr(8), ToPort: ptr(-1), Peers: posture.Peers{CIDRBlocks: []string{"10.0.9.0/24"}}},
		{Direction: "egress", Protocol: "all", Peers: posture.Peers{CIDRBlocks: []string{"10.7.0.0/16"}}},
	}}
	rules, err := posture.CompileGroup(in, posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rules {
		got = append(got, r.String()+" | "+r.Description)
	}
	want := []string{
		"ingress tcp 8443-8443 10.0.8.0/24 | vendor agent",
		"ingress tcp 8443-8443 10.0.9.0/24 | vendor agent",
		"egress -1 -1--1 10.7.0.0/16 | ddve custom: all",
		"egress icmp 8--1 10.0.9.0/24 | ddve custom: icmp type 8 code -1",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDescriptionsRoundTrip(t *testing.T) {
	intent := posture.Intent{Profiles: map[string]posture.Peers{}}
	for _, name := range catalog.Names() {
		intent.Profiles[name] = posture.Peers{CIDRBlocks: []string{"10.0.1.0/24"}}
	}
	rules, err := posture.CompileGroup(intent, posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	known := func(s string) bool { _, ok := catalog.Lookup(s); return ok }
	for _, r := range rules {
		if len(r.Description) > 255 {
			t.Errorf("description over 255 characters: %q", r.Description)
		}
		if got := posture.ProfilesFromDescription(r.Description, known); !slices.Equal(got, r.Profiles) {
			t.Errorf("description %q reads back as %v, want %v", r.Description, got, r.Profiles)
		}
	}
	if got := posture.ProfilesFromDescription("vendor agent", known); got != nil {
		t.Errorf("a user's description read as profiles %v", got)
	}
}

func TestOutputIsDeterministic(t *testing.T) {
	intent := fullIntent(20)
	first, err := posture.CompileGroup(intent, posture.GroupOptions{RulesPerDirectionQuota: 10000})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, _ := posture.CompileGroup(intent, posture.GroupOptions{RulesPerDirectionQuota: 10000})
		if !slices.EqualFunc(first, again, func(a, b posture.Rule) bool { return a.Key() == b.Key() && a.Description == b.Description }) {
			t.Fatal("two compilations of one intent differ")
		}
	}
}
