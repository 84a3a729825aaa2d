package provider

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// A stand-in for hashicorp/aws, registered as "aws" in the move tests only:
// its aws_security_group and aws_network_acl make the real objects in the
// emulator through the SDK and keep state in the AWS provider's shape for
// the attributes the movers read (schema version 1 and 0, as there). What
// is under test is the ddve side of the move.

func standInAWSFactory() (tfprotov6.ProviderServer, error) {
	return providerserver.NewProtocol6WithError(&standInAWS{})()
}

type standInAWS struct{}

func (p *standInAWS) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "aws"
}

func (p *standInAWS) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (p *standInAWS) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (p *standInAWS) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource { return &standInSecurityGroup{} },
		func() resource.Resource { return &standInNetworkACL{} },
	}
}

func (p *standInAWS) DataSources(context.Context) []func() datasource.DataSource { return nil }

// Every argument replaces, as the stand-in never updates in place.
func replacingString(required bool) schema.StringAttribute {
	return schema.StringAttribute{Required: required, Optional: !required, PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}}
}

func computedString() schema.StringAttribute {
	return schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
}

func replacingSet() schema.SetAttribute {
	return schema.SetAttribute{Optional: true, ElementType: types.StringType, PlanModifiers: []planmodifier.Set{setplanmodifier.RequiresReplace()}}
}

// Tags are arguments the stand-in sets at create only.
func standInTagsAttributes() (schema.MapAttribute, schema.MapAttribute) {
	return schema.MapAttribute{Optional: true, ElementType: types.StringType},
		schema.MapAttribute{Computed: true, ElementType: types.StringType}
}

// ---- aws_security_group, schema version 1 ----

type standInSecurityGroup struct{}

type standInPermission struct {
	FromPort       types.Int64  `tfsdk:"from_port"`
	ToPort         types.Int64  `tfsdk:"to_port"`
	Protocol       types.String `tfsdk:"protocol"`
	CIDRBlocks     types.List   `tfsdk:"cidr_blocks"`
	IPv6CIDRBlocks types.List   `tfsdk:"ipv6_cidr_blocks"`
	PrefixListIDs  types.List   `tfsdk:"prefix_list_ids"`
	SecurityGroups types.Set    `tfsdk:"security_groups"`
	Self           types.Bool   `tfsdk:"self"`
	Description    types.String `tfsdk:"description"`
}

type standInSecurityGroupModel struct {
	ID          types.String `tfsdk:"id"`
	ARN         types.String `tfsdk:"arn"`
	OwnerID     types.String `tfsdk:"owner_id"`
	Name        types.String `tfsdk:"name"`
	Description types.String `tfsdk:"description"`
	VPCID       types.String `tfsdk:"vpc_id"`
	Ingress     types.Set    `tfsdk:"ingress"`
	Egress      types.Set    `tfsdk:"egress"`
	Tags        types.Map    `tfsdk:"tags"`
	TagsAll     types.Map    `tfsdk:"tags_all"`
}

func (r *standInSecurityGroup) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "aws_security_group"
}

func (r *standInSecurityGroup) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	permission := schema.SetNestedBlock{
		NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
			"from_port":        schema.Int64Attribute{Required: true},
			"to_port":          schema.Int64Attribute{Required: true},
			"protocol":         schema.StringAttribute{Required: true},
			"cidr_blocks":      schema.ListAttribute{Optional: true, ElementType: types.StringType},
			"ipv6_cidr_blocks": schema.ListAttribute{Optional: true, ElementType: types.StringType},
			"prefix_list_ids":  schema.ListAttribute{Optional: true, ElementType: types.StringType},
			"security_groups":  schema.SetAttribute{Optional: true, ElementType: types.StringType},
			"self":             schema.BoolAttribute{Optional: true},
			"description":      schema.StringAttribute{Optional: true},
		}},
		PlanModifiers: []planmodifier.Set{setplanmodifier.RequiresReplace()},
	}
	tags, tagsAll := standInTagsAttributes()
	description := replacingString(false)
	description.Computed, description.Default = true, stringdefault.StaticString("Managed by Terraform")
	resp.Schema = schema.Schema{
		Version: awsSecurityGroupSchemaVersion,
		Attributes: map[string]schema.Attribute{
			"id": computedString(), "arn": computedString(), "owner_id": computedString(),
			"name": replacingString(true), "description": description, "vpc_id": replacingString(true),
			"tags": tags, "tags_all": tagsAll,
		},
		Blocks: map[string]schema.Block{"ingress": permission, "egress": permission},
	}
}

func (r *standInSecurityGroup) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan standInSecurityGroupModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	client := testEC2()
	created, err := client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: plan.Name.ValueStringPointer(), Description: plan.Description.ValueStringPointer(), VpcId: plan.VPCID.ValueStringPointer(),
		TagSpecifications: standInTags(ctx, ec2types.ResourceTypeSecurityGroup, plan.Tags),
	})
	if err != nil {
		resp.Diagnostics.AddError("stand-in aws_security_group", err.Error())
		return
	}
	id := aws.ToString(created.GroupId)
	// As hashicorp/aws does: the default allow-all egress rules go (both
	// of them, in a dual-stack VPC), the configured rules come.
	if _, err := client.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{
		GroupId: aws.String(id), IpPermissions: []ec2types.IpPermission{{
			IpProtocol: aws.String("-1"),
			IpRanges:   []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
			Ipv6Ranges: []ec2types.Ipv6Range{{CidrIpv6: aws.String("::/0")}},
		}},
	}); err != nil {
		resp.Diagnostics.AddError("stand-in aws_security_group", err.Error())
		return
	}
	if perms := standInPermissions(ctx, plan.Ingress); len(perms) > 0 {
		_, err = client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: perms})
	}
	if perms := standInPermissions(ctx, plan.Egress); err == nil && len(perms) > 0 {
		_, err = client.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: perms})
	}
	if err != nil {
		resp.Diagnostics.AddError("stand-in aws_security_group", err.Error())
		return
	}
	plan.ID = types.StringValue(id)
	plan.ARN = types.StringValue(fmt.Sprintf("arn:aws:ec2:%s:123456789012:security-group/%s", acctest.Region, id))
	plan.OwnerID = types.StringValue("123456789012")
	plan.TagsAll = plan.Tags
	if plan.Tags.IsNull() {
		plan.TagsAll = types.MapValueMust(types.StringType, nil)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func standInPermissions(ctx context.Context, set types.Set) []ec2types.IpPermission {
	var perms []standInPermission
	set.ElementsAs(ctx, &perms, false)
	var out []ec2types.IpPermission
	for _, p := range perms {
		perm := ec2types.IpPermission{
			IpProtocol: p.Protocol.ValueStringPointer(),
			FromPort:   aws.Int32(int32(p.FromPort.ValueInt64())), ToPort: aws.Int32(int32(p.ToPort.ValueInt64())),
		}
		description := p.Description.ValueStringPointer()
		cidrs, _, _ := expandStringSet(ctx, types.SetValueMust(types.StringType, p.CIDRBlocks.Elements()))
		for _, c := range cidrs {
			perm.IpRanges = append(perm.IpRanges, ec2types.IpRange{CidrIp: aws.String(c), Description: description})
		}
		lists, _, _ := expandStringSet(ctx, types.SetValueMust(types.StringType, p.PrefixListIDs.Elements()))
		for _, l := range lists {
			perm.PrefixListIds = append(perm.PrefixListIds, ec2types.PrefixListId{PrefixListId: aws.String(l), Description: description})
		}
		groups, _, _ := expandStringSet(ctx, p.SecurityGroups)
		for _, g := range groups {
			perm.UserIdGroupPairs = append(perm.UserIdGroupPairs, ec2types.UserIdGroupPair{GroupId: aws.String(g), Description: description})
		}
		out = append(out, perm)
	}
	return out
}

func standInTags(ctx context.Context, kind ec2types.ResourceType, tags types.Map) []ec2types.TagSpecification {
	m, _, _ := expandStringMap(ctx, tags)
	if len(m) == 0 {
		return nil
	}
	spec := ec2types.TagSpecification{ResourceType: kind}
	for k, v := range m {
		spec.Tags = append(spec.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return []ec2types.TagSpecification{spec}
}

// Read keeps the state: the stand-in only has to hand it over.
func (r *standInSecurityGroup) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (r *standInSecurityGroup) Update(_ context.Context, _ resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.Diagnostics.AddError("stand-in aws_security_group", "the stand-in replaces instead of updating")
}

func (r *standInSecurityGroup) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var id types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("id"), &id)...)
	if _, err := testEC2().DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: id.ValueStringPointer()}); err != nil {
		resp.Diagnostics.AddError("stand-in aws_security_group", err.Error())
	}
}

// ---- aws_network_acl, schema version 0 ----

type standInNetworkACL struct{}

type standInACLEntry struct {
	Protocol      types.String `tfsdk:"protocol"`
	RuleNo        types.Int64  `tfsdk:"rule_no"`
	Action        types.String `tfsdk:"action"`
	CIDRBlock     types.String `tfsdk:"cidr_block"`
	IPv6CIDRBlock types.String `tfsdk:"ipv6_cidr_block"`
	FromPort      types.Int64  `tfsdk:"from_port"`
	ToPort        types.Int64  `tfsdk:"to_port"`
	ICMPType      types.Int64  `tfsdk:"icmp_type"`
	ICMPCode      types.Int64  `tfsdk:"icmp_code"`
}

type standInNetworkACLModel struct {
	ID        types.String `tfsdk:"id"`
	ARN       types.String `tfsdk:"arn"`
	OwnerID   types.String `tfsdk:"owner_id"`
	VPCID     types.String `tfsdk:"vpc_id"`
	SubnetIDs types.Set    `tfsdk:"subnet_ids"`
	Ingress   types.Set    `tfsdk:"ingress"`
	Egress    types.Set    `tfsdk:"egress"`
	Tags      types.Map    `tfsdk:"tags"`
	TagsAll   types.Map    `tfsdk:"tags_all"`
}

func (r *standInNetworkACL) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "aws_network_acl"
}

func (r *standInNetworkACL) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	entry := schema.SetNestedBlock{
		NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
			"protocol":        schema.StringAttribute{Required: true},
			"rule_no":         schema.Int64Attribute{Required: true},
			"action":          schema.StringAttribute{Required: true},
			"cidr_block":      schema.StringAttribute{Optional: true},
			"ipv6_cidr_block": schema.StringAttribute{Optional: true},
			"from_port":       schema.Int64Attribute{Required: true},
			"to_port":         schema.Int64Attribute{Required: true},
			"icmp_type":       schema.Int64Attribute{Optional: true},
			"icmp_code":       schema.Int64Attribute{Optional: true},
		}},
		PlanModifiers: []planmodifier.Set{setplanmodifier.RequiresReplace()},
	}
	tags, tagsAll := standInTagsAttributes()
	resp.Schema = schema.Schema{
		Version: awsNetworkACLSchemaVersion,
		Attributes: map[string]schema.Attribute{
			"id": computedString(), "arn": computedString(), "owner_id": computedString(),
			"vpc_id": replacingString(true), "subnet_ids": replacingSet(), "tags": tags, "tags_all": tagsAll,
		},
		Blocks: map[string]schema.Block{"ingress": entry, "egress": entry},
	}
}

func (r *standInNetworkACL) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan standInNetworkACLModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	client := testEC2()
	created, err := client.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{
		VpcId: plan.VPCID.ValueStringPointer(), TagSpecifications: standInTags(ctx, ec2types.ResourceTypeNetworkAcl, plan.Tags),
	})
	if err != nil {
		resp.Diagnostics.AddError("stand-in aws_network_acl", err.Error())
		return
	}
	id := aws.ToString(created.NetworkAcl.NetworkAclId)
	for egress, set := range map[bool]types.Set{false: plan.Ingress, true: plan.Egress} {
		var entries []standInACLEntry
		set.ElementsAs(ctx, &entries, false)
		for _, e := range entries {
			in := &ec2.CreateNetworkAclEntryInput{
				NetworkAclId: aws.String(id), Egress: aws.Bool(egress), RuleNumber: aws.Int32(int32(e.RuleNo.ValueInt64())),
				RuleAction: ec2types.RuleAction(e.Action.ValueString()), Protocol: e.Protocol.ValueStringPointer(),
				CidrBlock: e.CIDRBlock.ValueStringPointer(), Ipv6CidrBlock: e.IPv6CIDRBlock.ValueStringPointer(),
				PortRange: &ec2types.PortRange{From: aws.Int32(int32(e.FromPort.ValueInt64())), To: aws.Int32(int32(e.ToPort.ValueInt64()))},
			}
			if _, err := client.CreateNetworkAclEntry(ctx, in); err != nil {
				resp.Diagnostics.AddError("stand-in aws_network_acl", err.Error())
				return
			}
		}
	}
	subnets, _, _ := expandStringSet(ctx, plan.SubnetIDs)
	for _, subnet := range subnets {
		current, err := client.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{
			Filters: []ec2types.Filter{{Name: aws.String("association.subnet-id"), Values: []string{subnet}}},
		})
		if err != nil {
			resp.Diagnostics.AddError("stand-in aws_network_acl", err.Error())
			return
		}
		for _, a := range current.NetworkAcls[0].Associations {
			if aws.ToString(a.SubnetId) != subnet {
				continue
			}
			if _, err := client.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{
				AssociationId: a.NetworkAclAssociationId, NetworkAclId: aws.String(id),
			}); err != nil {
				resp.Diagnostics.AddError("stand-in aws_network_acl", err.Error())
				return
			}
		}
	}
	plan.ID = types.StringValue(id)
	plan.ARN = types.StringValue(fmt.Sprintf("arn:aws:ec2:%s:123456789012:network-acl/%s", acctest.Region, id))
	plan.OwnerID = types.StringValue("123456789012")
	plan.TagsAll = plan.Tags
	if plan.Tags.IsNull() {
		plan.TagsAll = types.MapValueMust(types.StringType, nil)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Read keeps the state: the stand-in only has to hand it over.
func (r *standInNetworkACL) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (r *standInNetworkACL) Update(_ context.Context, _ resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.Diagnostics.AddError("stand-in aws_network_acl", "the stand-in replaces instead of updating")
}

// Delete is reached only when a move test fails before the move: the
// subnets go back to the VPC's default ACL first, as AWS requires.
func (r *standInNetworkACL) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var plan standInNetworkACLModel
	resp.Diagnostics.Append(req.State.Get(ctx, &plan)...)
	client := testEC2()
	acl, err := client.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{plan.ID.ValueString()}})
	if err == nil && len(acl.NetworkAcls) == 1 && len(acl.NetworkAcls[0].Associations) > 0 {
		var defaultACL *ec2.DescribeNetworkAclsOutput
		defaultACL, err = client.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []ec2types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{plan.VPCID.ValueString()}}, {Name: aws.String("default"), Values: []string{"true"}},
		}})
		for _, a := range acl.NetworkAcls[0].Associations {
			if err != nil {
				break
			}
			_, err = client.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{
				AssociationId: a.NetworkAclAssociationId, NetworkAclId: defaultACL.NetworkAcls[0].NetworkAclId,
			})
		}
	}
	if err == nil {
		_, err = client.DeleteNetworkAcl(ctx, &ec2.DeleteNetworkAclInput{NetworkAclId: plan.ID.ValueStringPointer()})
	}
	if err != nil {
		resp.Diagnostics.AddError("stand-in aws_network_acl", err.Error())
	}
}
