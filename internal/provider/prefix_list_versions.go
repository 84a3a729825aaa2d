package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
)

// flattenPrefixListVersions builds prefix_list_versions: the version each
// list's CIDRs were read at; null for an ACL that names no list, so that
// state written before the attribute existed plans no change for it.
func flattenPrefixListVersions(lists map[string]awsec2.ResolvedPrefixList) types.Map {
	if len(lists) == 0 {
		return types.MapNull(types.Int64Type)
	}
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
			out = append(out, fmt.Sprintf("Prefix list %s (%s) is at version %d; the network ACL's entries were resolved from version %d. "+
				"This plan compiles them from the %d CIDRs of version %d (the entries show what changes, if anything): until it is applied, "+
				"the ACL drops traffic to any range the list gained and still admits any range it lost.",
				id, list.Name, list.Version, was, len(list.CIDRs), list.Version))
		}
	}
	return out
}

// recordPrefixListVersions fills prefix_list_versions in a state written
// before the attribute existed, from the lists the state's intent names,
// so that upgrading the provider plans no change. A list that changed since
// the last apply still shows in the plan's entries; only the warning naming
// it is missed, once. A refresh does not fail for it: the plan resolves the
// lists again and reports what goes wrong.
func (r *subnetNACLResource) recordPrefixListVersions(ctx context.Context, state *subnetNACLModel) {
	intent, known, diags := state.expandIntent(ctx)
	if diags.HasError() || !known || r.data == nil {
		return
	}
	ids := prefixListIDs(intent)
	if len(ids) == 0 {
		return
	}
	lists, err := r.data.prefixLists.Resolve(ctx, r.client().EC2, ids)
	if err != nil {
		tflog.Debug(ctx, "prefix list versions left unknown until the next plan", map[string]any{"error": err.Error()})
		return
	}
	state.PrefixListVersions = flattenPrefixListVersions(lists)
}
