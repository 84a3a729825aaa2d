package evaluate_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

var ddve = netip.MustParseAddr("10.9.0.5")

// Peer pools: all outside 10.9.0.0/16 (DDVE's subnet) and outside
// 192.0.2.0/24 and 2001:db8:ffff::/48, which serve as strangers.
var (
	ipv4Pool = []string{"10.0.1.10/32", "10.0.2.0/24", "10.1.0.0/16", "172.16.4.0/22", "10.0.2.128/25"}
	ipv6Pool = []string{"2001:db8:1::/64", "2001:db8:2::10/128"}
	s3CIDRs  = []string{"3.5.0.0/19", "52.216.0.0/15"}
	stranger = []netip.Addr{netip.MustParseAddr("192.0.2.77"), netip.MustParseAddr("2001:db8:ffff::9")}
)

const (
	prefixList = "pl-0123456789abcdef0"
	peerGroup  = "sg-0123456789abcdef0"
)

var groupMembers = []netip.Addr{netip.MustParseAddr("10.3.3.3")}

// scenario is an intent drawn from fuzz bytes, with everything the ACL
// compiler and the evaluator need beside it.
type scenario struct {
	intent    posture.Intent
	ephemeral [2]int
}

type byteSource struct {
	data []byte
	i    int
}

func (b *byteSource) next() int {
	if len(b.data) == 0 {
		return 0
	}
	v := b.data[b.i%len(b.data)]
	b.i++
	return int(v)
}

func newScenario(data []byte) scenario {
	src := &byteSource{data: data}
	s := scenario{intent: posture.Intent{Profiles: map[string]posture.Peers{}}}
	for _, p := range catalog.All() {
		if src.next()%3 == 0 {
			continue
		}
		var peers posture.Peers
		mask := src.next()
		for i, c := range ipv4Pool {
			if mask&(1<<i) != 0 {
				peers.CIDRBlocks = append(peers.CIDRBlocks, c)
			}
		}
		for i, c := range ipv6Pool {
			if mask&(1<<(i+5)) != 0 {
				peers.IPv6CIDRBlocks = append(peers.IPv6CIDRBlocks, c)
			}
		}
		if mask&(1<<7) != 0 {
			peers.PrefixListIDs = []string{prefixList}
		}
		if peers.Empty() {
			peers.CIDRBlocks = []string{ipv4Pool[src.next()%len(ipv4Pool)]}
		}
		s.intent.Profiles[p.Name] = peers
	}
	if src.next()%2 == 0 {
		// A custom flow on ports no profile uses, to a peer of either family.
		direction, protocol := "ingress", "tcp"
		if src.next()%2 == 0 {
			direction = "egress"
		}
		if src.next()%2 == 0 {
			protocol = "udp"
		}
		from := 5000 + src.next()*10
		to := from + src.next()%50
		peers := posture.Peers{CIDRBlocks: []string{ipv4Pool[src.next()%len(ipv4Pool)]}}
		if src.next()%3 == 0 {
			peers = posture.Peers{IPv6CIDRBlocks: []string{ipv6Pool[src.next()%len(ipv6Pool)]}}
		}
		s.intent.CustomRules = append(s.intent.CustomRules, posture.CustomRule{
			Direction: direction, Protocol: protocol, FromPort: &from, ToPort: &to, Peers: peers, Description: "fuzzed flow",
		})
	}
	from := 1024 + src.next()*180
	s.ephemeral = [2]int{from, min(65535, from+src.next()*100+1000)}
	return s
}

// intendedFlows returns every flow of the intent with its peers: the
// profiles' flows and the custom rules.
func (s scenario) intendedFlows() []peerFlow {
	var out []peerFlow
	for name, peers := range s.intent.Profiles {
		profile, _ := catalog.Lookup(name)
		for _, f := range profile.Flows {
			out = append(out, peerFlow{name, f, peers})
		}
	}
	for _, c := range s.intent.CustomRules {
		direction := catalog.Inbound
		if c.Direction == "egress" {
			direction = catalog.Outbound
		}
		f := catalog.Flow{Direction: direction, Protocol: catalog.Protocol(c.Protocol), FromPort: *c.FromPort, ToPort: *c.ToPort}
		out = append(out, peerFlow{"custom", f, c.Peers})
	}
	return out
}

type peerFlow struct {
	origin string
	flow   catalog.Flow
	peers  posture.Peers
}

func (s scenario) aclOptions(deny []posture.DenyRule) posture.ACLOptions {
	return posture.ACLOptions{
		EphemeralFrom: s.ephemeral[0], EphemeralTo: s.ephemeral[1],
		Deny:                     deny,
		EntriesPerDirectionQuota: 10000,
		PrefixListCIDRs:          map[string][]string{prefixList: s3CIDRs},
	}
}

func (s scenario) host(t testing.TB, deny []posture.DenyRule) evaluate.Host {
	t.Helper()
	rules, err := posture.CompileGroup(s.intent, posture.GroupOptions{RulesPerDirectionQuota: 10000})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := posture.CompileACL(s.intent, s.aclOptions(deny))
	if err != nil {
		t.Fatal(err)
	}
	return evaluate.Host{
		Addr: ddve,
		Group: evaluate.Group{Rules: rules, Resolver: evaluate.Resolver{
			GroupMembers: map[string][]netip.Addr{peerGroup: groupMembers},
			PrefixLists:  map[string][]netip.Prefix{prefixList: prefixes(s3CIDRs)},
		}},
		ACL: evaluate.ACL{Entries: entries},
	}
}

// peerAddrs returns addresses standing for a profile's peers: the first and
// last address of each CIDR, and the prefix list's CIDRs.
func peerAddrs(p posture.Peers) []netip.Addr {
	var out []netip.Addr
	cidrs := slices.Concat(p.CIDRBlocks, p.IPv6CIDRBlocks)
	if len(p.PrefixListIDs) > 0 {
		cidrs = append(cidrs, s3CIDRs...)
	}
	for _, c := range cidrs {
		prefix := netip.MustParsePrefix(c)
		out = append(out, prefix.Addr(), lastAddr(prefix))
	}
	return out
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func prefixes(cidrs []string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = netip.MustParsePrefix(c)
	}
	return out
}

func protoNumber(p catalog.Protocol) int {
	n, _ := posture.ProtocolNumber(string(p))
	return n
}

// request builds the first packet of a flow between DDVE and peer, with
// the client's source port.
func request(f catalog.Flow, peer netip.Addr, port, clientPort int) evaluate.Packet {
	if f.Direction == catalog.Inbound {
		return evaluate.Packet{Src: peer, Dst: ddve, Protocol: protoNumber(f.Protocol), SrcPort: clientPort, DstPort: port}
	}
	return evaluate.Packet{Src: ddve, Dst: peer, Protocol: protoNumber(f.Protocol), SrcPort: clientPort, DstPort: port}
}

// checkIntendedFlowsPass: every flow of every profile passes, request and
// reply, for each peer address, with client ports at both ends of the
// ephemeral range and in between.
func checkIntendedFlowsPass(t *testing.T, s scenario, h evaluate.Host) {
	t.Helper()
	clientPorts := []int{s.ephemeral[0], (s.ephemeral[0] + s.ephemeral[1]) / 2, s.ephemeral[1]}
	for _, pf := range s.intendedFlows() {
		f := pf.flow
		for _, addr := range peerAddrs(pf.peers) {
			for _, cp := range clientPorts {
				for _, port := range []int{f.FromPort, f.ToPort} {
					c := h.Connect(request(f, addr, port, cp))
					if !c.Allowed() {
						t.Fatalf("%s flow %v with %s from port %d blocked: %s", pf.origin, f, addr, cp, c.Deciding().Reason)
					}
				}
			}
		}
	}
}

// checkOthersDenied: strangers reach nothing, and ports no profile offers
// are closed to the peers themselves.
func checkOthersDenied(t *testing.T, s scenario, h evaluate.Host) {
	t.Helper()
	for _, addr := range stranger {
		for _, p := range catalog.All() {
			for _, f := range p.Flows {
				pkt := request(f, addr, f.FromPort, s.ephemeral[0])
				if c := h.Connect(pkt); c.Allowed() {
					t.Fatalf("stranger %s got through with %v", addr, pkt)
				}
				egress := f.Direction == catalog.Outbound
				if v := h.ACL.Filter(pkt, egress); v.Allowed {
					t.Fatalf("ACL lets stranger packet %v through: %s", pkt, v.Reason)
				}
				if v := h.Group.Admit(pkt, egress); v.Allowed {
					t.Fatalf("group admits stranger packet %v: %s", pkt, v.Reason)
				}
			}
		}
	}
	// Telnet and HTTP are left out of the catalog: closed both ways, in
	// both layers (the ports lie below any ephemeral range used here).
	for _, peers := range s.intent.Profiles {
		for _, addr := range peerAddrs(peers) {
			for _, port := range []int{23, 80} {
				in := evaluate.Packet{Src: addr, Dst: ddve, Protocol: posture.ProtoTCP, SrcPort: s.ephemeral[0], DstPort: port}
				out := evaluate.Packet{Src: ddve, Dst: addr, Protocol: posture.ProtoTCP, SrcPort: s.ephemeral[0], DstPort: port}
				for _, c := range []struct {
					pkt    evaluate.Packet
					egress bool
				}{{in, false}, {out, true}} {
					if v := h.Group.Admit(c.pkt, c.egress); v.Allowed {
						t.Fatalf("group admits %v: %s", c.pkt, v.Reason)
					}
					if v := h.ACL.Filter(c.pkt, c.egress); v.Allowed {
						t.Fatalf("ACL passes %v: %s", c.pkt, v.Reason)
					}
				}
			}
		}
	}
}

// checkDenyWins: a deny of one peer address, both directions, blocks every
// flow with it even though the profiles allow its CIDR.
func checkDenyWins(t *testing.T, s scenario) {
	t.Helper()
	for name, peers := range s.intent.Profiles {
		addrs := peerAddrs(peers)
		if len(addrs) == 0 {
			continue
		}
		victim := addrs[0]
		deny := posture.DenyRule{Direction: "both"}
		if victim.Is4() {
			deny.CIDRBlock = netip.PrefixFrom(victim, 32).String()
		} else {
			deny.IPv6CIDRBlock = netip.PrefixFrom(victim, 128).String()
		}
		h := s.host(t, []posture.DenyRule{deny})
		profile, _ := catalog.Lookup(name)
		for _, f := range profile.Flows {
			c := h.Connect(request(f, victim, f.FromPort, s.ephemeral[0]))
			if c.Allowed() {
				t.Fatalf("denied %s still reaches %s flow %+v", victim, name, f)
			}
		}
		return
	}
}

// checkStableNumbers: adding then removing a peer keeps every surviving
// entry's rule number.
func checkStableNumbers(t *testing.T, s scenario, extra string) {
	t.Helper()
	before, err := posture.CompileACL(s.intent, s.aclOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	grown := posture.Intent{Profiles: map[string]posture.Peers{}}
	for name, peers := range s.intent.Profiles {
		peers.CIDRBlocks = append(slices.Clone(peers.CIDRBlocks), extra)
		grown.Profiles[name] = peers
	}
	opts := s.aclOptions(nil)
	opts.Previous = before
	after, err := posture.CompileACL(grown, opts)
	if err != nil {
		t.Fatal(err)
	}
	assertKeptNumbers(t, before, after)

	opts.Previous = after
	shrunk, err := posture.CompileACL(s.intent, opts)
	if err != nil {
		t.Fatal(err)
	}
	assertKeptNumbers(t, after, shrunk)
}

func assertKeptNumbers(t *testing.T, before, after []posture.Entry) {
	t.Helper()
	numbers := map[posture.EntryKey]int{}
	for _, e := range before {
		numbers[e.Key()] = e.RuleNumber
	}
	seen := map[[2]int]bool{}
	for _, e := range after {
		if n, ok := numbers[e.Key()]; ok && n != e.RuleNumber {
			t.Fatalf("entry %v moved from %d to %d", e, n, e.RuleNumber)
		}
		egress := 0
		if e.Egress {
			egress = 1
		}
		slot := [2]int{egress, e.RuleNumber}
		if seen[slot] {
			t.Fatalf("rule number %d used twice in one direction", e.RuleNumber)
		}
		seen[slot] = true
		if e.RuleNumber < 1 || e.RuleNumber > 32766 {
			t.Fatalf("rule number %d outside 1-32766", e.RuleNumber)
		}
	}
}

func checkScenario(t *testing.T, data []byte) {
	s := newScenario(data)
	if len(s.intent.Profiles) == 0 {
		return
	}
	h := s.host(t, []posture.DenyRule{{CIDRBlock: "5.5.5.5/32", Direction: "both"}})
	checkIntendedFlowsPass(t, s, h)
	checkOthersDenied(t, s, h)
	checkDenyWins(t, s)
	checkStableNumbers(t, s, "10.200.0.0/24")
	checkDefaultAllow(t, s)
}

// checkDefaultAllow: with default_action allow, the ACL passes any address
// but the denied one, which it stops both ways.
func checkDefaultAllow(t *testing.T, s scenario) {
	t.Helper()
	opts := s.aclOptions([]posture.DenyRule{{CIDRBlock: "192.0.2.77/32", Direction: "both"}})
	opts.DefaultAction = posture.Allow
	entries, err := posture.CompileACL(s.intent, opts)
	if err != nil {
		t.Fatal(err)
	}
	acl := evaluate.ACL{Entries: entries}
	someone := netip.MustParseAddr("198.51.100.20")
	denied := netip.MustParseAddr("192.0.2.77")
	for _, egress := range []bool{false, true} {
		in := evaluate.Packet{Src: someone, Dst: ddve, Protocol: posture.ProtoTCP, SrcPort: 40000, DstPort: 23}
		if egress {
			in = in.Reply()
		}
		if v := acl.Filter(in, egress); !v.Allowed {
			t.Fatalf("default allow drops %v: %s", in, v.Reason)
		}
		bad := evaluate.Packet{Src: denied, Dst: ddve, Protocol: posture.ProtoUDP, SrcPort: 40000, DstPort: 2049}
		if egress {
			bad = bad.Reply()
		}
		if v := acl.Filter(bad, egress); v.Allowed {
			t.Fatalf("denied address passes with default allow: %v: %s", bad, v.Reason)
		}
	}
}

func FuzzCompiledPosture(f *testing.F) {
	f.Add([]byte{1, 0xff, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{0, 1, 1, 2, 0, 0x80, 5, 0x60, 7})
	f.Add([]byte{2, 0x1f, 0, 0, 1, 0x21, 3, 0x42, 9, 0xe0, 255, 255})
	f.Add([]byte{1, 0x80})
	f.Fuzz(checkScenario)
}

// TestEveryProfileAlone runs the properties for each profile on its own,
// with every kind of CIDR peer.
func TestEveryProfileAlone(t *testing.T) {
	for _, p := range catalog.All() {
		t.Run(p.Name, func(t *testing.T) {
			s := scenario{
				intent: posture.Intent{Profiles: map[string]posture.Peers{p.Name: {
					CIDRBlocks: ipv4Pool[:2], IPv6CIDRBlocks: ipv6Pool[:1], PrefixListIDs: []string{prefixList},
				}}},
				ephemeral: [2]int{1024, 65535},
			}
			h := s.host(t, nil)
			checkIntendedFlowsPass(t, s, h)
			checkOthersDenied(t, s, h)
			checkDenyWins(t, s)
			checkStableNumbers(t, s, "10.200.0.0/24")
		})
	}
}
