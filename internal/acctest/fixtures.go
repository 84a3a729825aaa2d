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

// Network is the seed's layout: a VPC with a public bastion subnet and a
// private DDVE subnet, a bastion security group, and the S3 prefix list.
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
	vpc, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
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
	// Hardened by hand too: no default allow-all egress.
	if _, err := client.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{
		GroupId:       group.GroupId,
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}},
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
