package evaluate_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// catalogLayerOptions are the options ddve_reachability checks a live
// posture with.
func catalogLayerOptions() evaluate.LayerOptions {
	return evaluate.LayerOptions{
		Ephemeral:     evaluate.PortRange{From: posture.DefaultEphemeralFrom, To: posture.DefaultEphemeralTo},
		DDVEEphemeral: []evaluate.PortRange{evaluate.LinuxEphemeral},
		Services:      posture.CatalogReplies(),
	}
}

// compileAlone compiles one profile with a dual-stack peer, as both
// resources would.
func compileAlone(t *testing.T, profile string) (evaluate.Group, evaluate.ACL) {
	t.Helper()
	in := posture.Intent{Profiles: map[string]posture.Peers{
		profile: {CIDRBlocks: []string{"10.1.0.0/24"}, IPv6CIDRBlocks: []string{"2001:db8:1::/64"}},
	}, PathMTUDiscovery: true}
	rules, err := posture.CompileGroup(in, posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := posture.CompileACL(in, posture.ACLOptions{EntriesPerDirectionQuota: 40})
	if err != nil {
		t.Fatal(err)
	}
	return evaluate.Group{Rules: rules}, evaluate.ACL{Entries: entries}
}

// The mismatch check agrees with the compiler: a freshly compiled posture
// of each profile has no mismatch, its return entries for NFS's reserved
// ports, ntpd's 123 and NetBIOS included. Each return entry deleted, or
// narrowed to the ephemeral range where it carries more, is reported as
// lost return traffic.
func TestCheckLayersAgreesWithTheCompiler(t *testing.T) {
	opts := catalogLayerOptions()
	for _, name := range catalog.Names() {
		t.Run(name, func(t *testing.T) {
			group, acl := compileAlone(t, name)
			if c := evaluate.CheckLayers(group, acl, opts); len(c.Mismatches) != 0 {
				t.Fatalf("mismatches in a freshly compiled posture:\n%s", c.Table())
			}
			returns := 0
			for i, e := range acl.Entries {
				if !strings.HasSuffix(e.Purpose, ": return traffic") {
					continue
				}
				returns++
				if !e.Egress && posture.HasPorts(atoi(e.Protocol)) && e.FromPort >= 1024 && e.ToPort < evaluate.LinuxEphemeral.From {
					// Answers to DDVE's own connections on ports DD OS
					// (Linux, 32768-60999) never sends from: the compiler
					// keeps them, since DD OS's range is not documented,
					// but no connection hangs without them.
					continue
				}
				deleted := evaluate.ACL{Entries: slices.Delete(slices.Clone(acl.Entries), i, i+1)}
				if !reportsLostReturn(evaluate.CheckLayers(group, deleted, opts)) {
					t.Errorf("return entry %s deleted: no return traffic mismatch", e)
				}
				if !posture.HasPorts(atoi(e.Protocol)) || (e.FromPort >= opts.Ephemeral.From && e.ToPort <= opts.Ephemeral.To) {
					continue
				}
				narrowed := evaluate.ACL{Entries: slices.Clone(acl.Entries)}
				narrowed.Entries[i].FromPort, narrowed.Entries[i].ToPort = opts.Ephemeral.From, opts.Ephemeral.To
				if !reportsLostReturn(evaluate.CheckLayers(group, narrowed, opts)) {
					t.Errorf("return entry %s narrowed to the ephemeral range: no return traffic mismatch", e)
				}
			}
			if returns == 0 && !allOneWay(name) {
				t.Errorf("profile %s compiled no return entry", name)
			}
		})
	}
}

// Without the catalog's reply table, the check takes ntpd's and NFS
// clients' answers for traffic only the ACL passes: the table is what
// makes it agree.
func TestCheckLayersNeedsTheReplyTable(t *testing.T) {
	for _, name := range []string{"ntp", "nfs"} {
		group, acl := compileAlone(t, name)
		c := evaluate.CheckLayers(group, acl, evaluate.LayerOptions{Ephemeral: catalogLayerOptions().Ephemeral})
		if len(c.Mismatches) == 0 {
			t.Errorf("%s: no mismatch without the reply table; the test above proves nothing", name)
		}
	}
}

func reportsLostReturn(c evaluate.LayerCheck) bool {
	return slices.ContainsFunc(c.Mismatches, func(m evaluate.Mismatch) bool { return m.Kind == "return traffic" })
}

func allOneWay(profile string) bool {
	p, _ := catalog.Lookup(profile)
	for _, f := range p.Flows {
		if !f.Replies.OneWay {
			return false
		}
	}
	return true
}

func atoi(protocol string) int {
	n, _ := posture.ProtocolNumber(protocol)
	return n
}

// Postures beyond one profile: profiles that share a peer, every profile
// on one dual-stack peer, custom rules the catalog knows nothing of (ICMP
// of any type, every protocol, a vendor port), a deny inside a peer's
// block, and a deny-list ACL. None reports a mismatch but what it must:
// the requests the deny drops.
func TestCheckLayersAgreesBeyondOneProfile(t *testing.T) {
	peer := posture.Peers{CIDRBlocks: []string{"10.1.0.0/24"}, IPv6CIDRBlocks: []string{"2001:db8:1::/64"}}
	every := map[string]posture.Peers{}
	for _, name := range catalog.Names() {
		every[name] = peer
	}
	custom := func(direction, protocol string, from, to int) posture.CustomRule {
		return posture.CustomRule{Direction: direction, Protocol: protocol, FromPort: &from, ToPort: &to, Peers: posture.Peers{CIDRBlocks: []string{"10.2.0.0/24"}}}
	}
	all := posture.CustomRule{Direction: "egress", Protocol: "all", Peers: posture.Peers{CIDRBlocks: []string{"10.3.0.0/24"}}}
	cases := []struct {
		name     string
		intent   posture.Intent
		opts     posture.ACLOptions
		requests int // request mismatches the deny makes
	}{
		{"ddboost and nfs on one peer", posture.Intent{Profiles: map[string]posture.Peers{"ddboost": peer, "nfs": peer}}, posture.ACLOptions{}, 0},
		{"ntp and dns on one peer", posture.Intent{Profiles: map[string]posture.Peers{"ntp": peer, "dns": peer}}, posture.ACLOptions{}, 0},
		{"every profile on one peer", posture.Intent{Profiles: every}, posture.ACLOptions{EntriesPerDirectionQuota: 1000}, 0},
		{"custom rules off the catalog", posture.Intent{CustomRules: []posture.CustomRule{
			custom("ingress", "icmp", -1, -1), custom("egress", "icmp", 8, -1), custom("ingress", "tcp", 8443, 8444), all,
		}}, posture.ACLOptions{}, 0},
		{"a deny inside the peer", posture.Intent{Profiles: map[string]posture.Peers{"management": {CIDRBlocks: []string{"10.1.0.0/24"}}}},
			posture.ACLOptions{Deny: []posture.DenyRule{{CIDRBlock: "10.1.0.5/32"}}}, 2},
		{"a deny-list ACL", posture.Intent{Profiles: map[string]posture.Peers{"management": peer, "ntp": peer}}, posture.ACLOptions{DefaultAction: "allow"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rules, err := posture.CompileGroup(c.intent, posture.GroupOptions{RulesPerDirectionQuota: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if c.opts.EntriesPerDirectionQuota == 0 {
				c.opts.EntriesPerDirectionQuota = 40
			}
			entries, err := posture.CompileACL(c.intent, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			check := evaluate.CheckLayers(evaluate.Group{Rules: rules}, evaluate.ACL{Entries: entries}, catalogLayerOptions())
			requests := 0
			for _, m := range check.Mismatches {
				if m.Kind != "request" {
					t.Errorf("unexpected %s mismatch: %s", m.Kind, m.Detail)
					continue
				}
				requests++
			}
			if requests != c.requests {
				t.Errorf("%d request mismatches, want %d:\n%s", requests, c.requests, check.Table())
			}
		})
	}
}

// Path MTU discovery: the group's rule from anywhere meets the ACL's deny
// of a stranger, and the ACL's outbound entry has no group rule (a group
// passes the errors of connections it tracks); neither is a mismatch. An
// ACL without the entries is, and so is an ACL entry the group lacks.
func TestCheckLayersPathMTU(t *testing.T) {
	in := posture.Intent{Profiles: map[string]posture.Peers{"replication": {CIDRBlocks: []string{"10.1.0.0/16"}}}, PathMTUDiscovery: true}
	rules, err := posture.CompileGroup(in, posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := posture.CompileACL(in, posture.ACLOptions{Deny: []posture.DenyRule{{CIDRBlock: "5.5.5.5/32"}}})
	if err != nil {
		t.Fatal(err)
	}
	group, acl := evaluate.Group{Rules: rules}, evaluate.ACL{Entries: entries}
	opts := catalogLayerOptions()
	if c := evaluate.CheckLayers(group, acl, opts); len(c.Mismatches) != 0 {
		t.Fatalf("mismatches in a freshly compiled posture with path MTU discovery:\n%s", c.Table())
	}
	without := slices.DeleteFunc(slices.Clone(entries), func(e posture.Entry) bool { return e.Protocol == "1" && !e.Egress })
	if c := evaluate.CheckLayers(group, evaluate.ACL{Entries: without}, opts); !strings.Contains(c.Table(), "icmp type 3 code 4 from") {
		t.Errorf("the ACL without its path MTU entry is no mismatch:\n%s", c.Table())
	}
	noRule := slices.DeleteFunc(slices.Clone(rules), func(r posture.Rule) bool { return r.Protocol == "icmp" })
	if c := evaluate.CheckLayers(evaluate.Group{Rules: noRule}, acl, opts); len(c.Mismatches) == 0 {
		t.Errorf("the group without its path MTU rule is no mismatch:\n%s", c.Table())
	}
}
