package posture

import (
	"cmp"
	"net/netip"
	"slices"
)

// Entries that can never match. An allow entry whose block, protocol and
// ports lie inside another allow entry of the same direction and family
// passes nothing the other does not: every deny comes before every allow,
// so nothing between them decides otherwise. It is left out, saving its
// slot of the quota, and the entry that covers it names its purposes too.
// With default_action = "allow", the allow-all entries cover every allow.
//
// The coverer is, as the reference in the tests says it: the first entry
// for every protocol (in the compile order) whose block holds the entry;
// else the entry of its protocol with the widest block, then the lowest
// first port (ICMP type), the highest last port (ICMP code, any first),
// the earliest place. A covered coverer hands on to its own.

// A cover key packs what orders the entries of one block: direction and
// protocol (11 bits), first port (17), last port inverted (17), and the
// place in the compile order (19), so that sorting the keys of a block
// sorts its entries by protocol, then as the coverer is chosen.
const (
	coverPosBits  = 19
	coverPortBits = 17
)

func coverKey(egress bool, proto, from, to int32, pos int) uint64 {
	group := uint64(directionIndex(egress))<<9 | uint64(proto+1)
	return group<<(2*coverPortBits+coverPosBits) | uint64(from+1)<<(coverPortBits+coverPosBits) |
		uint64(65536-to)<<coverPosBits | uint64(pos)
}

func coverFields(key uint64) (group uint64, from, to int32, pos int) {
	const portMask, posMask = 1<<coverPortBits - 1, 1<<coverPosBits - 1
	return key >> (2*coverPortBits + coverPosBits), int32(key>>(coverPortBits+coverPosBits)&portMask) - 1,
		65536 - int32(key>>coverPosBits&portMask), int(key & posMask)
}

// dropCovered returns the order without the allow entries another allow
// entry covers, and gives each dropped entry's purposes to its coverer.
func (l *entryList) dropCovered(order []int32) []int32 {
	if len(order) >= 1<<coverPosBits || fault("covered entry kept") {
		return order
	}
	nBlocks := len(l.blocks.blocks)
	// The allow entries by block, as cover keys: counted, then placed.
	offsets := make([]int32, nBlocks+1)
	allows := 0
	for _, slot := range order {
		p := l.slot(slot)
		if !l.classes[p.id.class()].deny {
			offsets[p.id.block()+1]++
			allows++
		}
	}
	for b := range nBlocks {
		offsets[b+1] += offsets[b]
	}
	keys := make([]uint64, allows)
	next := slices.Clone(offsets[:nBlocks])
	hasAll := false
	for k, slot := range order {
		p := l.slot(slot)
		c := l.classes[p.id.class()]
		if c.deny {
			continue
		}
		var from, to int32
		switch {
		case HasPorts(int(c.proto)):
			from, to = c.fromPort, c.toPort
		case IsICMP(int(c.proto)):
			from, to = c.icmpType, c.icmpCode
			if to == -1 {
				to = 256 // any code sorts first among a type's
			}
		}
		hasAll = hasAll || c.proto == ProtoAll
		b := p.id.block()
		keys[next[b]] = coverKey(c.egress, int32(c.proto), from, to, k)
		next[b]++
	}
	used := make([]int32, 0, nBlocks)
	for b := range nBlocks {
		if bucket := keys[offsets[b]:offsets[b+1]]; len(bucket) > 0 {
			slices.Sort(bucket)
			used = append(used, int32(b))
		}
	}
	parents := l.blockParents(used)
	bucket := func(b int32) []uint64 { return keys[offsets[b]:offsets[b+1]] }

	coveredBy := make([]int32, len(order)) // place+1 of the coverer, or 0
	var chain []int32                      // the block's ancestors, outermost first
	for _, b := range used {
		chain = chain[:0]
		for a := parents[b]; a >= 0; a = parents[a] {
			chain = append(chain, a)
		}
		slices.Reverse(chain)
		own := bucket(b)
		groupStart, lastGroup := 0, ^uint64(0)
		for i, key := range own {
			group, from, to, pos := coverFields(key)
			if group != lastGroup {
				groupStart, lastGroup = i, group
			}
			proto := int(group&0x1ff) - 1
			if hasAll {
				// The first entry for every protocol, of this direction,
				// in this block or one holding it; for an entry for every
				// protocol itself, in a wider block only.
				best := -1
				for _, a := range append(chain, b) {
					if a == b && proto == ProtoAll {
						continue
					}
					for _, o := range bucket(a) {
						og, _, _, opos := coverFields(o)
						if og == group&^0x1ff && (best < 0 || opos < best) {
							best = opos
						}
					}
				}
				if best >= 0 {
					coveredBy[pos] = int32(best) + 1
					continue
				}
			}
			found := false
			for _, a := range chain {
				for _, o := range bucket(a) {
					og, ofrom, oto, opos := coverFields(o)
					if og == group && portsCover(proto, ofrom, oto, from, to) {
						coveredBy[pos], found = int32(opos)+1, true
						break
					}
				}
				if found {
					break
				}
			}
			// Earlier entries of its block and protocol: the keys sort
			// them by protocol first.
			for j := groupStart; j < i && !found; j++ {
				_, ofrom, oto, opos := coverFields(own[j])
				if portsCover(proto, ofrom, oto, from, to) {
					coveredBy[pos], found = int32(opos)+1, true
				}
			}
		}
	}

	kept := order[:0:0]
	for k, slot := range order {
		by := coveredBy[k]
		if by == 0 {
			kept = append(kept, slot)
			continue
		}
		// The coverer may be covered in turn: its own coverer, which
		// covers this entry too, takes the purposes.
		for coveredBy[by-1] != 0 {
			by = coveredBy[by-1]
		}
		q := l.slot(order[by-1])
		q.purposes = l.purposes.join(q.purposes, l.slot(slot).purposes)
	}
	if len(kept) == len(order) {
		return order
	}
	return kept
}

// portsCover reports whether ports (ICMP type and code, code 256 for
// any) ofrom-oto hold from-to.
func portsCover(proto int, ofrom, oto, from, to int32) bool {
	switch {
	case HasPorts(proto) && fault("non-covered entry dropped"):
		return ofrom <= to && from <= oto // overlapping taken for holding
	case HasPorts(proto):
		return ofrom <= from && to <= oto
	case IsICMP(proto):
		return ofrom == -1 || ofrom == from && (oto == 256 || oto == to)
	}
	return true
}

// blockParents returns, for each of the used blocks, the nearest other
// used block of its family that holds it, or -1. Blocks nest or are
// disjoint, so in address order the blocks holding one are a stack.
func (l *entryList) blockParents(used []int32) []int32 {
	parents := make([]int32, len(l.blocks.blocks))
	for i := range parents {
		parents[i] = -1
	}
	type block struct {
		n      int32
		prefix netip.Prefix
	}
	blocks := make([]block, 0, len(used))
	for _, n := range used {
		if p, err := netip.ParsePrefix(l.blocks.blocks[n].value); err == nil {
			blocks = append(blocks, block{n, p.Masked()})
		}
	}
	slices.SortFunc(blocks, func(a, b block) int {
		return cmp.Or(cmp.Compare(a.prefix.Addr().BitLen(), b.prefix.Addr().BitLen()), a.prefix.Addr().Compare(b.prefix.Addr()), cmp.Compare(a.prefix.Bits(), b.prefix.Bits()))
	})
	var stack []block
	for _, b := range blocks {
		for len(stack) > 0 {
			top := stack[len(stack)-1].prefix
			if top.Addr().BitLen() == b.prefix.Addr().BitLen() && top.Bits() <= b.prefix.Bits() && top.Contains(b.prefix.Addr()) {
				break
			}
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 {
			parents[b.n] = stack[len(stack)-1].n
		}
		stack = append(stack, b)
	}
	return parents
}
