package posture

import (
	"fmt"
	"slices"
	"strings"
)

// PrefixListWeight is what a rule naming a prefix list counts against a
// security group's quota.
type PrefixListWeight struct {
	// Weight is the list's max entries when customer-managed, its weight in
	// AWS's table when AWS-managed.
	Weight int
	// Family is the list's address family, "IPv4" or "IPv6": a
	// customer-managed list counts in its own family only.
	Family string
	// AWSManaged lists, like security group references, count once for
	// IPv4 and once for IPv6.
	AWSManaged bool
}

// Quota families.
const (
	familyIPv4 = "IPv4"
	familyIPv6 = "IPv6"
)

// ruleWeights returns what one rule counts in each family, as the VPC
// quotas page says: a CIDR counts 1 in its family; a security group
// reference 1 in both; an AWS-managed prefix list its weight in both; a
// customer-managed list its max entries in its own family.
func ruleWeights(r Rule, lists map[string]PrefixListWeight) (ipv4, ipv6 int) {
	switch {
	case r.CIDRIPv4 != "":
		return 1, 0
	case r.CIDRIPv6 != "":
		return 0, 1
	case r.ReferencedGroupID != "":
		if fault("quota counting a group reference once") {
			return 1, 0
		}
		return 1, 1
	case r.PrefixListID != "":
		pl, ok := lists[r.PrefixListID]
		if !ok {
			pl = PrefixListWeight{Weight: 1, AWSManaged: true}
		}
		switch {
		case pl.AWSManaged:
			return pl.Weight, pl.Weight
		case pl.Family == familyIPv6:
			return 0, pl.Weight
		}
		return pl.Weight, 0
	}
	return 0, 0
}

// checkGroupQuota counts rules per direction and IP family as AWS does, and
// names what the count is made of and the rule that passes the quota.
func checkGroupQuota(rules []Rule, opts GroupOptions) error {
	quota := opts.RulesPerDirectionQuota
	if quota <= 0 {
		quota = DefaultRulesPerDirectionQuota
	}
	// Tallies per direction and family; the rules are the compiler's, each
	// ingress or egress.
	type tally struct {
		total     int
		used      bool
		byKind    [kindCount]int
		counted   [kindCount]bool
		crossedAt *Rule
	}
	var tallies [2][2]tally
	count := func(t *tally, r *Rule, kind ruleKindIndex, weight int) {
		if weight == 0 {
			return
		}
		t.used = true
		t.total += weight
		t.byKind[kind] += weight
		t.counted[kind] = true
		if t.total > quota && t.crossedAt == nil {
			t.crossedAt = r
		}
	}
	for i := range rules {
		r := &rules[i]
		ipv4, ipv6 := ruleWeights(*r, opts.PrefixLists)
		kind := kindOf(*r)
		dir := directionIndex(r.Direction == Egress)
		count(&tallies[dir][0], r, kind, ipv4)
		count(&tallies[dir][1], r, kind, ipv6)
	}
	var problems Problems
	for dir, direction := range []string{Ingress, Egress} {
		for f, family := range []string{familyIPv4, familyIPv6} {
			t := &tallies[dir][f]
			if !t.used || t.total <= quota {
				continue
			}
			at := Root("profiles")
			if p := t.crossedAt.Profiles; len(p) > 0 && p[0] != CustomOrigin {
				at = at.MapKey(p[0])
			} else if len(p) > 0 {
				at = Root("custom_rules")
			}
			byKind := map[string]int{}
			for k := range kindCount {
				if t.counted[k] {
					byKind[ruleKindNames[k]] = t.byKind[k]
				}
			}
			problems.add(at, "Security group rule quota exceeded",
				"The posture needs %d %s %s rule slots, over the quota of %d: %s. The quota is passed at %s (%s). Merge peers into wider CIDRs, use a security group or prefix list as the peer, or raise rules_per_direction_quota after raising the quota in AWS.",
				t.total, family, direction, quota, kindSummary(byKind), t.crossedAt, strings.Join(t.crossedAt.Profiles, ", "))
		}
	}
	return problems.err()
}

// The kinds of rule a quota problem counts apart, and their names.
type ruleKindIndex int

const (
	kindIPv4 ruleKindIndex = iota
	kindIPv6
	kindGroup
	kindPrefixList
	kindCount
)

var ruleKindNames = [kindCount]string{
	"IPv4 CIDR rules",
	"IPv6 CIDR rules",
	"security group references (each counts for IPv4 and IPv6)",
	"prefix list rules (at their weight or max entries)",
}

func kindOf(r Rule) ruleKindIndex {
	switch {
	case r.CIDRIPv4 != "":
		return kindIPv4
	case r.CIDRIPv6 != "":
		return kindIPv6
	case r.ReferencedGroupID != "":
		return kindGroup
	}
	return kindPrefixList
}

func kindSummary(byKind map[string]int) string {
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d from %s", byKind[k], k)
	}
	return strings.Join(parts, ", ")
}

// checkACLQuota counts entries per direction and IP family, plus the
// built-in deny-all that AWS counts against the same quota, and names the
// entry that passes it. Entries come sorted by rule number.
func checkACLQuota(entries []Entry, quota int) error {
	if quota <= 0 {
		quota = DefaultEntriesPerDirectionQuota
	}
	// Counts per direction and family, and the entry that passes the quota.
	var counts [2][2]int
	var crossedAt [2][2]Entry
	family := func(e Entry) int {
		if e.IPv6CIDRBlock != "" {
			return 1
		}
		return 0
	}
	for _, e := range entries {
		dir, f := directionIndex(e.Egress), family(e)
		counts[dir][f]++
		if counts[dir][f]+1 == quota+1 {
			crossedAt[dir][f] = e
		}
	}
	var problems Problems
	for dir, egress := range []bool{false, true} {
		for f, ipv6 := range []bool{false, true} {
			n := counts[dir][f]
			if n > 0 && n+1 > quota && (n > quota || !fault("ACL quota without the built-in deny")) {
				family, direction := familyIPv4, Ingress
				if ipv6 {
					family = familyIPv6
				}
				if egress {
					direction = Egress
				}
				at := crossedAt[dir][f]
				raise := fmt.Sprintf("or raise entries_per_direction_quota after raising the quota in AWS (at most %d)", MaxEntriesPerDirectionQuota)
				if quota >= MaxEntriesPerDirectionQuota {
					raise = fmt.Sprintf("or split the subnets: AWS allows no more than %d", MaxEntriesPerDirectionQuota)
				}
				problems.add(Root("entries_per_direction_quota"), "Network ACL entry quota exceeded",
					"The ACL needs %d %s %s entries plus the built-in deny-all, %d in all, over the quota of %d. The quota is passed at %s (%s). Merge peers into wider CIDRs, drop profiles this subnet does not need, %s.",
					n, family, direction, n+1, quota, at, at.Purpose, raise)
			}
		}
	}
	return problems.err()
}
