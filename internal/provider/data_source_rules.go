package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	rs "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

var (
	_ datasource.DataSource              = &rulesDataSource{}
	_ datasource.DataSourceWithConfigure = &rulesDataSource{}
)

func newRulesDataSource() datasource.DataSource {
	return &rulesDataSource{}
}

// rulesDataSource is the expansion of both resources without creating
// anything, for configurations that must keep hashicorp/aws resources.
type rulesDataSource struct {
	data *providerData
}

type rulesDataSourceModel struct {
	rulesInputModel
	SecurityGroupRules types.List `tfsdk:"security_group_rules"`
	NetworkACLEntries  types.List `tfsdk:"network_acl_entries"`
}

func (d *rulesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_rules"
}

const keyDescription = "What the %s does, in words (%s): unique in the list, and unchanged as long as the %s does the same thing, " +
	"so it is the key to use with `for_each`."

func (d *rulesDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	groupSchema, aclSchema := securityGroupSchema(ctx), subnetNACLSchema(ctx)
	group, acl := groupSchema.Attributes, aclSchema.Attributes
	attrs := dataSourceAttributes(map[string]rs.Attribute{
		"custom_rules":                group["custom_rules"],
		"allow_public_ingress":        group["allow_public_ingress"],
		"path_mtu_discovery":          acl["path_mtu_discovery"],
		"rpc_dynamic_ports":           acl["rpc_dynamic_ports"],
		"rules_per_direction_quota":   group["rules_per_direction_quota"],
		"ephemeral_ports":             acl["ephemeral_ports"],
		"ddve_ephemeral_ports":        acl["ddve_ephemeral_ports"],
		"deny":                        acl["deny"],
		"default_action":              acl["default_action"],
		"entries_per_direction_quota": acl["entries_per_direction_quota"],
	})

	profiles := dataSourceMapNested(profilesAttribute(false))
	profiles.Description = "DDVE port profiles to expand, by name, each with its peers, as in `ddve_security_group` and `ddve_subnet_nacl`. " +
		"Security group IDs become referencing rules in `security_group_rules`; network ACL entries cannot reference a group, so they are an error, " +
		"as in `ddve_subnet_nacl`. Prefix lists are read through AWS (their weight for the group quota, their CIDRs for the entries); " +
		"without one, reading this data source makes no AWS call. Profiles:" + profileCatalogDescription()
	attrs["profiles"] = profiles

	rules := dataSourceListOf(groupSchema, "rules")
	delete(rules.NestedObject.Attributes, "rule_id")
	rules.NestedObject.Attributes["key"] = schema.StringAttribute{Computed: true,
		Description: fmt.Sprintf(keyDescription, "rule", "`ingress tcp 22 10.0.1.10/32`", "rule")}
	rules.Description = "The rules `ddve_security_group` would plan for these inputs, in its order: one per direction, protocol, port range and peer. " +
		"The `protocol`, ports and peer fields map one to one onto `aws_vpc_security_group_ingress_rule` and `aws_vpc_security_group_egress_rule`."
	attrs["security_group_rules"] = rules

	entries := dataSourceListOf(aclSchema, "entries")
	entries.NestedObject.Attributes["key"] = schema.StringAttribute{Computed: true,
		Description: fmt.Sprintf(keyDescription, "entry", "`egress allow tcp 1024-65535 10.0.1.10/32`", "entry") +
			" The rule number is not part of it."}
	entries.Description = "The entries `ddve_subnet_nacl` would plan for these inputs on a new ACL, ingress then egress by rule number, " +
		"return entries included. Rule numbers are assigned afresh on every read: with no previous state to keep them from, adding a peer can renumber later entries."
	attrs["network_acl_entries"] = entries

	resp.Schema = schema.Schema{
		Description: "The security group rules and network ACL entries the DDVE port profiles expand into, as `ddve_security_group` and `ddve_subnet_nacl` " +
			"would plan them, without creating anything: for configurations that keep `hashicorp/aws` resources, or that want to see the expansion.",
		Attributes: attrs,
	}
}

func (d *rulesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *rulesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config rulesDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Terraform reads a data source once its configuration is known, so
	// what is not known here is null where a value is needed.
	e, known, diags := config.expansion(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !known {
		resp.Diagnostics.AddError("Null in the DDVE posture", "A profile, custom rule or deny is null: leave it out instead.")
		return
	}
	if ids := e.prefixListIDs(); len(ids) > 0 {
		if d.data == nil {
			resp.Diagnostics.AddAttributeError(path.Root("profiles"), "Cannot resolve prefix lists", "The provider is not configured.")
			return
		}
		tflog.Debug(ctx, "resolving prefix lists", map[string]any{"prefix_lists": ids})
		warnings, err := e.resolvePrefixLists(ctx, d.data.client.EC2, d.data.prefixLists)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("profiles"), "Cannot resolve prefix lists", err.Error())
			return
		}
		for _, w := range warnings {
			resp.Diagnostics.AddAttributeWarning(path.Root("profiles"), "Prefix list weight unknown", w)
		}
	}
	if named := profilesNamingGroups(e.intent); len(named) > 0 {
		// A group rule can name a group; an ACL entry cannot. The rules
		// are what such a configuration wants.
		rules, err := e.securityGroupRules()
		if err != nil {
			addProblems(&resp.Diagnostics, err, "Invalid DDVE posture")
			return
		}
		// The ACL's own arguments (denies, default action, quota) are
		// still checked, on the peers an ACL can take.
		acl := e
		acl.intent = withoutGroupPeers(e.intent)
		if _, err := acl.networkACLEntries(); err != nil {
			addProblems(&resp.Diagnostics, err, "Invalid DDVE posture")
			return
		}
		config.SecurityGroupRules = rules
		config.NetworkACLEntries = types.ListNull(types.ObjectType{AttrTypes: networkACLEntryAttrTypes})
		resp.Diagnostics.AddAttributeWarning(path.Root("profiles"), "No network ACL entries for security group peers",
			fmt.Sprintf("network_acl_entries is null: %s name security groups, and network ACL entries take CIDR blocks only. "+
				"security_group_rules holds the rules; for the entries, give the CIDR blocks of the groups' members.", strings.Join(named, ", ")))
		resp.Diagnostics.Append(resp.State.Set(ctx, &config)...)
		return
	}
	rules, entries, err := e.both()
	if err != nil {
		addProblems(&resp.Diagnostics, err, "Invalid DDVE posture")
		return
	}
	config.SecurityGroupRules, config.NetworkACLEntries = rules, entries
	resp.Diagnostics.Append(resp.State.Set(ctx, &config)...)
}

// profilesNamingGroups lists the profiles and custom rules whose peers
// include security groups, as their attribute paths read.
func profilesNamingGroups(in posture.Intent) []string {
	var named []string
	for _, name := range slices.Sorted(maps.Keys(in.Profiles)) {
		if len(in.Profiles[name].SecurityGroupIDs) > 0 {
			named = append(named, fmt.Sprintf("profiles[%q]", name))
		}
	}
	for i, r := range in.CustomRules {
		if len(r.Peers.SecurityGroupIDs) > 0 {
			named = append(named, fmt.Sprintf("custom_rules[%d]", i))
		}
	}
	return named
}

// withoutGroupPeers is the intent less its security group peers, and less
// the profiles and custom rules that have no other peer.
func withoutGroupPeers(in posture.Intent) posture.Intent {
	out := in
	out.Profiles = map[string]posture.Peers{}
	for name, peers := range in.Profiles {
		peers.SecurityGroupIDs = nil
		if !peers.Empty() {
			out.Profiles[name] = peers
		}
	}
	out.CustomRules = nil
	for _, r := range in.CustomRules {
		r.Peers.SecurityGroupIDs = nil
		if !r.Peers.Empty() {
			out.CustomRules = append(out.CustomRules, r)
		}
	}
	return out
}
