package acctest

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// ACLEntryKey names everything an ACL entry holds, as "ingress 1000 allow
// 6 10.0.1.10/32 ports 22-22 icmp -": direction, number, action,
// protocol, the CIDR of either family (both if both are set), the port
// range and the ICMP type/code, "-" where the entry has none.
func ACLEntryKey(e types.NetworkAclEntry) string {
	ports := "-"
	if p := e.PortRange; p != nil {
		ports = fmt.Sprintf("%s-%s", int32Text(p.From), int32Text(p.To))
	}
	icmp := "-"
	if c := e.IcmpTypeCode; c != nil {
		icmp = fmt.Sprintf("%s/%s", int32Text(c.Type), int32Text(c.Code))
	}
	return fmt.Sprintf("%s %d %s %s %s ports %s icmp %s", direction(e.Egress), aws.ToInt32(e.RuleNumber), e.RuleAction,
		aws.ToString(e.Protocol), present(aws.ToString(e.CidrBlock), aws.ToString(e.Ipv6CidrBlock)), ports, icmp)
}

// GroupRuleKey names everything a security group rule holds, as
//
//	ingress tcp 22-22 cidr 10.0.1.10/32 description "ddve management: SSH"
//
// that is: direction, protocol, from and to port (ICMP type and code for
// ICMP), the peer with its kind (cidr, ipv6, group or prefix-list), and
// the description, which the provider writes and puts back when it drifts.
// What names the rule rather than what it holds (its ID and ARN, the group
// and account it belongs to) is left out, so a rule put back equal to the
// one it replaces has the same key.
func GroupRuleKey(r types.SecurityGroupRule) string {
	var group string
	if g := r.ReferencedGroupInfo; g != nil {
		group = aws.ToString(g.GroupId)
	}
	return fmt.Sprintf("%s %s %s-%s %s description %q", direction(r.IsEgress), aws.ToString(r.IpProtocol), int32Text(r.FromPort), int32Text(r.ToPort),
		present(labeled("cidr", aws.ToString(r.CidrIpv4)), labeled("ipv6", aws.ToString(r.CidrIpv6)),
			labeled("group", group), labeled("prefix-list", aws.ToString(r.PrefixListId))),
		aws.ToString(r.Description))
}

func direction(egress *bool) string {
	if aws.ToBool(egress) {
		return "egress"
	}
	return "ingress"
}

// present joins the values that are set, or is "-" if none is.
func present(values ...string) string {
	var set []string
	for _, v := range values {
		if v != "" {
			set = append(set, v)
		}
	}
	if len(set) == 0 {
		return "-"
	}
	return strings.Join(set, ",")
}

// labeled is "kind value", or empty for no value.
func labeled(kind, value string) string {
	if value == "" {
		return ""
	}
	return kind + " " + value
}

func int32Text(v *int32) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprint(*v)
}
