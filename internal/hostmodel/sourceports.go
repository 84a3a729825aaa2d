package hostmodel

import "slices"

// Reserved ports RPC clients bind so that servers exporting "secure"
// accept them.
var (
	// nfs(5), option resvport, the default: Linux NFS, mountd and
	// portmapper clients bind a port of sunrpc.min_resvport to
	// sunrpc.max_resvport, 665-1023 by default.
	LinuxResvport = PortRange{665, 1023}
	// bindresvport(3) in glibc and libtirpc, which RPC programs without
	// the kernel's resvport use, tries 600-1023 and then goes down to
	// 512 (STARTPORT 600, LOWPORT 512, ENDPORT IPPORT_RESERVED - 1); the
	// BSDs' low port range, 600-1023 by default (ip(4),
	// IP_PORTRANGE_LOW), lies within it.
	OtherResvport = PortRange{512, 1023}
)

// service is what the documents say of one service's clients: the source
// ports they use besides their ephemeral range, or that they expect no
// answer at all.
type service struct {
	protocol, port int
	sourcePorts    []PortRange
	oneWay         bool
}

// services are the services whose clients do not simply send from an
// ephemeral port and wait for the answer there.
var services = []service{
	// Portmapper, NFS and mountd clients bind a reserved port (nfs(5)
	// resvport, rpcbind(8), bindresvport(3)).
	{protocol: TCP, port: 111, sourcePorts: []PortRange{LinuxResvport, OtherResvport}},
	{protocol: UDP, port: 111, sourcePorts: []PortRange{LinuxResvport, OtherResvport}},
	{protocol: TCP, port: 2049, sourcePorts: []PortRange{LinuxResvport, OtherResvport}},
	{protocol: TCP, port: 2052, sourcePorts: []PortRange{LinuxResvport, OtherResvport}},
	// ntpd in client and symmetric modes sends from its own port 123
	// (RFC 5905, ntpd(8)); SNTP clients may use an ephemeral one (RFC
	// 4330), which the ephemeral range covers.
	{protocol: UDP, port: 123, sourcePorts: []PortRange{{123, 123}}},
	// NetBIOS name service 137 -> 137 and datagram service 138 -> 138
	// (RFC 1001, RFC 1002).
	{protocol: UDP, port: 137, sourcePorts: []PortRange{{137, 137}}},
	{protocol: UDP, port: 138, sourcePorts: []PortRange{{138, 138}}},
	// Syslog over UDP is one-way: no message is acknowledged (RFC 5426,
	// RFC 3164).
	{protocol: UDP, port: 514, oneWay: true},
	// SNMP traps are unconfirmed: a Trap-PDU gets no Response-PDU
	// (RFC 3416, the SNMPv2-Trap-PDU).
	{protocol: UDP, port: 162, oneWay: true},
}

// FixedSourcePorts returns the source ports a service's clients use
// besides their ephemeral range, and whether the service answers at all.
// A service the documents say nothing special of is answered on the
// client's ephemeral port alone.
func FixedSourcePorts(protocol, serverPort int) (ports []PortRange, answered bool) {
	for _, s := range services {
		if s.protocol == protocol && s.port == serverPort {
			return slices.Clone(s.sourcePorts), !s.oneWay
		}
	}
	return nil, true
}

// SourcePortsOver is FixedSourcePorts over a range of server ports, as a
// flow or a stateless ACL entry names them: the fixed source ports of
// every service within the range, and whether any port of it is
// answered. A range of one-way services alone is not answered.
func SourcePortsOver(protocol, from, to int) (ports []PortRange, answered bool) {
	oneWay := 0
	for _, s := range services {
		if s.protocol != protocol || s.port < from || s.port > to {
			continue
		}
		if s.oneWay {
			oneWay++
			continue
		}
		for _, r := range s.sourcePorts {
			if !slices.Contains(ports, r) {
				ports = append(ports, r)
			}
		}
	}
	return ports, oneWay < to-from+1
}
