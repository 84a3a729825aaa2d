package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// Two ddve_subnet_nacl resources that list one subnet would move it back
// and forth on every apply: the plan that adds the second claim fails,
// naming the ACL that holds the subnet.
func TestAccSubnetNACL_twoClaimsOnOneSubnet(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	first := providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "first" {
  vpc_id     = %[1]q
  subnet_ids = [%[2]q]
  profiles   = { management = { cidr_blocks = ["10.0.1.10/32"] } }
}
`, n.VPCID, n.DDVESubnetID)
	second := first + fmt.Sprintf(`
resource "ddve_subnet_nacl" "second" {
  vpc_id     = %[1]q
  subnet_ids = [%[2]q]
  profiles   = { ntp = { cidr_blocks = ["10.0.3.3/32"] } }
}
`, n.VPCID, n.DDVESubnetID)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{
			{Config: first},
			{
				Config:      second,
				PlanOnly:    true,
				ExpectError: atLine(fmt.Sprintf("subnet_ids = [%q]", n.DDVESubnetID), "which another ddve_subnet_nacl manages. Two resources that list one subnet move it back and forth on every apply"),
			},
			// A subnet on an ACL made by another tool is no second claim: the
			// plan takes it over, as a migration does.
			{
				PreConfig: func() {
					hand, err := acctest.CreateHandMadePosture(context.Background(), testEC2(), n)
					if err == nil {
						err = acctest.MoveSubnet(context.Background(), testEC2(), n.DDVESubnetID, hand.ACLID)
					}
					if err != nil {
						t.Fatal(err)
					}
				},
				Config: first,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("ddve_subnet_nacl.first", plancheck.ResourceActionUpdate),
				}},
				Check: checkSubnetOn(n.DDVESubnetID, stateID("ddve_subnet_nacl.first")),
			},
		},
	})
}
