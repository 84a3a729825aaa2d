package dataplane

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func sdkRule(id string, egress bool, proto string, from, to int32) types.SecurityGroupRule {
	return types.SecurityGroupRule{SecurityGroupRuleId: aws.String(id), IsEgress: aws.Bool(egress), IpProtocol: aws.String(proto),
		FromPort: aws.Int32(from), ToPort: aws.Int32(to)}
}

func sdkEntry(number int32, egress bool, action types.RuleAction, proto, cidr string, from, to int32) types.NetworkAclEntry {
	e := types.NetworkAclEntry{RuleNumber: aws.Int32(number), Egress: aws.Bool(egress), RuleAction: action, Protocol: aws.String(proto)}
	if strings.Contains(cidr, ":") {
		e.Ipv6CidrBlock = aws.String(cidr)
	} else {
		e.CidrBlock = aws.String(cidr)
	}
	if from != 0 || to != 0 {
		e.PortRange = &types.PortRange{From: aws.Int32(from), To: aws.Int32(to)}
	}
	return e
}

// The group's ruleset: each peer kind resolved, state first, a counted
// drop last, ICMP rules with a peer of the other family left out.
func TestGroupRuleset(t *testing.T) {
	ssh := sdkRule("sgr-1", false, "tcp", 22, 22)
	ssh.CidrIpv4 = aws.String("10.0.1.10/32")
	fromGroup := sdkRule("sgr-2", false, "tcp", 443, 443)
	fromGroup.ReferencedGroupInfo = &types.ReferencedSecurityGroup{GroupId: aws.String("sg-bastion")}
	s3 := sdkRule("sgr-3", true, "tcp", 443, 443)
	s3.PrefixListId = aws.String("pl-s3")
	ping6 := sdkRule("sgr-4", false, "icmp", 8, -1)
	ping6.CidrIpv6 = aws.String("2001:db8::/64")
	all6 := sdkRule("sgr-5", true, "-1", -1, -1)
	all6.CidrIpv6 = aws.String("::/0")

	got, err := GroupRuleset("g", []types.SecurityGroupRule{s3, ssh, fromGroup, ping6, all6}, Resolver{
		PrefixLists:  map[string][]types.PrefixListEntry{"pl-s3": {{Cidr: aws.String("52.216.0.0/15")}, {Cidr: aws.String("3.5.0.0/19")}}},
		GroupMembers: map[string][]netip.Addr{"sg-bastion": {netip.MustParseAddr("10.0.1.10"), netip.MustParseAddr("2001:db8::10")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ip saddr 10.0.1.10/32 tcp dport 22 counter accept",
		"ip saddr 10.0.1.10/32 tcp dport 443 counter accept",
		"ip6 saddr 2001:db8::10/128 tcp dport 443 counter accept",
		"ip daddr 52.216.0.0/15 tcp dport 443 counter accept",
		"ip daddr 3.5.0.0/19 tcp dport 443 counter accept",
		"ip6 daddr ::/0 counter accept",
		"ct state established,related counter accept",
		"type filter hook input priority filter; policy drop;",
		"type filter hook output priority filter; policy drop;",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "2001:db8::/64") {
		t.Errorf("an ICMP rule with an IPv6 peer matches nothing, yet it is written:\n%s", got)
	}
	if strings.Index(got, "ct state") > strings.Index(got, "tcp dport 22") {
		t.Errorf("state must be judged before the rules:\n%s", got)
	}
	checkSyntax(t, got)

	if _, err := GroupRuleset("g", []types.SecurityGroupRule{s3}, Resolver{}); err == nil {
		t.Error("an unresolved prefix list must be an error, not a rule that matches nothing")
	}
	if _, err := GroupRuleset("g", []types.SecurityGroupRule{fromGroup}, Resolver{}); err == nil {
		t.Error("a referenced group without members must be an error")
	}
}

// The ACL's chains: entries in rule number order whatever order EC2 lists
// them in, allows return to the hook, denies drop, the built-in denies
// last, and leaving a subnet judged before entering the next.
func TestACLRuleset(t *testing.T) {
	anyICMP := sdkEntry(1010, false, types.RuleActionAllow, "1", "10.0.1.10/32", 0, 0)
	anyICMP.IcmpTypeCode = &types.IcmpTypeCode{Type: aws.Int32(-1), Code: aws.Int32(-1)}
	pmtu := sdkEntry(900, false, types.RuleActionAllow, "1", "0.0.0.0/0", 0, 0)
	pmtu.IcmpTypeCode = &types.IcmpTypeCode{Type: aws.Int32(3), Code: aws.Int32(4)}
	acl := types.NetworkAcl{NetworkAclId: aws.String("acl-1"), Entries: []types.NetworkAclEntry{
		sdkEntry(1000, false, types.RuleActionAllow, "6", "10.0.1.10/32", 22, 22),
		sdkEntry(10, false, types.RuleActionDeny, "-1", "5.5.5.5/32", 0, 0),
		sdkEntry(1000, true, types.RuleActionAllow, "tcp", "10.0.1.10/32", 1024, 65535), // moto keeps "tcp" as sent
		anyICMP, pmtu,
		sdkEntry(1020, false, types.RuleActionAllow, "6", "2001:db8::/64", 22, 22),
	}}
	other := types.NetworkAcl{NetworkAclId: aws.String("acl-2"), Entries: []types.NetworkAclEntry{
		sdkEntry(100, false, types.RuleActionAllow, "-1", "0.0.0.0/0", 0, 0),
		sdkEntry(100, true, types.RuleActionAllow, "-1", "0.0.0.0/0", 0, 0),
	}}
	got, err := ACLRuleset("n", []Subnet{{Name: "ddve", Interface: "br-ddve", ACL: acl}, {Name: "other", Interface: "br-other", ACL: other}})
	if err != nil {
		t.Fatal(err)
	}
	order := []string{
		"chain nacl_ddve_in",
		"ip saddr 5.5.5.5/32 counter drop",
		"ip saddr 0.0.0.0/0 icmp type 3 icmp code 4 counter return",
		"ip saddr 10.0.1.10/32 tcp dport 22 counter return",
		"ip saddr 10.0.1.10/32 meta l4proto icmp counter return",
		"ip6 saddr 2001:db8::/64 tcp dport 22 counter return",
		"meta nfproto ipv4 counter drop",
		"meta nfproto ipv6 counter drop",
		"chain nacl_ddve_out",
		"ip daddr 10.0.1.10/32 tcp dport 1024-65535 counter return",
		`iifname "br-ddve" oifname "br-ddve" accept`,
		`iifname "br-other" oifname "br-other" accept`,
		`iifname "br-ddve" jump nacl_ddve_out`,
		`iifname "br-other" jump nacl_other_out`,
		`oifname "br-ddve" jump nacl_ddve_in`,
	}
	at := 0
	for _, want := range order {
		i := strings.Index(got[at:], want)
		if i < 0 {
			t.Fatalf("missing, or out of order, %q in\n%s", want, got)
		}
		at += i
	}
	if strings.Contains(got, " ct ") {
		t.Errorf("a network ACL is stateless; the ruleset uses conntrack:\n%s", got)
	}
	checkSyntax(t, got)

	noType := types.NetworkAcl{NetworkAclId: aws.String("acl-3"), Entries: []types.NetworkAclEntry{
		sdkEntry(1010, false, types.RuleActionAllow, "1", "10.0.1.10/32", 0, 0),
	}}
	if _, err := ACLRuleset("n", []Subnet{{Name: "ddve", Interface: "br-ddve", ACL: noType}}); err == nil {
		t.Error("an ICMP entry without its type and code must be an error, not an entry that matches any ICMP")
	}
	if _, err := ACLRuleset("n", []Subnet{{Name: "Bad-Name", Interface: "x", ACL: acl}}); err == nil {
		t.Error("a name nft cannot take as a chain must be refused")
	}
}

// checkSyntax asks nft to parse a ruleset without loading it, where nft
// runs (root, nftables installed).
func checkSyntax(t *testing.T, ruleset string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	if _, err := exec.LookPath("nft"); err != nil {
		return
	}
	path := filepath.Join(t.TempDir(), "ruleset.nft")
	if err := os.WriteFile(path, []byte(ruleset), 0o600); err != nil {
		t.Fatal(err)
	}
	// -c checks the whole transaction without committing it.
	if out, err := exec.Command("nft", "-c", "-f", path).CombinedOutput(); err != nil {
		t.Errorf("nft -c rejects the ruleset: %v\n%s\n%s", err, out, ruleset)
	}
}
