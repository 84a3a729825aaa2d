package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// The sweep: what AWS does and moto never shows, injected by the recorder
// at each step of each phase of both resources. A reply lost after the
// call took effect (the SDK repeats the call, and AWS answers the repeat
// as it answers a repeated call) and a new ID unknown for a while (the
// next calls naming it answer its not-found code). Every apply must
// converge at once: exactly one resource exists, the plan after the apply
// is empty (the harness checks it), and destroy leaves nothing.

// awsFault is one fault at one step.
type awsFault struct {
	kind   string // "lost reply" or "lag"
	action string // the step: the call that meets the fault
	create string // for a lag, the create call that hands out the lagging ID
}

func lostReply(action string) awsFault { return awsFault{kind: "lost reply", action: action} }

func lagAfter(create, action string) awsFault {
	return awsFault{kind: "lag", action: action, create: create}
}

func (f awsFault) String() string { return f.kind + " at " + f.action }

// arm sets the fault on the test's recorder for the next apply.
func (f *awsFault) arm(rec *acctest.Recorder) {
	rec.ClearFaults()
	if f == nil {
		return
	}
	switch f.kind {
	case "lost reply":
		rec.LoseReply(f.action, 1)
	case "lag":
		rec.Lag(f.create, 2, f.action)
	}
}

// sweepStep is one apply of the sweep, with the fault it meets.
type sweepStep struct {
	phase  string
	config string
	fault  *awsFault
	check  resource.TestCheckFunc
}

// sweepSteps turns the plan into test steps that check, after each apply,
// that the fault was met and the resources are as they should be, and
// logs each step that survived.
func sweepSteps(t *testing.T, rec *acctest.Recorder, resourceName string, plan []sweepStep) []resource.TestStep {
	steps := make([]resource.TestStep, len(plan))
	for i, s := range plan {
		steps[i] = resource.TestStep{
			PreConfig: func() { s.fault.arm(rec) },
			Config:    s.config,
			// The fault was met: the step it was armed for was taken.
			ConfigStateChecks: []statecheck.StateCheck{acctest.ExpectNoPendingFaults(rec)},
			Check: resource.ComposeTestCheckFunc(
				s.check,
				func(*terraform.State) error {
					if s.fault != nil {
						t.Logf("survived: %s %s, %s", resourceName, s.phase, s.fault)
					}
					return nil
				},
			),
		}
	}
	return steps
}

// runSweep runs the plan's steps, then checks that nothing is left.
func runSweep(t *testing.T, rec *acctest.Recorder, resourceName string, checkDestroy resource.TestCheckFunc, plan []sweepStep) {
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkDestroy,
		Steps:                    sweepSteps(t, rec, resourceName, plan),
	})
}

// sweepPlan is create, update and destroy with one fault at each step:
// each create step is followed by a destroy, which takes the destroy
// steps' faults in turn, then the update steps run one after another,
// switching between the two configurations.
func sweepPlan(configA, configB, empty string, create, update, destroy []awsFault, checkOne, checkNone resource.TestCheckFunc) []sweepStep {
	var plan []sweepStep
	at := func(faults []awsFault, i int) *awsFault {
		if i < len(faults) {
			return &faults[i]
		}
		return nil
	}
	for i := range max(len(create), len(destroy)) {
		plan = append(plan,
			sweepStep{phase: "create", config: configA, fault: at(create, i), check: checkOne},
			sweepStep{phase: "destroy", config: empty, fault: at(destroy, i), check: checkNone})
	}
	if len(update) > 0 {
		plan = append(plan, sweepStep{phase: "create", config: configA, check: checkOne})
		for i := range update {
			config := configB
			if i%2 == 1 {
				config = configA
			}
			plan = append(plan, sweepStep{phase: "update", config: config, fault: &update[i], check: checkOne})
		}
	}
	return plan
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

// sweepTarget is a resource under the sweep: its two configurations, the
// calls each phase makes, and how to count it in AWS.
type sweepTarget struct {
	name                    string
	configs                 func(*acctest.Recorder, *acctest.Network) (a, b string)
	create, update, destroy []string
	createCall              string   // the call that hands out the new ID
	lagging                 []string // the calls after it that name the ID
	count                   func(*acctest.Network, int) resource.TestCheckFunc
	destroyed               func(*acctest.Network) resource.TestCheckFunc
}

// lostReplies sweeps a lost reply over every step of every phase.
func (target sweepTarget) lostReplies(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	a, b := target.configs(rec, n)
	plan := sweepPlan(a, b, providerConfig(rec),
		faults(lostReply, target.create), faults(lostReply, target.update), faults(lostReply, target.destroy),
		target.count(n, 1), target.count(n, 0))
	runSweep(t, rec, target.name, target.destroyed(n), plan)
}

// lag sweeps a lagging new ID over every call of the create that names
// it; update and destroy create no ID.
func (target sweepTarget) lag(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	a, _ := target.configs(rec, n)
	lag := func(action string) awsFault { return lagAfter(target.createCall, action) }
	plan := sweepPlan(a, "", providerConfig(rec), faults(lag, target.lagging), nil, nil, target.count(n, 1), target.count(n, 0))
	runSweep(t, rec, target.name, target.destroyed(n), plan)
}

// The group's steps. Going from A to B authorizes ingress and egress,
// revokes ingress, modifies a description, deletes one tag and creates
// another; going back revokes egress too. The order of the update steps
// lets each meet its fault in a switch that makes the call.
var groupSweep = sweepTarget{
	name:    "security group",
	configs: sweepGroupConfigs,
	create:  []string{"CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress", "ModifySecurityGroupRules"},
	update: []string{"AuthorizeSecurityGroupIngress", "RevokeSecurityGroupEgress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
		"ModifySecurityGroupRules", "CreateTags", "DeleteTags"},
	destroy:    []string{"DeleteSecurityGroup"},
	createCall: "CreateSecurityGroup",
	lagging: []string{"DescribeSecurityGroups", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress",
		"DescribeSecurityGroupRules", "ModifySecurityGroupRules"},
	count:     checkSweepGroups,
	destroyed: func(*acctest.Network) resource.TestCheckFunc { return checkGroupsDestroyed },
}

// The ACL's steps. Going from A to B creates entries for a new peer and
// going back deletes them; both replace the deny entry in place, move one
// subnet on and one off, and change tags both ways.
var aclSweep = sweepTarget{
	name:       "network ACL",
	configs:    sweepACLConfigs,
	create:     []string{"CreateNetworkAcl", "CreateNetworkAclEntry", "ReplaceNetworkAclAssociation"},
	update:     []string{"CreateNetworkAclEntry", "DeleteNetworkAclEntry", "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation", "CreateTags", "DeleteTags"},
	destroy:    []string{"ReplaceNetworkAclAssociation", "DeleteNetworkAcl"},
	createCall: "CreateNetworkAcl",
	lagging:    []string{"CreateNetworkAclEntry", "ReplaceNetworkAclAssociation", "DescribeNetworkAcls"},
	count:      checkCustomACLs,
	destroyed:  checkACLsDestroyed,
}

func TestAccRealAWS_securityGroupLostReplies(t *testing.T) { groupSweep.lostReplies(t) }

func TestAccRealAWS_securityGroupLag(t *testing.T) { groupSweep.lag(t) }

func TestAccRealAWS_subnetNACLLostReplies(t *testing.T) { aclSweep.lostReplies(t) }

func TestAccRealAWS_subnetNACLLag(t *testing.T) { aclSweep.lag(t) }

func faults(fault func(string) awsFault, actions []string) []awsFault {
	out := make([]awsFault, len(actions))
	for i, a := range actions {
		out[i] = fault(a)
	}
	return out
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
