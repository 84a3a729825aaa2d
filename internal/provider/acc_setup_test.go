package provider

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// The acceptance backend, shared by the package's TestAcc tests: moto on a
// loopback port. Each test puts a recorder of its own in front of it
// (testRecorder), so tests run in parallel: each counts its own calls and
// meets its own faults, and makes its resources in a VPC of its own.
var backend *acctest.Moto

var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"ddve": providerserver.NewProtocol6WithError(New("test")()),
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if os.Getenv("TF_ACC") == "" {
		return m.Run()
	}
	ctx := context.Background()
	var err error
	backend, err = acctest.StartMoto(ctx, os.Getenv("DDVE_MOTO_LOG"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "acceptance tests:", err)
		return 1
	}
	defer backend.Stop()
	acctest.UseEmulatorCredentials()
	return m.Run()
}

func testAccPreCheck(t *testing.T) {
	t.Helper()
	if backend == nil {
		t.Fatal("the acceptance backend is not running")
	}
}

// testRecorder starts the test's own call recorder in front of the
// emulator, stopped when the test ends. Its counts and faults are the
// test's alone; the provider reaches it through providerConfig(rec).
func testRecorder(t *testing.T) *acctest.Recorder {
	t.Helper()
	if backend == nil {
		t.Skip("acceptance test: set TF_ACC=1 (make testacc) to run it against moto")
	}
	rec, err := acctest.StartRecorder(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Stop)
	return rec
}

// testEC2 is the SDK client tests use to make fixtures and check what the
// backend holds, bypassing the recorder so it counts only the provider.
func testEC2() *ec2.Client { return acctest.EC2Client(backend.URL) }

func testNetwork(t *testing.T) *acctest.Network {
	t.Helper()
	if backend == nil {
		t.Skip("acceptance test: set TF_ACC=1 (make testacc) to run it against moto")
	}
	n, err := acctest.CreateNetwork(context.Background(), testEC2())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// providerConfig points the provider at the test's recorder; extra lines
// go into the provider block.
func providerConfig(rec *acctest.Recorder, extra ...string) string {
	return fmt.Sprintf(`
provider "ddve" {
  region      = %q
  max_retries = 3
  endpoints = {
    ec2 = %q
  }
%s
}
`, acctest.Region, rec.URL, strings.Join(extra, "\n"))
}

// wrapped matches text as Terraform prints it, wrapped at any space.
func wrapped(text string) *regexp.Regexp {
	words := strings.Fields(text)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(strings.Join(words, `\s+`))
}
