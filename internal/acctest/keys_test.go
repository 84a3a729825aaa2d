package acctest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The keys as a reader meets them in a failed check.
func TestKeyExamples(t *testing.T) {
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
		}), `ingress icmp 8--1 ipv6 ::/0 description ""`},
		{GroupRuleKey(types.SecurityGroupRule{
			IsEgress: aws.Bool(true), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(444),
			PrefixListId: aws.String("pl-1"), Description: aws.String("ddve object_storage: HTTPS to S3"),
		}), `egress tcp 443-444 prefix-list pl-1 description "ddve object_storage: HTTPS to S3"`},
		{GroupRuleKey(types.SecurityGroupRule{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
			ReferencedGroupInfo: &types.ReferencedSecurityGroup{GroupId: aws.String("sg-1")},
			Description:         aws.String("ddve management: SSH"),
		}), `ingress tcp 22-22 group sg-1 description "ddve management: SSH"`},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestGroupRuleKeyCarriesEveryField changes each field of the SDK's rule
// in turn: the key must change with it, unless the field is one of these,
// which name the rule or its group rather than say what the rule admits.
// A field the SDK adds later fails the test until it is keyed or listed.
func TestGroupRuleKeyCarriesEveryField(t *testing.T) {
	ignored := map[string]string{
		"GroupId":              "the group that holds the rule: keys are compared within one group",
		"GroupOwnerId":         "the account that owns that group, the same for all its rules",
		"SecurityGroupRuleId":  "AWS's name for the rule: a rule put back after drift gets a new one",
		"SecurityGroupRuleArn": "the rule ID again, as an ARN",
		"Tags":                 "the provider tags the group, never its rules",
		"ReferencedGroupInfo.UserId": "the account of the referenced group, whose ID the key carries; " +
			"a rule naming a group never sets it",
		"ReferencedGroupInfo.VpcId": "the VPC of the referenced group, whose ID the key carries; " +
			"a rule naming a group never sets it",
		"ReferencedGroupInfo.PeeringStatus": "the state of a VPC peering, which AWS reports and no rule " +
			"request sets: the provider references groups of its own VPC",
		"ReferencedGroupInfo.VpcPeeringConnectionId": "likewise, the peering connection AWS reports",
	}
	full := types.SecurityGroupRule{
		CidrIpv4: aws.String("10.0.1.10/32"), CidrIpv6: aws.String("2001:db8::/64"), Description: aws.String("ddve management: SSH"),
		FromPort: aws.Int32(22), ToPort: aws.Int32(22), GroupId: aws.String("sg-0a"), GroupOwnerId: aws.String("123456789012"),
		IpProtocol: aws.String("tcp"), IsEgress: aws.Bool(false), PrefixListId: aws.String("pl-1"),
		ReferencedGroupInfo: &types.ReferencedSecurityGroup{
			GroupId: aws.String("sg-0b"), PeeringStatus: aws.String("active"), UserId: aws.String("123456789012"),
			VpcId: aws.String("vpc-1"), VpcPeeringConnectionId: aws.String("pcx-1"),
		},
		SecurityGroupRuleArn: aws.String("arn:aws:ec2:us-east-1:123456789012:security-group-rule/sgr-1"),
		SecurityGroupRuleId:  aws.String("sgr-1"),
		Tags:                 []types.Tag{{Key: aws.String("Name"), Value: aws.String("ssh")}},
	}
	checkKeyCarriesEveryField(t, GroupRuleKey, full, ignored)
}

// TestACLEntryKeyCarriesEveryField: every field of an ACL entry is part of
// what the ACL does, the rule number included (it orders the entries), so
// none is ignored.
func TestACLEntryKeyCarriesEveryField(t *testing.T) {
	full := types.NetworkAclEntry{
		CidrBlock: aws.String("10.0.1.10/32"), Ipv6CidrBlock: aws.String("2001:db8::/64"), Egress: aws.Bool(false),
		IcmpTypeCode: &types.IcmpTypeCode{Type: aws.Int32(8), Code: aws.Int32(0)},
		PortRange:    &types.PortRange{From: aws.Int32(22), To: aws.Int32(22)},
		Protocol:     aws.String("6"), RuleAction: types.RuleActionAllow, RuleNumber: aws.Int32(100),
	}
	checkKeyCarriesEveryField(t, ACLEntryKey, full, nil)
}
