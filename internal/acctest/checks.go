package acctest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// Check asserts something of the backend or of a test's recorder after a
// step. It is both a state check (ConfigStateChecks, after the apply) and
// a plan check (ConfigPlanChecks), and Func makes a TestCheckFunc of it
// for CheckDestroy. A check that needs a resource's ID finds it in the
// state; as a plan check it has no state and reads the prior state of the
// plan instead.
type Check struct {
	check func(ctx context.Context, id func(address string) (string, error)) error
}

var (
	_ statecheck.StateCheck = Check{}
	_ plancheck.PlanCheck   = Check{}
)

// CheckState implements statecheck.StateCheck.
func (c Check) CheckState(ctx context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = c.check(ctx, func(address string) (string, error) {
		if req.State == nil || req.State.Values == nil || req.State.Values.RootModule == nil {
			return "", fmt.Errorf("%s: the state is empty", address)
		}
		for _, r := range req.State.Values.RootModule.Resources {
			if r.Address == address {
				id, _ := r.AttributeValues["id"].(string)
				return id, nil
			}
		}
		return "", fmt.Errorf("%s is not in the state", address)
	})
}

// CheckPlan implements plancheck.PlanCheck.
func (c Check) CheckPlan(ctx context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = c.check(ctx, func(address string) (string, error) {
		if req.Plan == nil || req.Plan.PriorState == nil || req.Plan.PriorState.Values == nil || req.Plan.PriorState.Values.RootModule == nil {
			return "", fmt.Errorf("%s: the plan has no prior state", address)
		}
		for _, r := range req.Plan.PriorState.Values.RootModule.Resources {
			if r.Address == address {
				id, _ := r.AttributeValues["id"].(string)
				return id, nil
			}
		}
		return "", fmt.Errorf("%s is not in the prior state", address)
	})
}

// Func runs the check where a TestCheckFunc is wanted: CheckDestroy, or
// a Check that composes it with test-specific functions.
func (c Check) Func() resource.TestCheckFunc {
	return func(s *terraform.State) error {
		return c.check(context.Background(), func(address string) (string, error) {
			if s == nil || s.RootModule() == nil || s.RootModule().Resources[address] == nil {
				return "", fmt.Errorf("%s is not in the state", address)
			}
			return s.RootModule().Resources[address].Primary.ID, nil
		})
	}
}

// ExpectNoMutatingCalls: the calls since the recorder's last Reset changed
// nothing in AWS (only Describe* and Get*).
func ExpectNoMutatingCalls(rec *Recorder) Check {
	return Check{func(context.Context, func(string) (string, error)) error {
		if m := rec.Calls().Mutating(); len(m) > 0 {
			return fmt.Errorf("mutating EC2 calls where none were expected: %v", m)
		}
		return nil
	}}
}

// ExpectNoCalls: no EC2 call at all since the recorder's last Reset.
func ExpectNoCalls(rec *Recorder) Check {
	return Check{func(context.Context, func(string) (string, error)) error {
		if calls := rec.Calls(); calls.Total() > 0 {
			return fmt.Errorf("EC2 calls where none were expected: %v", calls)
		}
		return nil
	}}
}

// ExpectNoCallsOf: none of actions was called since the recorder's last
// Reset; other calls may have been made.
func ExpectNoCallsOf(rec *Recorder, actions ...string) Check {
	return Check{func(context.Context, func(string) (string, error)) error {
		calls := rec.Calls()
		for _, a := range actions {
			if calls[a] > 0 {
				return fmt.Errorf("%s was called: %v", a, calls)
			}
		}
		return nil
	}}
}

// ExpectOnlyMutatingCalls: the mutating calls since the recorder's last
// Reset were all among allowed (none at all passes too).
func ExpectOnlyMutatingCalls(rec *Recorder, allowed ...string) Check {
	return Check{func(context.Context, func(string) (string, error)) error {
		for action := range rec.Calls().Mutating() {
			if !slices.Contains(allowed, action) {
				return fmt.Errorf("unexpected mutating call %s: %v", action, rec.Calls())
			}
		}
		return nil
	}}
}

// ExpectCallCount: the action was called exactly want times since the
// recorder's last Reset (faults the recorder answered count too).
func ExpectCallCount(rec *Recorder, action string, want int) Check {
	return Check{func(context.Context, func(string) (string, error)) error {
		if got := rec.Calls()[action]; got != want {
			return fmt.Errorf("%s called %d times, want %d: %v", action, got, want, rec.Calls())
		}
		return nil
	}}
}

// ExpectCallsBefore: calls of the first actions and of the then actions
// were both made since the recorder's last Reset, and none of the then
// actions came before the last of the first: what is added is in place
// before anything is removed. A step that removes nothing fails it, since
// the order it promises was never put to the test; such a step says what
// it does call instead (ExpectMutatingCalls).
func ExpectCallsBefore(rec *Recorder, first, then []string) Check {
	return Check{func(context.Context, func(string) (string, error)) error {
		seq := rec.Sequence()
		lastFirst, firstThen := -1, -1
		for i, action := range seq {
			switch {
			case slices.Contains(first, action):
				lastFirst = i
			case slices.Contains(then, action) && firstThen < 0:
				firstThen = i
			}
		}
		switch {
		case lastFirst < 0:
			return fmt.Errorf("no call of %v, which should come before %v: %v", first, then, seq)
		case firstThen < 0:
			return fmt.Errorf("no call of %v, which should come after %v: %v", then, first, seq)
		case firstThen < lastFirst:
			return fmt.Errorf("want %v before %v: %v", first, then, seq)
		}
		return nil
	}}
}

// ExpectMutatingCalls: the mutating calls the provider made since the
// recorder's last Reset are exactly want, counted as ExpectCallBudget
// counts them (the SDK's repeats left out).
func ExpectMutatingCalls(rec *Recorder, want map[string]int) Check {
	return Check{func(context.Context, func(string) (string, error)) error {
		if got := rec.FirstAttempts().Mutating(); got.String() != Calls(want).String() {
			return fmt.Errorf("mutating calls %v, want %v", got, Calls(want))
		}
		return nil
	}}
}

// ExpectCallBudget: the calls the provider made since the recorder's last
// Reset are at most budget in all, and the mutating ones are exactly
// mutating (nil for none). The SDK's repeats after a transient error (a
// busy emulator under parallel tests) are the SDK's, not the provider's,
// and are left out. The counts are logged through logf when it is not nil.
func ExpectCallBudget(rec *Recorder, phase string, budget int, mutating map[string]int, logf func(string, ...any)) Check {
	return Check{func(context.Context, func(string) (string, error)) error {
		calls := rec.FirstAttempts()
		if logf != nil {
			logf("%s: %s (all attempts: %s)", phase, calls, rec.Calls())
		}
		if calls.Total() > budget {
			return fmt.Errorf("%s made %d EC2 calls, over its budget of %d: %s", phase, calls.Total(), budget, calls)
		}
		if got := calls.Mutating(); got.String() != Calls(mutating).String() {
			return fmt.Errorf("%s made mutating calls %v, want %v", phase, got, Calls(mutating))
		}
		return nil
	}}
}

// ExpectNoPendingFaults: every LoseReply and Lag fault armed on the
// recorder was met, so the step the test meant to hit was taken.
func ExpectNoPendingFaults(rec *Recorder) Check {
	return Check{func(context.Context, func(string) (string, error)) error {
		if pending := rec.Pending(); len(pending) > 0 {
			return fmt.Errorf("faults never met: %v", pending)
		}
		return nil
	}}
}

// ACLEntries returns the keys of the entries the ACL holds, sorted,
// leaving out the built-in deny-all (rule 32767) EC2 adds to every ACL.
// Read it through a test's recorder: the recorder gives back the ICMP
// type and code the emulator forgets.
func ACLEntries(ctx context.Context, client *ec2.Client, aclID string) ([]string, error) {
	out, err := client.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{aclID}})
	if err != nil {
		return nil, err
	}
	if len(out.NetworkAcls) != 1 {
		return nil, fmt.Errorf("network ACL %s: %d found", aclID, len(out.NetworkAcls))
	}
	var keys []string
	for _, e := range out.NetworkAcls[0].Entries {
		if aws.ToInt32(e.RuleNumber) == 32767 {
			continue
		}
		keys = append(keys, ACLEntryKey(e))
	}
	slices.Sort(keys)
	return keys, nil
}

// GroupRules returns the keys of the group's rules, sorted.
func GroupRules(ctx context.Context, client *ec2.Client, groupID string) ([]string, error) {
	var keys []string
	pages := ec2.NewDescribeSecurityGroupRulesPaginator(client, &ec2.DescribeSecurityGroupRulesInput{
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range page.SecurityGroupRules {
			keys = append(keys, GroupRuleKey(r))
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// expectKeys reads the keys of the resource at address in the state and
// hands them to compare.
func expectKeys(address string, read func(context.Context, string) ([]string, error), compare func(got []string) error) Check {
	return Check{func(ctx context.Context, id func(string) (string, error)) error {
		resourceID, err := id(address)
		if err != nil {
			return err
		}
		got, err := read(ctx, resourceID)
		if err != nil {
			return err
		}
		return compare(got)
	}}
}

// exactly compares keys in any order.
func exactly(what string, want []string) func([]string) error {
	want = slices.Sorted(slices.Values(want))
	return func(got []string) error {
		if !slices.Equal(got, want) {
			return fmt.Errorf("AWS holds %s\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		return nil
	}
}

// ExpectACLEntries: the ACL at address in the state holds exactly the
// entries want (as ACLEntryKey writes them, in any order), read through
// the test's recorder.
func ExpectACLEntries(rec *Recorder, address string, want []string) Check {
	read := func(ctx context.Context, id string) ([]string, error) { return ACLEntries(ctx, EC2Client(rec.URL), id) }
	return expectKeys(address, read, exactly("entries", want))
}

// ExpectGroupRules: the security group at address in the state holds
// exactly the rules want (as GroupRuleKey writes them, in any order).
func ExpectGroupRules(client *ec2.Client, address string, want []string) Check {
	read := func(ctx context.Context, id string) ([]string, error) { return GroupRules(ctx, client, id) }
	return expectKeys(address, read, exactly("rules", want))
}

// ExpectGroupRuleCount: the security group at address in the state holds
// want rules.
func ExpectGroupRuleCount(client *ec2.Client, address string, want int) Check {
	read := func(ctx context.Context, id string) ([]string, error) { return GroupRules(ctx, client, id) }
	return expectKeys(address, read, func(got []string) error {
		if len(got) != want {
			return fmt.Errorf("AWS holds %d rules, want %d: %v", len(got), want, got)
		}
		return nil
	})
}

// ExpectNoMutationsInTest fails the test, when it ends, if any call that
// changes AWS went through the recorder during it: bad input must fail at
// plan, before anything is made. It reads the whole test's calls, so the
// test must not reset the recorder.
func ExpectNoMutationsInTest(t *testing.T, rec *Recorder) {
	t.Helper()
	t.Cleanup(func() {
		if mutating := rec.Calls().Mutating(); len(mutating) > 0 {
			t.Errorf("bad input reached AWS: %s", mutating)
		}
	})
}

// SubnetACL returns the network ACL the subnet is associated with.
func SubnetACL(ctx context.Context, client *ec2.Client, subnetID string) (string, error) {
	out, err := client.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{
		Filters: []types.Filter{{Name: aws.String("association.subnet-id"), Values: []string{subnetID}}},
	})
	if err != nil {
		return "", err
	}
	if len(out.NetworkAcls) != 1 {
		return "", fmt.Errorf("subnet %s is on %d ACLs", subnetID, len(out.NetworkAcls))
	}
	return aws.ToString(out.NetworkAcls[0].NetworkAclId), nil
}

// CheckSubnetOn checks that the subnet is associated with the ACL aclID
// names: one of the state (StateID) or one known beforehand (FixedID).
func CheckSubnetOn(client *ec2.Client, subnetID string, aclID func(*terraform.State) string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		got, err := SubnetACL(context.Background(), client, subnetID)
		if err != nil {
			return err
		}
		if want := aclID(s); got != want {
			return fmt.Errorf("subnet %s is on %s, want %s", subnetID, got, want)
		}
		return nil
	}
}
