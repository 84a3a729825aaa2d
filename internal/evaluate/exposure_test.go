package evaluate

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The exposures must agree exactly with the packet evaluator. On a small
// universe (entries inside 10.0.0.0/28 and 2001:db8::/124, ports inside
// 0-40) they are compared at every point, addresses just outside and
// protocols no entry names included.

var (
	hostAddr         = netip.MustParseAddr("10.9.0.5")
	crossProtocols   = []int{1, 6, 17, 47, 58}
	crossAddrs       = universeAddrs()
	crossICMPTypes   = []int{0, 1, 2, 3, 4, 255}
	crossClientPorts = []int{40000}
)

// drawer hands out numbers from fuzz bytes (or a random source), so one
// generator serves both the fuzz test and the seeded random tests.
type drawer struct {
	data []byte
	i    int
}

func (d *drawer) n(k int) int {
	if len(d.data) == 0 {
		return 0
	}
	v := int(d.data[d.i%len(d.data)])
	if d.i >= len(d.data) {
		// Past the end, keep varying rather than repeating the input.
		v = (v + d.i/len(d.data)*37) & 0xff
	}
	d.i++
	return v % k
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return b
}

// smallCIDR returns a CIDR in or around the small universe, now and then
// one the evaluator cannot parse or one not in canonical form.
func smallCIDR(d *drawer, v6 bool) string {
	switch d.n(12) {
	case 0:
		if v6 {
			return "::/0"
		}
		return "0.0.0.0/0"
	case 1:
		return "bogus"
	case 2:
		// Not masked: the evaluator masks it.
		if v6 {
			return "2001:db8::5/125"
		}
		return "10.0.0.5/29"
	case 3:
		if v6 {
			return "2001:db8::/32"
		}
		return "10.0.0.0/8"
	}
	last := d.n(16)
	if v6 {
		return netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(last)}), 124+d.n(5)).Masked().String()
	}
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(last)}), 28+d.n(5)).Masked().String()
}

func smallEntry(d *drawer) posture.Entry {
	e := posture.Entry{
		RuleNumber: 1 + d.n(24), // repeats test the tie rule
		Egress:     d.n(2) == 1,
		Action:     []string{posture.Allow, posture.Deny, posture.Allow, posture.Deny, "block"}[d.n(5)],
		Protocol:   []string{"-1", "6", "17", "1", "58", "47", "6", "17", "tcp", "all", "x", "300"}[d.n(12)],
	}
	switch d.n(10) {
	case 0:
		// Both blocks: CIDR() runs them together and nothing matches.
		e.CIDRBlock, e.IPv6CIDRBlock = smallCIDR(d, false), smallCIDR(d, true)
	case 1:
		// An IPv6 block in the IPv4 field still reads as a prefix.
		e.CIDRBlock = smallCIDR(d, true)
	case 2, 3, 4, 5:
		e.CIDRBlock = smallCIDR(d, false)
	default:
		e.IPv6CIDRBlock = smallCIDR(d, true)
	}
	e.FromPort = d.n(42) - 1
	e.ToPort = e.FromPort + d.n(14) - 2
	e.ICMPType, e.ICMPCode = d.n(6)-1, d.n(6)-1
	return e
}

func smallEntries(data []byte) []posture.Entry {
	d := &drawer{data: data}
	entries := make([]posture.Entry, min(len(data)/6, 24))
	for i := range entries {
		entries[i] = smallEntry(d)
	}
	return entries
}

var crossResolver = Resolver{
	GroupMembers: map[string][]netip.Addr{
		"sg-a": {netip.MustParseAddr("10.0.0.3"), netip.MustParseAddr("2001:db8::7"), netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("fe80::1%eth0"), {}},
		"sg-b": {netip.MustParseAddr("10.0.0.16")},
	},
	PrefixLists: map[string][]netip.Prefix{
		"pl-a": {netip.MustParsePrefix("10.0.0.8/30"), netip.MustParsePrefix("2001:db8::/126"), {}, netip.PrefixFrom(netip.MustParseAddr("10.0.0.13"), 31)},
	},
}

func smallRule(d *drawer) posture.Rule {
	r := posture.Rule{
		Direction: []string{posture.Ingress, posture.Egress, posture.Ingress, posture.Egress, "sideways"}[d.n(5)],
		Protocol:  []string{"-1", "tcp", "udp", "icmp", "icmpv6", "47", "6", "all", "x"}[d.n(9)],
	}
	r.FromPort = d.n(42) - 1
	r.ToPort = r.FromPort + d.n(14) - 2
	if d.n(3) == 0 {
		r.FromPort, r.ToPort = d.n(6)-1, d.n(6)-1 // ICMP-sized, and -1 -1
	}
	switch d.n(9) {
	case 0, 1, 2:
		r.CIDRIPv4 = smallCIDR(d, false)
	case 3, 4:
		r.CIDRIPv6 = smallCIDR(d, true)
	case 5:
		r.ReferencedGroupID = []string{"sg-a", "sg-b", "sg-missing"}[d.n(3)]
	case 6:
		r.PrefixListID = []string{"pl-a", "pl-missing"}[d.n(2)]
	case 7:
		// Two peers: the evaluator reads the first set field only.
		r.CIDRIPv6, r.ReferencedGroupID = smallCIDR(d, true), "sg-a"
	}
	return r
}

func smallRules(data []byte) []posture.Rule {
	d := &drawer{data: data}
	rules := make([]posture.Rule, min(len(data)/6, 24))
	for i := range rules {
		rules[i] = smallRule(d)
	}
	return rules
}

// crossPackets calls f with every packet of the small universe, in both
// directions, between the host and a remote address.
func crossPackets(f func(p Packet, egress bool) bool) {
	for _, egress := range []bool{false, true} {
		for _, n := range crossProtocols {
			for _, remote := range crossAddrs {
				packet := func(srcPort, dstPort int) Packet {
					p := Packet{Src: remote, Dst: hostAddr, Protocol: n, SrcPort: srcPort, DstPort: dstPort}
					if egress {
						p.Src, p.Dst = hostAddr, remote
					}
					return p
				}
				var packets []Packet
				switch {
				case n == 6 || n == 17:
					for port := 0; port <= 41; port++ {
						for _, c := range crossClientPorts {
							packets = append(packets, packet(c, port))
						}
					}
					packets = append(packets, packet(1, 65535))
				case isICMP(n):
					for _, ty := range crossICMPTypes {
						for _, code := range crossICMPTypes {
							packets = append(packets, packet(code, ty))
						}
					}
				default:
					packets = append(packets, packet(0, 0), packet(7, 9))
				}
				for _, p := range packets {
					if !f(p, egress) {
						return
					}
				}
			}
		}
	}
}

func describeEntries(entries []posture.Entry) string {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "  %s icmp %d/%d\n", e, e.ICMPType, e.ICMPCode)
	}
	return b.String()
}

func describeRules(rules []posture.Rule) string {
	var b strings.Builder
	for _, r := range rules {
		fmt.Fprintf(&b, "  %s (%q %q %q %q)\n", r, r.CIDRIPv4, r.CIDRIPv6, r.ReferencedGroupID, r.PrefixListID)
	}
	return b.String()
}

func checkACLExposure(t *testing.T, entries []posture.Entry) {
	t.Helper()
	acl := ACL{Entries: entries}
	x := ACLExposure(acl)
	checkCanonical(t, x.Ingress)
	checkCanonical(t, x.Egress)
	if ref := aclExposureByOps(entries); !ref.Equal(x) {
		t.Fatalf("the builder and the set operations disagree\nentries:\n%s\nbuilder:\n%s\nset operations:\n%s", describeEntries(entries), x, ref)
	}
	crossPackets(func(p Packet, egress bool) bool {
		v := acl.Filter(p, egress)
		if got := x.Passes(p, egress); got != v.Allowed {
			t.Fatalf("egress=%v %s: exposure says %v, Filter %v (%s)\nentries:\n%s\nexposure ingress:\n%s\negress:\n%s",
				egress, p, got, v.Allowed, v.Reason, describeEntries(entries), x.Ingress, x.Egress)
		}
		return true
	})
}

func checkGroupExposure(t *testing.T, rules []posture.Rule) {
	t.Helper()
	g := Group{Rules: rules, Resolver: crossResolver}
	x := GroupExposure(g)
	checkCanonical(t, x.Ingress)
	checkCanonical(t, x.Egress)
	if ref := groupExposureByOps(g); !ref.Equal(x) {
		t.Fatalf("the builder and the set operations disagree\nrules:\n%s\nbuilder:\n%s\nset operations:\n%s", describeRules(rules), x, ref)
	}
	crossPackets(func(p Packet, egress bool) bool {
		v := g.Admit(p, egress)
		if got := x.Passes(p, egress); got != v.Allowed {
			t.Fatalf("egress=%v %s: exposure says %v, Admit %v (%s)\nrules:\n%s\nexposure ingress:\n%s\negress:\n%s",
				egress, p, got, v.Allowed, v.Reason, describeRules(rules), x.Ingress, x.Egress)
		}
		return true
	})
}

// aclExposureByOps is the first-match reading spelled out with the Space
// operations, entry by entry from the lowest number: what is still
// undecided, what the allowing entries take of it.
func aclExposureByOps(entries []posture.Entry) Exposure {
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(x, y posture.Entry) int { return x.RuleNumber - y.RuleNumber })
	var x Exposure
	for _, egress := range []bool{false, true} {
		undecided, passed := Everything(), Space{}
		for _, e := range sorted {
			prefix, n, from, to, ok := entryBox(&e)
			if !ok || e.Egress != egress {
				continue
			}
			box := Box(n, prefix, from, to)
			if e.Action == posture.Allow {
				passed = passed.Union(box.Intersect(undecided))
			}
			undecided = undecided.Subtract(box)
		}
		if egress {
			x.Egress = passed
		} else {
			x.Ingress = passed
		}
	}
	return x
}

// groupExposureByOps unites the rules' boxes one by one.
func groupExposureByOps(g Group) Exposure {
	var x Exposure
	for _, r := range g.Rules {
		n, ok := posture.ProtocolNumber(r.Protocol)
		if !ok {
			continue
		}
		for _, p := range g.appendPeers(nil, r) {
			switch r.Direction {
			case posture.Ingress:
				x.Ingress = x.Ingress.Union(Box(n, p, r.FromPort, r.ToPort))
			case posture.Egress:
				x.Egress = x.Egress.Union(Box(n, p, r.FromPort, r.ToPort))
			}
		}
	}
	return x
}

func TestACLExposureMatchesFilter(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	n := 60
	if testing.Short() {
		n = 20
	}
	for i := 0; i < n; i++ {
		checkACLExposure(t, smallEntries(randomBytes(rng, 6+rng.IntN(140))))
	}
}

func TestGroupExposureMatchesAdmit(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	n := 100
	if testing.Short() {
		n = 20
	}
	for i := 0; i < n; i++ {
		checkGroupExposure(t, smallRules(randomBytes(rng, 6+rng.IntN(140))))
	}
}

func FuzzACLExposureMatchesFilter(f *testing.F) {
	rng := rand.New(rand.NewPCG(15, 16))
	for i := 0; i < 8; i++ {
		f.Add(randomBytes(rng, 12*(i+1)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkACLExposure(t, smallEntries(data))
	})
}

func FuzzGroupExposureMatchesAdmit(f *testing.F) {
	rng := rand.New(rand.NewPCG(17, 18))
	for i := 0; i < 8; i++ {
		f.Add(randomBytes(rng, 12*(i+1)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkGroupExposure(t, smallRules(data))
	})
}

// TestACLExposureExamples pins the first-match reading on cases a reader
// can check by eye.
func TestACLExposureExamples(t *testing.T) {
	peer := netip.MustParsePrefix("10.0.2.0/24")
	entries := []posture.Entry{
		{RuleNumber: 100, Action: posture.Allow, Protocol: "-1", CIDRBlock: "0.0.0.0/0"},
		{RuleNumber: 10, Action: posture.Deny, Protocol: "6", CIDRBlock: "0.0.0.0/0", FromPort: 22, ToPort: 22},
		{RuleNumber: 20, Action: posture.Allow, Protocol: "6", CIDRBlock: "10.0.2.0/24", FromPort: 22, ToPort: 22}, // shadowed by 10
		{RuleNumber: 30, Egress: true, Action: posture.Allow, Protocol: "6", CIDRBlock: "10.0.2.0/24", FromPort: 1024, ToPort: 65535},
		{RuleNumber: 40, Egress: true, Action: posture.Allow, Protocol: "1", IPv6CIDRBlock: "::/0", ICMPType: 0, ICMPCode: -1},
	}
	x := ACLExposure(ACL{Entries: entries})
	v4 := netip.MustParsePrefix("0.0.0.0/0")
	wantIn := Box(-1, v4, 0, 0).Subtract(Box(6, v4, 22, 22))
	wantOut := Box(6, peer, 1024, 65535).Union(Box(1, netip.MustParsePrefix("::/0"), 0, -1))
	if !x.Ingress.Equal(wantIn) || !x.Egress.Equal(wantOut) {
		t.Fatalf("ingress:\n%s\nwant:\n%s\negress:\n%s\nwant:\n%s", x.Ingress, wantIn, x.Egress, wantOut)
	}
	// Same numbers: the earlier in the list decides, as in Filter.
	tie := []posture.Entry{
		{RuleNumber: 5, Action: posture.Deny, Protocol: "-1", CIDRBlock: "10.0.0.0/8"},
		{RuleNumber: 5, Action: posture.Allow, Protocol: "-1", CIDRBlock: "10.0.0.0/8"},
	}
	if x := ACLExposure(ACL{Entries: tie}); !x.Ingress.IsEmpty() {
		t.Fatalf("tie: %s", x.Ingress)
	}
	slices.Reverse(tie)
	if x := ACLExposure(ACL{Entries: tie}); !x.Ingress.Equal(Box(-1, netip.MustParsePrefix("10.0.0.0/8"), 0, 0)) {
		t.Fatalf("tie reversed: %s", x.Ingress)
	}
	// The caller's slice keeps its order.
	if tie[0].Action != posture.Allow {
		t.Fatal("ACLExposure reordered the entries")
	}
}

func TestGroupExposureExamples(t *testing.T) {
	g := Group{
		Rules: []posture.Rule{
			{Direction: posture.Ingress, Protocol: "tcp", FromPort: 2049, ToPort: 2049, ReferencedGroupID: "sg-a"},
			{Direction: posture.Ingress, Protocol: "icmp", FromPort: 8, ToPort: -1, CIDRIPv4: "10.0.0.0/8"},
			{Direction: posture.Egress, Protocol: "-1", FromPort: -1, ToPort: -1, CIDRIPv4: "0.0.0.0/0"},
			{Direction: posture.Egress, Protocol: "tcp", FromPort: 443, ToPort: 443, PrefixListID: "pl-a"},
		},
		Resolver: crossResolver,
	}
	x := GroupExposure(g)
	members := Box(6, netip.MustParsePrefix("10.0.0.3/32"), 2049, 2049).
		Union(Box(6, netip.MustParsePrefix("2001:db8::7/128"), 2049, 2049)).
		Union(Box(6, netip.MustParsePrefix("::ffff:10.0.0.1/128"), 2049, 2049))
	wantIn := members.Union(Box(1, netip.MustParsePrefix("10.0.0.0/8"), 8, -1))
	wantOut := Box(-1, netip.MustParsePrefix("0.0.0.0/0"), 0, 0).Union(Box(6, netip.MustParsePrefix("2001:db8::/126"), 443, 443))
	if !x.Ingress.Equal(wantIn) || !x.Egress.Equal(wantOut) {
		t.Fatalf("ingress:\n%s\nwant:\n%s\negress:\n%s\nwant:\n%s", x.Ingress, wantIn, x.Egress, wantOut)
	}
	if !GroupExposure(Group{}).Equal(Exposure{}) {
		t.Fatal("a group without rules admits something")
	}
}

// TestBenchFiltersArrangement compares the benchmark's realistic ACL and
// group with the evaluator at one point of every cell of their
// arrangement: addresses at each CIDR's edges and one past them, ports at
// each range's edges and one past them, every protocol named and one not.
// Sets built of boxes are constant on each cell, so this is exhaustive.
func TestBenchFiltersArrangement(t *testing.T) {
	acl, g := benchACL(), benchGroup()
	var cidrs []string
	ports := []int{0, 65535}
	icmp := []int{0, 255}
	protocols := []int{1, 6, 17, 47, 58}
	addPorts := func(list *[]int, from, to, hi int) {
		for _, p := range []int{from - 1, from, to, to + 1} {
			if p >= 0 && p <= hi {
				*list = append(*list, p)
			}
		}
	}
	for _, e := range acl.Entries {
		cidrs = append(cidrs, e.CIDR())
		addPorts(&ports, e.FromPort, e.ToPort, 65535)
		addPorts(&icmp, e.ICMPType, e.ICMPType, 255)
		addPorts(&icmp, e.ICMPCode, e.ICMPCode, 255)
	}
	for _, r := range g.Rules {
		cidrs = append(cidrs, r.CIDRIPv4+r.CIDRIPv6)
		addPorts(&ports, r.FromPort, r.ToPort, 65535)
		addPorts(&icmp, r.FromPort, r.FromPort, 255)
		addPorts(&icmp, r.ToPort, r.ToPort, 255)
	}
	for _, list := range g.Resolver.PrefixLists {
		for _, p := range list {
			cidrs = append(cidrs, p.String())
		}
	}
	var addrs []netip.Addr
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			continue
		}
		first, last := p.Masked().Addr(), lastOf(p)
		addrs = append(addrs, first, last)
		if prev := first.Prev(); prev.IsValid() {
			addrs = append(addrs, prev)
		}
		if next := last.Next(); next.IsValid() {
			addrs = append(addrs, next)
		}
	}
	for _, members := range g.Resolver.GroupMembers {
		addrs = append(addrs, members...)
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	addrs = slices.Compact(addrs)
	slices.Sort(ports)
	ports = slices.Compact(ports)
	slices.Sort(icmp)
	icmp = slices.Compact(icmp)

	ax, gx := ACLExposure(acl), GroupExposure(g)
	if !ax.Equal(aclExposureByOps(acl.Entries)) || !gx.Equal(groupExposureByOps(g)) {
		t.Fatal("the builder and the set operations disagree")
	}
	checked := 0
	for _, egress := range []bool{false, true} {
		for _, n := range protocols {
			for _, remote := range addrs {
				var packets []Packet
				switch {
				case n == 6 || n == 17:
					for _, p := range ports {
						packets = append(packets, Packet{Protocol: n, SrcPort: 40000, DstPort: p})
					}
				case isICMP(n):
					for _, ty := range icmp {
						for _, code := range icmp {
							packets = append(packets, Packet{Protocol: n, SrcPort: code, DstPort: ty})
						}
					}
				default:
					packets = append(packets, Packet{Protocol: n})
				}
				for _, p := range packets {
					p.Src, p.Dst = remote, hostAddr
					if egress {
						p.Src, p.Dst = hostAddr, remote
					}
					if v := acl.Filter(p, egress); ax.Passes(p, egress) != v.Allowed {
						t.Fatalf("ACL, egress=%v %s: Filter %v (%s)", egress, p, v.Allowed, v.Reason)
					}
					if v := g.Admit(p, egress); gx.Passes(p, egress) != v.Allowed {
						t.Fatalf("group, egress=%v %s: Admit %v (%s)", egress, p, v.Allowed, v.Reason)
					}
					checked++
				}
			}
		}
	}
	t.Logf("%d packets checked", checked)
}

// TestExposuresKeepNoScratch: the builders' memory goes back to a pool and
// serves the next call, concurrent ones included; a Space returned earlier
// must not change when it does.
func TestExposuresKeepNoScratch(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	inputs := make([][]byte, 40)
	want := make([]Exposure, len(inputs))
	text := make([]string, len(inputs))
	for i := range inputs {
		inputs[i] = randomBytes(rng, 30+rng.IntN(120))
		want[i] = ACLExposure(ACL{Entries: smallEntries(inputs[i])})
		text[i] = want[i].String()
	}
	done := make(chan struct{})
	for w := 0; w < 4; w++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for k := 0; k < 20; k++ {
				for i, data := range inputs {
					if x := ACLExposure(ACL{Entries: smallEntries(data)}); !x.Equal(want[i]) {
						t.Errorf("input %d computed concurrently differs", i)
						return
					}
					GroupExposure(Group{Rules: smallRules(data), Resolver: crossResolver})
				}
			}
		}()
	}
	for w := 0; w < 4; w++ {
		<-done
	}
	for i := range want {
		if want[i].String() != text[i] {
			t.Fatalf("input %d: the exposure changed after later calls", i)
		}
	}
}
