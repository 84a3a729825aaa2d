package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// Bad input to the data sources fails at plan, at the line of the
// attribute that holds it, as it does in the resources.
func TestAccRules_badInput(t *testing.T) {
	rec := testRecorder(t)
	skipWithoutBackend(t)
	rules := func(body string) string {
		return providerConfig(rec) + fmt.Sprintf("\ndata \"ddve_rules\" \"test\" {\n%s\n}\n", body)
	}
	cases := []badInputCase{
		{rules(`  profiles = {
    management = {
      cidr_blocks = ["10.0.1.10/32"]
    }
    ftp = {
      cidr_blocks = ["10.0.1.10/32"]
    }
  }`), `ftp = {`, `"ftp" is not a DDVE port profile. Did you mean "ntp"? Valid names: cifs, ddboost,`},
		{rules(`  custom_rules = [
    { direction = "ingress", protocol = "tcp", from_port = 22, to_port = 22, cidr_blocks = ["10.0.9.0/24"] },
    { direction = "ingress", protocol = "tcp", cidr_blocks = ["10.0.9.0/24"] },
  ]`), `{ direction = "ingress", protocol = "tcp", cidr_blocks`, "tcp needs from_port and to_port"},
		{rules(`  profiles = {
    management = {
      cidr_blocks = ["10.0.1.10/24"]
    }
  }`), `management = {`, `In profiles["management"].cidr_blocks["10.0.1.10/24"]: 10.0.1.10/24 has host bits set: write 10.0.1.0/24 for the network`},
		{rules(`  profiles = {
    management = { cidr_blocks = ["10.0.1.10/32"] }
  }
  deny = [
    { cidr_block = "5.5.5.5/32", direction = "sideways" },
  ]`), `{ cidr_block = "5.5.5.5/32", direction = "sideways" }`, `direction is "sideways": use ingress, egress or both`},
		// A security group peer leaves the entries out, not the check of
		// the ACL's own arguments.
		{rules(`  profiles = {
    management = { security_group_ids = ["sg-0123456789abcdef0"] }
  }
  deny = [
    { cidr_block = "5.5.5.5/32", direction = "sideways" },
  ]`), `{ cidr_block = "5.5.5.5/32", direction = "sideways" }`, `direction is "sideways": use ingress, egress or both`},
		{providerConfig(rec) + `
data "ddve_port_profiles" "test" {
  names = ["nfs", "ftp"]
}
`, `names = ["nfs", "ftp"]`, `"ftp" is not a DDVE port profile. Did you mean "ntp"? Valid names: cifs, ddboost,`},
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    badInputSteps(t, rec, cases),
	})
}
