package provider

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// Provider functions need Terraform 1.8 or OpenTofu 1.7: under older
// CLIs these tests skip.
var functionsVersionChecks = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)}

// TestAccFunctions_expansion calls both functions as a user would, with
// options left out, {} and written, and compares them with ddve_rules for
// the same input.
func TestAccFunctions_expansion(t *testing.T) {
	rec := testRecorder(t)
	skipWithoutBackend(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   functionsVersionChecks,
		Steps: []resource.TestStep{{
			PreConfig: rec.Reset,
			Config: providerConfig(rec) + `
locals {
  profiles = {
    management = { cidr_blocks = ["10.0.1.10/32"] }
    ntp        = { cidr_blocks = ["10.0.5.0/24"] }
  }
  options = {
    deny           = [{ cidr_block = "5.5.5.5/32" }]
    default_action = "allow"
  }
}

data "ddve_rules" "same" {
  profiles       = local.profiles
  deny           = local.options.deny
  default_action = local.options.default_action
}

output "rules" {
  value = provider::ddve::security_group_rules({ management = { security_group_ids = ["sg-0123456789abcdef0"] } })
}

output "rule_keys_with_options" {
  value = provider::ddve::security_group_rules(local.profiles, {
    custom_rules = [{ direction = "ingress", protocol = "icmp", from_port = 8, to_port = -1, cidr_blocks = ["10.0.9.0/24"] }]
  })[*].key
}

output "entry_keys_without_options" {
  value = provider::ddve::network_acl_entries({ management = { cidr_blocks = ["10.0.1.10/32"] } }, {})[*].key
}

output "rules_as_data_source" {
  value = provider::ddve::security_group_rules(local.profiles) == data.ddve_rules.same.security_group_rules
}

output "entries_as_data_source" {
  value = provider::ddve::network_acl_entries(local.profiles, local.options) == data.ddve_rules.same.network_acl_entries
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.ExpectNoCalls(rec),
				statecheck.ExpectKnownOutputValue("rules", knownvalue.ListExact([]knownvalue.Check{
					// Path MTU discovery, on by default; a group reference counts as IPv4.
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"key": knownvalue.StringExact("ingress icmp type 3 code 4 0.0.0.0/0")}),
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"key": knownvalue.StringExact("ingress tcp 22 sg-0123456789abcdef0"), "direction": knownvalue.StringExact("ingress"),
						"protocol": knownvalue.StringExact("tcp"), "from_port": knownvalue.Int64Exact(22), "to_port": knownvalue.Int64Exact(22),
						"cidr_ipv4": knownvalue.Null(), "cidr_ipv6": knownvalue.Null(), "prefix_list_id": knownvalue.Null(),
						"referenced_security_group_id": knownvalue.StringExact("sg-0123456789abcdef0"),
						"profile":                      knownvalue.StringExact("management"), "description": knownvalue.StringExact("ddve management: SSH"),
					}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"key": knownvalue.StringExact("ingress tcp 443 sg-0123456789abcdef0")}),
				})),
				statecheck.ExpectKnownOutputValue("rule_keys_with_options", knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact("ingress icmp type 3 code 4 0.0.0.0/0"),
					knownvalue.StringExact("ingress icmp type 8 code -1 10.0.9.0/24"),
					knownvalue.StringExact("ingress tcp 22 10.0.1.10/32"),
					knownvalue.StringExact("ingress tcp 443 10.0.1.10/32"),
					knownvalue.StringExact("egress udp 123 10.0.5.0/24"),
				})),
				statecheck.ExpectKnownOutputValue("entry_keys_without_options", knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact("ingress allow icmp type 3 code 4 0.0.0.0/0"),
					knownvalue.StringExact("ingress allow tcp 22 10.0.1.10/32"),
					knownvalue.StringExact("ingress allow tcp 443 10.0.1.10/32"),
					knownvalue.StringExact("egress allow icmp type 3 code 4 0.0.0.0/0"),
					knownvalue.StringExact("egress allow tcp 1024-65535 10.0.1.10/32"),
				})),
				statecheck.ExpectKnownOutputValue("rules_as_data_source", knownvalue.Bool(true)),
				statecheck.ExpectKnownOutputValue("entries_as_data_source", knownvalue.Bool(true)),
			},
		}},
	})
}

// TestAccFunctions_badInput: bad arguments fail at plan with the argument,
// the path inside it and the fix.
func TestAccFunctions_badInput(t *testing.T) {
	skipWithoutBackend(t)
	cases := []struct{ call, message string }{
		{`provider::ddve::network_acl_entries({ object_storage = { prefix_list_ids = ["pl-63a5400a"] } }, {})`,
			`Invalid value for "profiles" parameter: profiles["object_storage"].prefix_list_ids: a provider function cannot call AWS to read prefix list pl-63a5400a; use data "ddve_rules"`},
		{`provider::ddve::security_group_rules({ ftp = { cidr_blocks = ["10.0.0.0/8"] } })`,
			`"ftp" is not a DDVE port profile. Did you mean "ntp"? Valid names: cifs, ddboost,`},
		{`provider::ddve::security_group_rules({ management = { cidr_blocks = ["10.0.1.10/24"] } })`,
			`profiles["management"].cidr_blocks["10.0.1.10/24"]: CIDR block not canonical: 10.0.1.10/24 has host bits set: write 10.0.1.0/24`},
		{`provider::ddve::network_acl_entries({}, { custom_rules = [{ direction = "ingress", protocol = "tcp", cidr_blocks = ["10.0.9.0/24"] }] })`,
			`Invalid value for "options" parameter: options.custom_rules[0]: Missing ports: tcp needs from_port and to_port.`},
		{`provider::ddve::network_acl_entries({ management = { security_group_ids = ["sg-0123456789abcdef0"] } }, {})`,
			"Network ACL entries take CIDR blocks only"},
		{`provider::ddve::security_group_rules({}, { deny = [] })`,
			`options: unexpected attribute "deny"; the attributes are allow_public_ingress, custom_rules, path_mtu_discovery, rpc_dynamic_ports, rules_per_direction_quota`},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		expect := wrapped(c.message)
		if strings.HasSuffix(c.message, ".") {
			// Terraform ends the message with a period of its own: one
			// stands there, not two.
			expect = regexp.MustCompile(expect.String() + `\s`)
		}
		steps = append(steps, resource.TestStep{
			Config:      `output "test" { value = ` + c.call + " }\n",
			PlanOnly:    true,
			ExpectError: expect,
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   functionsVersionChecks,
		Steps:                    steps,
	})
}
