package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ function.Function = &securityGroupRulesFunction{}

func newSecurityGroupRulesFunction() function.Function {
	return &securityGroupRulesFunction{}
}

// securityGroupRulesFunction is provider::ddve::security_group_rules: the
// rules of ddve_rules.security_group_rules, from arguments alone.
type securityGroupRulesFunction struct{}

// securityGroupOptions are the inputs of ddve_security_group besides its
// profiles that shape its rules.
var securityGroupOptions = []string{"custom_rules", "allow_public_ingress", "path_mtu_discovery", "rpc_dynamic_ports", "rules_per_direction_quota"}

func (f *securityGroupRulesFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "security_group_rules"
}

func (f *securityGroupRulesFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "The security group rules of DDVE port profiles",
		MarkdownDescription: "Expands DDVE port profiles into the security group rules `ddve_security_group` would plan, " +
			"each with a `key` that stays the same as long as the rule does, for `for_each`. " +
			"The same elements as `data.ddve_rules.security_group_rules`, computed from the arguments alone. " +
			"A rule names a prefix list by its ID, so `prefix_list_ids` needs no AWS call here; the quota counts each list once " +
			"(as AWS counts the S3 and DynamoDB lists), where `ddve_security_group` reads its real weight.",
		Parameters:        []function.Parameter{profilesParameter()},
		VariadicParameter: optionsParameter(securityGroupOptions, "For none, leave it out or write `{}`: no custom rules, no public ingress, a quota of 60."),
		Return:            function.ListReturn{ElementType: types.ObjectType{AttrTypes: securityGroupRuleAttrTypes}},
	}
}

func (f *securityGroupRulesFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var profiles attr.Value
	var variadic types.Tuple
	resp.Error = req.Arguments.Get(ctx, &profiles, &variadic)
	if resp.Error != nil {
		return
	}
	options, funcErr := oneOptions(variadic, "security_group_rules")
	if funcErr != nil {
		resp.Error = funcErr
		return
	}
	rules, funcErr := expandArguments(ctx, profiles, options, securityGroupOptions, false, expansion.securityGroupRules)
	if funcErr != nil {
		resp.Error = funcErr
		return
	}
	resp.Error = resp.Result.Set(ctx, rules)
}
