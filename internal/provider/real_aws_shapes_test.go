package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// In a VPC with IPv6 a new group allows all egress to 0.0.0.0/0 and ::/0.
// A posture that wants all egress over IPv6 keeps that rule: it is neither
// authorized again (AWS would refuse the whole call as a duplicate) nor
// revoked and put back; the IPv4 one goes in the one revoke of the create.
func TestAccSecurityGroup_ipv6DefaultEgress(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := providerConfig(rec) + fmt.Sprintf(`
resource "ddve_security_group" "test" {
  name   = "ddve-dual-stack"
  vpc_id = %q
  profiles = { management = { cidr_blocks = ["10.0.1.10/32"] } }
  custom_rules = [
    { direction = "egress", protocol = "-1", ipv6_cidr_blocks = ["::/0"], description = "all IPv6 out" },
  ]
}
`, n.VPCID)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGroupsDestroyed,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				rec.Reset()
				// AWS refuses an authorize that repeats a rule the group
				// holds; the emulator would take it.
				rec.Fail("AuthorizeSecurityGroupEgress", 400, "InvalidPermission.Duplicate", 1)
			},
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.ExpectGroupRuleCount(testEC2(), groupAddress, 5), // with path MTU discovery for IPv4 and IPv6
			},
			Check: func(*terraform.State) error {
				rec.Fail("AuthorizeSecurityGroupEgress", 400, "", 0)
				m := rec.Calls().Mutating()
				if m["AuthorizeSecurityGroupEgress"] != 0 || m["RevokeSecurityGroupEgress"] != 1 || m["ModifySecurityGroupRules"] != 1 {
					return fmt.Errorf("want no egress authorize, one revoke (the IPv4 default) and one description set: %v", m)
				}
				return nil
			},
		}},
	})
}

// Names and descriptions outside AWS's character set fail the plan, with
// the characters AWS takes, instead of the create.
func TestAccSecurityGroup_namesAWSRefuses(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := func(name, description string) string {
		return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_security_group" "test" {
  name        = %q
  description = %q
  vpc_id      = %q
  profiles    = { management = { cidr_blocks = ["10.0.1.10/32"] } }
}
`, name, description, n.VPCID)
	}
	refused := wrapped("must use only letters a-z and A-Z, digits, spaces and ._-:/()#,@[]+=&;{}!$* (AWS refuses other characters)")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config("ddve|backup", "fine"), PlanOnly: true, ExpectError: refused},
			{Config: config("ddve", "Sauvegarde é"), PlanOnly: true, ExpectError: refused},
			{Config: config("ddve (prod) #1: a/b@c[d]+e=f&g;h{i}!$*", "all AWS takes, ._-"), PlanOnly: true, ExpectNonEmptyPlan: true},
		},
	})
}
