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
	phase  string // create, update (stage 0 to 1), update back (1 to 0) or destroy
	action string // the call that meets it
	lag    string // for a lag, the create call that hands out the lagging ID
	// emulatorAnswers: the recorder passes moto's authorize answers
	// through (the last permission's rules only), so the layer reads the
	// rules back; else it answers as AWS does.
	emulatorAnswers bool
}

func (f sweepFault) String() string {
	answers := ""
	if f.emulatorAnswers {
		answers = " (moto's authorize answers)"
	}
	if f.lag != "" {
		return fmt.Sprintf("%s/lag at %s%s", f.phase, f.action, answers)
	}
	return fmt.Sprintf("%s/lost reply at %s%s", f.phase, f.action, answers)
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

// withEmulatorAnswers runs the faults with moto's authorize answers.
func withEmulatorAnswers(faults []sweepFault) []sweepFault {
	for i := range faults {
		faults[i].emulatorAnswers = true
	}
	return faults
}

// lifecycle is what the sweep needs of a resource's life at the EC2
// layer, in the order the provider's resource calls it.
type lifecycle interface {
	create(ctx context.Context, stage int) error
	update(ctx context.Context, stage int) error
	destroy(ctx context.Context) error
	// check reads what the VPC holds through the SDK, never through the
	// layer under test, and compares it with the stage (-1: nothing).
	check(ctx context.Context, stage int) error
}

// newLifecycle makes a resource's life: client goes through the recorder,
// for the layer under test, backend straight to the emulator, for checks.
type newLifecycle func(t *testing.T, client, backend *ec2.Client, n *acctest.Network) lifecycle

// sweep runs each fault in a case of its own, in parallel: each case has
// its recorder and VPC, and goes create, update, update back, destroy,
// with the fault armed for its phase and met within it.
func sweep(t *testing.T, faults []sweepFault, newLife newLifecycle) {
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
			rec.EmulatorAuthorizeAnswers(f.emulatorAnswers)
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("calls: %v", rec.Sequence())
				}
			})
			n, err := acctest.CreateNetwork(ctx, acctest.EC2Client(url))
			if err != nil {
				t.Fatal(err)
			}
			life := newLife(t, quickRetryClient(rec.URL), acctest.EC2Client(url), n)
			for _, p := range []struct {
				phase string
				stage int
				run   func() error
			}{
				{"create", 0, func() error { return life.create(ctx, 0) }},
				{"update", 1, func() error { return life.update(ctx, 1) }},
				{"update back", 0, func() error { return life.update(ctx, 0) }},
				{"destroy", -1, func() error { return life.destroy(ctx) }},
			} {
				armed := p.phase == f.phase
				if armed {
					f.arm(rec)
				}
				if err := p.run(); err != nil {
					t.Fatalf("%s: %v", p.phase, err)
				}
				if err := life.check(ctx, p.stage); err != nil {
					t.Fatalf("after %s: %v", p.phase, err)
				}
				if pending := rec.Pending(); armed && len(pending) > 0 {
					t.Fatalf("the fault was never met in %s: %v", p.phase, pending)
				}
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
// another; going back revokes egress instead of authorizing it. A lost
// reply at ModifySecurityGroupRules, CreateTags or DeleteTags is repeated
// to the emulator as AWS would take it (the calls change nothing the
// second time): those cases hold the SDK's retry, not a recovery of the
// layer's. The create, and some of the update, meet their faults twice:
// with AWS's authorize answers, where nothing is read back, and with
// moto's, which list the last permission's rules only, so that the rules
// are read back (DescribeSecurityGroupRules) and the descriptions moto
// drops from rules naming a group or a prefix list are set again
// (ModifySecurityGroupRules).
var groupFaults = slices.Concat(
	sweepFaults("create", []string{"CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
		"RevokeSecurityGroupEgress"}, ""),
	sweepFaults("create", []string{"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
		"RevokeSecurityGroupEgress"}, "CreateSecurityGroup"),
	withEmulatorAnswers(sweepFaults("create", []string{"CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
		"RevokeSecurityGroupEgress", "ModifySecurityGroupRules"}, "")),
	withEmulatorAnswers(sweepFaults("create", []string{"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
		"RevokeSecurityGroupEgress", "DescribeSecurityGroupRules", "ModifySecurityGroupRules"}, "CreateSecurityGroup")),
	sweepFaults("update", []string{"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
		"ModifySecurityGroupRules", "CreateTags", "DeleteTags"}, ""),
	withEmulatorAnswers(sweepFaults("update", []string{"AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
		"ModifySecurityGroupRules"}, "")),
	sweepFaults("update back", []string{"AuthorizeSecurityGroupIngress", "RevokeSecurityGroupEgress", "RevokeSecurityGroupIngress",
		"ModifySecurityGroupRules", "CreateTags", "DeleteTags"}, ""),
	sweepFaults("destroy", []string{"DeleteSecurityGroup"}, ""),
)

// Going from stage 0 to 1 creates entries for a new peer and going back
// deletes them; both replace the deny entry in place, move one subnet on
// (the first ReplaceNetworkAclAssociation) and one off, and change tags
// both ways. Destroy moves its subnet off. ReplaceNetworkAclEntry,
// CreateTags and DeleteTags repeat as AWS would take them (see above).
var aclFaults = slices.Concat(
	sweepFaults("create", []string{"CreateNetworkAcl", "CreateNetworkAclEntry", "ReplaceNetworkAclAssociation"}, ""),
	sweepFaults("create", []string{"CreateNetworkAclEntry", "ReplaceNetworkAclAssociation", "DescribeNetworkAcls"}, "CreateNetworkAcl"),
	sweepFaults("update", []string{"CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation",
		"CreateTags", "DeleteTags"}, ""),
	sweepFaults("update back", []string{"DeleteNetworkAclEntry", "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation",
		"CreateTags", "DeleteTags"}, ""),
	sweepFaults("destroy", []string{"ReplaceNetworkAclAssociation", "DeleteNetworkAcl"}, ""),
)

func TestFaultSweepSecurityGroup(t *testing.T) {
	sweep(t, groupFaults, func(t *testing.T, c, b *ec2.Client, n *acctest.Network) lifecycle { return newGroupLife(t, c, b, n) })
}

func TestFaultSweepNetworkACL(t *testing.T) {
	sweep(t, aclFaults, func(t *testing.T, c, b *ec2.Client, n *acctest.Network) lifecycle { return newACLLife(t, c, b, n) })
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
	group := out.SecurityGroups[0]
	if id := aws.ToString(group.GroupId); id != g.id {
		return fmt.Errorf("the VPC holds group %s, the layer returned %s", id, g.id)
	}
	rules, err := g.backend.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{
		{Name: aws.String("group-id"), Values: []string{g.id}},
	}})
	if err != nil {
		return err
	}
	var have []string
	for _, r := range rules.SecurityGroupRules {
		have = append(have, acctest.GroupRuleKey(r))
	}
	var want []string
	for _, r := range g.want[stage] {
		want = append(want, acctest.GroupRuleKey(awsRule(r)))
	}
	if err := sameLines("rules", have, want); err != nil {
		return err
	}
	tags := fromEC2Tags(group.Tags)
	delete(tags, awsec2.CreationTokenTag)
	return sameTags(tags, sweepTags[stage])
}

// awsRule is how EC2 lists a rule the compiler asked for.
func awsRule(r posture.Rule) types.SecurityGroupRule {
	out := types.SecurityGroupRule{
		IsEgress: aws.Bool(r.Direction == posture.Egress), IpProtocol: aws.String(r.Protocol),
		FromPort: aws.Int32(int32(r.FromPort)), ToPort: aws.Int32(int32(r.ToPort)), Description: aws.String(r.Description),
	}
	if r.CIDRIPv4 != "" {
		out.CidrIpv4 = aws.String(r.CIDRIPv4)
	}
	if r.CIDRIPv6 != "" {
		out.CidrIpv6 = aws.String(r.CIDRIPv6)
	}
	if r.PrefixListID != "" {
		out.PrefixListId = aws.String(r.PrefixListID)
	}
	if r.ReferencedGroupID != "" {
		out.ReferencedGroupInfo = &types.ReferencedSecurityGroup{GroupId: aws.String(r.ReferencedGroupID)}
	}
	return out
}

// aclLife is a network ACL's life as ddve_subnet_nacl leads it.
type aclLife struct {
	client     *ec2.Client // through the recorder
	backend    *ec2.Client // straight to the emulator
	network    *acctest.Network
	intents    [2]posture.Intent
	options    [2]posture.ACLOptions
	subnets    [2][]string
	id         string
	defaultACL string
	stage      int
	entries    []posture.Entry // what the ACL holds, as the state would say
}

func newACLLife(t *testing.T, client, backend *ec2.Client, n *acctest.Network) *aclLife {
	t.Helper()
	management := func(peers ...string) posture.Intent {
		return posture.Intent{Profiles: map[string]posture.Peers{"management": {CIDRBlocks: peers}}}
	}
	deny := func(block string) posture.ACLOptions {
		return posture.ACLOptions{Deny: []posture.DenyRule{{CIDRBlock: block}}}
	}
	return &aclLife{
		client: client, backend: backend, network: n,
		intents: [2]posture.Intent{management("10.0.1.10/32"), management("10.0.1.10/32", "10.0.1.11/32")},
		options: [2]posture.ACLOptions{deny("5.5.5.5/32"), deny("5.5.5.6/32")},
		subnets: [2][]string{{n.DDVESubnetID}, {n.SpareSubnetID}},
	}
}

// compile numbers the stage's entries as the plan does, keeping the
// numbers of the entries the ACL holds.
func (a *aclLife) compile(stage int) ([]posture.Entry, error) {
	opts := a.options[stage]
	opts.Previous = a.entries
	return posture.CompileACL(a.intents[stage], opts)
}

func (a *aclLife) create(ctx context.Context, stage int) error {
	want, err := a.compile(stage)
	if err != nil {
		return err
	}
	acl, defaultACL, err := awsec2.CreateNetworkACL(ctx, a.client, awsec2.CreateACLInput{
		VPCID: a.network.VPCID, Tags: sweepTags[stage], Entries: want, SubnetIDs: a.subnets[stage],
	})
	if err != nil {
		return err
	}
	a.id, a.defaultACL, a.stage, a.entries = acl.ID, defaultACL, stage, want
	return nil
}

// update goes as the resource's Update does: tags, entries, the subnets
// that join, then the subnets that leave.
func (a *aclLife) update(ctx context.Context, stage int) error {
	want, err := a.compile(stage)
	if err != nil {
		return err
	}
	if err := awsec2.UpdateTags(ctx, a.client, a.id, sweepTags[a.stage], sweepTags[stage]); err != nil {
		return err
	}
	if err := awsec2.SyncEntries(ctx, a.client, a.id, a.entries, want, awsec2.DefaultEntryConcurrency); err != nil {
		return err
	}
	a.entries = want
	have, wanted := a.subnets[a.stage], a.subnets[stage]
	if added := without(wanted, have); len(added) > 0 {
		if err := awsec2.AssociateSubnets(ctx, a.client, a.id, a.network.VPCID, added); err != nil {
			return err
		}
	}
	if removed := without(have, wanted); len(removed) > 0 {
		acl, err := awsec2.FindNetworkACLByID(ctx, a.client, a.id)
		if err != nil {
			return err
		}
		if err := awsec2.ReleaseSubnets(ctx, a.client, acl, a.defaultACL, removed); err != nil {
			return err
		}
	}
	a.stage = stage
	return nil
}

func without(list, drop []string) []string {
	var out []string
	for _, s := range list {
		if !slices.Contains(drop, s) {
			out = append(out, s)
		}
	}
	return out
}

func (a *aclLife) destroy(ctx context.Context) error {
	return awsec2.DeleteNetworkACL(ctx, a.client, a.id, a.defaultACL, time.Minute)
}

func (a *aclLife) check(ctx context.Context, stage int) error {
	out, err := a.backend.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{a.network.VPCID}},
		{Name: aws.String("default"), Values: []string{"false"}},
	}})
	if err != nil {
		return err
	}
	want := 1
	if stage < 0 {
		want = 0
	}
	if len(out.NetworkAcls) != want {
		return fmt.Errorf("%d network ACLs besides the default, want %d", len(out.NetworkAcls), want)
	}
	if stage < 0 {
		return nil
	}
	acl := out.NetworkAcls[0]
	if id := aws.ToString(acl.NetworkAclId); id != a.id {
		return fmt.Errorf("the VPC holds network ACL %s, the layer returned %s", id, a.id)
	}
	var have []string
	for _, e := range acl.Entries {
		if aws.ToInt32(e.RuleNumber) < 32767 {
			have = append(have, acctest.ACLEntryKey(e))
		}
	}
	var wantEntries []string
	for _, e := range a.entries {
		wantEntries = append(wantEntries, acctest.ACLEntryKey(awsEntry(e)))
	}
	if err := sameLines("entries", have, wantEntries); err != nil {
		return err
	}
	var subnets []string
	for _, assoc := range acl.Associations {
		subnets = append(subnets, aws.ToString(assoc.SubnetId))
	}
	if err := sameLines("subnets", subnets, slices.Clone(a.subnets[stage])); err != nil {
		return err
	}
	tags := fromEC2Tags(acl.Tags)
	if _, ok := tags[awsec2.ManagedByTag]; !ok {
		return fmt.Errorf("the ACL lacks its %s tag: %v", awsec2.ManagedByTag, tags)
	}
	delete(tags, awsec2.ManagedByTag)
	return sameTags(tags, sweepTags[stage])
}

// awsEntry is how EC2 lists an entry the compiler asked for; the entries
// here are TCP and all-traffic only.
func awsEntry(e posture.Entry) types.NetworkAclEntry {
	out := types.NetworkAclEntry{
		RuleNumber: aws.Int32(int32(e.RuleNumber)), Egress: aws.Bool(e.Egress),
		RuleAction: types.RuleAction(e.Action), Protocol: aws.String(e.Protocol),
	}
	if e.CIDRBlock != "" {
		out.CidrBlock = aws.String(e.CIDRBlock)
	}
	if e.IPv6CIDRBlock != "" {
		out.Ipv6CidrBlock = aws.String(e.IPv6CIDRBlock)
	}
	if e.Protocol == "6" || e.Protocol == "17" {
		out.PortRange = &types.PortRange{From: aws.Int32(int32(e.FromPort)), To: aws.Int32(int32(e.ToPort))}
	}
	return out
}

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
