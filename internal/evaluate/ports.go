package evaluate

import "github.com/ddvelabs/terraform-provider-ddve/internal/posture"

// span is an inclusive range of the port dimension: destination ports for
// TCP and UDP, ICMP keys (type<<8|code) for ICMP and ICMPv6.
type span struct{ lo, hi uint16 }

// spans is a set of the port dimension: sorted, disjoint, never adjacent
// (so that equal sets have equal lists). nil is the empty set. Lists are
// shared between Spaces and never written after they are built.
type spans []span

// allPorts is the whole port dimension, the only set a protocol without
// ports can hold; Spaces share this one list.
var allPorts = spans{{0, 65535}}

// hasPortDimension reports whether the evaluator looks at a packet's ports
// for the protocol: TCP and UDP ports, ICMP types and codes.
func hasPortDimension(protocol int) bool {
	switch protocol {
	case posture.ProtoTCP, posture.ProtoUDP, posture.ProtoICMP, posture.ProtoICMPv6:
		return true
	}
	return false
}

// ICMPKey places an ICMP type and code on the port dimension of a Space:
// type<<8|code, so that one type with all its codes is one range. Both
// must be 0-255.
func ICMPKey(typ, code int) int { return typ<<8 | code }

// SplitICMPKey is the inverse of ICMPKey.
func SplitICMPKey(key int) (typ, code int) { return key >> 8, key & 0xff }

// portRange is the set a TCP or UDP rule's from-to covers, clipped to the
// ports that exist: a range outside 0-65535 (-1 to -1 on a TCP rule) holds
// nothing, as no packet's port falls in it.
func portRange(from, to int) spans {
	from, to = max(from, 0), min(to, 65535)
	if from > to {
		return nil
	}
	return spans{{uint16(from), uint16(to)}}
}

// icmpSet is the set an ICMP type and code select, -1 meaning any, as the
// evaluator matches them: each field on its own. So type -1 with code 3
// (which AWS refuses) is code 3 under every type, 256 single keys, and a
// type or code outside 0-255 selects nothing.
func icmpSet(typ, code int) spans {
	switch {
	case typ < -1 || typ > 255 || code < -1 || code > 255:
		return nil
	case typ == -1 && code == -1:
		return allPorts
	case typ != -1:
		return spans{icmpSpan(typ, code)}
	}
	out := make(spans, 256)
	for t := range out {
		k := uint16(t<<8 | code)
		out[t] = span{k, k}
	}
	return out
}

// icmpSpan is the one range a type (0-255) and a code (0-255, or -1 for
// any) select.
func icmpSpan(typ, code int) span {
	if code == -1 {
		return span{uint16(typ << 8), uint16(typ<<8 | 0xff)}
	}
	k := uint16(typ<<8 | code)
	return span{k, k}
}

func (s spans) equal(t spans) bool {
	if len(s) != len(t) {
		return false
	}
	if len(s) == 0 || &s[0] == &t[0] {
		return true
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

func (s spans) isAll() bool { return len(s) == 1 && s[0] == span{0, 65535} }

func (s spans) contains(port uint16) bool {
	// Lists are short (a handful of ranges); a linear scan beats a search.
	for _, r := range s {
		if port < r.lo {
			return false
		}
		if port <= r.hi {
			return true
		}
	}
	return false
}

// Set operations on port sets. They return one of their arguments when the
// answer is that argument, which lets slabs share lists and spares
// allocations in the common cases (a port set against all ports).

func unionSpans(a, b spans) spans {
	switch {
	case len(a) == 0:
		return b
	case len(b) == 0 || a.equal(b):
		return a
	case a.isAll():
		return a
	case b.isAll():
		return b
	}
	out := make(spans, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var r span
		if j == len(b) || i < len(a) && a[i].lo < b[j].lo {
			r, i = a[i], i+1
		} else {
			r, j = b[j], j+1
		}
		if n := len(out); n > 0 && uint32(r.lo) <= uint32(out[n-1].hi)+1 {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

func intersectSpans(a, b spans) spans {
	switch {
	case len(a) == 0 || len(b) == 0:
		return nil
	case a.isAll() || a.equal(b):
		return b
	case b.isAll():
		return a
	}
	var out spans
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo, hi := max(a[i].lo, b[j].lo), min(a[i].hi, b[j].hi)
		if lo <= hi {
			out = append(out, span{lo, hi})
		}
		if a[i].hi < b[j].hi {
			i++
		} else {
			j++
		}
	}
	return out
}

func subtractSpans(a, b spans) spans {
	switch {
	case len(a) == 0 || b.isAll() || a.equal(b):
		return nil
	case len(b) == 0:
		return a
	}
	var out spans
	j := 0
	for _, r := range a {
		lo := uint32(r.lo)
		for ; j < len(b) && b[j].hi < r.lo; j++ {
		}
		k := j
		for ; k < len(b) && b[k].lo <= r.hi; k++ {
			if uint32(b[k].lo) > lo {
				out = append(out, span{uint16(lo), b[k].lo - 1})
			}
			lo = uint32(b[k].hi) + 1
		}
		if lo <= uint32(r.hi) {
			out = append(out, span{uint16(lo), r.hi})
		}
	}
	return out
}
