package awsec2

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// Reads of a subnet and its VPC, for checks of a live posture: which
// traffic stays inside the subnet, and where the VPC's DNS server is.

// FindSubnetCIDRs returns the subnet's IPv4 and IPv6 blocks: traffic
// between addresses inside them never crosses the subnet's network ACL.
func FindSubnetCIDRs(ctx context.Context, client *ec2.Client, subnetID string) ([]netip.Prefix, error) {
	out, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{subnetID}})
	if err != nil {
		return nil, fmt.Errorf("subnet %s: %w", subnetID, notFound(err, codeSubnetNotFound))
	}
	if len(out.Subnets) != 1 {
		return nil, fmt.Errorf("subnet %s: %w", subnetID, ErrNotFound)
	}
	var blocks []netip.Prefix
	subnet := out.Subnets[0]
	if p, err := netip.ParsePrefix(aws.ToString(subnet.CidrBlock)); err == nil {
		blocks = append(blocks, p)
	}
	for _, a := range subnet.Ipv6CidrBlockAssociationSet {
		if p, err := netip.ParsePrefix(aws.ToString(a.Ipv6CidrBlock)); err == nil {
			blocks = append(blocks, p)
		}
	}
	return blocks, nil
}

// FindVPCPrimaryCIDR returns the VPC's primary IPv4 block, whose base plus
// two is the Amazon DNS server's address.
func FindVPCPrimaryCIDR(ctx context.Context, client *ec2.Client, vpcID string) (netip.Prefix, error) {
	out, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("VPC %s: %w", vpcID, notFound(err, codeVPCNotFound))
	}
	if len(out.Vpcs) != 1 {
		return netip.Prefix{}, fmt.Errorf("VPC %s: %w", vpcID, ErrNotFound)
	}
	p, err := netip.ParsePrefix(aws.ToString(out.Vpcs[0].CidrBlock))
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("VPC %s has no primary IPv4 block: %w", vpcID, err)
	}
	return p, nil
}
