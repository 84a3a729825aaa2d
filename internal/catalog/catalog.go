// Package catalog holds the DDVE port profiles: which flows each DDVE service
// needs, in which direction, and the source that documents each one.
//
// It is data only. The compilers in package posture turn a profile plus its
// peers into security group rules and network ACL entries.
package catalog

import (
	"slices"
	"sort"
	"strconv"
)

// Direction says who opens the connection, seen from DDVE.
type Direction int

const (
	// Inbound flows are opened by a peer towards DDVE.
	Inbound Direction = iota
	// Outbound flows are opened by DDVE towards a peer.
	Outbound
)

func (d Direction) String() string {
	if d == Outbound {
		return "outbound"
	}
	return "inbound"
}

// Protocol is an IP protocol a profile uses.
type Protocol string

const (
	TCP Protocol = "tcp"
	UDP Protocol = "udp"
)

// PortRange is an inclusive range of ports.
type PortRange struct {
	From, To int
}

func (r PortRange) String() string {
	if r.From == r.To {
		return strconv.Itoa(r.From)
	}
	return strconv.Itoa(r.From) + "-" + strconv.Itoa(r.To)
}

// Replies says where the answers to a flow's requests go. A stateless
// network ACL must let them back on the source port the client really
// used, which is not always an ephemeral one.
type Replies struct {
	// OneWay flows expect no answer at all (syslog, SNMP traps): they get
	// no return entry.
	OneWay bool
	// ClientPorts are source ports real clients use besides the ephemeral
	// range, such as the privileged ports of NFS clients mounting with
	// resvport, or ntpd's own port 123.
	ClientPorts []PortRange
	// Source documents the reply behaviour, in the letters of Profile.Source
	// plus the manual page or RFC.
	Source string
}

// Flow is one connection DDVE needs: a direction, a protocol and the
// destination port range of the connection's first packet.
type Flow struct {
	Direction Direction
	Protocol  Protocol
	FromPort  int
	ToPort    int
	// Purpose is a short phrase, used in rule descriptions: it must stay
	// within the characters AWS accepts in a security group rule description.
	Purpose string
	// Replies is how the answers travel; the zero value means the client's
	// ephemeral port, the common case.
	Replies Replies
	// Setting names the argument of the resources that replaces FromPort
	// and ToPort, which are then its default (rpc_dynamic_ports).
	Setting string
	// Source documents the flow when it is not the profile's Source.
	Source string
	// IPv4Only flows run over IPv4 alone: NetBIOS (RFC 1001, RFC 1002)
	// has no IPv6 transport, and Windows does not run it over IPv6. They
	// get no rule or entry towards IPv6 peers.
	IPv4Only bool
}

// RPCDynamicPorts is the setting of the domain controllers' dynamic RPC
// range, and its default: Windows Server 2008 and later (Microsoft KB
// 929851, KB 179442).
const (
	RPCDynamicPorts              = "rpc_dynamic_ports"
	RPCDynamicFrom, RPCDynamicTo = 49152, 65535
)

// String reads like "in tcp 22" or "out udp 137-138".
func (f Flow) String() string {
	dir := "in"
	if f.Direction == Outbound {
		dir = "out"
	}
	ports := strconv.Itoa(f.FromPort)
	if f.ToPort != f.FromPort {
		ports += "-" + strconv.Itoa(f.ToPort)
	}
	return dir + " " + string(f.Protocol) + " " + ports
}

// Profile is a named DDVE service and the flows it needs.
type Profile struct {
	Name        string
	Summary     string
	TypicalPeer string
	// Source names the documents behind the flows, by the letters of the
	// project's port reference (A: Dell's CloudFormation template, B:
	// terraforming-dps, C: Dell's port wording, D: IANA/RFC, E: Dell's PPDM
	// guide and REST API portal, S: the seed article).
	Source string
	Flows  []Flow
}

// HasInbound reports whether any flow of the profile is opened by a peer,
// which is what makes a public peer (0.0.0.0/0, ::/0) dangerous.
func (p Profile) HasInbound() bool {
	return slices.ContainsFunc(p.Flows, func(f Flow) bool { return f.Direction == Inbound })
}

func in(proto Protocol, port int, purpose string) Flow {
	return Flow{Direction: Inbound, Protocol: proto, FromPort: port, ToPort: port, Purpose: purpose}
}

func out(proto Protocol, port int, purpose string) Flow {
	return Flow{Direction: Outbound, Protocol: proto, FromPort: port, ToPort: port, Purpose: purpose}
}

// Reply behaviours that differ from "the client's ephemeral port".
var (
	// NFS, mountd and portmapper clients on Linux send from a privileged
	// port by default (resvport: sunrpc.min_resvport-max_resvport, 665-1023);
	// other systems use 512-1023. Servers exporting "secure" insist on it.
	rpcReplies = Replies{ClientPorts: []PortRange{{512, 1023}}, Source: "nfs(5) resvport; D"}
	// ntpd sends from 123 to 123 in client and symmetric modes.
	ntpReplies = Replies{ClientPorts: []PortRange{{123, 123}}, Source: "D (RFC 5905)"}
	// NetBIOS name service goes 137 -> 137, the datagram service 138 -> 138.
	netbiosReplies = Replies{ClientPorts: []PortRange{{137, 138}}, Source: "D (RFC 1001, RFC 1002)"}
	// Syslog over UDP and SNMP traps are one-way messages.
	syslogReplies   = Replies{OneWay: true, Source: "D (RFC 5426)"}
	snmpTrapReplies = Replies{OneWay: true, Source: "D (RFC 3416)"}
)

// netlogonSource documents the flows NTLM pass-through needs.
const netlogonSource = "Dell KB 000204265 (NTLM pass-through), Microsoft KB 179442 (Netlogon over SMB 445 or RPC 135 and the dynamic range)"

func (f Flow) from(source string) Flow {
	f.Source = source
	return f
}

func (f Flow) with(r Replies) Flow {
	f.Replies = r
	return f
}

// nfsFlows are shared by ddboost and nfs: DD Boost rides on the NFS ports,
// so both profiles open the same four flows and compile to the same rules.
func nfsFlows() []Flow {
	return []Flow{
		in(TCP, 111, "portmapper").with(rpcReplies),
		in(UDP, 111, "portmapper").with(rpcReplies),
		in(TCP, 2049, "NFS and DD Boost data").with(rpcReplies),
		in(TCP, 2052, "NFS mountd").with(rpcReplies),
	}
}

// profiles is the catalog. The ports left out on purpose, and why, are in
// omitted (Omitted), so users can look them up as data.
var profiles = []Profile{
	{
		Name: "management", Summary: "SSH and HTTPS (DD System Manager, REST API) from administrators",
		TypicalPeer: "bastion or admin hosts", Source: "A, B, S",
		Flows: []Flow{in(TCP, 22, "SSH"), in(TCP, 443, "HTTPS")},
	},
	{
		Name: "remote_management", Summary: "DD REST API over HTTPS on 3009, used by DD Management Center, PowerProtect Data Manager and backup applications",
		TypicalPeer: "management servers", Source: "A, B, E",
		Flows: []Flow{in(TCP, 3009, "REST API")},
	},
	{
		Name: "ddboost", Summary: "DD Boost from backup and media servers",
		TypicalPeer: "backup or media servers", Source: "A, B, C, E (UDP 111: A, B)",
		Flows: nfsFlows(),
	},
	{
		Name: "nfs", Summary: "NFS exports for NFS clients (the same ports as DD Boost)",
		TypicalPeer: "NFS clients", Source: "A, B, C",
		Flows: nfsFlows(),
	},
	{
		Name: "replication", Summary: "DD replication with peer systems; both ends open connections",
		TypicalPeer: "peer DD or DDVE systems", Source: "A, C",
		Flows: []Flow{in(TCP, 2051, "replication"), out(TCP, 2051, "replication")},
	},
	{
		Name: "object_storage", Summary: "HTTPS to S3 for the active and cloud tier, through the gateway endpoint's prefix list",
		TypicalPeer: "the S3 prefix list", Source: "S, A",
		Flows: []Flow{out(TCP, 443, "HTTPS to S3")},
	},
	{
		Name: "snmp", Summary: "SNMP polling in and traps out",
		TypicalPeer: "monitoring system", Source: "A, D",
		Flows: []Flow{in(UDP, 161, "SNMP polling"), out(UDP, 162, "SNMP traps").with(snmpTrapReplies)},
	},
	{
		Name: "syslog", Summary: "remote syslog",
		TypicalPeer: "log collector", Source: "A, D",
		Flows: []Flow{out(UDP, 514, "syslog").with(syslogReplies)},
	},
	{
		Name: "smtp", Summary: "alert and autosupport e-mail",
		TypicalPeer: "mail relay", Source: "A, D",
		Flows: []Flow{out(TCP, 25, "SMTP")},
	},
	{
		Name: "dns", Summary: "name resolution against your own DNS servers (the VPC resolver needs no rule)",
		TypicalPeer: "DNS servers", Source: "A, D",
		Flows: []Flow{out(TCP, 53, "DNS"), out(UDP, 53, "DNS")},
	},
	{
		Name: "ntp", Summary: "time from your own NTP servers (Amazon Time Sync needs no rule)",
		TypicalPeer: "NTP servers", Source: "A, D",
		Flows: []Flow{out(UDP, 123, "NTP").with(ntpReplies)},
	},
	{
		// Template A lists 389 and 464 inbound only, which does not cover the
		// connections DDVE opens to its domain controllers: this follows D.
		Name: "directory", Summary: "Active Directory, LDAP, Kerberos and NTLM pass-through (Netlogon) towards domain controllers",
		TypicalPeer: "domain controllers",
		Source:      "D (CLDAP: MS-ADTS); NTLM pass-through: Dell KB 000204265, Microsoft KB 179442",
		Flows: []Flow{
			out(TCP, 88, "Kerberos"), out(UDP, 88, "Kerberos"),
			// Netlogon's RPC starts at the endpoint mapper (Microsoft KB
			// 179442), used for NTLM pass-through of CIFS clients that
			// DD OS does not authenticate by Kerberos (Dell KB 000204265).
			out(TCP, 135, "RPC endpoint mapper").from(netlogonSource),
			out(TCP, 389, "LDAP"),
			// The domain-controller locator pings over CLDAP (MS-ADTS).
			out(UDP, 389, "CLDAP"),
			// Netlogon over SMB (named pipes), the other way NTLM
			// pass-through reaches the domain controller.
			out(TCP, 445, "SMB and Netlogon").from(netlogonSource),
			out(TCP, 464, "Kerberos password"), out(UDP, 464, "Kerberos password"),
			out(TCP, 636, "LDAPS"),
			out(TCP, 3268, "global catalog"),
			out(TCP, 3269, "global catalog over TLS").from("D (Microsoft KB 179442)"),
			// The endpoint mapper hands out a port of the domain
			// controller's dynamic range; a team that pins Netlogon's
			// port narrows it with rpc_dynamic_ports.
			{Direction: Outbound, Protocol: TCP, FromPort: RPCDynamicFrom, ToPort: RPCDynamicTo, Purpose: "RPC dynamic ports",
				Setting: RPCDynamicPorts, Source: netlogonSource},
		},
	},
	{
		Name: "kmip", Summary: "external key manager over KMIP",
		TypicalPeer: "KMIP server", Source: "D (OASIS KMIP)",
		Flows: []Flow{out(TCP, 5696, "KMIP")},
	},
	{
		Name: "cifs", Summary: "CIFS/SMB shares",
		TypicalPeer: "CIFS clients", Source: "A, D",
		Flows: []Flow{
			// NetBIOS is IPv4 only (RFC 1001, RFC 1002); SMB 445 runs over both.
			{Direction: Inbound, Protocol: UDP, FromPort: 137, ToPort: 138, Purpose: "NetBIOS", Replies: netbiosReplies, IPv4Only: true},
			{Direction: Inbound, Protocol: TCP, FromPort: 139, ToPort: 139, Purpose: "NetBIOS session", IPv4Only: true},
			in(TCP, 445, "SMB"),
		},
	},
}

// All returns every profile, in catalog order. The profiles are copies,
// their flows and reply ports included: changing one changes nothing of
// the catalog.
func All() []Profile {
	out := make([]Profile, len(profiles))
	for i, p := range profiles {
		out[i] = p.clone()
	}
	return out
}

// Lookup returns a copy of the named profile, as All does.
func Lookup(name string) (Profile, bool) {
	for _, p := range profiles {
		if p.Name == name {
			return p.clone(), true
		}
	}
	return Profile{}, false
}

// clone copies a profile down to its flows' client ports.
func (p Profile) clone() Profile {
	p.Flows = slices.Clone(p.Flows)
	for i := range p.Flows {
		p.Flows[i].Replies.ClientPorts = slices.Clone(p.Flows[i].Replies.ClientPorts)
	}
	return p
}

// Names returns the profile names, sorted, for error messages and validators.
func Names() []string {
	names := make([]string, 0, len(profiles))
	for _, p := range profiles {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return names
}
