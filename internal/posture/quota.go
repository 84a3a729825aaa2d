package posture

// checkGroupQuota counts rules per direction and IP family, with each
// prefix list at its weight.
func checkGroupQuota(rules []Rule, opts GroupOptions) error {
	quota := opts.RulesPerDirectionQuota
	if quota <= 0 {
		quota = DefaultRulesPerDirectionQuota
	}
	type bucket struct{ direction, family string }
	counts := map[bucket]int{}
	for _, r := range rules {
		b := bucket{r.Direction, "IPv4"}
		weight := 1
		switch {
		case r.CIDRIPv6 != "":
			b.family = "IPv6"
		case r.PrefixListID != "":
			if w, ok := opts.PrefixListWeights[r.PrefixListID]; ok {
				weight = w
			}
		}
		counts[b] += weight
	}
	var problems Problems
	for _, direction := range []string{Ingress, Egress} {
		for _, family := range []string{"IPv4", "IPv6"} {
			if n := counts[bucket{direction, family}]; n > quota {
				problems.add(Root("profiles"), "Security group rule quota exceeded",
					"The posture needs %d %s %s rules (prefix lists count their weight or max entries), over the quota of %d. Merge peers into wider CIDRs, use a security group or prefix list as the peer, or raise rules_per_direction_quota after raising the quota in AWS.",
					n, family, direction, quota)
			}
		}
	}
	return problems.err()
}

// checkACLQuota counts entries per direction and IP family, plus the
// built-in deny-all that AWS counts against the same quota.
func checkACLQuota(entries []Entry, quota int) error {
	if quota <= 0 {
		quota = DefaultEntriesPerDirectionQuota
	}
	type bucket struct {
		egress bool
		ipv6   bool
	}
	counts := map[bucket]int{}
	for _, e := range entries {
		counts[bucket{e.Egress, e.IPv6CIDRBlock != ""}]++
	}
	var problems Problems
	for _, egress := range []bool{false, true} {
		for _, ipv6 := range []bool{false, true} {
			n := counts[bucket{egress, ipv6}]
			if n > 0 && n+1 > quota {
				family, direction := "IPv4", Ingress
				if ipv6 {
					family = "IPv6"
				}
				if egress {
					direction = Egress
				}
				problems.add(Root("entries_per_direction_quota"), "Network ACL entry quota exceeded",
					"The ACL needs %d %s %s entries plus the built-in deny-all, %d in all, over the quota of %d. Merge peers into wider CIDRs, drop profiles this subnet does not need, or raise entries_per_direction_quota after raising the quota in AWS (at most 40).",
					n, family, direction, n+1, quota)
			}
		}
	}
	return problems.err()
}
