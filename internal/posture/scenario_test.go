package posture_test

import (
	"fmt"
	"net/netip"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

var ddve = netip.MustParseAddr("10.9.0.5")

// Peer pools, all outside DDVE's subnet 10.9.0.0/16. 10.0.2.128/25 lies
// inside 10.0.2.0/24, so overlapping peers occur.
var (
	ipv4Pool = []string{"10.0.1.10/32", "10.0.2.0/24", "10.1.0.0/16", "172.16.4.0/22", "10.0.2.128/25"}
	ipv6Pool = []string{"2001:db8:1::/64", "2001:db8:2::10/128"}
)

// Prefix lists and security groups the scenarios may name: the S3 list, an
// empty list, one that holds the whole internet, an IPv6 list.
const (
	listS3    = "pl-0123456789abcdef0"
	listEmpty = "pl-00000000000000000"
	listWorld = "pl-0ffffffffffffffff"
	listHalf6 = "pl-0fffffffffffffff6"
	listIPv6  = "pl-06666666666666666"
	peerGroup = "sg-0123456789abcdef0"
)

var (
	prefixLists = map[string][]string{
		listS3:    {"3.5.0.0/19", "52.216.0.0/15"},
		listEmpty: {},
		listWorld: {"0.0.0.0/0"},
		listHalf6: {"::/1", "8000::/1"}, // the IPv6 internet in halves
		listIPv6:  {"2001:db8:77::/48"},
	}
	listWeights = map[string]posture.PrefixListWeight{
		listS3:    {Weight: 1, Family: "IPv4", AWSManaged: true},
		listEmpty: {Weight: 5, Family: "IPv4"},
		listWorld: {Weight: 2, Family: "IPv4"},
		listHalf6: {Weight: 2, Family: "IPv6"},
		listIPv6:  {Weight: 3, Family: "IPv6"},
	}
	groupMembers = map[string][]netip.Addr{peerGroup: {netip.MustParseAddr("10.3.3.3")}}
)

// scenario is a posture drawn from fuzz bytes, with everything the
// compilers and the oracle need beside it.
type scenario struct {
	intent    posture.Intent
	ephemeral portSpan
	// ddveEphemeral is ddve_ephemeral_ports, or zero for the default.
	ddveEphemeral portSpan
	deny          []posture.DenyRule
	defaultAllow  bool
	// client is the kind of client and the draw of its port that the
	// packet-level check sends from.
	client     string
	clientPick int
}

type byteSource struct {
	data []byte
	i    int
}

func (b *byteSource) next() int {
	if len(b.data) == 0 {
		return 0
	}
	v := b.data[b.i%len(b.data)]
	b.i++
	return int(v)
}

func (b *byteSource) pick(options []string) string { return options[b.next()%len(options)] }

func newScenario(data []byte) scenario {
	src := &byteSource{data: data}
	s := scenario{intent: posture.Intent{Profiles: map[string]posture.Peers{}}}
	for _, p := range catalog.All() {
		if src.next()%3 == 0 {
			continue
		}
		s.intent.Profiles[p.Name] = drawPeers(src)
	}
	for range src.next() % 3 {
		s.intent.CustomRules = append(s.intent.CustomRules, drawCustomRule(src))
	}
	// At most one peer that a compiler must refuse or guard, so most
	// scenarios still compile and have their exposure compared.
	if src.next()%4 == 0 {
		s.addRarePeer(src)
	}
	for range src.next() % 3 {
		s.deny = append(s.deny, drawDeny(src))
	}
	s.defaultAllow = src.next()%4 == 0
	s.intent.AllowPublicIngress = src.next()%5 == 0
	switch src.next() % 4 {
	case 0:
		s.ephemeral = portSpan{1024, 65535}
	case 1:
		s.ephemeral = ephemeralRanges["linux"]
	default:
		from := 1024 + src.next()*180
		s.ephemeral = portSpan{from, min(65535, from+src.next()*100+1000)}
	}
	s.client = clientKinds[src.next()%len(clientKinds)]
	s.clientPick = src.next()*256 + src.next()
	// Drawn last, so the earlier draws of a seed stay as they were.
	s.intent.PathMTUDiscovery = src.next()%2 == 0
	if src.next()%3 == 0 {
		s.ddveEphemeral = ephemeralRanges["linux"]
	}
	// A custom TCP or UDP rule says where its clients send from, or that
	// nothing answers.
	for i := range s.intent.CustomRules {
		r := &s.intent.CustomRules[i]
		if r.Protocol != "tcp" && r.Protocol != "udp" {
			continue
		}
		switch src.next() % 4 {
		case 0:
			r.ReplyPorts = []posture.PortRange{{From: 665, To: 1023}}
		case 1:
			r.ReplyPorts = []posture.PortRange{{From: 514, To: 514}, {From: 32768, To: 60999}}
		case 2:
			r.OneWay = true
		}
	}
	return s
}

func drawPeers(src *byteSource) posture.Peers {
	var peers posture.Peers
	mask := src.next()
	for i, c := range ipv4Pool {
		if mask&(1<<i) != 0 {
			peers.CIDRBlocks = append(peers.CIDRBlocks, c)
		}
	}
	for i, c := range ipv6Pool {
		if mask&(1<<(i+5)) != 0 {
			peers.IPv6CIDRBlocks = append(peers.IPv6CIDRBlocks, c)
		}
	}
	if mask&0x80 != 0 {
		peers.PrefixListIDs = []string{src.pick([]string{listS3, listS3, listEmpty, listIPv6})}
	}
	if peers.Empty() {
		peers.CIDRBlocks = []string{src.pick(ipv4Pool)}
	}
	return peers
}

// addRarePeer gives one profile or custom rule a peer the compilers must
// refuse or guard: a security group (ACLs take none), the whole internet
// typed, or through a prefix list, whole or in halves.
func (s *scenario) addRarePeer(src *byteSource) {
	rare := []posture.Peers{
		{SecurityGroupIDs: []string{peerGroup}},
		{CIDRBlocks: []string{"0.0.0.0/0"}},
		{IPv6CIDRBlocks: []string{"::/0"}},
		{CIDRBlocks: []string{"0.0.0.0/1", "128.0.0.0/1"}},
		{PrefixListIDs: []string{listWorld}},
		{PrefixListIDs: []string{listHalf6}},
	}[src.next()%6]
	add := func(p posture.Peers) posture.Peers {
		p.CIDRBlocks = append(append([]string(nil), p.CIDRBlocks...), rare.CIDRBlocks...)
		p.IPv6CIDRBlocks = append(append([]string(nil), p.IPv6CIDRBlocks...), rare.IPv6CIDRBlocks...)
		p.SecurityGroupIDs = append(append([]string(nil), p.SecurityGroupIDs...), rare.SecurityGroupIDs...)
		p.PrefixListIDs = append(append([]string(nil), p.PrefixListIDs...), rare.PrefixListIDs...)
		return p
	}
	if n := len(s.intent.CustomRules); n > 0 && src.next()%2 == 0 {
		r := &s.intent.CustomRules[src.next()%n]
		if r.Protocol != "icmp" && r.Protocol != "icmpv6" {
			r.Peers = add(r.Peers)
			return
		}
	}
	names := catalog.Names()
	name := names[src.next()%len(names)]
	s.intent.Profiles[name] = add(s.intent.Profiles[name])
}

func drawCustomRule(src *byteSource) posture.CustomRule {
	r := posture.CustomRule{Direction: src.pick([]string{"ingress", "egress"}), Description: "fuzzed flow"}
	peers := posture.Peers{CIDRBlocks: []string{src.pick(ipv4Pool)}}
	if src.next()%3 == 0 {
		peers = posture.Peers{IPv6CIDRBlocks: []string{src.pick(ipv6Pool)}}
	}
	switch src.next() % 6 {
	case 0, 1:
		// TCP or UDP on ports no profile uses.
		r.Protocol = src.pick([]string{"tcp", "udp"})
		from := 5000 + src.next()*10
		to := from + src.next()%50
		r.FromPort, r.ToPort = &from, &to
	case 2:
		r.Protocol = "icmp"
		typeCode := [][2]int{{8, -1}, {8, 0}, {-1, -1}, {3, 4}, {0, 0}, {13, -1}}[src.next()%6]
		r.FromPort, r.ToPort = &typeCode[0], &typeCode[1]
		if src.next()%8 != 0 {
			peers = posture.Peers{CIDRBlocks: []string{src.pick(ipv4Pool)}}
		}
	case 3:
		r.Protocol = "icmpv6"
		typeCode := [][2]int{{128, 0}, {128, -1}, {1, 4}, {-1, -1}}[src.next()%4]
		r.FromPort, r.ToPort = &typeCode[0], &typeCode[1]
		// Mostly IPv6 peers; an IPv4 one now and then, which must be refused.
		if src.next()%8 != 0 {
			peers = posture.Peers{IPv6CIDRBlocks: []string{src.pick(ipv6Pool)}}
		}
	case 4:
		r.Protocol = src.pick([]string{"47", "50"}) // GRE, ESP: no ports
	default:
		r.Protocol = "all"
	}
	r.Peers = peers
	return r
}

func drawDeny(src *byteSource) posture.DenyRule {
	d := posture.DenyRule{Direction: src.pick([]string{"", "ingress", "egress", "both"})}
	switch src.next() % 4 {
	case 0:
		d.CIDRBlock = "10.0.2.77/32" // inside a pool peer
	case 1:
		d.CIDRBlock = "10.0.2.128/26"
	case 2:
		d.CIDRBlock = "5.5.5.5/32"
	default:
		d.IPv6CIDRBlock = "2001:db8:1::/80"
	}
	switch src.next() % 4 {
	case 0:
		d.Protocol = "tcp"
		from, to := 2049, 2049
		d.FromPort, d.ToPort = &from, &to
	case 1:
		d.Protocol = "udp"
	case 2:
		if d.IPv6CIDRBlock == "" {
			d.Protocol = "icmp"
		}
	}
	return d
}

// flowSpec is one intended flow with its peers, as the oracle reads it:
// the catalog says which flows a profile needs; how their answers travel
// comes from the host model, not from the catalog.
type flowSpec struct {
	origin   string
	inbound  bool
	proto    int
	from, to int // ICMP: type and code
	peers    posture.Peers
	// ipv4Only services have no IPv6 peer (the host model's ipv4Only).
	ipv4Only bool
	// A custom rule's own word on its answers: reply_ports, or one_way.
	replyPorts []portSpan
	oneWay     bool
}

func (f flowSpec) String() string {
	dir := "out"
	if f.inbound {
		dir = "in"
	}
	return fmt.Sprintf("%s %s proto %d %d-%d", f.origin, dir, f.proto, f.from, f.to)
}

func (s scenario) flows() []flowSpec {
	var out []flowSpec
	for name, peers := range s.intent.Profiles {
		profile, _ := catalog.Lookup(name)
		for _, f := range profile.Flows {
			proto, _ := posture.ProtocolNumber(string(f.Protocol))
			out = append(out, flowSpec{origin: name, inbound: f.Direction == catalog.Inbound, proto: proto, from: f.FromPort, to: f.ToPort, peers: peers, ipv4Only: ipv4Only(proto, f.FromPort, f.ToPort)})
		}
	}
	for _, c := range s.intent.CustomRules {
		proto, _ := posture.ProtocolNumber(c.Protocol)
		from, to := -1, -1
		if c.FromPort != nil {
			from, to = *c.FromPort, *c.ToPort
		}
		f := flowSpec{origin: "custom", inbound: c.Direction == "ingress", proto: proto, from: from, to: to, peers: c.Peers, oneWay: c.OneWay}
		for _, r := range c.ReplyPorts {
			f.replyPorts = append(f.replyPorts, portSpan{r.From, r.To})
		}
		out = append(out, f)
	}
	return out
}

func (s scenario) aclOptions(quota int) posture.ACLOptions {
	opts := posture.ACLOptions{
		EphemeralFrom: s.ephemeral.from, EphemeralTo: s.ephemeral.to,
		DDVEEphemeralFrom: s.ddveEphemeral.from, DDVEEphemeralTo: s.ddveEphemeral.to,
		Deny:                     s.deny,
		EntriesPerDirectionQuota: quota,
		PrefixListCIDRs:          prefixLists,
	}
	if s.defaultAllow {
		opts.DefaultAction = posture.Allow
	}
	return opts
}

func (s scenario) groupOptions(quota int) posture.GroupOptions {
	return posture.GroupOptions{RulesPerDirectionQuota: quota, PrefixLists: listWeights}
}

// compiled is what the compilers made of a scenario: the output the
// property checks judge, and the mutation test corrupts.
type compiled struct {
	rules    []posture.Rule
	groupErr error
	entries  []posture.Entry
	aclErr   error
	// The quota edges: compiled with the quota the oracle says the
	// posture needs, and with one less.
	groupAtQuota, groupBelowQuota error
	aclAtQuota, aclBelowQuota     error
	// updated is the ACL recompiled with one more peer, numbered against
	// entries.
	updated    []posture.Entry
	updatedErr error
}

const unlimited = 100000

// updatePeer is added to the scenario's first profile to test numbering.
const updatePeer = "10.200.0.0/24"

func compile(s scenario) compiled {
	var c compiled
	c.rules, c.groupErr = posture.CompileGroup(s.intent, s.groupOptions(unlimited))
	c.entries, c.aclErr = posture.CompileACL(s.intent, s.aclOptions(unlimited))
	if c.groupErr == nil {
		need := groupQuotaNeed(c.rules)
		_, c.groupAtQuota = posture.CompileGroup(s.intent, s.groupOptions(need))
		if need > 1 {
			_, c.groupBelowQuota = posture.CompileGroup(s.intent, s.groupOptions(need-1))
		}
	}
	if c.aclErr == nil {
		need := aclQuotaNeed(c.entries)
		_, c.aclAtQuota = posture.CompileACL(s.intent, s.aclOptions(need))
		if need > 1 {
			_, c.aclBelowQuota = posture.CompileACL(s.intent, s.aclOptions(need-1))
		}
		grown := s.withUpdatePeer()
		opts := grown.aclOptions(unlimited)
		opts.Previous = c.entries
		c.updated, c.updatedErr = posture.CompileACL(grown.intent, opts)
	}
	return c
}

// withUpdatePeer returns the scenario with one more IPv4 peer on its first
// profile, or a new management profile.
func (s scenario) withUpdatePeer() scenario {
	grown := s
	grown.intent.Profiles = make(map[string]posture.Peers, len(s.intent.Profiles)+1)
	for k, v := range s.intent.Profiles {
		grown.intent.Profiles[k] = v
	}
	name := "management"
	for _, n := range catalog.Names() {
		if _, ok := s.intent.Profiles[n]; ok {
			name = n
			break
		}
	}
	peers := grown.intent.Profiles[name]
	peers.CIDRBlocks = append(append([]string(nil), peers.CIDRBlocks...), updatePeer)
	grown.intent.Profiles[name] = peers
	return grown
}
