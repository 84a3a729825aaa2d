package evaluate

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// builder makes a Space out of many boxes in one pass, where folding them
// in with Union or Subtract one at a time would sweep the growing set once
// per box. A filter's rules and entries all become boxes of a builder.
//
// Boxes are applied in the order they are added: an allowing box adds its
// packets, a denying one removes them. A security group only adds; an ACL
// adds its entries from the last to the first, so that each entry
// overrides the ones after it: first match wins.
type builder struct {
	items []item
	*scratch
}

// scratch is memory a builder reuses from one sweep to the next; the two
// directions of a filter share one, and calls share them through a pool:
// property tests compute exposures in a loop, where fresh scratch would
// be most of the garbage.
type scratch struct {
	items  [2][]item // the builders' boxes, kept for the next call
	merged []item    // a protocol's and -1's items of a family
	sorted []item    // items in sections
	keys   []int
	bounds []u128
	starts []int32 // items' positions by where they start
	active []int32 // the positions of the items over a stretch
	gather spans
	// unions are the last port sets unionOf made, for it to share.
	unions []spans
	out    slabs
	// ports interns single port ranges: a filter names few distinct ones
	// (the same ports for each peer), so they are allocated once.
	ports []spans
	// portStore holds the interned ranges, many to an allocation. It only
	// grows, each range written once, so it outlives a release: the Spaces
	// that share its ranges never see them change.
	portStore []span
}

var scratchPool = sync.Pool{New: func() any { return newScratch() }}

func newScratch() *scratch { return new(scratch) }

// newBuilders returns the builders of a filter's two directions; release
// gives their memory back once their spaces are built.
func newBuilders() (in, out builder) {
	sc, ok := scratchPool.Get().(*scratch)
	if !ok {
		sc = newScratch()
	}
	return builder{sc.items[0][:0], sc}, builder{sc.items[1][:0], sc}
}

// release returns the scratch to the pool. The Spaces built keep none of
// it: their slabs are copies, and the port lists they share are never
// written. References are cleared so the pool holds no old Space alive.
func release(in, out builder) {
	sc := in.scratch
	clear(in.items)
	clear(out.items)
	clear(sc.merged)
	clear(sc.sorted)
	clear(sc.out)
	clear(sc.ports)
	clear(sc.unions)
	sc.items = [2][]item{in.items[:0], out.items[:0]}
	sc.merged, sc.sorted, sc.out, sc.ports, sc.unions = sc.merged[:0], sc.sorted[:0], sc.out[:0], sc.ports[:0], sc.unions[:0]
	scratchPool.Put(sc)
}

// portsOf returns the port set a box of the protocol selects, as Box
// reads from and to, single ranges shared through the scratch.
func (sc *scratch) portsOf(protocol, from, to int) spans {
	var one span
	switch {
	case protocol == 6 || protocol == 17:
		from, to = max(from, 0), min(to, 65535)
		if from > to {
			return nil
		}
		one = span{uint16(from), uint16(to)}
	case posture.IsICMP(protocol):
		if from < 0 || from > 255 || to < -1 || to > 255 {
			// Nothing, everything, or one code under every type.
			return icmpSet(from, to)
		}
		one = icmpSpan(from, to)
	default:
		return allPorts
	}
	if one == allPorts[0] {
		return allPorts
	}
	for _, q := range sc.ports {
		if q[0] == one {
			return q
		}
	}
	if len(sc.portStore) == cap(sc.portStore) {
		sc.portStore = make([]span, 0, 32)
	}
	sc.portStore = append(sc.portStore, one)
	n := len(sc.portStore)
	sc.ports = append(sc.ports, sc.portStore[n-1:n:n])
	return sc.ports[len(sc.ports)-1]
}

// item is one box, of one protocol (or -1) and one family.
type item struct {
	lo, hi   u128
	ports    spans
	protocol int16
	v6       bool
	deny     bool
	order    int32
}

// add applies a box, as Box(protocol, prefix, from, to) reads one, in the
// order of the calls.
func (b *builder) add(protocol int, prefix netip.Prefix, from, to int, deny bool) {
	if protocol < -1 || protocol > 255 {
		return
	}
	lo, hi, v6, ok := prefixRange(prefix)
	if !ok {
		return
	}
	ports := b.portsOf(protocol, from, to)
	if len(ports) == 0 {
		return
	}
	b.items = append(b.items, item{lo, hi, ports, int16(protocol), v6, deny, int32(len(b.items))})
}

// space returns the Space of the boxes added.
func (b *builder) space() Space {
	// Sections of one protocol and family, each in the order of addition;
	// protocol -1 first.
	b.items = b.sections(b.items)
	section := func(protocol int16, v6 bool) []item {
		i, _ := slices.BinarySearchFunc(b.items, item{protocol: protocol, v6: v6}, func(x, key item) int {
			if x.protocol != key.protocol {
				return int(x.protocol) - int(key.protocol)
			}
			if x.v6 == key.v6 {
				return 0
			}
			if x.v6 {
				return 1
			}
			return -1
		})
		j := i
		for j < len(b.items) && b.items[j].protocol == protocol && b.items[j].v6 == v6 {
			j++
		}
		return b.items[i:j]
	}
	all4, all6 := section(-1, false), section(-1, true)
	var s Space
	s.other = part{b.sweep(all4), b.sweep(all6)}
	// The keys are each protocol's families, sorted: room for every
	// protocol but -1 is allocated at once.
	protocols := 0
	for i, k := range b.keys {
		if k >= 0 && (i == 0 || k/2 != b.keys[i-1]/2) {
			protocols++
		}
	}
	if protocols > 0 {
		s.named = make([]namedPart, 0, protocols)
	}
	for i := 0; i < len(b.items); {
		n := b.items[i].protocol
		j := i
		for j < len(b.items) && b.items[j].protocol == n {
			j++
		}
		i = j
		if n == -1 {
			continue
		}
		// Boxes of protocol -1 hold for this protocol too, in their turn.
		b.merged = mergeByOrder(b.merged[:0], section(n, false), all4)
		v4 := b.sweep(b.merged)
		b.merged = mergeByOrder(b.merged[:0], section(n, true), all6)
		p := part{v4, b.sweep(b.merged)}
		if !p.equal(s.other) {
			s.named = append(s.named, namedPart{int(n), p})
		}
	}
	if len(s.named) == 0 {
		s.named = nil
	} else if len(s.named) >= 128 {
		s = s.recount()
	}
	return s
}

// sections reorders items by protocol and family, keeping their order
// within each: a filter has few protocols, so picking each section out in
// turn beats a comparison sort of the items. The result is in the scratch
// and items' array becomes the scratch, so nothing is allocated.
func (b *builder) sections(items []item) []item {
	key := func(it item) int {
		k := 2 * int(it.protocol)
		if it.v6 {
			k++
		}
		return k
	}
	keys := b.keys[:0]
	for _, it := range items {
		if k := key(it); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	b.keys = keys
	out := b.sorted[:0]
	for _, k := range keys {
		for _, it := range items {
			if key(it) == k {
				out = append(out, it)
			}
		}
	}
	b.sorted = items[:0]
	return out
}

func mergeByOrder(out, a, b []item) []item {
	for len(a) > 0 && len(b) > 0 {
		if a[0].order < b[0].order {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// sweep turns items of one family, in their order, into canonical slabs.
// The addresses where an item starts or stops cut the family into
// stretches over which the same items hold; on each, the items' ports are
// applied in order. The items over a stretch, the active ones, are kept
// from one stretch to the next: an item joins where it starts and leaves
// after it ends, so a stretch costs what is over it, not every item (a
// filter of many peers has many items, few over any one address).
func (b *builder) sweep(items []item) slabs {
	switch len(items) {
	case 0:
		return nil
	case 1:
		if items[0].deny {
			return nil
		}
		return slabs{{items[0].lo, items[0].hi, items[0].ports}}
	}
	bounds := b.bounds[:0]
	starts := b.starts[:0]
	for i, it := range items {
		bounds = append(bounds, it.lo)
		if it.hi != maxU128 {
			bounds = append(bounds, it.hi.inc())
		}
		starts = append(starts, int32(i))
	}
	slices.SortFunc(bounds, u128.cmp)
	bounds = slices.Compact(bounds)
	slices.SortFunc(starts, func(i, j int32) int { return items[i].lo.cmp(items[j].lo) })
	b.bounds, b.starts = bounds, starts
	// active holds the positions of the items over the stretch, in order.
	active := b.active[:0]
	out := b.out[:0]
	for k, x := range bounds {
		end := maxU128
		if k+1 < len(bounds) {
			end = bounds[k+1].dec()
		}
		active = slices.DeleteFunc(active, func(i int32) bool { return items[i].hi.less(x) })
		for ; len(starts) > 0 && !x.less(items[starts[0]].lo); starts = starts[1:] {
			at, _ := slices.BinarySearch(active, starts[0])
			active = slices.Insert(active, at, starts[0])
		}
		// Most stretches are under allowing items of one port set: those
		// need no set operation at all.
		var ports, first spans
		allows, denies, same := 0, 0, true
		for _, i := range active {
			it := &items[i]
			switch {
			case it.deny:
				denies++
			case allows == 0:
				first = it.ports
				allows++
			default:
				same = same && first.equal(it.ports)
				allows++
			}
		}
		switch {
		case allows == 0:
			continue
		case denies == 0 && same:
			ports = first
		case denies == 0:
			ports = b.unionOf(items, active)
		default:
			for _, i := range active {
				if it := &items[i]; it.deny {
					ports = subtractSpans(ports, it.ports)
				} else {
					ports = unionSpans(ports, it.ports)
				}
			}
		}
		if len(ports) > 0 {
			out = out.add(x, end, ports)
		}
	}
	b.active, b.out = active, out
	// The scratch is reused: the Space gets a copy of the exact size.
	return slices.Clone(out)
}

// unionOf unites the ports of the active items in one go: gathered,
// sorted and merged in the scratch. Neighbouring stretches, one peer's
// flows and the next one's, mostly come to the same union: a union equal
// to one of the last few made is shared, so a set is allocated once, not
// once per peer.
func (b *builder) unionOf(items []item, active []int32) spans {
	g := b.gather[:0]
	for _, i := range active {
		g = append(g, items[i].ports...)
	}
	slices.SortFunc(g, func(p, q span) int { return int(p.lo) - int(q.lo) })
	merged := g[:0]
	for _, r := range g {
		if n := len(merged); n > 0 && uint32(r.lo) <= uint32(merged[n-1].hi)+1 {
			merged[n-1].hi = max(merged[n-1].hi, r.hi)
			continue
		}
		merged = append(merged, r)
	}
	b.gather = g
	for _, u := range slices.Backward(b.unions) {
		if u.equal(merged) {
			return u
		}
	}
	out := slices.Clone(merged)
	if len(b.unions) == recentUnions {
		b.unions = append(b.unions[:0], b.unions[1:]...)
	}
	b.unions = append(b.unions, out)
	return out
}

// recentUnions is how many of the last unions unionOf compares a new one
// with.
const recentUnions = 8
