package evaluate

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The self-check: before a plan is shown, the compiled rules and entries are
// compared, as exact sets, with what the intent's flows say must pass. A
// difference is a compiler bug, and the plan fails naming the flow rather
// than putting a wrong posture in AWS.

// CheckGroup reports whether rules admit exactly the requests of the
// intent's flows. Rules towards CIDR blocks are compared as one exact set;
// the rules that name a security group or a prefix list are compared per
// ID, each ID standing for an address of its own in a comparison of its
// own, so no typed block can hide a difference.
func CheckGroup(intent posture.Intent, rules []posture.Rule) error {
	flows, err := posture.Flows(intent)
	if err != nil {
		return err
	}
	flows = append(flows, posture.PathMTUFlows(intent, flows, nil, false)...)
	// The rules by the ID they name, "" for CIDR rules, each list
	// allocated once at its length.
	counts := map[string]int{}
	for _, r := range rules {
		counts[r.ReferencedGroupID+r.PrefixListID]++
	}
	byPeer := make(map[string][]posture.Rule, len(counts))
	for _, r := range rules {
		key := r.ReferencedGroupID + r.PrefixListID
		if byPeer[key] == nil {
			byPeer[key] = make([]posture.Rule, 0, counts[key])
		}
		byPeer[key] = append(byPeer[key], r)
	}
	peers := []string{""}
	for _, f := range flows {
		peers = append(peers, f.SecurityGroupIDs...)
		peers = append(peers, f.PrefixListIDs...)
	}
	for key := range byPeer {
		peers = append(peers, key)
	}
	slices.Sort(peers)
	// The resolver knows one ID at a time; its maps are refilled for each.
	members, lists := map[string][]netip.Addr{}, map[string][]netip.Prefix{}
	resolver := Resolver{GroupMembers: members, PrefixLists: lists}
	for _, key := range slices.Compact(peers) {
		clear(members)
		clear(lists)
		members[key], lists[key] = standInMembers, standInPrefixes
		want := groupWant(flows, key)
		got := GroupExposure(Group{Rules: byPeer[key], Resolver: resolver})
		if err := compareExposures("security group", flows, want, got, func(f posture.Flow) Exposure {
			return groupWant([]posture.Flow{f}, key)
		}); err != nil {
			return err
		}
	}
	return nil
}

// standIn is the address an ID stands for in its own comparison; the
// lists hold it for the resolver, and are never written.
var (
	standIn         = netip.MustParseAddr("192.0.2.1")
	standInMembers  = []netip.Addr{standIn}
	standInPrefixes = []netip.Prefix{netip.PrefixFrom(standIn, 32)}
)

// groupWant is what the flows ask of the group towards one kind of peer:
// their CIDR blocks when id is "", else the group or prefix list id. It is
// built in one sweep, whatever the number of flows and peers.
func groupWant(flows []posture.Flow, id string) Exposure {
	in, out := newBuilders()
	defer func() { release(in, out) }()
	for _, f := range flows {
		b := &out
		if f.Inbound {
			b = &in
		}
		switch {
		case id == "":
			for _, p := range f.CIDRs {
				b.add(f.Protocol, p, f.From, f.To, false)
			}
		case slices.Contains(f.SecurityGroupIDs, id) || slices.Contains(f.PrefixListIDs, id):
			b.add(f.Protocol, standInPrefixes[0], f.From, f.To, false)
		}
	}
	return Exposure{Ingress: in.space(), Egress: out.space()}
}

// CheckACL reports whether entries pass exactly the intent's requests and
// their answers, as the host model says real clients send them
// (expectedAnswer), less what the denies name; in deny-list mode,
// everything the denies do not name.
func CheckACL(intent posture.Intent, opts posture.ACLOptions, entries []posture.Entry) error {
	flows, err := posture.Flows(intent)
	if err != nil {
		return err
	}
	if opts.DefaultAction != posture.Allow {
		flows = append(flows, posture.PathMTUFlows(intent, flows, opts.PrefixListCIDRs, true)...)
	}
	ephemeral := catalog.PortRange{From: opts.EphemeralFrom, To: opts.EphemeralTo}
	if ephemeral.From == 0 && ephemeral.To == 0 {
		ephemeral = catalog.PortRange{From: posture.DefaultEphemeralFrom, To: posture.DefaultEphemeralTo}
	}
	denies, err := readDenies(opts.Deny)
	if err != nil {
		return err
	}
	lists := newPrefixLists(opts.PrefixListCIDRs)
	ddve := ddveEphemeral(flows, opts)
	want := aclWant(flows, lists, ephemeral, ddve, denies, opts.DefaultAction == posture.Allow)
	got := ACLExposure(ACL{Entries: entries})
	return compareExposures("network ACL", flows, want, got, func(f posture.Flow) Exposure {
		return aclWant([]posture.Flow{f}, lists, ephemeral, ddve, denies, false)
	})
}

// ddveServicePorts are what DDVE listens on whatever the posture: the
// portmapper 111, NFS and DD Boost 2049, replication 2051, mountd 2052
// (Dell's port wording) and the REST API 3009 (Dell's PPDM guide).
var ddveServicePorts = []int{111, 2049, 2051, 2052, 3009}

// ddveEphemeral is where the answers to DDVE's own connections may go:
// ddve_ephemeral_ports, or 1024-65535 less every port DDVE listens on,
// its services' and those the intent's inbound profiles open.
func ddveEphemeral(flows []posture.Flow, opts posture.ACLOptions) []catalog.PortRange {
	if opts.DDVEEphemeralFrom != 0 || opts.DDVEEphemeralTo != 0 {
		return []catalog.PortRange{{From: opts.DDVEEphemeralFrom, To: opts.DDVEEphemeralTo}}
	}
	listening := make([]catalog.PortRange, 0, len(ddveServicePorts)+len(flows))
	for _, p := range ddveServicePorts {
		listening = append(listening, catalog.PortRange{From: p, To: p})
	}
	for _, f := range flows {
		if f.Inbound && posture.HasPorts(f.Protocol) && f.Origin != posture.CustomOrigin {
			listening = append(listening, catalog.PortRange{From: f.From, To: f.To})
		}
	}
	slices.SortFunc(listening, func(a, b catalog.PortRange) int { return cmp.Compare(a.From, b.From) })
	// What 1024-65535 keeps between the listening ranges.
	var out []catalog.PortRange
	next := posture.DefaultEphemeralFrom
	for _, r := range listening {
		if r.From > next {
			out = append(out, catalog.PortRange{From: next, To: min(r.From-1, posture.DefaultEphemeralTo)})
		}
		next = max(next, r.To+1)
	}
	if next <= posture.DefaultEphemeralTo {
		out = append(out, catalog.PortRange{From: next, To: posture.DefaultEphemeralTo})
	}
	return slices.DeleteFunc(out, func(r catalog.PortRange) bool { return r.From > r.To })
}

// IntendedACLFlow is what one flow needs from a stateless ACL: its request
// towards each peer, and the answers back on the ports its clients send
// from (ICMP: the reply message; other protocols: the same protocol), as
// expectedAnswer has them.
func IntendedACLFlow(f posture.Flow, prefixLists map[string][]string, ephemeral catalog.PortRange) Exposure {
	return aclWant([]posture.Flow{f}, newPrefixLists(prefixLists), ephemeral, []catalog.PortRange{ephemeral}, nil, false)
}

// aclWant is what the flows need from a stateless ACL, as IntendedACLFlow
// says for each, less what the denies name; with allowAll, everything the
// denies do not name. It is built in one sweep: the boxes of the flows'
// requests and answers first, the denies' after them, which the builder
// subtracts.
//
// The answers to a peer's connections go to ephemeral, those to DDVE's
// own to the ranges of ddve.
func aclWant(flows []posture.Flow, lists prefixLists, ephemeral catalog.PortRange, ddve []catalog.PortRange, denies []denyBox, allowAll bool) Exposure {
	in, out := newBuilders()
	defer func() { release(in, out) }()
	if allowAll {
		for _, b := range []*builder{&in, &out} {
			b.add(-1, netip.PrefixFrom(netip.IPv4Unspecified(), 0), 0, 0, false)
			b.add(-1, netip.PrefixFrom(netip.IPv6Unspecified(), 0), 0, 0, false)
		}
		flows = nil
	}
	for _, f := range flows {
		request, reply := &out, &in
		if f.Inbound {
			request, reply = &in, &out
		}
		clientPorts, icmpReply, answered := expectedAnswer(f)
		peer := func(p netip.Prefix) {
			request.add(f.Protocol, p, f.From, f.To, false)
			switch {
			case !answered:
			case posture.HasPorts(f.Protocol):
				// The builder unites the boxes, so the ephemeral range and
				// the client ports need no merging first (ReplyPorts).
				switch {
				case f.ReplyPorts != nil:
					for _, r := range f.ReplyPorts {
						reply.add(f.Protocol, p, r.From, r.To, false)
					}
				case f.Inbound:
					reply.add(f.Protocol, p, ephemeral.From, ephemeral.To, false)
				default:
					for _, r := range ddve {
						reply.add(f.Protocol, p, r.From, r.To, false)
					}
				}
				for _, r := range clientPorts {
					reply.add(f.Protocol, p, r.From, r.To, false)
				}
			case posture.IsICMP(f.Protocol):
				reply.add(f.Protocol, p, icmpReply, f.To, false)
			default:
				reply.add(f.Protocol, p, 0, 0, false)
			}
		}
		for _, p := range f.CIDRs {
			peer(p)
		}
		for _, id := range f.PrefixListIDs {
			for _, p := range lists.prefixes(id) {
				if !f.IPv4Only || p.Addr().Is4() {
					peer(p)
				}
			}
		}
	}
	for _, d := range denies {
		if d.in {
			in.add(d.protocol, d.prefix, d.from, d.to, true)
		}
		if d.out {
			out.add(d.protocol, d.prefix, d.from, d.to, true)
		}
	}
	return Exposure{Ingress: in.space(), Egress: out.space()}
}

// prefixLists reads the prefix lists' CIDRs, each list once, on its first
// use: as the ACL compiler resolves them, masked, entries that are no
// CIDR left out.
type prefixLists struct {
	text   map[string][]string
	parsed map[string][]netip.Prefix
}

func newPrefixLists(text map[string][]string) prefixLists {
	return prefixLists{text: text, parsed: map[string][]netip.Prefix{}}
}

func (l prefixLists) prefixes(id string) []netip.Prefix {
	if p, ok := l.parsed[id]; ok {
		return p
	}
	var out []netip.Prefix
	for _, c := range l.text[id] {
		if p, err := netip.ParsePrefix(c); err == nil {
			out = append(out, p.Masked())
		}
	}
	l.parsed[id] = out
	return out
}

// denyBox is a deny as a box of one or both directions.
type denyBox struct {
	protocol, from, to int
	prefix             netip.Prefix
	in, out            bool
}

// readDenies reads the denies as the user wrote them: protocol all unless
// named, every port of TCP or UDP unless given, every ICMP type and code
// unless given; ingress unless said otherwise.
func readDenies(denies []posture.DenyRule) ([]denyBox, error) {
	out := make([]denyBox, 0, len(denies))
	for _, d := range denies {
		p, perr := netip.ParsePrefix(d.CIDRBlock + d.IPv6CIDRBlock)
		proto, ok := posture.ProtocolNumber(cmp.Or(d.Protocol, "all"))
		if perr != nil || !ok {
			return nil, fmt.Errorf("deny %+v cannot be read", d)
		}
		box := denyBox{protocol: proto, from: 0, to: 65535, prefix: p.Masked()}
		if posture.IsICMP(proto) {
			box.from, box.to = -1, -1
		}
		if d.FromPort != nil {
			box.from = *d.FromPort
		}
		if d.ToPort != nil {
			box.to = *d.ToPort
		}
		switch cmp.Or(d.Direction, posture.Ingress) {
		case posture.Ingress:
			box.in = true
		case posture.Egress:
			box.out = true
		default:
			box.in, box.out = true, true
		}
		out = append(out, box)
	}
	return out, nil
}

// compareExposures names, for a difference, the flows that lose traffic
// and the traffic that passes without a flow asking for it.
func compareExposures(layer string, flows []posture.Flow, want, got Exposure, flowExposure func(posture.Flow) Exposure) error {
	if got.Equal(want) {
		return nil
	}
	missing := Exposure{Ingress: want.Ingress.Subtract(got.Ingress), Egress: want.Egress.Subtract(got.Egress)}
	extra := Exposure{Ingress: got.Ingress.Subtract(want.Ingress), Egress: got.Egress.Subtract(want.Egress)}
	var b strings.Builder
	fmt.Fprintf(&b, "The compiled %s does not do what the configuration asks.", layer)
	for _, f := range flows {
		x := flowExposure(f)
		lostIn, lostOut := !x.Ingress.Intersect(missing.Ingress).IsEmpty(), !x.Egress.Intersect(missing.Egress).IsEmpty()
		if lostIn || lostOut {
			fmt.Fprintf(&b, "\n- %s would not pass", f)
			if lostIn != lostOut {
				fmt.Fprintf(&b, " (%s)", map[bool]string{true: "ingress", false: "egress"}[lostIn])
			}
		}
	}
	if !extra.Ingress.IsEmpty() || !extra.Egress.IsEmpty() {
		fmt.Fprintf(&b, "\n- it would also let through traffic no flow asks for:\n%s", extra)
	}
	return fmt.Errorf("%s", b.String())
}
