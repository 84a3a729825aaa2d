package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
)

// flattenPrefixListVersions builds prefix_list_versions: the version each
// list's CIDRs were read at.
func flattenPrefixListVersions(lists map[string]awsec2.ResolvedPrefixList) types.Map {
	versions := make(map[string]attr.Value, len(lists))
	for id, list := range lists {
		versions[id] = types.Int64Value(list.Version)
	}
	return types.MapValueMust(types.Int64Type, versions)
}

// newerPrefixLists says, for each list AWS holds at a newer version than
// the one the state's entries were resolved from, which list it is and
// what the plan does about it. A list the state does not know (a new one,
// or any after an import) is not news.
func newerPrefixLists(ctx context.Context, state types.Map, lists map[string]awsec2.ResolvedPrefixList) []string {
	var held map[string]int64
	if state.IsNull() || state.IsUnknown() || state.ElementsAs(ctx, &held, false).HasError() {
		return nil
	}
	var out []string
	for _, id := range slices.Sorted(maps.Keys(lists)) {
		was, ok := held[id]
		if list := lists[id]; ok && list.Version > was {
			out = append(out, fmt.Sprintf("Prefix list %s (%s) is at version %d; the network ACL's entries hold its CIDRs at version %d. "+
				"This plan updates the entries to the %d CIDRs of version %d: until it is applied, traffic to ranges the list gained is dropped by the ACL.",
				id, list.Name, list.Version, was, len(list.CIDRs), list.Version))
		}
	}
	return out
}
