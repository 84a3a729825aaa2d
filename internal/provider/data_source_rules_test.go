package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// rulesSeedConfig puts the seed posture through ddve_rules and through
// both resources, and compares what they hold: the data source's elements,
// keys aside, must be the resources' rules and entries, rule IDs aside.
func rulesSeedConfig(rec *acctest.Recorder, n *acctest.Network, bastion string) string {
	return providerConfig(rec) + fmt.Sprintf(`
locals {
  profiles = {
    management     = { cidr_blocks = [%[3]s] }
    object_storage = { prefix_list_ids = [%[2]q] }
  }
  deny = [{ cidr_block = "5.5.5.5/32" }]
}

data "ddve_rules" "seed" {
  profiles = local.profiles
  deny     = local.deny
}

resource "ddve_security_group" "seed" {
  name     = "ddve-rules-seed"
  vpc_id   = %[1]q
  profiles = local.profiles
}

resource "ddve_subnet_nacl" "seed" {
  vpc_id   = %[1]q
  profiles = local.profiles
  deny     = local.deny
}

output "rules_as_planned" {
  value = toset([for r in data.ddve_rules.seed.security_group_rules : { for k, v in r : k => v if k != "key" }]) == toset([
    for r in ddve_security_group.seed.rules : { for k, v in r : k => v if k != "rule_id" }
  ])
}

output "entries_as_planned" {
  value = toset([for e in data.ddve_rules.seed.network_acl_entries : { for k, v in e : k => v if k != "key" }]) == ddve_subnet_nacl.seed.entries
}

output "rule_keys" {
  value = data.ddve_rules.seed.security_group_rules[*].key
}

output "entry_keys" {
  value = data.ddve_rules.seed.network_acl_entries[*].key
}
`, n.VPCID, n.S3PrefixListID, bastion)
}

// TestAccRules_seedPosture: the seed posture's 4 rules and its entries are
// what ddve_security_group and ddve_subnet_nacl plan for the same input,
// and a key names what its rule or entry does.
func TestAccRules_seedPosture(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	s3 := len(n.S3PrefixListCIDR)
	entryKeys := func(bastions ...string) []knownvalue.Check {
		var checks []knownvalue.Check
		for _, b := range bastions {
			checks = append(checks,
				knownvalue.StringExact("ingress allow tcp 22 "+b),
				knownvalue.StringExact("ingress allow tcp 443 "+b),
				knownvalue.StringExact("egress allow tcp 1024-65535 "+b))
		}
		for _, c := range n.S3PrefixListCIDR {
			checks = append(checks, knownvalue.StringExact("egress allow tcp 443 "+c))
			for _, ports := range acctest.DDVEReturnPorts {
				if from, to, _ := strings.Cut(ports, "-"); from == to {
					ports = from // a key names a single port once
				}
				checks = append(checks, knownvalue.StringExact("ingress allow tcp "+ports+" "+c))
			}
		}
		// Path MTU discovery, on by default, for the IPv4 peers.
		checks = append(checks, knownvalue.StringExact("ingress allow icmp type 3 code 4 0.0.0.0/0"), knownvalue.StringExact("egress allow icmp type 3 code 4 0.0.0.0/0"))
		return append(checks, knownvalue.StringExact("ingress deny all 5.5.5.5/32"))
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: rulesSeedConfig(rec, n, `"10.0.1.10/32"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.ddve_rules.seed", tfjsonpath.New("security_group_rules"), knownvalue.ListSizeExact(4)),
					statecheck.ExpectKnownValue("data.ddve_rules.seed", tfjsonpath.New("network_acl_entries"), knownvalue.ListSizeExact(6+(1+len(acctest.DDVEReturnPorts))*s3)),
					statecheck.ExpectKnownOutputValue("rules_as_planned", knownvalue.Bool(true)),
					statecheck.ExpectKnownOutputValue("entries_as_planned", knownvalue.Bool(true)),
					statecheck.ExpectKnownOutputValue("rule_keys", knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("ingress icmp type 3 code 4 0.0.0.0/0"),
						knownvalue.StringExact("ingress tcp 22 10.0.1.10/32"),
						knownvalue.StringExact("ingress tcp 443 10.0.1.10/32"),
						knownvalue.StringExact("egress tcp 443 " + n.S3PrefixListID),
					})),
					statecheck.ExpectKnownOutputValue("entry_keys", knownvalue.SetExact(entryKeys("10.0.1.10/32"))),
					statecheck.ExpectKnownValue("data.ddve_rules.seed", tfjsonpath.New("network_acl_entries").AtSliceIndex(0), knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"key": knownvalue.StringExact("ingress deny all 5.5.5.5/32"), "rule_number": knownvalue.Int64Exact(10),
						"rule_action": knownvalue.StringExact("deny"), "protocol": knownvalue.StringExact("-1"),
					})),
				},
			},
			{
				// Another bastion: the keys of what was there stay, so a
				// for_each over them only adds; the resources agree still.
				Config: rulesSeedConfig(rec, n, `"10.0.1.10/32", "10.0.1.11/32"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("rules_as_planned", knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("data.ddve_rules.seed", tfjsonpath.New("security_group_rules"), knownvalue.ListSizeExact(6)),
					statecheck.ExpectKnownOutputValue("entry_keys", knownvalue.SetExact(entryKeys("10.0.1.10/32", "10.0.1.11/32"))),
				},
			},
		},
	})
}

// TestAccRules_noAWSCall: without a prefix list, ddve_rules is computed
// by the provider alone.
func TestAccRules_noAWSCall(t *testing.T) {
	rec := testRecorder(t)
	skipWithoutBackend(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: rec.Reset,
			Config: providerConfig(rec) + `
data "ddve_rules" "test" {
  profiles = {
    management = { cidr_blocks = ["10.0.1.10/32"], security_group_ids = ["sg-0123456789abcdef0"] }
    ntp        = { cidr_blocks = ["10.0.5.0/24"] }
  }
  custom_rules = [
    { direction = "ingress", protocol = "icmp", from_port = 8, to_port = -1, cidr_blocks = ["10.0.9.0/24"] },
  ]
  default_action = "allow"
}

output "rule_keys" {
  value = toset(data.ddve_rules.test.security_group_rules[*].key)
}
`,
			// The group's rules name the group; the ACL cannot take it.
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.ExpectNoCalls(rec),
				statecheck.ExpectKnownValue("data.ddve_rules.test", tfjsonpath.New("network_acl_entries"), knownvalue.Null()),
				statecheck.ExpectKnownOutputValue("rule_keys", knownvalue.SetExact([]knownvalue.Check{
					knownvalue.StringExact("ingress icmp type 3 code 4 0.0.0.0/0"),
					knownvalue.StringExact("ingress icmp type 8 code -1 10.0.9.0/24"),
					knownvalue.StringExact("ingress tcp 22 10.0.1.10/32"),
					knownvalue.StringExact("ingress tcp 22 sg-0123456789abcdef0"),
					knownvalue.StringExact("ingress tcp 443 10.0.1.10/32"),
					knownvalue.StringExact("ingress tcp 443 sg-0123456789abcdef0"),
					knownvalue.StringExact("egress udp 123 10.0.5.0/24"),
				})),
			},
		}, {
			PreConfig: rec.Reset,
			Config: providerConfig(rec) + `
data "ddve_rules" "test" {
  profiles = {
    management = { cidr_blocks = ["10.0.1.10/32"] }
    ntp        = { cidr_blocks = ["10.0.5.0/24"] }
  }
  custom_rules = [
    { direction = "ingress", protocol = "icmp", from_port = 8, to_port = -1, cidr_blocks = ["10.0.9.0/24"] },
  ]
}

output "entry_keys" {
  value = toset(data.ddve_rules.test.network_acl_entries[*].key)
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.ExpectNoCalls(rec),
				statecheck.ExpectKnownValue("data.ddve_rules.test", tfjsonpath.New("security_group_rules"), knownvalue.ListExact([]knownvalue.Check{
					groupRule("ingress icmp type 3 code 4 0.0.0.0/0", "icmp", 3, 4, "0.0.0.0/0", "path_mtu_discovery", "ddve path_mtu_discovery: fragmentation needed"),
					groupRule("ingress icmp type 8 code -1 10.0.9.0/24", "icmp", 8, -1, "10.0.9.0/24", "custom", "ddve custom: icmp type 8 code -1"),
					groupRule("ingress tcp 22 10.0.1.10/32", "tcp", 22, 22, "10.0.1.10/32", "management", "ddve management: SSH"),
					groupRule("ingress tcp 443 10.0.1.10/32", "tcp", 443, 443, "10.0.1.10/32", "management", "ddve management: HTTPS"),
					groupRule("egress udp 123 10.0.5.0/24", "udp", 123, 123, "10.0.5.0/24", "ntp", "ddve ntp: NTP"),
				})),
				// NTP answers come back to 123 as well as to the
				// ephemeral range; an echo request is answered by an echo
				// reply.
				statecheck.ExpectKnownOutputValue("entry_keys", knownvalue.SetPartial([]knownvalue.Check{
					knownvalue.StringExact("ingress allow udp 123 10.0.5.0/24"),
					knownvalue.StringExact("ingress allow udp 3010-65535 10.0.5.0/24"),
					knownvalue.StringExact("egress allow icmp type 0 code -1 10.0.9.0/24"),
				})),
			},
		}},
	})
}

func groupRule(key, protocol string, from, to int64, cidr, profile, description string) knownvalue.Check {
	return knownvalue.ObjectExact(map[string]knownvalue.Check{
		"key": knownvalue.StringExact(key), "direction": knownvalue.StringExact(strings.Fields(key)[0]),
		"protocol": knownvalue.StringExact(protocol), "from_port": knownvalue.Int64Exact(from), "to_port": knownvalue.Int64Exact(to),
		"cidr_ipv4": knownvalue.StringExact(cidr), "cidr_ipv6": knownvalue.Null(),
		"referenced_security_group_id": knownvalue.Null(), "prefix_list_id": knownvalue.Null(),
		"profile": knownvalue.StringExact(profile), "description": knownvalue.StringExact(description),
	})
}

// skipWithoutBackend skips an acceptance test that needs no fixture when
// moto is not running.
func skipWithoutBackend(t *testing.T) {
	t.Helper()
	if backend == nil {
		t.Skip("acceptance test: set TF_ACC=1 (make testacc) to run it against moto")
	}
}
