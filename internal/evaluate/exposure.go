package evaluate

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// Exposure is what a filter lets through, per direction, as exact sets.
// Both directions are keyed by the remote end and the destination port,
// which is what groups and ACLs match on:
//
//   - Ingress: packets arriving from a remote source address, keyed by
//     (protocol, remote source, destination port);
//   - Egress: packets leaving to a remote destination, keyed by (protocol,
//     remote destination, destination port).
//
// For ICMP the port is ICMPKey(type, code).
type Exposure struct {
	Ingress, Egress Space
}

// Equal reports whether both directions hold the same packets.
func (x Exposure) Equal(y Exposure) bool {
	return x.Ingress.Equal(y.Ingress) && x.Egress.Equal(y.Egress)
}

// String prints both directions as tables, for test failures.
func (x Exposure) String() string {
	return "ingress:\n" + x.Ingress.String() + "\negress:\n" + x.Egress.String()
}

// Passes reports whether the exposure holds packet p, sent by the host
// behind the filter when egress is true: the answer of Group.Admit or
// ACL.Filter for the filter the exposure was computed from. It answers for
// the packets a Space describes (protocol 0-255, ports 0-65535, ICMP type
// and code 0-255, addresses without zone) and is false for any other.
func (x Exposure) Passes(p Packet, egress bool) bool {
	s, remote := x.Ingress, p.Src
	if egress {
		s, remote = x.Egress, p.Dst
	}
	port := p.DstPort
	if isICMP(p.Protocol) {
		// The evaluator carries the ICMP type in DstPort, the code in SrcPort.
		if p.DstPort < 0 || p.DstPort > 255 || p.SrcPort < 0 || p.SrcPort > 255 {
			return false
		}
		port = ICMPKey(p.DstPort, p.SrcPort)
	}
	return s.Contains(p.Protocol, remote, port)
}

// GroupExposure returns the requests a security group admits in each
// direction; their replies pass by state and are not in it. It reads the
// rules as Group.Admit does: a rule's peer is the first of its CIDRIPv4,
// CIDRIPv6, ReferencedGroupID (the member addresses, from the resolver)
// and PrefixListID (the resolver's prefixes) that is set, and a rule whose
// protocol or peer cannot be read admits nothing.
func GroupExposure(g Group) Exposure {
	in, out := newBuilders()
	defer func() { release(in, out) }()
	var peers []netip.Prefix
	for _, r := range g.Rules {
		b := &in
		switch r.Direction {
		case posture.Ingress:
		case posture.Egress:
			b = &out
		default:
			continue
		}
		n, ok := posture.ProtocolNumber(r.Protocol)
		if !ok {
			continue
		}
		peers = g.appendPeers(peers[:0], r)
		for _, p := range peers {
			b.add(n, p, r.FromPort, r.ToPort, false)
		}
	}
	return Exposure{Ingress: in.space(), Egress: out.space()}
}

// appendPeers appends the prefixes a rule's peer stands for.
func (g Group) appendPeers(out []netip.Prefix, r posture.Rule) []netip.Prefix {
	switch {
	case r.CIDRIPv4 != "":
		return appendParsed(out, r.CIDRIPv4)
	case r.CIDRIPv6 != "":
		return appendParsed(out, r.CIDRIPv6)
	case r.ReferencedGroupID != "":
		for _, a := range g.Resolver.GroupMembers[r.ReferencedGroupID] {
			// A zoned member equals only zoned packets, which no Space
			// holds; leaving it out keeps the exposure exact on the rest.
			if a.IsValid() && a.Zone() == "" {
				out = append(out, netip.PrefixFrom(a, a.BitLen()))
			}
		}
		return out
	case r.PrefixListID != "":
		return append(out, g.Resolver.PrefixLists[r.PrefixListID]...)
	}
	return out
}

func appendParsed(out []netip.Prefix, cidr string) []netip.Prefix {
	if p, err := netip.ParsePrefix(cidr); err == nil {
		out = append(out, p)
	}
	return out
}

// ACLExposure returns the packets a network ACL passes in each direction.
// Entries decide lowest number first (the earlier one on equal numbers, as
// ACL.Filter breaks ties), and whatever no entry matches meets the built-in
// deny-all.
//
// The entries are applied from the last to the first: each one decides
// the packets it matches, overriding what later entries said about them.
// That gives the first-match answer without the forward pass's remainder
// of packets not yet decided.
func ACLExposure(a ACL) Exposure {
	// Sorting positions, not the entries, spares copying them.
	order := make([]int32, len(a.Entries))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(x, y int32) int { return cmp.Compare(a.Entries[x].RuleNumber, a.Entries[y].RuleNumber) })
	in, out := newBuilders()
	defer func() { release(in, out) }()
	for _, i := range slices.Backward(order) {
		e := &a.Entries[i]
		prefix, n, from, to, ok := entryBox(e)
		if !ok {
			continue
		}
		b := &in
		if e.Egress {
			b = &out
		}
		// ACL.Filter allows on "allow" only: any other action denies.
		b.add(n, prefix, from, to, e.Action != posture.Allow)
	}
	return Exposure{Ingress: in.space(), Egress: out.space()}
}

// entryBox returns the box an entry matches, read as ACL.Filter reads it:
// its CIDR is CIDRBlock and IPv6CIDRBlock run together (an entry with both
// set matches nothing), ports for TCP and UDP, type and code for ICMP. ok
// is false when the entry cannot match a packet.
func entryBox(e *posture.Entry) (prefix netip.Prefix, protocol, from, to int, ok bool) {
	prefix, err := netip.ParsePrefix(e.CIDR())
	if err != nil {
		return
	}
	protocol, ok = posture.ProtocolNumber(e.Protocol)
	from, to = e.FromPort, e.ToPort
	if isICMP(protocol) {
		from, to = e.ICMPType, e.ICMPCode
	}
	return
}
