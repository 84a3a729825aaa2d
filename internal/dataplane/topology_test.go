package dataplane

import (
	"fmt"
	"net/netip"
)

// A subnet of the test's VPC (acctest.CreateNetwork's layout), as the
// router namespace holds it: a bridge with the VPC router's address (the
// subnet's first host, as in a VPC), which every host of the subnet joins.
// Hosts of one subnet talk over the bridge, so no ACL sees their traffic,
// as in AWS.
type vpcSubnet struct {
	name   string // also the bridge's suffix and the ACL chains' label
	prefix netip.Prefix
	// prefix6 is the subnet's IPv6 /64, which the test associates with
	// the subnet in EC2 (ipv6Subnet) before it builds the namespaces.
	prefix6 netip.Prefix
}

var (
	bastionSubnet = &vpcSubnet{name: "bastion", prefix: netip.MustParsePrefix("10.0.1.0/24")}
	ddveSubnet    = &vpcSubnet{name: "ddve", prefix: netip.MustParsePrefix("10.0.9.0/24")}
	spareSubnet   = &vpcSubnet{name: "spare", prefix: netip.MustParsePrefix("10.0.10.0/24")}
	vpcSubnets    = []*vpcSubnet{bastionSubnet, ddveSubnet, spareSubnet}
)

func (s *vpcSubnet) bridge() string { return "br-" + s.name }

func (s *vpcSubnet) gateway() netip.Addr { return s.prefix.Addr().Next() }

func (s *vpcSubnet) gateway6() netip.Addr { return s.prefix6.Addr().Next() }

// ipv6Subnet is the /64 of the VPC's /56 numbered like the subnet's third
// IPv4 octet (10.0.9.0/24: the tenth /64, index 9).
func (s *vpcSubnet) ipv6Subnet(vpc netip.Prefix) (netip.Prefix, error) {
	if !vpc.Addr().Is6() || vpc.Bits() > 56 {
		return netip.Prefix{}, fmt.Errorf("the VPC's IPv6 block %s is not a /56 or wider", vpc)
	}
	b := vpc.Masked().Addr().As16()
	b[7] = s.prefix.Addr().As4()[2]
	return netip.PrefixFrom(netip.AddrFrom16(b), 64), nil
}

// host is one namespace joined to the router by a veth pair: inside a VPC
// subnet, or outside the VPC (S3, the internet) on a link of its own, or
// behind the transit router.
type host struct {
	role   string
	addr   netip.Addr
	subnet *vpcSubnet // nil: outside the VPC
	// outside is the link's prefix for a host outside the VPC; the router
	// (or the transit router) takes its first address.
	outside netip.Prefix
	// addr6 and outside6 are the host's IPv6 address and, outside the
	// VPC, its link's prefix; a VPC host's addr6 is set with its
	// subnet's prefix6 (assignIPv6). Zero: the host has no IPv6.
	addr6    netip.Addr
	outside6 netip.Prefix
	// behindTransit hosts hang off the transit router, over a link whose
	// transit side carries at most transitMTU bytes.
	behindTransit bool
}

// label names the host and the address a flow of the family uses.
func (h *host) label(v6 bool) string { return h.role + " " + h.address(v6).String() }

// The hosts. The service hosts share the spare subnet; the S3 stand-ins
// sit at addresses of the S3 prefix list's blocks (checked against the
// list moto holds), the internet hosts at documentation and arbitrary
// public addresses, 5.5.5.5 and 2001:db8:5::5 being the ones the postures
// deny.
var (
	ddve = &host{role: "ddve", addr: netip.MustParseAddr("10.0.9.5"), subnet: ddveSubnet}
	// neighbour shares DDVE's subnet: its traffic to DDVE meets DDVE's
	// group but no ACL.
	neighbour = &host{role: "neighbour", addr: netip.MustParseAddr("10.0.9.10"), subnet: ddveSubnet}
	bastion   = &host{role: "bastion", addr: netip.MustParseAddr("10.0.1.10"), subnet: bastionSubnet}
	bastion2  = &host{role: "bastion2", addr: netip.MustParseAddr("10.0.1.99"), subnet: bastionSubnet}
	backup    = &host{role: "backup", addr: netip.MustParseAddr("10.0.10.20"), subnet: spareSubnet}
	rogue     = &host{role: "rogue", addr: netip.MustParseAddr("10.0.10.30"), subnet: spareSubnet}
	partner   = &host{role: "partner", addr: netip.MustParseAddr("10.0.10.51"), subnet: spareSubnet}
	dnsHost   = &host{role: "dns", addr: netip.MustParseAddr("10.0.10.53"), subnet: spareSubnet}
	ntpHost   = &host{role: "ntp", addr: netip.MustParseAddr("10.0.10.123"), subnet: spareSubnet}
	syslogH   = &host{role: "syslog", addr: netip.MustParseAddr("10.0.10.14"), subnet: spareSubnet}
	snmpMgr   = &host{role: "snmp", addr: netip.MustParseAddr("10.0.10.161"), subnet: spareSubnet}
	smtpHost  = &host{role: "smtp", addr: netip.MustParseAddr("10.0.10.25"), subnet: spareSubnet}
	kmipHost  = &host{role: "kmip", addr: netip.MustParseAddr("10.0.10.56"), subnet: spareSubnet}
	dcHost    = &host{role: "dc", addr: netip.MustParseAddr("10.0.10.88"), subnet: spareSubnet}
	s3Host    = &host{role: "s3", addr: netip.MustParseAddr("52.216.0.10"), outside: netip.MustParsePrefix("52.216.0.0/15")}
	internet  = &host{role: "internet", addr: netip.MustParseAddr("198.51.100.7"), outside: netip.MustParsePrefix("198.51.100.0/24"),
		addr6: netip.MustParseAddr("2001:db8:100::7"), outside6: netip.MustParsePrefix("2001:db8:100::/64")}
	denied = &host{role: "denied", addr: netip.MustParseAddr("5.5.5.5"), outside: netip.MustParsePrefix("5.5.5.0/24"),
		addr6: netip.MustParseAddr("2001:db8:5::5"), outside6: netip.MustParsePrefix("2001:db8:5::/64")}
	// Behind the transit router's narrow link: an S3 stand-in in another
	// of the prefix list's blocks, and a replication partner in another
	// region reached over IPv6.
	s3Far      = &host{role: "s3far", addr: netip.MustParseAddr("54.231.0.10"), outside: netip.MustParsePrefix("54.231.0.0/16"), behindTransit: true}
	farPartner = &host{role: "farpartner", addr: netip.MustParseAddr("203.0.113.51"), outside: netip.MustParsePrefix("203.0.113.0/24"),
		addr6: netip.MustParseAddr("2001:db8:51::51"), outside6: netip.MustParsePrefix("2001:db8:51::/64"), behindTransit: true}
	allHosts = []*host{ddve, neighbour, bastion, bastion2, backup, rogue, partner, dnsHost, ntpHost, syslogH, snmpMgr, smtpHost, kmipHost, dcHost,
		s3Host, internet, denied, s3Far, farPartner}
	routerRol = "router"
)

// The transit router stands for a hop between the VPC and the far hosts
// whose link carries less than the VPC's frames, as a VPN or an
// inter-region path does: it answers a larger packet that may not be
// fragmented with ICMP "fragmentation needed" (IPv4) or "packet too big"
// (IPv6), from its own address, which is where path MTU discovery's
// messages come from in AWS too. 1280 is the least IPv6 allows.
var (
	transit = &host{role: "transit", addr: netip.MustParseAddr("192.0.2.2"), outside: netip.MustParsePrefix("192.0.2.0/30"),
		addr6: netip.MustParseAddr("2001:db8:ffff::2"), outside6: netip.MustParsePrefix("2001:db8:ffff::/64")}
	transitMTU = 1280
)

// assignIPv6 gives every subnet its /64 of the VPC's IPv6 block and every
// VPC host the address in it with the host's last IPv4 octet as the
// interface ID (10.0.9.5: <the ddve /64>::5).
func assignIPv6(vpc netip.Prefix) error {
	for _, s := range vpcSubnets {
		p, err := s.ipv6Subnet(vpc)
		if err != nil {
			return err
		}
		s.prefix6 = p
	}
	for _, h := range allHosts {
		if h.subnet == nil {
			continue
		}
		b := h.subnet.prefix6.Addr().As16()
		b[15] = h.addr.As4()[3]
		h.addr6 = netip.AddrFrom16(b)
	}
	return nil
}

// buildTopology makes the router, the transit router and every host's
// namespace and wires them.
func (l *lab) buildTopology() {
	l.t.Helper()
	router := l.ns(routerRol)
	l.addNamespace(routerRol)
	l.mustIn(router, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
	// Where br_netfilter is loaded, bridged frames would go through the
	// IP hooks too; a VPC's traffic within a subnet meets no ACL. (The
	// ACL ruleset lets such packets through as well.)
	if _, err := l.run(0, router, "test", "-e", "/proc/sys/net/bridge/bridge-nf-call-iptables"); err == nil {
		l.mustIn(router, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=0", "net.bridge.bridge-nf-call-ip6tables=0")
	}
	// The connection table keeps a closed or reset connection ten
	// seconds and a UDP exchange thirty; the source ports are read when
	// every flow of a run has ended, which can take longer.
	l.mustIn(router, "sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_timeout_close=300", "net.netfilter.nf_conntrack_udp_timeout=300",
		"net.netfilter.nf_conntrack_tcp_timeout_syn_sent=300", "net.netfilter.nf_conntrack_icmp_timeout=300", "net.netfilter.nf_conntrack_icmpv6_timeout=300")
	for _, s := range vpcSubnets {
		l.must("ip", "-n", router, "link", "add", s.bridge(), "type", "bridge")
		l.must("ip", "-n", router, "addr", "add", netip.PrefixFrom(s.gateway(), s.prefix.Bits()).String(), "dev", s.bridge())
		l.must("ip", "-n", router, "addr", "add", netip.PrefixFrom(s.gateway6(), 64).String(), "dev", s.bridge(), "nodad")
		l.must("ip", "-n", router, "link", "set", s.bridge(), "up")
	}
	l.addHost(router, transit, 0)
	// The transit router forwards, and answers every packet too big for
	// its narrow links: ICMP errors are rate-limited per destination by
	// default, which would silence it for flows run one after another.
	l.mustIn(l.ns(transit.role), "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
		"net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0")
	for _, h := range allHosts {
		if h.behindTransit {
			l.addHost(l.ns(transit.role), h, transitMTU)
			l.must("ip", "-n", router, "route", "add", h.outside.String(), "via", transit.addr.String())
			if h.addr6.IsValid() {
				l.must("ip", "-n", router, "route", "add", h.outside6.String(), "via", transit.addr6.String())
			}
			continue
		}
		l.addHost(router, h, 0)
	}
}

// addHost makes the host's namespace and joins it to the upstream
// namespace (the router, or the transit router) by a veth pair; mtu, when
// not 0, narrows the upstream end, so that the upstream namespace cannot
// send the host larger packets while the host still offers its full
// segment size.
func (l *lab) addHost(upstream string, h *host, mtu int) {
	l.t.Helper()
	name := l.ns(h.role)
	l.addNamespace(h.role)
	veth := "v-" + h.role
	l.must("ip", "-n", upstream, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", name)
	if mtu != 0 {
		l.must("ip", "-n", upstream, "link", "set", veth, "mtu", fmt.Sprint(mtu))
	}
	prefix, gw := h.outside, h.outside.Addr().Next()
	prefix6, gw6 := h.outside6, h.outside6.Addr().Next()
	if h.subnet != nil {
		prefix, gw = h.subnet.prefix, h.subnet.gateway()
		prefix6, gw6 = h.subnet.prefix6, h.subnet.gateway6()
		l.must("ip", "-n", upstream, "link", "set", veth, "master", h.subnet.bridge())
	} else {
		l.must("ip", "-n", upstream, "addr", "add", netip.PrefixFrom(gw, prefix.Bits()).String(), "dev", veth)
		if h.addr6.IsValid() {
			l.must("ip", "-n", upstream, "addr", "add", netip.PrefixFrom(gw6, prefix6.Bits()).String(), "dev", veth, "nodad")
		}
	}
	l.must("ip", "-n", upstream, "link", "set", veth, "up")
	l.must("ip", "-n", name, "addr", "add", netip.PrefixFrom(h.addr, prefix.Bits()).String(), "dev", "eth0")
	if h.addr6.IsValid() {
		// nodad: the address is usable at once, not after duplicate
		// address detection's second.
		l.must("ip", "-n", name, "addr", "add", netip.PrefixFrom(h.addr6, prefix6.Bits()).String(), "dev", "eth0", "nodad")
	}
	l.must("ip", "-n", name, "link", "set", "eth0", "up")
	l.must("ip", "-n", name, "route", "add", "default", "via", gw.String())
	if h.addr6.IsValid() {
		l.must("ip", "-n", name, "-6", "route", "add", "default", "via", gw6.String())
	}
}
