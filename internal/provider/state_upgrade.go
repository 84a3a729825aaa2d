package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// schemaVersion is the version of both resources' state. Version 1 holds
// ddve_security_group's rules and ddve_subnet_nacl's entries as sets, so
// that a plan shows what is added and removed instead of every element
// after a change shifted by one; version 0 held them as lists.
const schemaVersion = 1

var (
	_ resource.ResourceWithUpgradeState = &securityGroupResource{}
	_ resource.ResourceWithUpgradeState = &subnetNACLResource{}
)

func (r *securityGroupResource) UpgradeState(context.Context) map[int64]resource.StateUpgrader {
	return listsBecameSets()
}

func (r *subnetNACLResource) UpgradeState(context.Context) map[int64]resource.StateUpgrader {
	return listsBecameSets()
}

// listsBecameSets moves version 0 state to version 1. A list and a set of
// objects are both an array in the state's JSON, and the lists never held
// one rule or entry twice, so the JSON carries over as it is; Terraform
// reads it with the set's type.
func listsBecameSets() map[int64]resource.StateUpgrader {
	return map[int64]resource.StateUpgrader{
		0: {StateUpgrader: func(_ context.Context, req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse) {
			if req.RawState == nil || req.RawState.JSON == nil {
				resp.Diagnostics.AddError("Cannot upgrade the state",
					"The state of schema version 0 has no JSON form to upgrade: refresh it with the provider version that wrote it, or import the resource again.")
				return
			}
			resp.DynamicValue = &tfprotov6.DynamicValue{JSON: req.RawState.JSON}
		}},
	}
}
