package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ function.Function = &networkACLEntriesFunction{}

func newNetworkACLEntriesFunction() function.Function {
	return &networkACLEntriesFunction{}
}

// networkACLEntriesFunction is provider::ddve::network_acl_entries: the
// entries of ddve_rules.network_acl_entries, from arguments alone.
type networkACLEntriesFunction struct{}

// networkACLOptions are the inputs of ddve_subnet_nacl besides its
// profiles that shape its entries.
var networkACLOptions = []string{"custom_rules", "allow_public_ingress", "path_mtu_discovery", "rpc_dynamic_ports", "ephemeral_ports", "ddve_ephemeral_ports", "deny", "default_action", "entries_per_direction_quota"}

func (f *networkACLEntriesFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "network_acl_entries"
}

func (f *networkACLEntriesFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "The network ACL entries of DDVE port profiles",
		MarkdownDescription: "Expands DDVE port profiles into the stateless entries `ddve_subnet_nacl` would plan for a new ACL, " +
			"return entries and denies included, each with a `key` that does not depend on its rule number, for `for_each`. " +
			"The same elements as `data.ddve_rules.network_acl_entries`, computed from the arguments alone: " +
			"prefix lists need AWS, so they are an error here (use `data \"ddve_rules\"`), and security groups cannot be ACL peers.",
		Parameters:        []function.Parameter{profilesParameter()},
		VariadicParameter: optionsParameter(networkACLOptions, "For none, leave it out or write `{}`: no custom rules or denies, ephemeral ports 1024-65535, default action deny, a quota of 20."),
		Return:            function.ListReturn{ElementType: types.ObjectType{AttrTypes: networkACLEntryAttrTypes}},
	}
}

func (f *networkACLEntriesFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var profiles attr.Value
	var variadic types.Tuple
	resp.Error = req.Arguments.Get(ctx, &profiles, &variadic)
	if resp.Error != nil {
		return
	}
	options, funcErr := oneOptions(variadic, "network_acl_entries")
	if funcErr != nil {
		resp.Error = funcErr
		return
	}
	entries, funcErr := expandArguments(ctx, profiles, options, networkACLOptions, true, expansion.networkACLEntries)
	if funcErr != nil {
		resp.Error = funcErr
		return
	}
	resp.Error = resp.Result.Set(ctx, entries)
}

func profilesParameter() function.DynamicParameter {
	return function.DynamicParameter{
		Name: "profiles", AllowNullValue: true,
		MarkdownDescription: "DDVE port profiles by name, each with its peers, as in the resources' `profiles`: " +
			"an object such as `{ management = { cidr_blocks = [\"10.0.1.10/32\"] } }`, whose values take " +
			"`cidr_blocks`, `ipv6_cidr_blocks` and, for security group rules only, `security_group_ids` and `prefix_list_ids`, each optional. " +
			"ACL entries take CIDR blocks: a function cannot read a prefix list's blocks through AWS, `data \"ddve_rules\"` can.",
	}
}

// oneOptions takes the options object out of a variadic parameter: the
// options are variadic only so that a call may leave them out, as in
// security_group_rules(profiles); one object at most.
func oneOptions(variadic types.Tuple, name string) (attr.Value, *function.FuncError) {
	switch elems := variadic.Elements(); len(elems) {
	case 0:
		return nil, nil
	case 1:
		return elems[0], nil
	default:
		return nil, function.NewArgumentFuncError(optionsArgument+1, fmt.Sprintf("%s takes one options object at most; got %d", name, len(elems)))
	}
}

func optionsParameter(names []string, none string) function.DynamicParameter {
	return function.DynamicParameter{
		Name: "options", AllowNullValue: true,
		MarkdownDescription: "An object with any of `" + strings.Join(names, "`, `") + "`, written as the resource's arguments of the same names. " +
			none + " Write `{}` rather than `null`: under OpenTofu a literal `null` here makes the call return null.",
	}
}
