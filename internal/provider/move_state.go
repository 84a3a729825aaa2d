package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Moving from hashicorp/aws: a moved block from aws_security_group or
// aws_network_acl hands over the object AWS already holds, so nothing is
// recreated. The AWS provider's state gives the ID and the arguments that
// force replacement; the intent is left null, as after an import, so Read
// fills rules and entries from AWS and the first plan shows only what the
// profiles change.

var (
	_ resource.ResourceWithMoveState = &securityGroupResource{}
	_ resource.ResourceWithMoveState = &subnetNACLResource{}
)

// The AWS provider's schema versions these movers read.
const (
	awsSecurityGroupSchemaVersion = 1
	awsNetworkACLSchemaVersion    = 0
)

// awsSecurityGroupState is the part of aws_security_group's state that a
// ddve_security_group takes over; ingress and egress are read back from AWS.
type awsSecurityGroupState struct {
	ID          string            `json:"id"`
	ARN         string            `json:"arn"`
	OwnerID     string            `json:"owner_id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	VPCID       string            `json:"vpc_id"`
	Tags        map[string]string `json:"tags"`
	TagsAll     map[string]string `json:"tags_all"`
}

// awsNetworkACLState is the part of aws_network_acl's state that a
// ddve_subnet_nacl takes over; the entries are read back from AWS.
type awsNetworkACLState struct {
	ID        string            `json:"id"`
	ARN       string            `json:"arn"`
	OwnerID   string            `json:"owner_id"`
	VPCID     string            `json:"vpc_id"`
	SubnetIDs []string          `json:"subnet_ids"`
	Tags      map[string]string `json:"tags"`
	TagsAll   map[string]string `json:"tags_all"`
}

func (s awsSecurityGroupState) objectID() string { return s.ID }

func (s awsNetworkACLState) objectID() string { return s.ID }

func (r *securityGroupResource) MoveState(context.Context) []resource.StateMover {
	return []resource.StateMover{{StateMover: func(ctx context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse) {
		// Everything else stays null: with no rules and no intent in the
		// state, Read recovers them from AWS as after an import.
		moveFromAWS(ctx, req, resp, "aws_security_group", awsSecurityGroupSchemaVersion, groupIDPattern,
			func(source awsSecurityGroupState) map[string]attr.Value {
				return map[string]attr.Value{
					"name": types.StringValue(source.Name), "description": types.StringValue(source.Description),
					"vpc_id": types.StringValue(source.VPCID), "arn": optString(source.ARN), "owner_id": optString(source.OwnerID),
					"tags": flattenStringMap(source.Tags), "tags_all": flattenStringMap(source.TagsAll),
				}
			})
	}}}
}

func (r *subnetNACLResource) MoveState(context.Context) []resource.StateMover {
	return []resource.StateMover{{StateMover: func(ctx context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse) {
		// Everything else stays null: with no default ACL and no entries in
		// the state, Read fills settings and entries from AWS as after an
		// import.
		moveFromAWS(ctx, req, resp, "aws_network_acl", awsNetworkACLSchemaVersion, aclIDPattern,
			func(source awsNetworkACLState) map[string]attr.Value {
				// An empty subnet set stays empty, so a configuration that
				// writes subnet_ids = [] plans no change.
				subnets := flattenStringSet(source.SubnetIDs)
				if source.SubnetIDs != nil && len(source.SubnetIDs) == 0 {
					subnets = types.SetValueMust(types.StringType, []attr.Value{})
				}
				return map[string]attr.Value{
					"vpc_id": types.StringValue(source.VPCID), "subnet_ids": subnets,
					"arn": optString(source.ARN), "owner_id": optString(source.OwnerID),
					"tags": flattenStringMap(source.Tags), "tags_all": flattenStringMap(source.TagsAll),
				}
			})
	}}}
}

// moveFromAWS hands typeName's state over when the request moves it from
// hashicorp/aws: the ID and what values returns, every other attribute
// null. Any other request is left unanswered, so the framework tries the
// next mover.
func moveFromAWS[S interface{ objectID() string }](ctx context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse,
	typeName string, version int64, idPattern *regexp.Regexp, values func(S) map[string]attr.Value,
) {
	var source S
	if !readAWSSource(req, resp, typeName, version, &source) {
		return
	}
	if !idPattern.MatchString(source.objectID()) {
		resp.Diagnostics.AddError("Cannot move "+typeName, fmt.Sprintf("The source state has no valid ID (got %q).", source.objectID()))
		return
	}
	attributes := values(source)
	attributes["id"] = types.StringValue(source.objectID())
	for _, name := range slices.Sorted(maps.Keys(attributes)) {
		resp.Diagnostics.Append(resp.TargetState.SetAttribute(ctx, path.Root(name), attributes[name])...)
	}
}

// readAWSSource decodes the source state when the request moves typeName
// of hashicorp/aws; otherwise it leaves the response empty, which tells the
// framework this mover does not apply. A known source of an unknown schema
// version is an error rather than a guess.
func readAWSSource(req resource.MoveStateRequest, resp *resource.MoveStateResponse, typeName string, version int64, into any) bool {
	if req.SourceTypeName != typeName || !isHashiCorpAWS(req.SourceProviderAddress) {
		return false
	}
	if req.SourceSchemaVersion != version {
		resp.Diagnostics.AddError("Cannot move "+typeName,
			fmt.Sprintf("This provider reads %s state of schema version %d; the state is version %d. "+
				"Import the object by its ID instead (see the guide \"Migrating from aws_security_group and aws_network_acl\").",
				typeName, version, req.SourceSchemaVersion))
		return false
	}
	if req.SourceRawState == nil || len(req.SourceRawState.JSON) == 0 {
		resp.Diagnostics.AddError("Cannot move "+typeName, "The source state is empty or not in JSON form.")
		return false
	}
	if err := json.Unmarshal(req.SourceRawState.JSON, into); err != nil {
		resp.Diagnostics.AddError("Cannot move "+typeName, "Reading the source state: "+err.Error())
		return false
	}
	return true
}

// isHashiCorpAWS says whether address names the hashicorp/aws provider.
// Terraform sends the full address; OpenTofu 1.10 sends the implied local
// name alone ("aws"). The registry host does not matter, as OpenTofu
// installs the same provider from its own registry.
func isHashiCorpAWS(address string) bool {
	parts := strings.Split(address, "/")
	switch len(parts) {
	case 3:
		return parts[1] == "hashicorp" && parts[2] == "aws"
	case 2:
		return parts[0] == "hashicorp" && parts[1] == "aws"
	case 1:
		return parts[0] == "aws"
	}
	return false
}
