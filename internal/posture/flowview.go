package posture

import (
	"fmt"
	"net/netip"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
)

// Flow is one intended connection with its peers, as checks outside the
// compiler read an intent: the plan-time self-check and the reachability
// data source compare what the compiled rules and entries let through
// with it.
type Flow struct {
	Origin  string // profile name, or "custom"
	Purpose string
	// Inbound flows are opened by the peer, outbound ones by DDVE.
	Inbound  bool
	Protocol int
	From, To int // ICMP: type and code
	// Replies is how the answers travel.
	Replies catalog.Replies
	// IPv4Only flows (NetBIOS) have no IPv6 peer: the IPv6 blocks of
	// their prefix lists are left out too.
	IPv4Only bool
	// ReplyPorts, when set, are where the answers go instead of the
	// opener's ephemeral range (a custom rule's reply_ports).
	ReplyPorts []catalog.PortRange
	// The peers: CIDR blocks of both families, and the IDs a group rule
	// names and an ACL resolves or refuses. The flows of one profile share
	// these lists: read them, do not write them.
	CIDRs            []netip.Prefix
	SecurityGroupIDs []string
	PrefixListIDs    []string
}

// Flows returns the intent's flows, or its problems.
func Flows(in Intent) ([]Flow, error) {
	flows, problems := intentFlows(in)
	if err := problems.err(); err != nil {
		return nil, err
	}
	out := make([]Flow, len(flows))
	var peers Flow // the peer lists of the last peer set
	last := -1
	for i, f := range flows {
		if f.peerSet != last {
			peers, last = flowPeers(f.peers), f.peerSet
		}
		out[i] = Flow{
			Origin: f.origin, Purpose: f.purpose, Inbound: f.opener == Ingress,
			Protocol: f.proto, From: f.from, To: f.to, Replies: f.replies, IPv4Only: f.ipv4Only, ReplyPorts: f.replyPorts,
			CIDRs: peers.CIDRs, SecurityGroupIDs: peers.SecurityGroupIDs, PrefixListIDs: peers.PrefixListIDs,
		}
	}
	return out, nil
}

// flowPeers sorts peers into a Flow's lists, each allocated at its length,
// so that appending to one flow's list never writes into the one its
// siblings share.
func flowPeers(peers []peer) Flow {
	var cidrs, groups, lists int
	for _, p := range peers {
		switch p.kind {
		case peerIPv4, peerIPv6:
			cidrs++
		case peerGroup:
			groups++
		case peerPrefixList:
			lists++
		}
	}
	var v Flow
	if cidrs > 0 {
		v.CIDRs = make([]netip.Prefix, 0, cidrs)
	}
	if groups > 0 {
		v.SecurityGroupIDs = make([]string, 0, groups)
	}
	if lists > 0 {
		v.PrefixListIDs = make([]string, 0, lists)
	}
	for _, p := range peers {
		switch p.kind {
		case peerIPv4, peerIPv6:
			v.CIDRs = append(v.CIDRs, p.prefix)
		case peerGroup:
			v.SecurityGroupIDs = append(v.SecurityGroupIDs, p.value)
		case peerPrefixList:
			v.PrefixListIDs = append(v.PrefixListIDs, p.value)
		}
	}
	return v
}

// String reads like "management SSH: inbound tcp 22".
func (f Flow) String() string {
	direction := "outbound"
	if f.Inbound {
		direction = "inbound"
	}
	what := trafficText(f.Protocol, []catalog.PortRange{{From: f.From, To: f.To}})
	if IsICMP(f.Protocol) {
		what = fmt.Sprintf("%s type %d code %d", protocolLabel(f.Protocol), f.From, f.To)
	}
	return fmt.Sprintf("%s %s: %s %s", f.Origin, f.Purpose, direction, what)
}
