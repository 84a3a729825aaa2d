package awsec2_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The fault sweep: what AWS does and moto never shows, injected by the
// recorder at one step of one phase of a group's or an ACL's life, one
// fault per case. A reply lost after the call took effect (the SDK repeats
// the call, and AWS answers the repeat as it answers a repeated call), and
// a new ID unknown for a while (the next calls naming it answer its
// not-found code). Each operation must succeed at once, with exactly one
// group or ACL in the VPC holding what was asked, and the fault met. The
// provider's acceptance tests put the same faults, a phase's at once,
// through Terraform.

// sweepFault is one fault at one step.
type sweepFault struct {
	phase  string // create, update or destroy
	action string // the call that meets it
	lag    string // for a lag, the create call that hands out the lagging ID
}

func (f sweepFault) String() string {
	if f.lag != "" {
		return fmt.Sprintf("%s/lag at %s", f.phase, f.action)
	}
	return fmt.Sprintf("%s/lost reply at %s", f.phase, f.action)
}

func (f sweepFault) arm(rec *acctest.Recorder) {
	rec.ClearFaults()
	if f.lag != "" {
		rec.Lag(f.lag, 2, f.action)
		return
	}
	rec.LoseReply(f.action, 1)
}

func sweepFaults(phase string, actions []string, lag string) []sweepFault {
	out := make([]sweepFault, len(actions))
	for i, a := range actions {
		out[i] = sweepFault{phase: phase, action: a, lag: lag}
	}
	return out
}

// lifecycle is what the sweep needs of a resource's life at the EC2
// layer, in the order the provider's resource calls it.
type lifecycle interface {
	create(ctx context.Context, stage int) error
	update(ctx context.Context, stage int) error
	destroy(ctx context.Context) error
	// check compares what the VPC holds with the stage (-1: nothing).
	check(ctx context.Context, stage int) error
}

// sweep runs each fault in a case of its own, in parallel: each case has
// its recorder and VPC. An update fault is armed before the switch from
// stage 0 to 1 and back, and met in whichever makes the call.
// newLife gets a client through the recorder, for the layer under test,
// and one straight to the emulator, for checks.
func sweep(t *testing.T, faults []sweepFault, newLife func(client, backend *ec2.Client, n *acctest.Network) lifecycle) {
	t.Helper()
	url := emulator(t)
	for _, f := range faults {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			rec, err := acctest.StartRecorder(url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(rec.Stop)
			n, err := acctest.CreateNetwork(ctx, acctest.EC2Client(url))
			if err != nil {
				t.Fatal(err)
			}
			life := newLife(quickRetryClient(rec.URL), acctest.EC2Client(url), n)
			step := func(what string, armed bool, fn func() error, stage int) {
				t.Helper()
				if armed {
					f.arm(rec)
				}
				if err := fn(); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if err := life.check(ctx, stage); err != nil {
					t.Fatalf("after %s: %v", what, err)
				}
			}
			step("create", f.phase == "create", func() error { return life.create(ctx, 0) }, 0)
			if f.phase == "update" {
				step("update to stage 1", true, func() error { return life.update(ctx, 1) }, 1)
				step("update back to stage 0", false, func() error { return life.update(ctx, 0) }, 0)
			}
			step("destroy", f.phase == "destroy", func() error { return life.destroy(ctx) }, -1)
			if pending := rec.Pending(); len(pending) > 0 {
				t.Fatalf("the fault was never met: %v", pending)
			}
		})
	}
}

// quickRetryClient is an SDK client for the recorder whose retries after a
// lost reply wait milliseconds: the SDK's backoff is not under test.
func quickRetryClient(url string) *ec2.Client {
	return ec2.New(acctest.EC2Client(url).Options(), func(o *ec2.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) { so.MaxBackoff = 20 * time.Millisecond })
	})
}

// Going from stage 0 to 1 authorizes ingress and egress, revokes
// ingress, changes a rule's description, deletes one tag and creates
// another; going back revokes egress too.
var groupFaults = slices.Concat(
	sweepFaults("create", []string{"CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
		"RevokeSecurityGroupEgress", "ModifySecurityGroupRules"}, ""),
	sweepFaults("create", []string{"DescribeSecurityGroups", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
		"RevokeSecurityGroupEgress", "DescribeSecurityGroupRules", "ModifySecurityGroupRules"}, "CreateSecurityGroup"),
	sweepFaults("update", []string{"AuthorizeSecurityGroupIngress", "RevokeSecurityGroupEgress", "AuthorizeSecurityGroupEgress",
		"RevokeSecurityGroupIngress", "ModifySecurityGroupRules", "CreateTags", "DeleteTags"}, ""),
	sweepFaults("destroy", []string{"DeleteSecurityGroup"}, ""),
)

// Going from stage 0 to 1 creates entries for a new peer and going back
// deletes them; both replace the deny entry in place, move one subnet on
// and one off, and change tags both ways.
var aclFaults = slices.Concat(
	sweepFaults("create", []string{"CreateNetworkAcl", "CreateNetworkAclEntry", "ReplaceNetworkAclAssociation"}, ""),
	sweepFaults("create", []string{"CreateNetworkAclEntry", "ReplaceNetworkAclAssociation", "DescribeNetworkAcls"}, "CreateNetworkAcl"),
	sweepFaults("update", []string{"CreateNetworkAclEntry", "DeleteNetworkAclEntry", "ReplaceNetworkAclEntry",
		"ReplaceNetworkAclAssociation", "CreateTags", "DeleteTags"}, ""),
	sweepFaults("destroy", []string{"ReplaceNetworkAclAssociation", "DeleteNetworkAcl"}, ""),
)

func TestFaultSweepSecurityGroup(t *testing.T) {
	sweep(t, groupFaults, func(c, b *ec2.Client, n *acctest.Network) lifecycle { return newGroupLife(t, c, b, n) })
}

func TestFaultSweepNetworkACL(t *testing.T) {
	sweep(t, aclFaults, func(c, b *ec2.Client, n *acctest.Network) lifecycle { return newACLLife(t, c, b, n) })
}

// sweepTags are the tags of each stage.
var sweepTags = [2]map[string]string{
	{"Name": "ddve-sweep", "stage": "a"},
	{"Name": "ddve-sweep", "owner": "b"},
}

// groupLife is a security group's life as ddve_security_group leads it.
type groupLife struct {
	client  *ec2.Client // through the recorder
	backend *ec2.Client // straight to the emulator
	network *acctest.Network
	want    [2][]posture.Rule
	id      string
	stage   int
	rules   []awsec2.GroupRule
}

func newGroupLife(t *testing.T, client, backend *ec2.Client, n *acctest.Network) *groupLife {
	t.Helper()
	intent := func(peer, description string, extra ...posture.CustomRule) posture.Intent {
		port := 8443
		return posture.Intent{
			Profiles: map[string]posture.Peers{
				"management":     {CIDRBlocks: []string{peer}},
				"object_storage": {PrefixListIDs: []string{n.S3PrefixListID}},
			},
			CustomRules: append([]posture.CustomRule{{
				Direction: posture.Egress, Protocol: "tcp", FromPort: &port, ToPort: &port,
				Peers: posture.Peers{CIDRBlocks: []string{"10.0.9.0/24"}}, Description: description,
			}}, extra...),
		}
	}
	port := 9443
	life := &groupLife{client: client, backend: backend, network: n}
	for stage, in := range []posture.Intent{
		intent("10.0.1.10/32", "agent v1"),
		intent("10.0.1.11/32", "agent v2", posture.CustomRule{
			Direction: posture.Egress, Protocol: "tcp", FromPort: &port, ToPort: &port,
			Peers: posture.Peers{CIDRBlocks: []string{"10.0.8.0/24"}},
		}),
	} {
		rules, err := posture.CompileGroup(in, posture.GroupOptions{})
		if err != nil {
			t.Fatal(err)
		}
		life.want[stage] = rules
	}
	return life
}

func (g *groupLife) create(ctx context.Context, stage int) error {
	group, rules, err := awsec2.CreateSecurityGroup(ctx, g.client, awsec2.CreateGroupInput{
		Name: "ddve-sweep", Description: "DDVE", VPCID: g.network.VPCID, Tags: sweepTags[stage], Rules: g.want[stage],
	})
	if err != nil {
		return err
	}
	g.id, g.rules, g.stage = group.ID, rules, stage
	return nil
}

func (g *groupLife) update(ctx context.Context, stage int) error {
	if err := awsec2.UpdateTags(ctx, g.client, g.id, sweepTags[g.stage], sweepTags[stage]); err != nil {
		return err
	}
	rules, err := awsec2.SyncGroupRules(ctx, g.client, g.id, g.rules, g.want[stage])
	if err != nil {
		return err
	}
	g.rules, g.stage = rules, stage
	return nil
}

func (g *groupLife) destroy(ctx context.Context) error {
	return awsec2.DeleteSecurityGroup(ctx, g.client, g.id, time.Minute)
}

func (g *groupLife) check(ctx context.Context, stage int) error {
	out, err := g.backend.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{g.network.VPCID}},
		{Name: aws.String("group-name"), Values: []string{"ddve-sweep"}},
	}})
	if err != nil {
		return err
	}
	if stage < 0 {
		if len(out.SecurityGroups) != 0 {
			return fmt.Errorf("%d groups left after destroy", len(out.SecurityGroups))
		}
		return nil
	}
	if len(out.SecurityGroups) != 1 {
		return fmt.Errorf("%d groups named ddve-sweep, want 1", len(out.SecurityGroups))
	}
	held, err := awsec2.FindGroupRules(ctx, g.backend, aws.ToString(out.SecurityGroups[0].GroupId))
	if err != nil {
		return err
	}
	have := make([]string, len(held))
	for i, r := range held {
		have[i] = ruleLine(r.Rule)
	}
	want := make([]string, len(g.want[stage]))
	for i, r := range g.want[stage] {
		want[i] = ruleLine(r)
	}
	if err := sameLines("rules", have, want); err != nil {
		return err
	}
	tags := fromEC2Tags(out.SecurityGroups[0].Tags)
	delete(tags, awsec2.CreationTokenTag)
	return sameTags(tags, sweepTags[stage])
}

func ruleLine(r posture.Rule) string { return fmt.Sprintf("%+v %q", r.Key(), r.Description) }

// aclLife is a network ACL's life as ddve_subnet_nacl leads it.
type aclLife struct {
	client     *ec2.Client // through the recorder
	backend    *ec2.Client // straight to the emulator
	network    *acctest.Network
	want       [2][]posture.Entry
	subnets    [2][]string
	id         string
	defaultACL string
	stage      int
}

func newACLLife(t *testing.T, client, backend *ec2.Client, n *acctest.Network) *aclLife {
	t.Helper()
	life := &aclLife{client: client, backend: backend, network: n, subnets: [2][]string{{n.DDVESubnetID}, {n.SpareSubnetID}}}
	var previous []posture.Entry
	for stage, s := range []struct {
		peers  []string
		denied string
	}{
		{[]string{"10.0.1.10/32"}, "5.5.5.5/32"},
		{[]string{"10.0.1.10/32", "10.0.1.11/32"}, "5.5.5.6/32"},
	} {
		entries, err := posture.CompileACL(
			posture.Intent{Profiles: map[string]posture.Peers{"management": {CIDRBlocks: s.peers}}},
			posture.ACLOptions{Deny: []posture.DenyRule{{CIDRBlock: s.denied}}, Previous: previous})
		if err != nil {
			t.Fatal(err)
		}
		life.want[stage], previous = entries, entries
	}
	return life
}

func (a *aclLife) create(ctx context.Context, stage int) error {
	acl, defaultACL, err := awsec2.CreateNetworkACL(ctx, a.client, awsec2.CreateACLInput{
		VPCID: a.network.VPCID, Tags: sweepTags[stage], Entries: a.want[stage], SubnetIDs: a.subnets[stage],
	})
	if err != nil {
		return err
	}
	a.id, a.defaultACL, a.stage = acl.ID, defaultACL, stage
	return nil
}

// update goes as the resource's Update does: tags, entries, then subnets
// joining before subnets leaving.
func (a *aclLife) update(ctx context.Context, stage int) error {
	if err := awsec2.UpdateTags(ctx, a.client, a.id, sweepTags[a.stage], sweepTags[stage]); err != nil {
		return err
	}
	if err := awsec2.SyncEntries(ctx, a.client, a.id, a.want[a.stage], a.want[stage], awsec2.DefaultEntryConcurrency); err != nil {
		return err
	}
	if err := awsec2.AssociateSubnets(ctx, a.client, a.id, a.network.VPCID, a.subnets[stage]); err != nil {
		return err
	}
	acl, err := awsec2.FindNetworkACLByID(ctx, a.client, a.id)
	if err != nil {
		return err
	}
	if err := awsec2.ReleaseSubnets(ctx, a.client, acl, a.defaultACL, a.subnets[a.stage]); err != nil {
		return err
	}
	a.stage = stage
	return nil
}

func (a *aclLife) destroy(ctx context.Context) error {
	return awsec2.DeleteNetworkACL(ctx, a.client, a.id, a.defaultACL, time.Minute)
}

func (a *aclLife) check(ctx context.Context, stage int) error {
	acls, err := awsec2.FindVPCNetworkACLs(ctx, a.backend, a.network.VPCID)
	if err != nil {
		return err
	}
	var custom []*awsec2.NetworkACL
	for _, acl := range acls {
		if !acl.IsDefault {
			custom = append(custom, acl)
		}
	}
	want := 1
	if stage < 0 {
		want = 0
	}
	if len(custom) != want {
		return fmt.Errorf("%d network ACLs besides the default, want %d", len(custom), want)
	}
	if stage < 0 {
		return nil
	}
	acl := custom[0]
	have := make([]string, len(acl.Entries))
	for i, e := range acl.Entries {
		have[i] = entryLine(e)
	}
	wantLines := make([]string, len(a.want[stage]))
	for i, e := range a.want[stage] {
		wantLines[i] = entryLine(e)
	}
	if err := sameLines("entries", have, wantLines); err != nil {
		return err
	}
	if err := sameLines("subnets", slices.Collect(maps.Keys(acl.Associations)), a.subnets[stage]); err != nil {
		return err
	}
	return sameTags(acl.Tags, sweepTags[stage])
}

func entryLine(e posture.Entry) string { return fmt.Sprintf("%d %+v", e.RuleNumber, e.Key()) }

// sameLines compares two lists as sets, naming what differs.
func sameLines(what string, have, want []string) error {
	slices.Sort(have)
	slices.Sort(want)
	if slices.Equal(have, want) {
		return nil
	}
	return fmt.Errorf("%s differ:\nhave\n  %s\nwant\n  %s", what, strings.Join(have, "\n  "), strings.Join(want, "\n  "))
}

func sameTags(have, want map[string]string) error {
	if maps.Equal(have, want) {
		return nil
	}
	return fmt.Errorf("tags %v, want %v", have, want)
}

func fromEC2Tags(tags []types.Tag) map[string]string {
	out := map[string]string{}
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}
