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
	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// Conversions between the tfsdk models and posture's plain types, named as
// the ecosystem names them: expand turns Terraform values into Go values,
// flatten turns Go values into Terraform values. Every expand returns the
// diagnostics of its decoding; each "known" result is false when part of
// the value is only known at apply, so the caller leaves what it computes
// from it unknown.

// expandStringSet returns a set's strings, sorted.
func expandStringSet(ctx context.Context, s types.Set) ([]string, bool, diag.Diagnostics) {
	if s.IsUnknown() {
		return nil, false, nil
	}
	if s.IsNull() {
		return nil, true, nil
	}
	var elems []types.String
	diags := s.ElementsAs(ctx, &elems, false)
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		if e.IsUnknown() {
			return nil, false, diags
		}
		out = append(out, e.ValueString())
	}
	slices.Sort(out)
	return out, true, diags
}

// flattenStringSet is a set of strings, null when there are none.
func flattenStringSet(values []string) types.Set {
	if len(values) == 0 {
		return types.SetNull(types.StringType)
	}
	elems := make([]attr.Value, len(values))
	for i, v := range values {
		elems[i] = types.StringValue(v)
	}
	return types.SetValueMust(types.StringType, elems)
}

func expandPeers(ctx context.Context, m peersModel) (posture.Peers, bool, diag.Diagnostics) {
	var p posture.Peers
	var diags diag.Diagnostics
	known := true
	for _, field := range []struct {
		set  types.Set
		dest *[]string
	}{
		{m.CIDRBlocks, &p.CIDRBlocks}, {m.IPv6CIDRBlocks, &p.IPv6CIDRBlocks},
		{m.SecurityGroupIDs, &p.SecurityGroupIDs}, {m.PrefixListIDs, &p.PrefixListIDs},
	} {
		values, ok, d := expandStringSet(ctx, field.set)
		diags.Append(d...)
		*field.dest, known = values, known && ok
	}
	return p, known, diags
}

// flattenPeers is the peers object of a profile or custom rule, each
// empty set null.
func flattenPeers(p posture.Peers) types.Object {
	return types.ObjectValueMust(peersAttrTypes, map[string]attr.Value{
		"cidr_blocks":        flattenStringSet(p.CIDRBlocks),
		"ipv6_cidr_blocks":   flattenStringSet(p.IPv6CIDRBlocks),
		"security_group_ids": flattenStringSet(p.SecurityGroupIDs),
		"prefix_list_ids":    flattenStringSet(p.PrefixListIDs),
	})
}

// expandIntent reads the profiles and custom rules shared by both
// resources and the expansion; known is false when part of them is known
// only at apply.
func (m intentModel) expandIntent(ctx context.Context) (posture.Intent, bool, diag.Diagnostics) {
	in := posture.Intent{
		Profiles: map[string]posture.Peers{}, AllowPublicIngress: m.AllowPublicIngress.ValueBool(),
		// Null, as the expansion without a resource reads an argument
		// left out, is the resources' default.
		PathMTUDiscovery: m.PathMTUDiscovery.IsNull() || m.PathMTUDiscovery.ValueBool(),
	}
	if m.Profiles.IsUnknown() || m.CustomRules.IsUnknown() || m.AllowPublicIngress.IsUnknown() || m.PathMTUDiscovery.IsUnknown() || m.RPCDynamicPorts.IsUnknown() {
		return in, false, nil
	}
	if !m.RPCDynamicPorts.IsNull() {
		var ports portRangeModel
		if diags := m.RPCDynamicPorts.As(ctx, &ports, objectAsOptions); diags.HasError() {
			return in, false, diags
		}
		if ports.FromPort.IsUnknown() || ports.ToPort.IsUnknown() {
			return in, false, nil
		}
		in.RPCDynamicFrom, in.RPCDynamicTo = int(ports.FromPort.ValueInt64()), int(ports.ToPort.ValueInt64())
	}
	// A whole profile or rule may be unknown (from a variable known only at
	// apply); decoding it would read as an empty one.
	for _, v := range m.Profiles.Elements() {
		if v.IsUnknown() {
			return in, false, nil
		}
	}
	for _, v := range m.CustomRules.Elements() {
		if v.IsUnknown() {
			return in, false, nil
		}
	}
	known := true
	var profileModels map[string]peersModel
	diags := m.Profiles.ElementsAs(ctx, &profileModels, false)
	var ruleModels []customRuleModel
	diags.Append(m.CustomRules.ElementsAs(ctx, &ruleModels, false)...)
	if diags.HasError() {
		return in, false, diags
	}
	for name, profile := range profileModels {
		peers, ok, d := expandPeers(ctx, profile)
		diags.Append(d...)
		known = known && ok
		in.Profiles[name] = peers
	}
	for _, rule := range ruleModels {
		peers, ok, d := expandPeers(ctx, peersModel{rule.CIDRBlocks, rule.IPv6CIDRBlocks, rule.SecurityGroupIDs, rule.PrefixListIDs})
		diags.Append(d...)
		known = known && ok && !rule.Direction.IsUnknown() && !rule.Protocol.IsUnknown() &&
			!rule.FromPort.IsUnknown() && !rule.ToPort.IsUnknown() && !rule.Description.IsUnknown() &&
			!rule.ReplyPorts.IsUnknown() && !rule.OneWay.IsUnknown()
		replyPorts, replyKnown, d := expandPortRanges(ctx, rule.ReplyPorts)
		diags.Append(d...)
		known = known && replyKnown
		in.CustomRules = append(in.CustomRules, posture.CustomRule{
			Direction: rule.Direction.ValueString(), Protocol: rule.Protocol.ValueString(),
			FromPort: expandOptionalInt(rule.FromPort), ToPort: expandOptionalInt(rule.ToPort),
			Peers: peers, Description: rule.Description.ValueString(),
			ReplyPorts: replyPorts, OneWay: rule.OneWay.ValueBool(),
		})
	}
	return in, known, diags
}

// expandPortRanges reads a list of {from_port, to_port}: nil when null,
// an empty slice when empty.
func expandPortRanges(ctx context.Context, list types.List) ([]posture.PortRange, bool, diag.Diagnostics) {
	if list.IsNull() || list.IsUnknown() {
		return nil, !list.IsUnknown(), nil
	}
	var models []portRangeModel
	diags := list.ElementsAs(ctx, &models, false)
	out := make([]posture.PortRange, 0, len(models))
	for _, m := range models {
		if m.FromPort.IsUnknown() || m.ToPort.IsUnknown() {
			return nil, false, diags
		}
		out = append(out, posture.PortRange{From: int(m.FromPort.ValueInt64()), To: int(m.ToPort.ValueInt64())})
	}
	return out, true, diags
}

// expandOptionalInt is an optional number: nil when null or unknown.
func expandOptionalInt(v types.Int64) *int {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	n := int(v.ValueInt64())
	return &n
}

// flattenOptionalInt is the Terraform value of an optional number: null
// when unset.
func flattenOptionalInt(n *int) types.Int64 {
	if n == nil {
		return types.Int64Null()
	}
	return types.Int64Value(int64(*n))
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

// flattenRules builds the rules attribute: each rule's ID, unknown for a
// rule that is yet to be authorized, and its profiles as profileOf says. It
// is a set, so that a plan shows the rules added and removed, not every
// rule after them shifted by one.
func flattenRules(rules []awsec2.GroupRule, profileOf func(awsec2.GroupRule) types.String) elementSet {
	return elementSetMust(ruleElementType, ruleObjects(rules, profileOf))
}

// ruleObjects flattens rules in their order.
func ruleObjects(rules []awsec2.GroupRule, profileOf func(awsec2.GroupRule) types.String) []attr.Value {
	elems := make([]attr.Value, len(rules))
	for i, r := range rules {
		id := types.StringUnknown()
		if r.ID != "" {
			id = types.StringValue(r.ID)
		}
		elems[i] = ruleElementType.elementMust(map[string]attr.Value{
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
	return elems
}

func expandRules(ctx context.Context, list elementSet) ([]awsec2.GroupRule, diag.Diagnostics) {
	if list.IsNull() || list.IsUnknown() {
		return nil, nil
	}
	var models []ruleModel
	diags := list.ElementsAs(ctx, &models, false)
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
	return out, diags
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

// flattenEntries builds the entries attribute, a set for the reason
// flattenRules gives.
func flattenEntries(entries []posture.Entry) elementSet {
	return elementSetMust(entryElementType, entryObjects(entries))
}

// entryObjects flattens entries in their order.
func entryObjects(entries []posture.Entry) []attr.Value {
	elems := make([]attr.Value, len(entries))
	for i, e := range entries {
		elems[i] = entryElementType.elementMust(map[string]attr.Value{
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
	return elems
}

func expandEntries(ctx context.Context, list elementSet) ([]posture.Entry, diag.Diagnostics) {
	if list.IsNull() || list.IsUnknown() {
		return nil, nil
	}
	var models []entryModel
	diags := list.ElementsAs(ctx, &models, false)
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
	return out, diags
}

// expandStringMap returns a map's strings; known is false when the map or
// any of its values is only known at apply.
func expandStringMap(ctx context.Context, m types.Map) (map[string]string, bool, diag.Diagnostics) {
	out := map[string]string{}
	if m.IsUnknown() {
		return out, false, nil
	}
	if m.IsNull() {
		return out, true, nil
	}
	for _, v := range m.Elements() {
		if v.IsUnknown() {
			return out, false, nil
		}
	}
	diags := m.ElementsAs(ctx, &out, false)
	return out, true, diags
}

// flattenStringMap is a map of strings, null when there are none.
func flattenStringMap(m map[string]string) types.Map {
	if len(m) == 0 {
		return types.MapNull(types.StringType)
	}
	elems := make(map[string]attr.Value, len(m))
	for k, v := range m {
		elems[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, elems)
}

// flattenTags is the tags attribute for own tags: an empty map stays empty
// when the configuration wrote "tags = {}", else it is null.
func flattenTags(own map[string]string, previous types.Map) types.Map {
	if len(own) == 0 && !previous.IsNull() && !previous.IsUnknown() {
		return types.MapValueMust(types.StringType, map[string]attr.Value{})
	}
	return flattenStringMap(own)
}

// flattenSubnetIDs is the subnet_ids attribute for the subnets an ACL is
// associated with: none stays an empty set when the previous value was a
// set (the configuration wrote "subnet_ids = []"), else it is null.
func flattenSubnetIDs(acl *awsec2.NetworkACL, previous types.Set) types.Set {
	subnets := make([]string, 0, len(acl.Associations))
	for s := range acl.Associations {
		subnets = append(subnets, s)
	}
	if len(subnets) == 0 && !previous.IsNull() && !previous.IsUnknown() {
		return types.SetValueMust(types.StringType, []attr.Value{})
	}
	return flattenStringSet(subnets)
}

// ephemeralPorts stands for the ephemeral_ports range in reply_ports,
// which each ACL sets for itself.
const ephemeralPorts = "ephemeral"

// flattenProfile is a catalog profile as the port_profiles data source
// lists it, with its flows in the catalog's order.
func flattenProfile(p catalog.Profile) attr.Value {
	flows := make([]attr.Value, len(p.Flows))
	for i, f := range p.Flows {
		flows[i] = types.ObjectValueMust(flowAttrTypes, map[string]attr.Value{
			"direction":    types.StringValue(f.Direction.String()),
			"protocol":     types.StringValue(string(f.Protocol)),
			"from_port":    types.Int64Value(int64(f.FromPort)),
			"to_port":      types.Int64Value(int64(f.ToPort)),
			"purpose":      types.StringValue(f.Purpose),
			"reply_ports":  flattenReplyPorts(f.Replies),
			"reply_source": optString(f.Replies.Source),
		})
	}
	return types.ObjectValueMust(profileAttrTypes, map[string]attr.Value{
		"name":         types.StringValue(p.Name),
		"summary":      types.StringValue(p.Summary),
		"typical_peer": types.StringValue(p.TypicalPeer),
		"sources":      types.StringValue(p.Source),
		"flows":        types.ListValueMust(types.ObjectType{AttrTypes: flowAttrTypes}, flows),
	})
}

// flattenReplyPorts says where a flow's answers go, in the terms of the ACL
// compiler: the ephemeral range plus the client ports the catalog names.
func flattenReplyPorts(r catalog.Replies) types.List {
	ports := []attr.Value{}
	if !r.OneWay {
		ports = append(ports, types.StringValue(ephemeralPorts))
		for _, p := range r.ClientPorts {
			ports = append(ports, types.StringValue(p.String()))
		}
	}
	return types.ListValueMust(types.StringType, ports)
}

// flattenExposure is the exposure attribute: one row per range of traffic
// that passes each layer and both, ingress first, naming the layer.
func flattenExposure(check evaluate.LayerCheck) types.List {
	var rows []attr.Value
	for _, r := range check.ExposureRows() {
		values := flattenTrafficRange(r.TrafficRange)
		values["layer"] = types.StringValue(r.Layer)
		rows = append(rows, types.ObjectValueMust(exposureRowAttrTypes, values))
	}
	return types.ListValueMust(types.ObjectType{AttrTypes: exposureRowAttrTypes}, rows)
}

// flattenTrafficRange is the attributes a row of the reachability data
// source shares: the direction, protocol, CIDR and ports of its traffic.
func flattenTrafficRange(r evaluate.TrafficRange) map[string]attr.Value {
	return map[string]attr.Value{
		"direction": types.StringValue(r.Direction), "protocol": types.StringValue(r.Protocol),
		"cidr": types.StringValue(r.CIDR.String()), "from_port": types.Int64Value(int64(r.From)),
		"to_port": types.Int64Value(int64(r.To)), "ports": types.StringValue(strings.TrimSpace(r.Ports)),
	}
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
