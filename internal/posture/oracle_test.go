package posture_test

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The oracle: what a compiled posture must let through, computed as exact
// sets from the intent and the host model, and the checks that compare the
// compilers' output with it.

const (
	tcp = 6
	udp = 17
)

func prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// peerPrefixes returns the addresses behind a peer set: CIDRs, prefix lists
// resolved, and, when members is set, security groups' member addresses.
func peerPrefixes(p posture.Peers, members bool) []netip.Prefix {
	var out []netip.Prefix
	for _, c := range slices.Concat(p.CIDRBlocks, p.IPv6CIDRBlocks) {
		out = append(out, prefix(c))
	}
	for _, id := range p.PrefixListIDs {
		for _, c := range prefixLists[id] {
			out = append(out, prefix(c))
		}
	}
	if members {
		for _, id := range p.SecurityGroupIDs {
			for _, a := range groupMembers[id] {
				out = append(out, netip.PrefixFrom(a, a.BitLen()))
			}
		}
	}
	return out
}

// flowPrefixes returns the addresses behind a flow's peers, as
// peerPrefixes does, less the IPv6 ones of an IPv4-only service: typed,
// and in an ACL, which resolves prefix lists, resolved too (a group rule
// naming a list or a group cannot be narrowed to a family).
func flowPrefixes(f flowSpec, members, acl bool) []netip.Prefix {
	if !f.ipv4Only {
		return peerPrefixes(f.peers, members)
	}
	peers := f.peers
	peers.IPv6CIDRBlocks = nil
	out := peerPrefixes(peers, members)
	if acl {
		out = slices.DeleteFunc(out, func(p netip.Prefix) bool { return p.Addr().Is6() })
	}
	return out
}

// replySpace returns where the answers of flow f from or to peer go, as
// real clients send them: TCP and UDP to the ephemeral range the user
// named plus the fixed ports the host model knows for the service; ICMP to
// the reply message's type; other protocols back on the same protocol.
//
// The answers to a peer's connection go to the peer's client, whose
// ephemeral range the user names; those to DDVE's own connections go to
// DDVE, whose range is ddve.
func replySpace(f flowSpec, peer netip.Prefix, ephemeral portSpan, ddve []portSpan) (evaluate.Space, bool) {
	if f.oneWay {
		return evaluate.Space{}, false
	}
	switch f.proto {
	case tcp, udp:
		var space evaluate.Space
		if f.replyPorts != nil {
			// The user's word on where the clients send from.
			for _, r := range f.replyPorts {
				space = space.Union(evaluate.Box(f.proto, peer, r.from, r.to))
			}
			return space, true
		}
		if f.inbound {
			space = evaluate.Box(f.proto, peer, ephemeral.from, ephemeral.to)
		} else {
			for _, r := range ddve {
				space = space.Union(evaluate.Box(f.proto, peer, r.from, r.to))
			}
		}
		for port := f.from; port <= f.to; port++ {
			fixed, answered := fixedSourcePorts(f.proto, port)
			if !answered {
				return evaluate.Space{}, false
			}
			for _, span := range fixed {
				space = space.Union(evaluate.Box(f.proto, peer, span.from, span.to))
			}
		}
		return space, true
	case 1, 58:
		if f.from == -1 {
			return evaluate.Box(f.proto, peer, -1, -1), true
		}
		reply, answered := evaluate.Packet{Protocol: f.proto, DstPort: f.from, SrcPort: f.to}.Reply()
		if !answered {
			return evaluate.Space{}, false
		}
		return evaluate.Box(f.proto, peer, reply.DstPort, reply.SrcPort), true
	}
	return evaluate.Box(f.proto, peer, 0, 0), true
}

// expectedGroup is what the security group must admit: each flow's request
// from or to each of its peers, and nothing else.
func expectedGroup(s scenario) evaluate.Exposure {
	var in, out []evaluate.Space
	for _, f := range s.flows() {
		for _, p := range flowPrefixes(f, true, false) {
			box := evaluate.Box(f.proto, p, f.from, f.to)
			if f.inbound {
				in = append(in, box)
			} else {
				out = append(out, box)
			}
		}
	}
	if pmtu := pathMTUSpace(s, false); !pmtu.IsEmpty() {
		in = append(in, pmtu)
	}
	return evaluate.Exposure{Ingress: evaluate.UnionAll(in...), Egress: evaluate.UnionAll(out...)}
}

// pathMTUSpace is what path MTU discovery needs, in each direction: from
// the router with the small MTU, so from anywhere, ICMP "fragmentation
// needed" (type 3 code 4, RFC 1191) and ICMPv6 "packet too big" (type 2,
// RFC 8201, RFC 4890), for each family the peers use. A group counts
// security groups and prefix lists as IPv4; an ACL counts a prefix list
// in the families of its blocks.
func pathMTUSpace(s scenario, acl bool) evaluate.Space {
	if !s.intent.PathMTUDiscovery {
		return evaluate.Space{}
	}
	var v4, v6 bool
	for _, f := range s.flows() {
		v4 = v4 || len(f.peers.CIDRBlocks) > 0
		v6 = v6 || len(f.peers.IPv6CIDRBlocks) > 0
		v4 = v4 || len(f.peers.SecurityGroupIDs) > 0
		for _, id := range f.peers.PrefixListIDs {
			if !acl {
				v4 = true
				continue
			}
			for _, c := range prefixLists[id] {
				v4, v6 = v4 || prefix(c).Addr().Is4(), v6 || prefix(c).Addr().Is6()
			}
		}
	}
	var out []evaluate.Space
	if v4 {
		out = append(out, evaluate.Box(1, prefix("0.0.0.0/0"), 3, 4))
	}
	if v6 {
		out = append(out, evaluate.Box(58, prefix("::/0"), 2, -1))
	}
	return evaluate.UnionAll(out...)
}

// expectedACL is what the ACL must pass: each flow's request and its
// answers as real clients send them, or, in deny-list mode, everything;
// less exactly what the denies name.
func expectedACL(s scenario) evaluate.Exposure {
	var in, out []evaluate.Space
	ddve := s.ddvePorts()
	for _, f := range s.flows() {
		for _, p := range flowPrefixes(f, false, true) {
			request := evaluate.Box(f.proto, p, f.from, f.to)
			reply, answered := replySpace(f, p, s.ephemeral, ddve)
			if f.inbound {
				in = append(in, request)
				if answered {
					out = append(out, reply)
				}
			} else {
				out = append(out, request)
				if answered {
					in = append(in, reply)
				}
			}
		}
	}
	if pmtu := pathMTUSpace(s, true); !pmtu.IsEmpty() {
		in, out = append(in, pmtu), append(out, pmtu)
	}
	x := evaluate.Exposure{Ingress: evaluate.UnionAll(in...), Egress: evaluate.UnionAll(out...)}
	if s.defaultAllow {
		x = evaluate.Exposure{Ingress: evaluate.Everything(), Egress: evaluate.Everything()}
	}
	denyIn, denyOut := denySpaces(s.deny)
	return evaluate.Exposure{Ingress: x.Ingress.Subtract(denyIn), Egress: x.Egress.Subtract(denyOut)}
}

func denySpaces(denies []posture.DenyRule) (in, out evaluate.Space) {
	for _, d := range denies {
		p := prefix(d.CIDRBlock + d.IPv6CIDRBlock)
		proto, from, to := -1, 0, 0
		switch d.Protocol {
		case "tcp", "udp":
			proto, from, to = tcp, 0, 65535
			if d.Protocol == "udp" {
				proto = udp
			}
			if d.FromPort != nil {
				from, to = *d.FromPort, *d.ToPort
			}
		case "icmp":
			proto, from, to = 1, -1, -1
		}
		box := evaluate.Box(proto, p, from, to)
		if d.Direction != "egress" {
			in = in.Union(box)
		}
		if d.Direction == "egress" || d.Direction == "both" {
			out = out.Union(box)
		}
	}
	return in, out
}

// expectedProblems lists the summaries a compiler must report for the
// scenario, or nil when it must compile.
func expectedProblems(s scenario, acl bool) []string {
	var want []string
	for _, f := range s.flows() {
		if acl && len(f.peers.SecurityGroupIDs) > 0 {
			want = append(want, "Security groups cannot be ACL peers")
		}
		if f.proto == 1 && len(f.peers.IPv6CIDRBlocks) > 0 {
			want = append(want, "ICMP towards an IPv6 peer")
		}
		if f.proto == 58 && len(f.peers.CIDRBlocks) > 0 {
			want = append(want, "ICMPv6 towards an IPv4 peer")
		}
		if s.intent.AllowPublicIngress {
			continue
		}
		// Peers are refused when together they are the internet of a
		// family and could come in: always for an inbound flow; in an ACL
		// also when the answers of an outbound flow come back from them.
		// The group sees typed blocks only.
		peers := peerPrefixes(f.peers, false)
		if !acl {
			peers = peerPrefixes(posture.Peers{CIDRBlocks: f.peers.CIDRBlocks, IPv6CIDRBlocks: f.peers.IPv6CIDRBlocks}, false)
		}
		// Whether the flow is answered at all does not depend on where.
		_, answered := replySpace(f, prefix("10.0.0.0/8"), s.ephemeral, nil)
		if (f.inbound || (acl && answered)) && coversAFamily(peers) {
			want = append(want, "Public ingress refused")
		}
	}
	return want
}

// coversAFamily reports whether the prefixes together hold every address
// of IPv4 or of IPv6, computed with the exact sets.
func coversAFamily(prefixes []netip.Prefix) bool {
	var union evaluate.Space
	for _, p := range prefixes {
		union = union.Union(evaluate.Box(-1, p, 0, 0))
	}
	for _, world := range []string{"0.0.0.0/0", "::/0"} {
		whole := evaluate.Box(-1, prefix(world), 0, 0)
		if whole.Subtract(union).IsEmpty() {
			return true
		}
	}
	return false
}

// groupQuotaNeed counts rules per direction and family as AWS does: a
// CIDR once in its family, a security group reference once in each, an
// AWS-managed prefix list its weight in each, a customer-managed one its
// max entries in its own family. It returns the largest count.
func groupQuotaNeed(rules []posture.Rule) int {
	counts := map[string]int{}
	for _, r := range rules {
		v4, v6 := 0, 0
		switch {
		case r.CIDRIPv4 != "":
			v4 = 1
		case r.CIDRIPv6 != "":
			v6 = 1
		case r.ReferencedGroupID != "":
			v4, v6 = 1, 1
		case r.PrefixListID != "":
			w := listWeights[r.PrefixListID]
			switch {
			case w.AWSManaged:
				v4, v6 = w.Weight, w.Weight
			case w.Family == "IPv6":
				v6 = w.Weight
			default:
				v4 = w.Weight
			}
		}
		counts[r.Direction+" IPv4"] += v4
		counts[r.Direction+" IPv6"] += v6
	}
	need := 1
	for _, n := range counts {
		need = max(need, n)
	}
	return need
}

// aclQuotaNeed counts entries per direction and family, plus the built-in
// deny-all AWS counts against the same quota.
func aclQuotaNeed(entries []posture.Entry) int {
	counts := map[string]int{}
	for _, e := range entries {
		counts[fmt.Sprint(e.Egress, e.IPv6CIDRBlock != "")]++
	}
	need := 1
	for _, n := range counts {
		need = max(need, n+1)
	}
	return need
}

// verify judges a scenario's compiled output against the oracle.
func verify(s scenario, c compiled) error {
	var errs []error
	errs = append(errs, verifyGroup(s, c), verifyACL(s, c))
	return errors.Join(errs...)
}

// check is one of the oracle's checks, named so that a mutant can be
// said to die on it.
type check struct {
	name string
	run  func() error
}

// firstFailure runs the checks in order and returns the first error.
func firstFailure(checks []check) error {
	for _, c := range checks {
		if err := c.run(); err != nil {
			return err
		}
	}
	return nil
}

func verifyGroup(s scenario, c compiled) error { return firstFailure(groupChecks(s, c)) }

func verifyACL(s scenario, c compiled) error { return firstFailure(aclChecks(s, c)) }

// groupChecks are the security group's checks in the order verify runs
// them: a later one assumes the earlier ones passed.
func groupChecks(s scenario, c compiled) []check {
	if want := expectedProblems(s, false); len(want) > 0 {
		return []check{{"group problems", func() error { return expectProblems("security group", c.groupErr, want) }}}
	}
	group := evaluate.Group{Rules: c.rules, Resolver: resolver()}
	return []check{
		{"group error", func() error {
			if c.groupErr != nil {
				return fmt.Errorf("security group: unexpected error: %w", c.groupErr)
			}
			return nil
		}},
		{"group exposure oracle", func() error {
			if got, want := evaluate.GroupExposure(group), expectedGroup(s); !got.Equal(want) {
				return fmt.Errorf("security group exposure differs from the intent:\ngot\n%s\nwant\n%s", got, want)
			}
			return nil
		}},
		{"group quota edge", func() error {
			return checkQuotaEdge("security group", groupQuotaNeed(c.rules), c.groupAtQuota, c.groupBelowQuota, "Security group rule quota exceeded")
		}},
		{"group real clients", func() error {
			return checkRealClients(s, func(p evaluate.Packet, egress bool) bool { return group.Admit(p, egress).Allowed }, false)
		}},
	}
}

// aclChecks are the network ACL's checks in the order verify runs them.
func aclChecks(s scenario, c compiled) []check {
	if want := expectedProblems(s, true); len(want) > 0 {
		return []check{{"ACL problems", func() error { return expectProblems("network ACL", c.aclErr, want) }}}
	}
	acl := evaluate.ACL{Entries: c.entries}
	return []check{
		{"ACL error", func() error {
			if c.aclErr != nil {
				return fmt.Errorf("network ACL: unexpected error: %w", c.aclErr)
			}
			return nil
		}},
		{"number bands", func() error { return checkNumbers(c.entries, s.defaultAllow) }},
		{"no covered entry", func() error { return checkNoCoveredEntry(c.entries) }},
		{"ACL exposure oracle", func() error {
			if got, want := evaluate.ACLExposure(acl), expectedACL(s); !got.Equal(want) {
				return fmt.Errorf("network ACL exposure differs from the intent:\ngot\n%s\nwant\n%s\nmissing:\n%s\nextra:\n%s",
					got, want, diff(want, got), diff(got, want))
			}
			return nil
		}},
		{"ACL quota edge", func() error {
			return checkQuotaEdge("network ACL", aclQuotaNeed(c.entries), c.aclAtQuota, c.aclBelowQuota, "Network ACL entry quota exceeded")
		}},
		{"stable numbering", func() error { return checkStableNumbers(c.entries, c.updated, c.updatedErr, s.defaultAllow) }},
		{"ACL real clients", func() error {
			return checkRealClients(s, func(p evaluate.Packet, egress bool) bool { return acl.Filter(p, egress).Allowed }, true)
		}},
	}
}

func diff(a, b evaluate.Exposure) evaluate.Exposure {
	return evaluate.Exposure{Ingress: a.Ingress.Subtract(b.Ingress), Egress: a.Egress.Subtract(b.Egress)}
}

func resolver() evaluate.Resolver {
	lists := map[string][]netip.Prefix{}
	for id, cidrs := range prefixLists {
		for _, c := range cidrs {
			lists[id] = append(lists[id], prefix(c))
		}
	}
	return evaluate.Resolver{GroupMembers: groupMembers, PrefixLists: lists}
}

func expectProblems(what string, err error, want []string) error {
	var problems posture.Problems
	if !errors.As(err, &problems) {
		return fmt.Errorf("%s: want problems %q, got %v", what, want, err)
	}
	for _, summary := range want {
		if !slices.ContainsFunc(problems, func(p posture.Problem) bool { return p.Summary == summary }) {
			return fmt.Errorf("%s: want a problem %q, got %v", what, summary, err)
		}
	}
	return nil
}

// checkQuotaEdge: the posture compiles with exactly the quota it needs and
// fails, saying so, with one less.
func checkQuotaEdge(what string, need int, atQuota, belowQuota error, summary string) error {
	if atQuota != nil {
		return fmt.Errorf("%s: refused at a quota of %d, which it needs: %v", what, need, atQuota)
	}
	if need <= 1 {
		return nil
	}
	var problems posture.Problems
	if !errors.As(belowQuota, &problems) || !slices.ContainsFunc(problems, func(p posture.Problem) bool { return p.Summary == summary }) {
		return fmt.Errorf("%s: accepted at a quota of %d though it needs %d (%v)", what, need-1, need, belowQuota)
	}
	return nil
}

// checkNumbers: numbers lie in 1-32766, once per direction, denies in
// 1-899 below path MTU discovery in 900-999 below allows in 1000-31999,
// allow-all in 32000-32766.
func checkNumbers(entries []posture.Entry, defaultAllow bool) error {
	seen := map[string]bool{}
	for _, e := range entries {
		slot := fmt.Sprint(e.Egress, e.RuleNumber)
		if seen[slot] {
			return fmt.Errorf("rule number %d used twice in one direction", e.RuleNumber)
		}
		seen[slot] = true
		allowAll := defaultAllow && e.RuleNumber >= 32000 && e.Action == posture.Allow && e.Protocol == "-1" &&
			(e.CIDRBlock == "0.0.0.0/0" || e.IPv6CIDRBlock == "::/0")
		pmtu := e.Action == posture.Allow && (e.Protocol == "1" && e.ICMPType == 3 && e.ICMPCode == 4 && e.CIDRBlock == "0.0.0.0/0" ||
			e.Protocol == "58" && e.ICMPType == 2 && e.IPv6CIDRBlock == "::/0")
		switch {
		case pmtu && e.RuleNumber >= 900 && e.RuleNumber <= 999:
			// Path MTU discovery's own band, after the denies.
		case e.Action == posture.Deny && (e.RuleNumber < 1 || e.RuleNumber > 899),
			allowAll && e.RuleNumber < 32000,
			e.Action == posture.Allow && !allowAll && (e.RuleNumber < 1000 || e.RuleNumber > 31999),
			e.RuleNumber > 32766:
			return fmt.Errorf("entry %v lies outside its band", e)
		}
	}
	return nil
}

// checkNoCoveredEntry: no allow entry passes only what another allow entry
// of its direction passes, which would spend quota on an entry that can
// never match (every deny comes before every allow).
func checkNoCoveredEntry(entries []posture.Entry) error {
	space := func(e posture.Entry) evaluate.Space {
		e.Action, e.RuleNumber = posture.Allow, 1
		x := evaluate.ACLExposure(evaluate.ACL{Entries: []posture.Entry{e}})
		if e.Egress {
			return x.Egress
		}
		return x.Ingress
	}
	spaces := make([]evaluate.Space, len(entries))
	blocks := make([]netip.Prefix, len(entries))
	for i, e := range entries {
		spaces[i], blocks[i] = space(e), prefix(e.CIDR())
	}
	for i, e := range entries {
		if e.Action != posture.Allow {
			continue
		}
		for j, o := range entries {
			// Only a block that holds e's, on its protocol or all, can.
			if j == i || o.Action != posture.Allow || o.Egress != e.Egress || o.Protocol != e.Protocol && o.Protocol != "-1" ||
				blocks[j].Bits() > blocks[i].Bits() || !blocks[j].Contains(blocks[i].Addr()) {
				continue
			}
			if spaces[i].Subtract(spaces[j]).IsEmpty() {
				return fmt.Errorf("entry %v (%s) can never match: %v (%s) passes all it does", e, e.Purpose, o, o.Purpose)
			}
		}
	}
	return nil
}

// checkStableNumbers: after one more peer, every entry that survives keeps
// its number.
func checkStableNumbers(before, after []posture.Entry, err error, defaultAllow bool) error {
	if err != nil {
		return fmt.Errorf("recompiling with one more peer: %w", err)
	}
	numbers := map[posture.EntryKey]int{}
	for _, e := range before {
		numbers[e.Key()] = e.RuleNumber
	}
	for _, e := range after {
		if n, ok := numbers[e.Key()]; ok && n != e.RuleNumber {
			return fmt.Errorf("entry %v moved from %d to %d on an update", e, n, e.RuleNumber)
		}
	}
	return checkNumbers(after, defaultAllow)
}

// checkRealClients sends the packets real hosts send for every flow, from
// the first address of each peer, with the drawn client's source port, and
// follows the answer back. Flows to a denied address are skipped: the
// exposure check covers them.
func checkRealClients(s scenario, passes func(evaluate.Packet, bool) bool, stateless bool) error {
	denyIn, denyOut := denySpaces(s.deny)
	for _, f := range s.flows() {
		if f.proto != tcp && f.proto != udp {
			continue
		}
		port := f.from + s.clientPick%(f.to-f.from+1)
		_, answered := fixedSourcePorts(f.proto, port)
		answered = answered && !f.oneWay
		for _, p := range flowPrefixes(f, !stateless, stateless) {
			peer := p.Addr()
			if denyIn.Contains(f.proto, peer, port) || denyOut.Contains(f.proto, peer, port) || p.Bits() == 0 {
				continue
			}
			var source int
			if f.inbound {
				var ok bool
				source, ok = clientPort(s.client, f.proto, port, s.clientPick)
				if !ok || !covered(s, s.client) {
					continue
				}
			} else {
				// DDVE runs Linux; ntpd sends from 123.
				fixed, _ := fixedSourcePorts(f.proto, port)
				source = ephemeralRanges["linux"].from + s.clientPick%28232
				if len(fixed) == 1 && fixed[0].from == fixed[0].to && s.clientPick%2 == 0 {
					source = fixed[0].from
				} else if !covered(s, "linux") {
					continue
				}
			}
			request := evaluate.Packet{Src: peer, Dst: ddve, Protocol: f.proto, SrcPort: source, DstPort: port}
			if !f.inbound {
				request = evaluate.Packet{Src: ddve, Dst: peer, Protocol: f.proto, SrcPort: source, DstPort: port}
			}
			if denyIn.Contains(f.proto, peer, source) || denyOut.Contains(f.proto, peer, source) {
				continue
			}
			if f.replyPorts != nil && !slices.ContainsFunc(f.replyPorts, func(r portSpan) bool { return r.from <= source && source <= r.to }) {
				// A client the rule's reply_ports do not promise to answer.
				continue
			}
			if !passes(request, !f.inbound) {
				return fmt.Errorf("%s: request %v is dropped", f, request)
			}
			if !stateless || !answered {
				continue
			}
			reply, _ := request.Reply()
			if !passes(reply, f.inbound) {
				return fmt.Errorf("%s: the reply %v to a %s client is dropped", f, reply, s.client)
			}
		}
	}
	return nil
}

// covered reports whether a client's source port is one the posture
// promises to answer: its kind's ephemeral range lies within the range
// the user named, or it is a fixed or reserved port of the service.
func covered(s scenario, kind string) bool {
	if span, ephemeral := ephemeralRanges[kind]; ephemeral {
		return span.from >= s.ephemeral.from && span.to <= s.ephemeral.to
	}
	return true
}
