package evaluate

import (
	"cmp"
	"fmt"
	"net/netip"
	"strings"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The self-check: before a plan is shown, the compiled rules and entries are
// compared, as exact sets, with what the intent's flows say must pass. A
// difference is a compiler bug, and the plan fails naming the flow rather
// than putting a wrong posture in AWS.

// CheckGroup reports whether rules admit exactly the requests of the
// intent's flows. Group references and prefix lists are compared by ID:
// each stands for an address of its own in 100::/64, the IPv6 discard-only
// prefix (RFC 6666), which no peer uses.
func CheckGroup(intent posture.Intent, rules []posture.Rule) error {
	flows, err := posture.Flows(intent)
	if err != nil {
		return err
	}
	ids := standIns{}
	for _, f := range flows {
		ids.add(f.SecurityGroupIDs...)
		ids.add(f.PrefixListIDs...)
	}
	resolver := ids.resolver()
	var in, out []Space
	for _, f := range flows {
		for _, p := range groupPeers(f, resolver) {
			box := Box(f.Protocol, p, f.From, f.To)
			if f.Inbound {
				in = append(in, box)
			} else {
				out = append(out, box)
			}
		}
	}
	want := Exposure{Ingress: UnionAll(in...), Egress: UnionAll(out...)}
	got := GroupExposure(Group{Rules: rules, Resolver: resolver})
	return compareExposures("security group", flows, want, got, func(f posture.Flow) Exposure {
		x := Exposure{}
		for _, p := range groupPeers(f, resolver) {
			box := Box(f.Protocol, p, f.From, f.To)
			if f.Inbound {
				x.Ingress = x.Ingress.Union(box)
			} else {
				x.Egress = x.Egress.Union(box)
			}
		}
		return x
	})
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
		case f.Protocol == posture.ProtoTCP || f.Protocol == posture.ProtoUDP:
			for _, r := range posture.ReplyPorts(f.Replies, ephemeral) {
				reply = append(reply, Box(f.Protocol, p, r.From, r.To))
			}
		case isICMP(f.Protocol):
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

func groupPeers(f posture.Flow, r Resolver) []netip.Prefix {
	peers := append([]netip.Prefix(nil), f.CIDRs...)
	for _, id := range append(append([]string(nil), f.SecurityGroupIDs...), f.PrefixListIDs...) {
		for _, a := range r.GroupMembers[id] {
			peers = append(peers, netip.PrefixFrom(a, a.BitLen()))
		}
		peers = append(peers, r.PrefixLists[id]...)
	}
	return peers
}

// standIns gives each referenced ID an address of its own.
type standIns map[string]netip.Addr

func (s standIns) add(ids ...string) {
	for _, id := range ids {
		if _, ok := s[id]; !ok {
			b := netip.MustParseAddr("100::").As16()
			n := len(s) + 1
			b[14], b[15] = byte(n>>8), byte(n)
			s[id] = netip.AddrFrom16(b)
		}
	}
}

func (s standIns) resolver() Resolver {
	r := Resolver{GroupMembers: map[string][]netip.Addr{}, PrefixLists: map[string][]netip.Prefix{}}
	for id, a := range s {
		if strings.HasPrefix(id, "pl-") {
			r.PrefixLists[id] = []netip.Prefix{netip.PrefixFrom(a, 128)}
		} else {
			r.GroupMembers[id] = []netip.Addr{a}
		}
	}
	return r
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
		if isICMP(proto) {
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
