package posture

import (
	"net/netip"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
)

// Path MTU discovery. Inside a VPC instances send 9001-byte frames; a hop
// through an internet gateway, a VPN or to another region carries 1500
// (8500 over inter-region peering). The router with the small MTU says so
// in an ICMP message, "fragmentation needed" (type 3 code 4, RFC 1191) or
// ICMPv6 "packet too big" (type 2, RFC 8201), and it comes from that
// router, not from the peer: an entry scoped to the peers cannot carry it.
// A security group admits the errors of the connections it tracks, a
// stateless network ACL does not, so the VPC guide's network ACL page asks
// for ICMP 3/4 in and out when MTUs differ, and RFC 4890 (4.3.1) says
// packet too big must never be dropped. The EC2 guide's "Path MTU
// Discovery" group rule admits it inbound.
//
// An error message opens no port and is answered by nothing, so these
// entries and rules are exempt from the public-ingress guard. They are
// emitted for the families the posture's peers use.

// PathMTUOrigin names what produced the path MTU discovery rules and
// entries, in descriptions and purposes.
const PathMTUOrigin = "path_mtu_discovery"

// The messages path MTU discovery needs, per family.
const (
	pmtuICMPType, pmtuICMPCode     = 3, 4  // destination unreachable, fragmentation needed
	pmtuICMPv6Type, pmtuICMPv6Code = 2, -1 // packet too big (its code is always 0)
)

var (
	pmtuIPv4 = netip.MustParsePrefix("0.0.0.0/0")
	pmtuIPv6 = netip.MustParsePrefix("::/0")
	// pmtuReplies: an ICMP error is answered by nothing.
	pmtuReplies = catalog.Replies{OneWay: true, Source: "RFC 1191, RFC 8201, RFC 4890"}
)

// IsPathMTU reports whether protocol, type and code are the path MTU
// discovery message of their family: ICMP 3/4, or ICMPv6 2 (any code).
func IsPathMTU(proto, icmpType, icmpCode int) bool {
	switch proto {
	case ProtoICMP:
		return icmpType == pmtuICMPType && icmpCode == pmtuICMPCode
	case ProtoICMPv6:
		return icmpType == pmtuICMPv6Type && (icmpCode == pmtuICMPv6Code || icmpCode == 0)
	}
	return false
}

// pmtuFamilies says which families the flows' peers use. Typed blocks
// count in their family, prefix lists in the families of the blocks
// lists resolves them to, or IPv4 when it does not (security groups:
// AWS-managed lists are IPv4), and security group references in IPv4.
func pmtuFamilies(flows []flow, lists map[string][]string) (ipv4, ipv6 bool) {
	last := -1
	for _, f := range flows {
		if f.peerSet == last {
			continue
		}
		last = f.peerSet
		for _, p := range f.peers {
			switch p.kind {
			case peerIPv4, peerGroup:
				ipv4 = true
			case peerIPv6:
				ipv6 = true
			case peerPrefixList:
				v4, v6 := prefixListFamilies(p.value, lists)
				ipv4, ipv6 = ipv4 || v4, ipv6 || v6
			}
		}
	}
	return ipv4, ipv6
}

func prefixListFamilies(id string, lists map[string][]string) (ipv4, ipv6 bool) {
	resolved, ok := lists[id]
	if !ok {
		return true, false
	}
	for _, s := range resolved {
		if p, err := netip.ParsePrefix(s); err == nil {
			ipv4, ipv6 = ipv4 || p.Addr().Is4(), ipv6 || p.Addr().Is6()
		}
	}
	return ipv4, ipv6
}

// pmtuFlows returns the path MTU discovery flows of the families given:
// inbound always, outbound too for a network ACL, which is stateless.
func pmtuFlows(ipv4, ipv6, forACL bool, peerSet int) []flow {
	var out []flow
	openers := []string{Ingress}
	if forACL {
		openers = append(openers, Egress)
	}
	for _, opener := range openers {
		if ipv4 {
			out = append(out, flow{
				origin: PathMTUOrigin, at: Root(PathMTUOrigin), opener: opener, proto: ProtoICMP,
				from: pmtuICMPType, to: pmtuICMPCode, purpose: "fragmentation needed", replies: pmtuReplies,
				peers: []peer{{kind: peerIPv4, value: pmtuIPv4.String(), prefix: pmtuIPv4}}, peerSet: peerSet,
			})
		}
		if ipv6 {
			out = append(out, flow{
				origin: PathMTUOrigin, at: Root(PathMTUOrigin), opener: opener, proto: ProtoICMPv6,
				from: pmtuICMPv6Type, to: pmtuICMPv6Code, purpose: "packet too big", replies: pmtuReplies,
				peers: []peer{{kind: peerIPv6, value: pmtuIPv6.String(), prefix: pmtuIPv6}}, peerSet: peerSet + 1,
			})
		}
	}
	return out
}

// PathMTUFlows returns the path MTU discovery flows an intent asks of a
// security group (forACL false: inbound) or a network ACL (in and out),
// for the families of flows' peers, prefix lists resolved through lists;
// none unless the intent enables it. Checks add them to Flows.
func PathMTUFlows(in Intent, flows []Flow, lists map[string][]string, forACL bool) []Flow {
	if !in.PathMTUDiscovery {
		return nil
	}
	var ipv4, ipv6 bool
	for _, f := range flows {
		for _, p := range f.CIDRs {
			ipv4, ipv6 = ipv4 || p.Addr().Is4(), ipv6 || p.Addr().Is6()
		}
		ipv4 = ipv4 || len(f.SecurityGroupIDs) > 0
		for _, id := range f.PrefixListIDs {
			v4, v6 := prefixListFamilies(id, lists)
			ipv4, ipv6 = ipv4 || v4, ipv6 || v6
		}
	}
	var out []Flow
	for _, f := range pmtuFlows(ipv4, ipv6, forACL, 0) {
		out = append(out, Flow{
			Origin: f.origin, Purpose: f.purpose, Inbound: f.opener == Ingress, Protocol: f.proto,
			From: f.from, To: f.to, Replies: f.replies, CIDRs: []netip.Prefix{f.peers[0].prefix},
		})
	}
	return out
}

// nextPeerSet returns a peer set number no flow uses.
func nextPeerSet(flows []flow) int {
	n := 0
	for _, f := range flows {
		n = max(n, f.peerSet+1)
	}
	return n
}
