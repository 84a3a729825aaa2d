package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	tfconfig "github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// Migrating from hashicorp/aws, with a moved block or with removed and
// import blocks: the object AWS holds is handed over, never recreated, and
// the first apply changes only what the profiles demand, adding before
// removing.

var moveProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"ddve": testAccProtoV6ProviderFactories["ddve"],
	"aws":  standInAWSFactory,
}

// moveVersionChecks runs a move test only where moved blocks may cross
// resource types: Terraform 1.8 and later.
func moveVersionChecks(t *testing.T) []tfversion.TerraformVersionCheck {
	t.Helper()
	return []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)}
}

// expectMovedFrom checks that the plan moves address from previous.
type expectMovedFrom struct{ address, previous string }

func (e expectMovedFrom) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address == e.address {
			if rc.PreviousAddress != e.previous {
				resp.Error = fmt.Errorf("%s moves from %q, want %q", e.address, rc.PreviousAddress, e.previous)
			}
			return
		}
	}
	resp.Error = fmt.Errorf("%s not in the plan", e.address)
}

func expectSameID(address string, id *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[address]
		if !ok {
			return fmt.Errorf("%s not in state", address)
		}
		if rs.Primary.ID != *id {
			return fmt.Errorf("%s is %s, the moved object was %s: it was recreated", address, rs.Primary.ID, *id)
		}
		return nil
	}
}

// awsGroupConfig is how the seed's DDVE group reads with hashicorp/aws:
// SSH and HTTPS from the bastion's address and group, HTTPS to S3.
func awsGroupConfig(n *acctest.Network, managementCIDR string) string {
	return fmt.Sprintf(`
resource "aws_security_group" "ddve" {
  name        = "ddve-legacy"
  description = "DDVE in the private subnet"
  vpc_id      = %[1]q

  ingress {
    description     = "SSH from the bastion"
    from_port       = 22
    to_port         = 22
    protocol        = "tcp"
    cidr_blocks     = [%[2]q]
    security_groups = [%[3]q]
  }
  ingress {
    description     = "DD System Manager"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    cidr_blocks     = [%[2]q]
    security_groups = [%[3]q]
  }
  egress {
    description     = "S3 through the gateway endpoint"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    prefix_list_ids = [%[4]q]
  }

  tags = { Name = "ddve-legacy" }
}
`, n.VPCID, managementCIDR, n.BastionGroupID, n.S3PrefixListID)
}

// movedGroupConfig replaces the aws_security_group with a moved block and
// the ddve_security_group of the same intent.
func movedGroupConfig(rec *acctest.Recorder, n *acctest.Network, managementCIDR string) string {
	return providerConfig(rec) + `
moved {
  from = aws_security_group.ddve
  to   = ddve_security_group.ddve
}
` + ddveGroupConfig(n, managementCIDR)
}

func ddveGroupConfig(n *acctest.Network, managementCIDR string) string {
	return fmt.Sprintf(`
resource "ddve_security_group" "ddve" {
  name        = "ddve-legacy"
  description = "DDVE in the private subnet"
  vpc_id      = %[1]q

  profiles = {
    management = {
      cidr_blocks        = [%[2]q]
      security_group_ids = [%[3]q]
    }
    object_storage = { prefix_list_ids = [%[4]q] }
  }
  # The group made by hashicorp/aws has no path MTU discovery rule: the
  # move is to change nothing the profiles do not ask for.
  path_mtu_discovery = false

  tags = { Name = "ddve-legacy" }
}
`, n.VPCID, managementCIDR, n.BastionGroupID, n.S3PrefixListID)
}

const movedGroupAddress = "ddve_security_group.ddve"

// The rules already allow what the profiles do, so only their descriptions
// change; no rule is authorized or revoked.
func TestAccSecurityGroup_moveFromAWS(t *testing.T) {
	testAccGroupMove(t, "10.0.1.10/32", func(rec *acctest.Recorder) resource.TestCheckFunc {
		return acctest.ExpectOnlyMutatingCalls(rec, "ModifySecurityGroupRules").Func()
	})
}

// The profiles name a narrower peer than the old rules: the new rules are
// authorized before the old ones are revoked, so SSH and HTTPS from the
// bastion never stop.
func TestAccSecurityGroup_moveFromAWSAuthorizesFirst(t *testing.T) {
	testAccGroupMove(t, "10.0.1.0/24", func(rec *acctest.Recorder) resource.TestCheckFunc {
		return resource.ComposeTestCheckFunc(
			acctest.ExpectNoCallsOf(rec, "CreateSecurityGroup", "DeleteSecurityGroup").Func(),
			acctest.ExpectCallsBefore(rec, []string{"AuthorizeSecurityGroupIngress"}, []string{"RevokeSecurityGroupIngress"}).Func(),
		)
	})
}

// testAccGroupMove moves a group that hashicorp/aws made with SSH and HTTPS
// from oldCIDR onto the seed's profiles (from 10.0.1.10/32): the same group
// is updated in place, the apply passes calls, and nothing is left to do.
func testAccGroupMove(t *testing.T, oldCIDR string, calls func(*acctest.Recorder) resource.TestCheckFunc) {
	checks := moveVersionChecks(t)
	rec := testRecorder(t)
	n := testNetwork(t)
	var groupID string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		TerraformVersionChecks:   checks,
		ProtoV6ProviderFactories: moveProviderFactories,
		CheckDestroy:             checkGroupsDestroyed,
		Steps: []resource.TestStep{
			// The group as hashicorp/aws made it.
			{
				Config: awsGroupConfig(n, oldCIDR),
				Check:  acctest.CaptureID("aws_security_group.ddve", &groupID),
			},
			// Moved: the same group, updated in place.
			{
				PreConfig: rec.Reset,
				Config:    movedGroupConfig(rec, n, "10.0.1.10/32"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectMovedFrom{movedGroupAddress, "aws_security_group.ddve"},
					plancheck.ExpectResourceAction(movedGroupAddress, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(
					expectSameID(movedGroupAddress, &groupID),
					calls(rec),
					// ddveGroupConfig's profiles are groupConfig's, without
					// path MTU discovery: the moved rules carry the
					// profiles' descriptions.
					acctest.ExpectGroupRules(testEC2(), movedGroupAddress,
						slices.DeleteFunc(groupRuleKeys(n, "10.0.1.10/32"), func(k string) bool { return k == pathMTURuleKey })).Func(),
				),
			},
			// And then nothing is left to do.
			{
				Config: movedGroupConfig(rec, n, "10.0.1.10/32"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}

// awsACLConfig is the seed's DDVE subnet ACL as written for hashicorp/aws,
// numbered the way hand-written ACLs usually are.
func awsACLConfig(n *acctest.Network) string {
	return fmt.Sprintf(`
resource "aws_network_acl" "ddve" {
  vpc_id     = %[1]q
  subnet_ids = [%[2]q]

  ingress {
    rule_no    = 50
    action     = "deny"
    protocol   = "-1"
    cidr_block = "5.5.5.5/32"
    from_port  = 0
    to_port    = 0
  }
  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "6"
    cidr_block = "10.0.1.10/32"
    from_port  = 22
    to_port    = 22
  }
  ingress {
    rule_no    = 110
    action     = "allow"
    protocol   = "6"
    cidr_block = "10.0.1.10/32"
    from_port  = 443
    to_port    = 443
  }
  egress {
    rule_no    = 100
    action     = "allow"
    protocol   = "6"
    cidr_block = "10.0.1.10/32"
    from_port  = 1024
    to_port    = 65535
  }

  tags = { Name = "ddve-private" }
}
`, n.VPCID, n.DDVESubnetID)
}

func movedACLConfig(rec *acctest.Recorder, n *acctest.Network) string {
	return providerConfig(rec) + `
moved {
  from = aws_network_acl.ddve
  to   = ddve_subnet_nacl.ddve
}
` + ddveACLConfig(n)
}

func ddveACLConfig(n *acctest.Network) string {
	return fmt.Sprintf(`
resource "ddve_subnet_nacl" "ddve" {
  vpc_id     = %[1]q
  subnet_ids = [%[2]q]

  profiles = {
    management = { cidr_blocks = ["10.0.1.10/32"] }
  }
  deny = [{ cidr_block = "5.5.5.5/32" }]
  # As the group's: the ACL made by hashicorp/aws has no path MTU entries.
  path_mtu_discovery = false

  tags = { Name = "ddve-private" }
}
`, n.VPCID, n.DDVESubnetID)
}

const movedACLAddress = "ddve_subnet_nacl.ddve"

// The moved ACL keeps its ID and its subnet. The deny keeps its number (it
// lies in the deny band); the allows move into the allow band: the new
// entries are created before the old numbers are deleted, so no flow stops.
func TestAccSubnetNACL_moveFromAWS(t *testing.T) {
	checks := moveVersionChecks(t)
	rec := testRecorder(t)
	n := testNetwork(t)
	var aclID string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		TerraformVersionChecks:   checks,
		ProtoV6ProviderFactories: moveProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{
			{
				Config: awsACLConfig(n),
				Check:  acctest.CaptureID("aws_network_acl.ddve", &aclID),
			},
			{
				PreConfig: rec.Reset,
				Config:    movedACLConfig(rec, n),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectMovedFrom{movedACLAddress, "aws_network_acl.ddve"},
					plancheck.ExpectResourceAction(movedACLAddress, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(
					expectSameID(movedACLAddress, &aclID),
					acctest.ExpectOnlyMutatingCalls(rec, "CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "DeleteNetworkAclEntry").Func(),
					acctest.ExpectCallsBefore(rec, []string{"CreateNetworkAclEntry", "ReplaceNetworkAclEntry"}, []string{"DeleteNetworkAclEntry"}).Func(),
					acctest.CheckSubnetOn(testEC2(), n.DDVESubnetID, acctest.StateID(movedACLAddress)),
					acctest.ExpectACLEntries(rec, movedACLAddress, []string{
						"egress 1000 allow 6 10.0.1.10/32 ports 1024-65535 icmp -",
						"ingress 1000 allow 6 10.0.1.10/32 ports 22-22 icmp -",
						"ingress 1010 allow 6 10.0.1.10/32 ports 443-443 icmp -",
						"ingress 50 deny -1 5.5.5.5/32 ports 0-0 icmp -",
					}).Func(),
				),
			},
			{
				Config: movedACLConfig(rec, n),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}

// lazyString is a configuration variable read when the step runs, for IDs
// an earlier step made.
type lazyString struct{ value *string }

func (v lazyString) MarshalJSON() ([]byte, error) { return json.Marshal(*v.value) }

// expectForgotten checks that the plan drops address from the state
// without destroying it.
type expectForgotten struct{ address string }

func (e expectForgotten) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address == e.address {
			if !slices.Equal(rc.Change.Actions, tfjson.Actions{tfjson.ActionForget}) {
				resp.Error = fmt.Errorf("%s: actions %v, want forget", e.address, rc.Change.Actions)
			}
			return
		}
	}
	resp.Error = fmt.Errorf("%s not in the plan", e.address)
}

// Where moved cannot cross resource types, the guide's way: a removed block
// forgets the aws_* resource without destroying it, and an import block
// hands its ID to the ddve resource, in one plan.
func TestAccMigrateFromAWS_removedAndImport(t *testing.T) {
	n := testNetwork(t)
	var groupID, aclID string
	removedAndImport := `
variable "group_id" { type = string }
variable "acl_id" { type = string }

removed {
  from = aws_security_group.ddve
  lifecycle {
    destroy = false
  }
}
import {
  to = ddve_security_group.ddve
  id = var.group_id
}

removed {
  from = aws_network_acl.ddve
  lifecycle {
    destroy = false
  }
}
import {
  to = ddve_subnet_nacl.ddve
  id = var.acl_id
}
`
	rec := testRecorder(t)
	config := providerConfig(rec) + ddveGroupConfig(n, "10.0.1.10/32") + ddveACLConfig(n) + removedAndImport
	resource.ParallelTest(t, resource.TestCase{
		PreCheck: func() { testAccPreCheck(t) },
		// removed blocks, and import blocks whose ID is a variable.
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_7_0)},
		ProtoV6ProviderFactories: moveProviderFactories,
		CheckDestroy:             resource.ComposeTestCheckFunc(checkGroupsDestroyed, checkACLsDestroyed(n)),
		Steps: []resource.TestStep{
			{
				Config: awsGroupConfig(n, "10.0.1.10/32") + awsACLConfig(n),
				Check: resource.ComposeTestCheckFunc(
					acctest.CaptureID("aws_security_group.ddve", &groupID), acctest.CaptureID("aws_network_acl.ddve", &aclID)),
			},
			{
				PreConfig:       rec.Reset,
				Config:          config,
				ConfigVariables: map[string]tfconfig.Variable{"group_id": lazyString{&groupID}, "acl_id": lazyString{&aclID}},
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectForgotten{"aws_security_group.ddve"},
					expectForgotten{"aws_network_acl.ddve"},
					plancheck.ExpectResourceAction(movedGroupAddress, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(movedACLAddress, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(
					expectSameID(movedGroupAddress, &groupID),
					expectSameID(movedACLAddress, &aclID),
					acctest.ExpectOnlyMutatingCalls(rec, "ModifySecurityGroupRules", "CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "DeleteNetworkAclEntry").Func(),
					acctest.ExpectCallsBefore(rec, []string{"CreateNetworkAclEntry", "ReplaceNetworkAclEntry"}, []string{"DeleteNetworkAclEntry"}).Func(),
				),
			},
			{
				Config:          config,
				ConfigVariables: map[string]tfconfig.Variable{"group_id": lazyString{&groupID}, "acl_id": lazyString{&aclID}},
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}
