package evaluate

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The self-check builds what the flows need in one sweep. These references
// build it box by box, as Box, Union and Subtract read the flows, and the
// two must agree on generated flows, denies and prefix lists, odd ones
// included (reversed and clipped ports, a code under every ICMP type).

func TestWantMatchesBoxByBox(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 3000 {
		flows, lists, denies, ephemeral := generatedFlows(r)
		allowAll := r.IntN(5) == 0
		parsed := newPrefixLists(lists)
		boxes, err := readDenies(denies)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aclWant(flows, parsed, ephemeral, []catalog.PortRange{ephemeral}, boxes, allowAll), referenceACLWant(flows, lists, ephemeral, denies, allowAll); !got.Equal(want) {
			t.Fatalf("case %d: ACL want\n got %v\nwant %v", i, got, want)
		}
		for _, id := range []string{"", "sg-1", "pl-1", "pl-2"} {
			if got, want := groupWant(flows, id), referenceGroupWant(flows, id); !got.Equal(want) {
				t.Fatalf("case %d: group want towards %q\n got %v\nwant %v", i, id, got, want)
			}
		}
	}
}

func generatedFlows(r *rand.Rand) ([]posture.Flow, map[string][]string, []posture.DenyRule, catalog.PortRange) {
	blocks := []string{"10.0.0.0/8", "10.0.1.10/32", "10.0.1.0/24", "0.0.0.0/0", "2001:db8::/64", "::/0", "192.0.2.0/24"}
	ports := []int{-1, 0, 22, 123, 443, 1023, 1024, 65535, 70000}
	protocols := []int{-1, posture.ProtoTCP, posture.ProtoUDP, posture.ProtoICMP, posture.ProtoICMPv6, 47}
	var flows []posture.Flow
	for range 1 + r.IntN(6) {
		f := posture.Flow{
			Inbound: r.IntN(2) == 0, Protocol: protocols[r.IntN(len(protocols))],
			From: ports[r.IntN(len(ports))], To: ports[r.IntN(len(ports))],
		}
		if posture.IsICMP(f.Protocol) {
			f.From, f.To = []int{-1, 0, 3, 8, 128, 300}[r.IntN(6)], []int{-1, 0, 4}[r.IntN(3)]
		}
		if r.IntN(2) == 0 {
			f.Origin = posture.CustomOrigin
		}
		switch r.IntN(4) {
		case 0:
			f.Replies.OneWay = true
		case 1:
			f.Replies.ClientPorts = []catalog.PortRange{{From: 512, To: 1023}, {From: 123, To: 123}}[:1+r.IntN(2)]
		}
		for range r.IntN(4) {
			f.CIDRs = append(f.CIDRs, netip.MustParsePrefix(blocks[r.IntN(len(blocks))]))
		}
		if r.IntN(3) == 0 {
			f.PrefixListIDs = []string{"pl-1", "pl-2"}[:1+r.IntN(2)]
		}
		if r.IntN(3) == 0 {
			f.SecurityGroupIDs = []string{"sg-1"}
		}
		flows = append(flows, f)
	}
	lists := map[string][]string{"pl-1": {"10.0.2.0/24", "10.0.2.5/24", "2001:db8:1::/48", "bad"}}
	var denies []posture.DenyRule
	for range r.IntN(3) {
		d := posture.DenyRule{CIDRBlock: blocks[r.IntN(3)], Direction: []string{"", posture.Egress, "both"}[r.IntN(3)]}
		if r.IntN(2) == 0 {
			d.Protocol = []string{"tcp", "icmp", "all"}[r.IntN(3)]
			from, to := ports[r.IntN(len(ports))], ports[r.IntN(len(ports))]
			d.FromPort, d.ToPort = &from, &to
		}
		denies = append(denies, d)
	}
	ephemeral := []catalog.PortRange{{From: 1024, To: 65535}, {From: 32768, To: 60999}, {From: 600, To: 500}, {From: 0, To: 70000}}[r.IntN(4)]
	return flows, lists, denies, ephemeral
}

// referenceACLWant is what CheckACL wanted before the sweep: per peer, a
// box for the request and one per merged reply range, united, less the
// denies' boxes.
func referenceACLWant(flows []posture.Flow, lists map[string][]string, ephemeral catalog.PortRange, denies []posture.DenyRule, allowAll bool) Exposure {
	var in, out []Space
	for _, f := range flows {
		peers := slices.Clone(f.CIDRs)
		for _, id := range f.PrefixListIDs {
			for _, c := range lists[id] {
				if p, err := netip.ParsePrefix(c); err == nil {
					peers = append(peers, p.Masked())
				}
			}
		}
		var request, reply []Space
		for _, p := range peers {
			request = append(request, Box(f.Protocol, p, f.From, f.To))
			clientPorts, icmpReply, answered := expectedAnswer(f)
			switch {
			case !answered:
			case posture.HasPorts(f.Protocol):
				for _, r := range posture.ReplyPorts(catalog.Replies{ClientPorts: clientPorts}, ephemeral) {
					reply = append(reply, Box(f.Protocol, p, r.From, r.To))
				}
			case posture.IsICMP(f.Protocol):
				reply = append(reply, Box(f.Protocol, p, icmpReply, f.To))
			default:
				reply = append(reply, Box(f.Protocol, p, 0, 0))
			}
		}
		if f.Inbound {
			in, out = append(in, request...), append(out, reply...)
		} else {
			in, out = append(in, reply...), append(out, request...)
		}
	}
	want := Exposure{Ingress: UnionAll(in...), Egress: UnionAll(out...)}
	if allowAll {
		want = Exposure{Ingress: Everything(), Egress: Everything()}
	}
	var denyIn, denyOut Space
	for _, d := range denies {
		p := netip.MustParsePrefix(d.CIDRBlock)
		proto, _ := posture.ProtocolNumber(d.Protocol)
		from, to := 0, 65535
		if posture.IsICMP(proto) {
			from, to = -1, -1
		}
		if d.Protocol == "" {
			proto = -1
		}
		if d.FromPort != nil {
			from, to = *d.FromPort, *d.ToPort
		}
		box := Box(proto, p, from, to)
		switch d.Direction {
		case "":
			denyIn = denyIn.Union(box)
		case posture.Egress:
			denyOut = denyOut.Union(box)
		default:
			denyIn, denyOut = denyIn.Union(box), denyOut.Union(box)
		}
	}
	return Exposure{Ingress: want.Ingress.Subtract(denyIn), Egress: want.Egress.Subtract(denyOut)}
}

// referenceGroupWant is what CheckGroup wanted before the sweep: a box per
// peer of each flow towards the kind of peer id names, united.
func referenceGroupWant(flows []posture.Flow, id string) Exposure {
	var want Exposure
	for _, f := range flows {
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
			want.Ingress = want.Ingress.Union(UnionAll(boxes...))
		} else {
			want.Egress = want.Egress.Union(UnionAll(boxes...))
		}
	}
	return want
}
