package dataplane

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// addIPv6 gives the network's subnets their /64s of the VPC's IPv6 block
// through the SDK, as a dual-stack VPC's subnets have them, and the
// topology's hosts their IPv6 addresses in them.
func addIPv6(ctx context.Context, client *ec2.Client, n *acctest.Network) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{n.VPCID}})
	if err != nil {
		return fmt.Errorf("describing VPC %s: %w", n.VPCID, err)
	}
	if len(out.Vpcs) != 1 || len(out.Vpcs[0].Ipv6CidrBlockAssociationSet) == 0 {
		return fmt.Errorf("VPC %s has no IPv6 block", n.VPCID)
	}
	vpc6, err := netip.ParsePrefix(aws.ToString(out.Vpcs[0].Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock))
	if err != nil {
		return fmt.Errorf("VPC %s's IPv6 block: %w", n.VPCID, err)
	}
	if err := assignIPv6(vpc6); err != nil {
		return err
	}
	ids := map[*vpcSubnet]string{bastionSubnet: n.BastionSubnetID, ddveSubnet: n.DDVESubnetID, spareSubnet: n.SpareSubnetID}
	if err := allowIPv6InDefaultACL(ctx, client, n.DefaultACLID); err != nil {
		return err
	}
	for _, s := range vpcSubnets {
		if _, err := client.AssociateSubnetCidrBlock(ctx, &ec2.AssociateSubnetCidrBlockInput{
			SubnetId: aws.String(ids[s]), Ipv6CidrBlock: aws.String(s.prefix6.String()),
		}); err != nil {
			return fmt.Errorf("giving subnet %s the IPv6 block %s: %w", ids[s], s.prefix6, err)
		}
	}
	return nil
}

// allowIPv6InDefaultACL gives the VPC's default network ACL the entries
// AWS adds to it when the VPC gets an IPv6 block: rule 101, all traffic
// from and to ::/0, in and out (the VPC guide, "Default network ACL").
// moto adds only the IPv4 entries (rule 100); without these, every IPv6
// flow through a subnet the test leaves on the default ACL would be
// dropped by its built-in deny, where AWS passes it.
func allowIPv6InDefaultACL(ctx context.Context, client *ec2.Client, aclID string) error {
	out, err := client.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{aclID}})
	if err != nil || len(out.NetworkAcls) != 1 {
		return fmt.Errorf("reading the default ACL %s: %v", aclID, err)
	}
	for _, egress := range []bool{false, true} {
		if slices.ContainsFunc(out.NetworkAcls[0].Entries, func(e types.NetworkAclEntry) bool {
			return aws.ToBool(e.Egress) == egress && aws.ToString(e.Ipv6CidrBlock) == "::/0" && e.RuleAction == types.RuleActionAllow
		}) {
			continue
		}
		if _, err := client.CreateNetworkAclEntry(ctx, &ec2.CreateNetworkAclEntryInput{
			NetworkAclId: aws.String(aclID), RuleNumber: aws.Int32(101), Egress: aws.Bool(egress), Protocol: aws.String("-1"),
			RuleAction: types.RuleActionAllow, Ipv6CidrBlock: aws.String("::/0"),
		}); err != nil {
			return fmt.Errorf("adding the IPv6 allow-all entry to the default ACL %s: %w", aclID, err)
		}
	}
	return nil
}
