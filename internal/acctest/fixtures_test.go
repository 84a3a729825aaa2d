package acctest_test

import (
	"context"
	"os"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

func TestAccNetworkFixture(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("needs moto_server: set TF_ACC=1")
	}
	ctx := context.Background()
	moto, err := acctest.StartMoto(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer moto.Stop()
	rec, err := acctest.StartRecorder(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Stop()
	n, err := acctest.CreateNetwork(ctx, acctest.EC2Client(rec.URL))
	if err != nil {
		t.Fatal(err)
	}
	if len(n.S3PrefixListCIDR) == 0 || n.DefaultACLID == "" {
		t.Fatalf("incomplete network %+v", n)
	}
	if got := rec.Calls()["CreateSubnet"]; got != 3 {
		t.Fatalf("recorder counted %d CreateSubnet calls, want 3: %v", got, rec.Calls())
	}
	t.Logf("network %+v", n)
}
