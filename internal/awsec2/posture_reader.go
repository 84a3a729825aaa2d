package awsec2

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The reads behind a reachability check of a live posture: any group and
// any ACL, made by this provider or not.

// FindSecurityGroups returns the groups in one call, in the order asked,
// or ErrNotFound naming the first that does not exist.
func FindSecurityGroups(ctx context.Context, client *ec2.Client, ids []string) ([]*SecurityGroup, error) {
	out, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: ids})
	if err != nil {
		if hasCode(err, codeGroupNotFound, codeGroupIDNotFound) {
			return nil, fmt.Errorf("no such security group in this region among %s (%w): check the IDs: %w", strings.Join(ids, ", "), ErrNotFound, err)
		}
		return nil, fmt.Errorf("describing security groups %s: %w", strings.Join(ids, ", "), err)
	}
	byID := map[string]*SecurityGroup{}
	for _, g := range out.SecurityGroups {
		byID[aws.ToString(g.GroupId)] = groupFromAWS(g, client.Options().Region)
	}
	groups := make([]*SecurityGroup, len(ids))
	for i, id := range ids {
		if groups[i] = byID[id]; groups[i] == nil {
			return nil, fmt.Errorf("security group %s: %w", id, ErrNotFound)
		}
	}
	return groups, nil
}

// FindSubnetNetworkACL returns the ACL the subnet is associated with; every
// subnet has exactly one. ErrNotFound means the subnet has none listed,
// which is what an unknown subnet looks like.
func FindSubnetNetworkACL(ctx context.Context, client *ec2.Client, subnetID string) (*NetworkACL, error) {
	acls, err := findNetworkACLs(ctx, client, []types.Filter{{Name: aws.String("association.subnet-id"), Values: []string{subnetID}}})
	if err != nil {
		return nil, err
	}
	if len(acls) != 1 {
		return nil, fmt.Errorf("subnet %s: %w (no network ACL is associated with it)", subnetID, ErrNotFound)
	}
	return acls[0], nil
}

// GroupMemberAddresses returns the private addresses of the network
// interfaces in each group: who a rule that references the group admits.
func GroupMemberAddresses(ctx context.Context, client *ec2.Client, groupIDs []string) (map[string][]netip.Addr, error) {
	members := make(map[string][]netip.Addr, len(groupIDs))
	if len(groupIDs) == 0 {
		return members, nil
	}
	pages := ec2.NewDescribeNetworkInterfacesPaginator(client, &ec2.DescribeNetworkInterfacesInput{
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: groupIDs}},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing the network interfaces of %v: %w", groupIDs, err)
		}
		for _, ni := range page.NetworkInterfaces {
			var addrs []netip.Addr
			for _, ip := range ni.PrivateIpAddresses {
				if a, err := netip.ParseAddr(aws.ToString(ip.PrivateIpAddress)); err == nil {
					addrs = append(addrs, a)
				}
			}
			for _, ip := range ni.Ipv6Addresses {
				if a, err := netip.ParseAddr(aws.ToString(ip.Ipv6Address)); err == nil {
					addrs = append(addrs, a)
				}
			}
			for _, g := range ni.Groups {
				id := aws.ToString(g.GroupId)
				members[id] = append(members[id], addrs...)
			}
		}
	}
	return members, nil
}

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
