package provider

import (
	"context"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

var (
	_ resource.Resource                   = &securityGroupResource{}
	_ resource.ResourceWithConfigure      = &securityGroupResource{}
	_ resource.ResourceWithImportState    = &securityGroupResource{}
	_ resource.ResourceWithModifyPlan     = &securityGroupResource{}
	_ resource.ResourceWithValidateConfig = &securityGroupResource{}
)

const defaultGroupDescription = "DDVE security group managed by Terraform"

// createdAtKey is the private state that tells Read a group was created
// moments ago, and may not be listed yet.
const createdAtKey = "created_at"

var groupTimeouts = operationTimeouts{create: 10 * time.Minute, update: 10 * time.Minute, delete: 15 * time.Minute}

// groupThing names the resource in diagnostics.
const groupThing = "DDVE security group"

var groupIDPattern = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)

// groupTextValidator holds a group name or description to the characters
// AWS accepts in a VPC (the emulator takes any), so a bad one fails the
// plan, not the create.
var groupTextValidator = stringvalidator.RegexMatches(regexp.MustCompile(`^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*$`),
	"must use only letters a-z and A-Z, digits, spaces and ._-:/()#,@[]+=&;{}!$* (AWS refuses other characters)")

func newSecurityGroupResource() resource.Resource {
	return &securityGroupResource{}
}

type securityGroupResource struct {
	resourceBase
}

func (r *securityGroupResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_security_group"
}

func (r *securityGroupResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = securityGroupSchema(ctx)
}

func securityGroupSchema(ctx context.Context) schema.Schema {
	tags, tagsAll := tagsAttributes()
	attributes := identityAttributes("Security group")
	s := schema.Schema{
		Version: schemaVersion,
		Description: "A VPC security group for DDVE whose rules are expanded from port profiles. " +
			"The resource owns every rule of the group: rules added outside Terraform, the default allow-all egress rule among them, are removed on apply.",
		Attributes: map[string]schema.Attribute{
			// Required, forcing replacement: AWS cannot change them.
			"name": schema.StringAttribute{
				Required: true,
				Description: "Group name, unique in the VPC, of letters, digits, spaces and `._-:/()#,@[]+=&;{}!$*`; it cannot start with `sg-`. Changing it replaces the group " +
					"(with `create_before_destroy`, the new group exists before the old one is deleted).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators: []validatorString{
					stringvalidator.LengthBetween(1, 255),
					stringvalidator.RegexMatches(regexp.MustCompile(`^(?i:[^s]|s[^g]|sg[^-]|.{0,2}$)`), "must not start with sg-"),
					groupTextValidator,
				},
			},
			"vpc_id": schema.StringAttribute{
				Required: true, Description: "VPC of the group. Changing it replaces the group.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validatorString{vpcIDValidator},
			},

			// Optional.
			"description": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString(defaultGroupDescription),
				Description:   "Group description, of the same characters as the name. AWS cannot change it later, so a change replaces the group.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validatorString{stringvalidator.LengthBetween(1, 255), groupTextValidator},
			},
			"profiles":             profilesAttribute(false),
			"custom_rules":         customRulesAttribute(false),
			"allow_public_ingress": allowPublicIngressAttribute(),
			"path_mtu_discovery":   pathMTUDiscoveryAttribute(false),
			"rpc_dynamic_ports":    rpcDynamicPortsAttribute(),
			"rules_per_direction_quota": schema.Int64Attribute{
				Optional: true, Computed: true, Default: int64default.StaticInt64(posture.DefaultRulesPerDirectionQuota),
				Description: "Rules allowed per direction and IP family (AWS default 60). A plan needing more fails with the count. " +
					"Counted as AWS counts: a security group reference or an AWS-managed prefix list once for IPv4 and once for IPv6, " +
					"a customer-managed prefix list at its max entries in its own family.",
				Validators: []validatorInt64{int64validator.Between(1, 1000)},
			},
			"tags": tags,

			// Computed.
			"tags_all": tagsAll,
			"rules": schema.SetNestedAttribute{
				Computed:   true,
				CustomType: setOf(ruleElementType),
				Description: "Every rule of the group as AWS holds it: one per direction, protocol, port range and peer. " +
					"Known at plan time; only a new rule's `rule_id` is unknown. A set: a plan shows the rules added and removed, " +
					"and leaves the others alone.",
				NestedObject: schema.NestedAttributeObject{CustomType: ruleElementType, Attributes: map[string]schema.Attribute{
					"direction":                    schema.StringAttribute{Computed: true, Description: "`ingress` or `egress`."},
					"protocol":                     schema.StringAttribute{Computed: true, Description: "`tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all) or a number."},
					"from_port":                    schema.Int64Attribute{Computed: true, Description: "First port, the ICMP type, or -1."},
					"to_port":                      schema.Int64Attribute{Computed: true, Description: "Last port, the ICMP code, or -1."},
					"cidr_ipv4":                    schema.StringAttribute{Computed: true, Description: "IPv4 peer."},
					"cidr_ipv6":                    schema.StringAttribute{Computed: true, Description: "IPv6 peer."},
					"referenced_security_group_id": schema.StringAttribute{Computed: true, Description: "Security group peer."},
					"prefix_list_id":               schema.StringAttribute{Computed: true, Description: "Prefix list peer."},
					"description":                  schema.StringAttribute{Computed: true, Description: "Rule description, naming its profiles and purpose."},
					"profile":                      schema.StringAttribute{Computed: true, Description: "Profiles that produced the rule, comma-separated; `custom` for custom rules; null for a rule made outside Terraform."},
					"rule_id":                      schema.StringAttribute{Computed: true, Description: "Security group rule ID (`sgr-...`)."},
				}},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
	maps.Copy(s.Attributes, attributes)
	return s
}

func (r *securityGroupResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	config, ok := decode[securityGroupModel](ctx, req.Config, &resp.Diagnostics)
	if !ok {
		return
	}
	intent, known, diags := config.expandIntent(ctx)
	resp.Diagnostics.Append(diags...)
	if !known || config.RulesPerDirectionQuota.IsUnknown() {
		return
	}
	if _, err := posture.CompileGroup(intent, posture.GroupOptions{RulesPerDirectionQuota: int(config.RulesPerDirectionQuota.ValueInt64())}); err != nil {
		addProblems(&resp.Diagnostics, err, "Invalid security group posture")
	}
}

// ModifyPlan puts the exact rules in the plan: compiled from the intent,
// with the IDs of rules that stay.
func (r *securityGroupResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	plan, ok := decode[securityGroupModel](ctx, req.Plan, &resp.Diagnostics)
	if !ok {
		return
	}
	existing := map[posture.RuleKey]string{}
	if !req.State.Raw.IsNull() {
		state, _ := decode[securityGroupModel](ctx, req.State, &resp.Diagnostics)
		stateRules, diags := expandRules(ctx, state.Rules)
		resp.Diagnostics.Append(diags...)
		for _, rule := range stateRules {
			existing[rule.Key()] = rule.ID
		}
	}
	plan.TagsAll = r.planTagsAll(ctx, plan.Tags, &resp.Diagnostics)

	intent, known, diags := plan.expandIntent(ctx)
	resp.Diagnostics.Append(diags...)
	if !known || plan.RulesPerDirectionQuota.IsUnknown() {
		plan.Rules = elementSetUnknown(ruleElementType)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	opts := posture.GroupOptions{RulesPerDirectionQuota: int(plan.RulesPerDirectionQuota.ValueInt64())}
	if ids := prefixListIDs(intent); len(ids) > 0 && r.data != nil {
		weights, warnings, err := r.data.prefixLists.Weights(ctx, r.client().EC2, ids)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("profiles"), "Cannot read prefix lists", err.Error())
			return
		}
		for _, w := range warnings {
			resp.Diagnostics.AddAttributeWarning(path.Root("profiles"), "Prefix list weight unknown", w)
		}
		opts.PrefixLists = weights
	}
	rules, err := posture.CompileGroup(intent, opts)
	if err != nil {
		addProblems(&resp.Diagnostics, err, "Invalid security group posture")
		return
	}
	if err := evaluate.CheckGroup(intent, rules); err != nil {
		addSelfCheckFailure(&resp.Diagnostics, err)
		return
	}

	planned := make([]awsec2.GroupRule, len(rules))
	for i, rule := range rules {
		planned[i] = awsec2.GroupRule{Rule: rule, ID: existing[rule.Key()]}
	}
	plan.Rules = flattenRules(planned, func(g awsec2.GroupRule) types.String { return joinProfiles(g.Profiles) })
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func (r *securityGroupResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	plan, ok := decode[securityGroupModel](ctx, req.Plan, &resp.Diagnostics)
	if !ok {
		return
	}
	ctx, cancel, _ := withDeadline(ctx, plan.Timeouts.Create, groupTimeouts.create, &resp.Diagnostics)
	defer cancel()

	want := plannedRules(ctx, plan.Rules, &resp.Diagnostics)
	tagsAll, _, diags := expandStringMap(ctx, plan.TagsAll)
	resp.Diagnostics.Append(diags...)
	group, rules, err := awsec2.CreateSecurityGroup(ctx, r.client().EC2, awsec2.CreateGroupInput{
		Name: plan.Name.ValueString(), Description: plan.Description.ValueString(), VPCID: plan.VPCID.ValueString(),
		Tags: tagsAll, Rules: want,
	})
	if group != nil {
		// The first Read after the create waits for EC2 to list the
		// group, as the create read nothing back.
		created, _ := json.Marshal(time.Now().UTC())
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, createdAtKey, created)...)
		plan.ID, plan.ARN, plan.OwnerID = types.StringValue(group.ID), types.StringValue(group.ARN), types.StringValue(group.OwnerID)
		plan.Rules = flattenRulesWithProfiles(rules, profilesByKey(want))
		tflog.Debug(ctx, "created DDVE security group", map[string]any{"id": group.ID, "rules": len(rules)})
	}
	keepCreated(ctx, resp, &plan, group != nil, err, groupThing)
}

// flattenRulesWithProfiles turns rules read from AWS into the rules
// attribute, in the compiler's order, naming each rule's profiles as
// profiles says (from the plan, the previous state or a recovered intent),
// else as its description does.
func flattenRulesWithProfiles(rules []awsec2.GroupRule, profiles map[posture.RuleKey][]string) elementSet {
	sorted := slices.Clone(rules)
	slices.SortFunc(sorted, func(a, b awsec2.GroupRule) int { return posture.CompareRules(a.Rule, b.Rule) })
	known := func(name string) bool { _, ok := catalog.Lookup(name); return ok }
	return flattenRules(sorted, func(g awsec2.GroupRule) types.String {
		if p := profiles[g.Key()]; len(p) > 0 {
			return joinProfiles(p)
		}
		return joinProfiles(posture.ProfilesFromDescription(g.Description, known))
	})
}

// profilesByKey indexes the profiles of rules by what the rules do.
func profilesByKey(rules []posture.Rule) map[posture.RuleKey][]string {
	out := make(map[posture.RuleKey][]string, len(rules))
	for _, r := range rules {
		out[r.Key()] = r.Profiles
	}
	return out
}

// plannedRules returns the rules of a plan or state as posture rules.
func plannedRules(ctx context.Context, list elementSet, diags *diag.Diagnostics) []posture.Rule {
	groupRules, d := expandRules(ctx, list)
	diags.Append(d...)
	out := make([]posture.Rule, len(groupRules))
	for i, g := range groupRules {
		out[i] = g.Rule
	}
	return out
}

func (r *securityGroupResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	state, ok := decode[securityGroupModel](ctx, req.State, &resp.Diagnostics)
	if !ok {
		return
	}
	client := r.client().EC2
	var createdAt time.Time
	if raw, diags := req.Private.GetKey(ctx, createdAtKey); !diags.HasError() && len(raw) > 0 {
		_ = json.Unmarshal(raw, &createdAt)
	}
	group, rules, err := awsec2.FindNewGroupAndRules(ctx, client, state.ID.ValueString(), createdAt)
	if removeIfGone(ctx, err, resp, groupThing, state.ID.ValueString()) {
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Reading "+groupThing+" "+state.ID.ValueString(), err.Error())
		return
	}
	if !createdAt.IsZero() {
		// Only the first read after the create waits: a group missing
		// later was deleted outside Terraform.
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, createdAtKey, nil)...)
	}

	imported := state.Rules.IsNull() && state.Profiles.IsNull() && state.CustomRules.IsNull()
	state.ARN, state.OwnerID = types.StringValue(group.ARN), types.StringValue(group.OwnerID)
	state.Name, state.Description, state.VPCID = types.StringValue(group.Name), types.StringValue(group.Description), types.StringValue(group.VPCID)
	state.Tags, state.TagsAll = r.readTags(ctx, group.Tags, state.Tags, &resp.Diagnostics)
	profiles := profilesByKey(plannedRules(ctx, state.Rules, &resp.Diagnostics))
	if imported {
		if compiled := recoverIntent(ctx, &state, rules); compiled != nil {
			profiles = profilesByKey(compiled)
		}
	}
	state.Rules = flattenRulesWithProfiles(rules, profiles)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// recoverIntent fills the arguments of an imported group from its rules,
// so that the configuration that made the group plans no change. It returns
// the rules the recovered intent compiles to, or nil when the rules do not
// read as an intent.
func recoverIntent(ctx context.Context, state *securityGroupModel, rules []awsec2.GroupRule) []posture.Rule {
	state.AllowPublicIngress = types.BoolValue(false)
	state.PathMTUDiscovery = types.BoolValue(false)
	state.RPCDynamicPorts = defaultRPCDynamicPorts()
	state.RulesPerDirectionQuota = types.Int64Value(posture.DefaultRulesPerDirectionQuota)
	state.Profiles = types.MapNull(types.ObjectType{AttrTypes: peersAttrTypes})
	state.CustomRules = types.ListNull(types.ObjectType{AttrTypes: customRuleAttrTypes})
	plain := make([]posture.Rule, len(rules))
	for i, g := range rules {
		plain[i] = g.Rule
	}
	intent, ok := posture.IntentFromRules(plain)
	if !ok {
		tflog.Info(ctx, "imported security group rules do not read as profiles; the next plan records the configuration's intent")
		return nil
	}
	state.AllowPublicIngress = types.BoolValue(intent.AllowPublicIngress)
	state.PathMTUDiscovery = types.BoolValue(intent.PathMTUDiscovery)
	if len(intent.Profiles) > 0 {
		profiles := map[string]attr.Value{}
		for name, p := range intent.Profiles {
			profiles[name] = flattenPeers(p)
		}
		state.Profiles = types.MapValueMust(types.ObjectType{AttrTypes: peersAttrTypes}, profiles)
	}
	if len(intent.CustomRules) > 0 {
		var elems []attr.Value
		for _, c := range intent.CustomRules {
			values := map[string]attr.Value{
				"direction": types.StringValue(c.Direction), "protocol": types.StringValue(c.Protocol),
				"from_port": flattenOptionalInt(c.FromPort), "to_port": flattenOptionalInt(c.ToPort),
				"description": optString(c.Description),
				"reply_ports": types.ListNull(types.ObjectType{AttrTypes: portRangeAttrTypes}),
				"one_way":     types.BoolNull(),
			}
			for k, v := range flattenPeers(c.Peers).Attributes() {
				values[k] = v
			}
			elems = append(elems, types.ObjectValueMust(customRuleAttrTypes, values))
		}
		state.CustomRules = types.ListValueMust(types.ObjectType{AttrTypes: customRuleAttrTypes}, elems)
	}
	compiled, err := posture.CompileGroup(intent, posture.GroupOptions{RulesPerDirectionQuota: len(rules) + 1})
	if err != nil {
		return nil
	}
	return compiled
}

func (r *securityGroupResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	plan, ok := decode[securityGroupModel](ctx, req.Plan, &resp.Diagnostics)
	state, stateOK := decode[securityGroupModel](ctx, req.State, &resp.Diagnostics)
	if !ok || !stateOK {
		return
	}
	ctx, cancel, _ := withDeadline(ctx, plan.Timeouts.Update, groupTimeouts.update, &resp.Diagnostics)
	defer cancel()
	id := state.ID.ValueString()

	if !r.syncTags(ctx, groupThing, id, state.TagsAll, plan.TagsAll, &resp.Diagnostics) {
		return
	}
	want := plannedRules(ctx, plan.Rules, &resp.Diagnostics)
	have, diags := expandRules(ctx, state.Rules)
	resp.Diagnostics.Append(diags...)
	rules, err := awsec2.SyncGroupRules(ctx, r.client().EC2, id, have, want)
	if err != nil {
		resp.Diagnostics.AddError("Updating rules of "+groupThing+" "+id, err.Error())
		return
	}
	plan.Rules = flattenRulesWithProfiles(rules, profilesByKey(want))
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *securityGroupResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	state, ok := decode[securityGroupModel](ctx, req.State, &resp.Diagnostics)
	if !ok {
		return
	}
	ctx, cancel, timeout := withDeadline(ctx, state.Timeouts.Delete, groupTimeouts.delete, &resp.Diagnostics)
	defer cancel()
	if err := awsec2.DeleteSecurityGroup(ctx, r.client().EC2, state.ID.ValueString(), timeout); err != nil {
		resp.Diagnostics.AddError("Deleting "+groupThing+" "+state.ID.ValueString(), err.Error())
	}
}

func (r *securityGroupResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importByID(ctx, req, resp, groupIDPattern, groupThing, "sg-0123456789abcdef0")
}
