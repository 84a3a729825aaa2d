package dataplane

import (
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
}

var (
	bastionSubnet = vpcSubnet{"bastion", netip.MustParsePrefix("10.0.1.0/24")}
	ddveSubnet    = vpcSubnet{"ddve", netip.MustParsePrefix("10.0.9.0/24")}
	spareSubnet   = vpcSubnet{"spare", netip.MustParsePrefix("10.0.10.0/24")}
	vpcSubnets    = []vpcSubnet{bastionSubnet, ddveSubnet, spareSubnet}
)

func (s vpcSubnet) bridge() string { return "br-" + s.name }

func (s vpcSubnet) gateway() netip.Addr { return s.prefix.Addr().Next() }

// host is one namespace joined to the router by a veth pair: inside a VPC
// subnet, or outside the VPC (S3, the internet) on a link of its own.
type host struct {
	role   string
	addr   netip.Addr
	subnet *vpcSubnet // nil: outside the VPC
	// outside is the link's prefix for a host outside the VPC; the router
	// takes its first address.
	outside netip.Prefix
}

func (h *host) label() string { return h.role + " " + h.addr.String() }

// The hosts. The service hosts share the spare subnet; the S3 stand-in
// sits at an address of the S3 prefix list's 52.216.0.0/15 (checked
// against the list moto holds), the internet hosts at documentation and
// arbitrary public addresses, 5.5.5.5 being the one the postures deny.
var (
	ddve      = &host{role: "ddve", addr: netip.MustParseAddr("10.0.9.5"), subnet: &ddveSubnet}
	bastion   = &host{role: "bastion", addr: netip.MustParseAddr("10.0.1.10"), subnet: &bastionSubnet}
	bastion2  = &host{role: "bastion2", addr: netip.MustParseAddr("10.0.1.99"), subnet: &bastionSubnet}
	backup    = &host{role: "backup", addr: netip.MustParseAddr("10.0.10.20"), subnet: &spareSubnet}
	rogue     = &host{role: "rogue", addr: netip.MustParseAddr("10.0.10.30"), subnet: &spareSubnet}
	partner   = &host{role: "partner", addr: netip.MustParseAddr("10.0.10.51"), subnet: &spareSubnet}
	dnsHost   = &host{role: "dns", addr: netip.MustParseAddr("10.0.10.53"), subnet: &spareSubnet}
	ntpHost   = &host{role: "ntp", addr: netip.MustParseAddr("10.0.10.123"), subnet: &spareSubnet}
	syslogH   = &host{role: "syslog", addr: netip.MustParseAddr("10.0.10.14"), subnet: &spareSubnet}
	snmpMgr   = &host{role: "snmp", addr: netip.MustParseAddr("10.0.10.161"), subnet: &spareSubnet}
	smtpHost  = &host{role: "smtp", addr: netip.MustParseAddr("10.0.10.25"), subnet: &spareSubnet}
	kmipHost  = &host{role: "kmip", addr: netip.MustParseAddr("10.0.10.56"), subnet: &spareSubnet}
	dcHost    = &host{role: "dc", addr: netip.MustParseAddr("10.0.10.88"), subnet: &spareSubnet}
	s3Host    = &host{role: "s3", addr: netip.MustParseAddr("52.216.0.10"), outside: netip.MustParsePrefix("52.216.0.0/15")}
	internet  = &host{role: "internet", addr: netip.MustParseAddr("198.51.100.7"), outside: netip.MustParsePrefix("198.51.100.0/24")}
	denied    = &host{role: "denied", addr: netip.MustParseAddr("5.5.5.5"), outside: netip.MustParsePrefix("5.5.5.0/24")}
	allHosts  = []*host{ddve, bastion, bastion2, backup, rogue, partner, dnsHost, ntpHost, syslogH, snmpMgr, smtpHost, kmipHost, dcHost, s3Host, internet, denied}
	routerRol = "router"
)

// buildTopology makes the router and every host's namespace and wires
// them.
func (l *lab) buildTopology() {
	l.t.Helper()
	router := l.ns(routerRol)
	l.addNamespace(routerRol)
	l.mustIn(router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	for _, s := range vpcSubnets {
		l.must("ip", "-n", router, "link", "add", s.bridge(), "type", "bridge")
		l.must("ip", "-n", router, "addr", "add", netip.PrefixFrom(s.gateway(), s.prefix.Bits()).String(), "dev", s.bridge())
		l.must("ip", "-n", router, "link", "set", s.bridge(), "up")
	}
	for _, h := range allHosts {
		l.addHost(router, h)
	}
}

func (l *lab) addHost(router string, h *host) {
	l.t.Helper()
	name := l.ns(h.role)
	l.addNamespace(h.role)
	veth := "v-" + h.role
	l.must("ip", "-n", router, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", name)
	prefix, gw := h.outside, h.outside.Addr().Next()
	if h.subnet != nil {
		prefix, gw = h.subnet.prefix, h.subnet.gateway()
		l.must("ip", "-n", router, "link", "set", veth, "master", h.subnet.bridge())
	} else {
		l.must("ip", "-n", router, "addr", "add", netip.PrefixFrom(gw, prefix.Bits()).String(), "dev", veth)
	}
	l.must("ip", "-n", router, "link", "set", veth, "up")
	l.must("ip", "-n", name, "addr", "add", netip.PrefixFrom(h.addr, prefix.Bits()).String(), "dev", "eth0")
	l.must("ip", "-n", name, "link", "set", "eth0", "up")
	l.must("ip", "-n", name, "route", "add", "default", "via", gw.String())
}
