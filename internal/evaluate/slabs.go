package evaluate

// slab is a range of addresses of one family, lo to hi inclusive, all of
// which hold the same (non-empty) port set.
type slab struct {
	lo, hi u128
	ports  spans
}

// slabs describe a set of (address, port) pairs of one family as a
// piecewise-constant map from address to port set: sorted, disjoint, and
// two touching slabs never hold equal port sets. That form is unique for a
// set, so comparing lists compares sets.
type slabs []slab

type setOp uint8

const (
	opUnion setOp = iota
	opIntersect
	opSubtract
)

func (op setOp) ports(a, b spans) spans {
	switch op {
	case opUnion:
		return unionSpans(a, b)
	case opIntersect:
		return intersectSpans(a, b)
	}
	return subtractSpans(a, b)
}

// combine applies op address by address: one sweep over the breakpoints of
// both lists, each stretch between breakpoints getting op of the two port
// sets there. Where one side is absent the other's list is reused as is.
func combine(a, b slabs, op setOp) slabs {
	switch op {
	case opUnion:
		if len(a) == 0 {
			return b
		}
		if len(b) == 0 {
			return a
		}
	case opIntersect:
		if len(a) == 0 || len(b) == 0 {
			return nil
		}
	case opSubtract:
		if len(a) == 0 {
			return nil
		}
		if len(b) == 0 {
			return a
		}
	}
	if a.equal(b) {
		if op == opSubtract {
			return nil
		}
		return a
	}
	out := make(slabs, 0, len(a)+len(b)+1)
	var x u128 // the first address not yet decided
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		// Skip to the next address either side holds something for.
		inA, inB := i < len(a) && !x.less(a[i].lo), j < len(b) && !x.less(b[j].lo)
		if !inA && !inB {
			switch {
			case i == len(a):
				x = b[j].lo
			case j == len(b) || a[i].lo.less(b[j].lo):
				x = a[i].lo
			default:
				x = b[j].lo
			}
			// Past the end of a, neither an intersection nor a
			// difference has anything left to give; past b, no intersection.
			if op != opUnion && i == len(a) || op == opIntersect && j == len(b) {
				break
			}
			continue
		}
		// The stretch from x runs to the nearest end or start of a slab.
		end := maxU128
		var pa, pb spans
		if inA {
			pa, end = a[i].ports, a[i].hi
		} else if i < len(a) {
			end = a[i].lo.dec()
		}
		if inB {
			pb = b[j].ports
			if b[j].hi.less(end) {
				end = b[j].hi
			}
		} else if j < len(b) && b[j].lo.dec().less(end) {
			end = b[j].lo.dec()
		}
		if p := op.ports(pa, pb); len(p) > 0 {
			out = out.add(x, end, p)
		}
		if inA && a[i].hi == end {
			i++
		}
		if inB && b[j].hi == end {
			j++
		}
		if end == maxU128 {
			break
		}
		x = end.inc()
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// add appends a stretch, merging it into the last slab when it continues
// it with the same ports: what keeps the form canonical.
func (s slabs) add(lo, hi u128, p spans) slabs {
	if n := len(s); n > 0 && s[n-1].hi.inc() == lo && s[n-1].hi != maxU128 && s[n-1].ports.equal(p) {
		s[n-1].hi = hi
		return s
	}
	return append(s, slab{lo, hi, p})
}

func (s slabs) equal(t slabs) bool {
	if len(s) != len(t) {
		return false
	}
	if len(s) == 0 || &s[0] == &t[0] {
		return true
	}
	for i := range s {
		if s[i].lo != t[i].lo || s[i].hi != t[i].hi || !s[i].ports.equal(t[i].ports) {
			return false
		}
	}
	return true
}

// at returns the port set held for one address, nil for none.
func (s slabs) at(x u128) spans {
	lo, hi := 0, len(s)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case s[m].hi.less(x):
			lo = m + 1
		case x.less(s[m].lo):
			hi = m
		default:
			return s[m].ports
		}
	}
	return nil
}
