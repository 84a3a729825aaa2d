// Package evaluate decides whether a packet gets through a security group and
// a network ACL, with AWS's semantics: the group is stateful and allow-only,
// the ACL stateless, numbered and first-match. Tests use it as the oracle of
// the compilers, and it works as well on rules and entries read from AWS.
package evaluate

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/ddvelabs/terraform-provider-ddve/internal/hostmodel"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// Packet is one IP packet as the filters see it.
type Packet struct {
	Src, Dst         netip.Addr
	Protocol         int // IANA number: 6 tcp, 17 udp, 1 icmp, 58 icmpv6
	SrcPort, DstPort int // ICMP: DstPort is the type, SrcPort the code
}

// Reply is the packet that answers p: addresses swapped, and ports swapped
// for TCP and UDP. An ICMP request is answered by its reply type with the
// same code; ok is false for ICMP messages nothing answers (errors,
// redirects, replies themselves).
func (p Packet) Reply() (reply Packet, ok bool) {
	reply = Packet{Src: p.Dst, Dst: p.Src, Protocol: p.Protocol, SrcPort: p.DstPort, DstPort: p.SrcPort}
	// ICMP answers follow the host model rather than the compiler's
	// table, so the oracle does not share the code's assumptions.
	if p.Protocol == hostmodel.ICMP || p.Protocol == hostmodel.ICMPv6 {
		replyType, answered := hostmodel.ICMPReply(p.Protocol, p.DstPort)
		reply.SrcPort, reply.DstPort = p.SrcPort, replyType
		return reply, answered
	}
	return reply, true
}

func (p Packet) String() string {
	return fmt.Sprintf("%d %s:%d -> %s:%d", p.Protocol, p.Src, p.SrcPort, p.Dst, p.DstPort)
}

// Verdict is one filter's decision and what made it: the security group
// rule or the network ACL entry, when one decided.
type Verdict struct {
	Allowed bool
	Reason  string
	// Layer is the filter that decided: LayerGroup or LayerACL, or empty
	// where AWS filters nothing (Unfiltered).
	Layer string
	Rule  *posture.Rule
	Entry *posture.Entry
}

// Resolver tells which addresses stand behind security group references and
// prefix lists, which the rules name by ID only.
type Resolver struct {
	GroupMembers map[string][]netip.Addr
	PrefixLists  map[string][]netip.Prefix
}

// Group is a security group's rules.
type Group struct {
	Rules    []posture.Rule
	Resolver Resolver
}

// Admit decides a connection's first packet. egress is true when the host
// behind the group sends it. The group is stateful: the reply to an admitted
// packet always passes, so only requests are asked about.
func (g Group) Admit(p Packet, egress bool) Verdict {
	direction, remote := posture.Ingress, p.Src
	if egress {
		direction, remote = posture.Egress, p.Dst
	}
	for i := range g.Rules {
		r := &g.Rules[i]
		if r.Direction != direction || !groupProtocolMatches(*r, p) || !g.peerMatches(*r, remote) {
			continue
		}
		return Verdict{Allowed: true, Reason: "security group rule " + r.String(), Layer: LayerGroup, Rule: r}
	}
	return Verdict{Allowed: false, Reason: "no security group rule allows " + direction + " " + p.String(), Layer: LayerGroup}
}

func groupProtocolMatches(r posture.Rule, p Packet) bool {
	n, ok := posture.ProtocolNumber(r.Protocol)
	if !ok {
		return false
	}
	switch {
	case n == posture.ProtoAll:
		return true
	case n != p.Protocol:
		return false
	case posture.HasPorts(n):
		return p.DstPort >= r.FromPort && p.DstPort <= r.ToPort
	case n == posture.ProtoICMP || n == posture.ProtoICMPv6:
		return (r.FromPort == -1 || r.FromPort == p.DstPort) && (r.ToPort == -1 || r.ToPort == p.SrcPort)
	}
	return true
}

func (g Group) peerMatches(r posture.Rule, addr netip.Addr) bool {
	switch {
	case r.CIDRIPv4 != "":
		return prefixContains(r.CIDRIPv4, addr)
	case r.CIDRIPv6 != "":
		return prefixContains(r.CIDRIPv6, addr)
	case r.ReferencedGroupID != "":
		return slices.Contains(g.Resolver.GroupMembers[r.ReferencedGroupID], addr)
	case r.PrefixListID != "":
		return slices.ContainsFunc(g.Resolver.PrefixLists[r.PrefixListID], func(p netip.Prefix) bool { return p.Contains(addr) })
	}
	return false
}

func prefixContains(cidr string, addr netip.Addr) bool {
	p, err := netip.ParsePrefix(cidr)
	return err == nil && p.Contains(addr)
}

// ACL is a network ACL's entries, without the built-in deny-all, which the
// evaluator applies itself.
type ACL struct {
	Entries []posture.Entry
}

// Filter decides one packet crossing the subnet boundary: egress is true
// when it leaves the subnet. The lowest-numbered matching entry decides.
func (a ACL) Filter(p Packet, egress bool) Verdict {
	remote := p.Src
	if egress {
		remote = p.Dst
	}
	var decider *posture.Entry
	for i := range a.Entries {
		e := &a.Entries[i]
		if e.Egress != egress || !entryMatches(*e, p, remote) {
			continue
		}
		if decider == nil || e.RuleNumber < decider.RuleNumber {
			decider = e
		}
	}
	if decider == nil {
		direction := "ingress"
		if egress {
			direction = "egress"
		}
		return Verdict{Allowed: false, Reason: "built-in deny-all (" + direction + ") drops " + p.String(), Layer: LayerACL}
	}
	return Verdict{Allowed: decider.Action == posture.Allow, Reason: "network ACL entry " + decider.String(), Layer: LayerACL, Entry: decider}
}

func entryMatches(e posture.Entry, p Packet, remote netip.Addr) bool {
	if !prefixContains(e.CIDR(), remote) {
		return false
	}
	n, ok := posture.ProtocolNumber(e.Protocol)
	if !ok {
		return false
	}
	switch {
	case n == posture.ProtoAll:
		return true
	case n != p.Protocol:
		return false
	case posture.HasPorts(n):
		return p.DstPort >= e.FromPort && p.DstPort <= e.ToPort
	case n == posture.ProtoICMP || n == posture.ProtoICMPv6:
		return (e.ICMPType == -1 || e.ICMPType == p.DstPort) && (e.ICMPCode == -1 || e.ICMPCode == p.SrcPort)
	}
	return true
}

// Host is a DDVE instance: its address, its security group and its subnet's
// network ACL.
type Host struct {
	Addr  netip.Addr
	Group Group
	ACL   ACL
	// Local is the host's subnet: packets between two of its addresses
	// never cross the subnet boundary, so the network ACL does not see
	// them.
	Local []netip.Prefix
	// Unfiltered are addresses of services AWS delivers to whatever the
	// group and the ACL say (UnfilteredServices).
	Unfiltered map[netip.Addr]string
}

// Conversation is the outcome of one connection: its request and the
// reply, each as the verdicts of the filters it meets, in the order it
// meets them. A packet arriving at the host meets the subnet's network ACL
// first, then the group; a packet leaving meets the group first.
type Conversation struct {
	Request, Reply []Verdict
}

// Allowed reports whether the request reached its destination and the reply
// came back.
func (c Conversation) Allowed() bool {
	_, blocked := c.blocking()
	return !blocked
}

// Deciding returns the first verdict that blocked the conversation, or the
// last one when it passed: the rule or entry a user would look at.
func (c Conversation) Deciding() Verdict {
	if v, blocked := c.blocking(); blocked {
		return v
	}
	if n := len(c.Reply); n > 0 {
		return c.Reply[n-1]
	}
	return c.Request[len(c.Request)-1]
}

// BlockedAt names where the conversation stopped, as ddve_reachability's
// blocked_at does: the layer of the first verdict that dropped a packet,
// with "_reply" when it was the answer; empty when it passed.
func (c Conversation) BlockedAt() string {
	v, blocked := c.blocking()
	switch {
	case !blocked:
		return ""
	case slices.ContainsFunc(c.Request, func(r Verdict) bool { return r == v }):
		return v.Layer
	}
	return v.Layer + "_reply"
}

func (c Conversation) blocking() (Verdict, bool) {
	for _, verdicts := range [][]Verdict{c.Request, c.Reply} {
		for _, v := range verdicts {
			if !v.Allowed {
				return v, true
			}
		}
	}
	return Verdict{}, false
}

// Connect opens a connection with request p, to or from the host, and
// follows the reply back: the group admits the request (its reply passes by
// state), the ACL must pass both packets on its own. A request nothing
// answers has no reply verdicts.
func (h Host) Connect(request Packet) Conversation {
	egress := request.Src == h.Addr
	remote := request.Src
	if egress {
		remote = request.Dst
	}
	if service, ok := h.unfiltered(request, egress); ok {
		pass := Verdict{Allowed: true, Reason: service + ": AWS filters it with neither security groups nor network ACLs"}
		c := Conversation{Request: []Verdict{pass}}
		if _, answered := request.Reply(); answered {
			c.Reply = []Verdict{pass}
		}
		return c
	}
	filter := h.ACL.Filter
	if h.isLocal(remote) {
		filter = func(Packet, bool) Verdict {
			return Verdict{Allowed: true, Reason: "inside the host's subnet, where the network ACL does not filter", Layer: LayerACL}
		}
	}
	admitted := h.Group.Admit(request, egress)
	c := Conversation{Request: inOrder(egress, admitted, filter(request, egress))}
	if reply, ok := request.Reply(); ok {
		state := Verdict{Allowed: admitted.Allowed, Reason: "security group state: reply to an admitted request", Layer: LayerGroup}
		// The reply travels the other way: it leaves the host when the
		// request arrived.
		c.Reply = inOrder(!egress, state, filter(reply, !egress))
	}
	return c
}

// inOrder lays a packet's two verdicts out in the order it meets the
// filters: leaving the host, the group first; arriving, the ACL first.
func inOrder(leaving bool, group, acl Verdict) []Verdict {
	if leaving {
		return []Verdict{group, acl}
	}
	return []Verdict{acl, group}
}

func (h Host) isLocal(remote netip.Addr) bool {
	if !h.Addr.IsValid() {
		return false
	}
	for _, p := range h.Local {
		if p.Contains(remote) && p.Contains(h.Addr) {
			return true
		}
	}
	return false
}
