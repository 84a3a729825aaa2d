package posture

import (
	"cmp"
	"slices"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
)

// ICMP messages that are answered, and the type of their answer (RFC 792,
// RFC 4443). Every other type is one-way: errors and redirects answer
// nothing, so they get no return entry.
var icmpReplyTypes = map[int]map[int]int{
	ProtoICMP:   {8: 0, 13: 14, 15: 16, 17: 18}, // echo, timestamp, information, address mask
	ProtoICMPv6: {128: 129},                     // echo
}

// ICMPReplyType returns the ICMP type that answers a request of the given
// type: "any type" (-1) answers itself, echo request 8 gets echo reply 0
// (ICMPv6: 128 -> 129). ok is false for a message nothing answers.
func ICMPReplyType(proto, requestType int) (replyType int, ok bool) {
	if requestType == -1 {
		return -1, true
	}
	replyType, ok = icmpReplyTypes[proto][requestType]
	return replyType, ok
}

// customReplies: a custom rule is answered on the client's ephemeral port,
// like most catalog flows; an ICMP rule is answered by its reply message,
// or not at all.
func customReplies(proto, icmpType int) catalog.Replies {
	if IsICMP(proto) {
		if _, ok := ICMPReplyType(proto, icmpType); !ok {
			return catalog.Replies{OneWay: true, Source: "RFC 792, RFC 4443"}
		}
	}
	return catalog.Replies{}
}

// ReplyPorts returns the ports a flow's answers go to: the ephemeral range
// plus the client ports the catalog names, merged where they touch.
func ReplyPorts(r catalog.Replies, ephemeral catalog.PortRange) []catalog.PortRange {
	if r.OneWay {
		return nil
	}
	return mergeRanges(append([]catalog.PortRange{ephemeral}, r.ClientPorts...))
}

// replyPortsOver is ReplyPorts over a client range in pieces, as DDVE's
// own is once its listening ports are taken out.
func replyPortsOver(r catalog.Replies, ephemeral []catalog.PortRange) []catalog.PortRange {
	if r.OneWay {
		return nil
	}
	if fault("client ports lost (NFS 512-1023, ntpd 123)") {
		r.ClientPorts = nil
	}
	if len(ephemeral) == 1 {
		return ReplyPorts(r, ephemeral[0])
	}
	return mergeRanges(append(slices.Clone(ephemeral), r.ClientPorts...))
}

// mergeRanges sorts ranges and joins those that overlap or touch, so that
// 512-1023 and 1024-65535 take one ACL entry instead of two.
func mergeRanges(ranges []catalog.PortRange) []catalog.PortRange {
	sorted := slices.Clone(ranges)
	slices.SortFunc(sorted, func(a, b catalog.PortRange) int { return cmp.Compare(a.From, b.From) })
	out := sorted[:0]
	for _, r := range sorted {
		if n := len(out); n > 0 && r.From <= out[n-1].To+1 {
			out[n-1].To = max(out[n-1].To, r.To)
			continue
		}
		out = append(out, r)
	}
	return out
}

// ServiceReply is where the answers to one catalog flow's requests go, as
// the ACL compiler emits its return entries: checks of a live posture
// expect exactly these answers, no more and no fewer.
type ServiceReply struct {
	// Inbound requests are opened by the peer, outbound ones by DDVE.
	Inbound  bool
	Protocol int
	From, To int
	Replies  catalog.Replies
}

// CatalogReplies returns the reply behaviour of every catalog flow whose
// answers are not simply the client's ephemeral port.
func CatalogReplies() []ServiceReply {
	var out []ServiceReply
	for _, p := range catalog.All() {
		for _, f := range p.Flows {
			if !f.Replies.OneWay && len(f.Replies.ClientPorts) == 0 {
				continue
			}
			proto, _ := ProtocolNumber(string(f.Protocol))
			out = append(out, ServiceReply{Inbound: f.Direction == catalog.Inbound, Protocol: proto, From: f.FromPort, To: f.ToPort, Replies: f.Replies})
		}
	}
	return out
}

// unionRanges returns the union of two lists as mergeRanges leaves them:
// sorted, with no two ranges overlapping or touching. When one list holds
// the other, which is the common case of flows answered on the same
// ports, it returns that list itself; it never writes to either.
func unionRanges(a, b []catalog.PortRange) []catalog.PortRange {
	switch {
	case covers(a, b):
		return a
	case covers(b, a):
		return b
	}
	out := make([]catalog.PortRange, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		var r catalog.PortRange
		if len(b) == 0 || len(a) > 0 && a[0].From <= b[0].From {
			r, a = a[0], a[1:]
		} else {
			r, b = b[0], b[1:]
		}
		if n := len(out); n > 0 && r.From <= out[n-1].To+1 {
			out[n-1].To = max(out[n-1].To, r.To)
			continue
		}
		out = append(out, r)
	}
	return out
}

// covers reports whether every range of b lies within one of a's; both
// are sorted and disjoint.
func covers(a, b []catalog.PortRange) bool {
	i := 0
	for _, r := range b {
		for i < len(a) && a[i].To < r.From {
			i++
		}
		if i == len(a) || a[i].From > r.From || a[i].To < r.To {
			return false
		}
	}
	return true
}
