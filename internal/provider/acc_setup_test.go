package provider

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// The acceptance backend, shared by the package's TestAcc tests: moto on a
// loopback port behind the call-counting recorder.
var (
	backend  *acctest.Moto
	recorder *acctest.Recorder
)

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
	recorder, err = acctest.StartRecorder(backend.URL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "acceptance tests:", err)
		return 1
	}
	defer recorder.Stop()
	// The emulator takes any credentials; these keep the SDK from looking
	// further along the chain. Tests never point anywhere but loopback.
	// The instance metadata service is never asked: it lies off loopback.
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": acctest.Region,
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		os.Setenv(k, v)
	}
	os.Unsetenv("AWS_PROFILE")
	os.Unsetenv("AWS_SESSION_TOKEN")
	return m.Run()
}

func testAccPreCheck(t *testing.T) {
	t.Helper()
	if recorder == nil {
		t.Fatal("the acceptance backend is not running")
	}
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

// providerConfig points the provider at the recorder; extra lines go into
// the provider block.
func providerConfig(extra ...string) string {
	return fmt.Sprintf(`
provider "ddve" {
  region      = %q
  max_retries = 3
  endpoints = {
    ec2 = %q
  }
%s
}
`, acctest.Region, recorder.URL, strings.Join(extra, "\n"))
}

// wrapped matches text as Terraform prints it, wrapped at any space.
func wrapped(text string) *regexp.Regexp {
	words := strings.Fields(text)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(strings.Join(words, `\s+`))
}

// expectNoMutatingCalls checks that what ran since the recorder's last
// reset changed nothing in AWS.
func expectNoMutatingCalls(what string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if m := recorder.Calls().Mutating(); len(m) > 0 {
			return fmt.Errorf("%s made mutating EC2 calls: %v", what, m)
		}
		return nil
	}
}

// expectCallsBefore checks that calls of the first actions were made, and
// that none of the then actions came before the last of them: what is added
// is in place before anything is removed.
func expectCallsBefore(first, then []string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		seq := recorder.Sequence()
		lastFirst, firstThen := -1, len(seq)
		for i, action := range seq {
			switch {
			case slices.Contains(first, action):
				lastFirst = i
			case slices.Contains(then, action):
				firstThen = min(firstThen, i)
			}
		}
		if lastFirst < 0 || lastFirst > firstThen {
			return fmt.Errorf("want %v before %v: %v", first, then, seq)
		}
		return nil
	}
}
