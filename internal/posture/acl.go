package posture

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
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
}

// CompileACL turns an intent into stateless entries. Each flow gets its
// request entry and its return entry on the ephemeral range, scoped to the
// same peer; denies come first in the order written; numbers are stable
// against opts.Previous.
func CompileACL(in Intent, opts ACLOptions) ([]Entry, error) {
	flows, problems := flatten(in)
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
	for _, f := range flows {
		list.addFlow(f, ephemeralFrom, ephemeralTo, opts.PrefixListCIDRs, &problems)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	if opts.DefaultAction == Allow {
		list.addAllowAll(list.hasIPv6)
	}

	entries, err := number(list.entries, opts.Previous)
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
	hasIPv6 bool
}

func newEntryList(capacity int) *entryList {
	return &entryList{entries: make([]pendingEntry, 0, capacity), index: make(map[EntryKey]int, capacity)}
}

func (l *entryList) add(e Entry, b band, purpose string) {
	if e.IPv6CIDRBlock != "" {
		l.hasIPv6 = true
	}
	key := e.Key()
	if i, ok := l.index[key]; ok {
		if p := &l.entries[i]; !slices.Contains(p.purposes, purpose) {
			p.purposes = append(p.purposes, purpose)
		}
		return
	}
	l.index[key] = len(l.entries)
	l.entries = append(l.entries, pendingEntry{Entry: e, band: b, purposes: []string{purpose}})
}

func (l *entryList) addDeny(at Path, i int, d DenyRule, problems *Problems) {
	var cidr, cidr6 string
	switch {
	case d.CIDRBlock != "" && d.IPv6CIDRBlock != "", d.CIDRBlock == "" && d.IPv6CIDRBlock == "":
		problems.add(at, "Deny needs one CIDR", "Give exactly one of cidr_block and ipv6_cidr_block.")
		return
	case d.CIDRBlock != "":
		p, ok := parseCIDR(func() Path { return at.Name("cidr_block") }, d.CIDRBlock, false, false, problems)
		if !ok {
			return
		}
		cidr = p.String()
	default:
		p, ok := parseCIDR(func() Path { return at.Name("ipv6_cidr_block") }, d.IPv6CIDRBlock, true, false, problems)
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
	if hasPorts(proto) && from == nil && to == nil {
		return 0, 65535, true
	}
	return parseRulePorts(at, proto, from, to, problems)
}

func setPorts(e *Entry, proto, from, to int) {
	switch {
	case hasPorts(proto):
		e.FromPort, e.ToPort = from, to
	case isICMP(proto):
		e.ICMPType, e.ICMPCode = from, to
	}
}

func (l *entryList) addFlow(f flow, ephemeralFrom, ephemeralTo int, prefixLists map[string][]string, problems *Problems) {
	cidrs := l.flowCIDRs(f, prefixLists, problems)
	requestEgress := f.opener == Egress
	proto := strconv.Itoa(f.proto)
	requestPurpose, returnPurpose := f.origin+": "+f.purpose, f.origin+": return traffic"
	for _, cidr := range cidrs {
		request := Entry{Egress: requestEgress, Action: Allow, Protocol: proto}
		cidr.set(&request)
		setPorts(&request, f.proto, f.from, f.to)
		l.add(request, bandAllow, requestPurpose)

		// ICMP carries no ports to return to, and its replies are messages of
		// their own type: a custom ICMP rule gets its request entry only.
		if isICMP(f.proto) {
			continue
		}
		response := Entry{Egress: !requestEgress, Action: Allow, Protocol: proto}
		cidr.set(&response)
		setPorts(&response, f.proto, ephemeralFrom, ephemeralTo)
		l.add(response, bandAllow, returnPurpose)
	}
}

// flowCIDRs returns the flow's peers as CIDRs, resolving prefix lists and
// refusing security groups, which ACL entries cannot reference.
func (l *entryList) flowCIDRs(f flow, prefixLists map[string][]string, problems *Problems) []cidr {
	out := make([]cidr, 0, len(f.peers))
	at := Root("profiles").MapKey(f.origin)
	if f.origin == CustomOrigin {
		at = Root("custom_rules")
	}
	for _, p := range f.peers {
		switch p.kind {
		case peerIPv4:
			out = append(out, cidr{value: p.value})
		case peerIPv6:
			out = append(out, cidr{value: p.value, ipv6: true})
		case peerGroup:
			problem := Problem{Path: at.Name("security_group_ids"), Summary: "Security groups cannot be ACL peers",
				Detail: fmt.Sprintf("Network ACL entries take CIDR blocks only, so %s cannot be a peer here: use the CIDR blocks of the hosts in that group in cidr_blocks, or its subnets' CIDRs.", p.value)}
			if !slices.ContainsFunc(*problems, func(q Problem) bool { return q.Detail == problem.Detail }) {
				*problems = append(*problems, problem)
			}
		case peerPrefixList:
			resolved, ok := prefixLists[p.value]
			if !ok {
				problems.add(at.Name("prefix_list_ids").SetValue(p.value), "Prefix list not resolved",
					"The entries of prefix list %s could not be read; check that it exists in this region.", p.value)
				continue
			}
			for _, s := range resolved {
				prefix, err := netip.ParsePrefix(s)
				if err != nil {
					problems.add(at.Name("prefix_list_ids").SetValue(p.value), "Invalid prefix list entry",
						"Prefix list %s holds %q, which is not a CIDR.", p.value, s)
					continue
				}
				out = append(out, cidr{value: prefix.Masked().String(), ipv6: prefix.Addr().Is6()})
			}
		}
	}
	return out
}

// cidr is a canonical block of either family.
type cidr struct {
	value string
	ipv6  bool
}

func (c cidr) set(e *Entry) {
	if c.ipv6 {
		e.IPv6CIDRBlock = c.value
	} else {
		e.CIDRBlock = c.value
	}
}

func (l *entryList) addAllowAll(ipv6 bool) {
	for _, egress := range []bool{false, true} {
		l.add(Entry{Egress: egress, Action: Allow, Protocol: "-1", CIDRBlock: "0.0.0.0/0"}, bandAllowAll, "default_action allow")
		if ipv6 {
			l.add(Entry{Egress: egress, Action: Allow, Protocol: "-1", IPv6CIDRBlock: "::/0"}, bandAllowAll, "default_action allow")
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
