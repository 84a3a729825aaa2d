package hostmodel

// Ephemeral ranges: the source ports a client's stack picks for an
// outgoing connection when the application does not bind one.
var (
	// Linux: net.ipv4.ip_local_port_range defaults to 32768-60999 (the
	// kernel's ip-sysctl documentation).
	LinuxEphemeral = PortRange{32768, 60999}
	// Windows Server 2008 and Vista onwards use the IANA dynamic range
	// 49152-65535 (Microsoft KB 929851; RFC 6335 section 6).
	WindowsEphemeral = PortRange{49152, 65535}
	// A NAT gateway, an Elastic Load Balancer or Lambda may translate to
	// any port of 1024-65535 (AWS VPC user guide, "Ephemeral ports").
	NATEphemeral = PortRange{1024, 65535}
)

// EphemeralRanges names each kind of client by its ephemeral range.
var EphemeralRanges = map[string]PortRange{
	"linux":   LinuxEphemeral,
	"windows": WindowsEphemeral,
	"nat":     NATEphemeral,
}
