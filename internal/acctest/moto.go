// Package acctest runs the acceptance tests' backend: moto in server mode
// on a loopback port, behind a recording proxy that counts EC2 calls and
// injects what AWS does and moto does not (throttling, latency, scripted
// errors, replies lost after the call took effect, new IDs unknown for a
// while), plus fixtures made through the SDK.
package acctest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// MotoInstallHint is the command that installs the emulator.
const MotoInstallHint = "python3 -m pip install 'moto[server]'"

// Moto is a running moto_server.
type Moto struct {
	URL string
	cmd *exec.Cmd
	log *os.File
}

// StartMoto starts moto_server on a free 127.0.0.1 port and waits until it
// answers. Its output goes to logPath when set.
func StartMoto(ctx context.Context, logPath string) (*Moto, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server not found: %s", MotoInstallHint)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	m := &Moto{URL: fmt.Sprintf("http://127.0.0.1:%d", port)}
	m.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if logPath != "" {
		if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
			return nil, err
		}
		if m.log, err = os.Create(logPath); err != nil {
			return nil, err
		}
		m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	}
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting moto_server: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(m.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return m, nil
		}
		select {
		case <-ctx.Done():
			m.Stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	m.Stop()
	return nil, errors.New("moto_server did not answer within 30s")
}

// Stop ends the server.
func (m *Moto) Stop() {
	if m.cmd != nil && m.cmd.Process != nil {
		_ = m.cmd.Process.Kill()
		_, _ = m.cmd.Process.Wait()
	}
	if m.log != nil {
		m.log.Close()
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, fmt.Errorf("unexpected listener address %v", l.Addr())
	}
	return addr.Port, nil
}

// UseEmulatorCredentials sets the process environment for tests against
// the emulator: moto takes any credentials, and these keep the SDK and the
// provider from looking further along the chain (a profile, a session
// token) or asking the instance metadata service, which lies off loopback.
func UseEmulatorCredentials() {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": Region,
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		os.Setenv(k, v)
	}
	os.Unsetenv("AWS_PROFILE")
	os.Unsetenv("AWS_SESSION_TOKEN")
}
