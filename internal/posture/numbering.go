package posture

import "slices"

// Rule number bands: every deny lies below every allow, and the allow-all
// entries of a deny-list ACL come last. Gaps leave room for entries added
// later without renumbering the ones that stay.
//
// Path MTU discovery's entries take a band of their own, after the denies
// (a denied block stays denied) and before the profiles' allows, so they
// keep their numbers whatever the profiles do.
const (
	denyBandFirst, denyBandLast         = 1, 899
	pmtuBandFirst, pmtuBandLast         = 900, 999
	allowBandFirst, allowBandLast       = 1000, 31999
	allowAllBandFirst, allowAllBandLast = 32000, 32766
	numberStep                          = 10
)

type band uint8

const (
	bandDeny band = iota
	bandAllow
	bandAllowAll
	bandPMTU
	bandCount
)

func (b band) bounds() (int, int) {
	switch b {
	case bandDeny:
		return denyBandFirst, denyBandLast
	case bandAllow:
		return allowBandFirst, allowBandLast
	case bandPMTU:
		return pmtuBandFirst, pmtuBandLast
	}
	return allowAllBandFirst, allowAllBandLast
}

// number gives every entry a rule number, taking the slots in order. An
// entry whose twin (same key) in previous lies in the right band keeps that
// number. New entries take the first free number after their predecessor
// in the same direction and band, on the numberStep grid where it is free,
// so a fresh ACL reads 1000, 1010...
func (l *entryList) number(order []int32, previous []Entry) ([]Entry, error) {
	if fault("numbers not kept on update") {
		previous = nil
	}
	for _, e := range previous {
		// A later twin overrides an earlier one, even with a number no
		// band holds, which keeps nothing.
		if id, ok := l.idOf(e); ok {
			if slot, ok := l.index[id]; ok {
				p := l.slot(slot)
				p.previous = 0
				if e.RuleNumber > 0 && e.RuleNumber <= allowAllBandLast {
					p.previous = int32(e.RuleNumber)
				}
			}
		}
	}
	var taken [2]numberSet
	kept := make([]int32, len(order)) // 0: not kept
	for k, slot := range order {
		p := l.slot(slot)
		n := int(p.previous)
		first, last := p.band.bounds()
		dir := directionIndex(l.classes[p.id.class()].egress)
		if n >= first && n <= last && !taken[dir].has(n) {
			kept[k] = int32(n)
			taken[dir].add(n)
		}
	}

	var problems Problems
	var lastNumber [2][bandCount]int // per direction and band
	// Per direction, rule numbers in the high bits and positions in order
	// in the low ones, so that sorting the numbers sorts the entries. New
	// numbers follow the order, so the lists come mostly sorted, which
	// the sort is quick to see.
	sorted := [2][]uint64{make([]uint64, 0, len(order)), make([]uint64, 0, len(order))}
	for k, slot := range order {
		p := l.slot(slot)
		egress := l.classes[p.id.class()].egress
		dir := directionIndex(egress)
		first, last := p.band.bounds()
		if p.band == bandDeny && fault("deny numbered after the allows") {
			first, last = allowBandLast-(denyBandLast-denyBandFirst), allowBandLast
		}
		n := int(kept[k])
		if n == 0 {
			n = freeNumber(first, last, lastNumber[dir][p.band], taken[dir].has)
			if n == 0 {
				problems.add(bandPath(p.band), "Rule number band full",
					"The %s entries of %s need more numbers than %d-%d holds: shorten the list.", directionName(egress), bandName(p.band), first, last)
				continue
			}
			taken[dir].add(n)
		}
		lastNumber[dir][p.band] = n
		kept[k] = int32(n)
		sorted[dir] = append(sorted[dir], uint64(n)<<32|uint64(k))
	}
	if len(problems) > 0 {
		return nil, problems
	}
	// As SortEntries orders them: ingress then egress, each by number.
	out := make([]Entry, len(sorted[0])+len(sorted[1]))
	i := 0
	for _, keys := range sorted {
		slices.Sort(keys)
		for _, key := range keys {
			k := int(uint32(key))
			l.spell(&out[i], l.slot(order[k]))
			out[i].RuleNumber = int(kept[k])
			i++
		}
	}
	return out, nil
}

// numberSet is a set of rule numbers of one direction, 0-32767.
type numberSet [(allowAllBandLast + 64) / 64]uint64

func (s *numberSet) has(n int) bool { return s[n/64]&(1<<(n%64)) != 0 }

func (s *numberSet) add(n int) { s[n/64] |= 1 << (n % 64) }

// directionIndex indexes per-direction state: 0 ingress, 1 egress.
func directionIndex(egress bool) int {
	if egress {
		return 1
	}
	return 0
}

func directionName(egress bool) string {
	if egress {
		return Egress
	}
	return Ingress
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
	case bandPMTU:
		return PathMTUOrigin
	}
	return "default_action"
}

func bandPath(b band) Path {
	switch b {
	case bandDeny:
		return Root("deny")
	case bandAllow:
		return Root("profiles")
	case bandPMTU:
		return Root(PathMTUOrigin)
	}
	return Root("default_action")
}
