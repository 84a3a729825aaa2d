package provider

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

const aclAddress = "ddve_subnet_nacl.test"

// aclConfig is the seed's DDVE subnet: management from the bastion, HTTPS
// to S3 through the prefix list, 5.5.5.5 denied, everything else denied.
func aclConfig(rec *acctest.Recorder, n *acctest.Network, subnets []string, managementCIDRs ...string) string {
	return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "test" {
  vpc_id     = %q
  subnet_ids = %s

  profiles = {
    management     = { cidr_blocks = %s }
    object_storage = { prefix_list_ids = [%q] }
  }
  deny = [{ cidr_block = "5.5.5.5/32" }]

  tags = { Name = "ddve-private" }
}
`, n.VPCID, hclList(subnets), hclList(managementCIDRs), n.S3PrefixListID)
}

// seedEntries are the entries the seed's DDVE subnet ACL must hold, as
// "direction number action protocol cidr from-to".
func seedEntries(n *acctest.Network) []string {
	out := []string{
		"ingress 10 deny -1 5.5.5.5/32 ports - icmp -",
		"ingress 1000 allow 6 10.0.1.10/32 ports 22-22 icmp -",
		"ingress 1010 allow 6 10.0.1.10/32 ports 443-443 icmp -",
		"egress 1000 allow 6 10.0.1.10/32 ports 1024-65535 icmp -",
		// Path MTU discovery, on by default, for the IPv4 peers.
		"ingress 900 allow 1 0.0.0.0/0 ports - icmp 3/4",
		"egress 900 allow 1 0.0.0.0/0 ports - icmp 3/4",
	}
	for i, cidr := range n.S3PrefixListCIDR {
		out = append(out, fmt.Sprintf("egress %d allow 6 %s ports 443-443 icmp -", 1010+10*i, cidr))
		// The answers to DDVE's connections come back to 1024-65535 less
		// the ports DDVE listens on (ddve_ephemeral_ports unset).
		for j, ports := range acctest.DDVEReturnPorts {
			out = append(out, fmt.Sprintf("ingress %d allow 6 %s ports %s icmp -", 1020+10*(len(acctest.DDVEReturnPorts)*i+j), cidr, ports))
		}
	}
	slices.Sort(out)
	return out
}

// stateEntryNumbers maps each entry of the state, by what it does, to its
// rule number.
func stateEntryNumbers(s *terraform.State, address string) map[string]string {
	attrs := s.RootModule().Resources[address].Primary.Attributes
	numbers := map[string]string{}
	count, _ := strconv.Atoi(attrs["entries.#"])
	for i := range count {
		p := fmt.Sprintf("entries.%d.", i)
		key := strings.Join([]string{attrs[p+"egress"], attrs[p+"rule_action"], attrs[p+"protocol"], attrs[p+"cidr_block"], attrs[p+"ipv6_cidr_block"],
			attrs[p+"from_port"], attrs[p+"to_port"], attrs[p+"icmp_type"], attrs[p+"icmp_code"]}, " ")
		numbers[key] = attrs[p+"rule_number"]
	}
	return numbers
}

func TestAccSubnetNACL_lifecycle(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	var before map[string]string
	entry := func(number int64, egress bool, action, protocol, cidr string, from, to int64, purpose string) knownvalue.Check {
		return knownvalue.ObjectExact(map[string]knownvalue.Check{
			"rule_number": knownvalue.Int64Exact(number), "egress": knownvalue.Bool(egress),
			"rule_action": knownvalue.StringExact(action), "protocol": knownvalue.StringExact(protocol),
			"cidr_block": knownvalue.StringExact(cidr), "ipv6_cidr_block": knownvalue.Null(),
			"from_port": knownvalue.Int64Exact(from), "to_port": knownvalue.Int64Exact(to),
			"icmp_type": knownvalue.Int64Exact(0), "icmp_code": knownvalue.Int64Exact(0),
			"purpose": knownvalue.StringExact(purpose),
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{
			// Create: the plan shows every entry with its number, the prefix
			// list already resolved to its CIDRs.
			{
				Config: aclConfig(rec, n, []string{n.DDVESubnetID}, "10.0.1.10/32"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(aclAddress, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(aclAddress, tfjsonpath.New("entries"), knownvalue.SetPartial([]knownvalue.Check{
						entry(10, false, "deny", "-1", "5.5.5.5/32", 0, 0, "deny[0]"),
						entry(1000, false, "allow", "6", "10.0.1.10/32", 22, 22, "management: SSH"),
					})),
					plancheck.ExpectKnownValue(aclAddress, tfjsonpath.New("entries"), knownvalue.SetSizeExact(6+(1+len(acctest.DDVEReturnPorts))*len(n.S3PrefixListCIDR))), // path MTU discovery in and out
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aclAddress, tfjsonpath.New("entries"), knownvalue.SetPartial([]knownvalue.Check{
						entry(1020, false, "allow", "6", n.S3PrefixListCIDR[0], 1024, 2048, "object_storage: return traffic"),
					})),
					statecheck.ExpectKnownValue(aclAddress, tfjsonpath.New("default_network_acl_id"), knownvalue.StringExact(n.DefaultACLID)),
					statecheck.ExpectKnownValue(aclAddress, tfjsonpath.New("subnet_ids"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(n.DDVESubnetID)})),
					acctest.ExpectACLEntries(rec, aclAddress, seedEntries(n)),
				},
				Check: resource.ComposeTestCheckFunc(
					acctest.CheckSubnetOn(testEC2(), n.DDVESubnetID, acctest.StateID(aclAddress)),
					func(s *terraform.State) error { before = stateEntryNumbers(s, aclAddress); return nil },
				),
			},
			// Nothing to change, and nothing changed in AWS.
			{
				PreConfig: rec.Reset,
				Config:    aclConfig(rec, n, []string{n.DDVESubnetID}, "10.0.1.10/32"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{acctest.ExpectNoMutatingCalls(rec)},
			},
			// A second bastion address: new entries, and every entry that
			// stays keeps its number. Nothing is deleted or replaced.
			{
				PreConfig: rec.Reset,
				Config:    aclConfig(rec, n, []string{n.DDVESubnetID}, "10.0.1.10/32", "10.0.1.11/32"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(aclAddress, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(
					func(s *terraform.State) error {
						after := stateEntryNumbers(s, aclAddress)
						for key, number := range before {
							if after[key] != number {
								return fmt.Errorf("entry %s moved from %s to %s", key, number, after[key])
							}
						}
						if len(after) != len(before)+3 {
							return fmt.Errorf("want 3 new entries (SSH, HTTPS, return), got %d", len(after)-len(before))
						}
						calls := rec.Calls()
						if calls["CreateNetworkAclEntry"] != 3 || calls["DeleteNetworkAclEntry"]+calls["ReplaceNetworkAclEntry"] != 0 {
							return fmt.Errorf("adding a peer took %v", calls.Mutating())
						}
						return nil
					},
				),
			},
			// The subnet left out goes back to the VPC's default ACL.
			{
				Config: aclConfig(rec, n, nil, "10.0.1.10/32", "10.0.1.11/32"),
				Check:  acctest.CheckSubnetOn(testEC2(), n.DDVESubnetID, acctest.FixedID(n.DefaultACLID)),
			},
			// An ID of something else is refused with the expected shape.
			{
				ResourceName:  aclAddress,
				ImportState:   true,
				ImportStateId: n.DDVESubnetID,
				ExpectError:   wrapped("Import a DDVE network ACL by its ID, such as acl-0123456789abcdef0"),
			},
			// Import by ID: the same entries and numbers; the intent and the
			// purposes are not in AWS, the next plan records them.
			{
				ResourceName:      aclAddress,
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateVerifyIgnore: append(purposeKeys(6+(1+len(acctest.DDVEReturnPorts))*len(n.S3PrefixListCIDR)+3),
					"timeouts", "profiles", "deny", "subnet_ids", "prefix_list_versions"),
			},
		},
	})
}

func purposeKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("entries.%d.purpose", i)
	}
	return keys
}

func TestAccSubnetNACL_importChangesNothing(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := aclConfig(rec, n, []string{n.DDVESubnetID}, "10.0.1.10/32")
	var aclID string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{
			// The ACL exists before Terraform knows it, made through the
			// SDK as this configuration would make it.
			{
				PreConfig: func() {
					var err error
					if aclID, err = acctest.CreateSeedACL(context.Background(), acctest.EC2Client(rec.URL), n); err != nil {
						t.Fatal(err)
					}
				},
				Config:             config,
				ResourceName:       aclAddress,
				ImportState:        true,
				ImportStateIdFunc:  func(*terraform.State) (string, error) { return aclID, nil },
				ImportStatePersist: true,
			},
			// The first plan records the intent and purposes in state only:
			// the apply makes no mutating call.
			{
				PreConfig: rec.Reset,
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(aclAddress, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectNoMutatingCalls(rec),
					acctest.ExpectACLEntries(rec, aclAddress, seedEntries(n)),
				},
			},
			// And the plan after it is empty.
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}

func TestAccSubnetNACL_drift(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := aclConfig(rec, n, []string{n.DDVESubnetID}, "10.0.1.10/32")
	var aclID string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{
			{Config: config, Check: acctest.CaptureID(aclAddress, &aclID)},
			// Outside Terraform: an entry added, one deleted, one changed,
			// and the subnet moved back to the default ACL. The plan shows
			// it and the apply restores every entry and the association.
			{
				PreConfig: func() {
					ctx := context.Background()
					client := testEC2()
					must := func(_ any, err error) {
						if err != nil {
							t.Fatal(err)
						}
					}
					must(client.CreateNetworkAclEntry(ctx, &ec2.CreateNetworkAclEntryInput{
						NetworkAclId: aws.String(aclID), RuleNumber: aws.Int32(500), Egress: aws.Bool(false),
						RuleAction: types.RuleActionAllow, Protocol: aws.String("6"), CidrBlock: aws.String("0.0.0.0/0"),
						PortRange: &types.PortRange{From: aws.Int32(3389), To: aws.Int32(3389)},
					}))
					must(client.DeleteNetworkAclEntry(ctx, &ec2.DeleteNetworkAclEntryInput{
						NetworkAclId: aws.String(aclID), RuleNumber: aws.Int32(1000), Egress: aws.Bool(false),
					}))
					must(client.ReplaceNetworkAclEntry(ctx, &ec2.ReplaceNetworkAclEntryInput{
						NetworkAclId: aws.String(aclID), RuleNumber: aws.Int32(1000), Egress: aws.Bool(true),
						RuleAction: types.RuleActionAllow, Protocol: aws.String("-1"), CidrBlock: aws.String("0.0.0.0/0"),
					}))
					must(nil, acctest.MoveSubnet(ctx, client, n.DDVESubnetID, n.DefaultACLID))
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(aclAddress, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectACLEntries(rec, aclAddress, seedEntries(n)),
				},
				Check: acctest.CheckSubnetOn(testEC2(), n.DDVESubnetID, acctest.StateID(aclAddress)),
			},
			// The ACL deleted outside Terraform is planned for creation.
			{
				PreConfig: func() {
					if err := acctest.DeleteACL(context.Background(), testEC2(), aclID, n.DefaultACLID); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(aclAddress, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{acctest.ExpectACLEntries(rec, aclAddress, seedEntries(n))},
			},
		},
	})
}

func TestAccSubnetNACL_bastionSubnet(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{{
			Config: providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "test" {
  vpc_id         = %q
  subnet_ids     = [%q]
  deny           = [{ cidr_block = "5.5.5.5/32" }]
  default_action = "allow"
}
`, n.VPCID, n.BastionSubnetID),
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.ExpectACLEntries(rec, aclAddress, []string{
					"egress 32000 allow -1 0.0.0.0/0 ports - icmp -",
					"egress 32010 allow -1 ::/0 ports - icmp -",
					"ingress 10 deny -1 5.5.5.5/32 ports - icmp -",
					"ingress 32000 allow -1 0.0.0.0/0 ports - icmp -",
					"ingress 32010 allow -1 ::/0 ports - icmp -",
				}),
			},
			Check: acctest.CheckSubnetOn(testEC2(), n.BastionSubnetID, acctest.StateID(aclAddress)),
		}},
	})
}

// A prefix list known only at apply: the plan leaves the entries unknown
// and the apply resolves them.
func TestAccSubnetNACL_prefixListKnownAtApply(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{{
			Config: providerConfig(rec) + fmt.Sprintf(`
resource "terraform_data" "s3" {
  input = %q
}

resource "ddve_subnet_nacl" "test" {
  vpc_id   = %q
  profiles = { object_storage = { prefix_list_ids = [terraform_data.s3.output] } }
}
`, n.S3PrefixListID, n.VPCID),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectUnknownValue(aclAddress, tfjsonpath.New("entries")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(aclAddress, tfjsonpath.New("entries"), knownvalue.SetSizeExact((1+len(acctest.DDVEReturnPorts))*len(n.S3PrefixListCIDR)+2)), // and path MTU discovery in and out
			},
		}},
	})
}

// Throttled entry calls are retried by the SDK and the apply succeeds.
func TestAccSubnetNACL_throttlingRetried(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{{
			PreConfig: func() {
				rec.Reset()
				rec.Throttle("CreateNetworkAclEntry", 2)
			},
			Config: aclConfig(rec, n, []string{n.DDVESubnetID}, "10.0.1.10/32"),
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.ExpectACLEntries(rec, aclAddress, seedEntries(n)),
				// Every entry once, plus the 2 throttled calls.
				acctest.ExpectCallCount(rec, "CreateNetworkAclEntry", len(seedEntries(n))+2),
			},
		}},
	})
}

func TestAccSubnetNACL_badInput(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	bad := func(body string) string {
		return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "test" {
  vpc_id = %q
%s
}
`, n.VPCID, body)
	}
	cases := []struct{ body, want string }{
		{fmt.Sprintf(`profiles = { management = { security_group_ids = [%q] } }`, n.BastionGroupID),
			"Network ACL entries take CIDR blocks only"},
		{fmt.Sprintf(`profiles = { management = { cidr_blocks = %s } }`, hclList(hostCIDRs(10))),
			"needs 21 IPv4 ingress entries plus the built-in deny-all, 22 in all, over the quota of 20"},
		// AWS grants at most 40 entries per direction, so a deny band of
		// 899 numbers never fills: the quota is what stops a long list.
		{`entries_per_direction_quota = 1000`,
			"AWS allows at most 40 entries per direction and IP family in a network ACL"},
		{`entries_per_direction_quota = 1`, "must be at least 2"},
		{`profiles = { management = { cidr_blocks = ["10.0.1.10/32"] } }
deny = [for i in range(40) : { cidr_block = "5.5.${i}.0/24" }]
entries_per_direction_quota = 40`,
			"needs 43 IPv4 ingress entries plus the built-in deny-all, 44 in all, over the quota of 40. The quota is passed at"},
		{`profiles = { management = { cidr_blocks = ["10.0.1.300/32"] } }`, `"10.0.1.300/32" is not a CIDR block`},
		{`deny = [{ cidr_block = "5.5.5.5/24" }]`, "write 5.5.5.0/24 for the network"},
		{`profiles = { ntp = { cidr_blocks = ["10.0.0.2/32"] } }
ephemeral_ports = { from_port = 60000, to_port = 1024 }`, "from_port 60000 is above to_port 1024"},
		{`deny = [{ cidr_block = "5.5.5.5/32", from_port = 22, to_port = 22 }]`, "Protocol all has no ports"},
		{`subnet_ids = ["ddve-private"]`, "must be a subnet ID such as subnet-0123456789abcdef0"},
		{`profiles = { object_storage = { prefix_list_ids = ["pl-0123456789abcdef0"] } }`, "prefix list pl-0123456789abcdef0"},
	}
	acctest.ExpectNoMutationsInTest(t, rec)
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:      bad(c.body),
			PlanOnly:    true,
			ExpectError: wrapped(c.want),
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
		CheckDestroy:             acctest.ExpectNoMutatingCalls(rec).Func(),
	})
}

// checkACLsDestroyed: every ACL is gone and its subnets are back on the
// VPC's default ACL.
func checkACLsDestroyed(n *acctest.Network) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		if err := acctest.ExpectACLsGone(context.Background(), testEC2(), n.VPCID, acctest.StateIDs(s, "ddve_subnet_nacl")); err != nil {
			return err
		}
		for _, subnet := range []string{n.BastionSubnetID, n.DDVESubnetID, n.SpareSubnetID} {
			if err := acctest.CheckSubnetOn(testEC2(), subnet, acctest.FixedID(n.DefaultACLID))(s); err != nil {
				return err
			}
		}
		return nil
	}
}

// A new ephemeral range changes the return entry, which keeps its number:
// it is swapped in place by one ReplaceNetworkAclEntry, which is atomic,
// and nothing is deleted, so no reply is dropped during the apply. (With
// nothing deleted, ExpectCallsBefore has no order to check.)
func TestAccSubnetNACL_ephemeralChangeKeepsFlows(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := func(from, to int) string {
		return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "test" {
  vpc_id          = %q
  subnet_ids      = [%q]
  profiles        = { management = { cidr_blocks = ["10.0.1.10/32"] } }
  ephemeral_ports = { from_port = %d, to_port = %d }
}
`, n.VPCID, n.DDVESubnetID, from, to)
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{
			{
				Config: config(1024, 65535),
				ConfigStateChecks: []statecheck.StateCheck{acctest.ExpectACLEntries(rec, aclAddress, []string{
					"egress 1000 allow 6 10.0.1.10/32 ports 1024-65535 icmp -",
					"ingress 1000 allow 6 10.0.1.10/32 ports 22-22 icmp -",
					"ingress 1010 allow 6 10.0.1.10/32 ports 443-443 icmp -",
					"ingress 900 allow 1 0.0.0.0/0 ports - icmp 3/4",
					"egress 900 allow 1 0.0.0.0/0 ports - icmp 3/4",
				})},
			},
			{
				PreConfig: rec.Reset,
				Config:    config(32768, 60999),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(aclAddress, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectACLEntries(rec, aclAddress, []string{
						"egress 1000 allow 6 10.0.1.10/32 ports 32768-60999 icmp -",
						"ingress 1000 allow 6 10.0.1.10/32 ports 22-22 icmp -",
						"ingress 1010 allow 6 10.0.1.10/32 ports 443-443 icmp -",
						"ingress 900 allow 1 0.0.0.0/0 ports - icmp 3/4",
						"egress 900 allow 1 0.0.0.0/0 ports - icmp 3/4",
					}),
					acctest.ExpectMutatingCalls(rec, map[string]int{"ReplaceNetworkAclEntry": 1}),
				},
			},
		},
	})
}

// ICMP entries carry a type and code, and their answers are other types:
// a ping out needs echo replies (type 0) back in, an ICMPv6 echo in (128)
// needs its reply (129) out, and a one-way message gets no return entry.
// The plan after the apply is empty only if the entries read back as
// written.
func TestAccSubnetNACL_icmp(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{
			{
				Config: providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "test" {
  vpc_id     = %q
  subnet_ids = [%q]
  custom_rules = [
    { direction = "egress", protocol = "icmp", from_port = 8, to_port = -1, cidr_blocks = ["10.0.9.0/24"], description = "ping" },
    { direction = "ingress", protocol = "icmpv6", from_port = 128, to_port = 0, ipv6_cidr_blocks = ["2001:db8:9::/64"], description = "ping6" },
    { direction = "ingress", protocol = "icmp", from_port = 3, to_port = 4, cidr_blocks = ["10.0.9.0/24"], description = "path MTU" },
  ]
}
`, n.VPCID, n.DDVESubnetID),
				ConfigStateChecks: []statecheck.StateCheck{acctest.ExpectACLEntries(rec, aclAddress, []string{
					"egress 1000 allow 1 10.0.9.0/24 ports - icmp 8/-1",
					"egress 1010 allow 58 2001:db8:9::/64 ports - icmp 129/0",
					"ingress 1000 allow 1 10.0.9.0/24 ports - icmp 0/-1",
					"ingress 1010 allow 58 2001:db8:9::/64 ports - icmp 128/0",
					// Path MTU discovery for both families the peers use;
					// the custom ICMP 3/4 rule lies inside it and is left out.
					"ingress 900 allow 1 0.0.0.0/0 ports - icmp 3/4",
					"ingress 910 allow 58 ::/0 ports - icmp 2/-1",
					"egress 900 allow 1 0.0.0.0/0 ports - icmp 3/4",
					"egress 910 allow 58 ::/0 ports - icmp 2/-1",
				})},
			},
			{
				// Import reads the types and codes back as well.
				ResourceName:            aclAddress,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: append(purposeKeys(8), "timeouts", "custom_rules", "prefix_list_versions"),
			},
		},
	})
}

// Path MTU discovery through Terraform: on by default, for the families
// the peers use, in its own band and outside the public-ingress guard;
// off, the entries go and nothing else moves.
func TestAccSubnetNACL_pathMTUDiscovery(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := func(pmtu string) string {
		return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "test" {
  vpc_id     = %q
  subnet_ids = [%q]
  profiles = {
    replication = { cidr_blocks = ["10.1.0.0/16"], ipv6_cidr_blocks = ["2001:db8:1::/64"] }
  }
  deny = [{ cidr_block = "5.5.5.5/32" }]
  # One return range, so that the entries are few.
  ddve_ephemeral_ports = { from_port = 1024, to_port = 65535 }
  %s
}

resource "ddve_security_group" "test" {
  name   = "ddve-pmtu"
  vpc_id = %q
  profiles = {
    replication = { cidr_blocks = ["10.1.0.0/16"] }
  }
  %s
}
`, n.VPCID, n.DDVESubnetID, pmtu, n.VPCID, pmtu)
	}
	// The requests on 2051 lie inside the return entries, 1024-65535 both
	// ways, and are left out.
	replication := []string{
		"ingress 10 deny -1 5.5.5.5/32 ports - icmp -",
		"ingress 1000 allow 6 10.1.0.0/16 ports 1024-65535 icmp -",
		"ingress 1010 allow 6 2001:db8:1::/64 ports 1024-65535 icmp -",
		"egress 1000 allow 6 10.1.0.0/16 ports 1024-65535 icmp -",
		"egress 1010 allow 6 2001:db8:1::/64 ports 1024-65535 icmp -",
	}
	pmtu := []string{
		"ingress 900 allow 1 0.0.0.0/0 ports - icmp 3/4",
		"ingress 910 allow 58 ::/0 ports - icmp 2/-1",
		"egress 900 allow 1 0.0.0.0/0 ports - icmp 3/4",
		"egress 910 allow 58 ::/0 ports - icmp 2/-1",
	}
	groupRules := []string{
		`ingress tcp 2051-2051 cidr 10.1.0.0/16 description "ddve replication: replication"`,
		`egress tcp 2051-2051 cidr 10.1.0.0/16 description "ddve replication: replication"`,
	}
	pmtuRule := `ingress icmp 3-4 cidr 0.0.0.0/0 description "ddve path_mtu_discovery: fragmentation needed"`
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{
			{
				Config: config(""),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectACLEntries(rec, aclAddress, slices.Concat(replication, pmtu)),
					acctest.ExpectGroupRules(testEC2(), "ddve_security_group.test", append(slices.Clone(groupRules), pmtuRule)),
					statecheck.ExpectKnownValue(aclAddress, tfjsonpath.New("path_mtu_discovery"), knownvalue.Bool(true)),
				},
			},
			{
				Config: config("path_mtu_discovery = false"),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectACLEntries(rec, aclAddress, replication),
					acctest.ExpectGroupRules(testEC2(), "ddve_security_group.test", groupRules),
				},
			},
		},
	})
}
