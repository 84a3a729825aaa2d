package posture_test

import "github.com/ddvelabs/terraform-provider-ddve/internal/hostmodel"

// The clients the oracle sends as, drawn from the host model
// (internal/hostmodel): which source port a real client sends from, and
// whether it expects an answer. The oracle takes none of it from the
// catalog's reply notes, which the compiler reads.

// portSpan is an inclusive port range.
type portSpan struct{ from, to int }

func spanOf(r hostmodel.PortRange) portSpan { return portSpan{r.From, r.To} }

// Ephemeral ranges of the clients DDVE meets.
var ephemeralRanges = map[string]portSpan{
	"linux":   spanOf(hostmodel.LinuxEphemeral),
	"windows": spanOf(hostmodel.WindowsEphemeral),
	"nat":     spanOf(hostmodel.NATEphemeral),
}

// The reserved ports RPC clients bind.
var (
	linuxResvport = spanOf(hostmodel.LinuxResvport)
	otherResvport = spanOf(hostmodel.OtherResvport)
)

// fixedSourcePorts returns the source ports a service's clients use besides
// their ephemeral range, and whether the service answers at all.
func fixedSourcePorts(proto, serverPort int) (ports []portSpan, answered bool) {
	fixed, answered := hostmodel.FixedSourcePorts(proto, serverPort)
	for _, r := range fixed {
		ports = append(ports, spanOf(r))
	}
	return ports, answered
}

// clientKinds are the clients the generator draws from, each with the
// source port it would use for a service.
var clientKinds = []string{"linux", "windows", "nat", "resvport-linux", "resvport-other", "fixed"}

// clientPort returns the source port a client of the given kind uses
// towards serverPort; ok is false when that kind does not occur for the
// service (a reserved port towards HTTPS, say).
func clientPort(kind string, proto, serverPort int, pick int) (int, bool) {
	fixed, _ := fixedSourcePorts(proto, serverPort)
	switch kind {
	case "resvport-linux", "resvport-other":
		span := linuxResvport
		if kind == "resvport-other" {
			span = otherResvport
		}
		for _, f := range fixed {
			if f == span {
				return span.from + pick%(span.to-span.from+1), true
			}
		}
		return 0, false
	case "fixed":
		for _, f := range fixed {
			if f.from == f.to {
				return f.from, true
			}
		}
		return 0, false
	}
	span := ephemeralRanges[kind]
	return span.from + pick%(span.to-span.from+1), true
}

// ipv4Only reports whether a service runs over IPv4 alone: NetBIOS's name
// and datagram services (UDP 137-138) and session service (TCP 139) have
// no IPv6 transport (RFC 1001, RFC 1002), and Windows runs SMB over IPv6
// on 445 only.
func ipv4Only(proto, from, to int) bool {
	const tcp, udp = hostmodel.TCP, hostmodel.UDP
	return proto == udp && from >= 137 && to <= 138 || proto == tcp && from == 139 && to == 139
}

// ddveListening are the ports DDVE's services listen on whatever the
// posture (Dell's port wording: the portmapper, NFS and DD Boost,
// replication, mountd; the DD REST API).
var ddveListening = []int{111, 2049, 2051, 2052, 3009}

// ddvePorts is where the answers to DDVE's own connections may go: the
// range the scenario names, or, as DD OS documents none, 1024-65535 less
// every port DDVE listens on, its services' and those the scenario's
// inbound profiles open, so that no return entry reaches them.
func (s scenario) ddvePorts() []portSpan {
	if s.ddveEphemeral != (portSpan{}) {
		return []portSpan{s.ddveEphemeral}
	}
	listening := map[int]bool{}
	for _, p := range ddveListening {
		listening[p] = true
	}
	for _, f := range s.flows() {
		if f.inbound && f.origin != "custom" && (f.proto == 6 || f.proto == 17) {
			for p := f.from; p <= f.to; p++ {
				listening[p] = true
			}
		}
	}
	var out []portSpan
	for p := 1024; p <= 65535; p++ {
		switch n := len(out); {
		case listening[p]:
		case n > 0 && out[n-1].to == p-1:
			out[n-1].to = p
		default:
			out = append(out, portSpan{p, p})
		}
	}
	return out
}
