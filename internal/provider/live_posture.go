package provider

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// livePosture is what AWS holds for one DDVE: its groups' rules, with the
// IDs AWS gave them, and its subnet's ACL.
type livePosture struct {
	rules    []awsec2.GroupRule
	resolver evaluate.Resolver
	aclID    string
	vpcID    string
	// host holds DDVE's subnet in Local when the subnet is named: its
	// traffic skips the ACL.
	host evaluate.Host
}

func (l *livePosture) group() evaluate.Group { return l.host.Group }
func (l *livePosture) acl() evaluate.ACL     { return l.host.ACL }

// answer follows one flow's request and its reply through both layers, in
// the order each packet meets them.
func (l *livePosture) answer(f flowQueryModel, request evaluate.Packet) attr.Value {
	request.Src, request.Dst = orDefault(request.Src, l.host.Addr), orDefault(request.Dst, l.host.Addr)
	c := l.host.Connect(request)
	replyBy := "no answer: the message is one-way"
	if len(c.Reply) > 0 {
		replyBy = l.describe(c.Reply)
	}
	return types.ObjectValueMust(flowResultAttrTypes, map[string]attr.Value{
		"peer": f.Peer, "opener": f.Opener, "protocol": f.Protocol, "port": f.Port,
		"client_port":        types.Int64Value(int64(request.SrcPort)),
		"allowed":            types.BoolValue(c.Allowed()),
		"request_decided_by": types.StringValue(l.describe(c.Request)),
		"reply_decided_by":   types.StringValue(replyBy),
		"blocked_at":         types.StringValue(c.BlockedAt()),
	})
}

// describe names what decided each verdict, in the order the packet met
// them.
func (l *livePosture) describe(verdicts []evaluate.Verdict) string {
	parts := make([]string, len(verdicts))
	for i, v := range verdicts {
		switch {
		case v.Layer == evaluate.LayerGroup && v.Rule == nil && v.Allowed:
			parts[i] = "security group connection state"
		case v.Layer == evaluate.LayerGroup:
			parts[i] = l.describeRule(v)
		case v.Layer == evaluate.LayerACL:
			parts[i] = l.describeEntry(v)
		default:
			parts[i] = v.Reason
		}
	}
	return strings.Join(parts, "; ")
}

func orDefault(a, fallback netip.Addr) netip.Addr {
	if a.IsValid() {
		return a
	}
	return fallback
}

func (l *livePosture) describeRule(v evaluate.Verdict) string {
	if v.Rule == nil {
		return "no security group rule admits it"
	}
	for i := range l.host.Group.Rules {
		if &l.host.Group.Rules[i] == v.Rule {
			return fmt.Sprintf("security group rule %s (%s)", l.rules[i].ID, v.Rule.Description)
		}
	}
	return v.Reason
}

func (l *livePosture) describeEntry(v evaluate.Verdict) string {
	if v.Entry == nil && v.Allowed {
		return v.Reason
	}
	if v.Entry == nil {
		return fmt.Sprintf("network ACL %s: built-in deny-all", l.aclID)
	}
	return fmt.Sprintf("network ACL %s entry %d (%s, %s)", l.aclID, v.Entry.RuleNumber, v.Entry.Direction(), v.Entry.Action)
}

// readLivePosture reads the posture from EC2 and keeps the rules' IDs for
// naming what decided a verdict.
func readLivePosture(ctx context.Context, client *ec2.Client, groupIDs []string, subnetID, aclID string) (*livePosture, diag.Diagnostics) {
	found, err := awsec2.FindLivePosture(ctx, client, awsec2.LivePostureInput{GroupIDs: groupIDs, SubnetID: subnetID, ACLID: aclID})
	if err != nil {
		return nil, livePostureDiagnostics(err, subnetID != "")
	}
	live := &livePosture{
		rules:    found.Rules,
		resolver: evaluate.Resolver{GroupMembers: found.GroupMembers, PrefixLists: found.PrefixLists},
		aclID:    found.ACL.ID,
		vpcID:    found.ACL.VPCID,
	}
	rules := make([]posture.Rule, len(live.rules))
	for i, r := range live.rules {
		rules[i] = r.Rule
	}
	live.host = evaluate.Host{Group: evaluate.Group{Rules: rules, Resolver: live.resolver}, ACL: evaluate.ACL{Entries: found.ACL.Entries}, Local: found.Local}
	return live, nil
}

// livePostureDiagnostics tells the user which input to check when the
// posture cannot be read: the ACL's attribute is the subnet when one is
// named.
func livePostureDiagnostics(err error, bySubnet bool) diag.Diagnostics {
	var diags diag.Diagnostics
	groupsPath, aclPath := path.Root("security_group_ids"), path.Root("network_acl_id")
	if bySubnet {
		aclPath = path.Root("subnet_id")
	}
	var mismatch *awsec2.VPCMismatchError
	if errors.As(err, &mismatch) {
		diags.AddAttributeError(aclPath, "Security group and subnet in different VPCs",
			fmt.Sprintf("Security group %s is in %s, the network ACL %s in %s: a DDVE interface and its subnet share one VPC. Check the IDs.",
				mismatch.GroupID, mismatch.GroupVPCID, mismatch.ACLID, mismatch.ACLVPCID))
		return diags
	}
	var failed *awsec2.LivePostureError
	if !errors.As(err, &failed) {
		diags.AddError("Cannot read the live posture", err.Error())
		return diags
	}
	switch failed.Step {
	case awsec2.ReadingGroups:
		diags.AddAttributeError(groupsPath, "Cannot read the security groups", err.Error())
	case awsec2.ReadingACL:
		diags.AddAttributeError(aclPath, "Cannot read the network ACL", err.Error())
	case awsec2.ReadingGroupRules:
		diags.AddAttributeError(groupsPath, "Cannot read the security group's rules", err.Error())
	case awsec2.ReadingGroupMembers:
		diags.AddError("Cannot read the members of referenced security groups", err.Error())
	case awsec2.ReadingPrefixLists:
		diags.AddError("Cannot read the prefix lists the rules name", err.Error())
	default:
		diags.AddError("Cannot read the live posture", err.Error())
	}
	return diags
}

// flattenMismatches is the mismatches attribute: one row per range of
// traffic on which the layers disagree, with the rule or entry at cause.
func (l *livePosture) flattenMismatches(check evaluate.LayerCheck) types.List {
	var rows []attr.Value
	for _, m := range check.Mismatches {
		values := flattenTrafficRange(m.TrafficRange)
		values["kind"] = types.StringValue(m.Kind)
		values["allowed_by"] = types.StringValue(m.AllowedBy)
		values["blocked_by"] = types.StringValue(m.BlockedBy)
		values["detail"] = types.StringValue(m.Detail)
		values["cause"] = types.StringValue(l.cause(m.Rule, m.Entry))
		rows = append(rows, types.ObjectValueMust(mismatchAttrTypes, values))
	}
	return types.ListValueMust(types.ObjectType{AttrTypes: mismatchAttrTypes}, rows)
}

// flattenMismatchGroups is the mismatch_groups attribute: the mismatches
// grouped by kind, direction and cause, each with its summary.
func (l *livePosture) flattenMismatchGroups(check evaluate.LayerCheck) types.List {
	var groups []attr.Value
	for _, g := range check.MismatchGroups() {
		cause := l.cause(g.Rule, g.Entry)
		cidrs := make([]attr.Value, len(g.Addresses))
		for i, p := range g.Addresses {
			cidrs[i] = types.StringValue(p.String())
		}
		traffic := make([]attr.Value, len(g.Traffic))
		for i, t := range g.Traffic {
			traffic[i] = types.StringValue(t)
		}
		groups = append(groups, types.ObjectValueMust(mismatchGroupAttrTypes, map[string]attr.Value{
			"kind": types.StringValue(g.Kind), "direction": types.StringValue(g.Direction), "cause": types.StringValue(cause),
			"traffic": types.ListValueMust(types.StringType, traffic), "cidrs": types.ListValueMust(types.StringType, cidrs),
			"rows": types.Int64Value(int64(len(g.Rows))), "summary": types.StringValue(g.Summary(cause)),
		}))
	}
	return types.ListValueMust(types.ObjectType{AttrTypes: mismatchGroupAttrTypes}, groups)
}

// cause names a mismatch's rule or entry as the user finds it in AWS.
func (l *livePosture) cause(rule *posture.Rule, entry *posture.Entry) string {
	if rule != nil {
		return l.describeRule(evaluate.Verdict{Allowed: true, Layer: evaluate.LayerGroup, Rule: rule})
	}
	if entry != nil {
		return l.describeEntry(evaluate.Verdict{Allowed: true, Layer: evaluate.LayerACL, Entry: entry})
	}
	return ""
}
