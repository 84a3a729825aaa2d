package awsec2

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// SecurityGroup is what the resource keeps of a group besides its rules.
type SecurityGroup struct {
	ID, ARN, OwnerID         string
	Name, Description, VPCID string
	Tags                     map[string]string
}

// GroupRule is a rule as AWS holds it, with its ID.
type GroupRule struct {
	posture.Rule
	ID string
}

// propagationTimeout bounds the wait for a new group to be visible.
const propagationTimeout = 2 * time.Minute

// FindSecurityGroupByID returns the group, or ErrNotFound.
func FindSecurityGroupByID(ctx context.Context, client *ec2.Client, id string) (*SecurityGroup, error) {
	out, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil {
		return nil, notFound(err, codeGroupNotFound, codeGroupIDNotFound)
	}
	if len(out.SecurityGroups) != 1 {
		return nil, fmt.Errorf("security group %s: %w", id, ErrNotFound)
	}
	return groupFromAWS(out.SecurityGroups[0], client.Options().Region), nil
}

func groupFromAWS(g types.SecurityGroup, region string) *SecurityGroup {
	sg := &SecurityGroup{
		ID: aws.ToString(g.GroupId), ARN: aws.ToString(g.SecurityGroupArn), OwnerID: aws.ToString(g.OwnerId),
		Name: aws.ToString(g.GroupName), Description: aws.ToString(g.Description), VPCID: aws.ToString(g.VpcId),
		Tags: fromTags(g.Tags),
	}
	if sg.ARN == "" {
		sg.ARN = fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", region, sg.OwnerID, sg.ID)
	}
	return sg
}

// FindGroupRules returns every rule of the group, all pages.
func FindGroupRules(ctx context.Context, client *ec2.Client, groupID string) ([]GroupRule, error) {
	var rules []GroupRule
	pages := ec2.NewDescribeSecurityGroupRulesPaginator(client, &ec2.DescribeSecurityGroupRulesInput{
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, notFound(err, codeGroupNotFound, codeGroupIDNotFound)
		}
		for _, r := range page.SecurityGroupRules {
			rules = append(rules, ruleFromAWS(r))
		}
	}
	return rules, nil
}

func ruleFromAWS(r types.SecurityGroupRule) GroupRule {
	proto := aws.ToString(r.IpProtocol)
	if n, ok := posture.ProtocolNumber(proto); ok {
		proto = posture.GroupProtocol(n)
	}
	rule := posture.Rule{
		Direction: posture.Ingress,
		Protocol:  proto,
		FromPort:  int(aws.ToInt32(r.FromPort)),
		ToPort:    int(aws.ToInt32(r.ToPort)),
		CIDRIPv4:  aws.ToString(r.CidrIpv4), CIDRIPv6: aws.ToString(r.CidrIpv6),
		PrefixListID: aws.ToString(r.PrefixListId),
		Description:  aws.ToString(r.Description),
	}
	if aws.ToBool(r.IsEgress) {
		rule.Direction = posture.Egress
	}
	if proto == "-1" {
		// AWS reports -1 for "all ports"; the emulator leaves them out.
		rule.FromPort, rule.ToPort = -1, -1
	}
	if r.ReferencedGroupInfo != nil {
		rule.ReferencedGroupID = aws.ToString(r.ReferencedGroupInfo.GroupId)
	}
	return GroupRule{Rule: rule, ID: aws.ToString(r.SecurityGroupRuleId)}
}

func ipPermission(r posture.Rule) types.IpPermission {
	p := types.IpPermission{
		IpProtocol: aws.String(r.Protocol),
		FromPort:   aws.Int32(int32(r.FromPort)),
		ToPort:     aws.Int32(int32(r.ToPort)),
	}
	d := aws.String(r.Description)
	switch {
	case r.CIDRIPv4 != "":
		p.IpRanges = []types.IpRange{{CidrIp: aws.String(r.CIDRIPv4), Description: d}}
	case r.CIDRIPv6 != "":
		p.Ipv6Ranges = []types.Ipv6Range{{CidrIpv6: aws.String(r.CIDRIPv6), Description: d}}
	case r.ReferencedGroupID != "":
		p.UserIdGroupPairs = []types.UserIdGroupPair{{GroupId: aws.String(r.ReferencedGroupID), Description: d}}
	case r.PrefixListID != "":
		p.PrefixListIds = []types.PrefixListId{{PrefixListId: aws.String(r.PrefixListID), Description: d}}
	}
	return p
}

// CreateGroupInput is a new group with its rules.
type CreateGroupInput struct {
	Name, Description, VPCID string
	Tags                     map[string]string
	Rules                    []posture.Rule
}

// CreateSecurityGroup creates the group with its tags in one call, waits
// until EC2 knows it, replaces the default allow-all egress rule with the
// wanted rules and reads them back. When a step after the create fails, the
// group is returned with the error, so the caller can record it and the
// next apply converges instead of leaving it orphaned.
func CreateSecurityGroup(ctx context.Context, client *ec2.Client, in CreateGroupInput) (*SecurityGroup, []GroupRule, error) {
	out, err := client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName:         aws.String(in.Name),
		Description:       aws.String(in.Description),
		VpcId:             aws.String(in.VPCID),
		TagSpecifications: tagSpecifications(types.ResourceTypeSecurityGroup, in.Tags),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("creating security group %q: %w", in.Name, err)
	}
	id := aws.ToString(out.GroupId)
	tflog.Debug(ctx, "created security group", map[string]any{"id": id})

	waiter := ec2.NewSecurityGroupExistsWaiter(client, func(o *ec2.SecurityGroupExistsWaiterOptions) {
		o.MinDelay = time.Second
	})
	described, err := waiter.WaitForOutput(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}}, propagationTimeout)
	if err != nil || len(described.SecurityGroups) != 1 {
		return &SecurityGroup{ID: id, Name: in.Name, Description: in.Description, VPCID: in.VPCID, Tags: in.Tags},
			nil, fmt.Errorf("waiting for security group %s to exist: %w", id, err)
	}
	group := groupFromAWS(described.SecurityGroups[0], client.Options().Region)

	// Every new VPC group allows all egress; the resource owns every rule,
	// so that one goes unless the wanted rules hold it. An IPv6 twin, on
	// VPCs with IPv6, is caught by the reconcile after the read-back.
	defaultEgress := GroupRule{Rule: posture.Rule{Direction: posture.Egress, Protocol: "-1", FromPort: -1, ToPort: -1, CIDRIPv4: "0.0.0.0/0"}}
	plan := diffRules([]GroupRule{defaultEgress}, in.Rules)
	if err := authorize(ctx, client, id, plan.authorize); err != nil {
		return group, nil, err
	}
	if err := revoke(ctx, client, id, plan.revoke); err != nil {
		return group, nil, err
	}
	rules, err := readBack(ctx, client, id, in.Rules)
	return group, rules, err
}

// SyncGroupRules makes the group's rules equal to want. It authorizes what
// is new before it revokes what is gone, so a flow that stays is never
// dropped; rules that stay keep their IDs; a changed description is
// modified in place. It returns the rules as AWS then holds them.
func SyncGroupRules(ctx context.Context, client *ec2.Client, groupID string, have []GroupRule, want []posture.Rule) ([]GroupRule, error) {
	plan := diffRules(have, want)
	if plan.empty() {
		return have, nil
	}
	tflog.Debug(ctx, "syncing security group rules", map[string]any{
		"id": groupID, "authorize": len(plan.authorize), "revoke": len(plan.revoke), "describe": len(plan.describe),
	})
	if err := authorize(ctx, client, groupID, plan.authorize); err != nil {
		return nil, err
	}
	if err := modifyDescriptions(ctx, client, groupID, plan.describe); err != nil {
		return nil, err
	}
	if err := revoke(ctx, client, groupID, plan.revoke); err != nil {
		return nil, err
	}
	return readBack(ctx, client, groupID, want)
}

// readBack reads the rules AWS holds after a change (the authorize reply
// is not to be trusted everywhere) and converges what the first pass could
// not: a rule AWS added on its own (IPv6 default egress) or a description
// it did not keep.
func readBack(ctx context.Context, client *ec2.Client, groupID string, want []posture.Rule) ([]GroupRule, error) {
	var rules []GroupRule
	var plan ruleDiff
	// Rules just authorized may take a moment to be listed.
	err := retryWhen(ctx, propagationTimeout, func(err error) bool { return errors.Is(err, errRulesNotListed) }, func() error {
		var err error
		if rules, err = FindGroupRules(ctx, client, groupID); err != nil {
			return err
		}
		if plan = diffRules(rules, want); len(plan.authorize) > 0 {
			return fmt.Errorf("%w: %d, e.g. %s", errRulesNotListed, len(plan.authorize), plan.authorize[0])
		}
		return nil
	})
	if err != nil {
		return rules, fmt.Errorf("reading rules of security group %s: %w", groupID, err)
	}
	if len(plan.revoke)+len(plan.describe) == 0 {
		return rules, nil
	}
	if err := modifyDescriptions(ctx, client, groupID, plan.describe); err != nil {
		return nil, err
	}
	if err := revoke(ctx, client, groupID, plan.revoke); err != nil {
		return nil, err
	}
	return applyDiff(rules, plan), nil
}

// errRulesNotListed: rules were authorized but the group does not list them.
var errRulesNotListed = errors.New("authorized rules not listed yet")

type ruleDiff struct {
	authorize []posture.Rule
	describe  []GroupRule // existing rules with the wanted description
	revoke    []GroupRule
}

func (d ruleDiff) empty() bool { return len(d.authorize)+len(d.describe)+len(d.revoke) == 0 }

func diffRules(have []GroupRule, want []posture.Rule) ruleDiff {
	var d ruleDiff
	haveByKey := make(map[posture.RuleKey]GroupRule, len(have))
	for _, r := range have {
		haveByKey[r.Key()] = r
	}
	wanted := make(map[posture.RuleKey]bool, len(want))
	for _, w := range want {
		wanted[w.Key()] = true
		h, ok := haveByKey[w.Key()]
		switch {
		case !ok:
			d.authorize = append(d.authorize, w)
		case h.Description != w.Description && h.ID != "":
			h.Description = w.Description
			d.describe = append(d.describe, h)
		}
	}
	for _, h := range have {
		if !wanted[h.Key()] {
			d.revoke = append(d.revoke, h)
		}
	}
	return d
}

func applyDiff(rules []GroupRule, d ruleDiff) []GroupRule {
	gone := map[string]bool{}
	for _, r := range d.revoke {
		gone[r.ID] = true
	}
	described := map[string]string{}
	for _, r := range d.describe {
		described[r.ID] = r.Description
	}
	out := make([]GroupRule, 0, len(rules))
	for _, r := range rules {
		if gone[r.ID] {
			continue
		}
		if desc, ok := described[r.ID]; ok {
			r.Description = desc
		}
		out = append(out, r)
	}
	return out
}

// authorize adds rules with one call per direction.
func authorize(ctx context.Context, client *ec2.Client, groupID string, rules []posture.Rule) error {
	var ingress, egress []types.IpPermission
	for _, r := range rules {
		if r.Direction == posture.Ingress {
			ingress = append(ingress, ipPermission(r))
		} else {
			egress = append(egress, ipPermission(r))
		}
	}
	retryable := whenCode(codeGroupNotFound)
	if len(ingress) > 0 {
		err := retryWhen(ctx, propagationTimeout, retryable, func() error {
			_, err := client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(groupID), IpPermissions: ingress})
			return err
		})
		if err != nil {
			return fmt.Errorf("authorizing %d ingress rules in security group %s: %w", len(ingress), groupID, err)
		}
	}
	if len(egress) > 0 {
		err := retryWhen(ctx, propagationTimeout, retryable, func() error {
			_, err := client.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(groupID), IpPermissions: egress})
			return err
		})
		if err != nil {
			return fmt.Errorf("authorizing %d egress rules in security group %s: %w", len(egress), groupID, err)
		}
	}
	return nil
}

// revoke removes rules by ID, one call per direction. A rule known only by
// its content (the default egress rule of a new group) is revoked by its
// permission; one already gone is no error.
func revoke(ctx context.Context, client *ec2.Client, groupID string, rules []GroupRule) error {
	var ingressIDs, egressIDs []string
	var egressPermissions []types.IpPermission
	for _, r := range rules {
		switch {
		case r.ID == "" && r.Direction == posture.Egress:
			p := ipPermission(r.Rule)
			p.IpRanges[0].Description = nil
			egressPermissions = append(egressPermissions, p)
		case r.Direction == posture.Ingress:
			ingressIDs = append(ingressIDs, r.ID)
		default:
			egressIDs = append(egressIDs, r.ID)
		}
	}
	ignoreGone := func(err error) error {
		if hasCode(err, codeRuleNotFound, codePermissionNotFound) {
			return nil
		}
		return err
	}
	if len(ingressIDs) > 0 {
		_, err := client.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(groupID), SecurityGroupRuleIds: ingressIDs})
		if err := ignoreGone(err); err != nil {
			return fmt.Errorf("revoking %d ingress rules of security group %s: %w", len(ingressIDs), groupID, err)
		}
	}
	if len(egressIDs) > 0 {
		_, err := client.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(groupID), SecurityGroupRuleIds: egressIDs})
		if err := ignoreGone(err); err != nil {
			return fmt.Errorf("revoking %d egress rules of security group %s: %w", len(egressIDs), groupID, err)
		}
	}
	if len(egressPermissions) > 0 {
		err := retryWhen(ctx, propagationTimeout, whenCode(codeGroupNotFound), func() error {
			_, err := client.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(groupID), IpPermissions: egressPermissions})
			return err
		})
		if err := ignoreGone(err); err != nil {
			return fmt.Errorf("revoking the default egress rule of security group %s: %w", groupID, err)
		}
	}
	return nil
}

// modifyDescriptions sets descriptions in place, one call for all rules.
func modifyDescriptions(ctx context.Context, client *ec2.Client, groupID string, rules []GroupRule) error {
	if len(rules) == 0 {
		return nil
	}
	updates := make([]types.SecurityGroupRuleUpdate, 0, len(rules))
	for _, r := range rules {
		req := &types.SecurityGroupRuleRequest{
			IpProtocol:  aws.String(r.Protocol),
			FromPort:    aws.Int32(int32(r.FromPort)),
			ToPort:      aws.Int32(int32(r.ToPort)),
			Description: aws.String(r.Description),
		}
		switch {
		case r.CIDRIPv4 != "":
			req.CidrIpv4 = aws.String(r.CIDRIPv4)
		case r.CIDRIPv6 != "":
			req.CidrIpv6 = aws.String(r.CIDRIPv6)
		case r.ReferencedGroupID != "":
			req.ReferencedGroupId = aws.String(r.ReferencedGroupID)
		case r.PrefixListID != "":
			req.PrefixListId = aws.String(r.PrefixListID)
		}
		updates = append(updates, types.SecurityGroupRuleUpdate{SecurityGroupRuleId: aws.String(r.ID), SecurityGroupRule: req})
	}
	_, err := client.ModifySecurityGroupRules(ctx, &ec2.ModifySecurityGroupRulesInput{GroupId: aws.String(groupID), SecurityGroupRules: updates})
	if err != nil {
		return fmt.Errorf("updating descriptions of %d rules in security group %s: %w", len(rules), groupID, err)
	}
	return nil
}

// DeleteSecurityGroup deletes the group, retrying while an interface or
// another group's rule still uses it, until timeout. A group already gone
// is no error.
func DeleteSecurityGroup(ctx context.Context, client *ec2.Client, id string, timeout time.Duration) error {
	err := retryWhen(ctx, timeout, whenCode(codeDependencyViolation), func() error {
		_, err := client.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
		return err
	})
	switch {
	case err == nil, hasCode(err, codeGroupNotFound, codeGroupIDNotFound):
		return nil
	case hasCode(err, codeDependencyViolation):
		return fmt.Errorf("security group %s is still in use after %s: a network interface (an instance, endpoint or load balancer) or another group's rule references it; detach or delete those first: %w", id, timeout, err)
	}
	return fmt.Errorf("deleting security group %s: %w", id, err)
}
