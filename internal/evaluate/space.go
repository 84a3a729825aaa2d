package evaluate

import (
	"net/netip"
	"slices"
)

// Space is an exact set of (protocol, remote address, port) triples, the
// traffic a filter lets through, described without sampling so that two
// filters can be compared for equality and a set printed as a table.
//
// Protocol is 0-255. Addresses are IPv4 or IPv6, kept apart as netip keeps
// them: an IPv4 prefix never covers an IPv6 address, IPv4-mapped ones
// included. The port is the destination port for TCP (6) and UDP (17); for
// ICMP (1) and ICMPv6 (58) it is ICMPKey(type, code), so that a type with
// all its codes is one range; other protocols have no ports and always hold
// all of 0-65535, which Contains does not ask about.
//
// The zero Space is empty. Spaces are values: operations return new ones
// and never change their operands (they may share memory with them).
type Space struct {
	// other is what every protocol not in named holds. Rules for "all
	// protocols" land here, so protocol -1 costs one entry, not 256.
	// Protocols without ports always hold all ports, so other does too.
	other part
	// named lists, by protocol, those whose set differs from other.
	named []namedPart
}

// part is what one protocol holds, per family.
type part struct{ v4, v6 slabs }

type namedPart struct {
	protocol int
	part     part
}

// Canonical form, which makes Equal a structural comparison: each family's
// slabs are canonical (see slabs); named holds exactly the protocols whose
// part differs from other; and other is the part most protocols share (ties
// to the one of the lowest protocol). With fewer than 128 named protocols
// other is that majority by construction, so only huge sets need a recount.

func (p part) equal(q part) bool { return p.v4.equal(q.v4) && p.v6.equal(q.v6) }

func (p part) isEmpty() bool { return len(p.v4) == 0 && len(p.v6) == 0 }

func combineParts(a, b part, op setOp) part {
	return part{combine(a.v4, b.v4, op), combine(a.v6, b.v6, op)}
}

// of returns what protocol n holds.
func (s Space) of(n int) part {
	for _, np := range s.named {
		if np.protocol == n {
			return np.part
		}
		if np.protocol > n {
			break
		}
	}
	return s.other
}

// Box is every packet of a protocol from or to the addresses of prefix with
// a port from-to: the set one rule or entry speaks of.
//
// protocol -1 means every protocol, and then from and to are ignored, as
// AWS ignores them. TCP and UDP take a port range, clipped to 0-65535 (a
// range entirely outside holds nothing). ICMP and ICMPv6 take a type as
// from and a code as to, -1 for any, each matched on its own as the
// evaluator does: type 8 code -1 is every echo request, type -1 code -1 is
// all of ICMP. Other protocols have no ports: from and to are ignored. An
// invalid prefix, or a protocol outside -1-255, gives the empty Space.
func Box(protocol int, prefix netip.Prefix, from, to int) Space {
	var ports spans
	switch {
	case protocol < -1 || protocol > 255:
		return Space{}
	case protocol == 6 || protocol == 17:
		ports = portRange(from, to)
	case isICMP(protocol):
		ports = icmpSet(from, to)
	default:
		ports = allPorts
	}
	return boxOf(protocol, prefix, ports)
}

func boxOf(protocol int, prefix netip.Prefix, ports spans) Space {
	lo, hi, v6, ok := prefixRange(prefix)
	if !ok || len(ports) == 0 {
		return Space{}
	}
	var p part
	if v6 {
		p.v6 = slabs{{lo, hi, ports}}
	} else {
		p.v4 = slabs{{lo, hi, ports}}
	}
	if protocol == -1 {
		return Space{other: p}
	}
	return Space{named: []namedPart{{protocol, p}}}
}

// Everything is every packet of every protocol from or to every address of
// both families: what an ACL has yet to decide before its first entry.
func Everything() Space {
	return Box(-1, netip.PrefixFrom(netip.IPv4Unspecified(), 0), 0, 0).
		Union(Box(-1, netip.PrefixFrom(netip.IPv6Unspecified(), 0), 0, 0))
}

// Union returns the packets in s or t.
func (s Space) Union(t Space) Space { return s.combine(t, opUnion) }

// Intersect returns the packets in both s and t.
func (s Space) Intersect(t Space) Space { return s.combine(t, opIntersect) }

// Subtract returns the packets in s and not in t.
func (s Space) Subtract(t Space) Space { return s.combine(t, opSubtract) }

// UnionAll returns the packets in any of the spaces. It joins them pairwise
// (a balanced tree), so n boxes cost n log n, not the n² of adding them one
// by one to a growing set.
func UnionAll(spaces ...Space) Space {
	switch len(spaces) {
	case 0:
		return Space{}
	case 1:
		return spaces[0]
	}
	work := slices.Clone(spaces)
	for len(work) > 1 {
		n := 0
		for i := 0; i < len(work); i += 2 {
			if i+1 < len(work) {
				work[n] = work[i].Union(work[i+1])
			} else {
				work[n] = work[i]
			}
			n++
		}
		work = work[:n]
	}
	return work[0]
}

func (s Space) combine(t Space, op setOp) Space {
	var out Space
	out.other = combineParts(s.other, t.other, op)
	if len(s.named)+len(t.named) == 0 {
		return out
	}
	out.named = make([]namedPart, 0, len(s.named)+len(t.named))
	i, j := 0, 0
	for i < len(s.named) || j < len(t.named) {
		n, a, b := 0, s.other, t.other
		switch {
		case j == len(t.named) || i < len(s.named) && s.named[i].protocol < t.named[j].protocol:
			n, a = s.named[i].protocol, s.named[i].part
			i++
		case i == len(s.named) || t.named[j].protocol < s.named[i].protocol:
			n, b = t.named[j].protocol, t.named[j].part
			j++
		default:
			n, a, b = s.named[i].protocol, s.named[i].part, t.named[j].part
			i, j = i+1, j+1
		}
		if p := combineParts(a, b, op); !p.equal(out.other) {
			out.named = append(out.named, namedPart{n, p})
		}
	}
	if len(out.named) == 0 {
		out.named = nil
	} else if len(out.named) >= 128 {
		out = out.recount()
	}
	return out
}

// recount restores the canonical choice of other when so many protocols are
// named that another part may be held by more protocols than other is.
func (s Space) recount() Space {
	var all [256]part
	for n := range all {
		all[n] = s.of(n)
	}
	best, bestCount := 0, 0
	counted := make([]bool, 256)
	for n := range all {
		if counted[n] {
			continue
		}
		c := 0
		for m := n; m < 256; m++ {
			if !counted[m] && all[m].equal(all[n]) {
				counted[m] = true
				c++
			}
		}
		if c > bestCount {
			best, bestCount = n, c
		}
	}
	out := Space{other: all[best]}
	for n := range all {
		if !all[n].equal(out.other) {
			out.named = append(out.named, namedPart{n, all[n]})
		}
	}
	return out
}

// Equal reports whether s and t hold the same packets. Both being
// canonical, this compares their structure.
func (s Space) Equal(t Space) bool {
	if !s.other.equal(t.other) || len(s.named) != len(t.named) {
		return false
	}
	for i := range s.named {
		if s.named[i].protocol != t.named[i].protocol || !s.named[i].part.equal(t.named[i].part) {
			return false
		}
	}
	return true
}

// IsEmpty reports whether s holds no packet at all.
func (s Space) IsEmpty() bool {
	// Canonical: a named protocol differs from other, so if other is empty
	// every named part holds something.
	return s.other.isEmpty() && len(s.named) == 0
}

// Contains reports whether s holds the packet of protocol (0-255) from or to
// addr with port (for ICMP, ICMPKey of its type and code). The port of a
// protocol without ports is not looked at. An address with a zone is in no
// Space, as it is in no prefix.
func (s Space) Contains(protocol int, addr netip.Addr, port int) bool {
	if protocol < 0 || protocol > 255 || !addr.IsValid() || addr.Zone() != "" {
		return false
	}
	if hasPortDimension(protocol) && (port < 0 || port > 65535) {
		return false
	}
	p := s.of(protocol)
	list := p.v4
	if addr.Is6() {
		list = p.v6
	}
	ports := list.at(u128From(addr))
	if !hasPortDimension(protocol) {
		return len(ports) > 0
	}
	return ports.contains(uint16(port))
}
