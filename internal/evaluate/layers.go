package evaluate

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/hostmodel"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// A DDVE instance sits behind two layers: its security groups, stateful,
// and its subnet's network ACL, stateless. CheckLayers says exactly what
// passes each, what passes both, and where they disagree.

// Layers, as the reachability data source names them.
const (
	LayerGroup = "security_group"
	LayerACL   = "network_acl"
	LayerBoth  = "both"
)

// TrafficRange is one row of a table of traffic: a direction, a protocol,
// one remote block and a range of ports (or ICMP types).
type TrafficRange struct {
	Direction string // ingress or egress
	Protocol  string // tcp, udp, icmp, icmpv6, a number, "all" or "all but ..."
	CIDR      netip.Prefix
	// From and To are ports for TCP and UDP, ICMP types for ICMP, -1 for
	// protocols without ports.
	From, To int
	Ports    string // the ports, or ICMP types and codes, as text
}

// ExposureRow is traffic that passes a layer.
type ExposureRow struct {
	TrafficRange
	Layer string
}

// Mismatch is traffic one layer lets through and the other drops.
type Mismatch struct {
	TrafficRange
	Kind                 string // "request", "return traffic" or "network ACL only"
	AllowedBy, BlockedBy string
	Detail               string
	// The cause: the group rule that admits the request (requests and
	// return traffic), or the ACL entry that passes the traffic (network
	// ACL only), pointing into the Group or ACL checked.
	Rule  *posture.Rule
	Entry *posture.Entry
}

// LayerCheck is the result of CheckLayers.
type LayerCheck struct {
	// Group holds the requests the group admits, ACL the packets the ACL
	// passes, Both the requests both admit.
	Group, ACL, Both Exposure
	Mismatches       []Mismatch
}

// LayerOptions say what CheckLayers cannot read from the rules.
type LayerOptions struct {
	// Ephemeral is the range peers' clients send from, where the answers
	// to the connections peers open go.
	Ephemeral PortRange
	// DDVEEphemeral is the range DDVE's own connections come back to; nil
	// means DD OS's, which runs Linux: 32768-60999 (LinuxEphemeral). The
	// ACL compiler's default, 1024-65535 less the ports DDVE listens on,
	// holds it.
	DDVEEphemeral []PortRange
	// Services are the requests whose answers go elsewhere as well, or
	// nowhere: NFS clients' reserved ports, ntpd's 123, NetBIOS, one-way
	// syslog and SNMP traps. The ACL compiler's return entries follow
	// posture.CatalogReplies, and so must the check of what it compiled.
	Services []posture.ServiceReply
	// Local is DDVE's own subnet: traffic inside it never crosses the
	// network ACL, so it is no mismatch.
	Local []netip.Prefix
}

// LinuxEphemeral is Linux's ephemeral range (net.ipv4.ip_local_port_range),
// DD OS's, where the answers to DDVE's own connections go.
var LinuxEphemeral = PortRange{From: hostmodel.LinuxEphemeral.From, To: hostmodel.LinuxEphemeral.To}

// CheckLayers compares a group and an ACL, both ways. Three kinds of
// disagreement are mismatches:
//   - a request the group admits and the ACL drops;
//   - the answers to a request both admit, dropped by the ACL on their way
//     back (TCP and UDP to the ephemeral range, ICMP as its reply type,
//     other protocols as themselves);
//   - traffic the ACL passes that the group drops: neither a request the
//     group admits nor an answer to one. A stateless ACL must pass answers
//     the group never sees as requests; those are not counted.
func CheckLayers(g Group, a ACL, opts LayerOptions) LayerCheck {
	c := LayerCheck{Group: GroupExposure(g), ACL: ACLExposure(a)}
	c.Both = Exposure{Ingress: c.Group.Ingress.Intersect(c.ACL.Ingress), Egress: c.Group.Egress.Intersect(c.ACL.Egress)}
	var local Space
	for _, p := range opts.Local {
		local = local.Union(Box(-1, p, 0, 0))
	}
	// Traffic the ACL passes is no mismatch when it answers a request the
	// group admits, even one the ACL itself drops (a deny inside a peer's
	// block leaves that peer's return entry in place).
	// DDVE's own connections may be answered anywhere in Ephemeral: a
	// return entry wider than DD OS's real range is no disagreement.
	wide := opts
	wide.DDVEEphemeral = []PortRange{opts.Ephemeral}
	answersToGroup := Exposure{
		Ingress: answersNeeded(c.Group.Egress, false, wide),
		Egress:  answersNeeded(c.Group.Ingress, true, wide),
	}
	rules := ruleSpaces(g)
	entries := entrySpaces(a)
	// Path MTU discovery: an ICMP error comes from whichever router has
	// the small MTU, so both layers admit it from anywhere. Where the
	// group has its rule and the ACL its entries, the ACL's denies that
	// narrow it, and the ACL's outbound entry the group has no rule for
	// (a group passes the errors of the connections it tracks), are the
	// design, not a disagreement.
	groupPMTU := pathMTUFamilies(g.Rules, nil)
	aclPMTU := pathMTUFamilies(nil, a.Entries)
	for _, d := range []struct {
		direction, reverse string
		group, acl, both   Space
		aclBack            Space
		answersHere        Space // answers arriving in this direction
	}{
		{"ingress", "egress", c.Group.Ingress, c.ACL.Ingress, c.Both.Ingress, c.ACL.Egress, answersToGroup.Ingress},
		{"egress", "ingress", c.Group.Egress, c.ACL.Egress, c.Both.Egress, c.ACL.Ingress, answersToGroup.Egress},
	} {
		// Each mismatch is laid at the door of the first rule or entry
		// that lets it through, so a reviewer sees which one to fix.
		dropped := d.group.Subtract(d.acl).Subtract(local)
		var lost Space
		for _, r := range rules {
			if r.rule.Direction != d.direction {
				continue
			}
			mine := dropped.Intersect(r.space)
			dropped = dropped.Subtract(mine)
			if f, ok := pathMTURule(r.rule); ok && aclPMTU[f] {
				continue
			}
			for _, tr := range trafficRanges(d.direction, mine) {
				c.Mismatches = append(c.Mismatches, Mismatch{
					TrafficRange: tr, Kind: "request", AllowedBy: LayerGroup, BlockedBy: LayerACL, Rule: r.rule,
					Detail: fmt.Sprintf("The security group admits %s %s %s %s, but the network ACL drops the request.", tr.Protocol, tr.Ports, fromOrTo(d.direction), tr.CIDR),
				})
			}
		}
		for _, r := range rules {
			if r.rule.Direction != d.direction {
				continue
			}
			mine := answersNeeded(r.space.Intersect(d.both), d.direction == "ingress", opts).Subtract(d.aclBack).Subtract(local).Subtract(lost)
			lost = lost.Union(mine)
			for _, tr := range trafficRanges(d.reverse, mine) {
				c.Mismatches = append(c.Mismatches, Mismatch{
					TrafficRange: tr, Kind: "return traffic", AllowedBy: LayerGroup + " (connection state)", BlockedBy: LayerACL, Rule: r.rule,
					Detail: fmt.Sprintf("Both layers admit requests %s %s, but the network ACL drops their answers %s %s on %s %s: the connections hang.",
						fromOrTo(d.direction), tr.CIDR, fromOrTo(d.reverse), tr.CIDR, tr.Protocol, tr.Ports),
				})
			}
		}
		aclOnly := d.acl.Subtract(d.group).Subtract(d.answersHere).Subtract(local)
		for _, e := range entries {
			if e.entry.Direction() != d.direction {
				continue
			}
			mine := aclOnly.Intersect(e.space)
			aclOnly = aclOnly.Subtract(mine)
			if f, ok := pathMTUEntry(e.entry); ok && groupPMTU[f] {
				continue
			}
			if allowsAll(e.entry) {
				// A deny-list ACL's allow-all leaves filtering to the
				// group on purpose: what it passes and the group drops is
				// the design, not a disagreement.
				continue
			}
			for _, tr := range trafficRanges(d.direction, mine) {
				c.Mismatches = append(c.Mismatches, Mismatch{
					TrafficRange: tr, Kind: "network ACL only", AllowedBy: LayerACL, BlockedBy: LayerGroup, Entry: e.entry,
					Detail: fmt.Sprintf("The network ACL passes %s %s %s %s, which the security group drops and no admitted request is answered on.", tr.Protocol, tr.Ports, fromOrTo(d.direction), tr.CIDR),
				})
			}
		}
	}
	return c
}

// pathMTURule reports whether a rule admits path MTU discovery's message
// from every address of its family, and which family (0 IPv4, 1 IPv6).
func pathMTURule(r *posture.Rule) (int, bool) {
	proto, _ := posture.ProtocolNumber(r.Protocol)
	switch {
	case r.Direction != posture.Ingress || !posture.IsPathMTU(proto, r.FromPort, r.ToPort):
		return 0, false
	case proto == posture.ProtoICMP && r.CIDRIPv4 == "0.0.0.0/0":
		return 0, true
	case proto == posture.ProtoICMPv6 && r.CIDRIPv6 == "::/0":
		return 1, true
	}
	return 0, false
}

// pathMTUEntry reports whether an entry allows path MTU discovery's
// message to or from every address of its family, and which family.
func pathMTUEntry(e *posture.Entry) (int, bool) {
	proto, _ := posture.ProtocolNumber(e.Protocol)
	switch {
	case e.Action != posture.Allow || !posture.IsPathMTU(proto, e.ICMPType, e.ICMPCode):
		return 0, false
	case proto == posture.ProtoICMP && e.CIDRBlock == "0.0.0.0/0":
		return 0, true
	case proto == posture.ProtoICMPv6 && e.IPv6CIDRBlock == "::/0":
		return 1, true
	}
	return 0, false
}

// pathMTUFamilies says in which families the rules or the inbound entries
// admit path MTU discovery's message from everywhere.
func pathMTUFamilies(rules []posture.Rule, entries []posture.Entry) [2]bool {
	var out [2]bool
	for i := range rules {
		if f, ok := pathMTURule(&rules[i]); ok {
			out[f] = true
		}
	}
	for i := range entries {
		if f, ok := pathMTUEntry(&entries[i]); ok && !entries[i].Egress {
			out[f] = true
		}
	}
	return out
}

// allowsAll reports whether an entry allows every protocol from a whole
// address family, as default_action = "allow" writes.
func allowsAll(e *posture.Entry) bool {
	return e.Action == posture.Allow && e.Protocol == "-1" && (e.CIDRBlock == "0.0.0.0/0" || e.IPv6CIDRBlock == "::/0")
}

// ruleSpace is what one group rule admits, in its own direction.
type ruleSpace struct {
	rule  *posture.Rule
	space Space
}

func ruleSpaces(g Group) []ruleSpace {
	out := make([]ruleSpace, 0, len(g.Rules))
	for i := range g.Rules {
		r := &g.Rules[i]
		x := GroupExposure(Group{Rules: []posture.Rule{*r}, Resolver: g.Resolver})
		space := x.Ingress
		if r.Direction == posture.Egress {
			space = x.Egress
		}
		out = append(out, ruleSpace{r, space})
	}
	return out
}

// entrySpace is what one allow entry of an ACL decides: what it matches
// and no entry before it does.
type entrySpace struct {
	entry *posture.Entry
	space Space
}

func entrySpaces(a ACL) []entrySpace {
	order := make([]int, len(a.Entries))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return a.Entries[x].RuleNumber - a.Entries[y].RuleNumber })
	matched := map[bool]Space{}
	var out []entrySpace
	for _, i := range order {
		e := &a.Entries[i]
		matcher := *e
		matcher.Action = posture.Allow
		x := ACLExposure(ACL{Entries: []posture.Entry{matcher}})
		box := x.Ingress
		if e.Egress {
			box = x.Egress
		}
		if e.Action == posture.Allow {
			out = append(out, entrySpace{e, box.Subtract(matched[e.Egress])})
		}
		matched[e.Egress] = matched[e.Egress].Union(box)
	}
	return out
}

func fromOrTo(direction string) string {
	if direction == "ingress" {
		return "from"
	}
	return "to"
}

// answersNeeded returns where the answers to the requests of s go, back to
// the same blocks: TCP and UDP to the ephemeral range, or where the
// service's clients send from (none for one-way services); ICMP requests
// as their reply type with the same codes; any other protocol as itself.
// inbound says the peers opened the requests.
func answersNeeded(s Space, inbound bool, opts LayerOptions) Space {
	clients := []catalog.PortRange{{From: opts.Ephemeral.From, To: opts.Ephemeral.To}}
	if !inbound {
		ddve := opts.DDVEEphemeral
		if ddve == nil {
			ddve = []PortRange{LinuxEphemeral}
		}
		clients = clients[:0]
		for _, r := range ddve {
			clients = append(clients, catalog.PortRange{From: r.From, To: r.To})
		}
	}
	var out []Space
	// Requests on every protocol are answered on every protocol and port,
	// services or not: take them before the services split them up.
	for _, row := range s.Rows() {
		if row.Protocol == -1 {
			for _, prefix := range row.Prefixes {
				out = append(out, allProtocolsBut(prefix, row.Except))
			}
		}
	}
	var services []Space
	for _, svc := range opts.Services {
		if svc.Inbound != inbound {
			continue
		}
		box := UnionAll(Box(svc.Protocol, netip.PrefixFrom(netip.IPv4Unspecified(), 0), svc.From, svc.To),
			Box(svc.Protocol, netip.PrefixFrom(netip.IPv6Unspecified(), 0), svc.From, svc.To))
		services = append(services, box)
		var replies []catalog.PortRange
		if !svc.Replies.OneWay {
			replies = append(slices.Clone(clients), svc.Replies.ClientPorts...)
		}
		for _, row := range s.Intersect(box).Rows() {
			for _, prefix := range row.Prefixes {
				for _, r := range replies {
					out = append(out, Box(row.Protocol, prefix, r.From, r.To))
				}
			}
		}
	}
	s = s.Subtract(UnionAll(services...))
	for _, row := range s.Rows() {
		for _, prefix := range row.Prefixes {
			switch {
			case row.Protocol == 6 || row.Protocol == 17:
				for _, r := range clients {
					out = append(out, Box(row.Protocol, prefix, r.From, r.To))
				}
			case posture.IsICMP(row.Protocol):
				out = append(out, icmpReplies(row.Protocol, prefix, row.ICMP)...)
			case row.Protocol == -1:
				// Answered above, before the services split the row.
			default:
				out = append(out, Box(row.Protocol, prefix, 0, 0))
			}
		}
	}
	return UnionAll(out...)
}

// allProtocolsBut is every protocol and port to or from prefix, less the
// protocols named.
func allProtocolsBut(prefix netip.Prefix, except []int) Space {
	all := Box(-1, prefix, 0, 0)
	for _, p := range except {
		all = all.Subtract(Box(p, prefix, -1, -1)).Subtract(Box(p, prefix, 0, 65535))
	}
	return all
}

// icmpReplies returns the reply messages to the ICMP requests in ranges,
// by the same table Packet.Reply follows.
func icmpReplies(protocol int, prefix netip.Prefix, ranges []ICMPRange) []Space {
	var out []Space
	for _, x := range ranges {
		if x == (ICMPRange{0, 255, 0, 255}) {
			// Any message, as a rule for ICMP type -1 admits: the
			// answers are any message too (the compiler's return entry
			// of type -1).
			out = append(out, Box(protocol, prefix, -1, -1))
			continue
		}
		for t := x.TypeFrom; t <= x.TypeTo; t++ {
			reply, answered := hostmodel.ICMPReply(protocol, t)
			if !answered {
				continue
			}
			if x.CodeFrom == 0 && x.CodeTo == 255 {
				out = append(out, Box(protocol, prefix, reply, -1))
				continue
			}
			for code := x.CodeFrom; code <= x.CodeTo; code++ {
				out = append(out, Box(protocol, prefix, reply, code))
			}
		}
	}
	return out
}

// trafficRanges lays a Space out as rows of one block and one port range.
func trafficRanges(direction string, s Space) []TrafficRange {
	var out []TrafficRange
	for _, row := range s.Rows() {
		protocol := protocolLabel(row.Protocol, row.Except)
		for _, prefix := range row.Prefixes {
			base := TrafficRange{Direction: direction, Protocol: protocol, CIDR: prefix, From: -1, To: -1, Ports: "*"}
			switch {
			case row.Ports != nil:
				for _, p := range row.Ports {
					r := base
					r.From, r.To, r.Ports = p.From, p.To, Row{Ports: []PortRange{p}}.portsLabel()
					out = append(out, r)
				}
			case row.ICMP != nil:
				for _, x := range row.ICMP {
					r := base
					r.From, r.To, r.Ports = x.TypeFrom, x.TypeTo, x.String()
					out = append(out, r)
				}
			default:
				out = append(out, base)
			}
		}
	}
	return out
}

// ExposureRows lays out what passes each layer and both, ingress first.
func (c LayerCheck) ExposureRows() []ExposureRow {
	var out []ExposureRow
	for _, layer := range []struct {
		name string
		x    Exposure
	}{{LayerGroup, c.Group}, {LayerACL, c.ACL}, {LayerBoth, c.Both}} {
		for _, d := range []struct {
			direction string
			s         Space
		}{{"ingress", layer.x.Ingress}, {"egress", layer.x.Egress}} {
			for _, r := range trafficRanges(d.direction, d.s) {
				out = append(out, ExposureRow{TrafficRange: r, Layer: layer.name})
			}
		}
	}
	return out
}

// Table prints the exposure, then the mismatches, as text tables.
func (c LayerCheck) Table() string { return c.TableNaming(MismatchGroup.Cause) }

// TableNaming is Table with each mismatch's cause named by cause, such as
// by the rule's ID.
func (c LayerCheck) TableNaming(cause func(MismatchGroup) string) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "LAYER\tDIRECTION\tPROTOCOL\tREMOTE\tPORTS")
	for _, r := range tableRows(c.ExposureRows()) {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.layer, r.direction, r.protocol, r.remote, r.ports)
	}
	w.Flush()
	if len(c.Mismatches) == 0 {
		b.WriteString("\nNo mismatches: what the security group admits, the network ACL passes both ways.\n")
		return b.String()
	}
	b.WriteString("\nMISMATCHES\n")
	for _, g := range c.MismatchGroups() {
		fmt.Fprintf(&b, "- %s\n", g.Summary(cause(g)))
	}
	return b.String()
}

// tableRow is a line of the exposure table: the rows of one layer,
// direction, protocol and ports, their blocks written the short way.
type tableRow struct {
	layer, direction, protocol, ports, remote string
	blocks                                    []netip.Prefix
}

// tableRows gathers exposure rows that differ only in their block, so
// that "0.0.0.0/0 except 5.5.5.5/32" takes one line instead of 32.
func tableRows(rows []ExposureRow) []tableRow {
	var out []tableRow
	index := map[[4]string]int{}
	for _, r := range rows {
		key := [4]string{r.Layer, r.Direction, r.Protocol, r.Ports}
		i, seen := index[key]
		if !seen {
			i = len(out)
			index[key] = i
			out = append(out, tableRow{layer: r.Layer, direction: r.Direction, protocol: r.Protocol, ports: r.Ports})
		}
		out[i].blocks = append(out[i].blocks, r.CIDR)
	}
	for i := range out {
		out[i].remote = describeAddresses(FewestPrefixes(out[i].blocks))
	}
	return out
}
