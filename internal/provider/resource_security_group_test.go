package provider

import (
	"context"
	"fmt"
	"regexp"
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

const groupAddress = "ddve_security_group.test"

// groupConfig is the seed's posture: management from the bastion's address
// and its group, HTTPS to S3 through the prefix list.
func groupConfig(rec *acctest.Recorder, n *acctest.Network, name string, managementCIDRs ...string) string {
	return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_security_group" "test" {
  name   = %q
  vpc_id = %q

  profiles = {
    management = {
      cidr_blocks        = %s
      security_group_ids = [%q]
    }
    object_storage = { prefix_list_ids = [%q] }
  }

  tags = { Name = %q }
}
`, name, n.VPCID, hclList(managementCIDRs), n.BastionGroupID, n.S3PrefixListID, name)
}

func hclList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = fmt.Sprintf("%q", v)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// tcpRule is the expected state of a TCP rule on one port and peer.
func tcpRule(direction string, port int64, peerAttr, peer, profile, purpose string) knownvalue.Check {
	attrs := map[string]knownvalue.Check{
		"direction": knownvalue.StringExact(direction), "protocol": knownvalue.StringExact("tcp"),
		"from_port": knownvalue.Int64Exact(port), "to_port": knownvalue.Int64Exact(port),
		"cidr_ipv4": knownvalue.Null(), "cidr_ipv6": knownvalue.Null(),
		"referenced_security_group_id": knownvalue.Null(), "prefix_list_id": knownvalue.Null(),
		"description": knownvalue.StringExact("ddve " + profile + ": " + purpose),
		"profile":     knownvalue.StringExact(profile),
		"rule_id":     knownvalue.StringRegexp(regexp.MustCompile(`^sgr-[0-9a-f]+$`)),
	}
	attrs[peerAttr] = knownvalue.StringExact(peer)
	return knownvalue.ObjectExact(attrs)
}

// groupRuleKeys are the rules AWS holds for groupConfig's profiles with
// one management CIDR, as acctest.GroupRuleKey writes them: SSH and HTTPS
// from the CIDR and from the bastion group, HTTPS out to S3, each with the
// description its profile and the catalog's purpose give it.
func groupRuleKeys(n *acctest.Network, managementCIDRs ...string) []string {
	const (
		ssh   = ` description "ddve management: SSH"`
		https = ` description "ddve management: HTTPS"`
		s3    = ` description "ddve object_storage: HTTPS to S3"`
	)
	keys := []string{
		"egress tcp 443-443 prefix-list " + n.S3PrefixListID + s3,
		"ingress tcp 22-22 group " + n.BastionGroupID + ssh,
		"ingress tcp 443-443 group " + n.BastionGroupID + https,
		pathMTURuleKey,
	}
	for _, cidr := range managementCIDRs {
		keys = append(keys, "ingress tcp 22-22 cidr "+cidr+ssh, "ingress tcp 443-443 cidr "+cidr+https)
	}
	return keys
}

// pathMTURuleKey is the rule path MTU discovery, on by default, adds for
// the IPv4 peers.
const pathMTURuleKey = `ingress icmp 3-4 cidr 0.0.0.0/0 description "ddve path_mtu_discovery: fragmentation needed"`

func TestAccSecurityGroup_lifecycle(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	var firstIDs map[string]string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed,
		Steps: []resource.TestStep{
			// Create: the plan shows every rule, only the IDs are unknown.
			{
				Config: groupConfig(rec, n, "ddve-lifecycle", "10.0.1.10/32"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddress, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(groupAddress, tfjsonpath.New("rules"), knownvalue.SetPartial([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"description": knownvalue.StringExact("ddve management: SSH"), "cidr_ipv4": knownvalue.StringExact("10.0.1.10/32")}),
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"prefix_list_id": knownvalue.StringExact(n.S3PrefixListID)}),
					})),
					plancheck.ExpectUnknownValue(groupAddress, tfjsonpath.New("rules").AtSliceIndex(0).AtMapKey("rule_id")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddress, tfjsonpath.New("rules"), knownvalue.SetExact([]knownvalue.Check{
						tcpRule("ingress", 22, "referenced_security_group_id", n.BastionGroupID, "management", "SSH"),
						tcpRule("ingress", 22, "cidr_ipv4", "10.0.1.10/32", "management", "SSH"),
						tcpRule("ingress", 443, "referenced_security_group_id", n.BastionGroupID, "management", "HTTPS"),
						tcpRule("ingress", 443, "cidr_ipv4", "10.0.1.10/32", "management", "HTTPS"),
						tcpRule("egress", 443, "prefix_list_id", n.S3PrefixListID, "object_storage", "HTTPS to S3"),
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"direction": knownvalue.StringExact("ingress"), "protocol": knownvalue.StringExact("icmp"),
							"from_port": knownvalue.Int64Exact(3), "to_port": knownvalue.Int64Exact(4), "cidr_ipv4": knownvalue.StringExact("0.0.0.0/0"),
							"profile": knownvalue.StringExact("path_mtu_discovery"), "description": knownvalue.StringExact("ddve path_mtu_discovery: fragmentation needed"),
						}),
					})),
					statecheck.ExpectKnownValue(groupAddress, tfjsonpath.New("tags_all"), knownvalue.MapExact(map[string]knownvalue.Check{"Name": knownvalue.StringExact("ddve-lifecycle")})),
					statecheck.ExpectKnownValue(groupAddress, tfjsonpath.New("arn"), knownvalue.StringRegexp(regexp.MustCompile(`^arn:aws:ec2:us-east-1:\d{12}:security-group/sg-`))),
					acctest.ExpectGroupRules(testEC2(), groupAddress, groupRuleKeys(n, "10.0.1.10/32")),
				},
				Check: captureRuleIDs(groupAddress, &firstIDs),
			},
			// The same configuration plans nothing, and applying it calls
			// nothing that changes AWS.
			{
				PreConfig: rec.Reset,
				Config:    groupConfig(rec, n, "ddve-lifecycle", "10.0.1.10/32"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{acctest.ExpectNoMutatingCalls(rec)},
			},
			// One more bastion address: rules are added in place and the
			// rules that stay keep their IDs.
			{
				Config: groupConfig(rec, n, "ddve-lifecycle", "10.0.1.10/32", "10.0.1.11/32"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddress, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddress, tfjsonpath.New("rules"), knownvalue.SetSizeExact(8)),
					acctest.ExpectGroupRules(testEC2(), groupAddress, groupRuleKeys(n, "10.0.1.10/32", "10.0.1.11/32")),
				},
				Check: checkRuleIDsKept(groupAddress, &firstIDs),
			},
			// One bastion address replaced by another: the new rules are
			// authorized before the old ones are revoked, so the address
			// that stays never loses a flow.
			{
				PreConfig: rec.Reset,
				Config:    groupConfig(rec, n, "ddve-lifecycle", "10.0.1.11/32", "10.0.1.12/32"),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectGroupRules(testEC2(), groupAddress, groupRuleKeys(n, "10.0.1.11/32", "10.0.1.12/32")),
					acctest.ExpectCallsBefore(rec, []string{"AuthorizeSecurityGroupIngress"}, []string{"RevokeSecurityGroupIngress"}),
				},
			},
			// Import by ID: the recovered state equals the managed one.
			{
				ResourceName:            groupAddress,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
		},
	})
}

func TestAccSecurityGroup_importPlansNothing(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := groupConfig(rec, n, "ddve-import", "10.0.1.10/32")
	var groupID string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed,
		Steps: []resource.TestStep{
			// The group exists before Terraform knows it, made through the
			// SDK as this configuration would make it.
			{
				PreConfig: func() {
					var err error
					groupID, err = acctest.CreateSeedGroup(context.Background(), testEC2(), n, "ddve-import", "DDVE security group managed by Terraform")
					if err != nil {
						t.Fatal(err)
					}
				},
				Config:             config,
				ResourceName:       groupAddress,
				ImportState:        true,
				ImportStateIdFunc:  func(*terraform.State) (string, error) { return groupID, nil },
				ImportStatePersist: true,
			},
			// With that configuration, the imported group plans no change,
			// and the apply changes nothing in AWS.
			{
				PreConfig: rec.Reset,
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{acctest.ExpectNoMutatingCalls(rec)},
			},
		},
	})
}

func TestAccSecurityGroup_drift(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := groupConfig(rec, n, "ddve-drift", "10.0.1.10/32")
	want := groupRuleKeys(n, "10.0.1.10/32")
	var groupID string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed,
		Steps: []resource.TestStep{
			{Config: config, Check: acctest.CaptureID(groupAddress, &groupID)},
			// A rule added and a managed rule revoked outside Terraform: the
			// plan shows an update, and the apply puts AWS back.
			{
				PreConfig: func() {
					ctx := context.Background()
					_, err := testEC2().AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
						GroupId: aws.String(groupID), IpPermissions: []types.IpPermission{{
							IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8080), ToPort: aws.Int32(8080),
							IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
						}},
					})
					if err != nil {
						t.Fatal(err)
					}
					if err := acctest.RevokeGroupIngress(ctx, testEC2(), groupID, 22, "10.0.1.10/32"); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddress, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{acctest.ExpectGroupRules(testEC2(), groupAddress, want)},
			},
			// The group deleted outside Terraform is planned for creation.
			{
				PreConfig: func() {
					if _, err := testEC2().DeleteSecurityGroup(context.Background(), &ec2.DeleteSecurityGroupInput{GroupId: aws.String(groupID)}); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddress, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{acctest.ExpectGroupRules(testEC2(), groupAddress, want)},
			},
		},
	})
}

func TestAccSecurityGroup_badInput(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	bad := func(profiles string) string {
		return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_security_group" "test" {
  name     = "ddve-bad"
  vpc_id   = %q
  profiles = %s
}
`, n.VPCID, profiles)
	}
	steps := []struct {
		profiles string
		want     string
	}{
		{`{ ftp = { cidr_blocks = ["10.0.0.0/8"] } }`, `"ftp" is not a DDVE port profile. Did you mean "ntp"? Valid names: cifs, ddboost`},
		{`{ management = {} }`, `Profile "management" names no peer`},
		{`{ management = { cidr_blocks = ["10.0.1.10/24"] } }`, `write 10.0.1.0/24 for the network, or 10.0.1.10/32 for the single host`},
		{`{ management = { cidr_blocks = ["0.0.0.0/0"] } }`, `set allow_public_ingress = true if this is intended`},
		{`{ management = { ipv6_cidr_blocks = ["10.0.0.0/8"] } }`, `10.0.0.0/8 is IPv4: move it to cidr_blocks`},
		{`{ management = { security_group_ids = ["bastion"] } }`, `"bastion" is not a security group ID`},
		{`{ object_storage = { prefix_list_ids = ["pl-0123456789abcdef0"] } }`, `prefix list pl-0123456789abcdef0: not found in this region`},
		{fmt.Sprintf(`{ management = { cidr_blocks = %s } }`, hclList(hostCIDRs(31))), `needs 63 IPv4 ingress rule slots, over the quota of 60: 63 from IPv4 CIDR rules`},
	}
	acctest.ExpectNoMutationsInTest(t, rec)
	var testSteps []resource.TestStep
	for _, s := range steps {
		testSteps = append(testSteps, resource.TestStep{
			Config:      bad(s.profiles),
			PlanOnly:    true,
			ExpectError: wrapped(s.want),
		})
	}
	// A custom rule with ports on protocol all.
	testSteps = append(testSteps, resource.TestStep{
		Config: providerConfig(rec) + fmt.Sprintf(`
resource "ddve_security_group" "test" {
  name   = "ddve-bad"
  vpc_id = %q
  custom_rules = [{ direction = "egress", protocol = "all", from_port = 1, to_port = 2, cidr_blocks = ["10.0.0.0/8"] }]
}
`, n.VPCID),
		PlanOnly:    true,
		ExpectError: wrapped(`Protocol all has no ports`),
	})
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    testSteps,
		// Nothing reached AWS: no bad plan created anything.
		CheckDestroy: acctest.ExpectNoMutatingCalls(rec).Func(),
	})
}

func hostCIDRs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("10.0.5.%d/32", i+1)
	}
	return out
}

func stateRuleIDs(s *terraform.State, address string) map[string]string {
	attrs := s.RootModule().Resources[address].Primary.Attributes
	ids := map[string]string{}
	for i := 0; ; i++ {
		p := fmt.Sprintf("rules.%d.", i)
		id, ok := attrs[p+"rule_id"]
		if !ok {
			return ids
		}
		key := strings.Join([]string{attrs[p+"direction"], attrs[p+"protocol"], attrs[p+"from_port"], attrs[p+"to_port"],
			attrs[p+"cidr_ipv4"], attrs[p+"cidr_ipv6"], attrs[p+"referenced_security_group_id"], attrs[p+"prefix_list_id"]}, " ")
		ids[key] = id
	}
}

func captureRuleIDs(address string, ids *map[string]string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		*ids = stateRuleIDs(s, address)
		return nil
	}
}

func checkRuleIDsKept(address string, before *map[string]string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		after := stateRuleIDs(s, address)
		for key, id := range *before {
			if after[key] != id {
				return fmt.Errorf("rule %s changed ID from %s to %q", key, id, after[key])
			}
		}
		return nil
	}
}

// checkGroupsDestroyed: a describe filtered on the groups of the state
// lists none of them.
func checkGroupsDestroyed(s *terraform.State) error {
	return acctest.ExpectGroupsGone(context.Background(), testEC2(), acctest.StateIDs(s, "ddve_security_group"))
}
