package awsec2_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
)

// A live posture that cannot be read says which step failed, so the
// data source can point at the input to check.
func TestFindLivePostureNamesTheFailedStep(t *testing.T) {
	aclIn := func(vpc string) func(url.Values) answer {
		return replies(`<networkAclSet><item><networkAclId>acl-1</networkAclId><vpcId>` + vpc + `</vpcId><default>false</default></item></networkAclSet>`)
	}
	in := awsec2.LivePostureInput{GroupIDs: []string{"sg-0aaaaaaaaaaaaaaa1"}, ACLID: "acl-1"}
	for _, c := range []struct {
		name   string
		script map[string][]func(url.Values) answer
		step   awsec2.LivePostureStep
	}{
		{"groups", map[string][]func(url.Values) answer{
			"DescribeSecurityGroups": {fails("InvalidGroup.NotFound")},
		}, awsec2.ReadingGroups},
		{"acl", map[string][]func(url.Values) answer{
			"DescribeSecurityGroups": {replies(groupXML)},
			"DescribeNetworkAcls":    {fails("InvalidNetworkAclID.NotFound")},
		}, awsec2.ReadingACL},
		{"vpcs", map[string][]func(url.Values) answer{
			"DescribeSecurityGroups": {replies(groupXML)},
			"DescribeNetworkAcls":    {aclIn("vpc-2")},
		}, awsec2.MatchingVPCs},
		{"rules", map[string][]func(url.Values) answer{
			"DescribeSecurityGroups":     {replies(groupXML)},
			"DescribeNetworkAcls":        {aclIn("vpc-1")},
			"DescribeSecurityGroupRules": {fails("InternalError")},
		}, awsec2.ReadingGroupRules},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, client := newFakeEC2(t, c.script)
			_, err := awsec2.FindLivePosture(context.Background(), client, in)
			var failed *awsec2.LivePostureError
			if !errors.As(err, &failed) || failed.Step != c.step {
				t.Fatalf("got %v, want a failure at step %d", err, c.step)
			}
			var mismatch *awsec2.VPCMismatchError
			if errors.As(err, &mismatch) != (c.step == awsec2.MatchingVPCs) {
				t.Errorf("VPC mismatch reported as %v", err)
			}
		})
	}
}

// A posture read whole: the rules of each group, the ACL, and no lookups
// for names the rules do not use.
func TestFindLivePostureReadsGroupsAndACL(t *testing.T) {
	fake, client := newFakeEC2(t, map[string][]func(url.Values) answer{
		"DescribeSecurityGroups": {replies(groupXML)},
		"DescribeNetworkAcls":    {replies(`<networkAclSet><item><networkAclId>acl-1</networkAclId><vpcId>vpc-1</vpcId><default>false</default></item></networkAclSet>`)},
		"DescribeSecurityGroupRules": {replies(`<securityGroupRuleSet><item><securityGroupRuleId>sgr-1</securityGroupRuleId><groupId>sg-0aaaaaaaaaaaaaaa1</groupId>` +
			`<isEgress>false</isEgress><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort><cidrIpv4>10.0.0.0/16</cidrIpv4></item></securityGroupRuleSet>`)},
	})
	live, err := awsec2.FindLivePosture(context.Background(), client, awsec2.LivePostureInput{GroupIDs: []string{"sg-0aaaaaaaaaaaaaaa1"}, ACLID: "acl-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(live.Rules) != 1 || live.Rules[0].ID != "sgr-1" || live.ACL.ID != "acl-1" || len(live.PrefixLists) != 0 || len(live.Local) != 0 {
		t.Fatalf("read %+v", live)
	}
	if n := len(fake.callsOf("DescribeNetworkInterfaces")) + len(fake.callsOf("DescribeManagedPrefixLists")); n != 0 {
		t.Errorf("%d lookups for names no rule uses", n)
	}
}
