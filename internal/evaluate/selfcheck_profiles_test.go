package evaluate_test

import (
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The self-check's answers come from the host model, the compiler's from
// the catalog: a freshly compiled posture of every profile, alone and all
// together, with and without path MTU discovery, must still pass it, or
// every plan of that profile would fail.
func TestSelfCheckAcceptsEveryProfile(t *testing.T) {
	peers := posture.Peers{CIDRBlocks: []string{"10.0.1.10/32", "10.0.2.0/24"}, IPv6CIDRBlocks: []string{"2001:db8:1::/64"}, PrefixListIDs: []string{listS3}}
	every := map[string]posture.Peers{}
	intents := map[string]posture.Intent{}
	for _, p := range catalog.All() {
		every[p.Name] = peers
		intents[p.Name] = posture.Intent{Profiles: map[string]posture.Peers{p.Name: peers}}
	}
	intents["every profile"] = posture.Intent{Profiles: every}
	for name, in := range intents {
		for _, pmtu := range []bool{false, true} {
			in.PathMTUDiscovery = pmtu
			for _, opts := range []posture.ACLOptions{
				{PrefixListCIDRs: prefixLists},
				{PrefixListCIDRs: prefixLists, EphemeralFrom: 32768, EphemeralTo: 60999, DDVEEphemeralFrom: 32768, DDVEEphemeralTo: 60999},
			} {
				opts.EntriesPerDirectionQuota = 1000
				entries, err := posture.CompileACL(in, opts)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if err := evaluate.CheckACL(in, opts, entries); err != nil {
					t.Errorf("%s, path MTU %v, ephemeral %d-%d: %v", name, pmtu, opts.EphemeralFrom, opts.EphemeralTo, err)
				}
			}
		}
	}
}

// A return entry that follows a wrong reply note in the catalog, ntpd's
// answers sent to 124 instead of 123, is what the host model exists to
// catch: the self-check names NTP and the stray port.
func TestSelfCheckRejectsAWrongNTPReplyPort(t *testing.T) {
	in := posture.Intent{Profiles: map[string]posture.Peers{"ntp": {CIDRBlocks: []string{"10.1.0.0/16"}}}}
	opts := posture.ACLOptions{}
	entries, err := posture.CompileACL(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	moved := 0
	for i, e := range entries {
		if !e.Egress && e.FromPort == 123 && e.ToPort == 123 {
			entries[i].FromPort, entries[i].ToPort = 124, 124
			moved++
		}
	}
	if moved != 1 {
		t.Fatalf("want one return entry for ntpd's port 123, found %d in %+v", moved, entries)
	}
	err = evaluate.CheckACL(in, opts, entries)
	if err == nil || !strings.Contains(err.Error(), "NTP: outbound udp 123 would not pass (ingress)") || !strings.Contains(err.Error(), "124") {
		t.Fatalf("want the NTP flow and port 124 named, got %v", err)
	}
}
