package posture

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
)

// Defaults of the network ACL compiler.
const (
	DefaultEntriesPerDirectionQuota = 20
	DefaultEphemeralFrom            = 1024
	DefaultEphemeralTo              = 65535
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
	// EphemeralFrom and EphemeralTo bound the ports responses go to; both
	// zero means 1024-65535, which covers Linux, Windows, NAT gateways and
	// load balancers.
	EphemeralFrom, EphemeralTo int
	Deny                       []DenyRule
	DefaultAction              string // deny (default) or allow
	EntriesPerDirectionQuota   int    // defaults to 20, the built-in deny included
	// PrefixListCIDRs holds each prefix list's CIDRs: ACL entries take
	// CIDRs only, so the caller resolves the lists first.
	PrefixListCIDRs map[string][]string
	// Previous is the numbering in force: an entry that survives keeps it.
	Previous []Entry
}

type pendingEntry struct {
	Entry
	band     band
	purposes []string
	// returnGroup is the index of the return traffic this slot stands for,
	// or -1: return ranges are merged once every flow is known, and take
	// the place of the first flow that needed them.
	returnGroup int
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
	if opts.DefaultAction != "" && opts.DefaultAction != Allow && opts.DefaultAction != Deny {
		problems.add(Root("default_action"), "Invalid default action",
			"default_action is %q: use \"deny\" (only the profiles' flows pass) or \"allow\" (everything not denied passes).", opts.DefaultAction)
	}

	capacity := 2*len(opts.Deny) + 4
	for _, f := range flows {
		capacity += 2 * len(f.peers)
	}
	list := newEntryList(capacity)
	for i, d := range opts.Deny {
		list.addDeny(Root("deny").Index(i), i, d, &problems)
	}
	ephemeral := catalog.PortRange{From: ephemeralFrom, To: ephemeralTo}
	for _, f := range flows {
		list.addFlow(f, ephemeral, opts.PrefixListCIDRs, in.AllowPublicIngress, &problems)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	if opts.DefaultAction == Allow {
		list.addAllowAll()
	}

	entries, err := number(list.merged(), opts.Previous)
	if err != nil {
		return nil, err
	}
	if err := checkACLQuota(entries, opts.EntriesPerDirectionQuota); err != nil {
		return nil, err
	}
	return entries, nil
}

// entryList gathers entries in compile order, merging duplicates.
type entryList struct {
	entries []pendingEntry
	index   map[EntryKey]int
	returns []returnTraffic
	// returnIndex finds the return traffic a later flow to the same peer
	// and protocol shares.
	returnIndex map[returnKey]int
}

// returnKey is what return entries can be merged over: one direction, one
// protocol with ports, one peer.
type returnKey struct {
	egress bool
	proto  int
	// peer is the block itself: the same block typed in one profile and
	// resolved from a prefix list in another is one peer.
	peer string
	ipv6 bool
}

type returnTraffic struct {
	returnKey
	ports    []catalog.PortRange
	purposes []string
}

func newEntryList(capacity int) *entryList {
	return &entryList{
		entries: make([]pendingEntry, 0, capacity), index: make(map[EntryKey]int, capacity),
		returnIndex: make(map[returnKey]int),
	}
}

func (l *entryList) add(e Entry, b band, purposes ...string) {
	key := e.Key()
	if i, ok := l.index[key]; ok {
		p := &l.entries[i]
		for _, purpose := range purposes {
			if !slices.Contains(p.purposes, purpose) {
				p.purposes = append(p.purposes, purpose)
			}
		}
		return
	}
	l.index[key] = len(l.entries)
	l.entries = append(l.entries, pendingEntry{Entry: e, band: b, purposes: slices.Clone(purposes), returnGroup: -1})
}

// addReturn records reply ports towards a peer; merged() turns them into
// entries.
func (l *entryList) addReturn(key returnKey, ports []catalog.PortRange, purpose string) {
	i, ok := l.returnIndex[key]
	if !ok {
		i = len(l.returns)
		l.returnIndex[key] = i
		l.returns = append(l.returns, returnTraffic{returnKey: key})
		l.entries = append(l.entries, pendingEntry{band: bandAllow, returnGroup: i})
	}
	r := &l.returns[i]
	r.ports = append(r.ports, ports...)
	if !slices.Contains(r.purposes, purpose) {
		r.purposes = append(r.purposes, purpose)
	}
}

// merged returns the entries with each peer's return ranges merged where
// they touch or overlap, in the place of the first flow that needed them.
func (l *entryList) merged() []pendingEntry {
	if len(l.returns) == 0 {
		return l.entries
	}
	out := newEntryList(len(l.entries) + len(l.returns))
	for _, p := range l.entries {
		if p.returnGroup < 0 {
			out.add(p.Entry, p.band, p.purposes...)
			continue
		}
		r := l.returns[p.returnGroup]
		for _, ports := range mergeRanges(r.ports) {
			e := Entry{Egress: r.egress, Action: Allow, Protocol: strconv.Itoa(r.proto), FromPort: ports.From, ToPort: ports.To}
			cidr{value: r.peer, ipv6: r.ipv6}.set(&e)
			out.add(e, bandAllow, r.purposes...)
		}
	}
	return out.entries
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
	for _, egress := range egressValues {
		e := Entry{Egress: egress, Action: Deny, Protocol: strconv.Itoa(proto), CIDRBlock: cidr, IPv6CIDRBlock: cidr6}
		setPorts(&e, proto, from, to)
		l.add(e, bandDeny, fmt.Sprintf("deny[%d]", i))
	}
}

// denyPorts: a deny on TCP or UDP without ports covers every port.
func denyPorts(at Path, proto int, from, to *int, problems *Problems) (int, int, bool) {
	if HasPorts(proto) && from == nil && to == nil {
		return 0, 65535, true
	}
	return parseRulePorts(at, proto, from, to, problems)
}

func setPorts(e *Entry, proto, from, to int) {
	switch {
	case HasPorts(proto):
		e.FromPort, e.ToPort = from, to
	case IsICMP(proto):
		e.ICMPType, e.ICMPCode = from, to
	}
}

func (l *entryList) addFlow(f flow, ephemeral catalog.PortRange, prefixLists map[string][]string, allowPublic bool, problems *Problems) {
	cidrs := l.flowCIDRs(f, prefixLists, problems)
	requestEgress := f.opener == Egress
	proto := strconv.Itoa(f.proto)
	requestPurpose, returnPurpose := f.origin+": "+f.purpose, f.origin+": return traffic"
	replyPorts := ReplyPorts(f.replies, ephemeral)
	if !allowPublic && (!requestEgress || !f.replies.OneWay) {
		// Blocks that only together make the internet, typed or from
		// prefix lists.
		var peers []peer
		for _, c := range cidrs {
			kind := peerIPv4
			if c.ipv6 {
				kind = peerIPv6
			}
			peers = append(peers, peer{kind: kind, value: c.value})
		}
		refuseWholeFamily(f.at, originLabel(f.origin), peers, problems)
	}
	for _, c := range cidrs {
		if !allowPublic && c.public && (!requestEgress || !f.replies.OneWay) {
			refusePublicEntry(f, c, replyPorts, problems)
			continue
		}
		request := Entry{Egress: requestEgress, Action: Allow, Protocol: proto}
		c.set(&request)
		setPorts(&request, f.proto, f.from, f.to)
		l.add(request, bandAllow, requestPurpose)

		switch {
		case f.replies.OneWay:
		case HasPorts(f.proto):
			l.addReturn(returnKey{egress: !requestEgress, proto: f.proto, peer: c.value, ipv6: c.ipv6}, replyPorts, returnPurpose)
		case IsICMP(f.proto):
			// An ICMP answer is a message of its own type, with the
			// request's code.
			replyType, _ := ICMPReplyType(f.proto, f.from)
			response := Entry{Egress: !requestEgress, Action: Allow, Protocol: proto, ICMPType: replyType, ICMPCode: f.to}
			c.set(&response)
			l.add(response, bandAllow, returnPurpose)
		default:
			response := Entry{Egress: !requestEgress, Action: Allow, Protocol: proto}
			c.set(&response)
			l.add(response, bandAllow, returnPurpose)
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
	value, via := c.value, ""
	if c.prefixList != "" {
		field, value, via = "prefix_list_ids", c.prefixList, fmt.Sprintf(" (prefix list %s holds it)", c.prefixList)
	}
	what := trafficText(f.proto, []catalog.PortRange{{From: f.from, To: f.to}})
	if f.opener == Egress {
		what = trafficText(f.proto, replyPorts) + " as return traffic"
	}
	problems.addOnce(f.at.Name(field).SetValue(value), "Public ingress refused",
		"%s%s would let the whole internet in: %s %s admits it inbound on %s. Against Dell's guidance for DDVE on AWS. Name the peers, or set allow_public_ingress = true if this is intended.",
		c.value, via, originLabel(f.origin), f.purpose, what)
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

// flowCIDRs returns the flow's peers as CIDRs, resolving prefix lists and
// refusing security groups, which ACL entries cannot reference.
func (l *entryList) flowCIDRs(f flow, prefixLists map[string][]string, problems *Problems) []cidr {
	out := make([]cidr, 0, len(f.peers))
	for _, p := range f.peers {
		switch p.kind {
		case peerIPv4:
			out = append(out, newCIDR(netip.MustParsePrefix(p.value), ""))
		case peerIPv6:
			out = append(out, newCIDR(netip.MustParsePrefix(p.value), ""))
		case peerGroup:
			problems.addOnce(f.at.Name("security_group_ids").SetValue(p.value), "Security groups cannot be ACL peers",
				"Network ACL entries take CIDR blocks only, so %s cannot be a peer here: use the CIDR blocks of the hosts in that group in cidr_blocks, or its subnets' CIDRs.", p.value)
		case peerPrefixList:
			resolved, ok := prefixLists[p.value]
			if !ok {
				problems.add(f.at.Name("prefix_list_ids").SetValue(p.value), "Prefix list not resolved",
					"The entries of prefix list %s could not be read; check that it exists in this region.", p.value)
				continue
			}
			for _, s := range resolved {
				prefix, err := netip.ParsePrefix(s)
				if err != nil {
					problems.add(f.at.Name("prefix_list_ids").SetValue(p.value), "Invalid prefix list entry",
						"Prefix list %s holds %q, which is not a CIDR.", p.value, s)
					continue
				}
				out = append(out, newCIDR(prefix.Masked(), p.value))
			}
		}
	}
	return out
}

// cidr is a canonical block of either family, with the prefix list it
// came from, if any.
type cidr struct {
	value      string
	ipv6       bool
	public     bool // 0.0.0.0/0 or ::/0
	prefixList string
}

func newCIDR(p netip.Prefix, prefixList string) cidr {
	return cidr{value: p.String(), ipv6: p.Addr().Is6(), public: p.Bits() == 0, prefixList: prefixList}
}

func (c cidr) set(e *Entry) {
	if c.ipv6 {
		e.IPv6CIDRBlock = c.value
	} else {
		e.CIDRBlock = c.value
	}
}

// addAllowAll ends a deny-list ACL. IPv6 is allowed whether or not any peer
// is IPv6: the ACL cannot know whether its VPC is dual-stack, and an IPv6
// entry in an IPv4-only VPC matches nothing, while a missing one would cut
// a dual-stack VPC's IPv6 traffic off at the built-in deny.
func (l *entryList) addAllowAll() {
	for _, egress := range []bool{false, true} {
		l.add(Entry{Egress: egress, Action: Allow, Protocol: "-1", CIDRBlock: "0.0.0.0/0"}, bandAllowAll, "default_action allow")
		l.add(Entry{Egress: egress, Action: Allow, Protocol: "-1", IPv6CIDRBlock: "::/0"}, bandAllowAll, "default_action allow")
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
