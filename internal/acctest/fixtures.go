package acctest

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Region the tests run in; the emulator holds the S3 prefix list there.
const Region = "us-east-1"

// EC2Client is an SDK client for fixtures and checks, talking to endpoint
// with the emulator's dummy credentials.
func EC2Client(endpoint string) *ec2.Client {
	return ec2.New(ec2.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
}

// Network is the seed's layout: a dual-stack VPC with a public bastion
// subnet and a private DDVE subnet, a bastion security group, and the S3
// prefix list. The VPC has an IPv6 block as most new VPCs on AWS do: a
// group made in it starts with allow-all egress to ::/0 as well as
// 0.0.0.0/0.
type Network struct {
	VPCID            string
	BastionSubnetID  string
	DDVESubnetID     string
	SpareSubnetID    string
	BastionGroupID   string
	DefaultACLID     string
	S3PrefixListID   string
	S3PrefixListCIDR []string
}

// CreateNetwork makes the seed's network through the SDK.
func CreateNetwork(ctx context.Context, client *ec2.Client) (*Network, error) {
	vpc, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"), AmazonProvidedIpv6CidrBlock: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("creating VPC: %w", err)
	}
	n := &Network{VPCID: aws.ToString(vpc.Vpc.VpcId)}
	for cidr, id := range map[string]*string{"10.0.1.0/24": &n.BastionSubnetID, "10.0.9.0/24": &n.DDVESubnetID, "10.0.10.0/24": &n.SpareSubnetID} {
		subnet, err := client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(cidr)})
		if err != nil {
			return nil, fmt.Errorf("creating subnet %s: %w", cidr, err)
		}
		*id = aws.ToString(subnet.Subnet.SubnetId)
	}
	bastion, err := client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("bastion"), Description: aws.String("bastion host"), VpcId: vpc.Vpc.VpcId,
	})
	if err != nil {
		return nil, fmt.Errorf("creating bastion group: %w", err)
	}
	n.BastionGroupID = aws.ToString(bastion.GroupId)

	acls, err := client.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{n.VPCID}}, {Name: aws.String("default"), Values: []string{"true"}},
	}})
	if err != nil || len(acls.NetworkAcls) != 1 {
		return nil, fmt.Errorf("finding the default ACL: %v", err)
	}
	n.DefaultACLID = aws.ToString(acls.NetworkAcls[0].NetworkAclId)

	n.S3PrefixListID, n.S3PrefixListCIDR, err = S3PrefixList(ctx, client)
	return n, err
}

// S3PrefixList finds the region's S3 prefix list by name (its ID changes
// with every emulator start) and its CIDRs.
func S3PrefixList(ctx context.Context, client *ec2.Client) (string, []string, error) {
	name := "com.amazonaws." + Region + ".s3"
	lists, err := client.DescribeManagedPrefixLists(ctx, &ec2.DescribeManagedPrefixListsInput{
		Filters: []types.Filter{{Name: aws.String("prefix-list-name"), Values: []string{name}}},
	})
	if err != nil {
		return "", nil, fmt.Errorf("finding prefix list %s: %w", name, err)
	}
	if len(lists.PrefixLists) != 1 {
		return "", nil, fmt.Errorf("prefix list %s: %d found", name, len(lists.PrefixLists))
	}
	id := aws.ToString(lists.PrefixLists[0].PrefixListId)
	entries, err := client.GetManagedPrefixListEntries(ctx, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(id)})
	if err != nil {
		return "", nil, err
	}
	var cidrs []string
	for _, e := range entries.Entries {
		cidrs = append(cidrs, aws.ToString(e.Cidr))
	}
	return id, cidrs, nil
}

// HandMadePosture is a group and an ACL made without this provider, whose
// layers disagree: the group admits SSH from the bastion's whole subnet and
// NFS from a backup server; the ACL passes SSH from the bastion host only
// and forgets the NFS answers.
type HandMadePosture struct {
	GroupID, ACLID string
}

// CreateHandMadePosture makes it in the network's VPC through the SDK.
func CreateHandMadePosture(ctx context.Context, client *ec2.Client, n *Network) (*HandMadePosture, error) {
	group, err := client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("hand-made-ddve"), Description: aws.String("made by hand"), VpcId: aws.String(n.VPCID),
	})
	if err != nil {
		return nil, fmt.Errorf("creating the hand-made group: %w", err)
	}
	tcp := func(port int32, cidr, description string) types.IpPermission {
		return types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port),
			IpRanges: []types.IpRange{{CidrIp: aws.String(cidr), Description: aws.String(description)}}}
	}
	if _, err := client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId:       group.GroupId,
		IpPermissions: []types.IpPermission{tcp(22, "10.0.1.0/24", "ssh from the bastion subnet"), tcp(2049, "10.0.2.5/32", "nfs from backup")},
	}); err != nil {
		return nil, fmt.Errorf("authorizing the hand-made group: %w", err)
	}
	// Hardened by hand too: no default allow-all egress, IPv4 or IPv6.
	if _, err := client.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{
		GroupId: group.GroupId,
		IpPermissions: []types.IpPermission{{
			IpProtocol: aws.String("-1"),
			IpRanges:   []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
			Ipv6Ranges: []types.Ipv6Range{{CidrIpv6: aws.String("::/0")}},
		}},
	}); err != nil {
		return nil, fmt.Errorf("revoking the hand-made group's default egress: %w", err)
	}
	acl, err := client.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{VpcId: aws.String(n.VPCID)})
	if err != nil {
		return nil, fmt.Errorf("creating the hand-made ACL: %w", err)
	}
	for _, e := range []struct {
		number   int32
		egress   bool
		cidr     string
		from, to int32
	}{
		{100, false, "10.0.1.10/32", 22, 22},
		{110, false, "10.0.2.5/32", 2049, 2049},
		{100, true, "10.0.1.10/32", 1024, 65535},
	} {
		if _, err := client.CreateNetworkAclEntry(ctx, &ec2.CreateNetworkAclEntryInput{
			NetworkAclId: acl.NetworkAcl.NetworkAclId, RuleNumber: aws.Int32(e.number), Egress: aws.Bool(e.egress),
			Protocol: aws.String("6"), RuleAction: types.RuleActionAllow, CidrBlock: aws.String(e.cidr),
			PortRange: &types.PortRange{From: aws.Int32(e.from), To: aws.Int32(e.to)},
		}); err != nil {
			return nil, fmt.Errorf("creating a hand-made entry: %w", err)
		}
	}
	return &HandMadePosture{GroupID: aws.ToString(group.GroupId), ACLID: aws.ToString(acl.NetworkAcl.NetworkAclId)}, nil
}

// CreateOtherVPCSubnet makes a subnet in a VPC of its own, for checks that
// a group and a subnet belong together.
func CreateOtherVPCSubnet(ctx context.Context, client *ec2.Client) (string, error) {
	vpc, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.50.0.0/16")})
	if err != nil {
		return "", err
	}
	subnet, err := client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.50.1.0/24")})
	if err != nil {
		return "", err
	}
	return aws.ToString(subnet.Subnet.SubnetId), nil
}

// CreateSeedGroup makes, through the SDK, the group the seed's
// configuration makes with management from 10.0.1.10/32 and the bastion
// group and object storage through the S3 prefix list: SSH and HTTPS in
// from both, HTTPS out to S3, the default egress revoked, each rule with
// the description the provider writes, path MTU discovery's ICMP 3/4 in
// from anywhere, and a Name tag.
func CreateSeedGroup(ctx context.Context, client *ec2.Client, n *Network, name, description string) (string, error) {
	group, err := client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(name), Description: aws.String(description), VpcId: aws.String(n.VPCID),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String(name)}}}},
	})
	if err != nil {
		return "", fmt.Errorf("creating group %s: %w", name, err)
	}
	id := group.GroupId
	descriptions := map[int32]string{22: "ddve management: SSH", 443: "ddve management: HTTPS", 3: "ddve path_mtu_discovery: fragmentation needed"}
	var ingress []types.IpPermission
	for _, port := range []int32{22, 443} {
		ingress = append(ingress, types.IpPermission{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port),
			IpRanges:         []types.IpRange{{CidrIp: aws.String("10.0.1.10/32"), Description: aws.String(descriptions[port])}},
			UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(n.BastionGroupID), Description: aws.String(descriptions[port])}},
		})
	}
	ingress = append(ingress, types.IpPermission{
		IpProtocol: aws.String("icmp"), FromPort: aws.Int32(3), ToPort: aws.Int32(4),
		IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0"), Description: aws.String(descriptions[3])}},
	})
	if _, err := client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: id, IpPermissions: ingress}); err != nil {
		return "", fmt.Errorf("authorizing ingress: %w", err)
	}
	if _, err := client.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: id, IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
		PrefixListIds: []types.PrefixListId{{PrefixListId: aws.String(n.S3PrefixListID), Description: aws.String("ddve object_storage: HTTPS to S3")}},
	}}}); err != nil {
		return "", fmt.Errorf("authorizing egress: %w", err)
	}
	if _, err := client.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: id, IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("-1"),
		IpRanges:   []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
		Ipv6Ranges: []types.Ipv6Range{{CidrIpv6: aws.String("::/0")}},
	}}}); err != nil {
		return "", fmt.Errorf("revoking the default egress: %w", err)
	}
	// The emulator drops the descriptions of rules that name a group or a
	// prefix list: set them on the rules again.
	rules, err := client.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{aws.ToString(id)}}},
	})
	if err != nil {
		return "", err
	}
	var updates []types.SecurityGroupRuleUpdate
	for _, r := range rules.SecurityGroupRules {
		want := descriptions[aws.ToInt32(r.FromPort)]
		if aws.ToBool(r.IsEgress) {
			want = "ddve object_storage: HTTPS to S3"
		}
		if aws.ToString(r.Description) == want {
			continue
		}
		req := &types.SecurityGroupRuleRequest{
			IpProtocol: r.IpProtocol, FromPort: r.FromPort, ToPort: r.ToPort, Description: aws.String(want),
			CidrIpv4: r.CidrIpv4, PrefixListId: r.PrefixListId,
		}
		if r.ReferencedGroupInfo != nil {
			req.ReferencedGroupId = r.ReferencedGroupInfo.GroupId
		}
		updates = append(updates, types.SecurityGroupRuleUpdate{SecurityGroupRuleId: r.SecurityGroupRuleId, SecurityGroupRule: req})
	}
	if len(updates) > 0 {
		if _, err := client.ModifySecurityGroupRules(ctx, &ec2.ModifySecurityGroupRulesInput{GroupId: id, SecurityGroupRules: updates}); err != nil {
			return "", fmt.Errorf("setting the rule descriptions: %w", err)
		}
	}
	return aws.ToString(id), nil
}

// RevokeGroupIngress revokes, through the SDK, the group's ingress rule on
// port from cidr.
func RevokeGroupIngress(ctx context.Context, client *ec2.Client, groupID string, port int32, cidr string) error {
	rules, err := client.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}},
	})
	if err != nil {
		return err
	}
	for _, r := range rules.SecurityGroupRules {
		if !aws.ToBool(r.IsEgress) && aws.ToInt32(r.FromPort) == port && aws.ToString(r.CidrIpv4) == cidr {
			_, err := client.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
				GroupId: aws.String(groupID), SecurityGroupRuleIds: []string{aws.ToString(r.SecurityGroupRuleId)},
			})
			return err
		}
	}
	return fmt.Errorf("group %s has no ingress rule for port %d from %s", groupID, port, cidr)
}

// CreateSeedACL makes, through the SDK, the ACL the seed's DDVE subnet
// configuration makes with management from 10.0.1.10/32, object storage
// through the S3 prefix list, 5.5.5.5 denied and path MTU discovery's
// ICMP 3/4 in and out, tagged ddve-private and
// associated with the DDVE subnet.
func CreateSeedACL(ctx context.Context, client *ec2.Client, n *Network) (string, error) {
	acl, err := client.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{
		VpcId:             aws.String(n.VPCID),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeNetworkAcl, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("ddve-private")}}}},
	})
	if err != nil {
		return "", fmt.Errorf("creating the ACL: %w", err)
	}
	id := acl.NetworkAcl.NetworkAclId
	type entry struct {
		number   int32
		egress   bool
		action   types.RuleAction
		protocol string
		cidr     string
		from, to int32
	}
	entries := []entry{
		{10, false, types.RuleActionDeny, "-1", "5.5.5.5/32", 0, 0},
		{900, false, types.RuleActionAllow, "1", "0.0.0.0/0", 3, 4},
		{900, true, types.RuleActionAllow, "1", "0.0.0.0/0", 3, 4},
		{1000, false, types.RuleActionAllow, "6", "10.0.1.10/32", 22, 22},
		{1010, false, types.RuleActionAllow, "6", "10.0.1.10/32", 443, 443},
		{1000, true, types.RuleActionAllow, "6", "10.0.1.10/32", 1024, 65535},
	}
	for i, cidr := range n.S3PrefixListCIDR {
		entries = append(entries, entry{int32(1010 + 10*i), true, types.RuleActionAllow, "6", cidr, 443, 443})
		for j, r := range ddveReturnRanges {
			entries = append(entries, entry{int32(1020 + 10*(len(ddveReturnRanges)*i+j)), false, types.RuleActionAllow, "6", cidr, r[0], r[1]})
		}
	}
	for _, e := range entries {
		in := &ec2.CreateNetworkAclEntryInput{
			NetworkAclId: id, RuleNumber: aws.Int32(e.number), Egress: aws.Bool(e.egress),
			Protocol: aws.String(e.protocol), RuleAction: e.action, CidrBlock: aws.String(e.cidr),
		}
		switch e.protocol {
		case "-1":
		case "1":
			in.IcmpTypeCode = &types.IcmpTypeCode{Type: aws.Int32(e.from), Code: aws.Int32(e.to)}
		default:
			in.PortRange = &types.PortRange{From: aws.Int32(e.from), To: aws.Int32(e.to)}
		}
		if _, err := client.CreateNetworkAclEntry(ctx, in); err != nil {
			return "", fmt.Errorf("creating entry %d: %w", e.number, err)
		}
	}
	if err := MoveSubnet(ctx, client, n.DDVESubnetID, aws.ToString(id)); err != nil {
		return "", err
	}
	return aws.ToString(id), nil
}

// MoveSubnet associates the subnet with the ACL through the SDK.
func MoveSubnet(ctx context.Context, client *ec2.Client, subnetID, aclID string) error {
	out, err := client.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{
		Filters: []types.Filter{{Name: aws.String("association.subnet-id"), Values: []string{subnetID}}},
	})
	if err != nil {
		return err
	}
	for _, acl := range out.NetworkAcls {
		for _, a := range acl.Associations {
			if aws.ToString(a.SubnetId) == subnetID {
				_, err := client.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{
					AssociationId: a.NetworkAclAssociationId, NetworkAclId: aws.String(aclID),
				})
				return err
			}
		}
	}
	return fmt.Errorf("subnet %s has no ACL association", subnetID)
}

// DeleteACL moves the ACL's subnets to the default ACL and deletes it,
// through the SDK.
func DeleteACL(ctx context.Context, client *ec2.Client, aclID, defaultACLID string) error {
	out, err := client.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{aclID}})
	if err != nil {
		return err
	}
	for _, acl := range out.NetworkAcls {
		for _, a := range acl.Associations {
			if _, err := client.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{
				AssociationId: a.NetworkAclAssociationId, NetworkAclId: aws.String(defaultACLID),
			}); err != nil {
				return err
			}
		}
	}
	_, err = client.DeleteNetworkAcl(ctx, &ec2.DeleteNetworkAclInput{NetworkAclId: aws.String(aclID)})
	return err
}

// ddveReturnRanges are where the answers to DDVE's own connections come
// back in the seed, ddve_ephemeral_ports unset: 1024-65535 less the ports
// DDVE listens on (2049, 2051, 2052, 3009; 111 lies below).
var ddveReturnRanges = [][2]int32{{1024, 2048}, {2050, 2050}, {2053, 3008}, {3010, 65535}}

// DDVEReturnPorts are ddveReturnRanges as "from-to".
var DDVEReturnPorts = func() []string {
	out := make([]string, len(ddveReturnRanges))
	for i, r := range ddveReturnRanges {
		out[i] = fmt.Sprintf("%d-%d", r[0], r[1])
	}
	return out
}()
