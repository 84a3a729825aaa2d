package posture

import (
	"strconv"
	"strings"
)

// Text forms of the keys: what a rule or entry does, in words, so that a
// key stays the same as long as the rule or entry does the same thing. A
// caller that manages rules one resource each (for_each over a list) keys
// them by these, never by position or rule number, which shift when rules
// come and go.

// String reads like "ingress tcp 22 10.0.1.10/32" or
// "egress all pl-63a5400a".
func (k RuleKey) String() string {
	proto, _ := ProtocolNumber(k.Protocol)
	return strings.Join([]string{k.Direction, trafficKey(proto, k.FromPort, k.ToPort), k.CIDRIPv4 + k.CIDRIPv6 + k.ReferencedGroupID + k.PrefixListID}, " ")
}

// String reads like "ingress allow tcp 22 10.0.1.10/32" or
// "egress allow icmp type 0 code -1 10.0.9.0/24".
func (k EntryKey) String() string {
	direction := Ingress
	if k.Egress {
		direction = Egress
	}
	proto, _ := ProtocolNumber(k.Protocol)
	from, to := k.FromPort, k.ToPort
	if isICMP(proto) {
		from, to = k.ICMPType, k.ICMPCode
	}
	return strings.Join([]string{direction, k.Action, trafficKey(proto, from, to), k.CIDRBlock + k.IPv6CIDRBlock}, " ")
}

// trafficKey reads like "tcp 22", "udp 1024-65535", "icmp type 8 code -1"
// or "all".
func trafficKey(proto, from, to int) string {
	label := protocolLabel(proto)
	switch {
	case hasPorts(proto) && from == to:
		return label + " " + strconv.Itoa(from)
	case hasPorts(proto):
		return label + " " + strconv.Itoa(from) + "-" + strconv.Itoa(to)
	case isICMP(proto):
		return label + " type " + strconv.Itoa(from) + " code " + strconv.Itoa(to)
	}
	return label
}
