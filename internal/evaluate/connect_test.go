package evaluate_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// A host whose ACL denies 5.5.5.5 first and lets SSH in from anywhere, and
// answers only to 10.0.1.0/24; its group admits SSH from 10.0.1.10 and
// opens HTTPS to 10.0.8.0/24, which the ACL does not pass.
func orderHost() evaluate.Host {
	return evaluate.Host{
		Addr: netip.MustParseAddr("10.0.9.5"),
		Group: evaluate.Group{Rules: []posture.Rule{
			{Direction: "ingress", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRIPv4: "10.0.1.0/24"},
			{Direction: "ingress", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRIPv4: "10.0.3.0/24"},
			{Direction: "egress", Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRIPv4: "10.0.8.0/24"},
		}},
		ACL: evaluate.ACL{Entries: []posture.Entry{
			{RuleNumber: 10, Action: "deny", Protocol: "-1", CIDRBlock: "5.5.5.5/32"},
			{RuleNumber: 1000, Action: "allow", Protocol: "6", CIDRBlock: "0.0.0.0/0", FromPort: 22, ToPort: 22},
			{RuleNumber: 1000, Egress: true, Action: "allow", Protocol: "6", CIDRBlock: "10.0.1.0/24", FromPort: 1024, ToPort: 65535},
		}},
		Local:      []netip.Prefix{netip.MustParsePrefix("10.0.9.0/24")},
		Unfiltered: evaluate.UnfilteredServices(netip.MustParsePrefix("10.0.0.0/16"), []netip.Prefix{netip.MustParsePrefix("10.0.9.0/24")}),
	}
}

func tcpPacket(src, dst string, srcPort, dstPort int) evaluate.Packet {
	return evaluate.Packet{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Protocol: 6, SrcPort: srcPort, DstPort: dstPort}
}

// A packet arriving meets the ACL before the group, a packet leaving the
// group before the ACL; blocked_at names the first that drops it.
func TestConnectReportsTheFirstLayerMet(t *testing.T) {
	h := orderHost()
	cases := []struct {
		name      string
		request   evaluate.Packet
		blockedAt string
		deciding  string
	}{
		{"denied address to SSH", tcpPacket("5.5.5.5", "10.0.9.5", 40000, 22), "network_acl", "network ACL entry ingress #10 deny"},
		{"unknown host to SSH, the ACL passes it", tcpPacket("10.0.7.7", "10.0.9.5", 40000, 22), "security_group", "no security group rule"},
		{"SSH whose answer the ACL drops", tcpPacket("10.0.3.3", "10.0.9.5", 40000, 22), "network_acl_reply", "built-in deny-all (egress)"},
		{"SSH from the bastion subnet", tcpPacket("10.0.1.10", "10.0.9.5", 40000, 22), "", "network ACL entry egress #1000 allow"},
		{"HTTPS out, no group rule", tcpPacket("10.0.9.5", "10.0.7.7", 40000, 443), "security_group", "no security group rule"},
		{"HTTPS out, the ACL drops it", tcpPacket("10.0.9.5", "10.0.8.8", 40000, 443), "network_acl", "built-in deny-all (egress)"},
		{"inside the subnet, no ACL", tcpPacket("10.0.9.7", "10.0.9.5", 40000, 22), "security_group", "no security group rule"},
	}
	for _, c := range cases {
		conversation := h.Connect(c.request)
		if got := conversation.BlockedAt(); got != c.blockedAt {
			t.Errorf("%s: blocked at %q, want %q (%+v)", c.name, got, c.blockedAt, conversation)
		}
		if got := conversation.Deciding().Reason; !strings.HasPrefix(got, c.deciding) {
			t.Errorf("%s: decided by %q, want %q...", c.name, got, c.deciding)
		}
		if conversation.Allowed() != (c.blockedAt == "") {
			t.Errorf("%s: allowed %v with blocked_at %q", c.name, conversation.Allowed(), c.blockedAt)
		}
	}
	arriving := h.Connect(tcpPacket("10.0.1.10", "10.0.9.5", 40000, 22))
	if arriving.Request[0].Layer != evaluate.LayerACL || arriving.Reply[0].Layer != evaluate.LayerGroup {
		t.Errorf("an arriving request meets the ACL first and its answer the group first: %+v", arriving)
	}
}

// AWS delivers what the host sends to its own services whatever the
// filters say; the services open nothing towards the host.
func TestConnectToServicesAWSNeverFilters(t *testing.T) {
	h := orderHost()
	udp := func(src, dst string, srcPort, dstPort int) evaluate.Packet {
		return evaluate.Packet{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Protocol: 17, SrcPort: srcPort, DstPort: dstPort}
	}
	for _, c := range []struct {
		request evaluate.Packet
		service string
	}{
		{udp("10.0.9.5", "169.254.169.123", 123, 123), "Amazon Time Sync Service"},
		{tcpPacket("10.0.9.5", "169.254.169.254", 40000, 80), "instance metadata service"},
		{udp("10.0.9.5", "10.0.0.2", 40000, 53), "Route 53 Resolver (10.0.0.2"},
		{udp("10.0.9.5", "169.254.169.253", 40000, 53), "Route 53 Resolver"},
		{udp("10.0.9.5", "255.255.255.255", 68, 67), "DHCP"},
		{tcpPacket("10.0.9.5", "10.0.9.1", 40000, 80), "the VPC router (10.0.9.1"},
		{tcpPacket("10.0.9.5", "169.254.170.2", 40000, 80), "ECS task metadata"},
	} {
		got := h.Connect(c.request)
		if !got.Allowed() || !strings.HasPrefix(got.Deciding().Reason, c.service) {
			t.Errorf("%s: allowed %v by %q, want allowed by %s", c.request, got.Allowed(), got.Deciding().Reason, c.service)
		}
	}
	v6 := h
	v6.Addr = netip.MustParseAddr("2001:db8:9::5")
	if got := v6.Connect(udp("2001:db8:9::5", "ff02::1:2", 546, 547)); !got.Allowed() || got.Deciding().Reason[:4] != "DHCP" {
		t.Errorf("DHCPv6 solicit: allowed %v by %q", got.Allowed(), got.Deciding().Reason)
	}
	for _, request := range []evaluate.Packet{
		tcpPacket("169.254.169.254", "10.0.9.5", 80, 22), // the services open no connection to the host
		udp("10.0.9.5", "10.0.0.3", 40000, 53),           // base plus three is no resolver
		udp("10.0.9.5", "10.0.8.8", 68, 53),              // DNS is not DHCP
		udp("10.0.9.5", "203.0.113.9", 68, 67),           // a DHCP server elsewhere is filtered
		udp("10.0.9.5", "10.0.8.1", 68, 67),              // another subnet's router is filtered
	} {
		if got := h.Connect(request); got.Allowed() {
			t.Errorf("%s: allowed by %q, want it filtered", request, got.Deciding().Reason)
		}
	}
}
