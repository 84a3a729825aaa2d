package evaluate

import "net/netip"

// rangePrefixes splits the addresses lo-hi into the fewest prefixes that
// cover exactly them: from lo, each time the largest block that starts
// there (lo's trailing zero bits) and does not run past hi.
func rangePrefixes(lo, hi u128, v6 bool) []netip.Prefix {
	width := 32
	if v6 {
		width = 128
	}
	var out []netip.Prefix
	for {
		host := min(lo.trailingZeros(), width)
		// Shrink the block until it ends at or before hi.
		for host > 0 && hi.less(lo.or(hostMask(host))) {
			host--
		}
		out = append(out, netip.PrefixFrom(lo.addr(v6), width-host))
		last := lo.or(hostMask(host))
		if last == hi {
			return out
		}
		lo = last.inc()
	}
}
