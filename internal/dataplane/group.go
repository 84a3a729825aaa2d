package dataplane

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Resolver says which addresses stand behind the peers a security group
// rule names by ID only.
type Resolver struct {
	// PrefixLists holds each named prefix list's entries, as
	// GetManagedPrefixListEntries returns them.
	PrefixLists map[string][]types.PrefixListEntry
	// GroupMembers holds the addresses of the network interfaces in each
	// referenced security group. EC2 does not list them with the rule: the
	// caller knows which hosts it put in the group.
	GroupMembers map[string][]netip.Addr
}

// GroupRuleset writes an nftables table, named table, that filters the
// traffic of the host wearing a security group as AWS does, from the
// group's rules as DescribeSecurityGroupRules returns them. It is loaded in
// the host's own network namespace, where it replaces a table of the same
// name in one transaction.
//
// The semantics, from the Amazon EC2 User Guide, "Security group rules"
// and "Security group connection tracking":
//
//   - Rules only allow; what no rule allows is dropped, in both
//     directions. Ingress rules match a packet's source, egress rules its
//     destination.
//   - The group is stateful: a response to traffic the group let through
//     is let through whatever the rules of the other direction say
//     (ct state established), and so are ICMP errors about a tracked
//     connection (ct state related), which path MTU discovery needs.
//   - A rule's peer is an IPv4 CIDR, an IPv6 CIDR, a managed prefix list
//     (its entries' CIDRs, resolved through the SDK) or another security
//     group (the private addresses of the interfaces in that group, which
//     the caller supplies in Resolver.GroupMembers).
//   - Protocol -1 is every protocol and every port; TCP and UDP rules name
//     a destination port range; ICMP and ICMPv6 rules name a type in
//     FromPort and a code in ToPort, -1 meaning any.
//
// What AWS never filters on an instance is let through too: loopback, and
// IPv6 neighbour discovery and multicast listener messages, which the VPC
// answers itself (ARP is not IP and nftables' inet family never sees it).
func GroupRuleset(table string, rules []types.SecurityGroupRule, r Resolver) (string, error) {
	var in, out []string
	for _, rule := range sortedRules(rules) {
		lines, err := groupRuleLines(rule, r)
		if err != nil {
			return "", err
		}
		if aws.ToBool(rule.IsEgress) {
			out = append(out, lines...)
		} else {
			in = append(in, lines...)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "table inet %[1]s\ndelete table inet %[1]s\ntable inet %[1]s {\n", table)
	writeGroupChain(&b, "ingress", "input", "iif", in)
	writeGroupChain(&b, "egress", "output", "oif", out)
	b.WriteString("}\n")
	return b.String(), nil
}

// sortedRules orders rules by ID so that the ruleset is the same for the
// same group whatever order EC2 lists them in; order does not change what
// allow-only rules do.
func sortedRules(rules []types.SecurityGroupRule) []types.SecurityGroupRule {
	out := slices.Clone(rules)
	slices.SortFunc(out, func(a, b types.SecurityGroupRule) int {
		return strings.Compare(aws.ToString(a.SecurityGroupRuleId), aws.ToString(b.SecurityGroupRuleId))
	})
	return out
}

func writeGroupChain(b *strings.Builder, name, hook, ifKey string, rules []string) {
	fmt.Fprintf(b, "\tchain %s {\n\t\ttype filter hook %s priority filter; policy drop;\n", name, hook)
	fmt.Fprintf(b, "\t\t%s \"lo\" accept\n", ifKey)
	fmt.Fprintf(b, "\t\tct state established,related counter accept comment %s\n", comment("group: state of an admitted connection"))
	fmt.Fprintf(b, "\t\ticmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query, mld-listener-report, mld2-listener-report } accept comment %s\n",
		comment("neighbour discovery: answered by the VPC, never filtered"))
	for _, r := range rules {
		fmt.Fprintf(b, "\t\t%s\n", r)
	}
	fmt.Fprintf(b, "\t\tcounter drop comment %s\n", comment("drop: no security group rule allows "+name))
	b.WriteString("\t}\n")
}

// groupRuleLines writes one nft rule per address block the rule's peer
// stands for.
func groupRuleLines(rule types.SecurityGroupRule, r Resolver) ([]string, error) {
	id := aws.ToString(rule.SecurityGroupRuleId)
	pr, err := parseProto(aws.ToString(rule.IpProtocol))
	if err != nil {
		return nil, fmt.Errorf("rule %s: %w", id, err)
	}
	peers, label, err := rulePeers(rule, r)
	if err != nil {
		return nil, fmt.Errorf("rule %s: %w", id, err)
	}
	from, to := int(aws.ToInt32(rule.FromPort)), int(aws.ToInt32(rule.ToPort))
	if rule.FromPort == nil {
		from, to = -1, -1
	}
	direction := "ingress"
	if aws.ToBool(rule.IsEgress) {
		direction = "egress"
	}
	note := comment(fmt.Sprintf("group %s %s %s %d-%d %s", id, direction, aws.ToString(rule.IpProtocol), from, to, label))
	var lines []string
	for _, p := range peers {
		m, ok := match(pr, p, !aws.ToBool(rule.IsEgress), from, to)
		if !ok {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s counter accept comment %s", m, note))
	}
	return lines, nil
}

// rulePeers resolves the rule's single peer to address blocks.
func rulePeers(rule types.SecurityGroupRule, r Resolver) ([]peer, string, error) {
	switch {
	case rule.CidrIpv4 != nil:
		p, err := netip.ParsePrefix(aws.ToString(rule.CidrIpv4))
		return []peer{{p}}, aws.ToString(rule.CidrIpv4), err
	case rule.CidrIpv6 != nil:
		p, err := netip.ParsePrefix(aws.ToString(rule.CidrIpv6))
		return []peer{{p}}, aws.ToString(rule.CidrIpv6), err
	case rule.PrefixListId != nil:
		id := aws.ToString(rule.PrefixListId)
		entries, ok := r.PrefixLists[id]
		if !ok {
			return nil, "", fmt.Errorf("prefix list %s was not resolved", id)
		}
		var peers []peer
		for _, e := range entries {
			p, err := netip.ParsePrefix(aws.ToString(e.Cidr))
			if err != nil {
				return nil, "", fmt.Errorf("prefix list %s: %w", id, err)
			}
			peers = append(peers, peer{p})
		}
		return peers, id, nil
	case rule.ReferencedGroupInfo != nil:
		id := aws.ToString(rule.ReferencedGroupInfo.GroupId)
		members, ok := r.GroupMembers[id]
		if !ok {
			return nil, "", fmt.Errorf("security group %s: its members were not given", id)
		}
		var peers []peer
		for _, a := range members {
			peers = append(peers, peer{netip.PrefixFrom(a, a.BitLen())})
		}
		return peers, id, nil
	}
	return nil, "", fmt.Errorf("names no peer")
}
