package evaluate

import (
	"net/netip"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// AWS delivers traffic between an instance and some of its own services
// whatever the instance's security groups and its subnet's network ACL
// say. The VPC guide lists them under "Network ACL basics" and the EC2
// guide under "Security group rules": Amazon DNS (the Route 53 Resolver),
// DHCP, the instance metadata service, ECS task metadata, Windows licence
// activation, the Amazon Time Sync Service and the addresses the VPC
// router reserves. Their addresses on Nitro instances are the link-local
// IPv4 ones and the fd00:ec2:: IPv6 ones.
var linkLocalServices = map[netip.Addr]string{
	netip.MustParseAddr("169.254.170.2"):   "ECS task metadata endpoint (169.254.170.2)",
	netip.MustParseAddr("169.254.169.250"): "Windows licence activation (169.254.169.250)",
	netip.MustParseAddr("169.254.169.251"): "Windows licence activation (169.254.169.251)",
	netip.MustParseAddr("169.254.169.123"): "Amazon Time Sync Service (169.254.169.123)",
	netip.MustParseAddr("fd00:ec2::123"):   "Amazon Time Sync Service (fd00:ec2::123)",
	netip.MustParseAddr("169.254.169.254"): "instance metadata service (169.254.169.254)",
	netip.MustParseAddr("fd00:ec2::254"):   "instance metadata service (fd00:ec2::254)",
	netip.MustParseAddr("169.254.169.253"): "Route 53 Resolver (169.254.169.253)",
	netip.MustParseAddr("fd00:ec2::253"):   "Route 53 Resolver (fd00:ec2::253)",
}

// UnfilteredServices returns the addresses of the AWS services a host in a
// VPC reaches whatever its filters say: the link-local ones, the Route 53
// Resolver at the base of the VPC's primary IPv4 block plus two (the VPC
// guide's "Amazon DNS server"), and the VPC router at the base of each of
// the host's subnet blocks plus one. vpc may be the zero Prefix and
// subnets empty when they are unknown.
func UnfilteredServices(vpc netip.Prefix, subnets []netip.Prefix) map[netip.Addr]string {
	out := make(map[netip.Addr]string, len(linkLocalServices)+1+len(subnets))
	for a, name := range linkLocalServices {
		out[a] = name
	}
	for _, s := range subnets {
		if s.Addr().Is4() {
			router := s.Masked().Addr().Next()
			out[router] = "the VPC router (" + router.String() + ", the subnet's base plus one)"
		}
	}
	if vpc.IsValid() && vpc.Addr().Is4() {
		dns := vpc.Masked().Addr().Next().Next()
		out[dns] = "Route 53 Resolver (" + dns.String() + ", the VPC's base plus two)"
	}
	return out
}

// DHCP requests a host broadcasts (DHCPv4 to 255.255.255.255 on UDP 67,
// DHCPv6 to All_DHCP_Relay_Agents_and_Servers ff02::1:2 on UDP 547) are
// answered by the VPC and never filtered.
var dhcpServers = map[netip.Addr]int{
	netip.MustParseAddr("255.255.255.255"): 67,
	netip.MustParseAddr("ff02::1:2"):       547,
}

// unfiltered says whether AWS delivers the request whatever the filters
// say, and names the service.
func (h Host) unfiltered(request Packet, egress bool) (string, bool) {
	if !egress {
		// The services answer the host; none of them opens a connection
		// to it.
		return "", false
	}
	if name, ok := h.Unfiltered[request.Dst]; ok {
		return name, true
	}
	if port, ok := dhcpServers[request.Dst]; ok && request.Protocol == posture.ProtoUDP && request.DstPort == port {
		return "DHCP", true
	}
	return "", false
}
