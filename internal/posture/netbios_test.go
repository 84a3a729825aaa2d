package posture_test

import (
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// NetBIOS runs over IPv4 only (RFC 1001, RFC 1002): an IPv6 peer of cifs
// gets SMB 445 and nothing on 137-139, in the group and the ACL; a
// prefix list's IPv6 blocks are left out of the NetBIOS entries too.
func TestNetBIOSIsIPv4Only(t *testing.T) {
	in := posture.Intent{Profiles: map[string]posture.Peers{
		"cifs": {CIDRBlocks: []string{"10.0.4.0/24"}, IPv6CIDRBlocks: []string{"2001:db8:4::/64"}, PrefixListIDs: []string{"pl-0aaaaaaaaaaaaaaaa"}},
	}}
	opts := posture.ACLOptions{EntriesPerDirectionQuota: 40, PrefixListCIDRs: map[string][]string{"pl-0aaaaaaaaaaaaaaaa": {"10.0.5.0/24", "2001:db8:5::/64"}}}
	entries, err := posture.CompileACL(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	var v6 []string
	for _, e := range entries {
		if e.IPv6CIDRBlock == "" {
			continue
		}
		v6 = append(v6, e.String())
		if strings.Contains(e.Purpose, "NetBIOS") || e.Protocol == "17" {
			t.Errorf("NetBIOS entry towards IPv6: %s (%s)", e, e.Purpose)
		}
	}
	if len(v6) != 4 { // SMB 445 in and its return out, for each IPv6 block
		t.Errorf("IPv6 entries: %v, want SMB and its return for each IPv6 block", v6)
	}
	for _, block := range []string{"10.0.4.0/24", "10.0.5.0/24"} {
		found := false
		for _, e := range entries {
			found = found || e.CIDRBlock == block && e.Protocol == "17" && e.FromPort == 137 && !e.Egress
		}
		if !found {
			t.Errorf("no NetBIOS entry from %s", block)
		}
	}
	rules, err := posture.CompileGroup(in, posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if r.CIDRIPv6 != "" && r.FromPort != 445 {
			t.Errorf("rule towards IPv6 on %s", r)
		}
	}
	// An IPv6-only cifs peer: SMB alone.
	only6 := posture.Intent{Profiles: map[string]posture.Peers{"cifs": {IPv6CIDRBlocks: []string{"2001:db8:4::/64"}}}}
	rules, err = posture.CompileGroup(only6, posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 1 || rules[0].FromPort != 445 {
		t.Errorf("IPv6-only cifs: %v", rules)
	}
}
