package provider

import (
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// TestDataSourcesAndFunctionsHoldTheContract checks the names of the HCL
// contract's data sources and functions, and that ddve_rules takes every
// input of the resources it stands for.
func TestDataSourcesAndFunctionsHoldTheContract(t *testing.T) {
	resp := providerSchema(t)
	for _, d := range resp.Diagnostics {
		t.Errorf("schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	contract := map[string]map[string][]string{
		"ddve_port_profiles": {
			"names": nil, "omitted": {"protocol", "ports", "reason"},
			"profiles": {"name", "summary", "typical_peer", "sources", "flows"},
		},
		"ddve_rules": {
			"profiles":     {"cidr_blocks", "ipv6_cidr_blocks", "security_group_ids", "prefix_list_ids"},
			"custom_rules": nil, "allow_public_ingress": nil, "ephemeral_ports": nil, "deny": nil, "default_action": nil,
			"rules_per_direction_quota": nil, "entries_per_direction_quota": nil,
			"security_group_rules": {"key", "direction", "protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6",
				"referenced_security_group_id", "prefix_list_id", "description", "profile"},
			"network_acl_entries": {"key", "rule_number", "egress", "rule_action", "protocol", "cidr_block", "ipv6_cidr_block",
				"from_port", "to_port", "icmp_type", "icmp_code", "purpose"},
		},
	}
	for name, attrs := range contract {
		s := resp.DataSourceSchemas[name]
		if s == nil {
			t.Errorf("data source %s has no schema", name)
			continue
		}
		for attr, inner := range attrs {
			i := slices.IndexFunc(s.Block.Attributes, func(a *tfprotov6.SchemaAttribute) bool { return a.Name == attr })
			if i < 0 {
				t.Errorf("%s lacks %q", name, attr)
				continue
			}
			a := s.Block.Attributes[i]
			for _, n := range inner {
				if a.NestedType == nil || !slices.ContainsFunc(a.NestedType.Attributes, func(x *tfprotov6.SchemaAttribute) bool { return x.Name == n }) {
					t.Errorf("%s.%s lacks %q", name, attr, n)
				}
			}
		}
	}
	if rules := resp.DataSourceSchemas["ddve_rules"]; rules != nil {
		for _, a := range rules.Block.Attributes {
			if a.Name == "security_group_rules" && slices.ContainsFunc(a.NestedType.Attributes, func(x *tfprotov6.SchemaAttribute) bool { return x.Name == "rule_id" }) {
				t.Error("ddve_rules.security_group_rules has a rule_id, which nothing created can have")
			}
		}
	}
	// Both take their options last and may leave them out (variadic).
	functions := map[string][]string{"security_group_rules": {"profiles", "options"}, "network_acl_entries": {"profiles", "options"}}
	for name, params := range functions {
		f := resp.Functions[name]
		if f == nil {
			t.Errorf("function %s missing", name)
			continue
		}
		var got []string
		for _, p := range f.Parameters {
			got = append(got, p.Name)
		}
		if f.VariadicParameter != nil {
			got = append(got, f.VariadicParameter.Name)
		}
		if !slices.Equal(got, params) {
			t.Errorf("%s parameters = %v, want %v", name, got, params)
		}
	}
}
