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
