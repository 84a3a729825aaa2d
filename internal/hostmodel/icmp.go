package hostmodel

// ICMP queries and their answers. Every other message is an error or an
// announcement, and RFC 1122 section 3.2.2 forbids answering an ICMP
// error with another: it passes one way.
var icmpReplies = map[int]map[int]int{
	// RFC 792: echo 8 -> echo reply 0, timestamp 13 -> 14, information
	// request 15 -> 16; RFC 950: address mask request 17 -> 18.
	ICMP: {8: 0, 13: 14, 15: 16, 17: 18},
	// RFC 4443 section 4: echo request 128 -> echo reply 129.
	ICMPv6: {128: 129},
}

// ICMPReply returns the type of the message that answers an ICMP message
// of the given type, and whether one does.
func ICMPReply(protocol, requestType int) (replyType int, answered bool) {
	replyType, answered = icmpReplies[protocol][requestType]
	return replyType, answered
}

// Path MTU discovery's messages: a router that cannot forward a packet
// unfragmented tells the sender so. They are errors, answered by nothing;
// the sender lowers its packet size instead.
const (
	// RFC 792 destination unreachable 3, code 4 "fragmentation needed and
	// DF set", which RFC 1191 uses for path MTU discovery.
	DestinationUnreachable = 3
	FragmentationNeeded    = 4
	// RFC 4443 section 3.2, Packet Too Big, type 2; RFC 8201.
	PacketTooBig = 2
)

// IsPathMTUMessage reports whether an ICMP message of the given type and
// code tells a sender its path's MTU.
func IsPathMTUMessage(protocol, icmpType, code int) bool {
	switch protocol {
	case ICMP:
		return icmpType == DestinationUnreachable && code == FragmentationNeeded
	case ICMPv6:
		return icmpType == PacketTooBig
	}
	return false
}
