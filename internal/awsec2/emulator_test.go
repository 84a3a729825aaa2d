package awsec2_test

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// The package's tests against moto share one emulator, started by the
// first test that asks for it; each test puts its own recorder and VPC in
// front of it.
var shared struct {
	once sync.Once
	moto *acctest.Moto
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.moto != nil {
		shared.moto.Stop()
	}
	os.Exit(code)
}

// emulator returns the shared emulator's URL; without moto_server the
// test is skipped (make test checks that it is installed).
func emulator(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Skip("moto_server not found: " + acctest.MotoInstallHint)
	}
	shared.once.Do(func() { shared.moto, shared.err = acctest.StartMoto(context.Background(), "") })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.moto.URL
}
