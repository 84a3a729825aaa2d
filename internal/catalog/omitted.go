package catalog

import (
	"fmt"
	"slices"
)

// OmittedPort is a port no profile opens on purpose, with the reason, so a
// user who looks for it learns why and where to go instead.
type OmittedPort struct {
	Protocol string // tcp or udp
	Ports    string // "23", "20-21"
	Reason   string
}

// The reasons, shared by the ports they cover.
const (
	insecureReason = "Insecure: Dell's CloudFormation template opens it, but it carries credentials or data in clear text, so no profile offers it. " +
		"Use management (SSH 22, HTTPS 443) instead."
	redirectReason    = "Dell's CloudFormation template opens it, but DD System Manager only redirects it to HTTPS: the management profile opens 443."
	unconfirmedReason = "No Dell source we could read confirms its purpose, so no profile opens it. Add it with custom_rules if your deployment needs it."
	unfilteredReason  = "Neither security groups nor network ACLs filter traffic to this AWS service, so a rule for it would only spend quota; " +
		"the %s profile is for servers of your own."
)

// udpNFSReason says why nfs and ddboost open NFS and mountd on TCP only.
// Dell's sources name TCP alone (the PPDM guide: "DD Boost (TCP 111,
// 2049, 2052)"). A client given no proto= asks rpcbind, which both
// profiles open on TCP and UDP 111, for the transports mountd and nfsd
// registered (nfs(5), "mountproto"; mount.nfs probes UDP first only
// where the server registered it), and takes TCP when UDP is not there:
// answering the rpcbind query is what matters, and the profiles do.
const udpNFSReason = "Dell's sources name NFS and DD Boost over TCP only. NFS clients that name no proto= ask rpcbind " +
	"(UDP and TCP 111, which nfs and ddboost open) which transports the server registered, and use TCP when UDP is not offered (nfs(5), mountproto). " +
	"If your DD system serves NFS over UDP, add a custom rule for UDP 2049 and 2052 with reply_ports = [{ from_port = 665, to_port = 1023 }] " +
	"(Linux clients' reserved ports with resvport; 512-1023 for other systems), so its network ACL answers those clients."

var resolverReason = "The Amazon-provided DNS resolver (the VPC base + 2, 169.254.169.253). " + fmt.Sprintf(unfilteredReason, "dns")

// omitted is the list in the order of the project's port reference: ports
// Dell's template opens that no profile offers, ports whose purpose no Dell
// source confirms, then AWS services that need no rule at all.
var omitted = []OmittedPort{
	{Protocol: "tcp", Ports: "20-21", Reason: "FTP. " + insecureReason},
	{Protocol: "tcp", Ports: "23", Reason: "Telnet. " + insecureReason},
	{Protocol: "tcp", Ports: "80", Reason: "HTTP. " + redirectReason},
	{Protocol: "udp", Ports: "2049", Reason: "NFS over UDP. " + udpNFSReason},
	{Protocol: "udp", Ports: "2052", Reason: "mountd over UDP. " + udpNFSReason},
	{Protocol: "tcp", Ports: "3008", Reason: unconfirmedReason},
	{Protocol: "tcp", Ports: "5001", Reason: unconfirmedReason},
	{Protocol: "tcp", Ports: "27000", Reason: "Avamar. " + unconfirmedReason},
	{Protocol: "tcp", Ports: "28001", Reason: "Avamar. " + unconfirmedReason},
	{Protocol: "udp", Ports: "53", Reason: resolverReason},
	{Protocol: "tcp", Ports: "53", Reason: resolverReason},
	{Protocol: "udp", Ports: "123", Reason: "Amazon Time Sync (169.254.169.123). " + fmt.Sprintf(unfilteredReason, "ntp")},
	{Protocol: "tcp", Ports: "80", Reason: "Instance metadata (169.254.169.254). Neither security groups nor network ACLs filter it, so no rule is needed."},
	{Protocol: "udp", Ports: "67-68", Reason: "DHCP from the VPC. Neither security groups nor network ACLs filter it, so no rule is needed."},
}

// Omitted returns the ports left out on purpose, with their reasons.
func Omitted() []OmittedPort {
	return slices.Clone(omitted)
}
