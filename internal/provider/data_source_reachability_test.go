package provider

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
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
					knownvalue.StringRegexp(regexpOf(`^security group rule sgr-\w+ \(ddve management: SSH\); network ACL acl-\w+ entry 1000 \(ingress, allow\)$`))),
				statecheck.ExpectKnownValue(reachabilityAddress, result(0, "reply_decided_by"),
					knownvalue.StringRegexp(regexpOf(`entry 1000 \(egress, allow\)$`))),
				statecheck.ExpectKnownValue(reachabilityAddress, result(1, "allowed"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(reachabilityAddress, result(2, "allowed"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(reachabilityAddress, result(2, "blocked_at"), knownvalue.StringExact("security_group")),
				statecheck.ExpectKnownValue(reachabilityAddress, tfjsonpath.New("mismatches"), knownvalue.ListSizeExact(0)),
				statecheck.ExpectKnownValue(reachabilityAddress, tfjsonpath.New("exposure"), knownvalue.ListPartial(map[int]knownvalue.Check{
					0: knownvalue.ObjectExact(map[string]knownvalue.Check{
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
					knownvalue.StringRegexp(regexpOf(`\(ssh from the bastion subnet\); network ACL acl-\w+ entry 100 \(ingress, allow\)`))),
				statecheck.ExpectKnownValue(reachabilityAddress, result(1, "blocked_at"), knownvalue.StringExact("network_acl_request")),
				statecheck.ExpectKnownValue(reachabilityAddress, result(2, "blocked_at"), knownvalue.StringExact("network_acl_reply")),
				statecheck.ExpectKnownValue(reachabilityAddress, result(2, "reply_decided_by"),
					knownvalue.StringRegexp(regexpOf(`built-in deny-all$`))),
				// SSH from the rest of 10.0.1.0/24 (8 blocks) and NFS's answers.
				statecheck.ExpectKnownValue(reachabilityAddress, tfjsonpath.New("mismatches"), knownvalue.ListSizeExact(9)),
				statecheck.ExpectKnownValue(reachabilityAddress, tfjsonpath.New("mismatches").AtSliceIndex(8), knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"kind": knownvalue.StringExact("return traffic"), "direction": knownvalue.StringExact("egress"),
					"cidr": knownvalue.StringExact("10.0.2.5/32"), "from_port": knownvalue.Int64Exact(1024), "to_port": knownvalue.Int64Exact(65535),
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
