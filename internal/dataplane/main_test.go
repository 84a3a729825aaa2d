package dataplane

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// backend is moto on a loopback port, started when TF_ACC is set.
var backend *acctest.Moto

func TestMain(m *testing.M) {
	// The test binary doubles as the small servers and clients that run
	// inside the namespaces (helper.go's modes).
	if os.Getenv(helperEnv) != "" {
		os.Exit(runHelper(os.Args[1:]))
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if os.Getenv("TF_ACC") == "" {
		return m.Run()
	}
	var err error
	backend, err = acctest.StartMoto(context.Background(), os.Getenv("DDVE_MOTO_LOG"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "data-plane tests:", err)
		return 1
	}
	defer backend.Stop()
	acctest.UseEmulatorCredentials()
	return m.Run()
}
