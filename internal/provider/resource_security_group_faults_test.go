package provider

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
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

// groupsNamed counts the groups of that name in the VPC, as AWS holds them.
func groupsNamed(vpcID, name string) (int, error) {
	out, err := testEC2().DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpcID}},
		{Name: aws.String("group-name"), Values: []string{name}},
	}})
	if err != nil {
		return 0, err
	}
	return len(out.SecurityGroups), nil
}

// A step after CreateSecurityGroup fails: the group is kept in state, so the
// next apply converges and nothing is left orphaned.
func TestAccSecurityGroup_failedCreateConverges(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := groupConfig(rec, n, "ddve-converge", "10.0.1.10/32")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			count, err := groupsNamed(n.VPCID, "ddve-converge")
			if err == nil && count != 0 {
				err = fmt.Errorf("%d groups named ddve-converge remain after destroy", count)
			}
			return err
		},
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					rec.Fail("AuthorizeSecurityGroupIngress", http.StatusBadRequest, "InvalidPermission.Malformed", 1)
				},
				Config:      config,
				ExpectError: regexp.MustCompile(`InvalidPermission.Malformed`),
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddress, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.ExpectGroupRuleCount(testEC2(), groupAddress, 6), // the seed's 5 and path MTU discovery
				},
				Check: func(*terraform.State) error {
					count, err := groupsNamed(n.VPCID, "ddve-converge")
					if err == nil && count != 1 {
						err = fmt.Errorf("%d groups named ddve-converge, want 1", count)
					}
					return err
				},
			},
		},
	})
}

// DependencyViolation (an interface still uses the group) is retried until
// the delete timeout, then reported with its cause.
func TestAccSecurityGroup_deleteWaitsForDependencies(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	withTimeout := providerConfig(rec) + fmt.Sprintf(`
resource "ddve_security_group" "test" {
  name     = "ddve-in-use"
  vpc_id   = %q
  profiles = { management = { cidr_blocks = ["10.0.1.10/32"] } }
  timeouts {
    delete = "3s"
  }
}
`, n.VPCID)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed,
		Steps: []resource.TestStep{
			{Config: withTimeout},
			// Still in use after the timeout: the error names the cause.
			{
				PreConfig:   func() { rec.Fail("DeleteSecurityGroup", http.StatusBadRequest, "DependencyViolation", 1000) },
				Config:      providerConfig(rec),
				ExpectError: wrapped("is still in use after 3s: a network interface (an instance, endpoint or load balancer) or another group's rule references it"),
			},
			// In use for the first try only: the delete waits and succeeds.
			{
				PreConfig: func() {
					rec.Reset()
					rec.Fail("DeleteSecurityGroup", http.StatusBadRequest, "DependencyViolation", 1)
				},
				Config:            providerConfig(rec),
				ConfigStateChecks: []statecheck.StateCheck{acctest.ExpectCallCount(rec, "DeleteSecurityGroup", 2)},
			},
		},
	})
}

func TestAccSecurityGroup_tagsAndReplace(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := func(name, tags string) string {
		return providerConfig(rec, `default_tags = { tags = { owner = "backup-team" } }`) + fmt.Sprintf(`
resource "ddve_security_group" "test" {
  name     = %q
  vpc_id   = %q
  profiles = { management = { cidr_blocks = ["10.0.1.10/32"] } }
  tags     = %s
}
`, name, n.VPCID, tags)
	}
	var firstID string
	backendTags := func(want map[string]string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			tags, err := acctest.ReadGroupTags(context.Background(), testEC2(), s.RootModule().Resources[groupAddress].Primary.ID)
			if err != nil {
				return err
			}
			// The provider's own tag is there, and kept out of the
			// resource's tags.
			if tags["ddve:creation-token"] == "" {
				return fmt.Errorf("AWS holds tags %v, without ddve:creation-token", tags)
			}
			delete(tags, "ddve:creation-token")
			if !maps.Equal(tags, want) {
				return fmt.Errorf("AWS holds tags %v, want %v", tags, want)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config("ddve-tags", `{ Name = "ddve-tags" }`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddress, tfjsonpath.New("tags"), knownvalue.MapExact(map[string]knownvalue.Check{
						"Name": knownvalue.StringExact("ddve-tags")})),
					statecheck.ExpectKnownValue(groupAddress, tfjsonpath.New("tags_all"), knownvalue.MapExact(map[string]knownvalue.Check{
						"Name": knownvalue.StringExact("ddve-tags"), "owner": knownvalue.StringExact("backup-team")})),
				},
				Check: resource.ComposeTestCheckFunc(
					backendTags(map[string]string{"Name": "ddve-tags", "owner": "backup-team"}),
					acctest.CaptureID(groupAddress, &firstID),
				),
			},
			// Tags change in place; a resource tag overrides a default one.
			{
				Config: config("ddve-tags", `{ Name = "ddve-tags", owner = "dr-team" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddress, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(
					backendTags(map[string]string{"Name": "ddve-tags", "owner": "dr-team"}),
					resource.TestCheckResourceAttrPtr(groupAddress, "id", &firstID),
				),
			},
			// An empty tags map stays empty: the plan after apply is empty.
			{
				Config: config("ddve-tags", `{}`),
				Check:  backendTags(map[string]string{"owner": "backup-team"}),
			},
			// A new name needs a new group.
			{
				Config: config("ddve-tags-renamed", `{ Name = "ddve-tags" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddress, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: func(s *terraform.State) error {
					if id := s.RootModule().Resources[groupAddress].Primary.ID; id == firstID {
						return fmt.Errorf("renamed group kept its ID %s", id)
					}
					return nil
				},
			},
		},
	})
}

// A custom rule's description changes in place: the rule keeps its ID.
func TestAccSecurityGroup_customRules(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := func(description string) string {
		return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_security_group" "test" {
  name   = "ddve-custom"
  vpc_id = %q
  custom_rules = [
    { direction = "ingress", protocol = "tcp", from_port = 8443, to_port = 8443,
      cidr_blocks = ["10.0.9.0/24", "10.0.8.0/24"], description = %q },
    { direction = "egress", protocol = "icmp", from_port = 8, to_port = -1, cidr_blocks = ["10.0.0.0/16"] },
  ]
}
`, n.VPCID, description)
	}
	var ids map[string]string
	backendDescriptions := func(want string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			rules, err := acctest.ReadGroupRules(context.Background(), testEC2(), s.RootModule().Resources[groupAddress].Primary.ID)
			if err != nil {
				return err
			}
			for _, r := range rules {
				if r.FromPort == 8443 && r.Description != want {
					return fmt.Errorf("rule %s has description %q, want %q", r, r.Description, want)
				}
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config("vendor agent"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddress, tfjsonpath.New("rules"), knownvalue.SetPartial([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"description": knownvalue.StringExact("ddve custom: icmp type 8 code -1")}),
					})),
					acctest.ExpectGroupRuleCount(testEC2(), groupAddress, 4), // and path MTU discovery
				},
				Check: resource.ComposeTestCheckFunc(
					backendDescriptions("vendor agent"),
					captureRuleIDs(groupAddress, &ids),
				),
			},
			{
				PreConfig: rec.Reset,
				Config:    config("vendor agent v2"),
				Check: resource.ComposeTestCheckFunc(
					backendDescriptions("vendor agent v2"),
					checkRuleIDsKept(groupAddress, &ids),
					func(*terraform.State) error {
						m := rec.Calls().Mutating()
						if len(m) != 1 || m["ModifySecurityGroupRules"] != 1 {
							return fmt.Errorf("a description change took %v, want one ModifySecurityGroupRules", m)
						}
						return nil
					},
				),
			},
			{
				ResourceName:            groupAddress,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
		},
	})
}

// The provider refuses to start without a region or usable credentials,
// with one error that says what to set.
func TestAccProvider_configurationErrors(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	resourceConfig := fmt.Sprintf(`
resource "ddve_security_group" "test" {
  name     = "ddve-config"
  vpc_id   = %q
  profiles = { management = { cidr_blocks = ["10.0.1.10/32"] } }
}
`, n.VPCID)
	withoutCredentials := func() {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		t.Setenv("AWS_CONFIG_FILE", empty)
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	}
	// It changes the process's environment, so it runs alone: before the
	// parallel tests start, as Go runs the serial tests first.
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					t.Setenv("AWS_REGION", "")
					t.Setenv("AWS_DEFAULT_REGION", "")
					t.Setenv("AWS_CONFIG_FILE", empty)
				},
				Config:      fmt.Sprintf("provider \"ddve\" {\n  endpoints = { ec2 = %q }\n}\n", rec.URL) + resourceConfig,
				PlanOnly:    true,
				ExpectError: wrapped("no AWS region: set region in the provider block, or AWS_REGION"),
			},
			{
				PreConfig:   withoutCredentials,
				Config:      providerConfig(rec) + resourceConfig,
				PlanOnly:    true,
				ExpectError: wrapped("no usable AWS credentials"),
			},
			{
				PreConfig:   withoutCredentials,
				Config:      providerConfig(rec, `profile = "backup-admin"`) + resourceConfig,
				PlanOnly:    true,
				ExpectError: wrapped("failed to get shared config profile, backup-admin"),
			},
		},
	})
}

// Right after CreateSecurityGroup, EC2 may not know the group yet: the
// waiter and the authorize calls wait it out.
func TestAccSecurityGroup_eventualConsistency(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				rec.Reset()
				rec.Fail("AuthorizeSecurityGroupIngress", http.StatusBadRequest, "InvalidGroup.NotFound", 1)
				rec.Fail("AuthorizeSecurityGroupEgress", http.StatusBadRequest, "InvalidGroup.NotFound", 1)
			},
			Config: groupConfig(rec, n, "ddve-consistency", "10.0.1.10/32"),
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.ExpectGroupRuleCount(testEC2(), groupAddress, 6), // the seed's 5 and path MTU discovery
			},
			Check: func(*terraform.State) error {
				calls := rec.Calls()
				if calls["AuthorizeSecurityGroupIngress"] != 2 || calls["AuthorizeSecurityGroupEgress"] != 2 {
					return fmt.Errorf("want each authorize retried once: %v", calls)
				}
				return nil
			},
		}},
	})
}

// assume_role takes a role through STS (at endpoints.sts) before any EC2
// call, and the resources work with the role's credentials.
func TestAccProvider_assumeRole(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := fmt.Sprintf(`
provider "ddve" {
  region = %q
  assume_role = {
    role_arn     = "arn:aws:iam::123456789012:role/ddve-network"
    session_name = "ddve-acceptance"
    external_id  = "backup-team"
  }
  endpoints = { ec2 = %q, sts = %q }
}
`, acctest.Region, rec.URL, rec.URL)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed,
		Steps: []resource.TestStep{{
			PreConfig: rec.Reset,
			Config: config + fmt.Sprintf(`
resource "ddve_security_group" "test" {
  name     = "ddve-assumed"
  vpc_id   = %q
  profiles = { management = { cidr_blocks = ["10.0.1.10/32"] } }
}
`, n.VPCID),
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.ExpectGroupRuleCount(testEC2(), groupAddress, 3), // SSH, HTTPS, path MTU discovery
			},
			Check: func(*terraform.State) error {
				if rec.Calls()["AssumeRole"] == 0 {
					return fmt.Errorf("no AssumeRole call: %v", rec.Calls())
				}
				return nil
			},
		}},
	})
}

// A whole profile known only at apply: the plan leaves the rules unknown
// and the apply compiles them.
func TestAccSecurityGroup_profileKnownAtApply(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed,
		Steps: []resource.TestStep{{
			Config: providerConfig(rec) + fmt.Sprintf(`
resource "terraform_data" "s3" {
  input = { prefix_list_ids = [%q] }
}

resource "ddve_security_group" "test" {
  name     = "ddve-late"
  vpc_id   = %q
  profiles = { object_storage = terraform_data.s3.output }
}
`, n.S3PrefixListID, n.VPCID),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectUnknownValue(groupAddress, tfjsonpath.New("rules")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(groupAddress, tfjsonpath.New("rules"), knownvalue.SetSizeExact(2)),
				acctest.ExpectGroupRuleCount(testEC2(), groupAddress, 2), // and path MTU discovery
			},
		}},
	})
}
