package evaluate

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The benchmark filters look like what the compilers produce for a DDVE
// with ten peers of both families.
var benchPeers = []string{
	"10.0.1.10/32", "10.0.2.0/24", "10.1.0.0/16", "172.16.4.0/22", "10.0.2.128/25", "192.168.10.0/24", "100.64.0.0/10",
	"2001:db8:1::/64", "2001:db8:2::10/128", "fd00:1::/48",
}

func withCIDR(e posture.Entry, cidr string) posture.Entry {
	if netip.MustParsePrefix(cidr).Addr().Is4() {
		e.CIDRBlock = cidr
	} else {
		e.IPv6CIDRBlock = cidr
	}
	return e
}

// benchACL: denies first, a request and a return entry per peer and flow,
// ICMP echo, and allow-all at the end; 41 entries.
func benchACL() ACL {
	var es []posture.Entry
	number := 0
	add := func(e posture.Entry, cidr string) {
		number += 10
		e.RuleNumber = number
		es = append(es, withCIDR(e, cidr))
	}
	add(posture.Entry{Action: posture.Deny, Protocol: "-1"}, "198.51.100.0/24")
	add(posture.Entry{Action: posture.Deny, Protocol: "-1"}, "2001:db8:bad::/48")
	add(posture.Entry{Egress: true, Action: posture.Deny, Protocol: "-1"}, "203.0.113.0/24")
	add(posture.Entry{Action: posture.Deny, Protocol: "6", FromPort: 3389, ToPort: 3389}, "0.0.0.0/0")
	for _, peer := range benchPeers {
		add(posture.Entry{Action: posture.Allow, Protocol: "6", FromPort: 2049, ToPort: 2052}, peer)
		add(posture.Entry{Egress: true, Action: posture.Allow, Protocol: "6", FromPort: 1024, ToPort: 65535}, peer)
	}
	for _, peer := range benchPeers[3:7] {
		add(posture.Entry{Action: posture.Allow, Protocol: "17", FromPort: 2049, ToPort: 2049}, peer)
		add(posture.Entry{Egress: true, Action: posture.Allow, Protocol: "17", FromPort: 32768, ToPort: 60999}, peer)
	}
	for _, peer := range benchPeers[:3] {
		add(posture.Entry{Action: posture.Allow, Protocol: "6", FromPort: 443, ToPort: 443}, peer)
	}
	add(posture.Entry{Action: posture.Allow, Protocol: "1", ICMPType: 8, ICMPCode: -1}, "10.0.0.0/8")
	add(posture.Entry{Egress: true, Action: posture.Allow, Protocol: "1", ICMPType: 0, ICMPCode: -1}, "10.0.0.0/8")
	number = 32000
	for _, egress := range []bool{false, true} {
		add(posture.Entry{Egress: egress, Action: posture.Allow, Protocol: "-1"}, "0.0.0.0/0")
		add(posture.Entry{Egress: egress, Action: posture.Allow, Protocol: "-1"}, "::/0")
	}
	return ACL{Entries: es}
}

// benchGroup: five TCP services per peer, NFS over UDP for some, ICMP echo,
// a peer group, a prefix list and the default egress rules; 61 rules.
func benchGroup() Group {
	var rules []posture.Rule
	add := func(r posture.Rule, cidr string) {
		if netip.MustParsePrefix(cidr).Addr().Is4() {
			r.CIDRIPv4 = cidr
		} else {
			r.CIDRIPv6 = cidr
		}
		rules = append(rules, r)
	}
	for _, peer := range benchPeers {
		for _, port := range []int{22, 443, 2049, 2051, 111} {
			add(posture.Rule{Direction: posture.Ingress, Protocol: "tcp", FromPort: port, ToPort: port, Description: "port " + strconv.Itoa(port)}, peer)
		}
	}
	for _, peer := range benchPeers[3:8] {
		add(posture.Rule{Direction: posture.Ingress, Protocol: "udp", FromPort: 2049, ToPort: 2049}, peer)
	}
	add(posture.Rule{Direction: posture.Ingress, Protocol: "icmp", FromPort: 8, ToPort: -1}, "10.0.0.0/8")
	add(posture.Rule{Direction: posture.Ingress, Protocol: "icmpv6", FromPort: 128, ToPort: -1}, "2001:db8::/32")
	add(posture.Rule{Direction: posture.Egress, Protocol: "-1", FromPort: -1, ToPort: -1}, "0.0.0.0/0")
	add(posture.Rule{Direction: posture.Egress, Protocol: "-1", FromPort: -1, ToPort: -1}, "::/0")
	rules = append(rules,
		posture.Rule{Direction: posture.Egress, Protocol: "tcp", FromPort: 443, ToPort: 443, PrefixListID: "pl-s3"},
		posture.Rule{Direction: posture.Ingress, Protocol: "tcp", FromPort: 2049, ToPort: 2049, ReferencedGroupID: "sg-peer"},
	)
	return Group{Rules: rules, Resolver: Resolver{
		GroupMembers: map[string][]netip.Addr{"sg-peer": {netip.MustParseAddr("10.3.3.3"), netip.MustParseAddr("10.3.3.4")}},
		PrefixLists:  map[string][]netip.Prefix{"pl-s3": {netip.MustParsePrefix("3.5.0.0/19"), netip.MustParsePrefix("52.216.0.0/15")}},
	}}
}

func BenchmarkACLExposure(b *testing.B) {
	acl := benchACL()
	b.ReportAllocs()
	for b.Loop() {
		ACLExposure(acl)
	}
}

func BenchmarkGroupExposure(b *testing.B) {
	g := benchGroup()
	b.ReportAllocs()
	for b.Loop() {
		GroupExposure(g)
	}
}

// BenchmarkExposureEqual is the comparison a property check makes after
// computing both sides.
func BenchmarkExposureEqual(b *testing.B) {
	x, y := ACLExposure(benchACL()), ACLExposure(benchACL())
	b.ReportAllocs()
	for b.Loop() {
		if !x.Equal(y) {
			b.Fatal("unequal")
		}
	}
}

// BenchmarkSpaceOps: the operations a property check combines the
// exposures with, on the benchmark filters' sets.
func BenchmarkSpaceOps(b *testing.B) {
	ax, gx := ACLExposure(benchACL()), GroupExposure(benchGroup())
	b.ReportAllocs()
	for b.Loop() {
		both := ax.Ingress.Intersect(gx.Ingress)
		if !both.Union(gx.Ingress.Subtract(ax.Ingress)).Equal(gx.Ingress) {
			b.Fatal("law broken")
		}
	}
}
