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
	type bucket struct{ direction, family string }
	type tally struct {
		total     int
		byKind    map[string]int
		crossedAt *Rule
	}
	tallies := map[bucket]*tally{}
	count := func(b bucket, r *Rule, kind string, weight int) {
		if weight == 0 {
			return
		}
		t := tallies[b]
		if t == nil {
			t = &tally{byKind: map[string]int{}}
			tallies[b] = t
		}
		t.total += weight
		t.byKind[kind] += weight
		if t.total > quota && t.crossedAt == nil {
			t.crossedAt = r
		}
	}
	for i := range rules {
		r := &rules[i]
		ipv4, ipv6 := ruleWeights(*r, opts.PrefixLists)
		kind := ruleKind(*r)
		count(bucket{r.Direction, familyIPv4}, r, kind, ipv4)
		count(bucket{r.Direction, familyIPv6}, r, kind, ipv6)
	}
	var problems Problems
	for _, direction := range []string{Ingress, Egress} {
		for _, family := range []string{familyIPv4, familyIPv6} {
			t := tallies[bucket{direction, family}]
			if t == nil || t.total <= quota {
				continue
			}
			at := Root("profiles")
			if p := t.crossedAt.Profiles; len(p) > 0 && p[0] != CustomOrigin {
				at = at.MapKey(p[0])
			} else if len(p) > 0 {
				at = Root("custom_rules")
			}
			problems.add(at, "Security group rule quota exceeded",
				"The posture needs %d %s %s rule slots, over the quota of %d: %s. The quota is passed at %s (%s). Merge peers into wider CIDRs, use a security group or prefix list as the peer, or raise rules_per_direction_quota after raising the quota in AWS.",
				t.total, family, direction, quota, kindSummary(t.byKind), t.crossedAt, strings.Join(t.crossedAt.Profiles, ", "))
		}
	}
	return problems.err()
}

func ruleKind(r Rule) string {
	switch {
	case r.CIDRIPv4 != "":
		return "IPv4 CIDR rules"
	case r.CIDRIPv6 != "":
		return "IPv6 CIDR rules"
	case r.ReferencedGroupID != "":
		return "security group references (each counts for IPv4 and IPv6)"
	}
	return "prefix list rules (at their weight or max entries)"
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
	type bucket struct {
		egress bool
		ipv6   bool
	}
	counts := map[bucket]int{}
	crossedAt := map[bucket]Entry{}
	for _, e := range entries {
		b := bucket{e.Egress, e.IPv6CIDRBlock != ""}
		counts[b]++
		if counts[b]+1 == quota+1 {
			crossedAt[b] = e
		}
	}
	var problems Problems
	for _, egress := range []bool{false, true} {
		for _, ipv6 := range []bool{false, true} {
			b := bucket{egress, ipv6}
			n := counts[b]
			if n > 0 && n+1 > quota {
				family, direction := familyIPv4, Ingress
				if ipv6 {
					family = familyIPv6
				}
				if egress {
					direction = Egress
				}
				at := crossedAt[b]
				problems.add(Root("entries_per_direction_quota"), "Network ACL entry quota exceeded",
					"The ACL needs %d %s %s entries plus the built-in deny-all, %d in all, over the quota of %d. The quota is passed at %s (%s). Merge peers into wider CIDRs, drop profiles this subnet does not need, or raise entries_per_direction_quota after raising the quota in AWS (at most 40).",
					n, family, direction, n+1, quota, at, at.Purpose)
			}
		}
	}
	return problems.err()
}
