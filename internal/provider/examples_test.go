package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
)

// The documentation's examples of the catalog and the functions run as
// written, so the docs cannot drift from the provider. (The ddve_rules
// example needs hashicorp/aws, which the tests do not install.)

// example returns an example's configuration. Read as text, it gets the
// provider's source address from the test harness, as inline
// configurations do.
func example(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAccPortProfiles_example(t *testing.T) {
	skipWithoutBackend(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: example(t, "data-sources/ddve_port_profiles/data-source.tf"),
			ConfigStateChecks: []statecheck.StateCheck{
				// Every flow of both profiles, as the catalog has them.
				statecheck.ExpectKnownOutputValue("flows", knownvalue.ListExact(exampleFlows(t, "ddboost", "nfs"))),
				statecheck.ExpectKnownOutputValue("why_not_telnet", knownvalue.ListSizeExact(1)),
			},
		}},
	})
}

// exampleFlows writes the catalog's flows of profiles as the example's
// "flows" output does: "ddboost: inbound tcp 111 (replies to ephemeral,
// 512-1023)".
func exampleFlows(t *testing.T, profiles ...string) []knownvalue.Check {
	t.Helper()
	var out []knownvalue.Check
	for _, name := range profiles {
		p, ok := catalog.Lookup(name)
		if !ok {
			t.Fatalf("no profile %s", name)
		}
		for _, f := range p.Flows {
			replies := "nothing: one-way"
			if !f.Replies.OneWay {
				parts := []string{"ephemeral"}
				for _, r := range f.Replies.ClientPorts {
					parts = append(parts, r.String())
				}
				replies = strings.Join(parts, ", ")
			}
			out = append(out, knownvalue.StringExact(fmt.Sprintf("%s: %s %s %d (replies to %s)", name, f.Direction, f.Protocol, f.FromPort, replies)))
		}
	}
	return out
}

func TestAccFunctions_examples(t *testing.T) {
	skipWithoutBackend(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   functionsVersionChecks,
		Steps: []resource.TestStep{
			{
				Config:          example(t, "functions/security_group_rules/function.tf"),
				ConfigVariables: config.Variables{"bastion_security_group_id": config.StringVariable("sg-0123456789abcdef0")},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("ingress_ports", knownvalue.ListExact([]knownvalue.Check{
						knownvalue.Int64Exact(22), knownvalue.Int64Exact(111), knownvalue.Int64Exact(443), knownvalue.Int64Exact(2049), knownvalue.Int64Exact(2052),
					})),
				},
			},
			{
				Config: example(t, "functions/network_acl_entries/function.tf"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("entries", knownvalue.ListPartial(map[int]knownvalue.Check{
						0: knownvalue.StringExact("in #10 ingress deny all 5.5.5.5/32"),
					})),
				},
			},
		},
	})
}
