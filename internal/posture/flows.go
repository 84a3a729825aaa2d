package posture

import (
	"fmt"
	"math/bits"
	"net/netip"
	"regexp"
	"slices"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
)

type peerKind int

const (
	peerIPv4 peerKind = iota
	peerIPv6
	peerGroup
	peerPrefixList
)

type peer struct {
	kind  peerKind
	value string // canonical CIDR or ID
	// prefix is the parsed CIDR of an IPv4 or IPv6 peer, so the compilers
	// and checks need not parse value again.
	prefix netip.Prefix
}

// flow is one connection of the intent with its peers, whatever produced it.
type flow struct {
	origin      string // profile name, or "custom"
	at          Path   // the profile or custom rule that asked for it
	opener      string // Ingress: the peer opens towards DDVE; Egress: DDVE opens
	proto       int
	from, to    int // ICMP: type and code
	purpose     string
	description string // custom rules: the user's description
	replies     catalog.Replies
	peers       []peer
	// peerSet numbers the peer lists: the flows of one profile share
	// theirs, so what a compiler derives from the peers alone (resolved
	// blocks, the whole-internet check) is worked out once per list.
	peerSet int
	// ipv4Only flows (NetBIOS) leave IPv6 peers out, typed or resolved
	// from a prefix list.
	ipv4Only bool
	// replyPorts, when set, are where the answers go instead of the
	// opener's ephemeral range (a custom rule's reply_ports), merged.
	replyPorts []catalog.PortRange
}

// catalogProfiles is the compilers' copy of the catalog, taken once: the
// catalog hands out copies, and the compilers only read theirs.
var catalogProfiles = func() map[string]catalog.Profile {
	out := map[string]catalog.Profile{}
	for _, p := range catalog.All() {
		out[p.Name] = p
	}
	return out
}()

// CustomOrigin names the origin of custom rules in descriptions and purposes.
const CustomOrigin = "custom"

var (
	groupIDPattern      = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
	prefixListIDPattern = regexp.MustCompile(`^pl-[0-9a-f]{8,17}$`)
	// descriptionPattern is the character set AWS accepts in security group
	// rule descriptions.
	descriptionPattern = regexp.MustCompile(`^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*$`)
)

const maxDescriptionLength = 255

// intentFlows checks an intent and returns its flows, in catalog order then
// custom rules in the order written. Problems name the attribute and the fix.
func intentFlows(in Intent) ([]flow, Problems) {
	var problems Problems
	peerSets := 0

	names := make([]string, 0, len(in.Profiles))
	count := len(in.CustomRules)
	for name := range in.Profiles {
		names = append(names, name)
		if profile, ok := catalogProfiles[name]; ok {
			count += len(profile.Flows)
		}
	}
	slices.Sort(names)
	rpcDynamic := catalog.PortRange{From: in.RPCDynamicFrom, To: in.RPCDynamicTo}
	if rpcDynamic.From == 0 && rpcDynamic.To == 0 {
		rpcDynamic = catalog.PortRange{From: catalog.RPCDynamicFrom, To: catalog.RPCDynamicTo}
	} else {
		checkPortRange(Root(catalog.RPCDynamicPorts), rpcDynamic.From, rpcDynamic.To, &problems)
	}
	flows := make([]flow, 0, count)
	for _, name := range names {
		at := Root("profiles").MapKey(name)
		profile, ok := catalogProfiles[name]
		if !ok {
			problems.add(at, "Unknown port profile", "%s", UnknownProfileDetail(name))
			continue
		}
		peers := in.Profiles[name]
		if peers.Empty() {
			problems.add(at, "Profile without peers",
				"Profile %q names no peer: give cidr_blocks, ipv6_cidr_blocks, security_group_ids or prefix_list_ids, or remove the profile.", name)
			continue
		}
		parsed := parsePeers(at, peers, profile.HasInbound() && !in.AllowPublicIngress, &problems)
		if profile.HasInbound() && !in.AllowPublicIngress {
			refuseWholeFamily(at, name, parsed, peerBlock, &problems)
		}
		// The IPv4-only flows of the profile share a list of their own.
		mainSet := peerSets
		peerSets++
		var ipv4Peers []peer
		ipv4Set := -1
		for _, f := range profile.Flows {
			peers, set := parsed, mainSet
			if f.IPv4Only {
				if ipv4Set < 0 {
					ipv4Peers = slices.DeleteFunc(slices.Clone(parsed), func(p peer) bool { return p.kind == peerIPv6 })
					ipv4Set = peerSets
					peerSets++
				}
				if len(ipv4Peers) == 0 {
					continue
				}
				peers, set = ipv4Peers, ipv4Set
			}
			opener := Ingress
			if f.Direction == catalog.Outbound {
				opener = Egress
			}
			proto, _ := ProtocolNumber(string(f.Protocol))
			from, to := f.FromPort, f.ToPort
			if f.Setting == catalog.RPCDynamicPorts {
				from, to = rpcDynamic.From, rpcDynamic.To
			}
			replies := f.Replies
			if fault("catalog NTP client port edited to 124") && f.Protocol == catalog.UDP && f.FromPort == 123 {
				// A wrong reply note in the catalog reaches the flows the
				// compiler and posture.Flows both read.
				replies.ClientPorts = []catalog.PortRange{{From: 124, To: 124}}
			}
			flows = append(flows, flow{
				origin: name, at: at, opener: opener, proto: proto,
				from: from, to: to, purpose: f.Purpose, replies: replies, peers: peers, peerSet: set, ipv4Only: f.IPv4Only,
			})
		}
	}

	for i, rule := range in.CustomRules {
		at := Root("custom_rules").Index(i)
		f, ok := parseCustomRule(at, rule, in.AllowPublicIngress, &problems)
		if ok {
			f.peerSet = peerSets
			flows = append(flows, f)
		}
		peerSets++
	}
	return flows, problems
}

func parseCustomRule(at Path, rule CustomRule, allowPublic bool, problems *Problems) (flow, bool) {
	ok := true
	if rule.Direction == "" {
		problems.add(at.Name("direction"), "Missing direction",
			"Every custom rule needs direction: \"ingress\" (the peer connects to DDVE) or \"egress\" (DDVE connects to the peer).")
		ok = false
	} else if rule.Direction != Ingress && rule.Direction != Egress {
		problems.add(at.Name("direction"), "Invalid direction",
			"direction is %q: use \"ingress\" (the peer connects to DDVE) or \"egress\" (DDVE connects to the peer).", rule.Direction)
		ok = false
	}
	proto, known := ProtocolNumber(rule.Protocol)
	if rule.Protocol == "" {
		problems.add(at.Name("protocol"), "Missing protocol",
			"Every custom rule needs protocol: tcp, udp, icmp, icmpv6, all, or a protocol number 0-255.")
		ok = false
	} else if !known {
		problems.add(at.Name("protocol"), "Invalid protocol",
			"protocol is %q: use tcp, udp, icmp, icmpv6, all, or a protocol number 0-255.", rule.Protocol)
		ok = false
	}
	from, to := -1, -1
	if known {
		from, to = -1, -1
		if f, t, good := parseRulePorts(at, proto, rule.FromPort, rule.ToPort, problems); good {
			from, to = f, t
		} else {
			ok = false
		}
	}
	if !descriptionPattern.MatchString(rule.Description) || len(rule.Description) > maxDescriptionLength {
		problems.add(at.Name("description"), "Invalid description",
			"AWS accepts up to %d characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$* in a rule description.", maxDescriptionLength)
		ok = false
	}
	if rule.Peers.Empty() {
		problems.add(at, "Custom rule without peers",
			"Give cidr_blocks, ipv6_cidr_blocks, security_group_ids or prefix_list_ids.")
		ok = false
	}
	peers := parsePeers(at, rule.Peers, rule.Direction == Ingress && !allowPublic, problems)
	if rule.Direction == Ingress && !allowPublic {
		refuseWholeFamily(at, "the custom rule", peers, peerBlock, problems)
	}
	if known && IsICMP(proto) && !checkICMPFamily(at, proto, peers, problems) {
		ok = false
	}
	replies := customReplies(proto, from)
	var replyPorts []catalog.PortRange
	switch {
	case rule.OneWay && len(rule.ReplyPorts) > 0:
		problems.add(at.Name("reply_ports"), "Reply ports on a one-way rule",
			"one_way = true means the flow is never answered, so it takes no reply_ports: remove one of them.")
		ok = false
	case rule.OneWay:
		replies = catalog.Replies{OneWay: true, Source: "custom rule: one_way"}
	case rule.ReplyPorts != nil && known && !HasPorts(proto):
		problems.add(at.Name("reply_ports"), "Reply ports without ports",
			"reply_ports name the ports TCP and UDP clients send from; %s answers by message type (ICMP) or not by port at all: remove reply_ports.", protocolLabel(proto))
		ok = false
	case rule.ReplyPorts != nil && len(rule.ReplyPorts) == 0:
		problems.add(at.Name("reply_ports"), "Empty reply ports",
			"reply_ports is empty, which would drop every answer: name the ports the clients send from, set one_way = true if nothing answers, or leave reply_ports out for the ephemeral range.")
		ok = false
	case rule.ReplyPorts != nil:
		for _, r := range rule.ReplyPorts {
			if _, _, good := checkPortRange(at.Name("reply_ports"), r.From, r.To, problems); !good {
				ok = false
			}
		}
		if ok {
			replyPorts = mergeRanges(rule.ReplyPorts)
		}
	}
	purpose := rule.Description
	if purpose == "" {
		switch {
		case HasPorts(proto):
			purpose = fmt.Sprintf("%s %d-%d", protocolLabel(proto), from, to)
		case IsICMP(proto):
			purpose = fmt.Sprintf("%s type %d code %d", protocolLabel(proto), from, to)
		default:
			purpose = protocolLabel(proto)
		}
	}
	return flow{
		origin: CustomOrigin, at: at, opener: rule.Direction, proto: proto, from: from, to: to,
		purpose: purpose, description: rule.Description, replies: replies, peers: peers, replyPorts: replyPorts,
	}, ok
}

// parseRulePorts checks a rule's ports against its protocol: TCP and UDP need
// a range within 0-65535, ICMP takes a type and code (-1: any), all and the
// other protocols take none.
func parseRulePorts(at Path, proto int, from, to *int, problems *Problems) (int, int, bool) {
	switch {
	case HasPorts(proto):
		if from == nil || to == nil {
			problems.add(at, "Missing ports", "%s needs from_port and to_port.", GroupProtocol(proto))
			return 0, 0, false
		}
		return checkPortRange(at, *from, *to, problems)
	case IsICMP(proto):
		t, c := -1, -1
		if from != nil {
			t = *from
		}
		if to != nil {
			c = *to
		}
		if t < -1 || t > 255 || c < -1 || c > 255 {
			problems.add(at, "Invalid ICMP type or code",
				"For ICMP, from_port is the type and to_port the code: each -1 (any) or 0-255.")
			return 0, 0, false
		}
		if t == -1 && c != -1 {
			// AWS refuses a specific code under "every type".
			problems.add(at.Name("to_port"), "ICMP code without a type",
				"from_port -1 means every ICMP type, which takes every code: set to_port to -1, or name the type in from_port.")
			return 0, 0, false
		}
		return t, c, true
	default:
		if from != nil || to != nil {
			problems.add(at, "Ports with a protocol that has none",
				"Protocol %s has no ports: remove from_port and to_port, or use tcp or udp.", protocolLabel(proto))
			return 0, 0, false
		}
		return -1, -1, true
	}
}

func checkPortRange(at Path, from, to int, problems *Problems) (int, int, bool) {
	if from < 0 || from > 65535 || to < 0 || to > 65535 {
		problems.add(at, "Port out of range", "Ports must lie in 0-65535; got from_port %d, to_port %d.", from, to)
		return 0, 0, false
	}
	if from > to {
		problems.add(at, "Port range reversed", "from_port %d is above to_port %d: swap them.", from, to)
		return 0, 0, false
	}
	return from, to, true
}

func protocolLabel(n int) string {
	if n == ProtoAll {
		return "all"
	}
	return GroupProtocol(n)
}

func parsePeers(at Path, p Peers, refusePublic bool, problems *Problems) []peer {
	out := make([]peer, 0, len(p.CIDRBlocks)+len(p.IPv6CIDRBlocks)+len(p.SecurityGroupIDs)+len(p.PrefixListIDs))
	for _, s := range p.CIDRBlocks {
		if prefix, ok := parseCIDR(func() Path { return at.Name("cidr_blocks").SetValue(s) }, "ipv6_cidr_blocks", s, false, refusePublic, problems); ok {
			out = append(out, peer{kind: peerIPv4, value: s, prefix: prefix})
		}
	}
	for _, s := range p.IPv6CIDRBlocks {
		if prefix, ok := parseCIDR(func() Path { return at.Name("ipv6_cidr_blocks").SetValue(s) }, "cidr_blocks", s, true, refusePublic, problems); ok {
			out = append(out, peer{kind: peerIPv6, value: s, prefix: prefix})
		}
	}
	for _, s := range p.SecurityGroupIDs {
		if !groupIDPattern.MatchString(s) {
			problems.add(at.Name("security_group_ids").SetValue(s), "Invalid security group ID",
				"%q is not a security group ID: it must look like sg-0123456789abcdef0.", s)
			continue
		}
		out = append(out, peer{kind: peerGroup, value: s})
	}
	for _, s := range p.PrefixListIDs {
		if !prefixListIDPattern.MatchString(s) {
			problems.add(at.Name("prefix_list_ids").SetValue(s), "Invalid prefix list ID",
				"%q is not a prefix list ID: it must look like pl-63a5400a.", s)
			continue
		}
		out = append(out, peer{kind: peerPrefixList, value: s})
	}
	return out
}

// parseCIDR accepts only canonical CIDRs of the expected family: AWS would
// silently mask 10.0.1.10/24 to 10.0.1.0/24, which is rarely what was meant.
// A prefix it accepts spells exactly s, so callers keep s as its text. The
// problem's path is built only on error, since valid input is the common
// case.
func parseCIDR(at func() Path, otherField, s string, wantIPv6, refusePublic bool, problems *Problems) (netip.Prefix, bool) {
	fail := func(summary, format string, args ...any) (netip.Prefix, bool) {
		problems.add(at(), summary, format, args...)
		return netip.Prefix{}, false
	}
	prefix, err := netip.ParsePrefix(s)
	if err != nil {
		example := "10.0.1.0/24"
		if wantIPv6 {
			example = "2001:db8::/64"
		}
		return fail("Invalid CIDR block", "%q is not a CIDR block such as %s.", s, example)
	}
	switch {
	case wantIPv6 && !prefix.Addr().Is6():
		return fail("IPv4 CIDR in an IPv6 field", "%s is IPv4: move it to %s.", s, otherField)
	case !wantIPv6 && !prefix.Addr().Is4():
		return fail("IPv6 CIDR in an IPv4 field", "%s is IPv6: move it to %s.", s, otherField)
	}
	if masked := prefix.Masked(); masked != prefix {
		host := netip.PrefixFrom(prefix.Addr(), prefix.Addr().BitLen())
		return fail("CIDR block not canonical",
			"%s has host bits set: write %s for the network, or %s for the single host.", s, masked, host)
	}
	// The longest prefix text, an IPv6 address with every group and /128,
	// fits the buffer, so the comparison allocates nothing.
	var text [64]byte
	if string(prefix.AppendTo(text[:0])) != s {
		// AWS stores the canonical text; another spelling would read back
		// as a change.
		return fail("CIDR block not canonical", "write %s as %s.", s, prefix)
	}
	if refusePublic && prefix.Bits() == 0 {
		return fail("Public ingress refused",
			"%s opens DDVE to the whole internet, against Dell's guidance for DDVE on AWS. Name the peers, or set allow_public_ingress = true if this is intended.", s)
	}
	return prefix, true
}

// checkICMPFamily refuses ICMP towards IPv6 peers and ICMPv6 towards IPv4
// ones. AWS reads an ICMPv6 network ACL entry with an IPv4 block as every
// ICMP type and code, whatever the rule names, so the mismatch would open
// more than asked.
func checkICMPFamily(at Path, proto int, peers []peer, problems *Problems) bool {
	for _, p := range peers {
		switch {
		case proto == ProtoICMP && p.kind == peerIPv6:
			problems.add(at, "ICMP towards an IPv6 peer",
				"protocol icmp is IPv4's ICMP, and %s is IPv6: use protocol icmpv6 for IPv6 peers, in a rule of its own.", p.value)
			return false
		case proto == ProtoICMPv6 && p.kind == peerIPv4:
			problems.add(at, "ICMPv6 towards an IPv4 peer",
				"protocol icmpv6 with the IPv4 block %s would allow every ICMP type and code in a network ACL: use protocol icmp for IPv4 peers, in a rule of its own.", p.value)
			return false
		}
	}
	return true
}

// refuseWholeFamily refuses peers that together cover every address of a
// family, such as 0.0.0.0/1 and 128.0.0.0/1: the internet, split in
// halves, is still the internet. It reads the blocks where they are,
// typed peers or resolved ones, through block, and copies a family only
// to sort it.
func refuseWholeFamily[T any](at Path, who string, peers []T, block func(T) (netip.Prefix, bool), problems *Problems) {
	for _, ipv6 := range []bool{false, true} {
		n, shortest := 0, 128
		for _, peer := range peers {
			if p, ok := block(peer); ok && p.Addr().Is6() == ipv6 {
				n, shortest = n+1, min(shortest, p.Bits())
			}
		}
		if n < 2 || !mayCover(n, shortest) {
			continue
		}
		family := make([]netip.Prefix, 0, n)
		for _, peer := range peers {
			if p, ok := block(peer); ok && p.Addr().Is6() == ipv6 {
				family = append(family, p)
			}
		}
		if coversFamily(family) {
			problems.addOnce(at, "Public ingress refused",
				"The peers of %s together cover every %s address, which opens DDVE to the whole internet, against Dell's guidance for DDVE on AWS. Name the peers, or set allow_public_ingress = true if this is intended.",
				who, familyName(family[0]))
		}
	}
}

// peerBlock returns the block of an IPv4 or IPv6 peer.
func peerBlock(p peer) (netip.Prefix, bool) {
	return p.prefix, p.kind == peerIPv4 || p.kind == peerIPv6
}

// mayCover reports whether n prefixes of one family, none shorter than
// /shortest, can hold all its 2^width addresses: they hold at most
// n·2^(width-shortest), short of it unless n >= 2^shortest. Typical peers,
// a few /24s or /32s, are cleared without sorting them.
func mayCover(n, shortest int) bool {
	return shortest < bits.UintSize-1 && n >= 1<<shortest
}

func familyName(p netip.Prefix) string {
	if p.Addr().Is6() {
		return familyIPv6
	}
	return familyIPv4
}

// coversFamily reports whether the prefixes, all of one family, cover every
// address of it.
func coversFamily(prefixes []netip.Prefix) bool {
	sorted := slices.Clone(prefixes)
	slices.SortFunc(sorted, func(a, b netip.Prefix) int { return a.Masked().Addr().Compare(b.Masked().Addr()) })
	next := netip.IPv4Unspecified()
	if sorted[0].Addr().Is6() {
		next = netip.IPv6Unspecified()
	}
	for _, p := range sorted {
		p = p.Masked()
		if p.Addr().Compare(next) > 0 {
			return false
		}
		last := lastAddress(p)
		if !last.Next().IsValid() {
			return true
		}
		if last.Next().Compare(next) > 0 {
			next = last.Next()
		}
	}
	return false
}

func lastAddress(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
