package dataplane

import (
	"cmp"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Subnet is one subnet as the router sees it: the interface its traffic
// comes in and goes out by, and the network ACL associated with it.
type Subnet struct {
	// Name is a short label, letters, digits and underscores, used in
	// chain names.
	Name string
	// Interface is the router's interface towards the subnet.
	Interface string
	ACL       types.NetworkAcl
}

var chainName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ACLRuleset writes an nftables table, named table, for the router that
// joins the subnets: each subnet's network ACL filters what crosses that
// subnet's boundary, as AWS does. It is loaded in the router's network
// namespace, where it replaces a table of the same name in one
// transaction.
//
// The semantics, from the Amazon VPC User Guide, "Control subnet traffic
// with network ACLs" and "Network ACL rules":
//
//   - A network ACL is stateless: a packet is judged on its own, with no
//     memory of the connection it belongs to, so a response needs an entry
//     of its own (no conntrack expression appears in these chains).
//   - Inbound entries judge packets entering the subnet, by their source
//     address; outbound entries judge packets leaving it, by their
//     destination address. A packet from one subnet to another leaves the
//     first (its outbound entries) and then enters the second (its
//     inbound entries); both must allow it.
//   - Entries are judged in rule number order, lowest first, and the first
//     entry that matches decides, allow or deny. What no entry matches is
//     denied by the built-in entries (* for IPv4, numbered 32767, and for
//     IPv6, 32768), written here as the chain's last rules.
//   - Traffic between two addresses of one subnet never crosses its
//     boundary, so no ACL judges it: the router bridges it, and where the
//     kernel hands bridged frames to the IP hooks (br_netfilter's
//     bridge-nf-call-iptables), the forward chain lets a packet that comes
//     in and goes out by the same subnet's interface through before any
//     ACL chain. Neither are judged the router's own packets (neighbour discovery, router
//     advertisements), which the VPC router's own, unfiltered traffic
//     stands for; the ICMP errors of path MTU discovery come from a router
//     beyond the VPC and are forwarded, so they are judged.
//   - An entry names one CIDR, IPv4 or IPv6; TCP and UDP entries a
//     destination port range; ICMP entries a type and code (-1: any),
//     which AWS always returns: an ICMP entry without them is an error
//     here, not read as any (moto drops them; the tests' recorder puts
//     them back).
//
// Each subnet's chains end an allow with "return", not "accept": accept
// would end the whole hook, and the other subnet's ACL would never judge
// the packet.
func ACLRuleset(table string, subnets []Subnet) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "table inet %[1]s\ndelete table inet %[1]s\ntable inet %[1]s {\n", table)
	var within, leave, enter []string
	for _, s := range subnets {
		if !chainName.MatchString(s.Name) {
			return "", fmt.Errorf("subnet name %q: use lower-case letters, digits and underscores", s.Name)
		}
		for _, egress := range []bool{false, true} {
			if err := writeACLChain(&b, s, egress); err != nil {
				return "", err
			}
		}
		within = append(within, fmt.Sprintf("iifname %[1]q oifname %[1]q accept comment %[2]s", s.Interface, comment("within subnet "+s.Name+": no ACL")))
		leave = append(leave, fmt.Sprintf("iifname %q jump %s", s.Interface, aclChain(s, true)))
		enter = append(enter, fmt.Sprintf("oifname %q jump %s", s.Interface, aclChain(s, false)))
	}
	b.WriteString("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n")
	for _, l := range slices.Concat(within, leave, enter) {
		fmt.Fprintf(&b, "\t\t%s\n", l)
	}
	b.WriteString("\t}\n}\n")
	return b.String(), nil
}

func aclChain(s Subnet, egress bool) string {
	if egress {
		return "nacl_" + s.Name + "_out"
	}
	return "nacl_" + s.Name + "_in"
}

func writeACLChain(b *strings.Builder, s Subnet, egress bool) error {
	id := aws.ToString(s.ACL.NetworkAclId)
	fmt.Fprintf(b, "\tchain %s {\n", aclChain(s, egress))
	for _, e := range sortedEntries(s.ACL.Entries, egress) {
		line, ok, err := entryLine(id, e)
		if err != nil {
			return err
		}
		if ok {
			fmt.Fprintf(b, "\t\t%s\n", line)
		}
	}
	direction := "inbound"
	if egress {
		direction = "outbound"
	}
	fmt.Fprintf(b, "\t\tmeta nfproto ipv4 counter drop comment %s\n", comment(fmt.Sprintf("drop: %s %s #32767 built-in deny (IPv4)", id, direction)))
	fmt.Fprintf(b, "\t\tmeta nfproto ipv6 counter drop comment %s\n", comment(fmt.Sprintf("drop: %s %s #32768 built-in deny (IPv6)", id, direction)))
	b.WriteString("\t}\n")
	return nil
}

func sortedEntries(entries []types.NetworkAclEntry, egress bool) []types.NetworkAclEntry {
	var out []types.NetworkAclEntry
	for _, e := range entries {
		if aws.ToBool(e.Egress) == egress {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b types.NetworkAclEntry) int {
		return cmp.Compare(aws.ToInt32(a.RuleNumber), aws.ToInt32(b.RuleNumber))
	})
	return out
}

// entryLine writes one entry as an nft rule; ok is false for an entry no
// packet can match (ICMP with an IPv6 block).
func entryLine(aclID string, e types.NetworkAclEntry) (string, bool, error) {
	number := aws.ToInt32(e.RuleNumber)
	pr, err := parseProto(aws.ToString(e.Protocol))
	if err != nil {
		return "", false, fmt.Errorf("%s entry %d: %w", aclID, number, err)
	}
	cidr := aws.ToString(e.CidrBlock) + aws.ToString(e.Ipv6CidrBlock)
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil {
		return "", false, fmt.Errorf("%s entry %d: %w", aclID, number, err)
	}
	from, to := -1, -1
	switch {
	case (pr == protoTCP || pr == protoUDP) && e.PortRange != nil:
		from, to = int(aws.ToInt32(e.PortRange.From)), int(aws.ToInt32(e.PortRange.To))
	case pr == protoICMP || pr == protoICMPv6:
		if e.IcmpTypeCode == nil || e.IcmpTypeCode.Type == nil || e.IcmpTypeCode.Code == nil {
			return "", false, fmt.Errorf("%s entry %d: an ICMP entry without its type and code (AWS always returns them)", aclID, number)
		}
		from, to = int(aws.ToInt32(e.IcmpTypeCode.Type)), int(aws.ToInt32(e.IcmpTypeCode.Code))
	}
	m, ok := match(pr, peer{prefix}, !aws.ToBool(e.Egress), from, to)
	if !ok {
		return "", false, nil
	}
	direction := "inbound"
	if aws.ToBool(e.Egress) {
		direction = "outbound"
	}
	verdict, action := "return", "allow"
	if e.RuleAction == types.RuleActionDeny {
		verdict, action = "drop", "drop: deny"
	}
	note := comment(fmt.Sprintf("%s %s %s #%d %s", action, aclID, direction, number, entryText(e)))
	return fmt.Sprintf("%s counter %s comment %s", m, verdict, note), true, nil
}

func entryText(e types.NetworkAclEntry) string {
	s := aws.ToString(e.Protocol) + " " + aws.ToString(e.CidrBlock) + aws.ToString(e.Ipv6CidrBlock)
	if e.PortRange != nil {
		s += fmt.Sprintf(" %d-%d", aws.ToInt32(e.PortRange.From), aws.ToInt32(e.PortRange.To))
	}
	return s
}
