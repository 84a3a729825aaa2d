package provider

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// use is how the contract lets an attribute be written.
type use string

const (
	required  use = "required"  // must be written
	optional  use = "optional"  // may be written; null when it is not
	defaulted use = "defaulted" // may be written; else the default, which the plan shows (so also computed)
	computed  use = "computed"  // read only
)

// flags are the schema's Required, Optional and Computed for a use.
func (u use) flags() [3]bool {
	return map[use][3]bool{
		required:  {true, false, false},
		optional:  {false, true, false},
		defaulted: {false, true, true},
		computed:  {false, false, true},
	}[u]
}

func flagsOf(a *tfprotov6.SchemaAttribute) [3]bool {
	return [3]bool{a.Required, a.Optional, a.Computed}
}

// The HCL contract of the provider and its resources, from
// shared/design/interface.md: configurations outside this repository are
// written against these names, and against which of them must, may or
// cannot be written. An argument the contract gives a default is
// "defaulted"; "Attributes" there are computed.
var (
	contract = map[string]map[string]use{
		"provider": {
			"region": optional, "profile": optional, "shared_config_files": optional, "shared_credentials_files": optional,
			"assume_role": optional, "endpoints": optional, "max_retries": optional, "default_tags": optional,
		},
		"ddve_security_group": {
			"name": required, "vpc_id": required,
			// Optional in the contract; AWS needs a description, so the
			// provider's own is the default.
			"description": defaulted, "profiles": optional, "custom_rules": optional, "tags": optional,
			// Default false and 60.
			"allow_public_ingress": defaulted, "rules_per_direction_quota": defaulted,
			"id": computed, "arn": computed, "owner_id": computed, "tags_all": computed, "rules": computed,
		},
		"ddve_subnet_nacl": {
			"vpc_id": required, "subnet_ids": optional, "profiles": optional, "custom_rules": optional, "deny": optional, "tags": optional,
			// Default 1024-65535, deny and 20; allow_public_ingress guards
			// the entries as the group's guards its rules.
			"ephemeral_ports": defaulted, "default_action": defaulted, "entries_per_direction_quota": defaulted, "allow_public_ingress": defaulted,
			"id": computed, "arn": computed, "owner_id": computed, "tags_all": computed, "default_network_acl_id": computed, "entries": computed,
		},
	}
	nestedContract = map[string]map[string]map[string]use{
		"ddve_security_group": {
			"rules": {
				"direction": computed, "protocol": computed, "from_port": computed, "to_port": computed, "cidr_ipv4": computed,
				"cidr_ipv6": computed, "referenced_security_group_id": computed, "prefix_list_id": computed,
				"description": computed, "profile": computed, "rule_id": computed,
			},
			"profiles": peersContract,
		},
		"ddve_subnet_nacl": {
			"entries": {
				"rule_number": computed, "egress": computed, "rule_action": computed, "protocol": computed, "cidr_block": computed,
				"ipv6_cidr_block": computed, "from_port": computed, "to_port": computed, "icmp_type": computed,
				"icmp_code": computed, "purpose": computed,
			},
			"deny": {
				"cidr_block": optional, "ipv6_cidr_block": optional, "from_port": optional, "to_port": optional,
				"direction": defaulted, "protocol": defaulted, // ingress and all
			},
			// A range is written whole.
			"ephemeral_ports": {"from_port": required, "to_port": required},
			"profiles":        peersContract,
		},
	}
	peersContract = map[string]use{
		"cidr_blocks": optional, "ipv6_cidr_blocks": optional, "security_group_ids": optional, "prefix_list_ids": optional,
	}
)

// TestSchemaHoldsTheContract checks that the schemas are valid and carry
// every name of the HCL contract, each required, optional or computed as
// the contract says.
func TestSchemaHoldsTheContract(t *testing.T) {
	resp := providerSchema(t)
	for _, d := range resp.Diagnostics {
		t.Errorf("schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	schemas := map[string]*tfprotov6.Schema{"provider": resp.Provider}
	maps.Copy(schemas, resp.ResourceSchemas)
	for _, name := range slices.Sorted(maps.Keys(contract)) {
		s, ok := schemas[name]
		if !ok {
			t.Errorf("%s has no schema", name)
			continue
		}
		checkUses(t, name, s.Block.Attributes, contract[name])
		for attr, inner := range nestedContract[name] {
			i := slices.IndexFunc(s.Block.Attributes, func(a *tfprotov6.SchemaAttribute) bool { return a.Name == attr })
			if i < 0 || s.Block.Attributes[i].NestedType == nil {
				t.Errorf("%s.%s is not a nested attribute", name, attr)
				continue
			}
			checkUses(t, name+"."+attr, s.Block.Attributes[i].NestedType.Attributes, inner)
		}
		if name != "provider" && !slices.ContainsFunc(s.Block.BlockTypes, func(b *tfprotov6.SchemaNestedBlock) bool { return b.TypeName == "timeouts" }) {
			t.Errorf("%s has no timeouts block", name)
		}
	}
}

// checkUses: every attribute the contract names is in attrs, with the
// flags of its use.
func checkUses(t *testing.T, where string, attrs []*tfprotov6.SchemaAttribute, want map[string]use) {
	t.Helper()
	byName := map[string]*tfprotov6.SchemaAttribute{}
	for _, a := range attrs {
		byName[a.Name] = a
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		a := byName[name]
		switch {
		case a == nil:
			t.Errorf("%s lacks attribute %q of the contract", where, name)
		case flagsOf(a) != want[name].flags():
			got := flagsOf(a)
			t.Errorf("%s.%s is required=%v optional=%v computed=%v; the contract makes it %s", where, name, got[0], got[1], got[2], want[name])
		}
	}
}

// A resource's rules and entries are sets, so that a plan shows what is
// added and removed, not every element after a change shifted by one.
func TestRulesAndEntriesDiffByIdentity(t *testing.T) {
	resp := providerSchema(t)
	for resource, attr := range map[string]string{"ddve_security_group": "rules", "ddve_subnet_nacl": "entries"} {
		attrs := resp.ResourceSchemas[resource].Block.Attributes
		i := slices.IndexFunc(attrs, func(a *tfprotov6.SchemaAttribute) bool { return a.Name == attr })
		if i < 0 || attrs[i].NestedType == nil || attrs[i].NestedType.Nesting != tfprotov6.SchemaObjectNestingModeSet {
			t.Errorf("%s.%s is not a set of objects", resource, attr)
		}
	}
}

// providerSchema is the provider's schema as Terraform reads it.
func providerSchema(t *testing.T) *tfprotov6.GetProviderSchemaResponse {
	t.Helper()
	server, err := testAccProtoV6ProviderFactories["ddve"]()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
