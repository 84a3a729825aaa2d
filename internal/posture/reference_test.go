package posture

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
)

// The compilers merge, number and order rules and entries by numbers
// (interned blocks, classes and purpose lists) for speed. The references
// below do the same the plain way, with maps keyed by RuleKey and EntryKey
// and SortRules and SortEntries, and the compilers must agree with them on
// every generated intent they compile.

func TestCompilersMatchReference(t *testing.T) {
	compiled := 0
	for seed := range uint64(1500) {
		c := generatedCase(seed)
		rules, err := CompileGroup(c.intent, c.group)
		if err == nil {
			compiled++
			if want := referenceGroup(c.intent); !reflect.DeepEqual(rules, want) {
				t.Fatalf("seed %d: group\n got %v\nwant %v", seed, rules, want)
			}
		}
		entries, err := CompileACL(c.intent, c.acl)
		if err != nil {
			continue
		}
		compiled++
		if want := referenceACL(c.intent, c.acl); !reflect.DeepEqual(entries, want) {
			t.Fatalf("seed %d: ACL\n got %v\nwant %v", seed, entries, want)
		}
		// Again against a previous numbering: this one shuffled and
		// partly renumbered, then another case's.
		c.acl.Previous = shuffledNumbering(seed, entries)
		checkACLAgainstReference(t, seed, c)
		other := generatedCase(seed + 1<<32)
		other.acl.EntriesPerDirectionQuota = 1 << 20
		if previous, err := CompileACL(other.intent, other.acl); err == nil {
			c.acl.Previous = shuffledNumbering(seed, previous)
			checkACLAgainstReference(t, seed, c)
		}
	}
	if compiled < 1000 {
		t.Fatalf("only %d compilations succeeded: the generator is too wild to test much", compiled)
	}
}

func checkACLAgainstReference(t *testing.T, seed uint64, c generated) {
	t.Helper()
	got, err := CompileACL(c.intent, c.acl)
	if err != nil {
		t.Fatalf("seed %d: with a previous numbering: %v", seed, err)
	}
	if want := referenceACL(c.intent, c.acl); !reflect.DeepEqual(got, want) {
		t.Fatalf("seed %d: ACL with a previous numbering\n got %v\nwant %v", seed, got, want)
	}
}

type generated struct {
	intent Intent
	acl    ACLOptions
	group  GroupOptions
}

// generatedCase draws an intent that mostly compiles: profiles over a
// small pool of blocks, prefix lists and groups, so that peers recur
// across profiles; custom rules chosen to meet the profiles' entries
// (inbound NTP against outbound NTP's answers, high ports against the
// return ranges), denies and deny-list mode.
func generatedCase(seed uint64) generated {
	r := rand.New(rand.NewPCG(seed, 7))
	pick := func(pool []string) []string {
		var out []string
		for range r.IntN(4) {
			if s := pool[r.IntN(len(pool))]; !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out
	}
	v4 := []string{"10.0.1.10/32", "10.0.2.0/24", "10.0.0.0/8", "172.16.0.0/12", "3.5.0.0/19", "0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1"}
	v6 := []string{"2001:db8::/64", "fd00::/8", "::/0"}
	peers := func() Peers {
		p := Peers{CIDRBlocks: pick(v4)}
		if r.IntN(3) == 0 {
			p.IPv6CIDRBlocks = pick(v6)
		}
		if r.IntN(3) == 0 {
			p.PrefixListIDs = pick([]string{"pl-63a5400a", "pl-0123456789abcdef0"})
		}
		if r.IntN(5) == 0 {
			p.SecurityGroupIDs = []string{"sg-0123456789abcdef0"}
		}
		if p.Empty() {
			p.CIDRBlocks = []string{"10.0.2.0/24"}
		}
		return p
	}
	var c generated
	c.intent.Profiles = map[string]Peers{}
	names := catalog.Names()
	for range 1 + r.IntN(6) {
		c.intent.Profiles[names[r.IntN(len(names))]] = peers()
	}
	rules := []CustomRule{
		{Direction: Ingress, Protocol: "udp", FromPort: intp(123), ToPort: intp(123)},
		{Direction: Egress, Protocol: "tcp", FromPort: intp(1024), ToPort: intp(65535)},
		{Direction: Egress, Protocol: "tcp", FromPort: intp(1024), ToPort: intp(65535), Description: "high ports"},
		{Direction: Ingress, Protocol: "tcp", FromPort: intp(22), ToPort: intp(22)},
		{Direction: Ingress, Protocol: "icmp", FromPort: intp(0), ToPort: intp(-1)},
		{Direction: Egress, Protocol: "icmp", FromPort: intp(8), ToPort: intp(-1)},
		{Direction: Egress, Protocol: "icmp", FromPort: intp(3), ToPort: intp(4)},
		{Direction: Egress, Protocol: "all"},
		{Direction: Ingress, Protocol: "47"},
	}
	for range r.IntN(4) {
		rule := rules[r.IntN(len(rules))]
		rule.Peers = Peers{CIDRBlocks: pick(v4[:5])}
		if len(rule.Peers.CIDRBlocks) == 0 {
			rule.Peers.CIDRBlocks = []string{"10.0.2.0/24"}
		}
		c.intent.CustomRules = append(c.intent.CustomRules, rule)
	}
	c.intent.AllowPublicIngress = r.IntN(3) == 0
	c.acl.PrefixListCIDRs = map[string][]string{
		"pl-63a5400a":          {"3.5.0.0/19", "52.216.0.0/15", "10.0.2.0/24"},
		"pl-0123456789abcdef0": {"10.0.1.10/32", "2001:db8::/64", "10.0.1.10/24"},
	}
	for range r.IntN(3) {
		d := DenyRule{CIDRBlock: []string{"5.5.5.5/32", "10.0.1.10/32"}[r.IntN(2)], Direction: []string{"", Egress, "both"}[r.IntN(3)]}
		if r.IntN(2) == 0 {
			d.Protocol, d.FromPort, d.ToPort = "tcp", intp(22), intp(22)
		}
		c.acl.Deny = append(c.acl.Deny, d)
	}
	if r.IntN(4) == 0 {
		c.acl.DefaultAction = Allow
	}
	if r.IntN(4) == 0 {
		c.acl.EphemeralFrom, c.acl.EphemeralTo = 32768, 60999
	}
	c.acl.EntriesPerDirectionQuota = 1 << 20
	c.group.RulesPerDirectionQuota = 1 << 20
	return c
}

func intp(n int) *int { return &n }

// shuffledNumbering is a previous numbering made from entries: some moved
// to other numbers, in their band or not, some respelled, some twice with
// different numbers, all shuffled.
func shuffledNumbering(seed uint64, entries []Entry) []Entry {
	r := rand.New(rand.NewPCG(seed, 11))
	previous := slices.Clone(entries)
	for i := range previous {
		switch r.IntN(8) {
		case 0:
			previous[i].RuleNumber = 1 + r.IntN(allowAllBandLast)
		case 1:
			previous[i].RuleNumber += 1 + r.IntN(3)
		case 2:
			previous[i].RuleNumber = []int{-5, 0, 40000}[r.IntN(3)]
		case 3:
			previous[i].Protocol = "tcp"
		case 4:
			// A twin, later or earlier once shuffled, with another number.
			twin := previous[i]
			twin.RuleNumber = []int{-5, 40000, 1 + r.IntN(allowAllBandLast)}[r.IntN(3)]
			previous = append(previous, twin)
		}
	}
	r.Shuffle(len(previous), func(i, j int) { previous[i], previous[j] = previous[j], previous[i] })
	return previous
}

// referenceGroup compiles the group of an intent that compiles.
func referenceGroup(in Intent) []Rule {
	flows, _ := intentFlows(in)
	var rules []Rule
	var purposes [][]string
	index := map[RuleKey]int{}
	for _, f := range flows {
		for _, p := range f.peers {
			r := Rule{Direction: f.opener, Protocol: GroupProtocol(f.proto), FromPort: f.from, ToPort: f.to}
			switch p.kind {
			case peerIPv4:
				r.CIDRIPv4 = p.value
			case peerIPv6:
				r.CIDRIPv6 = p.value
			case peerGroup:
				r.ReferencedGroupID = p.value
			case peerPrefixList:
				r.PrefixListID = p.value
			}
			i, seen := index[r.Key()]
			if !seen {
				i = len(rules)
				index[r.Key()] = i
				rules = append(rules, r)
				purposes = append(purposes, nil)
			}
			rule := &rules[i]
			if !slices.Contains(rule.Profiles, f.origin) {
				rule.Profiles = append(rule.Profiles, f.origin)
			}
			switch {
			case f.origin == CustomOrigin && f.description != "":
				rule.Description = f.description
			case rule.Description == "" && !slices.Contains(purposes[i], f.purpose):
				purposes[i] = append(purposes[i], f.purpose)
			}
		}
	}
	for i := range rules {
		slices.Sort(rules[i].Profiles)
		if rules[i].Description == "" {
			rules[i].Description = RuleDescription(rules[i].Profiles, purposes[i])
		}
	}
	SortRules(rules)
	return rules
}

// referenceACL compiles the ACL of an intent that compiles.
func referenceACL(in Intent, opts ACLOptions) []Entry {
	flows, _ := intentFlows(in)
	ephemeral := catalog.PortRange{From: opts.EphemeralFrom, To: opts.EphemeralTo}
	if ephemeral == (catalog.PortRange{}) {
		ephemeral = catalog.PortRange{From: DefaultEphemeralFrom, To: DefaultEphemeralTo}
	}

	type pending struct {
		entry    Entry
		band     band
		purposes []string
		// returns is the index of the return traffic the slot stands for,
		// or -1.
		returns int
	}
	type returnTraffic struct {
		egress      bool
		proto       int
		block       string
		ipv6        bool
		ports       []catalog.PortRange
		purposes    []string
		placeholder int
	}
	var list []pending
	index := map[EntryKey]int{}
	add := func(list *[]pending, index map[EntryKey]int, e Entry, b band, purposes ...string) {
		if i, ok := index[e.Key()]; ok {
			for _, p := range purposes {
				if !slices.Contains((*list)[i].purposes, p) {
					(*list)[i].purposes = append((*list)[i].purposes, p)
				}
			}
			return
		}
		index[e.Key()] = len(*list)
		*list = append(*list, pending{entry: e, band: b, purposes: slices.Clone(purposes), returns: -1})
	}
	var returns []returnTraffic
	withBlock := func(e Entry, block string, ipv6 bool) Entry {
		if ipv6 {
			e.IPv6CIDRBlock = block
		} else {
			e.CIDRBlock = block
		}
		return e
	}
	withPorts := func(e Entry, proto, from, to int) Entry {
		switch {
		case HasPorts(proto):
			e.FromPort, e.ToPort = from, to
		case IsICMP(proto):
			e.ICMPType, e.ICMPCode = from, to
		}
		return e
	}

	for i, d := range opts.Deny {
		proto, _ := ProtocolNumber(cmp.Or(d.Protocol, "all"))
		from, to := 0, 65535
		if d.FromPort != nil {
			from, to = *d.FromPort, *d.ToPort
		}
		directions := map[string][]bool{"": {false}, Ingress: {false}, Egress: {true}, "both": {false, true}}[d.Direction]
		for _, egress := range directions {
			e := withBlock(Entry{Egress: egress, Action: Deny, Protocol: strconv.Itoa(proto)}, d.CIDRBlock+d.IPv6CIDRBlock, d.IPv6CIDRBlock != "")
			add(&list, index, withPorts(e, proto, from, to), bandDeny, fmt.Sprintf("deny[%d]", i))
		}
	}
	for _, f := range flows {
		type block struct {
			text string
			ipv6 bool
		}
		var blocks []block
		for _, p := range f.peers {
			switch p.kind {
			case peerIPv4, peerIPv6:
				blocks = append(blocks, block{p.value, p.kind == peerIPv6})
			case peerPrefixList:
				for _, s := range opts.PrefixListCIDRs[p.value] {
					prefix := netip.MustParsePrefix(s).Masked()
					if f.ipv4Only && prefix.Addr().Is6() {
						continue // NetBIOS has no IPv6 peer
					}
					blocks = append(blocks, block{prefix.String(), prefix.Addr().Is6()})
				}
			}
		}
		egress := f.opener == Egress
		for _, b := range blocks {
			request := withBlock(Entry{Egress: egress, Action: Allow, Protocol: strconv.Itoa(f.proto)}, b.text, b.ipv6)
			add(&list, index, withPorts(request, f.proto, f.from, f.to), bandAllow, f.origin+": "+f.purpose)
			response := withBlock(Entry{Egress: !egress, Action: Allow, Protocol: strconv.Itoa(f.proto)}, b.text, b.ipv6)
			purpose := f.origin + ": return traffic"
			switch {
			case f.replies.OneWay:
			case HasPorts(f.proto):
				i := slices.IndexFunc(returns, func(r returnTraffic) bool {
					return r.egress == !egress && r.proto == f.proto && r.block == b.text && r.ipv6 == b.ipv6
				})
				if i < 0 {
					i = len(returns)
					returns = append(returns, returnTraffic{egress: !egress, proto: f.proto, block: b.text, ipv6: b.ipv6, placeholder: len(list)})
					list = append(list, pending{band: bandAllow, returns: i})
				}
				clients := []catalog.PortRange{ephemeral}
				switch {
				case f.replyPorts != nil:
					clients = f.replyPorts
				case egress:
					clients = ddveEphemeralPorts(flows, opts)
				}
				if !f.replies.OneWay {
					returns[i].ports = append(returns[i].ports, clients...)
					returns[i].ports = append(returns[i].ports, f.replies.ClientPorts...)
				}
				if !slices.Contains(returns[i].purposes, purpose) {
					returns[i].purposes = append(returns[i].purposes, purpose)
				}
			case IsICMP(f.proto):
				replyType, _ := ICMPReplyType(f.proto, f.from)
				add(&list, index, withPorts(response, f.proto, replyType, f.to), bandAllow, purpose)
			default:
				add(&list, index, response, bandAllow, purpose)
			}
		}
	}
	if opts.DefaultAction == Allow {
		for _, egress := range []bool{false, true} {
			add(&list, index, Entry{Egress: egress, Action: Allow, Protocol: "-1", CIDRBlock: "0.0.0.0/0"}, bandAllowAll, "default_action allow")
			add(&list, index, Entry{Egress: egress, Action: Allow, Protocol: "-1", IPv6CIDRBlock: "::/0"}, bandAllowAll, "default_action allow")
		}
	}

	// Return ranges merged, in the place of the first flow that needed
	// them, every entry merged with its twins again.
	var merged []pending
	mergedIndex := map[EntryKey]int{}
	for _, p := range list {
		if p.returns < 0 {
			add(&merged, mergedIndex, p.entry, p.band, p.purposes...)
			continue
		}
		r := returns[p.returns]
		for _, ports := range mergeRanges(r.ports) {
			e := withBlock(Entry{Egress: r.egress, Action: Allow, Protocol: strconv.Itoa(r.proto), FromPort: ports.From, ToPort: ports.To}, r.block, r.ipv6)
			add(&merged, mergedIndex, e, bandAllow, r.purposes...)
		}
	}

	merged = referenceDropCovered(merged, func(p pending) Entry { return p.entry }, func(into *pending, from pending) {
		for _, s := range from.purposes {
			if !slices.Contains(into.purposes, s) {
				into.purposes = append(into.purposes, s)
			}
		}
	})

	// Numbering: twins of the previous numbering keep theirs in the right
	// band, the others take the next free number.
	type slot struct {
		egress bool
		number int
	}
	taken := map[slot]bool{}
	previous := map[EntryKey]int{}
	for _, e := range opts.Previous {
		previous[e.Key()] = e.RuleNumber
	}
	kept := make([]int, len(merged))
	for i, p := range merged {
		first, last := p.band.bounds()
		if n, ok := previous[p.entry.Key()]; ok && n >= first && n <= last && !taken[slot{p.entry.Egress, n}] {
			kept[i] = n
			taken[slot{p.entry.Egress, n}] = true
		}
	}
	type cursor struct {
		egress bool
		band   band
	}
	lastNumber := map[cursor]int{}
	var out []Entry
	for i, p := range merged {
		first, last := p.band.bounds()
		n := kept[i]
		if n == 0 {
			n = freeNumber(first, last, lastNumber[cursor{p.entry.Egress, p.band}], func(n int) bool { return taken[slot{p.entry.Egress, n}] })
			taken[slot{p.entry.Egress, n}] = true
		}
		lastNumber[cursor{p.entry.Egress, p.band}] = n
		e := p.entry
		e.RuleNumber, e.Purpose = n, strings.Join(p.purposes, "; ")
		out = append(out, e)
	}
	SortEntries(out)
	return out
}

// mayCover only spares the sort where coversFamily would find a gap: it
// must hold whenever the prefixes do cover their family.
func TestMayCoverHoldsWhenCovered(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	covered := 0
	for range 20000 {
		n := 1 + r.IntN(9)
		prefixes := make([]netip.Prefix, n)
		for i := range prefixes {
			bits := r.IntN(5)
			addr := netip.AddrFrom4([4]byte{byte(r.IntN(256)), 0, 0, 0})
			if r.IntN(4) == 0 {
				bits = r.IntN(3)
				addr = netip.IPv6Unspecified()
				if r.IntN(2) == 0 {
					addr = netip.MustParseAddr("8000::")
				}
			}
			prefixes[i] = netip.PrefixFrom(addr, bits).Masked()
		}
		// One family at a time, as refuseWholeFamily asks.
		family := slices.DeleteFunc(slices.Clone(prefixes), func(p netip.Prefix) bool { return p.Addr().Is6() != prefixes[0].Addr().Is6() })
		shortest := 128
		for _, p := range family {
			shortest = min(shortest, p.Bits())
		}
		if coversFamily(family) {
			covered++
			if !mayCover(len(family), shortest) {
				t.Fatalf("%v cover their family, but mayCover says they cannot", family)
			}
		}
	}
	if covered < 100 {
		t.Fatalf("only %d sets covered their family: too few to test", covered)
	}
}

// referenceDropCovered leaves out, entry by entry, every allow entry that
// another allow entry of its direction and family covers: the first
// entry for every protocol whose block holds it, else the entry of its
// protocol with the widest block, the lowest first port (type), the
// highest last port (code, any first) and the earliest place; a covered
// coverer hands on to its own.
func referenceDropCovered[T any](list []T, entry func(T) Entry, give func(into *T, from T)) []T {
	prefix := func(e Entry) netip.Prefix { return netip.MustParsePrefix(e.CIDRBlock + e.IPv6CIDRBlock) }
	code := func(e Entry) int {
		if e.ICMPCode == -1 {
			return 256
		}
		return e.ICMPCode
	}
	ports := func(e Entry) (int, int) {
		proto, _ := strconv.Atoi(e.Protocol)
		switch {
		case HasPorts(proto):
			return e.FromPort, e.ToPort
		case IsICMP(proto):
			return e.ICMPType, code(e)
		}
		return 0, 0
	}
	covers := func(o, e Entry) bool {
		po, pe := prefix(o), prefix(e)
		if o.Action != Allow || e.Action != Allow || o.Egress != e.Egress || po.Addr().Is6() != pe.Addr().Is6() ||
			po.Bits() > pe.Bits() || !po.Contains(pe.Addr()) || o.Key() == e.Key() {
			return false
		}
		if o.Protocol == "-1" {
			return e.Protocol != "-1" || po.Bits() < pe.Bits()
		}
		if o.Protocol != e.Protocol {
			return false
		}
		proto, _ := strconv.Atoi(o.Protocol)
		of, ot := ports(o)
		ef, et := ports(e)
		switch {
		case HasPorts(proto):
			return of <= ef && et <= ot
		case IsICMP(proto):
			return of == -1 || of == ef && (ot == 256 || ot == et)
		}
		return true
	}
	coveredBy := make([]int, len(list))
	for i := range list {
		e := entry(list[i])
		best := -1
		for j := range list {
			o := entry(list[j])
			if j == i || !covers(o, e) {
				continue
			}
			if o.Protocol == "-1" && e.Protocol != "-1" {
				if best < 0 || entry(list[best]).Protocol != "-1" || j < best {
					best = j
				}
				continue
			}
			if best >= 0 && entry(list[best]).Protocol == "-1" && e.Protocol != "-1" {
				continue
			}
			if best < 0 {
				best = j
				continue
			}
			b := entry(list[best])
			of, ot := ports(o)
			bf, bt := ports(b)
			if c := cmp.Or(cmp.Compare(prefix(o).Bits(), prefix(b).Bits()), cmp.Compare(of, bf), cmp.Compare(bt, ot), cmp.Compare(j, best)); c < 0 {
				best = j
			}
		}
		coveredBy[i] = best + 1
	}
	var out []T
	for i := range list {
		if coveredBy[i] == 0 {
			continue
		}
		by := coveredBy[i]
		for coveredBy[by-1] != 0 {
			by = coveredBy[by-1]
		}
		give(&list[by-1], list[i])
	}
	for i := range list {
		if coveredBy[i] == 0 {
			out = append(out, list[i])
		}
	}
	return out
}
