package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// atLine matches an error whose source snippet is the line that starts with
// line, then its message: Terraform shows the attribute's line only when
// the diagnostic's path resolves to it, else the resource's first line.
// Terraform resolves one index into a nested attribute, so a problem inside
// a profile is shown at the profile's line and one inside a custom rule or
// deny at that list element's line.
func atLine(line, message string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)\n\s*\d+:\s+` + regexp.QuoteMeta(line) + `.*` + wrapped(message).String())
}

// Every class of bad input is reported at the line of the attribute that
// holds it, list indexes and set elements included.
func TestAccDiagnostics_pointAtTheAttribute(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	acl := func(body string) string {
		return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "test" {
  vpc_id = %q
%s
}
`, n.VPCID, body)
	}
	group := func(body string) string {
		return providerConfig(rec) + fmt.Sprintf(`
resource "ddve_security_group" "test" {
  name   = "ddve-bad"
  vpc_id = %q
%s
}
`, n.VPCID, body)
	}
	cases := []badInputCase{
		{acl(fmt.Sprintf(`  profiles = {
    management = {
      security_group_ids = [%q]
    }
  }`, n.BastionGroupID)), `management = {`, `In profiles["management"].security_group_ids`},
		{acl(fmt.Sprintf(`  custom_rules = [
    { direction = "ingress", protocol = "tcp", from_port = 8443, to_port = 8443, cidr_blocks = ["10.0.9.0/24"] },
    { direction = "ingress", protocol = "tcp", from_port = 8444, to_port = 8444, security_group_ids = [%q] },
  ]`, n.BastionGroupID)), `{ direction = "ingress", protocol = "tcp", from_port = 8444`, "Network ACL entries take CIDR blocks only"},
		{acl(`  profiles = {
    management = {
      cidr_blocks = ["10.0.1.10/24"]
    }
  }`), `management = {`, "write 10.0.1.0/24 for the network"},
		{group(`  profiles = {
    management = {
      cidr_blocks = ["10.0.1.10/24"]
    }
  }`), `management = {`, `In profiles["management"].cidr_blocks["10.0.1.10/24"]: 10.0.1.10/24 has host bits set`},
		{acl(`  profiles = {
    object_storage = {
      cidr_blocks = ["0.0.0.0/0"]
    }
  }`), `object_storage = {`, "admits it inbound on tcp 1024-2048, 2050, 2053-3008, 3010-65535 as return traffic"},
		{group(`  custom_rules = [
    { direction = "ingress", protocol = "tcp", from_port = 22, to_port = 22, cidr_blocks = ["10.0.9.0/24"] },
    { direction = "ingress", protocol = "icmp", from_port = -1, to_port = 3, cidr_blocks = ["10.0.9.0/24"] },
  ]`), `{ direction = "ingress", protocol = "icmp"`, "set to_port to -1"},
		{acl(`  deny = [
    { cidr_block = "5.5.5.5/32" },
    { cidr_block = "5.5.5.5/24" },
  ]`), `{ cidr_block = "5.5.5.5/24" }`, "write 5.5.5.0/24 for the network"},
		{acl(`  deny = [
    { cidr_block = "5.5.5.5/32", direction = "sideways" },
  ]`), `{ cidr_block = "5.5.5.5/32", direction = "sideways" }`, `direction is "sideways": use ingress, egress or both`},
		{group(`  custom_rules = [
    { direction = "inward", protocol = "tcp", from_port = 22, to_port = 22, cidr_blocks = ["10.0.9.0/24"] },
  ]`), `{ direction = "inward"`, `direction is "inward": use "ingress"`},
		{acl(`  profiles = {
    management = { cidr_blocks = ["10.0.1.10/32"] }
  }
  ephemeral_ports = { from_port = 60000, to_port = 1024 }`), `ephemeral_ports = {`, "from_port 60000 is above to_port 1024"},
		{group(`  custom_rules = [
    { direction = "ingress", protocol = "sctp", from_port = 22, to_port = 22, cidr_blocks = ["10.0.9.0/24"] },
  ]`), `{ direction = "ingress", protocol = "sctp"`, `protocol is "sctp": use tcp, udp, icmp, icmpv6, all`},
		{acl(`  custom_rules = [
    { direction = "egress", protocol = "udp", cidr_blocks = ["10.0.9.0/24"] },
  ]`), `{ direction = "egress", protocol = "udp"`, "udp needs from_port and to_port"},
		{group(`  custom_rules = [
    { direction = "egress", protocol = "tcp", from_port = 8443, to_port = 8443, cidr_blocks = ["10.0.9.0/24"], description = "agent <beta>" },
  ]`), `{ direction = "egress", protocol = "tcp", from_port = 8443`, "in a rule description"},
		{acl(`  custom_rules = [
    { direction = "ingress", protocol = "icmpv6", from_port = 128, to_port = 0, cidr_blocks = ["10.0.9.0/24"] },
  ]`), `{ direction = "ingress", protocol = "icmpv6"`, "would allow every ICMP type and code"},
		{group(`  profiles = {
    management = {
      cidr_blocks = ["10.0.1.10/32"]
    }
    ftp = {
      cidr_blocks = ["10.0.1.10/32"]
    }
  }`), `ftp = {`, `"ftp" is not a DDVE port profile`},
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    badInputSteps(t, rec, cases),
		CheckDestroy:             acctest.ExpectNoMutatingCalls(rec).Func(),
	})
}

// badInputCase is a configuration that must fail at plan, at the line
// that starts with line, with message.
type badInputCase struct {
	config, line, message string
}

// badInputSteps plans each case alone and expects its error at its line;
// none of them may change anything in AWS.
func badInputSteps(t *testing.T, rec *acctest.Recorder, cases []badInputCase) []resource.TestStep {
	t.Helper()
	acctest.ExpectNoMutationsInTest(t, rec)
	var steps []resource.TestStep
	for _, c := range cases {
		if strings.Count(c.config, c.line) != 1 {
			t.Fatalf("the line %q must appear once in its configuration", c.line)
		}
		steps = append(steps, resource.TestStep{
			Config:      c.config,
			PlanOnly:    true,
			ExpectError: atLine(c.line, c.message),
		})
	}
	return steps
}
