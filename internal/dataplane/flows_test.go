package dataplane

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Protocol numbers of the flows.
const (
	tcp    = 6
	udp    = 17
	icmp   = 1
	icmpv6 = 58
)

// flow is one conversation a real client has with a real server.
type flow struct {
	name           string
	client, server *host
	// v6: the flow runs between the hosts' IPv6 addresses.
	v6    bool
	proto int
	port  int // the server's port; ICMP: the request's type
	// srcPort is the source port the client binds itself (an NFS client's
	// reserved port); 0: the kernel picks an ephemeral one.
	srcPort int
	tool    string // what runs, shown in the table
	// oneWay flows expect no answer: they passed when the server logged
	// the marker.
	oneWay bool
	// pathMTU flows send more than the transit router's narrow link
	// carries, in packets that may not be fragmented: they pass only when
	// the transit router's "fragmentation needed" or "packet too big"
	// reaches the client.
	pathMTU bool
	// command is the client's command line; marker, for one-way flows,
	// what the server must log.
	command func(s *services, f *flow, marker string) []string
	// ok, when set, checks the client's output besides its exit status.
	ok func(out string) bool
	// serverLog names the services' log that shows a one-way flow arrived.
	serverLog string
}

func (f *flow) src() netip.Addr { return f.client.address(f.v6) }

func (f *flow) dst() netip.Addr { return f.server.address(f.v6) }

func (h *host) address(v6 bool) netip.Addr {
	if v6 {
		return h.addr6
	}
	return h.addr
}

// Clients' timeouts: an answer over these veth pairs takes well under a
// millisecond, and a dropped packet gets none, so a short bound decides.
const (
	connectTimeout = "1"
	flowTimeout    = 4 * time.Second
)

// rpcDynamicPort is a port of the domain controller's RPC dynamic range
// (49152-65535, Microsoft KB 179442), where Netlogon's RPC server listens
// after the endpoint mapper names it.
const rpcDynamicPort = 49700

// pathMTUUpload is what a path MTU flow sends: many full-sized segments.
const pathMTUUpload = 256 << 10

// sshTo logs in to DDVE's sshd with OpenSSH's sftp client, which asks for
// sshd's in-process sftp subsystem: a login that runs no shell, so that
// the account's shell start-up files (slow on some machines) do not count
// against the client's timeout.
func sshTo(s *services, f *flow, _ string) []string {
	return []string{"sftp", "-b", s.sftpBatch, "-F", filepath.Join(s.dir, "ssh_config"), "-i", s.clientKey, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=" + filepath.Join(s.dir, "known_hosts"), "-o", "ConnectTimeout=" + connectTimeout, "-o", "LogLevel=ERROR",
		"root@" + sftpHost(f.dst())}
}

// sftpHost writes an address as sftp's destination takes it: an IPv6
// address in brackets, whose colons would otherwise start a path.
func sftpHost(a netip.Addr) string {
	if a.Is6() {
		return "[" + a.String() + "]"
	}
	return a.String()
}

func curlTo(_ *services, f *flow, _ string) []string {
	return []string{"curl", "-ksS", "--connect-timeout", connectTimeout, "--max-time", "3",
		"https://" + netip.AddrPortFrom(f.dst(), uint16(f.port)).String() + "/"}
}

// curlUpload sends pathMTUUpload bytes, which the server counts back.
func curlUpload(s *services, f *flow, marker string) []string {
	return append(curlTo(s, f, marker), "-T", s.upload)
}

func helperClient(mode string) func(*services, *flow, string) []string {
	return func(_ *services, f *flow, _ string) []string {
		exe, _ := os.Executable()
		return []string{"env", helperEnv + "=1", exe, mode, netip.AddrPortFrom(f.dst(), uint16(f.port)).String(), strconv.Itoa(f.srcPort)}
	}
}

func pingTo(_ *services, f *flow, _ string) []string {
	return []string{"ping", "-c1", "-W1", f.dst().String()}
}

func contains(s string) func(string) bool {
	return func(out string) bool { return strings.Contains(out, s) }
}

// flows is every flow the test runs, on every posture. Which must pass
// depends on the posture (expectations).
func allFlows() []*flow {
	nfsResvPort := 800 // Linux NFS clients send from 665-1023 (nfs(5) resvport)
	tcpHelper, udpHelper := helperClient("tcp"), helperClient("udp")
	return []*flow{
		{name: "ssh to DDVE", client: bastion, server: ddve, proto: tcp, port: 22, tool: "sftp (ssh)", command: sshTo, ok: contains("Remote working directory")},
		{name: "https to DDVE", client: bastion, server: ddve, proto: tcp, port: 443, tool: "curl", command: curlTo, ok: contains("ok")},
		{name: "REST API 3009", client: bastion, server: ddve, proto: tcp, port: 3009, tool: "curl", command: curlTo, ok: contains("ok")},
		{name: "ping DDVE", client: bastion, server: ddve, proto: icmp, port: 8, tool: "ping", command: pingTo},
		{name: "https to S3", client: ddve, server: s3Host, proto: tcp, port: 443, tool: "curl", command: curlTo, ok: contains("ok")},
		{name: "upload to S3 over a 1280-byte hop (path MTU)", client: ddve, server: s3Far, proto: tcp, port: 443, pathMTU: true,
			tool: "curl -T", command: curlUpload, ok: contains(fmt.Sprintf("ok %d", pathMTUUpload))},
		{name: "https to the internet", client: ddve, server: internet, proto: tcp, port: 443, tool: "curl", command: curlTo},
		{name: "ssh from the internet", client: internet, server: ddve, proto: tcp, port: 22, tool: "sftp (ssh)", command: sshTo},
		{name: "https from the internet", client: internet, server: ddve, proto: tcp, port: 443, tool: "curl", command: curlTo},
		{name: "ssh from a denied address", client: denied, server: ddve, proto: tcp, port: 22, tool: "sftp (ssh)", command: sshTo},
		{name: "denied address to the bastion", client: denied, server: bastion, proto: tcp, port: 22, tool: "helper", command: tcpHelper},
		{name: "internet to the bastion", client: internet, server: bastion, proto: tcp, port: 22, tool: "helper", command: tcpHelper},
		{name: "ssh from a host in DDVE's subnet (no ACL)", client: neighbour, server: ddve, proto: tcp, port: 22, tool: "sftp (ssh)", command: sshTo, ok: contains("Remote working directory")},
		{name: "ssh from another bastion-subnet host", client: bastion2, server: ddve, proto: tcp, port: 22, tool: "sftp (ssh)", command: sshTo},
		{name: "portmapper tcp 111", client: backup, server: ddve, proto: tcp, port: 111, tool: "rpcinfo",
			command: func(_ *services, f *flow, _ string) []string {
				return []string{"rpcinfo", "-T", "tcp", f.dst().String(), "100000"}
			}, ok: contains("ready")},
		{name: "portmapper udp 111", client: backup, server: ddve, proto: udp, port: 111, tool: "rpcinfo",
			command: func(_ *services, f *flow, _ string) []string {
				return []string{"rpcinfo", "-T", "udp", f.dst().String(), "100000", "2"}
			}, ok: contains("ready")},
		{name: "NFS 2049 from a reserved port", client: backup, server: ddve, proto: tcp, port: 2049, srcPort: nfsResvPort, tool: "helper", command: tcpHelper},
		{name: "mountd 2052", client: backup, server: ddve, proto: tcp, port: 2052, tool: "helper", command: tcpHelper},
		{name: "backup client to ssh", client: backup, server: ddve, proto: tcp, port: 22, tool: "sftp (ssh)", command: sshTo},
		{name: "backup client to https", client: backup, server: ddve, proto: tcp, port: 443, tool: "curl", command: curlTo},
		{name: "DNS-only peer to NFS 2049", client: dnsHost, server: ddve, proto: tcp, port: 2049, tool: "helper", command: tcpHelper},
		{name: "denied host in the ddboost block to 2049", client: rogue, server: ddve, proto: tcp, port: 2049, tool: "helper", command: tcpHelper},
		{name: "replication in 2051", client: partner, server: ddve, proto: tcp, port: 2051, tool: "helper", command: tcpHelper},
		{name: "replication out 2051", client: ddve, server: partner, proto: tcp, port: 2051, tool: "helper", command: tcpHelper},
		{name: "NTP", client: ddve, server: ntpHost, proto: udp, port: 123, tool: "chronyd -Q", command: chronyQuery, ok: contains("System clock wrong by")},
		{name: "DNS over UDP", client: ddve, server: dnsHost, proto: udp, port: 53, tool: "dig", command: digQuery(""), ok: contains(ddve.addr.String())},
		{name: "DNS over TCP", client: ddve, server: dnsHost, proto: tcp, port: 53, tool: "dig +tcp", command: digQuery("+tcp"), ok: contains(ddve.addr.String())},
		{name: "syslog (one-way)", client: ddve, server: syslogH, proto: udp, port: 514, tool: "logger", oneWay: true, serverLog: "syslog",
			command: func(_ *services, f *flow, marker string) []string {
				return []string{"logger", "-n", f.dst().String(), "-P", "514", "-d", "--rfc3164", marker}
			}},
		{name: "SNMP poll", client: snmpMgr, server: ddve, proto: udp, port: 161, tool: "snmpget",
			command: func(_ *services, f *flow, _ string) []string {
				return []string{"snmpget", "-v2c", "-c", "public", "-t", "1", "-r", "0", "-m", "", "-On", f.dst().String(), "1.3.6.1.2.1.1.5.0"}
			}, ok: contains("STRING")},
		{name: "SNMP trap (one-way)", client: ddve, server: snmpMgr, proto: udp, port: 162, tool: "snmptrap", oneWay: true, serverLog: "snmp-traps",
			command: func(_ *services, f *flow, marker string) []string {
				return []string{"snmptrap", "-v2c", "-c", marker, "-m", "", f.dst().String() + ":162", "", "1.3.6.1.6.3.1.1.5.1"}
			}},
		{name: "SMTP 25", client: ddve, server: smtpHost, proto: tcp, port: 25, tool: "helper", command: tcpHelper},
		{name: "KMIP 5696 (TLS)", client: ddve, server: kmipHost, proto: tcp, port: 5696, tool: "curl", command: curlTo, ok: contains("ok")},
		{name: "LDAP 389", client: ddve, server: dcHost, proto: tcp, port: 389, tool: "helper", command: tcpHelper},
		{name: "Kerberos udp 88", client: ddve, server: dcHost, proto: udp, port: 88, tool: "helper", command: udpHelper},
		{name: "Netlogon over SMB 445 to the DC", client: ddve, server: dcHost, proto: tcp, port: 445, tool: "helper", command: tcpHelper},
		{name: "RPC endpoint mapper 135 on the DC", client: ddve, server: dcHost, proto: tcp, port: 135, tool: "helper", command: tcpHelper},
		{name: "RPC dynamic port on the DC", client: ddve, server: dcHost, proto: tcp, port: rpcDynamicPort, tool: "helper", command: tcpHelper},
		{name: "NTP from port 123 (ntpd-style)", client: ddve, server: ntpHost, proto: udp, port: 123, srcPort: 123, tool: "chronyd -Q",
			command: chronyQuery, ok: contains("System clock wrong by")},
		{name: "SMB 445 (smbclient)", client: backup, server: ddve, proto: tcp, port: 445, tool: "smbclient", command: smbList, ok: contains("readme.txt")},
		{name: "NetBIOS session 139 (smbclient)", client: backup, server: ddve, proto: tcp, port: 139, tool: "smbclient", command: smbList, ok: contains("readme.txt")},
		{name: "NetBIOS name query", client: backup, server: ddve, proto: udp, port: 137, tool: "nmblookup", command: nameQuery, ok: contains("DDVE<00>")},
		{name: "NetBIOS name query from port 137", client: backup, server: ddve, proto: udp, port: 137, srcPort: 137, tool: "helper",
			command: helperClient("nbns"), ok: contains("DDVE<00> found")},
		{name: "DNS-only peer to SMB 445", client: dnsHost, server: ddve, proto: tcp, port: 445, tool: "smbclient", command: smbList, ok: contains("readme.txt")},

		// IPv6.
		{name: "ssh to DDVE over IPv6", client: bastion, server: ddve, v6: true, proto: tcp, port: 22, tool: "sftp (ssh)", command: sshTo, ok: contains("Remote working directory")},
		{name: "https to DDVE over IPv6", client: bastion, server: ddve, v6: true, proto: tcp, port: 443, tool: "curl", command: curlTo, ok: contains("ok")},
		{name: "ping DDVE over IPv6", client: bastion, server: ddve, v6: true, proto: icmpv6, port: 128, tool: "ping", command: pingTo},
		{name: "ssh from the internet over IPv6", client: internet, server: ddve, v6: true, proto: tcp, port: 22, tool: "sftp (ssh)", command: sshTo},
		{name: "https from the internet over IPv6", client: internet, server: ddve, v6: true, proto: tcp, port: 443, tool: "curl", command: curlTo},
		{name: "ssh from a denied IPv6 address", client: denied, server: ddve, v6: true, proto: tcp, port: 22, tool: "sftp (ssh)", command: sshTo},
		{name: "denied IPv6 address to the bastion", client: denied, server: bastion, v6: true, proto: tcp, port: 22, tool: "helper", command: tcpHelper},
		{name: "internet to the bastion over IPv6", client: internet, server: bastion, v6: true, proto: tcp, port: 22, tool: "helper", command: tcpHelper},
		{name: "NTP over IPv6", client: ddve, server: ntpHost, v6: true, proto: udp, port: 123, tool: "chronyd -Q", command: chronyQuery, ok: contains("System clock wrong by")},
		{name: "DNS over IPv6", client: ddve, server: dnsHost, v6: true, proto: udp, port: 53, tool: "dig", command: digQuery(""), ok: contains(ddve.addr.String())},
		{name: "SMB 445 over IPv6", client: backup, server: ddve, v6: true, proto: tcp, port: 445, tool: "smbclient", command: smbList, ok: contains("readme.txt")},
		{name: "replication out over IPv6 and a 1280-byte hop (path MTU)", client: ddve, server: farPartner, v6: true, proto: tcp, port: 2051, pathMTU: true,
			tool: "curl -T", command: curlUpload, ok: contains(fmt.Sprintf("ok %d", pathMTUUpload))},
	}
}

// smbList lists DDVE's share as a guest, over SMB 445 or a NetBIOS
// session on 139.
func smbList(_ *services, f *flow, _ string) []string {
	return []string{"smbclient", "//" + f.dst().String() + "/backup", "-N", "-p", strconv.Itoa(f.port),
		"--option=client min protocol=SMB2", "-t", "2", "-c", "ls"}
}

// nameQuery asks DDVE's nmbd for its NetBIOS name, from an ephemeral
// port.
func nameQuery(_ *services, f *flow, _ string) []string {
	return []string{"nmblookup", "-U", f.dst().String(), "DDVE"}
}

// chronyQuery asks the NTP server for the time once, without setting the
// clock. chronyd sends from an ephemeral port; told acquisitionport 123
// (the flow's srcPort), it sends from 123 as ntpd does (RFC 5905's
// symmetric and client modes from port 123).
func chronyQuery(s *services, f *flow, marker string) []string {
	// chronyd removes its pid file when it exits: give it one of its own.
	argv := []string{"chronyd", "-Q", "-t", "2", "-u", "root", "server " + f.dst().String() + " iburst maxsamples 1", "cmdport 0",
		"pidfile " + filepath.Join(s.dir, marker+".pid")}
	if f.srcPort != 0 {
		argv = append(argv, fmt.Sprintf("acquisitionport %d", f.srcPort))
	}
	return argv
}

func digQuery(opt string) func(*services, *flow, string) []string {
	return func(_ *services, f *flow, _ string) []string {
		argv := []string{"dig", "@" + f.dst().String(), "ddve.test", "+short", "+time=1", "+tries=1"}
		if opt != "" {
			argv = append(argv, opt)
		}
		return argv
	}
}
