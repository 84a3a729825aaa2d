package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// NTLM pass-through through Terraform: the directory profile opens SMB
// 445, the endpoint mapper 135, the global catalog over TLS 3269 and the
// domain controller's dynamic RPC range, which rpc_dynamic_ports narrows
// in the group and the ACL alike.
func TestAccDirectory_netlogon(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := func(rpc string) string {
		return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_security_group" "test" {
  name               = "ddve-netlogon"
  vpc_id             = %[1]q
  profiles           = { directory = { cidr_blocks = ["10.0.7.10/32"] } }
  path_mtu_discovery = false
  %[3]s
}

resource "ddve_subnet_nacl" "test" {
  vpc_id                      = %[1]q
  subnet_ids                  = [%[2]q]
  profiles                    = { directory = { cidr_blocks = ["10.0.7.10/32"] } }
  path_mtu_discovery          = false
  entries_per_direction_quota = 40
  %[3]s
}
`, n.VPCID, n.DDVESubnetID, rpc)
	}
	rule := func(port string) string {
		return "egress tcp " + port + " cidr 10.0.7.10/32 description \"ddve directory: "
	}
	hasRules := func(want map[string]bool) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			keys, err := acctest.GroupRules(context.Background(), testEC2(), s.RootModule().Resources["ddve_security_group.test"].Primary.ID)
			if err != nil {
				return err
			}
			for prefix, present := range want {
				found := slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, prefix) })
				if found != present {
					return fmt.Errorf("rule %q present %v, want %v: %v", prefix, found, present, keys)
				}
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeTestCheckFunc(checkGroupsDestroyed, checkACLsDestroyed(n)),
		Steps: []resource.TestStep{
			{
				Config: config(""),
				Check: hasRules(map[string]bool{
					rule("135-135") + "RPC endpoint mapper\"":       true,
					rule("445-445") + "SMB and Netlogon\"":          true,
					rule("3269-3269") + "global catalog over TLS\"": true,
					rule("49152-65535") + "RPC dynamic ports\"":     true,
				}),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aclAddress, tfjsonpath.New("rpc_dynamic_ports"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"from_port": knownvalue.Int64Exact(49152), "to_port": knownvalue.Int64Exact(65535),
					})),
					statecheck.ExpectKnownValue(aclAddress, tfjsonpath.New("entries"), knownvalue.SetPartial([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"egress": knownvalue.Bool(true), "from_port": knownvalue.Int64Exact(49152), "to_port": knownvalue.Int64Exact(65535)}),
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"egress": knownvalue.Bool(true), "from_port": knownvalue.Int64Exact(445), "to_port": knownvalue.Int64Exact(445)}),
					})),
				},
			},
			{
				// The domain controllers pin Netlogon's RPC port.
				Config: config("rpc_dynamic_ports = { from_port = 50001, to_port = 50001 }"),
				Check: hasRules(map[string]bool{
					rule("49152-65535"):                         false,
					rule("50001-50001") + "RPC dynamic ports\"": true,
				}),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aclAddress, tfjsonpath.New("entries"), knownvalue.SetPartial([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"egress": knownvalue.Bool(true), "from_port": knownvalue.Int64Exact(50001), "to_port": knownvalue.Int64Exact(50001)}),
					})),
				},
			},
			{
				Config:      config("rpc_dynamic_ports = { from_port = 60000, to_port = 50000 }"),
				PlanOnly:    true,
				ExpectError: wrapped("from_port 60000 is above to_port 50000"),
			},
			// Back to the default, for the destroy.
			{Config: config("")},
		},
	})
}

// NetBIOS is IPv4 only (RFC 1001, RFC 1002): a dual-stack cifs peer gets
// SMB over both families and NetBIOS over IPv4 alone, in AWS.
func TestAccCIFS_netbiosIPv4Only(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := providerConfig(rec) + fmt.Sprintf(`
resource "ddve_security_group" "test" {
  name               = "ddve-cifs"
  vpc_id             = %[1]q
  profiles           = { cifs = { cidr_blocks = ["10.0.4.0/24"], ipv6_cidr_blocks = ["2001:db8:4::/64"] } }
  path_mtu_discovery = false
}

resource "ddve_subnet_nacl" "test" {
  vpc_id             = %[1]q
  subnet_ids         = [%[2]q]
  profiles           = { cifs = { cidr_blocks = ["10.0.4.0/24"], ipv6_cidr_blocks = ["2001:db8:4::/64"] } }
  path_mtu_discovery = false
}
`, n.VPCID, n.DDVESubnetID)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeTestCheckFunc(checkGroupsDestroyed, checkACLsDestroyed(n)),
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.ExpectACLEntries(rec, aclAddress, []string{
					"ingress 1000 allow 17 10.0.4.0/24 ports 137-138 icmp -",
					"ingress 1010 allow 6 10.0.4.0/24 ports 139-139 icmp -",
					"ingress 1020 allow 6 10.0.4.0/24 ports 445-445 icmp -",
					"ingress 1030 allow 6 2001:db8:4::/64 ports 445-445 icmp -",
					"egress 1000 allow 17 10.0.4.0/24 ports 137-138 icmp -",
					"egress 1010 allow 17 10.0.4.0/24 ports 1024-65535 icmp -",
					"egress 1020 allow 6 10.0.4.0/24 ports 1024-65535 icmp -",
					"egress 1030 allow 6 2001:db8:4::/64 ports 1024-65535 icmp -",
				}),
				acctest.ExpectGroupRules(testEC2(), "ddve_security_group.test", []string{
					`ingress udp 137-138 cidr 10.0.4.0/24 description "ddve cifs: NetBIOS"`,
					`ingress tcp 139-139 cidr 10.0.4.0/24 description "ddve cifs: NetBIOS session"`,
					`ingress tcp 445-445 cidr 10.0.4.0/24 description "ddve cifs: SMB"`,
					`ingress tcp 445-445 ipv6 2001:db8:4::/64 description "ddve cifs: SMB"`,
				}),
			},
		}},
	})
}

// DDVE's own connections come back to ddve_ephemeral_ports, or, unset, to
// 1024-65535 less the ports DDVE listens on: a DNS server DDVE only asks
// never reaches NFS, replication or the REST API through a return entry,
// while the answers to a client of DDVE still go to ephemeral_ports.
func TestAccSubnetNACL_ddveEphemeralPorts(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := func(extra string) string {
		return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "test" {
  vpc_id             = %q
  subnet_ids         = [%q]
  profiles = {
    dns               = { cidr_blocks = ["10.0.0.53/32"] }
    remote_management = { cidr_blocks = ["10.0.6.0/24"] }
  }
  path_mtu_discovery = false
  %s
}
`, n.VPCID, n.DDVESubnetID, extra)
	}
	// The profiles in name order: dns, then remote_management.
	dnsRequests := []string{
		"egress 1000 allow 6 10.0.0.53/32 ports 53-53 icmp -",
		"egress 1010 allow 17 10.0.0.53/32 ports 53-53 icmp -",
	}
	var dnsReturns []string
	number := 1000
	for _, proto := range []string{"6", "17"} {
		for _, ports := range acctest.DDVEReturnPorts {
			dnsReturns = append(dnsReturns, fmt.Sprintf("ingress %d allow %s 10.0.0.53/32 ports %s icmp -", number, proto, ports))
			number += 10
		}
	}
	management := []string{
		"ingress 1080 allow 6 10.0.6.0/24 ports 3009-3009 icmp -",
		"egress 1020 allow 6 10.0.6.0/24 ports 1024-65535 icmp -",
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{
			{
				Config: config(""),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectACLEntries(rec, aclAddress, slices.Concat(management, dnsRequests, dnsReturns)),
				},
			},
			{
				// DD OS's range named: one return entry per protocol, and
				// the answers to the REST API's clients stay on 1024-65535.
				Config: config(`ddve_ephemeral_ports = { from_port = 32768, to_port = 60999 }`),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectACLEntries(rec, aclAddress, slices.Concat(management, dnsRequests, []string{
						"ingress 1000 allow 6 10.0.0.53/32 ports 32768-60999 icmp -",
						"ingress 1010 allow 17 10.0.0.53/32 ports 32768-60999 icmp -",
					})),
				},
			},
		},
	})
}

// Custom rules say where their clients send from (reply_ports) and that
// nothing answers (one_way): NFS over UDP answered on Linux clients'
// reserved ports, syslog out without a return entry. Bad combinations
// fail the plan at the rule.
func TestAccCustomRules_replyPortsAndOneWay(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := func(rules string) string {
		return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "test" {
  vpc_id             = %q
  subnet_ids         = [%q]
  path_mtu_discovery = false
  custom_rules       = [%s]
}
`, n.VPCID, n.DDVESubnetID, rules)
	}
	good := `
    { direction = "ingress", protocol = "udp", from_port = 2049, to_port = 2049, cidr_blocks = ["10.9.0.0/24"], description = "nfs over udp",
      reply_ports = [{ from_port = 665, to_port = 1023 }] },
    { direction = "egress", protocol = "udp", from_port = 514, to_port = 514, cidr_blocks = ["10.8.0.0/24"], description = "syslog", one_way = true },
`
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{
			{
				Config: config(good),
				ConfigStateChecks: []statecheck.StateCheck{acctest.ExpectACLEntries(rec, aclAddress, []string{
					"ingress 1000 allow 17 10.9.0.0/24 ports 2049-2049 icmp -",
					"egress 1000 allow 17 10.9.0.0/24 ports 665-1023 icmp -",
					"egress 1010 allow 17 10.8.0.0/24 ports 514-514 icmp -",
				})},
			},
			{
				Config: config(`{ direction = "egress", protocol = "udp", from_port = 514, to_port = 514, cidr_blocks = ["10.8.0.0/24"],
      one_way = true, reply_ports = [{ from_port = 514, to_port = 514 }] }`),
				PlanOnly:    true,
				ExpectError: wrapped("one_way = true means the flow is never answered"),
			},
			{
				Config: config(`{ direction = "egress", protocol = "icmp", from_port = 8, to_port = -1, cidr_blocks = ["10.8.0.0/24"],
      reply_ports = [{ from_port = 1, to_port = 2 }] }`),
				PlanOnly:    true,
				ExpectError: wrapped("remove reply_ports"),
			},
			{Config: config(good), PlanOnly: true},
		},
	})
}

// Entries that can never match are left out: the replication peer's
// request entry on 2051 lies inside the answers to its own connections
// (egress 1024-65535), and a deny-list ACL's allow-all covers every
// profile allow; the covering entry's purpose names what it covers.
func TestAccSubnetNACL_coveredEntriesLeftOut(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := func(action string) string {
		return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "test" {
  vpc_id               = %q
  subnet_ids           = [%q]
  profiles             = { replication = { cidr_blocks = ["10.1.0.0/16"] } }
  path_mtu_discovery   = false
  ddve_ephemeral_ports = { from_port = 32768, to_port = 60999 }
  default_action       = %q
}
`, n.VPCID, n.DDVESubnetID, action)
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{
			{
				Config: config("deny"),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectACLEntries(rec, aclAddress, []string{
						"ingress 1000 allow 6 10.1.0.0/16 ports 2051-2051 icmp -",
						"ingress 1010 allow 6 10.1.0.0/16 ports 32768-60999 icmp -",
						"egress 1000 allow 6 10.1.0.0/16 ports 1024-65535 icmp -",
					}),
					statecheck.ExpectKnownValue(aclAddress, tfjsonpath.New("entries"), knownvalue.SetPartial([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"egress": knownvalue.Bool(true), "purpose": knownvalue.StringExact("replication: return traffic; replication: replication"),
						}),
					})),
				},
			},
			{
				Config: config("allow"),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectACLEntries(rec, aclAddress, []string{
						"ingress 32000 allow -1 0.0.0.0/0 ports - icmp -",
						"ingress 32010 allow -1 ::/0 ports - icmp -",
						"egress 32000 allow -1 0.0.0.0/0 ports - icmp -",
						"egress 32010 allow -1 ::/0 ports - icmp -",
					}),
					statecheck.ExpectKnownValue(aclAddress, tfjsonpath.New("entries"), knownvalue.SetPartial([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"egress": knownvalue.Bool(false), "cidr_block": knownvalue.StringExact("0.0.0.0/0"),
							"purpose": knownvalue.StringExact("default_action allow; replication: replication; replication: return traffic"),
						}),
					})),
				},
			},
		},
	})
}
