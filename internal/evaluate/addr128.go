package evaluate

import (
	"math/bits"
	"net/netip"
)

// u128 is an address as a number, so that ranges of addresses can be split,
// compared and stepped through without netip's zone pointer and per-call
// checks. An IPv4 address is its 32-bit value; a Space keeps the two
// families in separate lists, so the numbers never meet.
type u128 struct{ hi, lo uint64 }

var maxU128 = u128{^uint64(0), ^uint64(0)}

func u128From(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{0, uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])}
	}
	b := a.As16()
	var u u128
	for i := 0; i < 8; i++ {
		u.hi = u.hi<<8 | uint64(b[i])
		u.lo = u.lo<<8 | uint64(b[i+8])
	}
	return u
}

// addr turns the number back into an address of the family.
func (u u128) addr(v6 bool) netip.Addr {
	if !v6 {
		return netip.AddrFrom4([4]byte{byte(u.lo >> 24), byte(u.lo >> 16), byte(u.lo >> 8), byte(u.lo)})
	}
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(u.hi >> (56 - 8*i))
		b[i+8] = byte(u.lo >> (56 - 8*i))
	}
	return netip.AddrFrom16(b)
}

func (u u128) cmp(v u128) int {
	switch {
	case u.hi < v.hi:
		return -1
	case u.hi > v.hi:
		return 1
	case u.lo < v.lo:
		return -1
	case u.lo > v.lo:
		return 1
	}
	return 0
}

func (u u128) less(v u128) bool { return u.hi < v.hi || u.hi == v.hi && u.lo < v.lo }

func (u u128) inc() u128 {
	lo, carry := bits.Add64(u.lo, 1, 0)
	return u128{u.hi + carry, lo}
}

func (u u128) dec() u128 {
	lo, borrow := bits.Sub64(u.lo, 1, 0)
	return u128{u.hi - borrow, lo}
}

// trailingZeros counts the low zero bits; 128 for zero.
func (u u128) trailingZeros() int {
	if u.lo != 0 {
		return bits.TrailingZeros64(u.lo)
	}
	return 64 + bits.TrailingZeros64(u.hi)
}

// hostMask has the low n bits set (n 0-128).
func hostMask(n int) u128 {
	switch {
	case n <= 0:
		return u128{}
	case n < 64:
		return u128{0, 1<<uint(n) - 1}
	case n < 128:
		return u128{1<<uint(n-64) - 1, ^uint64(0)}
	}
	return maxU128
}

func (u u128) or(v u128) u128 { return u128{u.hi | v.hi, u.lo | v.lo} }

func (u u128) andNot(v u128) u128 { return u128{u.hi &^ v.hi, u.lo &^ v.lo} }

// prefixRange returns the first and last address of a prefix, as numbers,
// and whether it is IPv6. ok is false for an invalid prefix.
func prefixRange(p netip.Prefix) (lo, hi u128, v6, ok bool) {
	if !p.IsValid() {
		return
	}
	width := p.Addr().BitLen()
	mask := hostMask(width - p.Bits())
	lo = u128From(p.Addr()).andNot(mask)
	return lo, lo.or(mask), width == 128, true
}
