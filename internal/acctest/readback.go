package acctest

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The evaluator reads rules and entries as posture's types. Checks that
// feed it what AWS holds convert the SDK's answers here, field by field,
// apart from the finders the resources read AWS with: a conversion bug
// the resources share with a check would otherwise pass unseen.

// ReadGroupRules returns the group's rules as DescribeSecurityGroupRules
// lists them.
func ReadGroupRules(ctx context.Context, client *ec2.Client, groupID string) ([]posture.Rule, error) {
	var rules []posture.Rule
	pages := ec2.NewDescribeSecurityGroupRulesPaginator(client, &ec2.DescribeSecurityGroupRulesInput{
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the rules of %s: %w", groupID, err)
		}
		for _, r := range page.SecurityGroupRules {
			direction := posture.Ingress
			if aws.ToBool(r.IsEgress) {
				direction = posture.Egress
			}
			rule := posture.Rule{
				Direction: direction, Protocol: aws.ToString(r.IpProtocol),
				FromPort: int(aws.ToInt32(r.FromPort)), ToPort: int(aws.ToInt32(r.ToPort)),
				CIDRIPv4: aws.ToString(r.CidrIpv4), CIDRIPv6: aws.ToString(r.CidrIpv6),
				PrefixListID: aws.ToString(r.PrefixListId), Description: aws.ToString(r.Description),
			}
			if r.ReferencedGroupInfo != nil {
				rule.ReferencedGroupID = aws.ToString(r.ReferencedGroupInfo.GroupId)
			}
			rules = append(rules, rule)
		}
	}
	return rules, nil
}

// ReadACLEntries returns the ACL's entries as DescribeNetworkAcls lists
// them, less the built-in deny-all entries (32767, and 32768 for IPv6).
// Read it through a test's recorder, which gives back the ICMP type and
// code the emulator forgets.
func ReadACLEntries(ctx context.Context, client *ec2.Client, aclID string) ([]posture.Entry, error) {
	out, err := client.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{aclID}})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", aclID, err)
	}
	if len(out.NetworkAcls) != 1 {
		return nil, fmt.Errorf("reading %s: %d network ACLs listed", aclID, len(out.NetworkAcls))
	}
	var entries []posture.Entry
	for _, e := range out.NetworkAcls[0].Entries {
		number := int(aws.ToInt32(e.RuleNumber))
		if number == 32767 || number == 32768 {
			continue
		}
		entry := posture.Entry{
			RuleNumber: number, Egress: aws.ToBool(e.Egress), Action: string(e.RuleAction),
			Protocol: entryProtocolNumber(aws.ToString(e.Protocol)), CIDRBlock: aws.ToString(e.CidrBlock), IPv6CIDRBlock: aws.ToString(e.Ipv6CidrBlock),
		}
		if e.PortRange != nil {
			entry.FromPort, entry.ToPort = int(aws.ToInt32(e.PortRange.From)), int(aws.ToInt32(e.PortRange.To))
		}
		if e.IcmpTypeCode != nil {
			entry.ICMPType, entry.ICMPCode = int(aws.ToInt32(e.IcmpTypeCode.Type)), int(aws.ToInt32(e.IcmpTypeCode.Code))
		}
		entries = append(entries, entry)
	}
	return entries, nil
}

// entryProtocolNumber writes an entry's protocol as its number, as AWS answers
// it ("6"), whatever spelling a describe gives ("tcp" from some emulators).
func entryProtocolNumber(p string) string {
	if _, err := strconv.Atoi(p); err == nil {
		return p
	}
	if n, ok := map[string]int{"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "all": -1}[p]; ok {
		return strconv.Itoa(n)
	}
	return p
}

// ExpectGroupsGone fails unless a describe filtered on each ID lists no
// group: a filter answers an empty list where an ID answers an error, so
// an error here is a failure, never taken for "gone".
func ExpectGroupsGone(ctx context.Context, client *ec2.Client, groupIDs []string) error {
	if len(groupIDs) == 0 {
		return nil
	}
	out, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: groupIDs}},
	})
	if err != nil {
		return fmt.Errorf("listing groups %v: %w", groupIDs, err)
	}
	for _, g := range out.SecurityGroups {
		return fmt.Errorf("security group %s still exists", aws.ToString(g.GroupId))
	}
	return nil
}

// ExpectACLsGone fails when the VPC's network ACLs, listed through a
// filter on the VPC, include any of aclIDs. (The emulator answers no
// filter on the ACL's own ID.)
func ExpectACLsGone(ctx context.Context, client *ec2.Client, vpcID string, aclIDs []string) error {
	pages := ec2.NewDescribeNetworkAclsPaginator(client, &ec2.DescribeNetworkAclsInput{
		Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
	})
	listed := 0
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing the network ACLs of %s: %w", vpcID, err)
		}
		for _, a := range page.NetworkAcls {
			listed++
			if slices.Contains(aclIDs, aws.ToString(a.NetworkAclId)) {
				return fmt.Errorf("network ACL %s still exists", aws.ToString(a.NetworkAclId))
			}
		}
	}
	if listed == 0 {
		// Every VPC has its default ACL: an empty list means the filter
		// matched nothing, and the check has seen nothing.
		return fmt.Errorf("no network ACL listed in %s, not even its default one", vpcID)
	}
	return nil
}

// ReadGroupTags returns the group's tags as DescribeSecurityGroups lists
// them, the provider's own tags included.
func ReadGroupTags(ctx context.Context, client *ec2.Client, groupID string) (map[string]string, error) {
	out, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}},
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", groupID, err)
	}
	if len(out.SecurityGroups) != 1 {
		return nil, fmt.Errorf("reading %s: %d groups listed", groupID, len(out.SecurityGroups))
	}
	tags := map[string]string{}
	for _, t := range out.SecurityGroups[0].Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags, nil
}
