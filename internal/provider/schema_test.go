package provider

import (
	"context"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// TestSchemaHoldsTheContract checks that the schemas are valid and carry
// every name of the HCL contract, which configurations outside this
// repository are written against.
func TestSchemaHoldsTheContract(t *testing.T) {
	server, err := testAccProtoV6ProviderFactories["ddve"]()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	contract := map[string][]string{
		"provider": {"region", "profile", "shared_config_files", "shared_credentials_files", "assume_role", "endpoints", "max_retries", "default_tags"},
		"ddve_security_group": {"name", "description", "vpc_id", "profiles", "custom_rules", "allow_public_ingress",
			"rules_per_direction_quota", "tags", "id", "arn", "owner_id", "tags_all", "rules"},
		"ddve_subnet_nacl": {"vpc_id", "subnet_ids", "profiles", "custom_rules", "ephemeral_ports", "deny", "default_action",
			"entries_per_direction_quota", "tags", "id", "arn", "owner_id", "tags_all", "default_network_acl_id", "entries"},
	}
	nested := map[string]map[string][]string{
		"ddve_security_group": {"rules": {"direction", "protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6",
			"referenced_security_group_id", "prefix_list_id", "description", "profile", "rule_id"}},
		"ddve_subnet_nacl": {
			"entries": {"rule_number", "egress", "rule_action", "protocol", "cidr_block", "ipv6_cidr_block",
				"from_port", "to_port", "icmp_type", "icmp_code", "purpose"},
			"deny":     {"cidr_block", "ipv6_cidr_block", "direction", "protocol", "from_port", "to_port"},
			"profiles": {"cidr_blocks", "ipv6_cidr_blocks", "security_group_ids", "prefix_list_ids"},
		},
	}
	schemas := map[string]*tfprotov6.Schema{"provider": resp.Provider}
	for name, s := range resp.ResourceSchemas {
		schemas[name] = s
	}
	for name, want := range contract {
		s, ok := schemas[name]
		if !ok {
			t.Errorf("%s has no schema", name)
			continue
		}
		attrs := map[string]*tfprotov6.SchemaAttribute{}
		for _, a := range s.Block.Attributes {
			attrs[a.Name] = a
		}
		for _, a := range want {
			if attrs[a] == nil {
				t.Errorf("%s lacks attribute %q of the contract", name, a)
			}
		}
		for attr, inner := range nested[name] {
			a := attrs[attr]
			if a == nil || a.NestedType == nil {
				t.Errorf("%s.%s is not a nested attribute", name, attr)
				continue
			}
			var got []string
			for _, n := range a.NestedType.Attributes {
				got = append(got, n.Name)
			}
			for _, n := range inner {
				if !slices.Contains(got, n) {
					t.Errorf("%s.%s lacks %q", name, attr, n)
				}
			}
		}
		if name != "provider" && !slices.ContainsFunc(s.Block.BlockTypes, func(b *tfprotov6.SchemaNestedBlock) bool { return b.TypeName == "timeouts" }) {
			t.Errorf("%s has no timeouts block", name)
		}
	}
}
