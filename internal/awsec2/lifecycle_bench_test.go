package awsec2_test

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The benchmarks measure the EC2 layer against moto: calls per phase of
// the seed posture's life, as custom metrics, and wall time.

type backend struct {
	recorder *acctest.Recorder
	client   *ec2.Client // through the recorder
	network  *acctest.Network
}

func startBackend(b *testing.B) *backend {
	b.Helper()
	if _, err := exec.LookPath("moto_server"); err != nil {
		b.Skip("moto_server not found: " + acctest.MotoInstallHint)
	}
	ctx := context.Background()
	moto, err := acctest.StartMoto(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(moto.Stop)
	recorder, err := acctest.StartRecorder(moto.URL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(recorder.Stop)
	network, err := acctest.CreateNetwork(ctx, acctest.EC2Client(moto.URL))
	if err != nil {
		b.Fatal(err)
	}
	return &backend{recorder: recorder, client: acctest.EC2Client(recorder.URL), network: network}
}

// phase runs fn and returns the EC2 calls it made.
func (be *backend) phase(b *testing.B, fn func() error) int {
	b.Helper()
	be.recorder.Reset()
	if err := fn(); err != nil {
		b.Fatal(err)
	}
	return be.recorder.Calls().Total()
}

func seedIntent(n *acctest.Network, bastions ...string) posture.Intent {
	return posture.Intent{Profiles: map[string]posture.Peers{
		"management":     {CIDRBlocks: bastions, SecurityGroupIDs: []string{n.BastionGroupID}},
		"object_storage": {PrefixListIDs: []string{n.S3PrefixListID}},
	}}
}

func reportCalls(b *testing.B, calls map[string]int) {
	for name, total := range calls {
		b.ReportMetric(float64(total)/float64(b.N), name+"-calls/op")
	}
}

func BenchmarkSeedGroupLifecycle(b *testing.B) {
	be := startBackend(b)
	ctx := context.Background()
	want, err := posture.CompileGroup(seedIntent(be.network, "10.0.1.10/32"), posture.GroupOptions{})
	if err != nil {
		b.Fatal(err)
	}
	grown, err := posture.CompileGroup(seedIntent(be.network, "10.0.1.10/32", "10.0.1.11/32"), posture.GroupOptions{})
	if err != nil {
		b.Fatal(err)
	}
	calls := map[string]int{}
	i := 0
	for b.Loop() {
		i++
		var group *awsec2.SecurityGroup
		var rules []awsec2.GroupRule
		calls["create"] += be.phase(b, func() (err error) {
			group, rules, err = awsec2.CreateSecurityGroup(ctx, be.client, awsec2.CreateGroupInput{
				Name: fmt.Sprintf("bench-%d", i), Description: "bench", VPCID: be.network.VPCID, Rules: want,
			})
			return err
		})
		calls["refresh"] += be.phase(b, func() error {
			if _, err := awsec2.FindSecurityGroupByID(ctx, be.client, group.ID); err != nil {
				return err
			}
			_, err := awsec2.FindGroupRules(ctx, be.client, group.ID)
			return err
		})
		calls["noop-update"] += be.phase(b, func() error {
			_, err := awsec2.SyncGroupRules(ctx, be.client, group.ID, rules, want)
			return err
		})
		calls["peer-update"] += be.phase(b, func() error {
			_, err := awsec2.SyncGroupRules(ctx, be.client, group.ID, rules, grown)
			return err
		})
		calls["destroy"] += be.phase(b, func() error {
			return awsec2.DeleteSecurityGroup(ctx, be.client, group.ID, time.Minute)
		})
	}
	reportCalls(b, calls)
}

func BenchmarkSeedACLLifecycle(b *testing.B) {
	be := startBackend(b)
	ctx := context.Background()
	opts := posture.ACLOptions{
		Deny:            []posture.DenyRule{{CIDRBlock: "5.5.5.5/32"}},
		PrefixListCIDRs: map[string][]string{be.network.S3PrefixListID: be.network.S3PrefixListCIDR},
	}
	aclIntent := func(bastions ...string) posture.Intent {
		in := seedIntent(be.network, bastions...)
		p := in.Profiles["management"]
		p.SecurityGroupIDs = nil
		in.Profiles["management"] = p
		return in
	}
	want, err := posture.CompileACL(aclIntent("10.0.1.10/32"), opts)
	if err != nil {
		b.Fatal(err)
	}
	opts.Previous = want
	grown, err := posture.CompileACL(aclIntent("10.0.1.10/32", "10.0.1.11/32"), opts)
	if err != nil {
		b.Fatal(err)
	}
	calls := map[string]int{}
	for b.Loop() {
		var acl *awsec2.NetworkACL
		calls["create"] += be.phase(b, func() (err error) {
			acl, _, err = awsec2.CreateNetworkACL(ctx, be.client, awsec2.CreateACLInput{
				VPCID: be.network.VPCID, Entries: want, SubnetIDs: []string{be.network.DDVESubnetID},
			})
			return err
		})
		calls["refresh"] += be.phase(b, func() error {
			_, err := awsec2.FindNetworkACLByID(ctx, be.client, acl.ID)
			return err
		})
		calls["peer-update"] += be.phase(b, func() error {
			return awsec2.SyncEntries(ctx, be.client, acl.ID, want, grown, 0)
		})
		calls["destroy"] += be.phase(b, func() error {
			return awsec2.DeleteNetworkACL(ctx, be.client, acl.ID, be.network.DefaultACLID, time.Minute)
		})
	}
	reportCalls(b, calls)
}

// BenchmarkCreateACL30 times the creation of an ACL of 30 entries, one
// entry per call, with one call in flight, with the default and with
// twice the default, against moto as it is and with 50ms added to every
// call, closer to AWS.
func BenchmarkCreateACL30(b *testing.B) {
	be := startBackend(b)
	ctx := context.Background()
	hosts := make([]string, 10)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("10.0.1.%d/32", i+10)
	}
	entries, err := posture.CompileACL(posture.Intent{Profiles: map[string]posture.Peers{"management": {CIDRBlocks: hosts}}},
		posture.ACLOptions{EntriesPerDirectionQuota: 40})
	if err != nil {
		b.Fatal(err)
	}
	if len(entries) != 30 {
		b.Fatalf("%d entries, want 30", len(entries))
	}
	for _, run := range []struct {
		latency     time.Duration
		concurrency int
	}{
		{0, 1}, {0, awsec2.DefaultEntryConcurrency},
		{50 * time.Millisecond, 1}, {50 * time.Millisecond, awsec2.DefaultEntryConcurrency / 2},
		{50 * time.Millisecond, awsec2.DefaultEntryConcurrency}, {50 * time.Millisecond, 2 * awsec2.DefaultEntryConcurrency},
	} {
		b.Run(fmt.Sprintf("latency=%s/concurrency=%d", run.latency, run.concurrency), func(b *testing.B) {
			be.recorder.SetLatency(run.latency)
			defer be.recorder.SetLatency(0)
			concurrency := run.concurrency
			for b.Loop() {
				acl, _, err := awsec2.CreateNetworkACL(ctx, be.client, awsec2.CreateACLInput{
					VPCID: be.network.VPCID, Entries: entries, Concurrency: concurrency,
				})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := awsec2.DeleteNetworkACL(ctx, be.client, acl.ID, be.network.DefaultACLID, time.Minute); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
