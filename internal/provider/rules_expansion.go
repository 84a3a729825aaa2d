package provider

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The expansion without a resource, shared by data "ddve_rules" and the
// provider functions: the same inputs as the resources, read by the same
// converters, compiled by the same compilers, and written as the same
// objects plus a key. Only the way the inputs arrive differs (a
// configuration, or function arguments).

// rulesInputModel holds the inputs of the expansion, in the resources'
// attribute types.
type rulesInputModel struct {
	intentModel
	aclSettingsModel
	RulesPerDirectionQuota types.Int64 `tfsdk:"rules_per_direction_quota"`
}

var rulesInputAttrTypes = map[string]attr.Type{
	"profiles":                    types.MapType{ElemType: types.ObjectType{AttrTypes: peersAttrTypes}},
	"custom_rules":                types.ListType{ElemType: types.ObjectType{AttrTypes: customRuleAttrTypes}},
	"allow_public_ingress":        types.BoolType,
	"path_mtu_discovery":          types.BoolType,
	"rpc_dynamic_ports":           types.ObjectType{AttrTypes: portRangeAttrTypes},
	"ephemeral_ports":             types.ObjectType{AttrTypes: portRangeAttrTypes},
	"ddve_ephemeral_ports":        types.ObjectType{AttrTypes: portRangeAttrTypes},
	"deny":                        types.ListType{ElemType: types.ObjectType{AttrTypes: denyAttrTypes}},
	"default_action":              types.StringType,
	"rules_per_direction_quota":   types.Int64Type,
	"entries_per_direction_quota": types.Int64Type,
}

// The output elements: a resource's rule or entry, plus its key. A
// security group rule has no rule_id here, since nothing is created.
var (
	securityGroupRuleAttrTypes = keyedAttrTypes(ruleAttrTypes, "rule_id")
	networkACLEntryAttrTypes   = keyedAttrTypes(entryAttrTypes)
)

func keyedAttrTypes(attrTypes map[string]attr.Type, drop ...string) map[string]attr.Type {
	out := maps.Clone(attrTypes)
	for _, name := range drop {
		delete(out, name)
	}
	out["key"] = types.StringType
	return out
}

// expansion is an intent with both compilers' options.
type expansion struct {
	intent posture.Intent
	group  posture.GroupOptions
	acl    posture.ACLOptions
}

// expansion reads the inputs as the resources read theirs; known is false
// when part of them is only known at apply.
func (m rulesInputModel) expansion(ctx context.Context) (expansion, bool, diag.Diagnostics) {
	intent, known, diags := m.expandIntent(ctx)
	acl, aclKnown, aclDiags := expandACLSettings(ctx, m.aclSettingsModel)
	return expansion{
		intent: intent,
		// A null quota reads as 0, which the compilers take as AWS's default.
		group: posture.GroupOptions{RulesPerDirectionQuota: int(m.RulesPerDirectionQuota.ValueInt64())},
		acl:   acl,
	}, known && aclKnown && !m.RulesPerDirectionQuota.IsUnknown(), append(diags, aclDiags...)
}

// prefixListIDs returns the prefix lists the intent names, sorted; none
// means the expansion needs no AWS call.
func (e expansion) prefixListIDs() []string { return prefixListIDs(e.intent) }

// resolvePrefixLists reads what the compilers need to know about the
// intent's prefix lists, as the resources do at plan time: their weights
// for the group quota, their CIDRs for the ACL entries. It returns the
// warnings about AWS-managed lists whose weight is not known.
func (e *expansion) resolvePrefixLists(ctx context.Context, client *ec2.Client, cache *awsec2.PrefixListCache) ([]string, error) {
	ids := e.prefixListIDs()
	if len(ids) == 0 {
		return nil, nil
	}
	weights, warnings, err := cache.Weights(ctx, client, ids)
	if err != nil {
		return nil, err
	}
	cidrs, err := cache.CIDRs(ctx, client, ids)
	if err != nil {
		return nil, err
	}
	e.group.PrefixLists, e.acl.PrefixListCIDRs = weights, cidrs
	return warnings, nil
}

// securityGroupRules compiles the rules ddve_security_group would plan for
// a new group.
func (e expansion) securityGroupRules() (types.List, error) {
	rules, err := posture.CompileGroup(e.intent, e.group)
	if err != nil {
		return types.List{}, err
	}
	if err := evaluate.CheckGroup(e.intent, rules); err != nil {
		return types.List{}, selfCheckError(err)
	}
	planned := make([]awsec2.GroupRule, len(rules))
	keys := make([]string, len(rules))
	for i, r := range rules {
		planned[i], keys[i] = awsec2.GroupRule{Rule: r}, r.Key().String()
	}
	list := ruleObjects(planned, func(g awsec2.GroupRule) types.String { return joinProfiles(g.Profiles) })
	return withKeys(list, keys, securityGroupRuleAttrTypes), nil
}

// networkACLEntries compiles the entries ddve_subnet_nacl would plan for a
// new ACL: numbered afresh, since there is no previous state to keep
// numbers from.
func (e expansion) networkACLEntries() (types.List, error) {
	entries, err := posture.CompileACL(e.intent, e.acl)
	if err != nil {
		return types.List{}, err
	}
	if err := evaluate.CheckACL(e.intent, e.acl, entries); err != nil {
		return types.List{}, selfCheckError(err)
	}
	keys := make([]string, len(entries))
	for i, entry := range entries {
		keys[i] = entry.Key().String()
	}
	return withKeys(entryObjects(entries), keys, networkACLEntryAttrTypes), nil
}

// both compiles the rules and the entries. A problem of the intent both
// compilers find, such as a non-canonical CIDR, is reported once.
func (e expansion) both() (rules, entries types.List, err error) {
	rules, groupErr := e.securityGroupRules()
	entries, aclErr := e.networkACLEntries()
	if groupErr == nil && aclErr == nil {
		return rules, entries, nil
	}
	var groupProblems, aclProblems posture.Problems
	if groupErr != nil && !errors.As(groupErr, &groupProblems) {
		return rules, entries, groupErr
	}
	if aclErr != nil && !errors.As(aclErr, &aclProblems) {
		return rules, entries, aclErr
	}
	problems := groupProblems
	for _, p := range aclProblems {
		if !slices.ContainsFunc(problems, func(q posture.Problem) bool {
			return q.Path.String() == p.Path.String() && q.Summary == p.Summary && q.Detail == p.Detail
		}) {
			problems = append(problems, p)
		}
	}
	return rules, entries, problems
}

// withKeys rebuilds a resource's list of objects as the output elements:
// the attributes elemTypes names, plus each element's key.
func withKeys(objects []attr.Value, keys []string, elemTypes map[string]attr.Type) types.List {
	elems := make([]attr.Value, len(keys))
	for i, v := range objects {
		object, _ := v.(elementValue) // ruleObjects and entryObjects build these
		values := map[string]attr.Value{"key": types.StringValue(keys[i])}
		for name, value := range object.Attributes() {
			if _, ok := elemTypes[name]; ok {
				values[name] = value
			}
		}
		elems[i] = types.ObjectValueMust(elemTypes, values)
	}
	return types.ListValueMust(types.ObjectType{AttrTypes: elemTypes}, elems)
}
