package posture

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
)

// Defaults of the network ACL compiler.
const (
	DefaultEntriesPerDirectionQuota = 20
	// MaxEntriesPerDirectionQuota is the most AWS allows: the quota of 20
	// can be raised to 40, and no further (VPC quotas page).
	MaxEntriesPerDirectionQuota = 40
	// MinEntriesPerDirectionQuota holds one entry and the built-in deny.
	MinEntriesPerDirectionQuota = 2
	DefaultEphemeralFrom        = 1024
	DefaultEphemeralTo          = 65535
)

// Entry actions.
const (
	Allow = "allow"
	Deny  = "deny"
)

// Entry is one network ACL entry.
type Entry struct {
	RuleNumber    int
	Egress        bool
	Action        string
	Protocol      string // the AWS number as a string: "6", "17", "-1"
	CIDRBlock     string
	IPv6CIDRBlock string
	FromPort      int // 0 unless the protocol is TCP or UDP
	ToPort        int
	ICMPType      int // 0 unless the protocol is ICMP or ICMPv6
	ICMPCode      int
	// Purpose says which profile, custom rule or deny produced the entry.
	Purpose string
}

// EntryKey identifies what an entry does, whatever its number.
type EntryKey struct {
	Egress                   bool
	Action, Protocol         string
	CIDRBlock, IPv6CIDRBlock string
	FromPort, ToPort         int
	ICMPType, ICMPCode       int
}

// Key returns what the entry does, without its number and purpose.
func (e Entry) Key() EntryKey {
	return EntryKey{e.Egress, e.Action, e.Protocol, e.CIDRBlock, e.IPv6CIDRBlock, e.FromPort, e.ToPort, e.ICMPType, e.ICMPCode}
}

// CIDR returns the entry's block, whichever family it is.
func (e Entry) CIDR() string { return e.CIDRBlock + e.IPv6CIDRBlock }

// Direction returns Ingress or Egress.
func (e Entry) Direction() string {
	if e.Egress {
		return Egress
	}
	return Ingress
}

// DenyRule is an explicit deny of the ACL.
type DenyRule struct {
	CIDRBlock     string
	IPv6CIDRBlock string
	Direction     string // ingress (default), egress or both
	Protocol      string // all (default), tcp, udp, icmp, icmpv6 or a number
	FromPort      *int
	ToPort        *int
}

// ACLOptions are the network ACL's settings beyond the shared intent.
type ACLOptions struct {
	// EphemeralFrom and EphemeralTo bound the ports peers' clients send
	// from, where the answers to the connections they open go; both zero
	// means 1024-65535, which covers Linux, Windows, NAT gateways and load
	// balancers.
	EphemeralFrom, EphemeralTo int
	// DDVEEphemeralFrom and DDVEEphemeralTo bound the ports DDVE's own
	// connections come back to. Both zero means DDVEEphemeralPorts' default:
	// 1024-65535 less the ports DDVE listens on, so that a peer DDVE only
	// connects to never reaches them through a return entry.
	DDVEEphemeralFrom, DDVEEphemeralTo int
	Deny                               []DenyRule
	DefaultAction                      string // deny (default) or allow
	EntriesPerDirectionQuota           int    // defaults to 20, the built-in deny included
	// PrefixListCIDRs holds each prefix list's CIDRs: ACL entries take
	// CIDRs only, so the caller resolves the lists first.
	PrefixListCIDRs map[string][]string
	// Previous is the numbering in force: an entry that survives keeps it.
	Previous []Entry
}

// CompileACL turns an intent into stateless entries. Each flow gets its
// request entry and, unless it is one-way, its return entry on the ports
// its real clients send from, scoped to the same peer; denies come first
// in the order written; numbers are stable against opts.Previous.
func CompileACL(in Intent, opts ACLOptions) ([]Entry, error) {
	flows, problems := intentFlows(in)
	ephemeralFrom, ephemeralTo := opts.EphemeralFrom, opts.EphemeralTo
	if ephemeralFrom == 0 && ephemeralTo == 0 {
		ephemeralFrom, ephemeralTo = DefaultEphemeralFrom, DefaultEphemeralTo
	}
	checkPortRange(Root("ephemeral_ports"), ephemeralFrom, ephemeralTo, &problems)
	if opts.DDVEEphemeralFrom != 0 || opts.DDVEEphemeralTo != 0 {
		checkPortRange(Root("ddve_ephemeral_ports"), opts.DDVEEphemeralFrom, opts.DDVEEphemeralTo, &problems)
	}
	if opts.DefaultAction != "" && opts.DefaultAction != Allow && opts.DefaultAction != Deny {
		problems.add(Root("default_action"), "Invalid default action",
			"default_action is %q: use \"deny\" (only the profiles' flows pass) or \"allow\" (everything not denied passes).", opts.DefaultAction)
	}

	// Room for an entry per flow and peer: flows share many, and return
	// entries are kept apart.
	capacity := 2*len(opts.Deny) + 4
	for _, f := range flows {
		capacity += len(f.peers)
	}
	list := newEntryList(capacity)
	for i, d := range opts.Deny {
		list.addDeny(Root("deny").Index(i), i, d, &problems)
	}
	ephemeral := catalog.PortRange{From: ephemeralFrom, To: ephemeralTo}
	ddveEphemeral := ddveEphemeralPorts(flows, opts)
	for _, f := range flows {
		clients := []catalog.PortRange{ephemeral}
		switch {
		case f.replyPorts != nil:
			clients = f.replyPorts
		case f.opener == Egress:
			clients = ddveEphemeral
		}
		list.addFlow(f, clients, opts.PrefixListCIDRs, in.AllowPublicIngress, &problems)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	if opts.DefaultAction == Allow {
		list.addAllowAll()
	} else if in.PathMTUDiscovery {
		// A deny-list ACL's allow-all passes these messages already.
		ipv4, ipv6 := pmtuFamilies(flows, opts.PrefixListCIDRs)
		list.addPathMTU(pmtuFlows(ipv4, ipv6, true, 0))
	}

	entries, err := list.number(list.dropCovered(list.order()), opts.Previous)
	if err != nil {
		return nil, err
	}
	if err := checkACLQuota(entries, opts.EntriesPerDirectionQuota); err != nil {
		return nil, err
	}
	return entries, nil
}

func (l *entryList) addDeny(at Path, i int, d DenyRule, problems *Problems) {
	var cidr, cidr6 string
	switch {
	case d.CIDRBlock != "" && d.IPv6CIDRBlock != "", d.CIDRBlock == "" && d.IPv6CIDRBlock == "":
		problems.add(at, "Deny needs one CIDR", "Give exactly one of cidr_block and ipv6_cidr_block.")
		return
	case d.CIDRBlock != "":
		p, ok := parseCIDR(func() Path { return at.Name("cidr_block") }, "ipv6_cidr_block", d.CIDRBlock, false, false, problems)
		if !ok {
			return
		}
		cidr = p.String()
	default:
		p, ok := parseCIDR(func() Path { return at.Name("ipv6_cidr_block") }, "cidr_block", d.IPv6CIDRBlock, true, false, problems)
		if !ok {
			return
		}
		cidr6 = p.String()
	}
	protocol := cmp.Or(d.Protocol, "all")
	proto, ok := ProtocolNumber(protocol)
	if !ok {
		problems.add(at.Name("protocol"), "Invalid protocol",
			"protocol is %q: use all, tcp, udp, icmp, icmpv6 or a protocol number.", protocol)
		return
	}
	from, to, ok := denyPorts(at, proto, d.FromPort, d.ToPort, problems)
	if !ok {
		return
	}
	var egressValues []bool
	switch cmp.Or(d.Direction, Ingress) {
	case Ingress:
		egressValues = []bool{false}
	case Egress:
		egressValues = []bool{true}
	case "both":
		egressValues = []bool{false, true}
	default:
		problems.add(at.Name("direction"), "Invalid direction",
			"direction is %q: use ingress, egress or both.", d.Direction)
		return
	}
	block := l.blocks.number(cidr+cidr6, cidr6 != "")
	purpose := l.purposes.id(fmt.Sprintf("deny[%d]", i))
	for _, egress := range egressValues {
		l.add(newEntryID(l.class(newEntryClass(egress, true, proto, from, to)), block), bandDeny, purpose)
	}
}

// denyPorts: a deny on TCP or UDP without ports covers every port.
func denyPorts(at Path, proto int, from, to *int, problems *Problems) (int, int, bool) {
	if HasPorts(proto) && from == nil && to == nil {
		return 0, 65535, true
	}
	return parseRulePorts(at, proto, from, to, problems)
}

// addFlow records a flow's entries; ephemeral is where its opener's
// client sends from: a peer's ephemeral range, or DDVE's.
func (l *entryList) addFlow(f flow, ephemeral []catalog.PortRange, prefixLists map[string][]string, allowPublic bool, problems *Problems) {
	set, cidrs := l.peerCIDRs(f, prefixLists, problems)
	requestEgress := f.opener == Egress
	requestPurpose, returnPurpose := l.purposes.id(f.origin+": "+f.purpose), l.purposes.id(f.origin+": return traffic")
	replies := f.replies
	if replies.OneWay && fault("one-way flow answered") {
		replies.OneWay = false
	}
	replyPorts := replyPortsOver(replies, ephemeral)
	request := l.class(newEntryClass(requestEgress, false, f.proto, f.from, f.to))
	var response int32
	switch {
	case replies.OneWay, HasPorts(f.proto):
		// No answer, or answers merged over the flows to each peer.
	case IsICMP(f.proto):
		// An ICMP answer is a message of its own type, with the request's
		// code.
		replyType, _ := ICMPReplyType(f.proto, f.from)
		if fault("ICMP reply type not mapped") {
			replyType = f.from
		}
		response = l.class(newEntryClass(!requestEgress, false, f.proto, replyType, f.to))
	default:
		response = l.class(newEntryClass(!requestEgress, false, f.proto, 0, 0))
	}
	guarded := cidrs
	if fault("public guard skipping prefix lists") {
		guarded = slices.DeleteFunc(slices.Clone(cidrs), func(c cidr) bool { return c.prefixList != "" })
	}
	if !allowPublic && (!requestEgress || !f.replies.OneWay) && !set.familyChecked {
		// Blocks that only together make the internet, typed or from
		// prefix lists. The flows of a peer list share its place and
		// origin, so one check answers for all of them.
		set.familyChecked = true
		refuseWholeFamily(f.at, originLabel(f.origin), guarded, cidrBlock, problems)
	}
	for _, c := range cidrs {
		if !allowPublic && c.public && (!requestEgress || !f.replies.OneWay) && (c.prefixList == "" || !fault("public guard skipping prefix lists")) {
			refusePublicEntry(f, c, replyPorts, problems)
			continue
		}
		l.add(newEntryID(request, c.block), bandAllow, requestPurpose)
		switch {
		case replies.OneWay:
		case HasPorts(f.proto):
			block := c.block
			if fault("return entry widened to 0.0.0.0/0") {
				block = l.blocks.number("0.0.0.0/0", false)
			}
			l.addReturn(!requestEgress, f.proto, block, replyPorts, returnPurpose)
		default:
			l.add(newEntryID(response, c.block), bandAllow, returnPurpose)
		}
	}
}

// refusePublicEntry reports an entry that would admit the whole internet
// inbound: a public peer of an inbound flow, or the return traffic of an
// outbound one. It names the attribute the block came from, typed or
// through a prefix list.
func refusePublicEntry(f flow, c cidr, replyPorts []catalog.PortRange, problems *Problems) {
	field := "cidr_blocks"
	if c.ipv6 {
		field = "ipv6_cidr_blocks"
	}
	block := c.prefix.String()
	value, via := block, ""
	if c.prefixList != "" {
		field, value, via = "prefix_list_ids", c.prefixList, fmt.Sprintf(" (prefix list %s holds it)", c.prefixList)
	}
	what := trafficText(f.proto, []catalog.PortRange{{From: f.from, To: f.to}})
	if f.opener == Egress {
		what = trafficText(f.proto, replyPorts) + " as return traffic"
	}
	problems.addOnce(f.at.Name(field).SetValue(value), "Public ingress refused",
		"%s%s would let the whole internet in: %s %s admits it inbound on %s. Against Dell's guidance for DDVE on AWS. Name the peers, or set allow_public_ingress = true if this is intended.",
		block, via, originLabel(f.origin), f.purpose, what)
}

func originLabel(origin string) string {
	if origin == CustomOrigin {
		return "the custom rule"
	}
	return "profile " + origin
}

// trafficText reads like "tcp 1024-65535", "icmp" or "all protocols".
func trafficText(proto int, ranges []catalog.PortRange) string {
	switch {
	case proto == ProtoAll:
		return "all protocols"
	case !HasPorts(proto):
		return protocolLabel(proto)
	}
	parts := make([]string, len(ranges))
	for i, r := range ranges {
		parts[i] = r.String()
	}
	return protocolLabel(proto) + " " + strings.Join(parts, ", ")
}

// addPathMTU records path MTU discovery's entries, in their own band,
// outside the public-ingress guard: an error message opens no port.
func (l *entryList) addPathMTU(flows []flow) {
	for _, f := range flows {
		if f.proto == ProtoICMPv6 && fault("ICMPv6 packet too big missing from the ACL") {
			continue
		}
		p := f.peers[0]
		block := l.blocks.number(p.value, p.kind == peerIPv6)
		class := l.class(newEntryClass(f.opener == Egress, false, f.proto, f.from, f.to))
		l.add(newEntryID(class, block), bandPMTU, l.purposes.id(f.origin+": "+f.purpose))
	}
}

// addAllowAll ends a deny-list ACL. IPv6 is allowed whether or not any peer
// is IPv6: the ACL cannot know whether its VPC is dual-stack, and an IPv6
// entry in an IPv4-only VPC matches nothing, while a missing one would cut
// a dual-stack VPC's IPv6 traffic off at the built-in deny.
func (l *entryList) addAllowAll() {
	v4, v6 := l.blocks.number("0.0.0.0/0", false), l.blocks.number("::/0", true)
	purpose := l.purposes.id("default_action allow")
	for _, egress := range []bool{false, true} {
		class := l.class(newEntryClass(egress, false, ProtoAll, 0, 0))
		l.add(newEntryID(class, v4), bandAllowAll, purpose)
		if !fault("IPv6 allow-all missing") {
			l.add(newEntryID(class, v6), bandAllowAll, purpose)
		}
	}
}

// SortEntries orders entries as AWS evaluates them: ingress then egress,
// each by rule number.
func SortEntries(entries []Entry) {
	slices.SortFunc(entries, func(a, b Entry) int {
		return cmp.Or(
			cmp.Compare(directionOrder(a.Direction()), directionOrder(b.Direction())),
			cmp.Compare(a.RuleNumber, b.RuleNumber),
		)
	})
}

func (e Entry) String() string {
	return fmt.Sprintf("%s #%d %s proto %s %s %d-%d", e.Direction(), e.RuleNumber, e.Action, e.Protocol, e.CIDR(), e.FromPort, e.ToPort)
}

// DDVEServicePorts are the ports DDVE listens on whatever the posture:
// the portmapper 111, NFS and DD Boost 2049, replication 2051, mountd
// 2052 (Dell's wording, source C) and the REST API 3009 (source E).
var DDVEServicePorts = []int{111, 2049, 2051, 2052, 3009}

// DDVEEphemeralPorts returns where the answers to DDVE's own connections
// go: ddve_ephemeral_ports when set, else 1024-65535 less the ports DDVE
// listens on (DDVEServicePorts and every port an inbound profile of the
// intent opens), since DD OS's range is not documented. A return entry
// towards a peer DDVE only connects to then never covers a service port.
func DDVEEphemeralPorts(in Intent, opts ACLOptions) []catalog.PortRange {
	flows, _ := intentFlows(in)
	return ddveEphemeralPorts(flows, opts)
}

func ddveEphemeralPorts(flows []flow, opts ACLOptions) []catalog.PortRange {
	if opts.DDVEEphemeralFrom != 0 || opts.DDVEEphemeralTo != 0 {
		return []catalog.PortRange{{From: opts.DDVEEphemeralFrom, To: opts.DDVEEphemeralTo}}
	}
	if fault("DDVE-side return range covering 2049") {
		return []catalog.PortRange{{From: DefaultEphemeralFrom, To: DefaultEphemeralTo}}
	}
	listening := make([]catalog.PortRange, 0, len(DDVEServicePorts)+8)
	for _, p := range DDVEServicePorts {
		listening = append(listening, catalog.PortRange{From: p, To: p})
	}
	for _, f := range flows {
		if f.opener == Ingress && HasPorts(f.proto) && f.origin != CustomOrigin {
			listening = append(listening, catalog.PortRange{From: f.from, To: f.to})
		}
	}
	return subtractRanges(catalog.PortRange{From: DefaultEphemeralFrom, To: DefaultEphemeralTo}, mergeRanges(listening))
}

// subtractRanges returns r less the sorted, disjoint ranges holes.
func subtractRanges(r catalog.PortRange, holes []catalog.PortRange) []catalog.PortRange {
	var out []catalog.PortRange
	from := r.From
	for _, h := range holes {
		if h.To < from || h.From > r.To {
			continue
		}
		if h.From > from {
			out = append(out, catalog.PortRange{From: from, To: h.From - 1})
		}
		from = h.To + 1
	}
	if from <= r.To {
		out = append(out, catalog.PortRange{From: from, To: r.To})
	}
	return out
}
