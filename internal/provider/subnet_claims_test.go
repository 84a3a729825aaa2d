package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// Two ddve_subnet_nacl resources that list one subnet would move it back
// and forth on every apply: the plan that adds the second claim warns, and
// its apply fails before it makes anything, naming the ACL that holds the
// subnet.
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
				PreConfig:   rec.Reset,
				Config:      second,
				ExpectError: wrapped(fmt.Sprintf("subnet claimed by another DDVE network ACL: subnet %s is associated with network ACL", n.DDVESubnetID)),
			},
			{
				// The failed apply made nothing: the plan after it shows
				// the second ACL still to be created.
				PreConfig: func() {
					if n := rec.Calls()["CreateNetworkAcl"]; n != 0 {
						t.Fatalf("the refused apply called CreateNetworkAcl %d times", n)
					}
				},
				Config:             second,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
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
				Check: acctest.CheckSubnetOn(testEC2(), n.DDVESubnetID, acctest.StateID("ddve_subnet_nacl.first")),
			},
		},
	})
}

// Two ddve_subnet_nacl resources that list one subnet, created in one
// apply: whichever moves the subnet second finds it moved under it and
// fails at once, naming the subnet and both ACLs, instead of retrying or
// taking it back. Destroy then removes both.
func TestAccSubnetNACL_twoClaimsInOneApply(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	both := providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "first" {
  vpc_id     = %[1]q
  subnet_ids = [%[2]q]
  profiles   = { management = { cidr_blocks = ["10.0.1.10/32"] } }
}

resource "ddve_subnet_nacl" "second" {
  vpc_id     = %[1]q
  subnet_ids = [%[2]q]
  profiles   = { ntp = { cidr_blocks = ["10.0.3.3/32"] } }
}
`, n.VPCID, n.DDVESubnetID)
	var started time.Time
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() { started = time.Now() },
				Config:    both,
				ExpectError: regexp.MustCompile(`subnet\s+claimed\s+by\s+another\s+DDVE\s+network\s+ACL:\s+subnet\s+` + n.DDVESubnetID +
					`\s+(is\s+associated\s+with\s+network\s+ACL\s+acl-\w+|moved\s+from\s+network\s+ACL\s+acl-\w+\s+to\s+acl-\w+\s+while\s+this\s+apply\s+moved\s+it\s+to\s+acl-\w+)`),
			},
			{
				PreConfig: func() {
					t.Logf("the apply with two claims failed after %s", time.Since(started).Round(time.Millisecond))
				},
				Config: providerConfig(rec),
				Check: func(*terraform.State) error {
					acls, err := testEC2().DescribeNetworkAcls(context.Background(), &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{
						{Name: aws.String("vpc-id"), Values: []string{n.VPCID}}, {Name: aws.String("default"), Values: []string{"false"}},
					}})
					if err != nil {
						return err
					}
					if len(acls.NetworkAcls) != 0 {
						return fmt.Errorf("%d network ACLs left in %s after destroy", len(acls.NetworkAcls), n.VPCID)
					}
					return acctest.CheckSubnetOn(testEC2(), n.DDVESubnetID, acctest.FixedID(n.DefaultACLID))(nil)
				},
			},
		},
	})
}

// A tainted ACL that holds its subnet (a create that failed after the
// move leaves one) is replaced: its own subnet is no rival claim, though
// the replacement's plan has no ID to tell it by.
func TestAccSubnetNACL_taintedACLIsReplaced(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	config := providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "first" {
  vpc_id     = %[1]q
  subnet_ids = [%[2]q]
  profiles   = { management = { cidr_blocks = ["10.0.1.10/32"] } }
}
`, n.VPCID, n.DDVESubnetID)
	var before string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{
			{Config: config, Check: acctest.CaptureID("ddve_subnet_nacl.first", &before)},
			{
				Taint:  []string{"ddve_subnet_nacl.first"},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("ddve_subnet_nacl.first", plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.ComposeTestCheckFunc(
					acctest.CheckSubnetOn(testEC2(), n.DDVESubnetID, acctest.StateID("ddve_subnet_nacl.first")),
					func(s *terraform.State) error {
						if acctest.StateID("ddve_subnet_nacl.first")(s) == before {
							return fmt.Errorf("the tainted ACL %s was kept", before)
						}
						return nil
					},
				),
			},
		},
	})
}
