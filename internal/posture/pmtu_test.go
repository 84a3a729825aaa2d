package posture_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

func TestPathMTUSeed(t *testing.T) {
	in := seedIntent()
	in.PathMTUDiscovery = true
	rules, err := posture.CompileGroup(in, posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []posture.Rule{
		{Direction: "ingress", Protocol: "icmp", FromPort: 3, ToPort: 4, CIDRIPv4: "0.0.0.0/0", Description: "ddve path_mtu_discovery: fragmentation needed", Profiles: []string{"path_mtu_discovery"}},
		{Direction: "ingress", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRIPv4: "10.0.1.10/32", Description: "ddve management: SSH", Profiles: []string{"management"}},
		{Direction: "ingress", Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRIPv4: "10.0.1.10/32", Description: "ddve management: HTTPS", Profiles: []string{"management"}},
		{Direction: "egress", Protocol: "tcp", FromPort: 443, ToPort: 443, PrefixListID: seedPrefixList, Description: "ddve object_storage: HTTPS to S3", Profiles: []string{"object_storage"}},
	}
	assertRules(t, rules, want)

	entries, err := posture.CompileACL(in, seedACLOptions())
	if err != nil {
		t.Fatal(err)
	}
	var pmtu []string
	for _, e := range entries {
		if strings.HasPrefix(e.Purpose, "path_mtu_discovery") {
			pmtu = append(pmtu, e.String()+" type "+strconv.Itoa(e.ICMPType)+" code "+strconv.Itoa(e.ICMPCode))
		}
	}
	wantPMTU := []string{
		"ingress #900 allow proto 1 0.0.0.0/0 0-0 type 3 code 4",
		"egress #900 allow proto 1 0.0.0.0/0 0-0 type 3 code 4",
	}
	if strings.Join(pmtu, "\n") != strings.Join(wantPMTU, "\n") {
		t.Errorf("path MTU entries:\n%s\nwant\n%s", strings.Join(pmtu, "\n"), strings.Join(wantPMTU, "\n"))
	}
	// The deny still comes first, and every other entry keeps its number.
	without, err := posture.CompileACL(seedIntent(), seedACLOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(without)+2 {
		t.Errorf("got %d entries, want the %d of the seed plus 2", len(entries), len(without))
	}
}

func TestPathMTUFamilies(t *testing.T) {
	for _, c := range []struct {
		name      string
		peers     posture.Peers
		allow     bool
		v4, v6    bool
		groupOnly bool
	}{
		{name: "ipv4", peers: posture.Peers{CIDRBlocks: []string{"10.0.2.0/24"}}, v4: true},
		{name: "ipv6", peers: posture.Peers{IPv6CIDRBlocks: []string{"2001:db8::/64"}}, v6: true},
		{name: "dual", peers: posture.Peers{CIDRBlocks: []string{"10.0.2.0/24"}, IPv6CIDRBlocks: []string{"2001:db8::/64"}}, v4: true, v6: true},
		{name: "group reference", peers: posture.Peers{SecurityGroupIDs: []string{"sg-0123456789abcdef0"}}, v4: true, groupOnly: true},
		{name: "deny-list acl", peers: posture.Peers{CIDRBlocks: []string{"10.0.2.0/24"}}, allow: true, v4: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := posture.Intent{Profiles: map[string]posture.Peers{"ddboost": c.peers}, PathMTUDiscovery: true}
			rules, err := posture.CompileGroup(in, posture.GroupOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var v4, v6 int
			for _, r := range rules {
				switch {
				case r.Protocol == "icmp" && r.FromPort == 3 && r.ToPort == 4 && r.CIDRIPv4 == "0.0.0.0/0" && r.Direction == "ingress":
					v4++
				case r.Protocol == "icmpv6" && r.FromPort == 2 && r.ToPort == -1 && r.CIDRIPv6 == "::/0" && r.Direction == "ingress":
					v6++
				}
			}
			if (v4 == 1) != c.v4 || (v6 == 1) != c.v6 || v4 > 1 || v6 > 1 {
				t.Errorf("group: %d ICMP 3/4 and %d ICMPv6 2 rules, want IPv4 %v, IPv6 %v", v4, v6, c.v4, c.v6)
			}
			if c.groupOnly {
				return
			}
			opts := posture.ACLOptions{}
			if c.allow {
				opts.DefaultAction = posture.Allow
			}
			entries, err := posture.CompileACL(in, opts)
			if err != nil {
				t.Fatal(err)
			}
			var n4, n6 [2]int
			for _, e := range entries {
				switch {
				case e.Protocol == "1" && e.ICMPType == 3 && e.ICMPCode == 4 && e.CIDRBlock == "0.0.0.0/0":
					n4[boolIndex(e.Egress)]++
					if e.RuleNumber < 900 || e.RuleNumber > 999 {
						t.Errorf("%s outside the path MTU band 900-999", e)
					}
				case e.Protocol == "58" && e.ICMPType == 2 && e.ICMPCode == -1 && e.IPv6CIDRBlock == "::/0":
					n6[boolIndex(e.Egress)]++
				}
			}
			want4, want6 := c.v4 && !c.allow, c.v6 && !c.allow
			if (n4 == [2]int{1, 1}) != want4 || (n6 == [2]int{1, 1}) != want6 || (!want4 && n4 != [2]int{}) || (!want6 && n6 != [2]int{}) {
				t.Errorf("acl: ICMP 3/4 in/out %v, ICMPv6 2 in/out %v; want IPv4 %v, IPv6 %v", n4, n6, want4, want6)
			}
		})
	}
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The messages come from anywhere, yet open no port: no opt-in needed,
// and an intent with none asks for none.
func TestPathMTUPublicGuardAndQuota(t *testing.T) {
	in := posture.Intent{Profiles: map[string]posture.Peers{"management": {CIDRBlocks: []string{"10.0.1.10/32"}}}, PathMTUDiscovery: true}
	if _, err := posture.CompileACL(in, posture.ACLOptions{}); err != nil {
		t.Fatalf("path MTU entries tripped a check: %v", err)
	}
	// Counted in the quota: management takes 2 ingress entries, path MTU 1,
	// the built-in deny 1.
	_, err := posture.CompileACL(in, posture.ACLOptions{EntriesPerDirectionQuota: 3})
	if err == nil || !strings.Contains(err.Error(), "3 IPv4 ingress entries") {
		t.Errorf("quota of 3: %v, want the path MTU entry counted", err)
	}
	if _, err := posture.CompileACL(posture.Intent{PathMTUDiscovery: true}, posture.ACLOptions{}); err != nil {
		t.Fatal(err)
	}
	entries, _ := posture.CompileACL(posture.Intent{PathMTUDiscovery: true}, posture.ACLOptions{})
	if len(entries) != 0 {
		t.Errorf("an intent without peers got %v", entries)
	}
}

func TestPathMTURecoveredOnImport(t *testing.T) {
	in := seedIntent()
	in.PathMTUDiscovery = true
	rules, err := posture.CompileGroup(in, posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, ok := posture.IntentFromRules(rules)
	if !ok || !got.PathMTUDiscovery || got.AllowPublicIngress {
		t.Errorf("recovered %+v, ok %v: want path MTU discovery on and no public ingress", got, ok)
	}
}

// NTLM pass-through: the directory profile reaches the domain controller
// on SMB 445, the RPC endpoint mapper 135, the global catalog over TLS
// 3269 and the dynamic RPC range, which rpc_dynamic_ports narrows.
func TestDirectoryNetlogon(t *testing.T) {
	dc := posture.Peers{CIDRBlocks: []string{"10.0.7.10/32"}}
	egress := func(in posture.Intent) []string {
		rules, err := posture.CompileGroup(in, posture.GroupOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rules {
			if r.Direction == "egress" && r.Protocol == "tcp" {
				out = append(out, strconv.Itoa(r.FromPort)+"-"+strconv.Itoa(r.ToPort))
			}
		}
		return out
	}
	got := strings.Join(egress(posture.Intent{Profiles: map[string]posture.Peers{"directory": dc}}), " ")
	if want := "88-88 135-135 389-389 445-445 464-464 636-636 3268-3268 3269-3269 49152-65535"; got != want {
		t.Errorf("directory's TCP egress: %s, want %s", got, want)
	}
	pinned := posture.Intent{Profiles: map[string]posture.Peers{"directory": dc}, RPCDynamicFrom: 50001, RPCDynamicTo: 50001}
	if got := strings.Join(egress(pinned), " "); !strings.HasSuffix(got, "3269-3269 50001-50001") {
		t.Errorf("with rpc_dynamic_ports 50001: %s", got)
	}
	entries, err := posture.CompileACL(pinned, posture.ACLOptions{EntriesPerDirectionQuota: 40})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		found = found || e.Egress && e.FromPort == 50001 && e.Purpose == "directory: RPC dynamic ports"
	}
	if !found {
		t.Errorf("no egress entry to the pinned RPC port: %v", entries)
	}
	_, err = posture.CompileGroup(posture.Intent{Profiles: map[string]posture.Peers{"directory": dc}, RPCDynamicFrom: 60000, RPCDynamicTo: 50000}, posture.GroupOptions{})
	if err == nil || !strings.Contains(err.Error(), "rpc_dynamic_ports") || !strings.Contains(err.Error(), "from_port 60000 is above to_port 50000") {
		t.Errorf("a reversed range: %v", err)
	}
}

// At AWS's maximum of 40 the quota error does not advise raising it.
func TestACLQuotaAtAWSMaximum(t *testing.T) {
	var denies []posture.DenyRule
	for i := range 40 {
		denies = append(denies, posture.DenyRule{CIDRBlock: "5.5." + strconv.Itoa(i) + ".0/24"})
	}
	_, err := posture.CompileACL(posture.Intent{}, posture.ACLOptions{Deny: denies, EntriesPerDirectionQuota: 40})
	if err == nil || !strings.Contains(err.Error(), "AWS allows no more than 40") || strings.Contains(err.Error(), "raise entries_per_direction_quota") {
		t.Errorf("at 40: %v", err)
	}
	_, err = posture.CompileACL(posture.Intent{}, posture.ACLOptions{Deny: denies})
	if err == nil || !strings.Contains(err.Error(), "raise entries_per_direction_quota after raising the quota in AWS (at most 40)") {
		t.Errorf("at 20: %v", err)
	}
}
