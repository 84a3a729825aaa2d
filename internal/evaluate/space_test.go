package evaluate

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// The small universe the algebra is checked on exhaustively: random boxes
// keep their prefixes inside 10.0.0.0/28 and 2001:db8::/124 (or take whole
// families), their ports inside 0-21 and ICMP types and codes inside 0-3.
// Because every operation works point by point, checking each point of
// the universe against a brute-force model checks the operations.
var (
	smallProtocols = []int{1, 6, 17, 47, 58, 200}
	smallAddrs     = universeAddrs()
)

func universeAddrs() []netip.Addr {
	var out []netip.Addr
	v4 := netip.MustParseAddr("10.0.0.0")
	v6 := netip.MustParseAddr("2001:db8::")
	for i := 0; i < 16; i++ {
		out = append(out, v4, v6)
		v4, v6 = v4.Next(), v6.Next()
	}
	// Just outside, both ends, the extremes of each family, and an
	// IPv4-mapped address that no IPv4 prefix may cover.
	for _, s := range []string{"10.0.0.16", "9.255.255.255", "0.0.0.0", "255.255.255.255",
		"2001:db8::10", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:10.0.0.1"} {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

// smallPorts returns the port-dimension values worth checking for a
// protocol: ports 0-22 for TCP and UDP, the keys of types and codes 0-4
// for ICMP, 0 for the rest.
func smallPorts(protocol int) []int {
	switch {
	case protocol == 6 || protocol == 17:
		out := make([]int, 0, 24)
		for i := range 23 {
			out = append(out, i)
		}
		return append(out, 65535)
	case isICMP(protocol):
		var out []int
		for ty := 0; ty <= 4; ty++ {
			for c := 0; c <= 4; c++ {
				out = append(out, ICMPKey(ty, c))
			}
		}
		return append(out, ICMPKey(255, 255))
	}
	return []int{0}
}

// expr is a set expression together with its brute-force meaning.
type expr struct {
	space Space
	holds func(protocol int, addr netip.Addr, port int) bool
	text  string
}

type boxSpec struct {
	protocol int
	prefix   netip.Prefix
	from, to int
}

func (b boxSpec) String() string {
	return fmt.Sprintf("Box(%d, %s, %d, %d)", b.protocol, b.prefix, b.from, b.to)
}

func randomBoxSpec(rng *rand.Rand) boxSpec {
	b := boxSpec{protocol: []int{-1, -1, 1, 6, 6, 17, 47, 58, 200}[rng.IntN(9)]}
	switch k := rng.IntN(20); {
	case k == 0:
		b.prefix = netip.MustParsePrefix("0.0.0.0/0")
	case k == 1:
		b.prefix = netip.MustParsePrefix("::/0")
	case k == 2:
		b.prefix = netip.MustParsePrefix("10.0.0.0/8")
	case k < 11:
		b.prefix = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(rng.IntN(16))}), 28+rng.IntN(5)).Masked()
	default:
		a := netip.MustParseAddr("2001:db8::").As16()
		a[15] = byte(rng.IntN(16))
		b.prefix = netip.PrefixFrom(netip.AddrFrom16(a), 124+rng.IntN(5)).Masked()
	}
	if isICMP(b.protocol) {
		b.from, b.to = rng.IntN(5)-1, rng.IntN(5)-1
	} else {
		b.from = rng.IntN(23) - 1
		b.to = b.from + rng.IntN(8)
	}
	return b
}

// holds is the brute-force model of a box: the definition, point by point.
func (b boxSpec) holds(protocol int, addr netip.Addr, port int) bool {
	if !b.prefix.Contains(addr) || b.protocol != -1 && b.protocol != protocol {
		return false
	}
	switch {
	case b.protocol == -1 || !hasPortDimension(protocol):
		return true
	case isICMP(protocol):
		ty, code := SplitICMPKey(port)
		return (b.from == -1 || b.from == ty) && (b.to == -1 || b.to == code)
	}
	return port >= b.from && port <= b.to
}

func randomExpr(rng *rand.Rand, depth int) expr {
	if depth == 0 || rng.IntN(4) == 0 {
		b := randomBoxSpec(rng)
		return expr{Box(b.protocol, b.prefix, b.from, b.to), b.holds, b.String()}
	}
	x, y := randomExpr(rng, depth-1), randomExpr(rng, depth-1)
	switch rng.IntN(3) {
	case 0:
		return expr{x.space.Union(y.space), func(n int, a netip.Addr, p int) bool { return x.holds(n, a, p) || y.holds(n, a, p) }, "(" + x.text + " ∪ " + y.text + ")"}
	case 1:
		return expr{x.space.Intersect(y.space), func(n int, a netip.Addr, p int) bool { return x.holds(n, a, p) && y.holds(n, a, p) }, "(" + x.text + " ∩ " + y.text + ")"}
	}
	return expr{x.space.Subtract(y.space), func(n int, a netip.Addr, p int) bool { return x.holds(n, a, p) && !y.holds(n, a, p) }, "(" + x.text + " ∖ " + y.text + ")"}
}

// checkCanonical fails unless s is in the canonical form Equal relies on.
func checkCanonical(t *testing.T, s Space) {
	t.Helper()
	checkPart := func(what string, p part, portless bool) {
		for _, list := range []slabs{p.v4, p.v6} {
			for i, sl := range list {
				if hi := sl.hi; hi.less(sl.lo) {
					t.Fatalf("%s: slab %d ends before it starts", what, i)
				}
				if len(sl.ports) == 0 {
					t.Fatalf("%s: slab %d holds no ports", what, i)
				}
				if portless && !sl.ports.isAll() {
					t.Fatalf("%s: slab %d of a protocol without ports holds %v", what, i, sl.ports)
				}
				for k := 1; k < len(sl.ports); k++ {
					if uint32(sl.ports[k].lo) <= uint32(sl.ports[k-1].hi)+1 || sl.ports[k].lo > sl.ports[k].hi {
						t.Fatalf("%s: slab %d ports not canonical: %v", what, i, sl.ports)
					}
				}
				if i > 0 {
					prev := list[i-1]
					if !prev.hi.less(sl.lo) {
						t.Fatalf("%s: slabs %d and %d overlap or are out of order", what, i-1, i)
					}
					if prev.hi.inc() == sl.lo && prev.ports.equal(sl.ports) {
						t.Fatalf("%s: slabs %d and %d touch with equal ports", what, i-1, i)
					}
				}
			}
		}
	}
	checkPart("other", s.other, true)
	for i, np := range s.named {
		if i > 0 && np.protocol <= s.named[i-1].protocol {
			t.Fatalf("named protocols out of order")
		}
		if np.part.equal(s.other) {
			t.Fatalf("protocol %d named but equal to other", np.protocol)
		}
		checkPart(fmt.Sprint("protocol ", np.protocol), np.part, !hasPortDimension(np.protocol))
	}
	if n := 256 - len(s.named); n <= 128 {
		if re := s.recount(); !re.Equal(s) {
			t.Fatalf("other is not the majority part")
		}
	}
}

// checkModel compares s with the model at every point of the universe.
func checkModel(t *testing.T, s Space, holds func(int, netip.Addr, int) bool, text string) {
	t.Helper()
	for _, n := range smallProtocols {
		for _, a := range smallAddrs {
			for _, p := range smallPorts(n) {
				if got, want := s.Contains(n, a, p), holds(n, a, p); got != want {
					t.Fatalf("%s\nContains(%d, %s, %d) = %v, want %v; space:\n%s", text, n, a, p, got, want, s)
				}
			}
		}
	}
}

func TestSpaceMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 400; i++ {
		e := randomExpr(rng, 4)
		checkCanonical(t, e.space)
		checkModel(t, e.space, e.holds, e.text)
	}
}

func TestSpaceLaws(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	everything := Everything()
	for i := 0; i < 300; i++ {
		a, b, c := randomExpr(rng, 3).space, randomExpr(rng, 3).space, randomExpr(rng, 2).space
		laws := []struct {
			name       string
			left, rght Space
		}{
			{"A∪B = B∪A", a.Union(b), b.Union(a)},
			{"A∩B = B∩A", a.Intersect(b), b.Intersect(a)},
			{"(A∖B)∩B = ∅", a.Subtract(b).Intersect(b), Space{}},
			{"(A∖B)∪(A∩B) = A", a.Subtract(b).Union(a.Intersect(b)), a},
			{"(A∪B)∪C = A∪(B∪C)", a.Union(b).Union(c), a.Union(b.Union(c))},
			{"A∩(B∪C) = (A∩B)∪(A∩C)", a.Intersect(b.Union(c)), a.Intersect(b).Union(a.Intersect(c))},
			{"E∖(A∪B) = (E∖A)∩(E∖B)", everything.Subtract(a.Union(b)), everything.Subtract(a).Intersect(everything.Subtract(b))},
			{"A∖A = ∅", a.Subtract(a), Space{}},
			{"A∪A = A", a.Union(a), a},
			{"A∩E = A", a.Intersect(everything), a},
			{"E∖(E∖A) = A", everything.Subtract(everything.Subtract(a)), a},
		}
		for _, l := range laws {
			checkCanonical(t, l.left)
			if !l.left.Equal(l.rght) {
				t.Fatalf("%s fails:\nA:\n%s\nB:\n%s\nC:\n%s\nleft:\n%s\nright:\n%s", l.name, a, b, c, l.left, l.rght)
			}
		}
		if a.Subtract(b).Intersect(b).IsEmpty() != true {
			t.Fatal("IsEmpty disagrees with Equal(Space{})")
		}
	}
}

// TestSpaceConstructionOrder: the same set reached by unions in any order,
// one at a time or pairwise, has the same form.
func TestSpaceConstructionOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 100; i++ {
		boxes := make([]Space, 2+rng.IntN(20))
		for k := range boxes {
			b := randomBoxSpec(rng)
			boxes[k] = Box(b.protocol, b.prefix, b.from, b.to)
		}
		var forward Space
		for _, b := range boxes {
			forward = forward.Union(b)
		}
		rng.Shuffle(len(boxes), func(i, j int) { boxes[i], boxes[j] = boxes[j], boxes[i] })
		if all := UnionAll(boxes...); !all.Equal(forward) {
			t.Fatalf("order changes the form:\n%s\nvs\n%s", forward, all)
		}
	}
}

func TestRowsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	spaces := []Space{{}, Everything(),
		Everything().Subtract(Box(6, netip.MustParsePrefix("255.255.255.255/32"), 0, 65535)),
		Everything().Subtract(Box(58, netip.MustParsePrefix("::/128"), 128, 0)),
		Box(1, netip.MustParsePrefix("0.0.0.0/0"), -1, 4),
	}
	for i := 0; i < 300; i++ {
		spaces = append(spaces, randomExpr(rng, 4).space)
	}
	for _, s := range spaces {
		rows := s.Rows()
		parts := make([]Space, len(rows))
		for i, r := range rows {
			parts[i] = r.Space()
			if r.Protocol != -1 && r.Except != nil {
				t.Fatalf("row %v: Except on a single protocol", r)
			}
			for _, p := range r.Prefixes {
				if p != p.Masked() {
					t.Fatalf("row %v: prefix %s not masked", r, p)
				}
			}
		}
		if back := UnionAll(parts...); !back.Equal(s) {
			t.Fatalf("rows do not add up:\n%s\nrows give:\n%s", s, back)
		}
		if again := s.Rows(); !slices.EqualFunc(rows, again, func(a, b Row) bool { return a.String() == b.String() }) {
			t.Fatalf("Rows not deterministic")
		}
	}
}

func TestFamiliesApart(t *testing.T) {
	v4all := Box(-1, netip.MustParsePrefix("0.0.0.0/0"), 0, 0)
	v6all := Box(-1, netip.MustParsePrefix("::/0"), 0, 0)
	for _, a := range []string{"::", "::ffff:10.0.0.1", "::ffff:0.0.0.0", "2001:db8::1"} {
		if v4all.Contains(6, netip.MustParseAddr(a), 22) {
			t.Errorf("0.0.0.0/0 covers %s", a)
		}
	}
	for _, a := range []string{"0.0.0.0", "10.0.0.1", "255.255.255.255"} {
		if v6all.Contains(6, netip.MustParseAddr(a), 22) {
			t.Errorf("::/0 covers %s", a)
		}
	}
	if !v4all.Intersect(v6all).IsEmpty() {
		t.Error("the families intersect")
	}
	if got := v4all.Union(v6all); !got.Equal(Everything()) || got.Subtract(v6all).Equal(v4all) != true {
		t.Errorf("union of families: %s", got)
	}
	// A mapped prefix is IPv6: it covers the mapped address, not the IPv4 one.
	mapped := Box(6, netip.MustParsePrefix("::ffff:10.0.0.0/104"), 0, 65535)
	if !mapped.Contains(6, netip.MustParseAddr("::ffff:10.0.0.1"), 1) || mapped.Contains(6, netip.MustParseAddr("10.0.0.1"), 1) {
		t.Error("IPv4-mapped prefix crosses families")
	}
	if z := netip.MustParseAddr("fe80::1%eth0"); Everything().Contains(6, z, 1) {
		t.Error("a zoned address is in a Space")
	}
}

func TestEdgeAddresses(t *testing.T) {
	cases := []struct {
		prefix string
		in     []string
		out    []string
	}{
		{"0.0.0.0/0", []string{"0.0.0.0", "255.255.255.255"}, []string{"::"}},
		{"0.0.0.0/32", []string{"0.0.0.0"}, []string{"0.0.0.1"}},
		{"255.255.255.255/32", []string{"255.255.255.255"}, []string{"255.255.255.254"}},
		{"255.255.255.254/31", []string{"255.255.255.255", "255.255.255.254"}, []string{"255.255.255.253"}},
		{"::/0", []string{"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}, []string{"0.0.0.0"}},
		{"::/128", []string{"::"}, []string{"::1"}},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", []string{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}, []string{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"}},
		{"8000::/1", []string{"8000::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}, []string{"7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}},
		{"0:0:0:1::/64", []string{"0:0:0:1::", "0:0:0:1:ffff:ffff:ffff:ffff"}, []string{"0:0:0:2::", "0:0:0:0:ffff:ffff:ffff:ffff"}},
	}
	for _, c := range cases {
		s := Box(17, netip.MustParsePrefix(c.prefix), 53, 53)
		checkCanonical(t, s)
		for _, a := range c.in {
			if !s.Contains(17, netip.MustParseAddr(a), 53) {
				t.Errorf("%s: misses %s", c.prefix, a)
			}
		}
		for _, a := range c.out {
			if s.Contains(17, netip.MustParseAddr(a), 53) {
				t.Errorf("%s: holds %s", c.prefix, a)
			}
		}
		if rows := s.Rows(); len(rows) != 1 || len(rows[0].Prefixes) != 1 || rows[0].Prefixes[0] != netip.MustParsePrefix(c.prefix) {
			t.Errorf("%s: rows %v", c.prefix, rows)
		}
		// Carving out the ends and putting them back leaves the prefix.
		p := netip.MustParsePrefix(c.prefix)
		first, last := Box(17, netip.PrefixFrom(p.Addr(), p.Addr().BitLen()), 0, 65535), Box(17, netip.PrefixFrom(lastOf(p), p.Addr().BitLen()), 0, 65535)
		carved := s.Subtract(first).Subtract(last)
		checkCanonical(t, carved)
		if !carved.Union(s.Intersect(first)).Union(s.Intersect(last)).Equal(s) {
			t.Errorf("%s: carving the ends is not undone", c.prefix)
		}
	}
	// All of IPv6 but its last address: 128 prefixes, the largest first.
	s := Box(-1, netip.MustParsePrefix("::/0"), 0, 0).Subtract(Box(-1, netip.MustParsePrefix("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"), 0, 0))
	rows := s.Rows()
	if len(rows) != 1 || len(rows[0].Prefixes) != 128 || rows[0].Prefixes[0] != netip.MustParsePrefix("::/1") {
		t.Fatalf("rows %v", rows)
	}
}

func lastOf(p netip.Prefix) netip.Addr {
	_, hi, v6, _ := prefixRange(p)
	return hi.addr(v6)
}

func TestRangePrefixes(t *testing.T) {
	cases := []struct{ lo, hi, want string }{
		{"10.0.0.1", "10.0.0.6", "10.0.0.1/32 10.0.0.2/31 10.0.0.4/31 10.0.0.6/32"},
		{"10.0.0.0", "10.0.0.255", "10.0.0.0/24"},
		{"0.0.0.0", "255.255.255.255", "0.0.0.0/0"},
		{"0.0.0.1", "255.255.255.255", "0.0.0.1/32 0.0.0.2/31 0.0.0.4/30 0.0.0.8/29 0.0.0.16/28 0.0.0.32/27 0.0.0.64/26 0.0.0.128/25 0.0.1.0/24 0.0.2.0/23 0.0.4.0/22 0.0.8.0/21 0.0.16.0/20 0.0.32.0/19 0.0.64.0/18 0.0.128.0/17 0.1.0.0/16 0.2.0.0/15 0.4.0.0/14 0.8.0.0/13 0.16.0.0/12 0.32.0.0/11 0.64.0.0/10 0.128.0.0/9 1.0.0.0/8 2.0.0.0/7 4.0.0.0/6 8.0.0.0/5 16.0.0.0/4 32.0.0.0/3 64.0.0.0/2 128.0.0.0/1"},
		{"255.255.255.255", "255.255.255.255", "255.255.255.255/32"},
		{"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0"},
		{"::ffff", "::1:0", "::ffff/128 ::1:0/128"},
		{"2001:db8::", "2001:db8::1:ffff", "2001:db8::/111"},
	}
	for _, c := range cases {
		lo, hi := netip.MustParseAddr(c.lo), netip.MustParseAddr(c.hi)
		var got []string
		for _, p := range rangePrefixes(u128From(lo), u128From(hi), lo.Is6()) {
			got = append(got, p.String())
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s-%s: %v, want %s", c.lo, c.hi, got, c.want)
		}
	}
}

func TestICMPEncoding(t *testing.T) {
	p := netip.MustParsePrefix("10.0.0.0/24")
	a := netip.MustParseAddr("10.0.0.7")
	if ICMPKey(8, 0) != 0x800 || ICMPKey(255, 255) != 65535 {
		t.Fatal("ICMPKey")
	}
	if ty, code := SplitICMPKey(ICMPKey(3, 4)); ty != 3 || code != 4 {
		t.Fatal("SplitICMPKey")
	}
	echo := Box(1, p, 8, -1)
	for code := 0; code < 256; code++ {
		if !echo.Contains(1, a, ICMPKey(8, code)) {
			t.Fatalf("type 8 code -1 misses code %d", code)
		}
	}
	if echo.Contains(1, a, ICMPKey(7, 255)) || echo.Contains(1, a, ICMPKey(9, 0)) || echo.Contains(58, a, ICMPKey(8, 0)) {
		t.Fatal("type 8 reaches beyond its codes or into ICMPv6")
	}
	one := Box(1, p, 3, 4)
	if !one.Contains(1, a, ICMPKey(3, 4)) || one.Contains(1, a, ICMPKey(3, 5)) || one.Contains(1, a, ICMPKey(4, 4)) {
		t.Fatal("type 3 code 4")
	}
	if !Box(1, p, -1, -1).Equal(Box(1, p, 0, 0).Union(Box(1, p, -1, -1))) || !Box(1, p, -1, -1).Contains(1, a, 65535) {
		t.Fatal("type -1 is every type and code")
	}
	// Type -1 with a code: that code under every type, as the evaluator reads it.
	code4 := Box(1, p, -1, 4)
	for ty := 0; ty < 256; ty++ {
		if !code4.Contains(1, a, ICMPKey(ty, 4)) || code4.Contains(1, a, ICMPKey(ty, 5)) {
			t.Fatalf("type -1 code 4 at type %d", ty)
		}
	}
	if got := code4.Rows(); len(got) != 1 || !slices.Equal(got[0].ICMP, []ICMPRange{{0, 255, 4, 4}}) {
		t.Fatalf("rows %v", got)
	}
	for _, bad := range [][2]int{{256, 0}, {-2, -1}, {3, 256}, {3, -2}} {
		if !Box(1, p, bad[0], bad[1]).IsEmpty() {
			t.Errorf("type %d code %d is not empty", bad[0], bad[1])
		}
	}
	// Decoding: types 3 code 2 through 5 code 1 is three rectangles.
	s := UnionAll(Box(1, p, 3, -1), Box(1, p, 4, -1), Box(1, p, 5, 0), Box(1, p, 5, 1)).Subtract(Box(1, p, 3, 0)).Subtract(Box(1, p, 3, 1))
	want := []ICMPRange{{3, 3, 2, 255}, {4, 4, 0, 255}, {5, 5, 0, 1}}
	if got := s.Rows(); len(got) != 1 || !slices.Equal(got[0].ICMP, want) {
		t.Fatalf("rows %v, want ICMP %v", got, want)
	}
	if got := s.Rows()[0].String(); got != "icmp\tipv4\t10.0.0.0/24\ttype 3 codes 2-255,type 4,type 5 codes 0-1" {
		t.Fatalf("row string %q", got)
	}
}

func TestProtocolAllAndSpecific(t *testing.T) {
	p := netip.MustParsePrefix("10.0.0.0/24")
	a := netip.MustParseAddr("10.0.0.1")
	all := Box(-1, p, 5, 7) // ports are ignored with -1
	if !all.Equal(Box(-1, p, -1, -1)) {
		t.Fatal("protocol -1 depends on its ports")
	}
	for _, n := range []int{0, 1, 6, 17, 47, 58, 255} {
		if !all.Contains(n, a, 65535) {
			t.Errorf("-1 misses protocol %d", n)
		}
	}
	tcp := Box(6, p, 0, 65535)
	rest := all.Subtract(tcp)
	checkCanonical(t, rest)
	if rest.Contains(6, a, 80) || !rest.Contains(17, a, 80) || !rest.Contains(47, a, 0) {
		t.Fatal("-1 minus tcp")
	}
	if !rest.Union(tcp).Equal(all) {
		t.Fatal("-1 minus tcp plus tcp is not -1")
	}
	if rows := rest.Rows(); len(rows) != 1 || rows[0].Protocol != -1 || !slices.Equal(rows[0].Except, []int{6}) {
		t.Fatalf("rows %v", rows)
	}
	// The union of every protocol one by one is protocol -1.
	each := make([]Space, 256)
	for n := range each {
		each[n] = allOf(n, p)
	}
	if got := UnionAll(each...); !got.Equal(all) {
		t.Fatalf("every protocol one by one:\n%s", got)
	}
	// Protocols without ports hold all of them whatever the box says.
	if !Box(47, p, 5, 5).Equal(Box(47, p, 0, 0)) || !Box(47, p, 5, 5).Contains(47, a, 9999) {
		t.Fatal("GRE has ports")
	}
	if !Box(-2, p, 0, 0).IsEmpty() || !Box(256, p, 0, 0).IsEmpty() || !Box(6, netip.Prefix{}, 0, 1).IsEmpty() || !Box(6, p, 10, 9).IsEmpty() || !Box(6, p, -1, -1).IsEmpty() {
		t.Fatal("a box of nothing holds something")
	}
	if !Box(6, p, -5, 70000).Equal(tcp) {
		t.Fatal("ports are not clipped")
	}
	if all.Contains(-1, a, 0) || all.Contains(256, a, 0) || all.Contains(6, a, -1) || all.Contains(6, a, 65536) {
		t.Fatal("Contains outside the universe")
	}
}

// TestMajorityOther: a set whose protocols mostly hold one part but which
// was built protocol by protocol has the form built from -1.
func TestMajorityOther(t *testing.T) {
	a, b := netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("2001:db8::/64")
	var one []Space
	for n := 0; n < 256; n++ {
		pfx := a
		if n >= 200 {
			pfx = b
		}
		one = append(one, allOf(n, pfx))
	}
	byProtocol := UnionAll(one...)
	var rest []Space
	for n := 200; n < 256; n++ {
		rest = append(rest, allOf(n, a))
	}
	viaAll := Box(-1, a, 0, 0).Subtract(UnionAll(rest...))
	for n := 200; n < 256; n++ {
		viaAll = viaAll.Union(allOf(n, b))
	}
	checkCanonical(t, byProtocol)
	checkCanonical(t, viaAll)
	if !byProtocol.Equal(viaAll) || len(byProtocol.named) != 56 {
		t.Fatalf("forms differ: %d vs %d named", len(byProtocol.named), len(viaAll.named))
	}
	// Half and half: ties go to the part of the lowest protocol.
	var half []Space
	for n := 0; n < 256; n++ {
		pfx := a
		if n%2 == 1 {
			pfx = b
		}
		half = append(half, allOf(n, pfx))
	}
	rev := slices.Clone(half)
	slices.Reverse(rev)
	h1, h2 := UnionAll(half...), UnionAll(rev...)
	checkCanonical(t, h1)
	if !h1.Equal(h2) || !h1.other.equal(Box(-1, a, 0, 0).other) {
		t.Fatal("tie not broken by the lowest protocol")
	}
}

func TestSpaceString(t *testing.T) {
	if s := (Space{}).String(); s != "(nothing)" {
		t.Fatalf("empty: %q", s)
	}
	p := netip.MustParsePrefix("10.0.0.0/8")
	s := Box(-1, p, 0, 0).Subtract(Box(6, netip.MustParsePrefix("10.1.0.0/16"), 22, 22)).Union(Box(58, netip.MustParsePrefix("2001:db8::/32"), 128, -1))
	want := strings.Join([]string{
		"all but tcp,icmpv6  ipv4  10.0.0.0/8  *",
		"tcp                 ipv4  10.0.0.0/16 10.2.0.0/15 10.4.0.0/14 10.8.0.0/13 10.16.0.0/12 10.32.0.0/11 10.64.0.0/10 10.128.0.0/9  0-65535",
		"tcp                 ipv4  10.1.0.0/16  0-21,23-65535",
		"icmpv6              ipv4  10.0.0.0/8  all types",
		"icmpv6              ipv6  2001:db8::/32  type 128",
	}, "\n")
	if got := s.String(); strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(want), " ") {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// allOf is every packet of protocol n with the prefix: its ports 0-65535,
// or for ICMP type -1 code -1.
func allOf(n int, p netip.Prefix) Space {
	if isICMP(n) {
		return Box(n, p, -1, -1)
	}
	return Box(n, p, 0, 65535)
}
