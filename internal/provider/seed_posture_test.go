package provider

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// seedPostureConfig is the seed article's whole posture: the DDVE group,
// the private subnet's ACL and the bastion subnet's deny-list ACL.
func seedPostureConfig(rec *acctest.Recorder, n *acctest.Network) string {
	return providerConfig(rec) + acctest.SeedResources("ddve-seed", n)
}

// TestAccSeedPosture_reachability reads back what AWS holds after the apply
// and asks the evaluator about the flows a user cares about.
func TestAccSeedPosture_reachability(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	var (
		ddve    = netip.MustParseAddr("10.0.9.5")
		bastion = netip.MustParseAddr("10.0.1.10")
		// The bastion group's member has an address of its own, so the
		// group reference is evaluated apart from the typed CIDR.
		member = netip.MustParseAddr("10.0.1.20")
	)
	check := func(s *terraform.State) error {
		ctx := context.Background()
		rules, err := acctest.ReadGroupRules(ctx, testEC2(), s.RootModule().Resources["ddve_security_group.ddve"].Primary.ID)
		if err != nil {
			return err
		}
		private, err := acctest.ReadACLEntries(ctx, acctest.EC2Client(rec.URL), s.RootModule().Resources["ddve_subnet_nacl.private"].Primary.ID)
		if err != nil {
			return err
		}
		public, err := acctest.ReadACLEntries(ctx, acctest.EC2Client(rec.URL), s.RootModule().Resources["ddve_subnet_nacl.bastion"].Primary.ID)
		if err != nil {
			return err
		}
		var s3 []netip.Prefix
		for _, c := range n.S3PrefixListCIDR {
			s3 = append(s3, netip.MustParsePrefix(c))
		}
		group := evaluate.Group{Rules: rules, Resolver: evaluate.Resolver{
			GroupMembers: map[string][]netip.Addr{n.BastionGroupID: {member}},
			PrefixLists:  map[string][]netip.Prefix{n.S3PrefixListID: s3},
		}}
		host := evaluate.Host{Addr: ddve, Group: group, ACL: evaluate.ACL{Entries: private}}

		tcp := func(src, dst netip.Addr, srcPort, dstPort int) evaluate.Packet {
			return evaluate.Packet{Src: src, Dst: dst, Protocol: posture.ProtoTCP, SrcPort: srcPort, DstPort: dstPort}
		}
		expect := func(name string, c evaluate.Conversation, allowed bool) error {
			if c.Allowed() != allowed {
				return fmt.Errorf("%s: allowed=%v, want %v (%s)", name, c.Allowed(), allowed, c.Deciding().Reason)
			}
			return nil
		}
		var errs []error
		for _, clientPort := range []int{1024, 40000, 65535} {
			errs = append(errs,
				expect("SSH from the bastion", host.Connect(tcp(bastion, ddve, clientPort, 22)), true),
				expect("HTTPS from the bastion", host.Connect(tcp(bastion, ddve, clientPort, 443)), true))
			for _, p := range s3 {
				errs = append(errs, expect("HTTPS to S3 "+p.String(), host.Connect(tcp(ddve, p.Addr().Next(), clientPort, 443)), true))
			}
		}
		errs = append(errs,
			expect("SSH from 5.5.5.5", host.Connect(tcp(netip.MustParseAddr("5.5.5.5"), ddve, 40000, 22)), false),
			expect("SSH from another host of the bastion subnet", host.Connect(tcp(netip.MustParseAddr("10.0.1.99"), ddve, 40000, 22)), false),
			expect("HTTPS to an address outside the S3 prefix list", host.Connect(tcp(ddve, netip.MustParseAddr("8.8.8.8"), 40000, 443)), false),
			expect("NFS from the bastion", host.Connect(tcp(bastion, ddve, 40000, 2049)), false),
		)
		// The group admits SSH and HTTPS from the bastion group's member
		// through the reference alone (the subnet's ACL names the typed
		// address only), and from no other host of the bastion subnet.
		for _, port := range []int{22, 443} {
			if v := group.Admit(tcp(member, ddve, 40000, port), false); !v.Allowed || v.Rule.ReferencedGroupID != n.BastionGroupID {
				errs = append(errs, fmt.Errorf("the bastion group's member %s to port %d: %s", member, port, v.Reason))
			}
			if v := group.Admit(tcp(netip.MustParseAddr("10.0.1.30"), ddve, 40000, port), false); v.Allowed {
				errs = append(errs, fmt.Errorf("a host outside the bastion group to port %d: %s", port, v.Reason))
			}
		}
		// The bastion subnet lets everything in but 5.5.5.5.
		bastionACL := evaluate.ACL{Entries: public}
		if v := bastionACL.Filter(tcp(netip.MustParseAddr("5.5.5.5"), bastion, 40000, 22), false); v.Allowed {
			errs = append(errs, fmt.Errorf("bastion subnet lets 5.5.5.5 in: %s", v.Reason))
		}
		if v := bastionACL.Filter(tcp(netip.MustParseAddr("198.51.100.7"), bastion, 40000, 22), false); !v.Allowed {
			errs = append(errs, fmt.Errorf("bastion subnet drops an ordinary address: %s", v.Reason))
		}
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeTestCheckFunc(checkGroupsDestroyed, checkACLsDestroyed(n)),
		Steps:                    []resource.TestStep{{Config: seedPostureConfig(rec, n), Check: check}},
	})
}

// TestAccSeedPosture_callBudget counts the EC2 calls of each phase of the
// seed posture's life through Terraform (plan and apply together) and
// holds them to a budget, so a change that adds calls is noticed.
func TestAccSeedPosture_callBudget(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	grown := strings.ReplaceAll(seedPostureConfig(rec, n), `cidr_blocks = ["10.0.1.10/32"]`, `cidr_blocks = ["10.0.1.10/32", "10.0.1.11/32"]`)
	phase := func(name string, budget int, mutating map[string]int) []statecheck.StateCheck {
		return []statecheck.StateCheck{acctest.ExpectCallBudget(rec, name, budget, mutating, t.Logf)}
	}
	s3 := len(n.S3PrefixListCIDR)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: rec.Reset,
				Config:    seedPostureConfig(rec, n),
				// The bastion's deny-list ACL holds 5 entries: the deny, and
				// allow-all for IPv4 and IPv6 both ways. Each ACL's plan asks
				// once which ACL holds the subnets it adds (a subnet claimed
				// by another DDVE ACL fails the plan), and Terraform plans
				// twice in an apply: 4 DescribeNetworkAcls. The group and the
				// private ACL share one lookup of the S3 list a plan. The
				// group's create describes nothing: its rules come from the
				// authorize answers (the recorder answers as AWS does; moto
				// alone lists the last permission's rules and drops some
				// descriptions, which costs a read-back and a
				// ModifySecurityGroupRules). The DDVE ACL's path MTU
				// discovery entries, in and out, are one call each, and each
				// S3 block's answers take four entries (1024-65535 less the
				// ports DDVE listens on).
				ConfigStateChecks: phase("create", 35+2+len(acctest.DDVEReturnPorts)*s3-s3, map[string]int{
					"CreateSecurityGroup": 1, "AuthorizeSecurityGroupIngress": 1, "AuthorizeSecurityGroupEgress": 1,
					"RevokeSecurityGroupEgress": 1,
					"CreateNetworkAcl":          2, "CreateNetworkAclEntry": 4 + 2 + (1+len(acctest.DDVEReturnPorts))*s3 + 5, "ReplaceNetworkAclAssociation": 2,
				}),
			},
			{
				PreConfig:         rec.Reset,
				Config:            seedPostureConfig(rec, n),
				ConfigStateChecks: phase("no-op refresh and plan", 6, nil),
			},
			{
				PreConfig: rec.Reset,
				Config:    grown,
				// The new address is one authorize and nothing more for the
				// group: its answer lists the new rules.
				ConfigStateChecks: phase("one more bastion address", 12, map[string]int{
					"AuthorizeSecurityGroupIngress": 1, "CreateNetworkAclEntry": 3,
				}),
			},
			{
				PreConfig: rec.Reset,
				Config:    providerConfig(rec),
				// One describe more than before: the group delete waits
				// until EC2 no longer lists the group.
				ConfigStateChecks: phase("destroy", 12, map[string]int{
					"DeleteSecurityGroup": 1, "DeleteNetworkAcl": 2, "ReplaceNetworkAclAssociation": 2,
				}),
			},
		},
	})
}
