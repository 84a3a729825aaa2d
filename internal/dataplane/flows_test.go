package dataplane

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Protocol numbers of the flows.
const (
	tcp  = 6
	udp  = 17
	icmp = 1
)

// flow is one conversation a real client has with a real server.
type flow struct {
	name           string
	client, server *host
	proto          int
	port           int // the server's port; ICMP: the request's type
	// srcPort is the source port the client binds itself (an NFS client's
	// reserved port); 0: the kernel picks an ephemeral one.
	srcPort int
	tool    string // what runs, shown in the table
	// oneWay flows expect no answer: they passed when the server logged
	// the marker.
	oneWay bool
	// command is the client's command line; marker, for one-way flows,
	// what the server must log.
	command func(s *services, marker string) []string
	// ok, when set, checks the client's output besides its exit status.
	ok func(out string) bool
	// serverLog names the services' log that shows a one-way flow arrived.
	serverLog string
}

// Clients' timeouts: an answer over these veth pairs takes well under a
// millisecond, and a dropped packet gets none, so a short bound decides.
const (
	connectTimeout = "1"
	flowTimeout    = 4 * time.Second
)

func sshTo(dst *host) func(*services, string) []string {
	return func(s *services, _ string) []string {
		return []string{"ssh", "-F", filepath.Join(s.dir, "ssh_config"), "-i", s.clientKey, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
			"-o", "UserKnownHostsFile=" + filepath.Join(s.dir, "known_hosts"), "-o", "ConnectTimeout=" + connectTimeout, "-o", "LogLevel=ERROR",
			"root@" + dst.addr.String(), "echo", "ok"}
	}
}

func curlTo(dst *host, port int) func(*services, string) []string {
	return func(*services, string) []string {
		return []string{"curl", "-ksS", "--connect-timeout", connectTimeout, "--max-time", "3", fmt.Sprintf("https://%s:%d/", dst.addr, port)}
	}
}

func helperTo(mode string, dst *host, port, srcPort int) func(*services, string) []string {
	return func(*services, string) []string {
		exe, _ := os.Executable()
		return []string{"env", helperEnv + "=1", exe, mode, fmt.Sprintf("%s:%d", dst.addr, port), strconv.Itoa(srcPort)}
	}
}

func contains(s string) func(string) bool {
	return func(out string) bool { return strings.Contains(out, s) }
}

// flows is every flow the test runs, on every posture. Which must pass
// depends on the posture (expectations).
func allFlows() []*flow {
	nfsResvPort := 800 // Linux NFS clients send from 665-1023 (nfs(5) resvport)
	return []*flow{
		{name: "ssh to DDVE", client: bastion, server: ddve, proto: tcp, port: 22, tool: "ssh", command: sshTo(ddve), ok: contains("ok")},
		{name: "https to DDVE", client: bastion, server: ddve, proto: tcp, port: 443, tool: "curl", command: curlTo(ddve, 443), ok: contains("ok")},
		{name: "REST API 3009", client: bastion, server: ddve, proto: tcp, port: 3009, tool: "curl", command: curlTo(ddve, 3009), ok: contains("ok")},
		{name: "ping DDVE", client: bastion, server: ddve, proto: icmp, port: 8, tool: "ping",
			command: func(*services, string) []string { return []string{"ping", "-c1", "-W1", ddve.addr.String()} }},
		{name: "https to S3", client: ddve, server: s3Host, proto: tcp, port: 443, tool: "curl", command: curlTo(s3Host, 443), ok: contains("ok")},
		{name: "https to the internet", client: ddve, server: internet, proto: tcp, port: 443, tool: "curl", command: curlTo(internet, 443)},
		{name: "ssh from the internet", client: internet, server: ddve, proto: tcp, port: 22, tool: "ssh", command: sshTo(ddve)},
		{name: "https from the internet", client: internet, server: ddve, proto: tcp, port: 443, tool: "curl", command: curlTo(ddve, 443)},
		{name: "ssh from a denied address", client: denied, server: ddve, proto: tcp, port: 22, tool: "ssh", command: sshTo(ddve)},
		{name: "denied address to the bastion", client: denied, server: bastion, proto: tcp, port: 22, tool: "helper", command: helperTo("tcp", bastion, 22, 0)},
		{name: "internet to the bastion", client: internet, server: bastion, proto: tcp, port: 22, tool: "helper", command: helperTo("tcp", bastion, 22, 0)},
		{name: "ssh from another bastion-subnet host", client: bastion2, server: ddve, proto: tcp, port: 22, tool: "ssh", command: sshTo(ddve)},
		{name: "portmapper tcp 111", client: backup, server: ddve, proto: tcp, port: 111, tool: "rpcinfo",
			command: func(*services, string) []string {
				return []string{"rpcinfo", "-T", "tcp", ddve.addr.String(), "100000"}
			}, ok: contains("ready")},
		{name: "portmapper udp 111", client: backup, server: ddve, proto: udp, port: 111, tool: "rpcinfo",
			command: func(*services, string) []string {
				return []string{"rpcinfo", "-T", "udp", ddve.addr.String(), "100000", "2"}
			}, ok: contains("ready")},
		{name: "NFS 2049 from a reserved port", client: backup, server: ddve, proto: tcp, port: 2049, srcPort: nfsResvPort, tool: "helper", command: helperTo("tcp", ddve, 2049, nfsResvPort)},
		{name: "mountd 2052", client: backup, server: ddve, proto: tcp, port: 2052, tool: "helper", command: helperTo("tcp", ddve, 2052, 0)},
		{name: "backup client to ssh", client: backup, server: ddve, proto: tcp, port: 22, tool: "ssh", command: sshTo(ddve)},
		{name: "backup client to https", client: backup, server: ddve, proto: tcp, port: 443, tool: "curl", command: curlTo(ddve, 443)},
		{name: "DNS-only peer to NFS 2049", client: dnsHost, server: ddve, proto: tcp, port: 2049, tool: "helper", command: helperTo("tcp", ddve, 2049, 0)},
		{name: "denied host in the ddboost block to 2049", client: rogue, server: ddve, proto: tcp, port: 2049, tool: "helper", command: helperTo("tcp", ddve, 2049, 0)},
		{name: "replication in 2051", client: partner, server: ddve, proto: tcp, port: 2051, tool: "helper", command: helperTo("tcp", ddve, 2051, 0)},
		{name: "replication out 2051", client: ddve, server: partner, proto: tcp, port: 2051, tool: "helper", command: helperTo("tcp", partner, 2051, 0)},
		{name: "NTP", client: ddve, server: ntpHost, proto: udp, port: 123, tool: "chronyd -Q",
			command: func(s *services, marker string) []string {
				// chronyd removes its pid file when it exits: give it one
				// of its own.
				return []string{"chronyd", "-Q", "-t", "2", "-u", "root", "server " + ntpHost.addr.String() + " iburst maxsamples 1", "cmdport 0", "pidfile " + filepath.Join(s.dir, marker+".pid")}
			}, ok: contains("System clock wrong by")},
		{name: "DNS over UDP", client: ddve, server: dnsHost, proto: udp, port: 53, tool: "dig",
			command: func(*services, string) []string {
				return []string{"dig", "@" + dnsHost.addr.String(), "ddve.test", "+short", "+time=1", "+tries=1"}
			}, ok: contains(ddve.addr.String())},
		{name: "DNS over TCP", client: ddve, server: dnsHost, proto: tcp, port: 53, tool: "dig +tcp",
			command: func(*services, string) []string {
				return []string{"dig", "@" + dnsHost.addr.String(), "ddve.test", "+short", "+tcp", "+time=1", "+tries=1"}
			}, ok: contains(ddve.addr.String())},
		{name: "syslog (one-way)", client: ddve, server: syslogH, proto: udp, port: 514, tool: "logger", oneWay: true, serverLog: "syslog",
			command: func(_ *services, marker string) []string {
				return []string{"logger", "-n", syslogH.addr.String(), "-P", "514", "-d", "--rfc3164", marker}
			}},
		{name: "SNMP poll", client: snmpMgr, server: ddve, proto: udp, port: 161, tool: "snmpget",
			command: func(*services, string) []string {
				return []string{"snmpget", "-v2c", "-c", "public", "-t", "1", "-r", "0", "-m", "", "-On", ddve.addr.String(), "1.3.6.1.2.1.1.5.0"}
			}, ok: contains("STRING")},
		{name: "SNMP trap (one-way)", client: ddve, server: snmpMgr, proto: udp, port: 162, tool: "snmptrap", oneWay: true, serverLog: "snmp-traps",
			command: func(_ *services, marker string) []string {
				return []string{"snmptrap", "-v2c", "-c", marker, "-m", "", snmpMgr.addr.String() + ":162", "", "1.3.6.1.6.3.1.1.5.1"}
			}},
		{name: "SMTP 25", client: ddve, server: smtpHost, proto: tcp, port: 25, tool: "helper", command: helperTo("tcp", smtpHost, 25, 0)},
		{name: "KMIP 5696 (TLS)", client: ddve, server: kmipHost, proto: tcp, port: 5696, tool: "curl", command: curlTo(kmipHost, 5696), ok: contains("ok")},
		{name: "LDAP 389", client: ddve, server: dcHost, proto: tcp, port: 389, tool: "helper", command: helperTo("tcp", dcHost, 389, 0)},
		{name: "Kerberos udp 88", client: ddve, server: dcHost, proto: udp, port: 88, tool: "helper", command: helperTo("udp", dcHost, 88, 0)},
	}
}
