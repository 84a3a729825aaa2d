package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
)

// TestAccPortProfiles_catalog reads the catalog as a user would look
// things up in it: a profile's flows and where their replies go, and why
// a port is missing.
func TestAccPortProfiles_catalog(t *testing.T) {
	rec := testRecorder(t)
	skipWithoutBackend(t)
	flow := func(direction, protocol string, port int64, purpose string, replyPorts ...string) knownvalue.Check {
		replies := []knownvalue.Check{}
		for _, p := range replyPorts {
			replies = append(replies, knownvalue.StringExact(p))
		}
		return knownvalue.ObjectPartial(map[string]knownvalue.Check{
			"direction": knownvalue.StringExact(direction), "protocol": knownvalue.StringExact(protocol),
			"from_port": knownvalue.Int64Exact(port), "to_port": knownvalue.Int64Exact(port),
			"purpose": knownvalue.StringExact(purpose), "reply_ports": knownvalue.ListExact(replies),
		})
	}
	some := "data.ddve_port_profiles.some"
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: rec.Reset,
			Config: providerConfig(rec) + `
data "ddve_port_profiles" "all" {}

data "ddve_port_profiles" "some" {
  names = ["syslog", "nfs", "ntp"]
}

output "telnet" {
  value = [for o in data.ddve_port_profiles.all.omitted : o.reason if o.ports == "23"][0]
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.ExpectNoCalls(rec),
				statecheck.ExpectKnownValue("data.ddve_port_profiles.all", tfjsonpath.New("profiles"), knownvalue.ListSizeExact(len(catalog.All()))),
				statecheck.ExpectKnownValue("data.ddve_port_profiles.all", tfjsonpath.New("omitted"), knownvalue.ListSizeExact(len(catalog.Omitted()))),
				statecheck.ExpectKnownOutputValue("telnet", knownvalue.StringRegexp(wrapped("Telnet. Insecure"))),
				// In catalog order, whatever the order of names.
				statecheck.ExpectKnownValue(some, tfjsonpath.New("profiles"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"name": knownvalue.StringExact("nfs"), "summary": knownvalue.NotNull(), "typical_peer": knownvalue.StringExact("NFS clients"),
						"sources": knownvalue.StringExact("A, B, C"),
						"flows": knownvalue.ListExact([]knownvalue.Check{
							flow("inbound", "tcp", 111, "portmapper", "ephemeral", "512-1023"),
							flow("inbound", "udp", 111, "portmapper", "ephemeral", "512-1023"),
							flow("inbound", "tcp", 2049, "NFS and DD Boost data", "ephemeral", "512-1023"),
							flow("inbound", "tcp", 2052, "NFS mountd", "ephemeral", "512-1023"),
						}),
					}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"name":  knownvalue.StringExact("syslog"),
						"flows": knownvalue.ListExact([]knownvalue.Check{flow("outbound", "udp", 514, "syslog")}),
					}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"name":  knownvalue.StringExact("ntp"),
						"flows": knownvalue.ListExact([]knownvalue.Check{flow("outbound", "udp", 123, "NTP", "ephemeral", "123")}),
					}),
				})),
				statecheck.ExpectKnownValue(some, tfjsonpath.New("profiles").AtSliceIndex(0).AtMapKey("flows").AtSliceIndex(0).AtMapKey("reply_source"),
					knownvalue.StringExact("nfs(5) resvport; D")),
			},
		}},
	})
}
