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
	byPeer := map[string][]posture.Rule{}
	for _, r := range rules {
		key := r.ReferencedGroupID + r.PrefixListID // "" for CIDR rules
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
	for _, key := range slices.Compact(peers) {
		resolver := Resolver{
			GroupMembers: map[string][]netip.Addr{key: {standIn}},
			PrefixLists:  map[string][]netip.Prefix{key: {netip.PrefixFrom(standIn, 32)}},
		}
		part := func(f posture.Flow) Exposure { return groupFlowPart(f, key) }
		want := Exposure{}
		for _, f := range flows {
			x := part(f)
			want = Exposure{Ingress: want.Ingress.Union(x.Ingress), Egress: want.Egress.Union(x.Egress)}
		}
		got := GroupExposure(Group{Rules: byPeer[key], Resolver: resolver})
		if err := compareExposures("security group", flows, want, got, part); err != nil {
			return err
		}
	}
	return nil
}

// standIn is the address an ID stands for in its own comparison.
var standIn = netip.MustParseAddr("192.0.2.1")

// groupFlowPart is what a flow asks of the group towards one kind of peer:
// its CIDR blocks when id is "", else the group or prefix list id.
func groupFlowPart(f posture.Flow, id string) Exposure {
	var peers []netip.Prefix
	if id == "" {
		peers = f.CIDRs
	} else if slices.Contains(f.SecurityGroupIDs, id) || slices.Contains(f.PrefixListIDs, id) {
		peers = []netip.Prefix{netip.PrefixFrom(standIn, 32)}
	}
	var boxes []Space
	for _, p := range peers {
		boxes = append(boxes, Box(f.Protocol, p, f.From, f.To))
	}
	if f.Inbound {
		return Exposure{Ingress: UnionAll(boxes...)}
	}
	return Exposure{Egress: UnionAll(boxes...)}
}

// CheckACL reports whether entries pass exactly the intent's requests and
// their answers, as the catalog says real clients send them, less what the
// denies name; in deny-list mode, everything the denies do not name.
func CheckACL(intent posture.Intent, opts posture.ACLOptions, entries []posture.Entry) error {
	flows, err := posture.Flows(intent)
	if err != nil {
		return err
	}
	ephemeral := catalog.PortRange{From: opts.EphemeralFrom, To: opts.EphemeralTo}
	if ephemeral.From == 0 && ephemeral.To == 0 {
		ephemeral = catalog.PortRange{From: posture.DefaultEphemeralFrom, To: posture.DefaultEphemeralTo}
	}
	flowExposure := func(f posture.Flow) Exposure {
		return IntendedACLFlow(f, opts.PrefixListCIDRs, ephemeral)
	}
	var in, out []Space
	for _, f := range flows {
		x := flowExposure(f)
		in, out = append(in, x.Ingress), append(out, x.Egress)
	}
	want := Exposure{Ingress: UnionAll(in...), Egress: UnionAll(out...)}
	if opts.DefaultAction == posture.Allow {
		want = Exposure{Ingress: Everything(), Egress: Everything()}
	}
	denyIn, denyOut, err := denySpaces(opts.Deny)
	if err != nil {
		return err
	}
	want = Exposure{Ingress: want.Ingress.Subtract(denyIn), Egress: want.Egress.Subtract(denyOut)}
	got := ACLExposure(ACL{Entries: entries})
	return compareExposures("network ACL", flows, want, got, func(f posture.Flow) Exposure {
		x := flowExposure(f)
		return Exposure{Ingress: x.Ingress.Subtract(denyIn), Egress: x.Egress.Subtract(denyOut)}
	})
}

// IntendedACLFlow is what one flow needs from a stateless ACL: its request
// towards each peer, and the answers back on the ports its clients send
// from (ICMP: the reply message; other protocols: the same protocol).
func IntendedACLFlow(f posture.Flow, prefixLists map[string][]string, ephemeral catalog.PortRange) Exposure {
	var request, reply []Space
	for _, p := range aclPeers(f, prefixLists) {
		request = append(request, Box(f.Protocol, p, f.From, f.To))
		switch {
		case f.Replies.OneWay:
		case posture.HasPorts(f.Protocol):
			for _, r := range posture.ReplyPorts(f.Replies, ephemeral) {
				reply = append(reply, Box(f.Protocol, p, r.From, r.To))
			}
		case posture.IsICMP(f.Protocol):
			replyType, _ := posture.ICMPReplyType(f.Protocol, f.From)
			reply = append(reply, Box(f.Protocol, p, replyType, f.To))
		default:
			reply = append(reply, Box(f.Protocol, p, 0, 0))
		}
	}
	if f.Inbound {
		return Exposure{Ingress: UnionAll(request...), Egress: UnionAll(reply...)}
	}
	return Exposure{Ingress: UnionAll(reply...), Egress: UnionAll(request...)}
}

func aclPeers(f posture.Flow, prefixLists map[string][]string) []netip.Prefix {
	peers := append([]netip.Prefix(nil), f.CIDRs...)
	for _, id := range f.PrefixListIDs {
		for _, c := range prefixLists[id] {
			if p, err := netip.ParsePrefix(c); err == nil {
				peers = append(peers, p.Masked())
			}
		}
	}
	return peers
}

// denySpaces reads the denies as the user wrote them: protocol all unless
// named, every port of TCP or UDP unless given, every ICMP type and code
// unless given; ingress unless said otherwise.
func denySpaces(denies []posture.DenyRule) (in, out Space, err error) {
	for _, d := range denies {
		p, perr := netip.ParsePrefix(d.CIDRBlock + d.IPv6CIDRBlock)
		proto, ok := posture.ProtocolNumber(cmp.Or(d.Protocol, "all"))
		if perr != nil || !ok {
			return Space{}, Space{}, fmt.Errorf("deny %+v cannot be read", d)
		}
		from, to := 0, 65535
		if posture.IsICMP(proto) {
			from, to = -1, -1
		}
		if d.FromPort != nil {
			from = *d.FromPort
		}
		if d.ToPort != nil {
			to = *d.ToPort
		}
		box := Box(proto, p.Masked(), from, to)
		switch cmp.Or(d.Direction, posture.Ingress) {
		case posture.Ingress:
			in = in.Union(box)
		case posture.Egress:
			out = out.Union(box)
		default:
			in, out = in.Union(box), out.Union(box)
		}
	}
	return in, out, nil
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
