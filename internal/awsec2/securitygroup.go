package awsec2

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"strings"
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
	// Tags leave out CreationTokenTag, which is the provider's own.
	Tags map[string]string
}

// GroupRule is a rule as AWS holds it, with its ID.
type GroupRule struct {
	posture.Rule
	ID string
	// ownerID is the group's account, as an authorize answer names it.
	ownerID string
}

// CreationTokenTag is the tag CreateSecurityGroup sends with a new group:
// a value made for that one call. CreateSecurityGroup carries no
// idempotency token, so when its reply is lost and the SDK repeats it, AWS
// answers InvalidGroup.Duplicate for the group the first try made; the tag
// tells that group from a stranger's of the same name.
const CreationTokenTag = "ddve:creation-token"

// FindSecurityGroupByID returns the group, or ErrNotFound.
func FindSecurityGroupByID(ctx context.Context, client *ec2.Client, id string) (*SecurityGroup, error) {
	out, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil {
		return nil, notFound(err, groupNotFoundCodes...)
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
	delete(sg.Tags, CreationTokenTag)
	if sg.ARN == "" {
		sg.ARN = ec2ARN(region, sg.OwnerID, "security-group/"+sg.ID)
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
			return nil, notFound(err, groupNotFoundCodes...)
		}
		for _, r := range page.SecurityGroupRules {
			rules = append(rules, ruleFromAWS(r))
		}
	}
	return rules, nil
}

func ruleFromAWS(r types.SecurityGroupRule) GroupRule {
	rule := posture.Rule{
		Direction: posture.Ingress,
		Protocol:  posture.NormalizeGroupProtocol(aws.ToString(r.IpProtocol)),
		FromPort:  int(aws.ToInt32(r.FromPort)),
		ToPort:    int(aws.ToInt32(r.ToPort)),
		CIDRIPv4:  aws.ToString(r.CidrIpv4), CIDRIPv6: aws.ToString(r.CidrIpv6),
		PrefixListID: aws.ToString(r.PrefixListId),
		Description:  aws.ToString(r.Description),
	}
	if aws.ToBool(r.IsEgress) {
		rule.Direction = posture.Egress
	}
	if rule.Protocol == "-1" {
		// AWS reports -1 for "all ports"; the emulator leaves them out.
		rule.FromPort, rule.ToPort = -1, -1
	}
	if r.ReferencedGroupInfo != nil {
		rule.ReferencedGroupID = aws.ToString(r.ReferencedGroupInfo.GroupId)
	}
	return GroupRule{Rule: rule, ID: aws.ToString(r.SecurityGroupRuleId), ownerID: aws.ToString(r.GroupOwnerId)}
}

// rulesFromPermissions spreads the permissions of a described group into
// one rule per peer. They carry no rule IDs: DescribeSecurityGroups has
// none, so such rules are revoked by their permission.
func rulesFromPermissions(direction string, permissions []types.IpPermission) []GroupRule {
	var rules []GroupRule
	for _, p := range permissions {
		base := posture.Rule{
			Direction: direction, Protocol: posture.NormalizeGroupProtocol(aws.ToString(p.IpProtocol)),
			FromPort: int(aws.ToInt32(p.FromPort)), ToPort: int(aws.ToInt32(p.ToPort)),
		}
		if base.Protocol == "-1" {
			base.FromPort, base.ToPort = -1, -1
		}
		add := func(set func(*posture.Rule), description *string) {
			r := base
			set(&r)
			r.Description = aws.ToString(description)
			rules = append(rules, GroupRule{Rule: r})
		}
		for _, v := range p.IpRanges {
			add(func(r *posture.Rule) { r.CIDRIPv4 = aws.ToString(v.CidrIp) }, v.Description)
		}
		for _, v := range p.Ipv6Ranges {
			add(func(r *posture.Rule) { r.CIDRIPv6 = aws.ToString(v.CidrIpv6) }, v.Description)
		}
		for _, v := range p.UserIdGroupPairs {
			add(func(r *posture.Rule) { r.ReferencedGroupID = aws.ToString(v.GroupId) }, v.Description)
		}
		for _, v := range p.PrefixListIds {
			add(func(r *posture.Rule) { r.PrefixListID = aws.ToString(v.PrefixListId) }, v.Description)
		}
	}
	return rules
}

// ipPermission is the permission of one rule; a revoke by permission
// matches without the description.
func ipPermission(r posture.Rule, withDescription bool) types.IpPermission {
	p := types.IpPermission{
		IpProtocol: aws.String(r.Protocol),
		FromPort:   aws.Int32(int32(r.FromPort)),
		ToPort:     aws.Int32(int32(r.ToPort)),
	}
	var d *string
	if withDescription {
		d = aws.String(r.Description)
	}
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

// CreateSecurityGroup creates the group with its tags in one call,
// authorizes the wanted rules, one call per direction, and revokes the
// rules AWS put in it (allow-all egress to 0.0.0.0/0, and to ::/0 in a VPC
// with IPv6) by their content, in one call. A new group's ID may be
// unknown to the calls that name it for a moment: each retries its
// not-found code. The rules come from the authorize answers, which list
// the rules they made with their IDs; where an answer lists fewer than it
// made (moto 5.2 lists the last permission's rules only), they are read
// back. When a step after the create fails, the group is returned with
// the error, so the caller can record it and the next apply converges
// instead of leaving it orphaned.
func CreateSecurityGroup(ctx context.Context, client *ec2.Client, in CreateGroupInput) (*SecurityGroup, []GroupRule, error) {
	id, arn, err := createGroup(ctx, client, in)
	if err != nil {
		return nil, nil, err
	}
	tflog.Debug(ctx, "created security group", map[string]any{"id": id})
	group := &SecurityGroup{ID: id, ARN: arn, OwnerID: ownerOfARN(arn), Name: in.Name, Description: in.Description, VPCID: in.VPCID, Tags: maps.Clone(in.Tags)}
	if group.Tags == nil {
		group.Tags = map[string]string{}
	}
	if keepsDefaultEgress(in.Rules) {
		return createKeepingDefaults(ctx, client, group, in.Rules)
	}

	added, complete, err := authorize(ctx, client, id, in.Rules)
	if err != nil {
		return group, nil, err
	}
	if err := revokeDefaultEgress(ctx, client, id); err != nil {
		return group, nil, err
	}
	var rules []GroupRule
	if complete {
		rules, err = keepDescriptions(ctx, client, id, added, in.Rules)
	} else {
		rules, err = waitForGroupRules(ctx, client, id, in.Rules)
	}
	if err != nil {
		return group, rules, err
	}
	if group.OwnerID == "" || group.ARN == "" {
		// An answer without the group's ARN: the owner is in the rules.
		for _, r := range rules {
			if group.OwnerID = r.ownerID; group.OwnerID != "" {
				break
			}
		}
		if group.OwnerID == "" {
			found, err := FindSecurityGroupByID(ctx, client, id)
			if err != nil {
				return group, rules, err
			}
			group.OwnerID = found.OwnerID
		}
		group.ARN = ec2ARN(client.Options().Region, group.OwnerID, "security-group/"+id)
	}
	return group, rules, nil
}

// defaultEgress are the rules AWS puts in a new group: allow-all egress to
// 0.0.0.0/0, and to ::/0 when the VPC has IPv6.
var defaultEgress = []posture.Rule{
	{Direction: posture.Egress, Protocol: "-1", FromPort: -1, ToPort: -1, CIDRIPv4: "0.0.0.0/0"},
	{Direction: posture.Egress, Protocol: "-1", FromPort: -1, ToPort: -1, CIDRIPv6: "::/0"},
}

// keepsDefaultEgress reports whether the wanted rules hold one of the
// rules AWS puts in a new group, which may or may not be there (::/0
// only in a VPC with IPv6): those groups are diffed against what AWS
// lists.
func keepsDefaultEgress(want []posture.Rule) bool {
	for _, w := range want {
		for _, d := range defaultEgress {
			if w.Key() == d.Key() {
				return true
			}
		}
	}
	return false
}

// revokeDefaultEgress revokes the rules AWS put in a new group, by their
// content, in one call. AWS answers a revoke naming a rule the group does
// not hold (::/0 in a VPC without IPv6) with success listing it as
// unknown, or refuses the whole call with InvalidPermission.NotFound; the
// emulator does the latter, and so does AWS to a repeat after a lost
// reply. Then the group's rules are read, and what is left of the
// defaults is revoked by ID.
func revokeDefaultEgress(ctx context.Context, client *ec2.Client, groupID string) error {
	permissions := make([]types.IpPermission, len(defaultEgress))
	for i, r := range defaultEgress {
		permissions[i] = ipPermission(r, false)
	}
	err := retryWhileNotFound(ctx, groupNotFoundCodes, func() error {
		_, err := client.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(groupID), IpPermissions: permissions})
		return err
	})
	if hasCode(err, codePermissionNotFound) {
		var held []GroupRule
		if held, err = FindGroupRules(ctx, client, groupID); err == nil {
			var left []GroupRule
			for _, h := range held {
				for _, d := range defaultEgress {
					if h.Key() == d.Key() {
						left = append(left, h)
					}
				}
			}
			err = revoke(ctx, client, groupID, left)
		}
	}
	if err != nil {
		return fmt.Errorf("revoking the rules AWS put in security group %s: %w", groupID, err)
	}
	return nil
}

// createKeepingDefaults diffs a new group against the rules AWS put in it,
// as the group's describe lists them, when the wanted rules keep one.
func createKeepingDefaults(ctx context.Context, client *ec2.Client, group *SecurityGroup, want []posture.Rule) (*SecurityGroup, []GroupRule, error) {
	waiter := ec2.NewSecurityGroupExistsWaiter(client, func(o *ec2.SecurityGroupExistsWaiterOptions) {
		o.MinDelay = time.Second
	})
	described, err := waiter.WaitForOutput(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{group.ID}}, propagationTimeout)
	if err != nil || len(described.SecurityGroups) != 1 {
		return group, nil, fmt.Errorf("waiting for security group %s to exist: %w", group.ID, err)
	}
	created := described.SecurityGroups[0]
	group = groupFromAWS(created, client.Options().Region)
	have := append(rulesFromPermissions(posture.Ingress, created.IpPermissions), rulesFromPermissions(posture.Egress, created.IpPermissionsEgress)...)
	// Rules without IDs are not described in place: the read-back fixes
	// the description of a default rule the posture keeps.
	plan := diffRules(have, want)
	if _, _, err := authorize(ctx, client, group.ID, plan.authorize); err != nil {
		return group, nil, err
	}
	if err := revoke(ctx, client, group.ID, plan.revoke); err != nil {
		return group, nil, err
	}
	rules, err := waitForGroupRules(ctx, client, group.ID, want)
	return group, rules, err
}

// ownerOfARN is the account of an ARN, arn:partition:ec2:region:account:...
func ownerOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// createGroup sends CreateSecurityGroup with a fresh creation token and
// returns the new group's ID. When the SDK repeated the call after a lost
// reply, AWS answers InvalidGroup.Duplicate: the group that carries the
// token is the one this call made, and is adopted; a group of that name
// without it is someone else's, and the error stands.
func createGroup(ctx context.Context, client *ec2.Client, in CreateGroupInput) (id, arn string, err error) {
	token, err := newCreationToken()
	if err != nil {
		return "", "", err
	}
	tags := maps.Clone(in.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	tags[CreationTokenTag] = token
	out, err := client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName:         aws.String(in.Name),
		Description:       aws.String(in.Description),
		VpcId:             aws.String(in.VPCID),
		TagSpecifications: tagSpecifications(types.ResourceTypeSecurityGroup, tags),
	})
	if err == nil {
		return aws.ToString(out.GroupId), aws.ToString(out.SecurityGroupArn), nil
	}
	if !hasCode(err, codeGroupDuplicate) {
		return "", "", fmt.Errorf("creating security group %q: %w", in.Name, err)
	}
	id, findErr := waitForGroupByToken(ctx, client, in.VPCID, in.Name, token)
	if findErr != nil {
		return "", "", fmt.Errorf("creating security group %q: a group of that name already exists in %s and was not made by this apply (%w): import it, or choose another name: %w",
			in.Name, in.VPCID, findErr, err)
	}
	tflog.Info(ctx, "CreateSecurityGroup was repeated after its reply was lost; adopting the group it made", map[string]any{"id": id})
	return id, "", nil
}

func newCreationToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a creation token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// adoptTimeout bounds the wait for a group a lost call made to be listed
// with its tags.
const adoptTimeout = 15 * time.Second

// waitForGroupByToken finds the group of that name in the VPC that carries
// the creation token, waiting a little for it to be listed.
func waitForGroupByToken(ctx context.Context, client *ec2.Client, vpcID, name, token string) (string, error) {
	var id string
	err := retryWhile(ctx, adoptTimeout, IsNotFound, func() error {
		out, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{vpcID}},
			{Name: aws.String("group-name"), Values: []string{name}},
			{Name: aws.String("tag:" + CreationTokenTag), Values: []string{token}},
		}})
		if err != nil {
			return err
		}
		if len(out.SecurityGroups) != 1 {
			return fmt.Errorf("no group carries this apply's creation token: %w", ErrNotFound)
		}
		id = aws.ToString(out.SecurityGroups[0].GroupId)
		return nil
	})
	return id, err
}

// SyncGroupRules makes the group's rules equal to want. It authorizes what
// is new before it revokes what is gone, so a flow that stays is never
// dropped; rules that stay keep their IDs; a changed description is
// modified in place. It returns the rules as AWS then holds them: have
// with the changes made, and the new rules as the authorize answers list
// them, or, where an answer lists fewer rules than it made, as the group
// then lists them.
func SyncGroupRules(ctx context.Context, client *ec2.Client, groupID string, have []GroupRule, want []posture.Rule) ([]GroupRule, error) {
	plan := diffRules(have, want)
	if plan.empty() {
		return have, nil
	}
	tflog.Debug(ctx, "syncing security group rules", map[string]any{
		"id": groupID, "authorize": len(plan.authorize), "revoke": len(plan.revoke), "describe": len(plan.describe),
	})
	added, complete, err := authorize(ctx, client, groupID, plan.authorize)
	if err != nil {
		return nil, err
	}
	if err := modifyDescriptions(ctx, client, groupID, plan.describe); err != nil {
		return nil, err
	}
	if err := revoke(ctx, client, groupID, plan.revoke); err != nil {
		return nil, err
	}
	if !complete {
		return waitForGroupRules(ctx, client, groupID, want)
	}
	kept := applyDiff(have, ruleDiff{revoke: plan.revoke, describe: plan.describe})
	added, err = keepDescriptions(ctx, client, groupID, added, plan.authorize)
	return append(kept, added...), err
}

// keepDescriptions sets, in place, the description of each rule an
// authorize answer lists without the one asked for, and returns the rules
// as AWS then holds them.
func keepDescriptions(ctx context.Context, client *ec2.Client, groupID string, added []GroupRule, want []posture.Rule) ([]GroupRule, error) {
	wanted := make(map[posture.RuleKey]string, len(want))
	for _, w := range want {
		wanted[w.Key()] = w.Description
	}
	var fix []GroupRule
	for _, r := range added {
		if desc, ok := wanted[r.Key()]; ok && desc != r.Description {
			r.Description = desc
			fix = append(fix, r)
		}
	}
	if err := modifyDescriptions(ctx, client, groupID, fix); err != nil {
		return nil, err
	}
	return applyDiff(added, ruleDiff{describe: fix}), nil
}

// waitForGroupRules reads the rules AWS holds after a change until it
// lists every wanted rule (the authorize reply is not to be trusted
// everywhere), and converges what the first pass could not: a description
// AWS did not keep, a rule it added on its own.
func waitForGroupRules(ctx context.Context, client *ec2.Client, groupID string, want []posture.Rule) ([]GroupRule, error) {
	var rules []GroupRule
	var plan ruleDiff
	// Rules just authorized may take a moment to be listed, and a new
	// group to be known to the rule listing.
	retryable := func(err error) bool { return errors.Is(err, errRulesNotListed) || IsNotFound(err) }
	err := retryWhile(ctx, propagationTimeout, retryable, func() error {
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

// diffRules is what turns have into want: rules are the same when they
// do the same (posture.RuleKey); a rule with an ID whose description
// differs is described in place.
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

// ruleCalls are the EC2 calls of one direction: ingress and egress rules
// go through the same steps, with these calls.
type ruleCalls struct {
	direction string
	authorize func(ctx context.Context, client *ec2.Client, groupID string, permissions []types.IpPermission) ([]types.SecurityGroupRule, error)
	revoke    func(ctx context.Context, client *ec2.Client, groupID string, ruleIDs []string, permissions []types.IpPermission) error
}

var directions = []ruleCalls{
	{
		direction: posture.Ingress,
		authorize: func(ctx context.Context, client *ec2.Client, groupID string, permissions []types.IpPermission) ([]types.SecurityGroupRule, error) {
			out, err := client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(groupID), IpPermissions: permissions})
			if err != nil {
				return nil, err
			}
			return out.SecurityGroupRules, nil
		},
		revoke: func(ctx context.Context, client *ec2.Client, groupID string, ruleIDs []string, permissions []types.IpPermission) error {
			_, err := client.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(groupID), SecurityGroupRuleIds: ruleIDs, IpPermissions: permissions})
			return err
		},
	},
	{
		direction: posture.Egress,
		authorize: func(ctx context.Context, client *ec2.Client, groupID string, permissions []types.IpPermission) ([]types.SecurityGroupRule, error) {
			out, err := client.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(groupID), IpPermissions: permissions})
			if err != nil {
				return nil, err
			}
			return out.SecurityGroupRules, nil
		},
		revoke: func(ctx context.Context, client *ec2.Client, groupID string, ruleIDs []string, permissions []types.IpPermission) error {
			_, err := client.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(groupID), SecurityGroupRuleIds: ruleIDs, IpPermissions: permissions})
			return err
		},
	},
}

// authorize adds rules with one call per direction and returns the rules
// the answers list, with their IDs, and whether they are all that was
// asked: AWS lists every rule a call made, the emulator those of its last
// permission only. A call EC2 answers with InvalidPermission.Duplicate
// (the SDK repeated it after a lost reply, or AWS already held a rule) is
// done when the group now holds every rule asked for; AWS refuses such a
// call whole, so what is still missing is authorized once more, and the
// rules are not complete: the caller reads them back.
func authorize(ctx context.Context, client *ec2.Client, groupID string, rules []posture.Rule) ([]GroupRule, bool, error) {
	var added []GroupRule
	complete := true
	for _, calls := range directions {
		var batch []posture.Rule
		for _, r := range rules {
			if r.Direction == calls.direction {
				batch = append(batch, r)
			}
		}
		if len(batch) == 0 {
			continue
		}
		send := func(batch []posture.Rule) ([]types.SecurityGroupRule, error) {
			permissions := make([]types.IpPermission, len(batch))
			for i, r := range batch {
				permissions[i] = ipPermission(r, true)
			}
			var answer []types.SecurityGroupRule
			err := retryWhileNotFound(ctx, groupNotFoundCodes, func() (err error) {
				answer, err = calls.authorize(ctx, client, groupID, permissions)
				return err
			})
			return answer, err
		}
		answer, err := send(batch)
		if hasCode(err, codePermissionDuplicate) {
			complete = false
			var held []GroupRule
			if held, err = FindGroupRules(ctx, client, groupID); err == nil {
				if missing := diffRules(held, batch).authorize; len(missing) > 0 {
					_, err = send(missing)
				}
			}
		}
		if err != nil {
			if hasCode(err, codeRulesLimitExceeded) {
				err = rulesLimit(ctx, client, groupID, calls.direction, len(batch), err)
			}
			return nil, false, fmt.Errorf("authorizing %d %s rules in security group %s: %w", len(batch), calls.direction, groupID, err)
		}
		if !complete {
			continue
		}
		listed := make([]GroupRule, 0, len(answer))
		for _, r := range answer {
			if rule := ruleFromAWS(r); rule.ID != "" && rule.Direction == calls.direction {
				listed = append(listed, rule)
			}
		}
		if len(listed) != len(batch) || len(diffRules(listed, batch).authorize) > 0 {
			tflog.Debug(ctx, "the authorize answer lists fewer rules than it made; reading them back",
				map[string]any{"id": groupID, "direction": calls.direction, "asked": len(batch), "listed": len(listed)})
			complete = false
			continue
		}
		added = append(added, listed...)
	}
	return added, complete, nil
}

// rulesLimit explains AWS's rules quota error, which the plan's count
// should have caught unless the account's quota is below the setting:
// how many rules the group would hold, and what to change.
func rulesLimit(ctx context.Context, client *ec2.Client, groupID, direction string, adding int, err error) error {
	total := adding
	if held, findErr := FindGroupRules(ctx, client, groupID); findErr == nil {
		for _, r := range held {
			if r.Direction == direction {
				total++
			}
		}
	}
	return fmt.Errorf("AWS refused %d more %s rules, for %d in all: the account's quota of rules per security group and direction is lower "+
		"than rules_per_direction_quota allows; set rules_per_direction_quota to the account's quota, or raise "+
		"\"Inbound or outbound rules per security group\" (L-0EA8095F) in Service Quotas: %w", adding, direction, total, err)
}

// revoke removes rules, one call per direction: by rule ID, or by
// permission for a rule known only by its content (the rules AWS put in
// a new group). A revoke EC2 answers with a not-found code (repeated after
// a lost reply, or a rule removed meanwhile) is done when none of the
// rules is left; AWS refuses such a call whole, so the rest are revoked
// once more.
func revoke(ctx context.Context, client *ec2.Client, groupID string, rules []GroupRule) error {
	for _, calls := range directions {
		var ids []string
		var permissions []types.IpPermission
		for _, r := range rules {
			switch {
			case r.Direction != calls.direction:
			case r.ID == "":
				permissions = append(permissions, ipPermission(r.Rule, false))
			default:
				ids = append(ids, r.ID)
			}
		}
		send := func(ids []string, permissions []types.IpPermission) error {
			return retryWhileNotFound(ctx, groupNotFoundCodes, func() error { return calls.revoke(ctx, client, groupID, ids, permissions) })
		}
		if len(ids) > 0 {
			err := send(ids, nil)
			if hasCode(err, codeRuleNotFound) {
				err = revokeLeft(ctx, client, groupID, ids, func(left []string) error { return send(left, nil) })
			}
			if err != nil {
				return fmt.Errorf("revoking %d %s rules of security group %s: %w", len(ids), calls.direction, groupID, err)
			}
		}
		if len(permissions) > 0 {
			if err := send(nil, permissions); err != nil && !hasCode(err, codePermissionNotFound) {
				return fmt.Errorf("revoking the rules AWS put in security group %s: %w", groupID, err)
			}
		}
	}
	return nil
}

// revokeLeft revokes those of ids the group still holds.
func revokeLeft(ctx context.Context, client *ec2.Client, groupID string, ids []string, send func([]string) error) error {
	held, err := FindGroupRules(ctx, client, groupID)
	if err != nil {
		return err
	}
	present := map[string]bool{}
	for _, r := range held {
		present[r.ID] = true
	}
	var left []string
	for _, id := range ids {
		if present[id] {
			left = append(left, id)
		}
	}
	if len(left) == 0 {
		return nil
	}
	return send(left)
}

// modifyDescriptions sets descriptions in place, one call for all rules;
// the call is the same however often it is repeated.
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
	err := retryWhileNotFound(ctx, groupNotFoundCodes, func() error {
		_, err := client.ModifySecurityGroupRules(ctx, &ec2.ModifySecurityGroupRulesInput{GroupId: aws.String(groupID), SecurityGroupRules: updates})
		return err
	})
	if err != nil {
		return fmt.Errorf("updating descriptions of %d rules in security group %s: %w", len(rules), groupID, err)
	}
	return nil
}

// DeleteSecurityGroup deletes the group, retrying while an interface or
// another group's rule still uses it, until timeout, then waits until EC2
// no longer lists it: a replacement of the same name would otherwise meet
// InvalidGroup.Duplicate. A group already gone (deleted by a repeated
// call whose first reply was lost) is no error.
func DeleteSecurityGroup(ctx context.Context, client *ec2.Client, id string, timeout time.Duration) error {
	err := retryWhile(ctx, timeout, anyOfCodes(codeDependencyViolation, codeGroupInUse), func() error {
		_, err := client.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
		return err
	})
	switch {
	case err == nil, hasCode(err, groupNotFoundCodes...):
	case hasCode(err, codeDependencyViolation, codeGroupInUse):
		return fmt.Errorf("security group %s is still in use after %s: a network interface (an instance, endpoint or load balancer) or another group's rule references it; detach or delete those first: %w", id, timeout, err)
	default:
		return fmt.Errorf("deleting security group %s: %w", id, err)
	}
	return waitForGroupGone(ctx, client, id, timeout)
}

// waitForGroupGone reads the group until EC2 no longer lists it, or
// timeout passes.
func waitForGroupGone(ctx context.Context, client *ec2.Client, id string, timeout time.Duration) error {
	err := retryWhile(ctx, timeout, func(err error) bool { return errors.Is(err, errStillListed) }, func() error {
		_, err := FindSecurityGroupByID(ctx, client, id)
		switch {
		case IsNotFound(err):
			return nil
		case err == nil:
			return errStillListed
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("waiting for security group %s to be gone: %w", id, err)
	}
	return nil
}

// errStillListed: a deleted resource is still listed.
var errStillListed = errors.New("deleted, but still listed")

// FindNewGroupAndRules reads a group and its rules. A group created less
// than propagationTimeout ago (createdAt; zero for an older one, or one
// read since) may not be listed yet, as the create read nothing back: the
// read is then repeated while the group is not found, until the window
// closes. Otherwise a group not found is gone. A rule the listing lacks
// is not waited for: a rule revoked outside Terraform must show as
// drift, and one listed late is authorized again, which finds it held.
func FindNewGroupAndRules(ctx context.Context, client *ec2.Client, id string, createdAt time.Time) (*SecurityGroup, []GroupRule, error) {
	var group *SecurityGroup
	var rules []GroupRule
	read := func() error {
		var err error
		if group, err = FindSecurityGroupByID(ctx, client, id); err != nil {
			return err
		}
		rules, err = FindGroupRules(ctx, client, id)
		return err
	}
	window := time.Until(createdAt.Add(propagationTimeout))
	if createdAt.IsZero() || window <= 0 {
		err := read()
		return group, rules, err
	}
	err := retryWhile(ctx, window, IsNotFound, read)
	return group, rules, err
}

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
