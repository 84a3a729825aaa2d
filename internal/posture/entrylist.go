package posture

import (
	"math"
	"strconv"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
)

// entryClass is what an entry does apart from its block: a flow's
// request entries are all of one class, towards each of its peers.
type entryClass struct {
	egress, deny bool
	proto        int16
	// Ports for TCP and UDP, type and code for ICMP; zero otherwise, as
	// AWS reports them.
	fromPort, toPort, icmpType, icmpCode int32
}

func newEntryClass(egress, deny bool, proto, from, to int) entryClass {
	c := entryClass{egress: egress, deny: deny, proto: int16(proto)}
	switch {
	case HasPorts(proto):
		c.fromPort, c.toPort = int32(from), int32(to)
	case IsICMP(proto):
		c.icmpType, c.icmpCode = int32(from), int32(to)
	}
	return c
}

// key packs a class into one integer, for a fast index: protocol, ports
// and ICMP type and code take 9, 17, 17, 9 and 9 bits, each offset by one,
// which holds -1 to 255 and -1 to 65535, every class the compiler makes.
// ok is false for a class outside those ranges.
func (c entryClass) key() (key uint64, ok bool) {
	const byte9, port17 = 1<<9 - 2, 1<<17 - 2 // the largest value each holds
	if c.proto < -1 || c.proto > byte9 || c.fromPort < -1 || c.fromPort > port17 || c.toPort < -1 || c.toPort > port17 ||
		c.icmpType < -1 || c.icmpType > byte9 || c.icmpCode < -1 || c.icmpCode > byte9 {
		return 0, false
	}
	key = uint64(c.proto + 1)
	key = key<<17 | uint64(c.fromPort+1)
	key = key<<17 | uint64(c.toPort+1)
	key = key<<9 | uint64(c.icmpType+1)
	key = key<<9 | uint64(c.icmpCode+1)
	key = key<<1 | uint64(directionIndex(c.egress))
	key <<= 1
	if c.deny {
		key |= 1
	}
	return key, true
}

// entryID is what an entry does, as EntryKey says it: its class and its
// block, both numbered by the entryList, in one integer. The compiler
// merges entries and finds their previous numbers by it, which hashes far
// faster than EntryKey's text.
type entryID uint64

func newEntryID(class, block int32) entryID { return entryID(uint64(class)<<32 | uint64(block)) }

func (id entryID) class() int32 { return int32(id >> 32) }

func (id entryID) block() int32 { return int32(uint32(id)) }

type pendingEntry struct {
	id       entryID
	purposes textList
	// returnGroup is the index of the return traffic this slot stands for,
	// or -1: return ranges are merged once every flow is known, and take
	// the place of the first flow that needed them.
	returnGroup int32
	// previous is the rule number the previous numbering gives the same
	// entry, or 0.
	previous int32
	band     band
	// placed is set once the entry has its place in the compile order.
	placed bool
}

// entryList gathers entries in compile order, merging duplicates.
type entryList struct {
	// entries holds the flows' and denies' entries and the places of
	// return traffic; returnEntries, made once every flow is known, the
	// return entries, in slots numbered on from entries'.
	entries       []pendingEntry
	returnEntries []pendingEntry
	// index finds an entry's slot by what it does.
	index   map[entryID]int32
	classes []entryClass
	// classIndex finds a class by its key; wideClasses holds those key
	// cannot pack, if any.
	classIndex  map[uint64]int32
	wideClasses map[entryClass]int32
	returns     []returnTraffic
	// returnIndex finds the return traffic a later flow to the same peer
	// and protocol shares, by returnKey.
	returnIndex map[uint64]int32
	blocks      blockTable
	purposes    textTable
	// peerSets holds what each of the intent's peer lists resolves to.
	peerSets []peerBlocks
}

// returnTraffic is the reply ports of the flows of one direction and one
// protocol with ports towards one block: what return entries can be
// merged over.
type returnTraffic struct {
	egress bool
	proto  int16
	block  int32
	// ports are merged as they come, so most flows leave them as they
	// are; the list may be a flow's own, and is never written.
	ports    []catalog.PortRange
	purposes textList
}

func returnKey(egress bool, proto int, block int32) uint64 {
	return uint64(directionIndex(egress))<<48 | uint64(uint16(proto))<<32 | uint64(block)
}

// newEntryList makes a list for about capacity entries.
func newEntryList(capacity int) *entryList {
	return &entryList{
		entries: make([]pendingEntry, 0, capacity), index: make(map[entryID]int32, capacity),
		classIndex: map[uint64]int32{}, returnIndex: make(map[uint64]int32, capacity/8),
		blocks: newBlockTable(), purposes: newTextTable(),
	}
}

// slot returns the entry of a slot.
func (l *entryList) slot(i int32) *pendingEntry {
	if n := int32(len(l.entries)); i >= n {
		return &l.returnEntries[i-n]
	}
	return &l.entries[i]
}

// class returns the number of an entry class, giving it the next one if
// it is new.
func (l *entryList) class(c entryClass) int32 {
	if n, ok := l.lookupClass(c); ok {
		return n
	}
	n := int32(len(l.classes))
	if key, ok := c.key(); ok {
		l.classIndex[key] = n
	} else {
		if l.wideClasses == nil {
			l.wideClasses = map[entryClass]int32{}
		}
		l.wideClasses[c] = n
	}
	l.classes = append(l.classes, c)
	return n
}

// lookupClass finds a class without numbering it.
func (l *entryList) lookupClass(c entryClass) (int32, bool) {
	if key, ok := c.key(); ok {
		n, ok := l.classIndex[key]
		return n, ok
	}
	n, ok := l.wideClasses[c]
	return n, ok
}

// add records an entry for a purpose (a number of l.purposes), or the
// purpose of an entry that is there already.
func (l *entryList) add(id entryID, b band, purpose int32) {
	if i, ok := l.index[id]; ok {
		p := &l.entries[i]
		p.purposes = l.purposes.with(p.purposes, purpose)
		return
	}
	l.index[id] = int32(len(l.entries))
	l.entries = append(l.entries, pendingEntry{id: id, band: b, purposes: l.purposes.with(0, purpose), returnGroup: -1})
}

// addReturn records reply ports towards a peer; order turns them into
// entries.
func (l *entryList) addReturn(egress bool, proto int, block int32, ports []catalog.PortRange, purpose int32) {
	key := returnKey(egress, proto, block)
	i, ok := l.returnIndex[key]
	if !ok {
		l.returnIndex[key] = int32(len(l.returns))
		l.returns = append(l.returns, returnTraffic{egress: egress, proto: int16(proto), block: block, ports: ports, purposes: l.purposes.with(0, purpose)})
		l.entries = append(l.entries, pendingEntry{band: bandAllow, returnGroup: int32(len(l.returns) - 1)})
		return
	}
	r := &l.returns[i]
	r.ports = unionRanges(r.ports, ports)
	r.purposes = l.purposes.with(r.purposes, purpose)
}

// order returns the slots of the entries in compile order, each peer's
// return ranges, merged where they touch or overlap, in the place of the
// first flow that needed them.
//
// A return entry may do what a flow's request entry does (an inbound NTP
// rule and the answers to outbound NTP, say): the two are one entry, in
// the earlier place, with the earlier one's purposes first. Return entries
// never meet each other: their groups differ in direction, protocol or
// block, and one group's ranges are disjoint.
func (l *entryList) order() []int32 {
	expanded := 0
	for _, r := range l.returns {
		expanded += len(r.ports)
	}
	order := make([]int32, 0, len(l.entries)+expanded)
	l.returnEntries = make([]pendingEntry, 0, expanded)
	for slot := range int32(len(l.entries)) {
		p := &l.entries[slot]
		if p.returnGroup < 0 {
			if !p.placed {
				p.placed = true
				order = append(order, slot)
			}
			continue
		}
		r := &l.returns[p.returnGroup]
		for _, ports := range r.ports {
			id := newEntryID(l.class(newEntryClass(r.egress, false, int(r.proto), ports.From, ports.To)), r.block)
			other, ok := l.index[id]
			switch {
			case !ok:
				n := int32(len(l.entries) + len(l.returnEntries))
				l.index[id] = n
				order = append(order, n)
				l.returnEntries = append(l.returnEntries, pendingEntry{id: id, band: bandAllow, purposes: r.purposes, returnGroup: -1, placed: true})
			case l.slot(other).placed:
				q := l.slot(other)
				q.purposes = l.purposes.join(q.purposes, r.purposes)
			default:
				// The request comes later: it moves up to this place.
				q := l.slot(other)
				q.band, q.purposes, q.placed = bandAllow, l.purposes.join(r.purposes, q.purposes), true
				order = append(order, other)
			}
		}
	}
	return order
}

// idOf returns the ID of an entry of the previous numbering, and false
// when no entry of this compilation can do what it does: its class or
// block is not one of this compilation's, or its action or protocol is not
// spelled as the compiler spells them.
func (l *entryList) idOf(e Entry) (entryID, bool) {
	var block int32
	var ok bool
	switch {
	case e.CIDRBlock != "" && e.IPv6CIDRBlock == "":
		block, ok = l.blocks.lookup(e.CIDRBlock, false)
	case e.CIDRBlock == "" && e.IPv6CIDRBlock != "":
		block, ok = l.blocks.lookup(e.IPv6CIDRBlock, true)
	}
	if !ok || e.Action != Allow && e.Action != Deny {
		return 0, false
	}
	proto, err := strconv.Atoi(e.Protocol)
	if err != nil || proto < ProtoAll || proto > 255 || strconv.Itoa(proto) != e.Protocol {
		return 0, false
	}
	for _, n := range []int{e.FromPort, e.ToPort, e.ICMPType, e.ICMPCode} {
		if n < math.MinInt32 || n > math.MaxInt32 {
			return 0, false
		}
	}
	class, ok := l.lookupClass(entryClass{
		egress: e.Egress, deny: e.Action == Deny, proto: int16(proto),
		fromPort: int32(e.FromPort), toPort: int32(e.ToPort), icmpType: int32(e.ICMPType), icmpCode: int32(e.ICMPCode),
	})
	return newEntryID(class, block), ok
}

// spell writes the entry of a slot into e, without its number.
func (l *entryList) spell(e *Entry, p *pendingEntry) {
	c := l.classes[p.id.class()]
	e.Egress, e.Action, e.Protocol = c.egress, Allow, strconv.Itoa(int(c.proto))
	if c.deny {
		e.Action = Deny
	}
	e.FromPort, e.ToPort, e.ICMPType, e.ICMPCode = int(c.fromPort), int(c.toPort), int(c.icmpType), int(c.icmpCode)
	if b := l.blocks.blocks[p.id.block()]; b.ipv6 {
		e.IPv6CIDRBlock = b.value
	} else {
		e.CIDRBlock = b.value
	}
	e.Purpose = l.purposes.joined(p.purposes)
}
