package provider

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// hcl builds the value Terraform hands a dynamic parameter for an HCL
// literal: objects for { ... }, tuples for [ ... ].
func hclObject(attrs map[string]attr.Value) types.Object {
	attrTypes := map[string]attr.Type{}
	for k, v := range attrs {
		attrTypes[k] = v.Type(context.Background())
	}
	return types.ObjectValueMust(attrTypes, attrs)
}

func hclTuple(elems ...attr.Value) types.Tuple {
	elemTypes := make([]attr.Type, len(elems))
	for i, e := range elems {
		elemTypes[i] = e.Type(context.Background())
	}
	return types.TupleValueMust(elemTypes, elems)
}

func hclStrings(values ...string) types.Tuple {
	elems := make([]attr.Value, len(values))
	for i, v := range values {
		elems[i] = types.StringValue(v)
	}
	return hclTuple(elems...)
}

func management(cidrs ...string) types.Dynamic {
	return types.DynamicValue(hclObject(map[string]attr.Value{
		"management": hclObject(map[string]attr.Value{"cidr_blocks": hclStrings(cidrs...)}),
	}))
}

// TestFunctionsExpandLikeTheDataSource: the functions' arguments, written
// as HCL literals with attributes left out, compile to what ddve_rules
// reads from the same inputs, written as its configuration.
func TestFunctionsExpandLikeTheDataSource(t *testing.T) {
	ctx := context.Background()
	options := types.DynamicValue(hclObject(map[string]attr.Value{
		"deny": hclTuple(hclObject(map[string]attr.Value{"cidr_block": types.StringValue("5.5.5.5/32")})),
	}))
	entries, funcErr := expandArguments(ctx, management("10.0.1.10/32"), options, networkACLOptions, true, expansion.networkACLEntries)
	if funcErr != nil {
		t.Fatal(funcErr)
	}
	var keys []string
	for _, e := range entries.Elements() {
		key, _ := e.(types.Object).Attributes()["key"].(types.String)
		keys = append(keys, key.ValueString())
	}
	want := "ingress deny all 5.5.5.5/32,ingress allow icmp type 3 code 4 0.0.0.0/0,ingress allow tcp 22 10.0.1.10/32,ingress allow tcp 443 10.0.1.10/32," +
		"egress allow icmp type 3 code 4 0.0.0.0/0,egress allow tcp 1024-65535 10.0.1.10/32" // path MTU discovery by default
	if got := strings.Join(keys, ","); got != want {
		t.Errorf("entries = %s\nwant      %s", got, want)
	}
	rules, funcErr := expandArguments(ctx, management("10.0.1.10/32"), nil, securityGroupOptions, false, expansion.securityGroupRules)
	if funcErr != nil {
		t.Fatal(funcErr)
	}

	read := readRulesDataSource(t, func(config tftypes.Object) map[string]tftypes.Value {
		profiles := as[tftypes.Map](t, config.AttributeTypes["profiles"])
		peers := as[tftypes.Object](t, profiles.ElementType)
		deny := as[tftypes.List](t, config.AttributeTypes["deny"])
		return map[string]tftypes.Value{
			"profiles": tftypes.NewValue(profiles, map[string]tftypes.Value{
				"management": configObject(peers, map[string]tftypes.Value{
					"cidr_blocks": tftypes.NewValue(peers.AttributeTypes["cidr_blocks"], []tftypes.Value{tftypes.NewValue(tftypes.String, "10.0.1.10/32")}),
				}),
			}),
			"deny": tftypes.NewValue(deny, []tftypes.Value{
				configObject(as[tftypes.Object](t, deny.ElementType), map[string]tftypes.Value{"cidr_block": tftypes.NewValue(tftypes.String, "5.5.5.5/32")}),
			}),
		}
	})
	if !read.NetworkACLEntries.Equal(entries) {
		t.Errorf("network_acl_entries(profiles, options) = %s\nddve_rules.network_acl_entries = %s", entries, read.NetworkACLEntries)
	}
	if !read.SecurityGroupRules.Equal(rules) {
		t.Errorf("security_group_rules(profiles) = %s\nddve_rules.security_group_rules = %s", rules, read.SecurityGroupRules)
	}

	for _, none := range []attr.Value{nil, types.DynamicNull(), types.DynamicValue(hclObject(map[string]attr.Value{}))} {
		noOptions, funcErr := expandArguments(ctx, management("10.0.1.10/32"), none, securityGroupOptions, false, expansion.securityGroupRules)
		if funcErr != nil || !noOptions.Equal(rules) {
			t.Errorf("options %v: %s, want the rules without options %s (%v)", none, noOptions, rules, funcErr)
		}
	}
}

// readRulesDataSource reads ddve_rules with the configuration Terraform
// would send for the attributes set returns, every other attribute null.
func readRulesDataSource(t *testing.T, set func(config tftypes.Object) map[string]tftypes.Value) rulesDataSourceModel {
	t.Helper()
	ctx := context.Background()
	d := &rulesDataSource{}
	var s datasource.SchemaResponse
	d.Schema(ctx, datasource.SchemaRequest{}, &s)
	configType := as[tftypes.Object](t, s.Schema.Type().TerraformType(ctx))
	req := datasource.ReadRequest{Config: tfsdk.Config{Schema: s.Schema, Raw: configObject(configType, set(configType))}}
	resp := datasource.ReadResponse{State: tfsdk.State{Schema: s.Schema, Raw: tftypes.NewValue(configType, nil)}}
	d.Read(ctx, req, &resp)
	for _, diag := range resp.Diagnostics {
		t.Errorf("ddve_rules: %s: %s", diag.Summary(), diag.Detail())
	}
	var out rulesDataSourceModel
	if diags := resp.State.Get(ctx, &out); diags.HasError() {
		t.Fatalf("reading the data source's state: %v", diags)
	}
	return out
}

// configObject is an object of type t with the attributes given and every
// other attribute null, as a configuration that leaves them out.
func configObject(t tftypes.Object, set map[string]tftypes.Value) tftypes.Value {
	values := map[string]tftypes.Value{}
	for name, attrType := range t.AttributeTypes {
		values[name] = tftypes.NewValue(attrType, nil)
	}
	maps.Copy(values, set)
	return tftypes.NewValue(t, values)
}

func TestFunctionArgumentErrors(t *testing.T) {
	ctx := context.Background()
	objectStorage := types.DynamicValue(hclObject(map[string]attr.Value{
		"object_storage": hclObject(map[string]attr.Value{"prefix_list_ids": hclStrings("pl-63a5400a")}),
	}))
	cases := []struct {
		name              string
		profiles, options attr.Value
		optionNames       []string
		position          int64
		message           string
	}{
		{"prefix list", objectStorage, nil, securityGroupOptions, 0, `profiles["object_storage"].prefix_list_ids: a provider function cannot call AWS`},
		{"non-canonical CIDR", management("10.0.1.10/24"), nil, networkACLOptions, 0, `profiles["management"].cidr_blocks["10.0.1.10/24"]: CIDR block not canonical`},
		{"unknown profile", types.DynamicValue(hclObject(map[string]attr.Value{"ftp": hclObject(map[string]attr.Value{"cidr_blocks": hclStrings("10.0.0.0/8")})})),
			nil, networkACLOptions, 0, `"ftp" is not a DDVE port profile. Did you mean "ntp"? Valid names: cifs,`},
		{"unknown peer field", types.DynamicValue(hclObject(map[string]attr.Value{"management": hclObject(map[string]attr.Value{"cidr": hclStrings("10.0.0.0/8")})})),
			nil, networkACLOptions, 0, `profiles["management"]: unexpected attribute "cidr"; the attributes are cidr_blocks,`},
		{"option of the other function", management("10.0.1.10/32"), types.DynamicValue(hclObject(map[string]attr.Value{"deny": hclTuple()})),
			securityGroupOptions, 1, `options: unexpected attribute "deny"; the attributes are allow_public_ingress, custom_rules, path_mtu_discovery, rpc_dynamic_ports, rules_per_direction_quota`},
		{"tcp without ports", management("10.0.1.10/32"), types.DynamicValue(hclObject(map[string]attr.Value{"custom_rules": hclTuple(hclObject(map[string]attr.Value{
			"direction": types.StringValue("ingress"), "protocol": types.StringValue("tcp"), "cidr_blocks": hclStrings("10.0.9.0/24"),
		}))})), networkACLOptions, 1, `options.custom_rules[0]: Missing ports: tcp needs from_port and to_port`},
		{"profiles as a list", types.DynamicValue(hclStrings("management")), nil, networkACLOptions, 0, `profiles: expected an object, got a list`},
		{"a quota that is no number", management("10.0.1.10/32"), types.DynamicValue(hclObject(map[string]attr.Value{"entries_per_direction_quota": types.StringValue("many")})),
			networkACLOptions, 1, `options.entries_per_direction_quota: expected a whole number`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, funcErr := expandArguments(ctx, c.profiles, c.options, c.optionNames, true, expansion.networkACLEntries)
			if funcErr == nil {
				t.Fatal("no error")
			}
			if funcErr.FunctionArgument == nil || *funcErr.FunctionArgument != c.position || !strings.Contains(funcErr.Text, c.message) {
				t.Errorf("error at argument %v: %s\nwant at %d: %s", funcErr.FunctionArgument, funcErr.Text, c.position, c.message)
			}
		})
	}
}

// TestReplyPortsAsTheCompilerUsesThem: the catalog's reply_ports name what
// the ACL compiler adds to the ephemeral range, for every flow.
func TestReplyPortsAsTheCompilerUsesThem(t *testing.T) {
	ephemeral := catalog.PortRange{From: 40000, To: 40001} // apart from every client port
	for _, p := range catalog.All() {
		for _, f := range p.Flows {
			var got []string
			for _, v := range flattenReplyPorts(f.Replies).Elements() {
				s, _ := v.(types.String)
				got = append(got, strings.Replace(s.ValueString(), ephemeralPorts, ephemeral.String(), 1))
			}
			var want []string
			for _, r := range posture.ReplyPorts(f.Replies, ephemeral) {
				want = append(want, r.String())
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s %s: reply_ports %v, compiler %v", p.Name, f, got, want)
			}
		}
	}
}

// A security group rule names a prefix list or a group by ID, so the
// group's function expands them without AWS; the ACL's function needs the
// list's blocks and refuses it.
func TestFunctionsTakeIDsWhereRulesNameThem(t *testing.T) {
	ctx := context.Background()
	profiles := types.DynamicValue(hclObject(map[string]attr.Value{
		"object_storage": hclObject(map[string]attr.Value{"prefix_list_ids": hclStrings("pl-63a5400a")}),
		"management":     hclObject(map[string]attr.Value{"security_group_ids": hclStrings("sg-0123456789abcdef0")}),
	}))
	rules, funcErr := expandArguments(ctx, profiles, nil, securityGroupOptions, false, expansion.securityGroupRules)
	if funcErr != nil {
		t.Fatal(funcErr.Text)
	}
	var peers []string
	for _, element := range rules.Elements() {
		attrs := as[types.Object](t, element).Attributes()
		for _, peer := range []string{"prefix_list_id", "referenced_security_group_id"} {
			if v := as[types.String](t, attrs[peer]); !v.IsNull() {
				peers = append(peers, as[types.String](t, attrs["direction"]).ValueString()+" "+v.ValueString())
			}
		}
	}
	want := []string{"ingress sg-0123456789abcdef0", "ingress sg-0123456789abcdef0", "egress pl-63a5400a"}
	if !slices.Equal(peers, want) {
		t.Errorf("rules name %v, want %v", peers, want)
	}
	if _, funcErr := expandArguments(ctx, profiles, nil, networkACLOptions, true, expansion.networkACLEntries); funcErr == nil {
		t.Error("network_acl_entries expanded a prefix list it cannot read")
	}
}

// as asserts v's type, failing the test when it is another.
func as[T any](t *testing.T, v any) T {
	t.Helper()
	out, ok := v.(T)
	if !ok {
		t.Fatalf("got a %T, want a %T", v, out)
	}
	return out
}
