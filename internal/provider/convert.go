package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// Conversions between the tfsdk models and posture's plain types. Each
// "known" result is false when part of the configuration is only known at
// apply, so the caller leaves the computed rules or entries unknown.

// setStrings returns a set's strings.
func setStrings(ctx context.Context, s types.Set) ([]string, bool) {
	if s.IsUnknown() {
		return nil, false
	}
	if s.IsNull() {
		return nil, true
	}
	var elems []types.String
	s.ElementsAs(ctx, &elems, false)
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		if e.IsUnknown() {
			return nil, false
		}
		out = append(out, e.ValueString())
	}
	slices.Sort(out)
	return out, true
}

func stringSet(values []string) types.Set {
	if len(values) == 0 {
		return types.SetNull(types.StringType)
	}
	elems := make([]attr.Value, len(values))
	for i, v := range values {
		elems[i] = types.StringValue(v)
	}
	return types.SetValueMust(types.StringType, elems)
}

func peersFromModel(ctx context.Context, m peersModel) (posture.Peers, bool) {
	var p posture.Peers
	var ok [4]bool
	p.CIDRBlocks, ok[0] = setStrings(ctx, m.CIDRBlocks)
	p.IPv6CIDRBlocks, ok[1] = setStrings(ctx, m.IPv6CIDRBlocks)
	p.SecurityGroupIDs, ok[2] = setStrings(ctx, m.SecurityGroupIDs)
	p.PrefixListIDs, ok[3] = setStrings(ctx, m.PrefixListIDs)
	return p, ok[0] && ok[1] && ok[2] && ok[3]
}

// intentFromModel reads the profiles and custom rules shared by both
// resources.
func intentFromModel(ctx context.Context, profiles types.Map, customRules types.List, allowPublic types.Bool) (posture.Intent, bool) {
	in := posture.Intent{Profiles: map[string]posture.Peers{}, AllowPublicIngress: allowPublic.ValueBool()}
	if profiles.IsUnknown() || customRules.IsUnknown() || allowPublic.IsUnknown() {
		return in, false
	}
	// A whole profile or rule may be unknown (from a variable known only at
	// apply); decoding it would read as an empty one.
	for _, v := range profiles.Elements() {
		if v.IsUnknown() {
			return in, false
		}
	}
	for _, v := range customRules.Elements() {
		if v.IsUnknown() {
			return in, false
		}
	}
	known := true
	var profileModels map[string]peersModel
	if diags := profiles.ElementsAs(ctx, &profileModels, false); diags.HasError() {
		return in, false
	}
	for name, m := range profileModels {
		peers, ok := peersFromModel(ctx, m)
		known = known && ok
		in.Profiles[name] = peers
	}
	var ruleModels []customRuleModel
	if diags := customRules.ElementsAs(ctx, &ruleModels, false); diags.HasError() {
		return in, false
	}
	for _, m := range ruleModels {
		peers, ok := peersFromModel(ctx, peersModel{m.CIDRBlocks, m.IPv6CIDRBlocks, m.SecurityGroupIDs, m.PrefixListIDs})
		known = known && ok && !m.Direction.IsUnknown() && !m.Protocol.IsUnknown() &&
			!m.FromPort.IsUnknown() && !m.ToPort.IsUnknown() && !m.Description.IsUnknown()
		in.CustomRules = append(in.CustomRules, posture.CustomRule{
			Direction: m.Direction.ValueString(), Protocol: m.Protocol.ValueString(),
			FromPort: optionalInt(m.FromPort), ToPort: optionalInt(m.ToPort),
			Peers: peers, Description: m.Description.ValueString(),
		})
	}
	return in, known
}

func optionalInt(v types.Int64) *int {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	n := int(v.ValueInt64())
	return &n
}

// prefixListIDs returns every prefix list the intent names, sorted.
func prefixListIDs(in posture.Intent) []string {
	ids := map[string]bool{}
	for _, p := range in.Profiles {
		for _, id := range p.PrefixListIDs {
			ids[id] = true
		}
	}
	for _, r := range in.CustomRules {
		for _, id := range r.Peers.PrefixListIDs {
			ids[id] = true
		}
	}
	return slices.Sorted(maps.Keys(ids))
}

func optString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// rulesToList builds the rules attribute; ruleID gives each rule's ID,
// unknown for a rule that is yet to be authorized.
func rulesToList(rules []awsec2.GroupRule, profileOf func(awsec2.GroupRule) types.String) types.List {
	elems := make([]attr.Value, len(rules))
	for i, r := range rules {
		id := types.StringUnknown()
		if r.ID != "" {
			id = types.StringValue(r.ID)
		}
		elems[i] = types.ObjectValueMust(ruleAttrTypes, map[string]attr.Value{
			"direction":                    types.StringValue(r.Direction),
			"protocol":                     types.StringValue(r.Protocol),
			"from_port":                    types.Int64Value(int64(r.FromPort)),
			"to_port":                      types.Int64Value(int64(r.ToPort)),
			"cidr_ipv4":                    optString(r.CIDRIPv4),
			"cidr_ipv6":                    optString(r.CIDRIPv6),
			"referenced_security_group_id": optString(r.ReferencedGroupID),
			"prefix_list_id":               optString(r.PrefixListID),
			"description":                  optString(r.Description),
			"profile":                      profileOf(r),
			"rule_id":                      id,
		})
	}
	return types.ListValueMust(types.ObjectType{AttrTypes: ruleAttrTypes}, elems)
}

func rulesFromList(ctx context.Context, list types.List) []awsec2.GroupRule {
	if list.IsNull() || list.IsUnknown() {
		return nil
	}
	var models []ruleModel
	list.ElementsAs(ctx, &models, false)
	out := make([]awsec2.GroupRule, len(models))
	for i, m := range models {
		out[i] = awsec2.GroupRule{ID: m.RuleID.ValueString(), Rule: posture.Rule{
			Direction: m.Direction.ValueString(), Protocol: m.Protocol.ValueString(),
			FromPort: int(m.FromPort.ValueInt64()), ToPort: int(m.ToPort.ValueInt64()),
			CIDRIPv4: m.CIDRIPv4.ValueString(), CIDRIPv6: m.CIDRIPv6.ValueString(),
			ReferencedGroupID: m.ReferencedSecurityGroupID.ValueString(), PrefixListID: m.PrefixListID.ValueString(),
			Description: m.Description.ValueString(), Profiles: splitProfiles(m.Profile.ValueString()),
		}}
	}
	return out
}

const profileSeparator = ", "

func joinProfiles(profiles []string) types.String {
	return optString(strings.Join(profiles, profileSeparator))
}

func splitProfiles(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, profileSeparator)
}

func entriesToList(entries []posture.Entry) types.List {
	elems := make([]attr.Value, len(entries))
	for i, e := range entries {
		elems[i] = types.ObjectValueMust(entryAttrTypes, map[string]attr.Value{
			"rule_number":     types.Int64Value(int64(e.RuleNumber)),
			"egress":          types.BoolValue(e.Egress),
			"rule_action":     types.StringValue(e.Action),
			"protocol":        types.StringValue(e.Protocol),
			"cidr_block":      optString(e.CIDRBlock),
			"ipv6_cidr_block": optString(e.IPv6CIDRBlock),
			"from_port":       types.Int64Value(int64(e.FromPort)),
			"to_port":         types.Int64Value(int64(e.ToPort)),
			"icmp_type":       types.Int64Value(int64(e.ICMPType)),
			"icmp_code":       types.Int64Value(int64(e.ICMPCode)),
			"purpose":         optString(e.Purpose),
		})
	}
	return types.ListValueMust(types.ObjectType{AttrTypes: entryAttrTypes}, elems)
}

func entriesFromList(ctx context.Context, list types.List) []posture.Entry {
	if list.IsNull() || list.IsUnknown() {
		return nil
	}
	var models []entryModel
	list.ElementsAs(ctx, &models, false)
	out := make([]posture.Entry, len(models))
	for i, m := range models {
		out[i] = posture.Entry{
			RuleNumber: int(m.RuleNumber.ValueInt64()), Egress: m.Egress.ValueBool(),
			Action: m.RuleAction.ValueString(), Protocol: m.Protocol.ValueString(),
			CIDRBlock: m.CIDRBlock.ValueString(), IPv6CIDRBlock: m.IPv6CIDRBlock.ValueString(),
			FromPort: int(m.FromPort.ValueInt64()), ToPort: int(m.ToPort.ValueInt64()),
			ICMPType: int(m.ICMPType.ValueInt64()), ICMPCode: int(m.ICMPCode.ValueInt64()),
			Purpose: m.Purpose.ValueString(),
		}
	}
	return out
}

func stringMap(ctx context.Context, m types.Map) map[string]string {
	out := map[string]string{}
	if m.IsNull() || m.IsUnknown() {
		return out
	}
	m.ElementsAs(ctx, &out, false)
	return out
}

func mapValue(m map[string]string) types.Map {
	if len(m) == 0 {
		return types.MapNull(types.StringType)
	}
	elems := make(map[string]attr.Value, len(m))
	for k, v := range m {
		elems[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, elems)
}

// addProblems turns the compiler's problems into attribute diagnostics,
// and any other error into one general diagnostic.
func addProblems(diags *diag.Diagnostics, err error, summary string) {
	var problems posture.Problems
	if !errors.As(err, &problems) {
		diags.AddError(summary, err.Error())
		return
	}
	for _, p := range problems {
		at, deeper := toPath(p.Path)
		detail := p.Detail
		if deeper {
			detail = "In " + p.Path.String() + ": " + detail
		}
		diags.AddAttributeError(at, p.Summary, detail)
	}
}

// selfCheckError wraps what the exact evaluator finds wrong with a compiled
// posture: a provider bug, never the user's.
func selfCheckError(err error) error {
	return fmt.Errorf("provider bug: the compiled posture fails its self-check. %w\n\nNothing was changed in AWS. Please report this with the configuration that produced it", err)
}

// addSelfCheckFailure reports a self-check failure in a plan.
func addSelfCheckFailure(diags *diag.Diagnostics, err error) {
	diags.AddError("Provider bug: compiled posture fails its self-check", selfCheckError(err).Error())
}

// toPath converts a compiler path to the part of it Terraform can show.
// Terraform finds a diagnostic's source line by walking blocks, then one
// attribute and at most one index into it: a path deeper into a nested
// attribute (profiles["nfs"].cidr_blocks[...]) is shown at the resource's
// first line instead. So the path stops at the profile, list element or
// attribute, and deeper reports whether the problem lies further in, for
// the message to say where.
func toPath(p posture.Path) (at path.Path, deeper bool) {
	if len(p) == 0 {
		return path.Empty(), false
	}
	out := path.Root(p[0].Name)
	if len(p) == 1 {
		return out, false
	}
	switch s := p[1]; {
	case s.IsMapKey():
		out = out.AtMapKey(s.MapKey)
	case s.IsIndex():
		out = out.AtListIndex(s.Index)
	default:
		return out, true
	}
	return out, len(p) > 2
}
