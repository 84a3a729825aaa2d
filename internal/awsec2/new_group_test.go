package awsec2_test

import (
	"context"
	"testing"
	"time"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The create reads nothing back, so the first read after it may meet a
// group EC2 does not list yet: it waits while the group is new, and only
// then; an older group that is not found is gone.
func TestFindNewGroupAndRulesWaitsForANewGroup(t *testing.T) {
	ctx := context.Background()
	url := emulator(t)
	rec, err := acctest.StartRecorder(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Stop)
	n, err := acctest.CreateNetwork(ctx, acctest.EC2Client(url))
	if err != nil {
		t.Fatal(err)
	}
	client := quickRetryClient(rec.URL)
	want, err := posture.CompileGroup(posture.Intent{Profiles: map[string]posture.Peers{
		"management": {CIDRBlocks: []string{"10.0.1.10/32"}},
	}}, posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec.Lag("CreateSecurityGroup", 2, "DescribeSecurityGroups")
	group, _, err := awsec2.CreateSecurityGroup(ctx, client, awsec2.CreateGroupInput{Name: "ddve-new", Description: "d", VPCID: n.VPCID, Rules: want})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := awsec2.FindNewGroupAndRules(ctx, client, group.ID, time.Time{}); !awsec2.IsNotFound(err) {
		t.Fatalf("an old group EC2 does not list: %v, want not found", err)
	}
	found, rules, err := awsec2.FindNewGroupAndRules(ctx, client, group.ID, time.Now())
	if err != nil {
		t.Fatalf("a new group EC2 does not list yet: %v", err)
	}
	if found.ID != group.ID || found.ARN != group.ARN || found.OwnerID != group.OwnerID || found.Name != "ddve-new" {
		t.Errorf("read %+v, created %+v", found, group)
	}
	if d := awsec2.DiffRulesCount(rules, want); d != 0 {
		t.Errorf("%d rules differ from the wanted", d)
	}
	if pending := rec.Pending(); len(pending) > 0 {
		t.Errorf("faults never met: %v", pending)
	}
}
