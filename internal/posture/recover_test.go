package posture_test

import (
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

func TestIntentFromRulesRoundTrip(t *testing.T) {
	in := posture.Intent{
		Profiles: map[string]posture.Peers{
			"management":     {CIDRBlocks: []string{"10.0.1.10/32"}, SecurityGroupIDs: []string{"sg-0123456789abcdef0"}},
			"ddboost":        {CIDRBlocks: []string{"10.0.2.0/24"}},
			"nfs":            {CIDRBlocks: []string{"10.0.2.0/24", "10.0.3.0/24"}},
			"object_storage": {PrefixListIDs: []string{seedPrefixList}},
		},
		CustomRules: []posture.CustomRule{
			{Direction: "ingress", Protocol: "tcp", FromPort: ptr(8443), ToPort: ptr(8443), Description: "vendor agent",
				Peers: posture.Peers{CIDRBlocks: []string{"10.0.8.0/24", "10.0.9.0/24"}}},
			{Direction: "egress", Protocol: "all", Peers: posture.Peers{IPv6CIDRBlocks: []string{"2001:db8::/64"}}},
		},
	}
	rules, err := posture.CompileGroup(in, posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, ok := posture.IntentFromRules(rules)
	if !ok {
		t.Fatalf("intent not recovered: %+v", got)
	}
	again, err := posture.CompileGroup(got, posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	assertRules(t, again, rules)
	if len(got.Profiles) != 4 || len(got.CustomRules) != 2 || got.CustomRules[0].Description != "vendor agent" {
		t.Fatalf("recovered intent %+v", got)
	}
}

func TestIntentFromForeignRules(t *testing.T) {
	// The default egress rule of a new group has no description: it reads
	// as a custom rule, which compiles to another description, so the
	// recovery says it cannot stand for the group.
	rules := []posture.Rule{{Direction: "egress", Protocol: "-1", FromPort: -1, ToPort: -1, CIDRIPv4: "0.0.0.0/0"}}
	if _, ok := posture.IntentFromRules(rules); ok {
		t.Fatal("a hand-made rule was taken for a compiled one")
	}
}
