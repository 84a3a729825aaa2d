package acctest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Keys carry every field, so two entries or rules that differ in any one
// never compare equal.
func TestKeysCarryEveryField(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{ACLEntryKey(types.NetworkAclEntry{
			Egress: aws.Bool(true), RuleNumber: aws.Int32(1000), RuleAction: types.RuleActionAllow, Protocol: aws.String("6"),
			CidrBlock: aws.String("10.0.1.10/32"), PortRange: &types.PortRange{From: aws.Int32(1024), To: aws.Int32(65535)},
		}), "egress 1000 allow 6 10.0.1.10/32 ports 1024-65535 icmp -"},
		{ACLEntryKey(types.NetworkAclEntry{
			Egress: aws.Bool(false), RuleNumber: aws.Int32(1010), RuleAction: types.RuleActionAllow, Protocol: aws.String("58"),
			Ipv6CidrBlock: aws.String("2001:db8::/64"), IcmpTypeCode: &types.IcmpTypeCode{Type: aws.Int32(128), Code: aws.Int32(0)},
		}), "ingress 1010 allow 58 2001:db8::/64 ports - icmp 128/0"},
		{GroupRuleKey(types.SecurityGroupRule{
			IsEgress: aws.Bool(false), IpProtocol: aws.String("icmp"), FromPort: aws.Int32(8), ToPort: aws.Int32(-1),
			CidrIpv6: aws.String("::/0"),
		}), "ingress icmp 8--1 ipv6 ::/0"},
		{GroupRuleKey(types.SecurityGroupRule{
			IsEgress: aws.Bool(true), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(444),
			PrefixListId: aws.String("pl-1"),
		}), "egress tcp 443-444 prefix-list pl-1"},
		{GroupRuleKey(types.SecurityGroupRule{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
			ReferencedGroupInfo: &types.ReferencedSecurityGroup{GroupId: aws.String("sg-1")},
		}), "ingress tcp 22-22 group sg-1"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
