package dataplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nsPrefix starts the name of every network namespace the test makes,
// followed by the test process's ID, so that a later run can tell its own
// leftovers (a killed run leaves them) from a running test's.
const nsPrefix = "ddvedp-"

// commandTimeout bounds every command the test runs to completion.
const commandTimeout = 10 * time.Second

// tools the test needs; each is checked before anything is made.
var requiredTools = []string{
	"ip", "nft", "conntrack", "ss", "sysctl",
	"/usr/sbin/sshd", "sftp", "ssh-keygen", "curl", "chronyd", "dnsmasq", "dig",
	"rpcbind", "rpcinfo", "snmpd", "snmpget", "snmptrap", "logger", "ping",
	"/usr/sbin/smbd", "/usr/sbin/nmbd", "smbclient", "nmblookup",
}

// requireDataplane skips the test where it cannot run (not root, tools
// missing) with the reason, and fails instead under CI=true, so that CI
// proves it ran.
func requireDataplane(t *testing.T) {
	t.Helper()
	stop := t.Skipf
	if os.Getenv("CI") == "true" {
		stop = t.Fatalf
	}
	if os.Geteuid() != 0 {
		stop("data-plane test: needs root to make network namespaces")
	}
	var missing []string
	for _, tool := range requiredTools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		stop("data-plane test: missing %s (install them with make dataplane-deps)", strings.Join(missing, ", "))
	}
}

// lab owns the namespaces and processes of one test run and removes them
// when the test ends.
type lab struct {
	t   *testing.T
	id  string
	dir string
}

func newLab(t *testing.T) *lab {
	t.Helper()
	removeStaleNamespaces(t)
	l := &lab{t: t, id: strconv.Itoa(os.Getpid()), dir: t.TempDir()}
	return l
}

// ns names the namespace of a role.
func (l *lab) ns(role string) string { return nsPrefix + l.id + "-" + role }

// addNamespace makes a namespace, deleted (with whatever still runs in
// it) when the test ends.
func (l *lab) addNamespace(role string) {
	l.t.Helper()
	name := l.ns(role)
	l.must("ip", "netns", "add", name)
	l.t.Cleanup(func() { deleteNamespace(l.t.Logf, name) })
	l.must("ip", "-n", name, "link", "set", "lo", "up")
}

// removeStaleNamespaces deletes the namespaces a run that no longer exists
// left behind.
func removeStaleNamespaces(t *testing.T) {
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, nsPrefix) {
			continue
		}
		pid, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(name, nsPrefix), "-", 2)[0])
		if err == nil && processExists(pid) {
			continue
		}
		t.Logf("removing the stale namespace %s", name)
		deleteNamespace(t.Logf, name)
	}
}

func processExists(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// deleteNamespace ends the processes left in a namespace (a previous run's
// daemons, by their IDs as the kernel lists them) and deletes it.
func deleteNamespace(logf func(string, ...any), name string) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, _ := exec.CommandContext(ctx, "ip", "netns", "pids", name).Output()
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if out, err := exec.CommandContext(ctx, "ip", "netns", "del", name).CombinedOutput(); err != nil {
		logf("deleting namespace %s: %v: %s", name, err, out)
	}
}

// run runs a command to completion, within commandTimeout, in a namespace
// (ns empty: the test's own), and returns its combined output.
func (l *lab) run(timeout time.Duration, ns string, argv ...string) (string, error) {
	if timeout <= 0 || timeout > commandTimeout {
		timeout = commandTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if ns != "" {
		argv = append([]string{"ip", "netns", "exec", ns}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Kill the whole group: ip netns exec runs the command as its child.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %s: %w", timeout, errors.Join(err, ctx.Err()))
	}
	return string(out), err
}

// must runs a setup command in the test's own namespace and fails the test
// if it fails.
func (l *lab) must(argv ...string) string {
	l.t.Helper()
	out, err := l.run(0, "", argv...)
	if err != nil {
		l.t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return out
}

// mustIn is must inside a namespace.
func (l *lab) mustIn(ns string, argv ...string) string {
	l.t.Helper()
	out, err := l.run(0, ns, argv...)
	if err != nil {
		l.t.Fatalf("in %s: %s: %v\n%s", ns, strings.Join(argv, " "), err, out)
	}
	return out
}

// start starts a long-running process in a namespace, its output in a log
// file named after it, and ends it (its process group, by ID) when the
// test ends.
func (l *lab) start(ns, logName string, env []string, argv ...string) (logPath string) {
	l.t.Helper()
	logPath = filepath.Join(l.dir, logName+".log")
	f, err := os.Create(logPath)
	if err != nil {
		l.t.Fatal(err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		l.t.Fatalf("starting %s: %v", logName, err)
	}
	l.t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		f.Close()
	})
	return logPath
}

// loadRuleset loads an nft ruleset into a namespace.
func (l *lab) loadRuleset(ns, name, ruleset string) error {
	path := filepath.Join(l.dir, name+".nft")
	if err := os.WriteFile(path, []byte(ruleset), 0o644); err != nil {
		return err
	}
	if out, err := l.run(0, ns, "nft", "-f", path); err != nil {
		return fmt.Errorf("nft -f %s in %s: %v\n%s", path, ns, err, out)
	}
	return nil
}

// waitListening waits until a server listens on port in a namespace.
func (l *lab) waitListening(ns, proto string, port int) {
	l.t.Helper()
	flag := "-ltnH"
	if proto == "udp" {
		flag = "-lunH"
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := l.run(0, ns, "ss", flag, fmt.Sprintf("sport = :%d", port))
		if strings.TrimSpace(out) != "" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	l.t.Fatalf("nothing listens on %s %d in %s after 5s", proto, port, ns)
}
