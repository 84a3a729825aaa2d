package provider

import (
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The tfsdk models of both resources, with the attribute types of their
// nested objects, which the framework needs to build lists and maps.

// intentModel holds what both resources and the expansion without a
// resource (data "ddve_rules", the functions) read as the posture.
type intentModel struct {
	Profiles           types.Map    `tfsdk:"profiles"`
	CustomRules        types.List   `tfsdk:"custom_rules"`
	AllowPublicIngress types.Bool   `tfsdk:"allow_public_ingress"`
	PathMTUDiscovery   types.Bool   `tfsdk:"path_mtu_discovery"`
	RPCDynamicPorts    types.Object `tfsdk:"rpc_dynamic_ports"`
}

// aclSettingsModel holds the network ACL's settings beyond the intent,
// shared by ddve_subnet_nacl and the expansion.
type aclSettingsModel struct {
	EphemeralPorts           types.Object `tfsdk:"ephemeral_ports"`
	DDVEEphemeralPorts       types.Object `tfsdk:"ddve_ephemeral_ports"`
	Deny                     types.List   `tfsdk:"deny"`
	DefaultAction            types.String `tfsdk:"default_action"`
	EntriesPerDirectionQuota types.Int64  `tfsdk:"entries_per_direction_quota"`
}

type peersModel struct {
	CIDRBlocks       types.Set `tfsdk:"cidr_blocks"`
	IPv6CIDRBlocks   types.Set `tfsdk:"ipv6_cidr_blocks"`
	SecurityGroupIDs types.Set `tfsdk:"security_group_ids"`
	PrefixListIDs    types.Set `tfsdk:"prefix_list_ids"`
}

var peersAttrTypes = map[string]attr.Type{
	"cidr_blocks":        types.SetType{ElemType: types.StringType},
	"ipv6_cidr_blocks":   types.SetType{ElemType: types.StringType},
	"security_group_ids": types.SetType{ElemType: types.StringType},
	"prefix_list_ids":    types.SetType{ElemType: types.StringType},
}

type customRuleModel struct {
	Direction        types.String `tfsdk:"direction"`
	Protocol         types.String `tfsdk:"protocol"`
	FromPort         types.Int64  `tfsdk:"from_port"`
	ToPort           types.Int64  `tfsdk:"to_port"`
	CIDRBlocks       types.Set    `tfsdk:"cidr_blocks"`
	IPv6CIDRBlocks   types.Set    `tfsdk:"ipv6_cidr_blocks"`
	SecurityGroupIDs types.Set    `tfsdk:"security_group_ids"`
	PrefixListIDs    types.Set    `tfsdk:"prefix_list_ids"`
	Description      types.String `tfsdk:"description"`
	ReplyPorts       types.List   `tfsdk:"reply_ports"`
	OneWay           types.Bool   `tfsdk:"one_way"`
}

var customRuleAttrTypes = map[string]attr.Type{
	"direction":          types.StringType,
	"protocol":           types.StringType,
	"from_port":          types.Int64Type,
	"to_port":            types.Int64Type,
	"cidr_blocks":        types.SetType{ElemType: types.StringType},
	"ipv6_cidr_blocks":   types.SetType{ElemType: types.StringType},
	"security_group_ids": types.SetType{ElemType: types.StringType},
	"prefix_list_ids":    types.SetType{ElemType: types.StringType},
	"description":        types.StringType,
	"reply_ports":        types.ListType{ElemType: types.ObjectType{AttrTypes: portRangeAttrTypes}},
	"one_way":            types.BoolType,
}

type ruleModel struct {
	Direction                 types.String `tfsdk:"direction"`
	Protocol                  types.String `tfsdk:"protocol"`
	FromPort                  types.Int64  `tfsdk:"from_port"`
	ToPort                    types.Int64  `tfsdk:"to_port"`
	CIDRIPv4                  types.String `tfsdk:"cidr_ipv4"`
	CIDRIPv6                  types.String `tfsdk:"cidr_ipv6"`
	ReferencedSecurityGroupID types.String `tfsdk:"referenced_security_group_id"`
	PrefixListID              types.String `tfsdk:"prefix_list_id"`
	Description               types.String `tfsdk:"description"`
	Profile                   types.String `tfsdk:"profile"`
	RuleID                    types.String `tfsdk:"rule_id"`
}

var ruleAttrTypes = map[string]attr.Type{
	"direction":                    types.StringType,
	"protocol":                     types.StringType,
	"from_port":                    types.Int64Type,
	"to_port":                      types.Int64Type,
	"cidr_ipv4":                    types.StringType,
	"cidr_ipv6":                    types.StringType,
	"referenced_security_group_id": types.StringType,
	"prefix_list_id":               types.StringType,
	"description":                  types.StringType,
	"profile":                      types.StringType,
	"rule_id":                      types.StringType,
}

type securityGroupModel struct {
	ID          types.String `tfsdk:"id"`
	ARN         types.String `tfsdk:"arn"`
	OwnerID     types.String `tfsdk:"owner_id"`
	Name        types.String `tfsdk:"name"`
	Description types.String `tfsdk:"description"`
	VPCID       types.String `tfsdk:"vpc_id"`
	intentModel
	RulesPerDirectionQuota types.Int64    `tfsdk:"rules_per_direction_quota"`
	Tags                   types.Map      `tfsdk:"tags"`
	TagsAll                types.Map      `tfsdk:"tags_all"`
	Rules                  elementSet     `tfsdk:"rules"`
	Timeouts               timeouts.Value `tfsdk:"timeouts"`
}

type portRangeModel struct {
	FromPort types.Int64 `tfsdk:"from_port"`
	ToPort   types.Int64 `tfsdk:"to_port"`
}

var portRangeAttrTypes = map[string]attr.Type{
	"from_port": types.Int64Type,
	"to_port":   types.Int64Type,
}

type denyModel struct {
	CIDRBlock     types.String `tfsdk:"cidr_block"`
	IPv6CIDRBlock types.String `tfsdk:"ipv6_cidr_block"`
	Direction     types.String `tfsdk:"direction"`
	Protocol      types.String `tfsdk:"protocol"`
	FromPort      types.Int64  `tfsdk:"from_port"`
	ToPort        types.Int64  `tfsdk:"to_port"`
}

var denyAttrTypes = map[string]attr.Type{
	"cidr_block":      types.StringType,
	"ipv6_cidr_block": types.StringType,
	"direction":       types.StringType,
	"protocol":        types.StringType,
	"from_port":       types.Int64Type,
	"to_port":         types.Int64Type,
}

type entryModel struct {
	RuleNumber    types.Int64  `tfsdk:"rule_number"`
	Egress        types.Bool   `tfsdk:"egress"`
	RuleAction    types.String `tfsdk:"rule_action"`
	Protocol      types.String `tfsdk:"protocol"`
	CIDRBlock     types.String `tfsdk:"cidr_block"`
	IPv6CIDRBlock types.String `tfsdk:"ipv6_cidr_block"`
	FromPort      types.Int64  `tfsdk:"from_port"`
	ToPort        types.Int64  `tfsdk:"to_port"`
	ICMPType      types.Int64  `tfsdk:"icmp_type"`
	ICMPCode      types.Int64  `tfsdk:"icmp_code"`
	Purpose       types.String `tfsdk:"purpose"`
}

var entryAttrTypes = map[string]attr.Type{
	"rule_number":     types.Int64Type,
	"egress":          types.BoolType,
	"rule_action":     types.StringType,
	"protocol":        types.StringType,
	"cidr_block":      types.StringType,
	"ipv6_cidr_block": types.StringType,
	"from_port":       types.Int64Type,
	"to_port":         types.Int64Type,
	"icmp_type":       types.Int64Type,
	"icmp_code":       types.Int64Type,
	"purpose":         types.StringType,
}

type subnetNACLModel struct {
	ID        types.String `tfsdk:"id"`
	ARN       types.String `tfsdk:"arn"`
	OwnerID   types.String `tfsdk:"owner_id"`
	VPCID     types.String `tfsdk:"vpc_id"`
	SubnetIDs types.Set    `tfsdk:"subnet_ids"`
	intentModel
	aclSettingsModel
	Tags                types.Map      `tfsdk:"tags"`
	TagsAll             types.Map      `tfsdk:"tags_all"`
	DefaultNetworkACLID types.String   `tfsdk:"default_network_acl_id"`
	Entries             elementSet     `tfsdk:"entries"`
	PrefixListVersions  types.Map      `tfsdk:"prefix_list_versions"`
	Timeouts            timeouts.Value `tfsdk:"timeouts"`
}
