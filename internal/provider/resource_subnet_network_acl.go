package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

var (
	_ resource.Resource                   = &subnetNACLResource{}
	_ resource.ResourceWithConfigure      = &subnetNACLResource{}
	_ resource.ResourceWithImportState    = &subnetNACLResource{}
	_ resource.ResourceWithModifyPlan     = &subnetNACLResource{}
	_ resource.ResourceWithValidateConfig = &subnetNACLResource{}
)

var aclTimeouts = operationTimeouts{create: 10 * time.Minute, update: 10 * time.Minute, delete: 10 * time.Minute}

// aclThing names the resource in diagnostics.
const aclThing = "DDVE network ACL"

var aclIDPattern = regexp.MustCompile(`^acl-[0-9a-f]{8,17}$`)

func newSubnetNACLResource() resource.Resource {
	return &subnetNACLResource{}
}

type subnetNACLResource struct {
	resourceBase
}

func (r *subnetNACLResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_subnet_nacl"
}

func (r *subnetNACLResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = subnetNACLSchema(ctx)
}

func defaultEphemeralPorts() types.Object {
	return types.ObjectValueMust(portRangeAttrTypes, map[string]attr.Value{
		"from_port": types.Int64Value(posture.DefaultEphemeralFrom),
		"to_port":   types.Int64Value(posture.DefaultEphemeralTo),
	})
}

func subnetNACLSchema(ctx context.Context) schema.Schema {
	tags, tagsAll := tagsAttributes()
	attributes := identityAttributes("Network ACL")
	s := schema.Schema{
		Version: schemaVersion,
		Description: "A network ACL for DDVE subnets whose stateless entries are expanded from port profiles: " +
			"each flow gets its request entry and, unless it is one-way, its return entry on the ports its real clients send from " +
			"(the ephemeral range, plus 512-1023 for NFS/RPC, 123 for NTP, 137-138 for NetBIOS), scoped to the same peers and merged where ranges touch; " +
			"explicit denies come first. Subnets left out, or the ACL destroyed, go back to the VPC's default ACL.",
		Attributes: map[string]schema.Attribute{
			// Required, forcing replacement.
			"vpc_id": schema.StringAttribute{
				Required: true, Description: "VPC of the ACL. Changing it replaces the ACL.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validatorString{vpcIDValidator},
			},

			// Optional.
			"subnet_ids": schema.SetAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "Subnets to move onto this ACL. A subnet left out goes back to the VPC's default ACL.",
				Validators: []validator.Set{setvalidator.ValueStringsAre(
					stringvalidator.RegexMatches(subnetIDPattern, "must be a subnet ID such as subnet-0123456789abcdef0"))},
			},
			"profiles":             profilesAttribute(true),
			"custom_rules":         customRulesAttribute(true),
			"allow_public_ingress": allowPublicIngressAttribute(),
			"path_mtu_discovery":   pathMTUDiscoveryAttribute(true),
			"rpc_dynamic_ports":    rpcDynamicPortsAttribute(),
			"ephemeral_ports": schema.SingleNestedAttribute{
				Optional: true, Computed: true, Default: objectdefault.StaticValue(defaultEphemeralPorts()),
				Description: "Port range peers' clients send from, where the answers to the connections peers open go, besides the fixed ports some clients use. " +
					"The default 1024-65535 covers Linux (32768-60999), Windows (49152-65535), NAT gateways and load balancers. " +
					"The answers to DDVE's own connections follow `ddve_ephemeral_ports`.",
				Attributes: map[string]schema.Attribute{
					"from_port": schema.Int64Attribute{Required: true, Description: "First ephemeral port."},
					"to_port":   schema.Int64Attribute{Required: true, Description: "Last ephemeral port."},
				},
			},
			"ddve_ephemeral_ports": schema.SingleNestedAttribute{
				Optional: true,
				Description: "Port range DDVE's own connections come back to: the return entries of outbound flows (DNS, NTP, KMIP, directory, S3, replication out...) allow it from their peers. " +
					"Unset, since DD OS does not document its range, it is 1024-65535 less the ports DDVE listens on: 111, 2049, 2051, 2052, 3009 and every port an inbound profile of this ACL opens, " +
					"so a peer DDVE only connects to never reaches them through a return entry; that takes up to four entries per peer and protocol. " +
					"Set it to DD OS's range (Linux: 32768-60999) for one.",
				Attributes: map[string]schema.Attribute{
					"from_port": schema.Int64Attribute{Required: true, Description: "First port."},
					"to_port":   schema.Int64Attribute{Required: true, Description: "Last port."},
				},
			},
			"deny": schema.ListNestedAttribute{
				Optional:    true,
				Description: "Explicit deny entries, numbered before every allow entry, in the order written.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"cidr_block":      schema.StringAttribute{Optional: true, Description: "IPv4 CIDR to deny; give this or `ipv6_cidr_block`."},
					"ipv6_cidr_block": schema.StringAttribute{Optional: true, Description: "IPv6 CIDR to deny."},
					"direction": schema.StringAttribute{
						Optional: true, Computed: true, Default: stringdefault.StaticString("ingress"),
						// Checked by the compiler, whose error Terraform can
						// show at the deny's line.
						Description: "`ingress` (default), `egress` or `both`.",
					},
					"protocol": schema.StringAttribute{
						Optional: true, Computed: true, Default: stringdefault.StaticString("all"),
						Description: "`all` (default), `tcp`, `udp`, `icmp`, `icmpv6` or a protocol number.",
					},
					"from_port": schema.Int64Attribute{Optional: true, Description: "First port (TCP, UDP; default all ports) or ICMP type."},
					"to_port":   schema.Int64Attribute{Optional: true, Description: "Last port (TCP, UDP) or ICMP code."},
				}},
			},
			"default_action": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString(posture.Deny),
				Description: "`deny` (default): only the profiles' flows pass. `allow`: allow-all entries come last, " +
					"for IPv4 and IPv6 alike, making a deny-list ACL.",
				Validators: []validatorString{stringvalidator.OneOf(posture.Deny, posture.Allow)},
			},
			"entries_per_direction_quota": schema.Int64Attribute{
				Optional: true, Computed: true, Default: int64default.StaticInt64(posture.DefaultEntriesPerDirectionQuota),
				Description: "Entries allowed per direction and IP family, AWS's built-in deny-all included: 2 to 40. AWS's default is 20, " +
					"which Service Quotas can raise to 40 and no further; set this after raising it in AWS. A plan needing more fails with the count.",
				Validators: []validatorInt64{entriesQuotaValidator{}},
			},
			"tags": tags,

			// Computed.
			"tags_all": tagsAll,
			"default_network_acl_id": schema.StringAttribute{
				Computed: true, Description: "The VPC's default network ACL, where released subnets go.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"entries": schema.SetNestedAttribute{
				Computed:   true,
				CustomType: setOf(entryElementType),
				Description: "Every entry of the ACL; known at plan time. AWS's built-in deny-all entries (32767, 32768) are left out. " +
					"A set: a plan shows the entries added and removed, and leaves the others alone.",
				NestedObject: schema.NestedAttributeObject{CustomType: entryElementType, Attributes: map[string]schema.Attribute{
					"rule_number":     schema.Int64Attribute{Computed: true, Description: "Rule number; entries that survive an update keep theirs."},
					"egress":          schema.BoolAttribute{Computed: true, Description: "True for outbound entries."},
					"rule_action":     schema.StringAttribute{Computed: true, Description: "`allow` or `deny`."},
					"protocol":        schema.StringAttribute{Computed: true, Description: "AWS protocol number: `6` TCP, `17` UDP, `1` ICMP, `58` ICMPv6, `-1` all."},
					"cidr_block":      schema.StringAttribute{Computed: true, Description: "IPv4 block."},
					"ipv6_cidr_block": schema.StringAttribute{Computed: true, Description: "IPv6 block."},
					"from_port":       schema.Int64Attribute{Computed: true, Description: "First port (TCP, UDP), else 0."},
					"to_port":         schema.Int64Attribute{Computed: true, Description: "Last port (TCP, UDP), else 0."},
					"icmp_type":       schema.Int64Attribute{Computed: true, Description: "ICMP type, else 0."},
					"icmp_code":       schema.Int64Attribute{Computed: true, Description: "ICMP code, else 0."},
					"purpose":         schema.StringAttribute{Computed: true, Description: "Which profile, custom rule or deny produced the entry; kept in state only."},
				}},
			},
			"prefix_list_versions": schema.MapAttribute{
				Computed:    true,
				ElementType: types.Int64Type,
				Description: "The version of each prefix list the entries were resolved from, by list ID. AWS adds ranges to its lists over time " +
					"and an ACL cannot reference a list, so the entries hold the CIDRs of this version: when a plan finds a newer one, " +
					"it compiles the entries from the new CIDRs and warns, naming the list. Null when the ACL names no list, and after an import until the next apply.",
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
	maps.Copy(s.Attributes, attributes)
	return s
}

// expandACLSettings expands what the ACL compiler needs beyond the intent;
// known is false when part of it is only known at apply.
func expandACLSettings(ctx context.Context, m aclSettingsModel) (posture.ACLOptions, bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	opts := posture.ACLOptions{
		DefaultAction:            m.DefaultAction.ValueString(),
		EntriesPerDirectionQuota: int(m.EntriesPerDirectionQuota.ValueInt64()),
	}
	known := !m.DefaultAction.IsUnknown() && !m.EntriesPerDirectionQuota.IsUnknown() && !m.EphemeralPorts.IsUnknown() && !m.Deny.IsUnknown() && !m.DDVEEphemeralPorts.IsUnknown()
	if !m.DDVEEphemeralPorts.IsNull() && !m.DDVEEphemeralPorts.IsUnknown() {
		var ports portRangeModel
		diags.Append(m.DDVEEphemeralPorts.As(ctx, &ports, objectAsOptions)...)
		known = known && !ports.FromPort.IsUnknown() && !ports.ToPort.IsUnknown()
		opts.DDVEEphemeralFrom, opts.DDVEEphemeralTo = int(ports.FromPort.ValueInt64()), int(ports.ToPort.ValueInt64())
		if opts.DDVEEphemeralFrom == 0 && opts.DDVEEphemeralTo == 0 {
			diags.AddAttributeError(path.Root("ddve_ephemeral_ports"), "Invalid DDVE ephemeral range", "0-0 holds no port DDVE sends from: give a range such as 32768-60999, or leave ddve_ephemeral_ports out.")
		}
	}
	// The schema holds the resources and the data source to AWS's range;
	// the functions' options reach here unvalidated.
	if q := m.EntriesPerDirectionQuota; !q.IsNull() && !q.IsUnknown() {
		if d := entriesQuotaProblem(q.ValueInt64()); d != "" {
			diags.AddAttributeError(path.Root("entries_per_direction_quota"), "Network ACL entry quota out of range", d)
		}
	}
	if !m.EphemeralPorts.IsNull() && !m.EphemeralPorts.IsUnknown() {
		var ports portRangeModel
		diags.Append(m.EphemeralPorts.As(ctx, &ports, objectAsOptions)...)
		known = known && !ports.FromPort.IsUnknown() && !ports.ToPort.IsUnknown()
		opts.EphemeralFrom, opts.EphemeralTo = int(ports.FromPort.ValueInt64()), int(ports.ToPort.ValueInt64())
	}
	if !m.Deny.IsNull() && !m.Deny.IsUnknown() {
		for _, v := range m.Deny.Elements() {
			if v.IsUnknown() {
				return opts, false, diags
			}
		}
		var denies []denyModel
		diags.Append(m.Deny.ElementsAs(ctx, &denies, false)...)
		if diags.HasError() {
			return opts, false, diags
		}
		for _, d := range denies {
			known = known && !d.CIDRBlock.IsUnknown() && !d.IPv6CIDRBlock.IsUnknown() && !d.Direction.IsUnknown() &&
				!d.Protocol.IsUnknown() && !d.FromPort.IsUnknown() && !d.ToPort.IsUnknown()
			opts.Deny = append(opts.Deny, posture.DenyRule{
				CIDRBlock: d.CIDRBlock.ValueString(), IPv6CIDRBlock: d.IPv6CIDRBlock.ValueString(),
				Direction: d.Direction.ValueString(), Protocol: d.Protocol.ValueString(),
				FromPort: expandOptionalInt(d.FromPort), ToPort: expandOptionalInt(d.ToPort),
			})
		}
	}
	return opts, known, diags
}

func (r *subnetNACLResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	config, ok := decode[subnetNACLModel](ctx, req.Config, &resp.Diagnostics)
	if !ok {
		return
	}
	intent, known, diags := config.expandIntent(ctx)
	resp.Diagnostics.Append(diags...)
	opts, settingsKnown, diags := expandACLSettings(ctx, config.aclSettingsModel)
	resp.Diagnostics.Append(diags...)
	if !known || !settingsKnown {
		return
	}
	// Prefix lists are resolved at plan time; here every list stands for
	// one placeholder block, so the rest of the posture is still checked.
	// Their real sizes are unknown yet, so ModifyPlan checks the quota.
	opts.PrefixListCIDRs = map[string][]string{}
	for _, id := range prefixListIDs(intent) {
		opts.PrefixListCIDRs[id] = []string{"192.0.2.0/24"}
	}
	_, err := posture.CompileACL(intent, opts)
	var problems posture.Problems
	if err != nil && !errors.As(err, &problems) {
		addProblems(&resp.Diagnostics, err, "Invalid network ACL posture")
		return
	}
	if len(opts.PrefixListCIDRs) > 0 {
		problems = slices.DeleteFunc(problems, func(p posture.Problem) bool {
			return p.Path.String() == "entries_per_direction_quota"
		})
	}
	if len(problems) > 0 {
		addProblems(&resp.Diagnostics, problems, "Invalid network ACL posture")
	}
}

// ModifyPlan puts the exact entries in the plan, prefix lists resolved and
// rule numbers kept from the state.
func (r *subnetNACLResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	plan, ok := decode[subnetNACLModel](ctx, req.Plan, &resp.Diagnostics)
	if !ok {
		return
	}
	var previous []posture.Entry
	var state subnetNACLModel
	if !req.State.Raw.IsNull() {
		state, _ = decode[subnetNACLModel](ctx, req.State, &resp.Diagnostics)
		var diags diag.Diagnostics
		previous, diags = expandEntries(ctx, state.Entries)
		resp.Diagnostics.Append(diags...)
	}
	plan.TagsAll = r.planTagsAll(ctx, plan.Tags, &resp.Diagnostics)
	r.refuseClaimedSubnets(ctx, state, plan, &resp.Diagnostics)

	intent, known, diags := plan.expandIntent(ctx)
	resp.Diagnostics.Append(diags...)
	opts, settingsKnown, diags := expandACLSettings(ctx, plan.aclSettingsModel)
	resp.Diagnostics.Append(diags...)
	if !known || !settingsKnown || r.data == nil {
		plan.Entries = elementSetUnknown(entryElementType)
		plan.PrefixListVersions = types.MapUnknown(types.Int64Type)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	var lists map[string]awsec2.ResolvedPrefixList
	if ids := prefixListIDs(intent); len(ids) > 0 {
		var err error
		if lists, err = r.data.prefixLists.Resolve(ctx, r.client().EC2, ids); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("profiles"), "Cannot resolve prefix lists", err.Error())
			return
		}
		opts.PrefixListCIDRs = make(map[string][]string, len(lists))
		for id, list := range lists {
			opts.PrefixListCIDRs[id] = list.CIDRs
		}
	}
	plan.PrefixListVersions = flattenPrefixListVersions(lists)
	for _, w := range newerPrefixLists(ctx, state.PrefixListVersions, lists) {
		resp.Diagnostics.AddAttributeWarning(path.Root("prefix_list_versions"), "Prefix list changed since the last apply", w)
	}
	opts.Previous = previous
	entries, err := posture.CompileACL(intent, opts)
	if err != nil {
		addProblems(&resp.Diagnostics, err, "Invalid network ACL posture")
		return
	}
	if err := evaluate.CheckACL(intent, opts, entries); err != nil {
		addSelfCheckFailure(&resp.Diagnostics, err)
		return
	}
	plan.Entries = flattenEntries(entries)
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func (r *subnetNACLResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	plan, ok := decode[subnetNACLModel](ctx, req.Plan, &resp.Diagnostics)
	if !ok {
		return
	}
	ctx, cancel, _ := withDeadline(ctx, plan.Timeouts.Create, aclTimeouts.create, &resp.Diagnostics)
	defer cancel()

	subnets, _, diags := expandStringSet(ctx, plan.SubnetIDs)
	resp.Diagnostics.Append(diags...)
	entries, diags := expandEntries(ctx, plan.Entries)
	resp.Diagnostics.Append(diags...)
	tagsAll, _, diags := expandStringMap(ctx, plan.TagsAll)
	resp.Diagnostics.Append(diags...)
	acl, defaultACL, err := awsec2.CreateNetworkACL(ctx, r.client().EC2, awsec2.CreateACLInput{
		VPCID: plan.VPCID.ValueString(), Tags: tagsAll, Entries: entries, SubnetIDs: subnets,
	})
	if acl != nil {
		plan.ID, plan.ARN, plan.OwnerID = types.StringValue(acl.ID), types.StringValue(acl.ARN), types.StringValue(acl.OwnerID)
		plan.DefaultNetworkACLID = types.StringValue(defaultACL)
		plan.Entries = flattenEntriesWithPurposes(acl.Entries, entries)
		// After a failed step the state holds no subnet the create did
		// not move (acl is then what CreateNetworkAcl answered, with no
		// association): the next plan shows them to be added, and no
		// warning names an ACL a subnet never had.
		plan.SubnetIDs = flattenSubnetIDs(acl, plan.SubnetIDs)
		tflog.Debug(ctx, "created DDVE network ACL", map[string]any{"id": acl.ID, "entries": len(acl.Entries)})
	}
	keepCreated(ctx, resp, &plan, acl != nil, err, aclThing)
}

// flattenEntriesWithPurposes is the entries attribute for entries read
// from AWS, in the compiler's order, each with the purpose the plan or
// previous state gave the same entry.
func flattenEntriesWithPurposes(actual, previous []posture.Entry) elementSet {
	type slot struct {
		key    posture.EntryKey
		number int
	}
	purposes := map[slot]string{}
	for _, e := range previous {
		purposes[slot{e.Key(), e.RuleNumber}] = e.Purpose
	}
	out := slices.Clone(actual)
	for i := range out {
		out[i].Purpose = purposes[slot{out[i].Key(), out[i].RuleNumber}]
	}
	posture.SortEntries(out)
	return flattenEntries(out)
}

func (r *subnetNACLResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	state, ok := decode[subnetNACLModel](ctx, req.State, &resp.Diagnostics)
	if !ok {
		return
	}
	client := r.client().EC2
	acl, err := awsec2.FindNetworkACLByID(ctx, client, state.ID.ValueString())
	if removeIfGone(ctx, err, resp, aclThing, state.ID.ValueString()) {
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Reading "+aclThing+" "+state.ID.ValueString(), err.Error())
		return
	}
	if state.DefaultNetworkACLID.IsNull() {
		// Only after an import: the default ACL of a VPC never changes.
		defaultACL, err := awsec2.FindDefaultNetworkACLID(ctx, client, acl.VPCID)
		if err != nil {
			resp.Diagnostics.AddError("Finding the default network ACL of "+acl.VPCID, err.Error())
			return
		}
		state.DefaultNetworkACLID = types.StringValue(defaultACL)
		state.AllowPublicIngress = types.BoolValue(false)
		state.PathMTUDiscovery = types.BoolValue(slices.ContainsFunc(acl.Entries, func(e posture.Entry) bool {
			return !e.Egress && e.Action == posture.Allow && e.Protocol == "1" && e.ICMPType == 3 && e.ICMPCode == 4 && e.CIDRBlock == "0.0.0.0/0"
		}))
		state.RPCDynamicPorts = defaultRPCDynamicPorts()
		state.DefaultAction = types.StringValue(posture.Deny)
		state.EntriesPerDirectionQuota = types.Int64Value(posture.DefaultEntriesPerDirectionQuota)
		state.EphemeralPorts = defaultEphemeralPorts()
	}
	if state.PrefixListVersions.IsNull() {
		r.recordPrefixListVersions(ctx, &state)
	}
	state.ARN, state.OwnerID, state.VPCID = types.StringValue(acl.ARN), types.StringValue(acl.OwnerID), types.StringValue(acl.VPCID)
	state.Tags, state.TagsAll = r.readTags(ctx, acl.Tags, state.Tags, &resp.Diagnostics)
	previous, diags := expandEntries(ctx, state.Entries)
	resp.Diagnostics.Append(diags...)
	state.Entries = flattenEntriesWithPurposes(acl.Entries, previous)
	r.warnOfClaimedSubnets(ctx, acl, state.SubnetIDs, &resp.Diagnostics)
	state.SubnetIDs = flattenSubnetIDs(acl, state.SubnetIDs)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *subnetNACLResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	plan, ok := decode[subnetNACLModel](ctx, req.Plan, &resp.Diagnostics)
	state, stateOK := decode[subnetNACLModel](ctx, req.State, &resp.Diagnostics)
	if !ok || !stateOK {
		return
	}
	ctx, cancel, _ := withDeadline(ctx, plan.Timeouts.Update, aclTimeouts.update, &resp.Diagnostics)
	defer cancel()
	client := r.client().EC2
	id := state.ID.ValueString()

	if !r.syncTags(ctx, aclThing, id, state.TagsAll, plan.TagsAll, &resp.Diagnostics) {
		return
	}
	// Entries first, so a subnet that joins finds the ACL complete.
	want, diags := expandEntries(ctx, plan.Entries)
	resp.Diagnostics.Append(diags...)
	haveEntries, diags := expandEntries(ctx, state.Entries)
	resp.Diagnostics.Append(diags...)
	if err := awsec2.SyncEntries(ctx, client, id, haveEntries, want, awsec2.DefaultEntryConcurrency); err != nil {
		resp.Diagnostics.AddError("Updating entries of "+aclThing+" "+id, err.Error())
		return
	}
	have, _, diags := expandStringSet(ctx, state.SubnetIDs)
	resp.Diagnostics.Append(diags...)
	wantSubnets, _, diags := expandStringSet(ctx, plan.SubnetIDs)
	resp.Diagnostics.Append(diags...)
	added := without(wantSubnets, have)
	removed := without(have, wantSubnets)
	if len(added) > 0 {
		if err := awsec2.AssociateSubnets(ctx, client, id, plan.VPCID.ValueString(), added); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("subnet_ids"), "Associating subnets with "+aclThing+" "+id, err.Error())
			return
		}
	}
	if len(removed) > 0 {
		acl, err := awsec2.FindNetworkACLByID(ctx, client, id)
		if err == nil {
			err = awsec2.ReleaseSubnets(ctx, client, acl, state.DefaultNetworkACLID.ValueString(), removed)
		}
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("subnet_ids"), "Releasing subnets from "+aclThing+" "+id, err.Error())
			return
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// refuseClaimedSubnets fails the plan when a subnet it would move here is
// held by another network ACL this provider manages: two ddve_subnet_nacl
// resources that list one subnet move it back and forth on every apply.
// Only the subnets the plan adds are looked up, in one call.
//
// A plan to create has no ID to tell its own ACL by: when a failed create
// left a tainted ACL holding the subnet, the replacement's plan sees that
// ACL. So a create is warned here, and refused by the apply before
// CreateNetworkAcl if the holder still has the subnet after a while (the
// tainted one is destroyed first, unless create_before_destroy is set).
// Nothing here runs on destroy or refresh.
func (r *subnetNACLResource) refuseClaimedSubnets(ctx context.Context, state, plan subnetNACLModel, diags *diag.Diagnostics) {
	if r.data == nil || plan.SubnetIDs.IsUnknown() {
		return
	}
	want, known, d := expandStringSet(ctx, plan.SubnetIDs)
	diags.Append(d...)
	have, _, d := expandStringSet(ctx, state.SubnetIDs)
	diags.Append(d...)
	added := without(want, have)
	if !known || len(added) == 0 {
		return
	}
	holders, err := r.data.subnetHolders.Find(ctx, r.client().EC2, added)
	if err != nil {
		diags.AddAttributeError(path.Root("subnet_ids"), "Cannot find the subnets' network ACLs", err.Error())
		return
	}
	creating := state.ID.IsNull() || state.ID.ValueString() == ""
	for _, subnet := range added {
		holder := holders[subnet]
		if holder == nil || !holder.Managed || holder.ID == state.ID.ValueString() {
			continue
		}
		detail := fmt.Sprintf("Subnet %s is associated with network ACL %s, which another ddve_subnet_nacl manages. Two resources that list one subnet "+
			"move it back and forth on every apply. List each subnet in one ddve_subnet_nacl only: remove %s from this one, or from the one that manages %s.",
			subnet, holder.ID, subnet, holder.ID)
		if creating {
			diags.AddAttributeWarning(path.Root("subnet_ids"), "Subnet claimed by another DDVE network ACL",
				detail+" Unless that ACL is this resource's own tainted one, which the apply replaces first, the apply stops before creating anything.")
			continue
		}
		diags.AddAttributeError(path.Root("subnet_ids"), "Subnet claimed by another DDVE network ACL", detail)
	}
}

// warnOfClaimedSubnets warns, when a subnet of the state has left the ACL,
// which ACL holds it now: another DDVE network ACL means two resources
// claim it, and each apply would move it back.
func (r *subnetNACLResource) warnOfClaimedSubnets(ctx context.Context, acl *awsec2.NetworkACL, previous types.Set, diags *diag.Diagnostics) {
	subnets, _, d := expandStringSet(ctx, previous)
	diags.Append(d...)
	var gone []string
	for _, s := range subnets {
		if _, ok := acl.Associations[s]; !ok {
			gone = append(gone, s)
		}
	}
	if len(gone) == 0 {
		return
	}
	holders, err := r.data.subnetHolders.Find(ctx, r.client().EC2, gone)
	if err != nil {
		return // the plan shows the subnet coming back; the warning is a courtesy
	}
	for _, subnet := range gone {
		if holder := holders[subnet]; holder != nil && holder.Managed {
			diags.AddAttributeWarning(path.Root("subnet_ids"), "Subnet moved to another DDVE network ACL",
				fmt.Sprintf("Subnet %s left network ACL %s for %s, which another ddve_subnet_nacl manages. If both resources list it, every apply moves it back and forth: "+
					"list it in one of them only.", subnet, acl.ID, holder.ID))
		}
	}
}

func without(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

func (r *subnetNACLResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	state, ok := decode[subnetNACLModel](ctx, req.State, &resp.Diagnostics)
	if !ok {
		return
	}
	ctx, cancel, timeout := withDeadline(ctx, state.Timeouts.Delete, aclTimeouts.delete, &resp.Diagnostics)
	defer cancel()
	err := awsec2.DeleteNetworkACL(ctx, r.client().EC2, state.ID.ValueString(), state.DefaultNetworkACLID.ValueString(), timeout)
	if err != nil {
		resp.Diagnostics.AddError("Deleting "+aclThing+" "+state.ID.ValueString(), err.Error())
	}
}

func (r *subnetNACLResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importByID(ctx, req, resp, aclIDPattern, aclThing, "acl-0123456789abcdef0")
}

// entriesQuotaValidator holds entries_per_direction_quota to what AWS can
// grant: 2 (an entry and the built-in deny) to 40.
type entriesQuotaValidator struct{}

func (entriesQuotaValidator) Description(context.Context) string {
	return fmt.Sprintf("must be between %d and %d, AWS's maximum", posture.MinEntriesPerDirectionQuota, posture.MaxEntriesPerDirectionQuota)
}

func (v entriesQuotaValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (entriesQuotaValidator) ValidateInt64(_ context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if d := entriesQuotaProblem(req.ConfigValue.ValueInt64()); d != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Network ACL entry quota out of range", d)
	}
}

// entriesQuotaProblem explains a quota AWS cannot grant, or returns "".
func entriesQuotaProblem(n int64) string {
	switch {
	case n > posture.MaxEntriesPerDirectionQuota:
		return fmt.Sprintf("entries_per_direction_quota is %d, but AWS allows at most %d entries per direction and IP family in a network ACL, the built-in deny-all included "+
			"(the default quota of 20 can be raised to 40 and no further). Set at most %d; a posture that needs more must use fewer, wider peer blocks or split its subnets.",
			n, posture.MaxEntriesPerDirectionQuota, posture.MaxEntriesPerDirectionQuota)
	case n < posture.MinEntriesPerDirectionQuota:
		return fmt.Sprintf("entries_per_direction_quota is %d: it counts AWS's built-in deny-all as well, so it must be at least %d.", n, posture.MinEntriesPerDirectionQuota)
	}
	return ""
}
