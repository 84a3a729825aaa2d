package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

const reachabilityAddress = "data.ddve_reachability.check"

func result(i int, key string) tfjsonpath.Path {
	return tfjsonpath.New("results").AtSliceIndex(i).AtMapKey(key)
}

// The seed posture, applied, then read back and asked about the flows a
// user cares about: the bastion's SSH, HTTPS to S3, 5.5.5.5.
func TestAccReachability_seedPosture(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	s3 := netip.MustParsePrefix(n.S3PrefixListCIDR[0]).Addr().Next()
	config := seedPostureConfig(rec, n) + fmt.Sprintf(`
data "ddve_reachability" "check" {
  security_group_ids = [ddve_security_group.ddve.id]
  subnet_id          = %q
  ddve_address       = "10.0.9.5"
  flows = [
    { peer = "10.0.1.10", opener = "peer", protocol = "tcp", port = 22 },
    { peer = %q, opener = "ddve", protocol = "tcp", port = 443, client_port = 50000 },
    { peer = "5.5.5.5", opener = "peer", protocol = "tcp", port = 22 },
  ]
  depends_on = [ddve_subnet_nacl.private]
}
`, n.DDVESubnetID, s3)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(reachabilityAddress, result(0, "allowed"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(reachabilityAddress, result(0, "request_decided_by"),
					knownvalue.StringRegexp(regexpOf(`^network ACL acl-\w+ entry 1000 \(ingress, allow\); security group rule sgr-\w+ \(ddve management: SSH\)$`))),
				statecheck.ExpectKnownValue(reachabilityAddress, result(0, "reply_decided_by"),
					knownvalue.StringRegexp(regexpOf(`^security group connection state; network ACL acl-\w+ entry 1000 \(egress, allow\)$`))),
				statecheck.ExpectKnownValue(reachabilityAddress, result(1, "allowed"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(reachabilityAddress, result(2, "allowed"), knownvalue.Bool(false)),
				// The ACL's deny meets the packet before the group does.
				statecheck.ExpectKnownValue(reachabilityAddress, result(2, "blocked_at"), knownvalue.StringExact("network_acl")),
				statecheck.ExpectKnownValue(reachabilityAddress, result(2, "request_decided_by"),
					knownvalue.StringRegexp(regexpOf(`^network ACL acl-\w+ entry 10 \(ingress, deny\); no security group rule admits it$`))),
				statecheck.ExpectKnownValue(reachabilityAddress, tfjsonpath.New("mismatches"), knownvalue.ListSizeExact(0)),
				statecheck.ExpectKnownValue(reachabilityAddress, tfjsonpath.New("exposure"), knownvalue.ListPartial(map[int]knownvalue.Check{
					// Path MTU discovery's message, from anywhere: it opens no port.
					0: knownvalue.ObjectExact(map[string]knownvalue.Check{
						"layer": knownvalue.StringExact("security_group"), "direction": knownvalue.StringExact("ingress"),
						"protocol": knownvalue.StringExact("icmp"), "cidr": knownvalue.StringExact("0.0.0.0/0"),
						"from_port": knownvalue.Int64Exact(3), "to_port": knownvalue.Int64Exact(3), "ports": knownvalue.StringExact("type 3 code 4"),
					}),
					1: knownvalue.ObjectExact(map[string]knownvalue.Check{
						"layer": knownvalue.StringExact("security_group"), "direction": knownvalue.StringExact("ingress"),
						"protocol": knownvalue.StringExact("tcp"), "cidr": knownvalue.StringExact("10.0.1.10/32"),
						"from_port": knownvalue.Int64Exact(22), "to_port": knownvalue.Int64Exact(22), "ports": knownvalue.StringExact("22"),
					}),
				})),
			},
		}},
	})
}

// A group and an ACL made by hand, not by this provider, whose layers
// disagree: the data source says which flows fail where, and lists the
// mismatches, return traffic included.
func TestAccReachability_handMadeMismatch(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	hand, err := acctest.CreateHandMadePosture(context.Background(), testEC2(), n)
	if err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerConfig(rec) + fmt.Sprintf(`
data "ddve_reachability" "check" {
  security_group_ids = [%q]
  network_acl_id     = %q
  ddve_address       = "10.0.9.5"
  flows = [
    { peer = "10.0.1.10", opener = "peer", protocol = "tcp", port = 22 },
    { peer = "10.0.1.20", opener = "peer", protocol = "tcp", port = 22 },
    { peer = "10.0.2.5", opener = "peer", protocol = "tcp", port = 2049, client_port = 800 },
  ]
}
`, hand.GroupID, hand.ACLID),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(reachabilityAddress, result(0, "allowed"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(reachabilityAddress, result(0, "request_decided_by"),
					knownvalue.StringRegexp(regexpOf(`^network ACL acl-\w+ entry 100 \(ingress, allow\); security group rule sgr-\w+ \(ssh from the bastion subnet\)$`))),
				statecheck.ExpectKnownValue(reachabilityAddress, result(1, "blocked_at"), knownvalue.StringExact("network_acl")),
				statecheck.ExpectKnownValue(reachabilityAddress, result(2, "blocked_at"), knownvalue.StringExact("network_acl_reply")),
				statecheck.ExpectKnownValue(reachabilityAddress, result(2, "reply_decided_by"),
					knownvalue.StringRegexp(regexpOf(`built-in deny-all$`))),
				// SSH from the rest of 10.0.1.0/24 (8 blocks) and NFS's answers,
				// which go to the client's reserved or ephemeral port.
				statecheck.ExpectKnownValue(reachabilityAddress, tfjsonpath.New("mismatches"), knownvalue.ListSizeExact(9)),
				statecheck.ExpectKnownValue(reachabilityAddress, tfjsonpath.New("mismatches").AtSliceIndex(8), knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"kind": knownvalue.StringExact("return traffic"), "direction": knownvalue.StringExact("egress"),
					"cidr": knownvalue.StringExact("10.0.2.5/32"), "from_port": knownvalue.Int64Exact(512), "to_port": knownvalue.Int64Exact(65535),
					"cause": knownvalue.StringRegexp(regexpOf(`^security group rule sgr-\w+ \(nfs from backup\)$`)),
				})),
				// One line per rule that causes them.
				statecheck.ExpectKnownValue(reachabilityAddress, tfjsonpath.New("mismatch_groups"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"kind": knownvalue.StringExact("request"), "direction": knownvalue.StringExact("ingress"),
						"cause":   knownvalue.StringRegexp(regexpOf(`^security group rule sgr-\w+ \(ssh from the bastion subnet\)$`)),
						"traffic": knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("tcp 22")}),
						"cidrs":   knownvalue.ListSizeExact(8),
						"rows":    knownvalue.Int64Exact(8),
						"summary": knownvalue.StringRegexp(regexpOf(`^security group rule sgr-\w+ \(ssh from the bastion subnet\) admits tcp 22 from 10\.0\.1\.0/24 except 10\.0\.1\.10/32, which the network ACL drops \(8 rows\)$`)),
					}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"kind": knownvalue.StringExact("return traffic"), "direction": knownvalue.StringExact("egress"),
						"cidrs": knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("10.0.2.5/32")}),
						"rows":  knownvalue.Int64Exact(1),
					}),
				})),
			},
		}},
	})
}

// Bad input fails at plan with the attribute and the fix; a group or ACL
// that does not exist, or a subnet of another VPC, fails the read.
func TestAccReachability_badInput(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	other, err := acctest.CreateOtherVPCSubnet(context.Background(), testEC2())
	if err != nil {
		t.Fatal(err)
	}
	config := func(body string) string {
		return providerConfig(rec) + `
data "ddve_reachability" "check" {
` + body + `
}
`
	}
	cases := []struct{ body, line, want string }{
		{fmt.Sprintf("  security_group_ids = [%q]\n  subnet_id = %q\n  ddve_address = \"ddve\"", n.BastionGroupID, n.DDVESubnetID),
			`ddve_address = "ddve"`, `"ddve" is not an IP address`},
		{fmt.Sprintf("  security_group_ids = [%q]\n  subnet_id = %q\n  ddve_address = \"10.0.9.5\"\n  flows = [\n    { peer = \"10.0.1.10\", opener = \"peer\", protocol = \"tcp\" },\n  ]", n.BastionGroupID, n.DDVESubnetID),
			`{ peer = "10.0.1.10", opener = "peer", protocol = "tcp" }`, "a tcp flow needs the port it connects to"},
		{fmt.Sprintf("  security_group_ids = [%q]\n  subnet_id = %q\n  ddve_address = \"10.0.9.5\"\n  flows = [\n    { peer = \"bastion\", opener = \"peer\", protocol = \"tcp\", port = 22 },\n  ]", n.BastionGroupID, n.DDVESubnetID),
			`{ peer = "bastion"`, `peer "bastion" is not an IP address`},
		{fmt.Sprintf("  security_group_ids = [%q]\n  subnet_id = %q\n  ddve_address = \"10.0.9.5\"\n  flows = [\n    { peer = \"10.0.1.10\", opener = \"peer\", protocol = \"icmp\" },\n  ]", n.BastionGroupID, n.DDVESubnetID),
			`{ peer = "10.0.1.10", opener = "peer", protocol = "icmp" }`, "needs its message type in port"},
		{fmt.Sprintf("  security_group_ids = [%q]\n  subnet_id = %q\n  ddve_address = \"10.0.9.5\"\n  flows = [\n    { peer = \"10.0.1.10\", opener = \"peer\", protocol = \"47\", port = 99 },\n  ]", n.BastionGroupID, n.DDVESubnetID),
			`{ peer = "10.0.1.10", opener = "peer", protocol = "47", port = 99 }`, "protocol 47 has no ports"},
		{fmt.Sprintf("  security_group_ids = [%q]\n  subnet_id = %q\n  ddve_address = \"10.0.9.5\"\n  ephemeral_ports = { from_port = 60000, to_port = 1024 }", n.BastionGroupID, n.DDVESubnetID),
			`ephemeral_ports = { from_port = 60000, to_port = 1024 }`, "60000-1024 is not a port range"},
		{fmt.Sprintf("  security_group_ids = [\"sg-0123456789abcdef0\"]\n  subnet_id = %q\n  ddve_address = \"10.0.9.5\"", n.DDVESubnetID),
			`security_group_ids = ["sg-0123456789abcdef0"]`, "no such security group in this region among sg-0123456789abcdef0"},
		{fmt.Sprintf("  security_group_ids = [%q]\n  network_acl_id = \"acl-0123456789abcdef0\"\n  ddve_address = \"10.0.9.5\"", n.BastionGroupID),
			`network_acl_id = "acl-0123456789abcdef0"`, "not found"},
		{fmt.Sprintf("  security_group_ids = [%q]\n  subnet_id = %q\n  ddve_address = \"10.0.2.15\"", n.BastionGroupID, n.DDVESubnetID),
			`ddve_address = "10.0.2.15"`, fmt.Sprintf(`ddve_address 10.0.2.15 is not in subnet %s (10.0.9.0/24`, n.DDVESubnetID)},
		{fmt.Sprintf("  security_group_ids = [%q]\n  subnet_id = %q\n  ddve_address = \"10.0.9.5\"", n.BastionGroupID, other),
			fmt.Sprintf("subnet_id = %q", other), "a DDVE interface and its subnet share one VPC"},
		{fmt.Sprintf("  security_group_ids = [%q]\n  subnet_id = %q\n  network_acl_id = %q\n  ddve_address = \"10.0.9.5\"", n.BastionGroupID, n.DDVESubnetID, n.DefaultACLID),
			fmt.Sprintf("subnet_id = %q", n.DDVESubnetID), "2 attributes specified when one (and only one) of [subnet_id,network_acl_id] is required"},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:      config(c.body),
			PlanOnly:    true,
			ExpectError: atLine(c.line, c.want),
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
}

// The EC2 calls of one read, held to a budget: for a posture of two groups
// whose rules name another group and a prefix list, one call for the
// groups, one per group for the rules, two for the subnet's ACL and
// blocks, one for the members of referenced groups, two for the prefix
// list.
func TestAccReachability_callsOfOneRead(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	ctx := context.Background()
	hand, err := acctest.CreateHandMadePosture(ctx, testEC2(), n)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testEC2().AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{
		GroupId: aws.String(n.BastionGroupID),
		IpPermissions: []types.IpPermission{
			{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), PrefixListIds: []types.PrefixListId{{PrefixListId: aws.String(n.S3PrefixListID)}}},
			{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(hand.GroupID)}}},
		},
	}); err != nil {
		t.Fatal(err)
	}
	rec.Reset()
	live, diags := readLivePosture(ctx, acctest.EC2Client(rec.URL), []string{hand.GroupID, n.BastionGroupID}, n.DDVESubnetID, "")
	if diags.HasError() {
		t.Fatal(diags)
	}
	calls := rec.Calls()
	t.Logf("one read: %s", calls)
	if calls.Total() > 8 || len(calls.Mutating()) > 0 {
		t.Fatalf("one read made %s, over its budget of 8 reads", calls)
	}
	if got := len(live.resolver.PrefixLists[n.S3PrefixListID]); got != len(n.S3PrefixListCIDR) {
		t.Fatalf("the prefix list resolved to %d blocks, want %d", got, len(n.S3PrefixListCIDR))
	}
}

func regexpOf(expr string) *regexp.Regexp { return regexp.MustCompile(expr) }

// A posture of the profiles whose answers travel to other ports than the
// ephemeral range (NFS clients' reserved ports, ntpd's 123, NetBIOS,
// one-way syslog), applied: the mismatch check agrees with the entries the
// provider made. Then the NFS return entry is narrowed by hand to the
// ephemeral range: an NFS client on a reserved port loses its answers, and
// the mismatch check says so. Flows to the services AWS never filters pass.
func TestAccReachability_repliesAgreeWithTheCompiler(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	// The data source names the group and the ACL by reference, or by
	// variables that do not wait for the resources' pending changes.
	postureConfig := func(groupID, aclID string) string {
		return providerConfig(rec) + fmt.Sprintf(`
variable "group_id" {
  type    = string
  default = null
}

variable "acl_id" {
  type    = string
  default = null
}

locals {
  profiles = {
    management = { cidr_blocks = ["10.0.1.10/32"] }
    nfs        = { cidr_blocks = ["10.0.2.0/24"] }
    cifs       = { cidr_blocks = ["10.0.3.0/24"] }
    ntp        = { cidr_blocks = ["10.0.5.10/32"] }
    syslog     = { cidr_blocks = ["10.0.6.10/32"] }
  }
}

resource "ddve_security_group" "ddve" {
  name     = "ddve-replies"
  vpc_id   = %[1]q
  profiles = local.profiles
}

resource "ddve_subnet_nacl" "private" {
  vpc_id                      = %[1]q
  subnet_ids                  = [%[2]q]
  profiles                    = local.profiles
  entries_per_direction_quota = 40
}

data "ddve_reachability" "check" {
  security_group_ids = [%[3]s]
  network_acl_id     = %[4]s
  ddve_address       = "10.0.9.5"
  flows = [
    { peer = "10.0.2.5", opener = "peer", protocol = "tcp", port = 2049, client_port = 800 },
    { peer = "10.0.5.10", opener = "ddve", protocol = "udp", port = 123, client_port = 123 },
    { peer = "169.254.169.123", opener = "ddve", protocol = "udp", port = 123, client_port = 123 },
    { peer = "10.0.0.2", opener = "ddve", protocol = "udp", port = 53 },
  ]
}

output "nfs_blocked_at" {
  value = data.ddve_reachability.check.results[0].blocked_at
}

output "mismatches" {
  value = join("; ", [for m in data.ddve_reachability.check.mismatches : "${m.kind} ${m.direction} ${m.protocol} ${m.cidr} ${m.from_port}-${m.to_port}"])
}
`, n.VPCID, n.DDVESubnetID, groupID, aclID)
	}
	var groupID, aclID string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: postureConfig("ddve_security_group.ddve.id", "ddve_subnet_nacl.private.id"),
				Check: resource.ComposeTestCheckFunc(
					acctest.CaptureID("ddve_security_group.ddve", &groupID), acctest.CaptureID("ddve_subnet_nacl.private", &aclID)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(reachabilityAddress, tfjsonpath.New("mismatches"), knownvalue.ListSizeExact(0)),
					statecheck.ExpectKnownValue(reachabilityAddress, result(0, "allowed"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(reachabilityAddress, result(1, "allowed"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(reachabilityAddress, result(2, "allowed"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(reachabilityAddress, result(2, "request_decided_by"),
						knownvalue.StringExact("Amazon Time Sync Service (169.254.169.123): AWS filters it with neither security groups nor network ACLs")),
					statecheck.ExpectKnownValue(reachabilityAddress, result(3, "allowed"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(reachabilityAddress, result(3, "request_decided_by"),
						knownvalue.StringRegexp(regexpOf(`^Route 53 Resolver \(10\.0\.0\.2, the VPC's base plus two\)`))),
				},
			},
			{
				// The plan reads the broken posture; applying it would
				// repair the entry.
				PreConfig: func() {
					if err := acctest.NarrowACLEntry(context.Background(), testEC2(), aclID, true, "6", "10.0.2.0/24", 512, 1024, 65535); err != nil {
						t.Fatal(err)
					}
				},
				Config:             postureConfig("var.group_id", "var.acl_id"),
				ConfigVariables:    config.Variables{"group_id": capturedString{&groupID}, "acl_id": capturedString{&aclID}},
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{
					plancheck.ExpectKnownOutputValue("nfs_blocked_at", knownvalue.StringExact("network_acl_reply")),
					plancheck.ExpectKnownOutputValue("mismatches", knownvalue.StringExact("return traffic egress tcp 10.0.2.0/24 512-1023")),
				}},
			},
			{
				Config: postureConfig("ddve_security_group.ddve.id", "ddve_subnet_nacl.private.id"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(reachabilityAddress, tfjsonpath.New("mismatches"), knownvalue.ListSizeExact(0)),
					statecheck.ExpectKnownValue(reachabilityAddress, result(0, "allowed"), knownvalue.Bool(true)),
				},
			},
		},
	})
}

// capturedString is a configuration variable whose value an earlier step
// captures: it is read when the step runs, not when the test is built.
type capturedString struct{ value *string }

func (c capturedString) MarshalJSON() ([]byte, error) { return json.Marshal(*c.value) }
