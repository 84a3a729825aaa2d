// Package posture compiles a DDVE network intent (port profiles and their
// peers) into the exact security group rules and stateless network ACL
// entries AWS will hold. It has no AWS or Terraform types: the provider's
// resources adapt their models to these structs and back.
package posture

import "github.com/ddvelabs/terraform-provider-ddve/internal/catalog"

// Peers are the other ends of a profile's flows.
type Peers struct {
	CIDRBlocks       []string
	IPv6CIDRBlocks   []string
	SecurityGroupIDs []string
	PrefixListIDs    []string
}

// Empty reports whether no peer is given at all.
func (p Peers) Empty() bool {
	return len(p.CIDRBlocks)+len(p.IPv6CIDRBlocks)+len(p.SecurityGroupIDs)+len(p.PrefixListIDs) == 0
}

// CustomRule is a flow the catalog does not offer. Like a profile's flows it
// is one connection: for a network ACL it also gets its return entry.
type CustomRule struct {
	Direction   string // "ingress" (peer opens) or "egress" (DDVE opens)
	Protocol    string // tcp, udp, icmp, icmpv6 or all
	FromPort    *int   // nil for protocol all; ICMP: the type (-1: any)
	ToPort      *int   // nil for protocol all; ICMP: the code (-1: any)
	Peers       Peers
	Description string
	// ReplyPorts are where a network ACL lets the answers back (TCP and
	// UDP only): the ports the flow's clients send from, such as 665-1023
	// for NFS clients mounting with resvport. Nil means the ephemeral
	// range of whoever opens the flow.
	ReplyPorts []PortRange
	// OneWay flows expect no answer (syslog, traps): no return entry.
	OneWay bool
}

// PortRange is an inclusive range of ports.
type PortRange = catalog.PortRange

// Intent is what the user declares: profiles by name with their peers, and
// custom rules.
type Intent struct {
	Profiles    map[string]Peers
	CustomRules []CustomRule
	// AllowPublicIngress permits 0.0.0.0/0 and ::/0 as peers of inbound flows.
	AllowPublicIngress bool
	// PathMTUDiscovery admits the ICMP messages path MTU discovery needs
	// (ICMP 3/4, ICMPv6 2) from any address, for the families the peers
	// use: inbound in a security group, in and out in a network ACL. The
	// resources default it to true.
	PathMTUDiscovery bool
	// RPCDynamicFrom and RPCDynamicTo are the domain controllers' dynamic
	// RPC range the directory profile reaches Netlogon on; both zero means
	// the Windows default, 49152-65535.
	RPCDynamicFrom, RPCDynamicTo int
}

// Direction of a rule or entry, as AWS names it.
const (
	Ingress = "ingress"
	Egress  = "egress"
)
