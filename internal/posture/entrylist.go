package posture

import (
	"math"
	"strconv"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
)

// entryID is what an entry does, as EntryKey says it, in numbers: the
// compiler merges its entries and finds their previous numbers by it,
// which hashes and compares far faster than EntryKey's text.
type entryID struct {
	egress, deny bool
	proto        int16
	block        int32 // in the compilation's blockTable
	// Ports for TCP and UDP, type and code for ICMP; zero otherwise.
	fromPort, toPort, icmpType, icmpCode int32
}

func newEntryID(egress, deny bool, proto int, block int32) entryID {
	return entryID{egress: egress, deny: deny, proto: int16(proto), block: block}
}

// withPorts sets the ports of TCP and UDP, or the type and code of ICMP;
// other protocols keep zeros, as AWS reports them.
func (id entryID) withPorts(from, to int) entryID {
	switch proto := int(id.proto); {
	case HasPorts(proto):
		id.fromPort, id.toPort = int32(from), int32(to)
	case IsICMP(proto):
		id.icmpType, id.icmpCode = int32(from), int32(to)
	}
	return id
}

type pendingEntry struct {
	id       entryID
	band     band
	purposes textList
	// returnGroup is the index of the return traffic this slot stands for,
	// or -1: return ranges are merged once every flow is known, and take
	// the place of the first flow that needed them.
	returnGroup int
	// previous is the rule number the previous numbering gives the same
	// entry, or 0.
	previous int
	// placed is set once the entry has its place in the compile order.
	placed bool
}

// entryList gathers entries in compile order, merging duplicates.
type entryList struct {
	entries []pendingEntry
	// index finds an entry's slot by what it does.
	index   map[entryID]int
	returns []returnTraffic
	// returnIndex finds the return traffic a later flow to the same peer
	// and protocol shares.
	returnIndex map[returnKey]int
	blocks      blockTable
	purposes    textTable
	// peerSets holds what each of the intent's peer lists resolves to.
	peerSets []peerBlocks
}

// returnKey is what return entries can be merged over: one direction, one
// protocol with ports, one block.
type returnKey struct {
	egress bool
	proto  int16
	block  int32
}

type returnTraffic struct {
	returnKey
	// ports are merged as they come, so most flows leave them as they
	// are; the list may be a flow's own, and is never written.
	ports    []catalog.PortRange
	purposes textList
}

func newEntryList(capacity int) *entryList {
	return &entryList{
		entries: make([]pendingEntry, 0, capacity), index: make(map[entryID]int, capacity),
		returnIndex: make(map[returnKey]int, capacity/4), blocks: newBlockTable(), purposes: newTextTable(),
	}
}

// add records an entry for a purpose (a number of l.purposes), or the
// purpose of an entry that is there already.
func (l *entryList) add(id entryID, b band, purpose int32) {
	if i, ok := l.index[id]; ok {
		p := &l.entries[i]
		p.purposes = l.purposes.with(p.purposes, purpose)
		return
	}
	l.index[id] = len(l.entries)
	l.entries = append(l.entries, pendingEntry{id: id, band: b, purposes: l.purposes.with(0, purpose), returnGroup: -1})
}

// addReturn records reply ports towards a peer; order turns them into
// entries.
func (l *entryList) addReturn(key returnKey, ports []catalog.PortRange, purpose int32) {
	i, ok := l.returnIndex[key]
	if !ok {
		l.returnIndex[key] = len(l.returns)
		l.returns = append(l.returns, returnTraffic{returnKey: key, ports: ports, purposes: l.purposes.with(0, purpose)})
		l.entries = append(l.entries, pendingEntry{band: bandAllow, returnGroup: len(l.returns) - 1})
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
func (l *entryList) order() []int {
	order := make([]int, 0, len(l.entries)+len(l.returns))
	for slot := range len(l.entries) {
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
			id := newEntryID(r.egress, false, int(r.proto), r.block).withPorts(ports.From, ports.To)
			other, ok := l.index[id]
			switch {
			case !ok:
				l.index[id] = len(l.entries)
				order = append(order, len(l.entries))
				l.entries = append(l.entries, pendingEntry{id: id, band: bandAllow, purposes: r.purposes, returnGroup: -1, placed: true})
			case l.entries[other].placed:
				q := &l.entries[other]
				q.purposes = l.purposes.join(q.purposes, r.purposes)
			default:
				// The request comes later: it moves up to this place.
				q := &l.entries[other]
				q.band, q.purposes, q.placed = bandAllow, l.purposes.join(r.purposes, q.purposes), true
				order = append(order, other)
			}
		}
	}
	return order
}

// idOf returns the ID of an entry of the previous numbering, and false
// when no entry of this compilation can do what it does: its block is not
// one of this compilation's, or its action or protocol is not spelled as
// the compiler spells them.
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
		return entryID{}, false
	}
	proto, err := strconv.Atoi(e.Protocol)
	if err != nil || proto < ProtoAll || proto > 255 || strconv.Itoa(proto) != e.Protocol {
		return entryID{}, false
	}
	for _, n := range []int{e.FromPort, e.ToPort, e.ICMPType, e.ICMPCode} {
		if n < math.MinInt32 || n > math.MaxInt32 {
			return entryID{}, false
		}
	}
	return entryID{
		egress: e.Egress, deny: e.Action == Deny, proto: int16(proto), block: block,
		fromPort: int32(e.FromPort), toPort: int32(e.ToPort), icmpType: int32(e.ICMPType), icmpCode: int32(e.ICMPCode),
	}, true
}

// entry spells out the entry of a slot, without its number.
func (l *entryList) entry(p *pendingEntry) Entry {
	id := p.id
	e := Entry{
		Egress: id.egress, Action: Allow, Protocol: strconv.Itoa(int(id.proto)),
		FromPort: int(id.fromPort), ToPort: int(id.toPort), ICMPType: int(id.icmpType), ICMPCode: int(id.icmpCode),
		Purpose: l.purposes.joined(p.purposes),
	}
	if id.deny {
		e.Action = Deny
	}
	if b := l.blocks.blocks[id.block]; b.ipv6 {
		e.IPv6CIDRBlock = b.value
	} else {
		e.CIDRBlock = b.value
	}
	return e
}
