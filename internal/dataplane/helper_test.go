package dataplane

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// helperEnv, when set, makes the test binary one of the small servers or
// clients below instead of running tests. They stand in where Debian has
// no quick daemon (DD Boost, NFS and replication ports, SMTP, KMIP, the
// directory's LDAP and Kerberos ports, S3): a listener that answers "ok"
// and logs who connected, and clients that bind a chosen source port.
const helperEnv = "DDVE_DATAPLANE_HELPER"

// Timeouts of the helper clients: everything runs over veth pairs on one
// machine, where an answer takes well under a millisecond.
const (
	helperDialTimeout = 1500 * time.Millisecond
	helperReadTimeout = 1500 * time.Millisecond
)

func runHelper(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "helper: want MODE ADDRESS [SOURCE-PORT]")
		return 2
	}
	mode, addr := args[0], args[1]
	srcPort := 0
	if len(args) > 2 {
		srcPort, _ = strconv.Atoi(args[2])
	}
	var err error
	switch mode {
	case "serve-tcp":
		err = serveTCP(addr)
	case "serve-tls":
		err = serveTLS(addr)
	case "serve-udp-echo":
		err = serveUDP(addr, true)
	case "serve-udp-sink":
		err = serveUDP(addr, false)
	case "tcp":
		err = askTCP(addr, srcPort)
	case "udp":
		err = askUDP(addr, srcPort)
	case "nbns":
		err = askNetBIOSName(addr, srcPort, "DDVE")
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	return 0
}

func serveTCP(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		fmt.Printf("tcp from %s\n", c.RemoteAddr())
		_ = c.SetDeadline(time.Now().Add(helperReadTimeout))
		_, _ = c.Write([]byte("ok\n"))
		c.Close()
	}
}

func serveTLS(addr string) error {
	cert, err := selfSigned()
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              addr,
		ReadHeaderTimeout: 2 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// An upload (a path MTU flow's) is answered with its size.
			n, err := io.Copy(io.Discard, r.Body)
			fmt.Printf("https %s from %s, %d bytes in\n", r.Method, r.RemoteAddr, n)
			switch {
			case err != nil:
				http.Error(w, err.Error(), http.StatusBadRequest)
			case n > 0:
				fmt.Fprintf(w, "ok %d\n", n)
			default:
				fmt.Fprintln(w, "ok")
			}
		}),
	}
	return srv.ListenAndServeTLS("", "")
}

func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ddve data-plane test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func serveUDP(addr string, echo bool) error {
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	buf := make([]byte, 2048)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return err
		}
		fmt.Printf("udp from %s %q\n", from, strings.TrimSpace(string(buf[:n])))
		if echo {
			_, _ = c.WriteTo([]byte("ok\n"), from)
		}
	}
}

func askTCP(addr string, srcPort int) error {
	d := net.Dialer{Timeout: helperDialTimeout}
	if srcPort > 0 {
		d.LocalAddr = &net.TCPAddr{Port: srcPort}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	if tc, ok := c.(*net.TCPConn); ok && srcPort > 0 {
		// A fixed source port is asked again by later flows: closing
		// with a reset leaves no TIME_WAIT on it, so the next bind to
		// the same port and server does not fail with "address already
		// in use".
		_ = tc.SetLinger(0)
	}
	defer c.Close()
	fmt.Printf("local %s\n", c.LocalAddr())
	_ = c.SetDeadline(time.Now().Add(helperReadTimeout))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("no answer: %w", err)
	}
	if strings.TrimSpace(line) != "ok" {
		return fmt.Errorf("answer %q", line)
	}
	return nil
}

func askUDP(addr string, srcPort int) error {
	var local *net.UDPAddr
	if srcPort > 0 {
		local = &net.UDPAddr{Port: srcPort}
	}
	remote, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return err
	}
	c, err := net.DialUDP("udp", local, remote)
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Printf("local %s\n", c.LocalAddr())
	_ = c.SetDeadline(time.Now().Add(helperReadTimeout))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil {
		return fmt.Errorf("no answer: %w", err)
	}
	if strings.TrimSpace(string(buf[:n])) != "ok" {
		return fmt.Errorf("answer %q", buf[:n])
	}
	return nil
}

// askNetBIOSName sends a NetBIOS name query for name<00> (RFC 1002, 4.2.12)
// from srcPort, as Windows hosts send theirs from UDP 137, and waits for a
// positive answer (4.2.13). nmblookup cannot stand in: it sends its
// queries from an ephemeral port even when told -r.
func askNetBIOSName(addr string, srcPort int, name string) error {
	remote, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return err
	}
	c, err := net.DialUDP("udp", &net.UDPAddr{Port: srcPort}, remote)
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Printf("local %s\n", c.LocalAddr())
	query := netbiosNameQuery(0x4444, name)
	_ = c.SetDeadline(time.Now().Add(helperReadTimeout))
	if _, err := c.Write(query); err != nil {
		return err
	}
	buf := make([]byte, 576)
	n, err := c.Read(buf)
	if err != nil {
		return fmt.Errorf("no answer: %w", err)
	}
	// A positive response: the response bit, the query's ID, rcode 0, an
	// answer record.
	if n < 12 || buf[0] != query[0] || buf[1] != query[1] || buf[2]&0x80 == 0 || buf[3]&0x0f != 0 || (buf[6] == 0 && buf[7] == 0) {
		return fmt.Errorf("no positive answer: % x", buf[:n])
	}
	fmt.Printf("%s<00> found\n", strings.ToUpper(name))
	return nil
}

// netbiosNameQuery is a NetBIOS name service query for name<00>: the
// header (transaction ID, flags: a query with recursion desired, one
// question), then the name in first-level encoding (RFC 1001, 14.1: padded
// with spaces to 15 bytes, the suffix byte, each byte's two halves written
// as 'A' plus their value), type NB and class IN.
func netbiosNameQuery(id uint16, name string) []byte {
	query := []byte{byte(id >> 8), byte(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 32}
	for _, b := range []byte(fmt.Sprintf("%-15s", strings.ToUpper(name)) + "\x00") {
		query = append(query, 'A'+b>>4, 'A'+b&0x0f)
	}
	return append(query, 0, 0x00, 0x20, 0x00, 0x01)
}
