package posture

import "strconv"

// Protocol numbers as AWS uses them in network ACL entries.
const (
	ProtoAll    = -1
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

var protocolNames = map[string]int{
	"all": ProtoAll, "-1": ProtoAll,
	"tcp": ProtoTCP, "udp": ProtoUDP, "icmp": ProtoICMP, "icmpv6": ProtoICMPv6,
}

// ProtocolNumber turns a protocol as users or AWS write it ("tcp", "6",
// "-1", "all") into its number. Any number 0-255 is accepted as itself.
func ProtocolNumber(s string) (int, bool) {
	if n, ok := protocolNames[s]; ok {
		return n, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < -1 || n > 255 {
		return 0, false
	}
	return n, true
}

// GroupProtocol is the form AWS reports in a security group rule: a name for
// tcp, udp, icmp and icmpv6, "-1" for all, else the number.
func GroupProtocol(n int) string {
	switch n {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoICMP:
		return "icmp"
	case ProtoICMPv6:
		return "icmpv6"
	}
	return strconv.Itoa(n)
}

// NormalizeGroupProtocol turns a group rule's protocol as AWS or an
// emulator reports it ("6", "tcp", "all") into the form AWS reports; an
// unknown one is left as it is.
func NormalizeGroupProtocol(s string) string {
	if n, ok := ProtocolNumber(s); ok {
		return GroupProtocol(n)
	}
	return s
}

// HasPorts reports whether the protocol filters on ports (TCP and UDP).
func HasPorts(n int) bool { return n == ProtoTCP || n == ProtoUDP }

// IsICMP reports whether the protocol is ICMP or ICMPv6, which filter on
// type and code instead of ports.
func IsICMP(n int) bool { return n == ProtoICMP || n == ProtoICMPv6 }
