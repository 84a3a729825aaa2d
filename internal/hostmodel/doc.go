// Package hostmodel is how real hosts send and answer the traffic DDVE
// meets, written from the protocols' and operating systems' documents:
// the ephemeral ranges clients open connections from, the fixed source
// ports some services' clients use instead, which services answer at all,
// and which ICMP messages are answered by which.
//
// It is kept apart from the catalog and the compiler on purpose: the
// plan-time self-check and the test oracle judge the compiled posture
// against it, so a wrong reply note in the catalog is caught rather than
// shared. It imports neither.
package hostmodel

// IP protocol numbers (IANA Assigned Internet Protocol Numbers).
const (
	ICMP   = 1
	TCP    = 6
	UDP    = 17
	ICMPv6 = 58
)

// PortRange is an inclusive range of ports.
type PortRange struct{ From, To int }

// Contains reports whether port lies within the range.
func (r PortRange) Contains(port int) bool { return r.From <= port && port <= r.To }
