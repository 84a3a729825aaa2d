package dataplane

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// proto is an IP protocol as AWS writes it in a rule or an entry: a name
// ("tcp"), a number ("6") or all ("-1"). moto keeps an ACL entry's protocol
// as it was sent, so both forms are read.
type proto int

const (
	protoAll    proto = -1
	protoICMP   proto = 1
	protoTCP    proto = 6
	protoUDP    proto = 17
	protoICMPv6 proto = 58
)

func parseProto(s string) (proto, error) {
	switch strings.ToLower(s) {
	case "-1", "all":
		return protoAll, nil
	case "tcp":
		return protoTCP, nil
	case "udp":
		return protoUDP, nil
	case "icmp":
		return protoICMP, nil
	case "icmpv6":
		return protoICMPv6, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return 0, fmt.Errorf("protocol %q is not one AWS writes", s)
	}
	return proto(n), nil
}

// peer is one address block a rule or entry names, with its family.
type peer struct {
	prefix netip.Prefix
}

func (p peer) v6() bool { return p.prefix.Addr().Is6() }

// match writes the nft expression that selects packets of protocol pr
// whose remote address lies in p and, for TCP and UDP, whose destination
// port lies in from-to (ports < 0: any); for ICMP, whose type and code are
// from and to (-1: any). remoteIsSource says which address is the remote
// one. It returns false when the combination can match no packet (an ICMP
// rule with an IPv6 peer, ICMPv6 with an IPv4 one).
func match(pr proto, p peer, remoteIsSource bool, from, to int) (string, bool) {
	var b strings.Builder
	family, dir := "ip", "daddr"
	if p.v6() {
		family = "ip6"
	}
	if remoteIsSource {
		dir = "saddr"
	}
	fmt.Fprintf(&b, "%s %s %s", family, dir, p.prefix.Masked())
	switch pr {
	case protoAll:
	case protoTCP, protoUDP:
		name := "tcp"
		if pr == protoUDP {
			name = "udp"
		}
		switch {
		case from < 0 || (from == 0 && to == 65535):
			fmt.Fprintf(&b, " meta l4proto %s", name)
		case from == to:
			fmt.Fprintf(&b, " %s dport %d", name, from)
		default:
			fmt.Fprintf(&b, " %s dport %d-%d", name, from, to)
		}
	case protoICMP, protoICMPv6:
		if (pr == protoICMP) == p.v6() {
			return "", false
		}
		name := "icmp"
		if pr == protoICMPv6 {
			name = "icmpv6"
		}
		if from < 0 {
			fmt.Fprintf(&b, " meta l4proto %s", name)
			break
		}
		fmt.Fprintf(&b, " %s type %d", name, from)
		if to >= 0 {
			fmt.Fprintf(&b, " %s code %d", name, to)
		}
	default:
		fmt.Fprintf(&b, " meta l4proto %d", int(pr))
	}
	return b.String(), true
}

// comment quotes s as an nft comment, which holds at most 128 bytes.
func comment(s string) string {
	s = strings.ReplaceAll(s, `"`, "'")
	if len(s) > 127 {
		s = s[:127]
	}
	return strconv.Quote(s)
}
