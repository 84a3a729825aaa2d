package posture

import "strings"

// Rule number bands: every deny lies below every allow, and the allow-all
// entries of a deny-list ACL come last. Gaps leave room for entries added
// later without renumbering the ones that stay.
const (
	denyBandFirst, denyBandLast         = 1, 999
	allowBandFirst, allowBandLast       = 1000, 31999
	allowAllBandFirst, allowAllBandLast = 32000, 32766
	numberStep                          = 10
)

type band int

const (
	bandDeny band = iota
	bandAllow
	bandAllowAll
)

func (b band) bounds() (int, int) {
	switch b {
	case bandDeny:
		return denyBandFirst, denyBandLast
	case bandAllow:
		return allowBandFirst, allowBandLast
	}
	return allowAllBandFirst, allowAllBandLast
}

// number gives every entry a rule number. An entry whose twin (same key) in
// previous lies in the right band keeps that number. New entries take the
// first free number after their predecessor in the same direction and band,
// on the numberStep grid where it is free, so a fresh ACL reads 1000, 1010...
func number(pending []pendingEntry, previous []Entry) ([]Entry, error) {
	type slot struct {
		egress bool
		number int
	}
	taken := make(map[slot]bool, len(pending))
	kept := make([]int, len(pending)) // 0: not kept
	prevByKey := make(map[EntryKey]int, len(previous))
	for _, e := range previous {
		prevByKey[e.Key()] = e.RuleNumber
	}
	for i := range pending {
		p := &pending[i]
		n, ok := prevByKey[p.Key()]
		first, last := p.band.bounds()
		if ok && n >= first && n <= last && !taken[slot{p.Egress, n}] {
			kept[i] = n
			taken[slot{p.Egress, n}] = true
		}
	}

	var problems Problems
	type cursor struct {
		egress bool
		band   band
	}
	lastNumber := map[cursor]int{}
	out := make([]Entry, 0, len(pending))
	for i := range pending {
		p := &pending[i]
		c := cursor{p.Egress, p.band}
		first, last := p.band.bounds()
		n := kept[i]
		if n == 0 {
			n = freeNumber(first, last, lastNumber[c], func(n int) bool { return taken[slot{p.Egress, n}] })
			if n == 0 {
				problems.add(bandPath(p.band), "Rule number band full",
					"The %s entries of %s need more numbers than %d-%d holds: shorten the list.", p.Direction(), bandName(p.band), first, last)
				continue
			}
			taken[slot{p.Egress, n}] = true
		}
		lastNumber[c] = n
		e := p.Entry
		e.RuleNumber = n
		e.Purpose = p.purposes[0]
		if len(p.purposes) > 1 {
			e.Purpose = strings.Join(p.purposes, "; ")
		}
		out = append(out, e)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	SortEntries(out)
	return out, nil
}

// freeNumber picks a free number in [first, last]: the next grid point after
// after, then any free number after it, then any free number in the band.
func freeNumber(first, last, after int, taken func(int) bool) int {
	start := (first + numberStep - 1) / numberStep * numberStep
	if after >= first {
		start = (after/numberStep + 1) * numberStep
	}
	for n := start; n <= last; n += numberStep {
		if !taken(n) {
			return n
		}
	}
	for n := max(after+1, first); n <= last; n++ {
		if !taken(n) {
			return n
		}
	}
	for n := first; n <= last; n++ {
		if !taken(n) {
			return n
		}
	}
	return 0
}

func bandName(b band) string {
	switch b {
	case bandDeny:
		return "deny"
	case bandAllow:
		return "profiles and custom_rules"
	}
	return "default_action"
}

func bandPath(b band) Path {
	switch b {
	case bandDeny:
		return Root("deny")
	case bandAllow:
		return Root("profiles")
	}
	return Root("default_action")
}
