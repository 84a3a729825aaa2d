package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// unknownCase is one configurable attribute fed a value known only at
// apply: body is the resource's arguments, with late.x standing for that
// value.
type unknownCase struct {
	name, resourceType, body string
}

// unknownCases covers every configurable attribute of both resources, one
// resource each, so that no attribute hides behind another's unknown.
func unknownCases(n *acctest.Network) []unknownCase {
	group := func(name, body string) unknownCase {
		return unknownCase{"group_" + name, "ddve_security_group", fmt.Sprintf("name = \"u-%s\"\nvpc_id = %q\n%s", name, n.VPCID, body)}
	}
	acl := func(name, body string) unknownCase {
		return unknownCase{"acl_" + name, "ddve_subnet_nacl", fmt.Sprintf("vpc_id = %q\n%s", n.VPCID, body)}
	}
	cases := []unknownCase{
		{"group_name", "ddve_security_group", fmt.Sprintf("name = late.name\nvpc_id = %q\nprofiles = { management = { cidr_blocks = [\"10.0.1.10/32\"] } }", n.VPCID)},
		{"group_vpc_id", "ddve_security_group", "name = \"u-vpc\"\nvpc_id = late.vpc_id\nprofiles = { management = { cidr_blocks = [\"10.0.1.10/32\"] } }"},
		group("description", "description = late.description\nprofiles = { management = { cidr_blocks = [\"10.0.1.10/32\"] } }"),
		group("sg_peer", "profiles = { management = { security_group_ids = [late.group] } }"),
		group("quota", "rules_per_direction_quota = late.quota\nprofiles = { management = { cidr_blocks = [\"10.0.1.10/32\"] } }"),
		group("public", "allow_public_ingress = late.no\nprofiles = { management = { cidr_blocks = [\"10.0.1.10/32\"] } }"),
		group("tag_value", "tags = { Owner = \"backup\", Name = late.name }\nprofiles = { management = { cidr_blocks = [\"10.0.1.10/32\"] } }"),
		group("tags", "tags = late.tags\nprofiles = { management = { cidr_blocks = [\"10.0.1.10/32\"] } }"),
		group("profile", "profiles = { management = late.peers }"),
		group("profiles", "profiles = late.profiles"),
		acl("subnet_ids", "subnet_ids = [late.subnet]\nprofiles = { management = { cidr_blocks = [\"10.0.1.10/32\"] } }"),
		{"acl_vpc_id", "ddve_subnet_nacl", "vpc_id = late.vpc_id\nprofiles = { management = { cidr_blocks = [\"10.0.1.10/32\"] } }"},
		acl("ephemeral_from", "ephemeral_ports = { from_port = late.ephemeral_from, to_port = 65535 }\nprofiles = { management = { cidr_blocks = [\"10.0.1.10/32\"] } }"),
		acl("ephemeral_to", "ephemeral_ports = { from_port = 1024, to_port = late.ephemeral_to }\nprofiles = { management = { cidr_blocks = [\"10.0.1.10/32\"] } }"),
		acl("ephemeral", "ephemeral_ports = late.ephemeral\nprofiles = { management = { cidr_blocks = [\"10.0.1.10/32\"] } }"),
		acl("default_action", "default_action = late.action"),
		acl("quota", "entries_per_direction_quota = late.quota\nprofiles = { management = { cidr_blocks = [\"10.0.1.10/32\"] } }"),
		acl("public", "allow_public_ingress = late.no\nprofiles = { management = { cidr_blocks = [\"10.0.1.10/32\"] } }"),
		acl("tag_value", "tags = { Owner = \"backup\", Name = late.name }"),
		acl("tags", "tags = late.tags"),
		acl("prefix_list", "profiles = { object_storage = { prefix_list_ids = [late.prefix_list] } }"),
		acl("deny_cidr", "deny = [{ cidr_block = late.cidr }]"),
		acl("deny_ipv6", "deny = [{ ipv6_cidr_block = late.ipv6 }]"),
		acl("deny_direction", "deny = [{ cidr_block = \"5.5.5.5/32\", direction = late.direction_both }]"),
		acl("deny_protocol", "deny = [{ cidr_block = \"5.5.5.5/32\", protocol = late.protocol }]"),
		acl("deny_from_port", "deny = [{ cidr_block = \"5.5.5.5/32\", protocol = \"tcp\", from_port = late.port, to_port = 8443 }]"),
		acl("deny_to_port", "deny = [{ cidr_block = \"5.5.5.5/32\", protocol = \"tcp\", from_port = 8443, to_port = late.port }]"),
		acl("deny", "deny = [late.deny]"),
	}
	// Each peer list and each custom rule field, in both resources.
	for _, resourceCase := range []func(string, string) unknownCase{group, acl} {
		cases = append(cases,
			resourceCase("cidr_blocks", "profiles = { management = { cidr_blocks = [late.cidr] } }"),
			resourceCase("ipv6_cidr_blocks", "profiles = { management = { ipv6_cidr_blocks = [late.ipv6] } }"),
			resourceCase("prefix_list_ids", "profiles = { object_storage = { prefix_list_ids = [late.prefix_list] } }"),
			resourceCase("custom_direction", "custom_rules = [{ direction = late.direction, protocol = \"tcp\", from_port = 8443, to_port = 8443, cidr_blocks = [\"10.0.9.0/24\"] }]"),
			resourceCase("custom_protocol", "custom_rules = [{ direction = \"ingress\", protocol = late.protocol, from_port = 8443, to_port = 8443, cidr_blocks = [\"10.0.9.0/24\"] }]"),
			resourceCase("custom_from_port", "custom_rules = [{ direction = \"ingress\", protocol = \"tcp\", from_port = late.port, to_port = 8443, cidr_blocks = [\"10.0.9.0/24\"] }]"),
			resourceCase("custom_to_port", "custom_rules = [{ direction = \"ingress\", protocol = \"tcp\", from_port = 8443, to_port = late.port, cidr_blocks = [\"10.0.9.0/24\"] }]"),
			resourceCase("custom_cidr", "custom_rules = [{ direction = \"ingress\", protocol = \"tcp\", from_port = 8443, to_port = 8443, cidr_blocks = [late.cidr] }]"),
			resourceCase("custom_description", "custom_rules = [{ direction = \"ingress\", protocol = \"tcp\", from_port = 8443, to_port = 8443, cidr_blocks = [\"10.0.9.0/24\"], description = late.description }]"),
			resourceCase("custom_rule", "custom_rules = [late.rule]"),
		)
	}
	return cases
}

// unknownConfig gives every case its resource, all reading late values
// from one terraform_data, and names the late values in a local.
func unknownConfig(rec *acctest.Recorder, n *acctest.Network, cases []unknownCase, extraProvider ...string) string {
	var b strings.Builder
	b.WriteString(providerConfig(rec, extraProvider...))
	fmt.Fprintf(&b, `
resource "terraform_data" "late" {
  input = {
    name = "late-name", description = "late description", vpc_id = %[1]q, group = %[2]q, subnet = %[3]q,
    prefix_list = %[4]q, cidr = "10.0.7.0/24", ipv6 = "2001:db8:7::/64", quota = 40, no = false,
    tags = { Name = "late" }, peers = { cidr_blocks = ["10.0.1.10/32"] },
    profiles = { management = { cidr_blocks = ["10.0.1.10/32"] } },
    ephemeral_from = 32768, ephemeral_to = 60999, ephemeral = { from_port = 32768, to_port = 60999 },
    action = "allow", direction = "ingress", direction_both = "both", protocol = "tcp", port = 8443,
    deny = { cidr_block = "5.5.5.5/32" },
    rule = { direction = "egress", protocol = "udp", from_port = 5000, to_port = 5001, cidr_blocks = ["10.0.9.0/24"] },
  }
}

locals {
  late = terraform_data.late.output
}
`, n.VPCID, n.BastionGroupID, n.SpareSubnetID, n.S3PrefixListID)
	for _, c := range cases {
		fmt.Fprintf(&b, "\nresource %q %q {\n%s\n}\n", c.resourceType, c.name, strings.ReplaceAll(c.body, "late.", "local.late."))
	}
	return b.String()
}

// TestAccUnknownValues feeds every configurable attribute of both
// resources a value known only at apply. Each step plans (the plan saved to
// a file), applies that plan file, and checks that the plan after it, with
// and without a refresh, is empty: no plan the apply contradicts.
func TestAccUnknownValues(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	cases := unknownCases(n)
	var unknownTagsAll []plancheck.PlanCheck
	for _, c := range cases {
		if strings.Contains(c.body, "tags") {
			unknownTagsAll = append(unknownTagsAll, plancheck.ExpectUnknownValue(c.resourceType+"."+c.name, tfjsonpath.New("tags_all")))
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:           unknownConfig(rec, n, cases),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: unknownTagsAll},
		}},
	})
}

// TestAccUnknownValues_defaultTagsAndNoRefresh: provider default tags known
// only at apply leave every tags_all unknown; and the plans are made with
// -refresh=false.
func TestAccUnknownValues_defaultTagsAndNoRefresh(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	cases := []unknownCase{
		{"group", "ddve_security_group", fmt.Sprintf("name = \"u-default-tags\"\nvpc_id = %q\nprofiles = { management = { cidr_blocks = [late.cidr] } }", n.VPCID)},
		{"acl", "ddve_subnet_nacl", fmt.Sprintf("vpc_id = %q\ntags = { Name = \"ddve\" }\nprofiles = { management = { cidr_blocks = [late.cidr] } }", n.VPCID)},
	}
	config := unknownConfig(rec, n, cases, `  default_tags = { tags = { team = terraform_data.late.output.name } }`)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		AdditionalCLIOptions:     &resource.AdditionalCLIOptions{Plan: resource.PlanOptions{NoRefresh: true}},
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectUnknownValue("ddve_security_group.group", tfjsonpath.New("tags_all")),
					plancheck.ExpectUnknownValue("ddve_subnet_nacl.acl", tfjsonpath.New("tags_all")),
					plancheck.ExpectUnknownValue("ddve_subnet_nacl.acl", tfjsonpath.New("entries")),
				}},
			},
			// A new late value: the update is planned without a refresh.
			{
				Config: strings.Replace(config, `cidr = "10.0.7.0/24"`, `cidr = "10.0.8.0/24"`, 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("ddve_subnet_nacl.acl", plancheck.ResourceActionUpdate),
				}},
			},
		},
	})
}
