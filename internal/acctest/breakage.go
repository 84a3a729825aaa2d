package acctest

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// NarrowACLEntry breaks a posture by hand, as someone editing the ACL in
// the console would: the entry of the given direction, protocol number and
// IPv4 block that starts at port from is replaced, in place, by one that
// covers newFrom-newTo.
func NarrowACLEntry(ctx context.Context, client *ec2.Client, aclID string, egress bool, protocol, cidr string, from, newFrom, newTo int32) error {
	out, err := client.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{aclID}})
	if err != nil {
		return fmt.Errorf("reading %s: %w", aclID, err)
	}
	if len(out.NetworkAcls) != 1 {
		return fmt.Errorf("reading %s: %d ACLs listed", aclID, len(out.NetworkAcls))
	}
	for _, e := range out.NetworkAcls[0].Entries {
		if aws.ToBool(e.Egress) != egress || aws.ToString(e.Protocol) != protocol || aws.ToString(e.CidrBlock) != cidr ||
			e.PortRange == nil || aws.ToInt32(e.PortRange.From) != from {
			continue
		}
		_, err := client.ReplaceNetworkAclEntry(ctx, &ec2.ReplaceNetworkAclEntryInput{
			NetworkAclId: aws.String(aclID), RuleNumber: e.RuleNumber, Egress: e.Egress, RuleAction: e.RuleAction,
			Protocol: e.Protocol, CidrBlock: e.CidrBlock, PortRange: &types.PortRange{From: aws.Int32(newFrom), To: aws.Int32(newTo)},
		})
		return err
	}
	return fmt.Errorf("%s holds no entry egress=%v protocol %s %s from port %d", aclID, egress, protocol, cidr, from)
}

// AuthorizeRogueRule adds a rule by hand, as drift: every TCP port from
// anywhere.
func AuthorizeRogueRule(ctx context.Context, client *ec2.Client, groupID string) error {
	_, err := client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(groupID),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(0), ToPort: aws.Int32(65535),
			IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0"), Description: aws.String("rogue")}}}},
	})
	if err != nil {
		return fmt.Errorf("authorizing a rogue rule in %s: %w", groupID, err)
	}
	return nil
}
