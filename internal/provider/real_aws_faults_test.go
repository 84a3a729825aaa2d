package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// What AWS does and moto never shows, put through Terraform: a reply lost
// after the call took effect (the SDK repeats the call, and AWS answers
// the repeat as it answers a repeated call) and a new ID unknown for a
// while (the next calls naming it answer its not-found code). Each apply
// meets every fault of its phase at once and must converge: exactly one
// resource exists, the plan after the apply is empty (the harness checks
// it), and destroy leaves nothing. The EC2 layer's sweep
// (internal/awsec2, TestFaultSweep*) meets the same faults one at a time.

// phaseFaults are the faults one apply meets.
type phaseFaults struct {
	lost      []string // calls whose first reply is lost
	lagCreate string   // the create call whose new ID lags
	lagging   []string // the actions whose first two calls naming the ID fail
}

func (f phaseFaults) arm(rec *acctest.Recorder) {
	rec.ClearFaults()
	for _, action := range f.lost {
		rec.LoseReply(action, 1)
	}
	if f.lagCreate != "" {
		rec.Lag(f.lagCreate, 2, f.lagging...)
	}
}

func (f phaseFaults) String() string {
	if f.lagCreate != "" {
		return fmt.Sprintf("lag after %s at %s", f.lagCreate, strings.Join(f.lagging, ", "))
	}
	return "lost replies at " + strings.Join(f.lost, ", ")
}

// faultStep is one apply with the faults it meets.
type faultStep struct {
	phase  string
	config string
	faults phaseFaults
	check  resource.TestCheckFunc
}

// runFaultSteps runs the steps, checking after each apply that every
// fault was met and the resources are as they should be, then that
// nothing is left.
func runFaultSteps(t *testing.T, rec *acctest.Recorder, resourceName string, checkDestroy resource.TestCheckFunc, plan []faultStep) {
	steps := make([]resource.TestStep, len(plan))
	for i, s := range plan {
		steps[i] = resource.TestStep{
			PreConfig: func() { s.faults.arm(rec) },
			Config:    s.config,
			// Every fault was met: the calls it was armed for were made.
			ConfigStateChecks: []statecheck.StateCheck{acctest.ExpectNoPendingFaults(rec)},
			Check: resource.ComposeTestCheckFunc(s.check, func(*terraform.State) error {
				t.Logf("survived: %s %s, %s", resourceName, s.phase, s.faults)
				return nil
			}),
		}
	}
	// A failed step names no single fault: the calls say which one.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("calls: %v", rec.Sequence())
		}
	})
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroy,
		Steps:                    steps,
	})
}

func sweepGroupConfigs(rec *acctest.Recorder, n *acctest.Network) (a, b string) {
	config := func(peer, description, extraRule, tags string) string {
		return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_security_group" "test" {
  name   = "ddve-sweep"
  vpc_id = %q
  profiles = {
    management     = { cidr_blocks = [%q] }
    object_storage = { prefix_list_ids = [%q] }
  }
  custom_rules = [
    { direction = "egress", protocol = "tcp", from_port = 8443, to_port = 8443, cidr_blocks = ["10.0.9.0/24"], description = %q },
    %s
  ]
  tags = %s
}
`, n.VPCID, peer, n.S3PrefixListID, description, extraRule, tags)
	}
	a = config("10.0.1.10/32", "agent v1", "", `{ Name = "ddve-sweep", stage = "a" }`)
	b = config("10.0.1.11/32", "agent v2",
		`{ direction = "egress", protocol = "tcp", from_port = 9443, to_port = 9443, cidr_blocks = ["10.0.8.0/24"] },`,
		`{ Name = "ddve-sweep", owner = "b" }`)
	return a, b
}

func sweepACLConfigs(rec *acctest.Recorder, n *acctest.Network) (a, b string) {
	config := func(subnet, peer, denied, tags string) string {
		return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "test" {
  vpc_id     = %q
  subnet_ids = [%q]
  profiles   = { management = { cidr_blocks = %s } }
  deny       = [{ cidr_block = %q }]
  tags       = %s
}
`, n.VPCID, subnet, peer, denied, tags)
	}
	a = config(n.DDVESubnetID, `["10.0.1.10/32"]`, "5.5.5.5/32", `{ Name = "ddve-sweep", stage = "a" }`)
	b = config(n.SpareSubnetID, `["10.0.1.10/32", "10.0.1.11/32"]`, "5.5.5.6/32", `{ Name = "ddve-sweep", owner = "b" }`)
	return a, b
}

// Going from A to B authorizes ingress and egress, revokes ingress,
// modifies a description, deletes one tag and creates another; going back
// revokes egress instead of authorizing it.
//
// The recorder passes moto's authorize answers through, which list the
// last permission's rules only: the create then reads the rules back and
// puts back the descriptions moto drops, and those calls meet faults too.
// With AWS's answers the create reads nothing back; the EC2 layer's sweep
// puts the faults to both.
func TestAccRealAWS_securityGroupFaults(t *testing.T) {
	rec := testRecorder(t)
	rec.EmulatorAuthorizeAnswers(true)
	n := testNetwork(t)
	a, b := sweepGroupConfigs(rec, n)
	one, none := checkSweepGroups(n, 1), checkSweepGroups(n, 0)
	runFaultSteps(t, rec, "security group", checkGroupsDestroyed, []faultStep{
		{"create", a, phaseFaults{lost: []string{"CreateSecurityGroup", "AuthorizeSecurityGroupIngress",
			"AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress", "ModifySecurityGroupRules"}}, one},
		{"update", b, phaseFaults{lost: []string{"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
			"RevokeSecurityGroupIngress", "ModifySecurityGroupRules", "CreateTags", "DeleteTags"}}, one},
		{"update", a, phaseFaults{lost: []string{"AuthorizeSecurityGroupIngress", "RevokeSecurityGroupEgress",
			"RevokeSecurityGroupIngress", "ModifySecurityGroupRules", "CreateTags", "DeleteTags"}}, one},
		{"destroy", providerConfig(rec), phaseFaults{lost: []string{"DeleteSecurityGroup"}}, none},
		{"create", a, phaseFaults{lagCreate: "CreateSecurityGroup", lagging: []string{"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress",
			"DescribeSecurityGroupRules", "ModifySecurityGroupRules"}}, one},
	})
}

// Going from A to B creates entries for a new peer and going back deletes
// them; both replace the deny entry in place, move one subnet on and one
// off, and change tags both ways.
func TestAccRealAWS_subnetNACLFaults(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	a, b := sweepACLConfigs(rec, n)
	one, none := checkCustomACLs(n, 1), checkCustomACLs(n, 0)
	runFaultSteps(t, rec, "network ACL", checkACLsDestroyed(n), []faultStep{
		{"create", a, phaseFaults{lost: []string{"CreateNetworkAcl", "CreateNetworkAclEntry", "ReplaceNetworkAclAssociation"}}, one},
		{"update", b, phaseFaults{lost: []string{"CreateNetworkAclEntry", "ReplaceNetworkAclEntry",
			"ReplaceNetworkAclAssociation", "CreateTags", "DeleteTags"}}, one},
		{"update", a, phaseFaults{lost: []string{"DeleteNetworkAclEntry", "ReplaceNetworkAclEntry",
			"ReplaceNetworkAclAssociation", "CreateTags", "DeleteTags"}}, one},
		{"destroy", providerConfig(rec), phaseFaults{lost: []string{"ReplaceNetworkAclAssociation", "DeleteNetworkAcl"}}, none},
		{"create", a, phaseFaults{lagCreate: "CreateNetworkAcl", lagging: []string{"CreateNetworkAclEntry",
			"ReplaceNetworkAclAssociation", "DescribeNetworkAcls"}}, one},
	})
}

// checkSweepGroups checks how many groups of the sweep's name the VPC
// holds.
func checkSweepGroups(n *acctest.Network, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		count, err := groupsNamed(n.VPCID, "ddve-sweep")
		if err == nil && count != want {
			err = fmt.Errorf("%d groups named ddve-sweep, want %d", count, want)
		}
		return err
	}
}

// checkCustomACLs checks how many ACLs besides the default the VPC holds.
func checkCustomACLs(n *acctest.Network, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		out, err := testEC2().DescribeNetworkAcls(context.Background(), &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{n.VPCID}},
		}})
		if err != nil {
			return err
		}
		count := 0
		for _, acl := range out.NetworkAcls {
			if !aws.ToBool(acl.IsDefault) {
				count++
			}
		}
		if count != want {
			return fmt.Errorf("%d network ACLs besides the default, want %d", count, want)
		}
		return nil
	}
}
