package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
)

func TestNewerPrefixListsNamesEachNewerList(t *testing.T) {
	ctx := context.Background()
	state := types.MapValueMust(types.Int64Type, map[string]attr.Value{
		"pl-11111111": types.Int64Value(3), "pl-22222222": types.Int64Value(7), "pl-33333333": types.Int64Value(2),
	})
	lists := map[string]awsec2.ResolvedPrefixList{
		"pl-11111111": {Name: "com.amazonaws.us-east-1.s3", Version: 4, CIDRs: []string{"a", "b"}}, // newer
		"pl-22222222": {Name: "same", Version: 7},
		"pl-33333333": {Name: "older", Version: 1}, // never news: AWS does not go back
		"pl-44444444": {Name: "new to the ACL", Version: 9},
	}
	got := newerPrefixLists(ctx, state, lists)
	if len(got) != 1 || !strings.Contains(got[0], "pl-11111111 (com.amazonaws.us-east-1.s3) is at version 4") ||
		!strings.Contains(got[0], "resolved from version 3") || !strings.Contains(got[0], "the 2 CIDRs of version 4") {
		t.Fatalf("warnings: %q", got)
	}
	for _, held := range []types.Map{types.MapNull(types.Int64Type), types.MapUnknown(types.Int64Type)} {
		if got := newerPrefixLists(ctx, held, lists); got != nil {
			t.Fatalf("no versions held (an import, or a create): %q", got)
		}
	}
}

// A prefix list that gains a range after the apply: the next plan updates
// the entries to the new version's CIDRs, and the version in state moves.
func TestAccSubnetNACL_prefixListNewerVersion(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	ctx := context.Background()
	created, err := testEC2().CreateManagedPrefixList(ctx, &ec2.CreateManagedPrefixListInput{
		PrefixListName: aws.String("ddve-test-" + n.VPCID), AddressFamily: aws.String("IPv4"), MaxEntries: aws.Int32(5),
		Entries: []ec2types.AddPrefixListEntry{{Cidr: aws.String("10.99.0.0/24")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	list := aws.ToString(created.PrefixList.PrefixListId)
	version := func(v int64) knownvalue.Check {
		return knownvalue.MapExact(map[string]knownvalue.Check{list: knownvalue.Int64Exact(v)})
	}
	entries := func(cidrs ...string) []string {
		var out []string
		for i, cidr := range cidrs {
			out = append(out, fmt.Sprintf("egress %d allow 6 %s ports 443-443 icmp -", 1000+10*i, cidr))
			for j, ports := range acctest.DDVEReturnPorts {
				out = append(out, fmt.Sprintf("ingress %d allow 6 %s ports %s icmp -", 1000+10*(i*len(acctest.DDVEReturnPorts)+j), cidr, ports))
			}
		}
		return out
	}
	config := providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "test" {
  vpc_id             = %q
  subnet_ids         = [%q]
  path_mtu_discovery = false
  profiles           = { object_storage = { prefix_list_ids = [%q] } }
}
`, n.VPCID, n.DDVESubnetID, list)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aclAddress, tfjsonpath.New("prefix_list_versions"), version(1)),
					acctest.ExpectACLEntries(rec, aclAddress, entries("10.99.0.0/24")),
				},
			},
			{
				PreConfig: func() {
					_, err := testEC2().ModifyManagedPrefixList(ctx, &ec2.ModifyManagedPrefixListInput{
						PrefixListId: aws.String(list), CurrentVersion: aws.Int64(1),
						AddEntries: []ec2types.AddPrefixListEntry{{Cidr: aws.String("10.98.5.0/24")}},
					})
					if err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(aclAddress, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(aclAddress, tfjsonpath.New("prefix_list_versions"), version(2)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(aclAddress, tfjsonpath.New("prefix_list_versions"), version(2)),
					acctest.ExpectACLEntries(rec, aclAddress, entries("10.99.0.0/24", "10.98.5.0/24")),
				},
			},
		},
	})
}

// An ACL that names no prefix list has null versions, as state written
// before the attribute existed has: upgrading plans no change for it.
func TestPrefixListVersionsNullWithoutLists(t *testing.T) {
	if v := flattenPrefixListVersions(nil); !v.IsNull() {
		t.Fatalf("no lists: %v", v)
	}
	v := flattenPrefixListVersions(map[string]awsec2.ResolvedPrefixList{"pl-1": {Version: 3}})
	if v.IsNull() || len(v.Elements()) != 1 || !v.Elements()["pl-1"].Equal(types.Int64Value(3)) {
		t.Fatalf("one list: %v", v)
	}
}
