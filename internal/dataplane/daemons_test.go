package dataplane

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// services are the servers the flows reach, and where their logs are.
type services struct {
	clientKey string            // ssh private key the clients log in with
	dir       string            // the test's scratch directory
	logs      map[string]string // by server name: log file
	upload    string            // pathMTUUpload bytes, which path MTU flows send
	sftpBatch string            // the sftp clients' commands
	// servers names what answers each host's port ("ddve tcp/22"): a
	// real daemon, or the test binary's listener standing in for one.
	servers map[string]string
}

func serverKey(role string, proto, port int) string {
	return fmt.Sprintf("%s %s/%d", role, map[int]string{tcp: "tcp", udp: "udp"}[proto], port)
}

// serves records that daemon answers proto/port on h.
func (s *services) serves(h *host, daemon string, proto int, ports ...int) {
	for _, port := range ports {
		s.servers[serverKey(h.role, proto, port)] = daemon
	}
}

// server names what answers the flow: the kernel for ICMP echo.
func (s *services) server(f *flow) string {
	if f.proto == icmp || f.proto == icmpv6 {
		return "kernel"
	}
	if name, ok := s.servers[serverKey(f.server.role, f.proto, f.port)]; ok {
		return name
	}
	return "nothing"
}

// startServices starts, in their namespaces, the real daemons Debian
// ships (sshd, rpcbind, snmpd, chronyd, dnsmasq) and the test binary's
// helper listeners where no daemon is quick to run, and waits until each
// listens.
func (l *lab) startServices() *services {
	l.t.Helper()
	s := &services{logs: map[string]string{}, dir: l.dir, servers: map[string]string{}}
	exe, err := os.Executable()
	if err != nil {
		l.t.Fatal(err)
	}
	// The helpers listen on every address of their namespace, IPv4 and
	// IPv6.
	helper := func(h *host, name, mode, proto string, port int) {
		s.logs[name] = l.start(l.ns(h.role), name, []string{helperEnv + "=1"}, exe, mode, fmt.Sprintf(":%d", port))
		l.waitListening(l.ns(h.role), proto, port)
		s.serves(h, "stand-in "+mode, map[string]int{"tcp": tcp, "udp": udp}[proto], port)
	}
	s.upload = l.writeFile("upload.bin", strings.Repeat("x", pathMTUUpload))

	s.clientKey = l.startSSHD()
	// The ssh clients read an empty configuration, and each writes DDVE's
	// host key to a known_hosts of the test's own (no file outside the
	// scratch directory is written).
	l.writeFile("ssh_config", "")
	s.sftpBatch = l.writeFile("sftp_batch", "pwd\n")
	s.logs["sshd"] = filepath.Join(l.dir, "sshd.log")
	s.serves(ddve, "OpenSSH sshd", tcp, 22)

	// DDVE's own services.
	helper(ddve, "ddve-https", "serve-tls", "tcp", 443)
	helper(ddve, "ddve-rest", "serve-tls", "tcp", 3009)
	helper(ddve, "ddve-nfs", "serve-tcp", "tcp", 2049)
	helper(ddve, "ddve-repl", "serve-tcp", "tcp", 2051)
	helper(ddve, "ddve-mountd", "serve-tcp", "tcp", 2052)
	// rpcbind keeps a lock and a socket under /run, outside any network
	// namespace; they go when the test ends.
	s.logs["rpcbind"] = l.start(l.ns(ddve.role), "rpcbind", nil, "rpcbind", "-f", "-w")
	l.t.Cleanup(func() { os.Remove("/run/rpcbind.sock"); os.Remove("/run/rpcbind.lock") })
	l.waitListening(l.ns(ddve.role), "tcp", 111)
	s.serves(ddve, "rpcbind", tcp, 111)
	s.serves(ddve, "rpcbind", udp, 111)
	l.startSamba(s)
	snmpdConf := l.writeFile("snmpd.conf", "rocommunity public default\n")
	s.logs["snmpd"] = l.start(l.ns(ddve.role), "snmpd", nil, "snmpd", "-f", "-Lo", "-C", "-c", snmpdConf,
		"-p", filepath.Join(l.dir, "snmpd.pid"), "udp:"+ddve.addr.String()+":161")
	l.waitListening(l.ns(ddve.role), "udp", 161)
	s.serves(ddve, "Net-SNMP snmpd", udp, 161)

	// The peers' services.
	helper(bastion, "bastion-ssh", "serve-tcp", "tcp", 22)
	helper(partner, "partner-repl", "serve-tcp", "tcp", 2051)
	helper(s3Host, "s3-https", "serve-tls", "tcp", 443)
	helper(s3Far, "s3far-https", "serve-tls", "tcp", 443)
	helper(farPartner, "farpartner-repl", "serve-tls", "tcp", 2051)
	helper(internet, "internet-https", "serve-tls", "tcp", 443)
	helper(kmipHost, "kmip-tls", "serve-tls", "tcp", 5696)
	helper(smtpHost, "smtp", "serve-tcp", "tcp", 25)
	helper(dcHost, "dc-ldap", "serve-tcp", "tcp", 389)
	helper(dcHost, "dc-kerberos", "serve-udp-echo", "udp", 88)
	helper(dcHost, "dc-smb", "serve-tcp", "tcp", 445)
	helper(dcHost, "dc-epmap", "serve-tcp", "tcp", 135)
	helper(dcHost, "dc-rpc", "serve-tcp", "tcp", rpcDynamicPort)
	helper(syslogH, "syslog", "serve-udp-sink", "udp", 514)
	helper(snmpMgr, "snmp-traps", "serve-udp-sink", "udp", 162)

	chronyConf := l.writeFile("chrony-server.conf", strings.Join([]string{
		"allow all", "local stratum 8", "bindaddress " + ntpHost.addr.String(), "bindaddress " + ntpHost.addr6.String(), "cmdport 0",
		"pidfile " + filepath.Join(l.dir, "chrony-server.pid"), "driftfile " + filepath.Join(l.dir, "chrony.drift"),
	}, "\n")+"\n")
	// -x: serve time without touching the machine's clock.
	s.logs["chronyd"] = l.start(l.ns(ntpHost.role), "chronyd", nil, "chronyd", "-d", "-x", "-u", "root", "-f", chronyConf)
	l.waitListening(l.ns(ntpHost.role), "udp", 123)
	s.serves(ntpHost, "chronyd", udp, 123)

	s.logs["dnsmasq"] = l.start(l.ns(dnsHost.role), "dnsmasq", nil, "dnsmasq", "-k", "-C", l.writeFile("dnsmasq.conf", ""), "--no-resolv", "--no-hosts",
		"--listen-address="+dnsHost.addr.String(), "--listen-address="+dnsHost.addr6.String(), "--bind-interfaces", "--address=/ddve.test/"+ddve.addr.String(),
		"--pid-file="+filepath.Join(l.dir, "dnsmasq.pid"), "--user=root", "--log-queries", "--log-facility=-")
	l.waitListening(l.ns(dnsHost.role), "udp", 53)
	l.waitListening(l.ns(dnsHost.role), "tcp", 53)
	s.serves(dnsHost, "dnsmasq", udp, 53)
	s.serves(dnsHost, "dnsmasq", tcp, 53)
	return s
}

// startSSHD runs OpenSSH's server on DDVE with a fresh host key, letting
// in root with a fresh client key, whose path it returns.
func (l *lab) startSSHD() string {
	l.t.Helper()
	hostKey, clientKey := filepath.Join(l.dir, "ssh_host_key"), filepath.Join(l.dir, "client_key")
	l.must("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey)
	l.must("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", clientKey)
	pub, err := os.ReadFile(clientKey + ".pub")
	if err != nil {
		l.t.Fatal(err)
	}
	authorized := l.writeFile("authorized_keys", string(pub))
	conf := l.writeFile("sshd_config", strings.Join([]string{
		"ListenAddress " + ddve.addr.String(), "ListenAddress " + ddve.addr6.String(), "HostKey " + hostKey, "AuthorizedKeysFile " + authorized,
		"PermitRootLogin prohibit-password", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
		"UsePAM no", "StrictModes no", "PidFile none",
		// Many clients may log in at once (MaxStartups' default starts
		// refusing at 10 unauthenticated connections), and no name
		// service answers here.
		"MaxStartups 100", "UseDNS no",
		// sftp in sshd's own process: no shell runs for a login.
		"Subsystem sftp internal-sftp",
	}, "\n")+"\n")
	// sshd's privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		l.t.Fatal(err)
	}
	l.start(l.ns(ddve.role), "sshd", nil, "/usr/sbin/sshd", "-D", "-e", "-f", conf)
	l.waitListening(l.ns(ddve.role), "tcp", 22)
	return clientKey
}

// startSamba runs Samba's smbd (SMB on 445, and on 139 behind a NetBIOS
// session) and nmbd (NetBIOS names on UDP 137 and 138) on DDVE, standing in
// for DD OS's CIFS server, with a read-only share guests may list. Every
// file Samba keeps goes under the test's scratch directory.
func (l *lab) startSamba(s *services) {
	l.t.Helper()
	root := filepath.Join(l.dir, "samba")
	global := []string{
		"[global]", "workgroup = DDVE", "netbios name = DDVE", "server role = standalone server",
		"interfaces = " + ddve.addr.String() + "/24 " + ddve.addr6.String() + "/64", "bind interfaces only = yes",
		"smb ports = 445 139", "disable netbios = no", "map to guest = Bad User", "guest account = nobody",
		"load printers = no", "printcap name = /dev/null", "disable spoolss = yes",
		"log file = " + filepath.Join(root, "log.%m"),
	}
	for _, dir := range []string{"lock", "state", "cache", "private", "pid", "ncalrpc", "share"} {
		path := filepath.Join(root, dir)
		if err := os.MkdirAll(path, 0o755); err != nil {
			l.t.Fatal(err)
		}
		if dir != "share" {
			global = append(global, dir+" directory = "+path)
		}
	}
	global = append(global, "[backup]", "path = "+filepath.Join(root, "share"), "guest ok = yes", "read only = yes")
	conf := strings.Join(global, "\n") + "\n"
	// Samba names two of its directories differently.
	conf = strings.NewReplacer("private directory", "private dir", "ncalrpc directory", "ncalrpc dir").Replace(conf)
	if err := os.Chmod(l.writeFile("samba/share/readme.txt", "backup share\n"), 0o644); err != nil {
		l.t.Fatal(err)
	}
	// The guest account (nobody) must reach the share: open the scratch
	// directory and its parent, which the testing package makes 0700, to
	// traversal. The keys in it keep their own 0600.
	for _, dir := range []string{filepath.Dir(l.dir), l.dir, root} {
		if err := os.Chmod(dir, 0o711); err != nil {
			l.t.Fatal(err)
		}
	}
	path := l.writeFile("smb.conf", conf)
	for _, daemon := range []string{"smbd", "nmbd"} {
		s.logs[daemon] = l.start(l.ns(ddve.role), daemon, nil, daemon, "--foreground", "--no-process-group", "--debug-stdout", "-s", path)
	}
	l.waitListening(l.ns(ddve.role), "tcp", 445)
	l.waitListening(l.ns(ddve.role), "tcp", 139)
	l.waitListening(l.ns(ddve.role), "udp", 137)
	s.serves(ddve, "Samba smbd", tcp, 445, 139)
	s.serves(ddve, "Samba nmbd", udp, 137)
}

func (l *lab) writeFile(name, content string) string {
	l.t.Helper()
	path := filepath.Join(l.dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		l.t.Fatal(err)
	}
	return path
}
