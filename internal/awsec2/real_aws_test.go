package awsec2_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// What AWS answers and moto never does, scripted: repeated calls that had
// already taken effect, a group of the same name that is someone else's.

// tagValue returns the value sent for a tag key in a CreateSecurityGroup
// call's TagSpecification.
func tagValue(call url.Values, key string) string {
	for k, v := range call {
		if strings.HasSuffix(k, ".Key") && v[0] == key {
			return call.Get(strings.TrimSuffix(k, ".Key") + ".Value")
		}
	}
	return ""
}

func hasValue(call url.Values, value string) bool {
	for _, v := range call {
		if slices.Contains(v, value) {
			return true
		}
	}
	return false
}

const groupXML = `<securityGroupInfo><item><groupId>sg-0aaaaaaaaaaaaaaa1</groupId><groupName>ddve</groupName><vpcId>vpc-1</vpcId></item></securityGroupInfo>`

// The SDK repeated CreateSecurityGroup after a lost reply: the group that
// carries this call's creation token is adopted.
func TestCreateGroupAdoptsTheGroupItsLostCallMade(t *testing.T) {
	var fake *fakeEC2
	fake, client := newFakeEC2(t, map[string][]func(url.Values) answer{
		"CreateSecurityGroup": {fails("InvalidGroup.Duplicate")},
		"DescribeSecurityGroups": {func(call url.Values) answer {
			sent := tagValue(fake.callsOf("CreateSecurityGroup")[0], awsec2.CreationTokenTag)
			if sent == "" || !hasValue(call, sent) || !hasValue(call, "tag:"+awsec2.CreationTokenTag) || !hasValue(call, "ddve") {
				t.Errorf("the lookup does not ask for the name and the token sent (%q): %v", sent, call)
			}
			return answer{body: groupXML}
		}},
	})
	id, _, err := awsec2.CreateGroup(context.Background(), client, awsec2.CreateGroupInput{Name: "ddve", Description: "d", VPCID: "vpc-1", Tags: map[string]string{"Name": "ddve"}})
	if err != nil || id != "sg-0aaaaaaaaaaaaaaa1" {
		t.Fatalf("got %q, %v; want the group the lost call made", id, err)
	}
	if first := fake.callsOf("CreateSecurityGroup")[0]; tagValue(first, "Name") != "ddve" {
		t.Errorf("the user's tags are not sent with the token: %v", first)
	}
}

// A group of the same name without the token is someone else's: the
// duplicate error stands, and says what to do.
func TestCreateGroupLeavesAStrangersGroupAlone(t *testing.T) {
	_, client := newFakeEC2(t, map[string][]func(url.Values) answer{
		"CreateSecurityGroup":    {fails("InvalidGroup.Duplicate")},
		"DescribeSecurityGroups": {replies(`<securityGroupInfo/>`)},
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _, err := awsec2.CreateGroup(ctx, client, awsec2.CreateGroupInput{Name: "ddve", Description: "d", VPCID: "vpc-1"})
	if err == nil || !strings.Contains(err.Error(), "was not made by this apply") || !strings.Contains(err.Error(), "InvalidGroup.Duplicate") {
		t.Fatalf("got %v, want the duplicate error with its cause", err)
	}
}

var (
	ssh   = posture.Rule{Direction: posture.Ingress, Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRIPv4: "10.0.1.10/32", Description: "ssh"}
	https = posture.Rule{Direction: posture.Ingress, Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRIPv4: "10.0.1.10/32", Description: "https"}
)

const sshRuleXML = `<securityGroupRuleSet><item><securityGroupRuleId>sgr-1</securityGroupRuleId><groupId>sg-1</groupId><isEgress>false</isEgress>` +
	`<ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort><cidrIpv4>10.0.1.10/32</cidrIpv4></item></securityGroupRuleSet>`

// A repeated authorize answers InvalidPermission.Duplicate: what the group
// does not hold yet is authorized again, and nothing more.
func TestAuthorizeRepeatedAfterALostReply(t *testing.T) {
	fake, client := newFakeEC2(t, map[string][]func(url.Values) answer{
		"AuthorizeSecurityGroupIngress": {fails("InvalidPermission.Duplicate"), replies(`<return>true</return>`)},
		"DescribeSecurityGroupRules":    {replies(sshRuleXML)},
	})
	if _, _, err := awsec2.Authorize(context.Background(), client, "sg-1", []posture.Rule{ssh, https}); err != nil {
		t.Fatal(err)
	}
	calls := fake.callsOf("AuthorizeSecurityGroupIngress")
	if len(calls) != 2 || hasValue(calls[1], "22") || !hasValue(calls[1], "443") {
		t.Fatalf("want the second authorize to carry HTTPS only: %v", calls)
	}

	// All held: done without another call.
	fake, client = newFakeEC2(t, map[string][]func(url.Values) answer{
		"AuthorizeSecurityGroupIngress": {fails("InvalidPermission.Duplicate")},
		"DescribeSecurityGroupRules":    {replies(sshRuleXML)},
	})
	if _, _, err := awsec2.Authorize(context.Background(), client, "sg-1", []posture.Rule{ssh}); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.callsOf("AuthorizeSecurityGroupIngress")); n != 1 {
		t.Errorf("%d authorize calls, want 1", n)
	}
}

// The quota error names the setting and the AWS quota to raise.
func TestAuthorizeExplainsTheRulesQuota(t *testing.T) {
	_, client := newFakeEC2(t, map[string][]func(url.Values) answer{
		"AuthorizeSecurityGroupIngress": {fails("RulesPerSecurityGroupLimitExceeded")},
		"DescribeSecurityGroupRules":    {replies(sshRuleXML)},
	})
	_, _, err := awsec2.Authorize(context.Background(), client, "sg-1", []posture.Rule{https})
	for _, want := range []string{"refused 1 more ingress rules, for 2 in all", "rules_per_direction_quota", "L-0EA8095F", "RulesPerSecurityGroupLimitExceeded"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

// A repeated revoke by ID answers InvalidSecurityGroupRuleId.NotFound: the
// rules the group still holds are revoked again.
func TestRevokeRepeatedAfterALostReply(t *testing.T) {
	fake, client := newFakeEC2(t, map[string][]func(url.Values) answer{
		"RevokeSecurityGroupIngress": {fails("InvalidSecurityGroupRuleId.NotFound"), replies(`<return>true</return>`)},
		"DescribeSecurityGroupRules": {replies(sshRuleXML)},
	})
	err := awsec2.Revoke(context.Background(), client, "sg-1", []awsec2.GroupRule{{Rule: ssh, ID: "sgr-1"}, {Rule: https, ID: "sgr-2"}})
	if err != nil {
		t.Fatal(err)
	}
	calls := fake.callsOf("RevokeSecurityGroupIngress")
	if len(calls) != 2 || !hasValue(calls[1], "sgr-1") || hasValue(calls[1], "sgr-2") {
		t.Fatalf("want the second revoke to name sgr-1 only: %v", calls)
	}
}

// A group delete waits while AWS says the group is in use, then until the
// group is no longer listed.
func TestDeleteSecurityGroupWaitsUntilGone(t *testing.T) {
	fake, client := newFakeEC2(t, map[string][]func(url.Values) answer{
		"DeleteSecurityGroup":    {fails("InvalidGroup.InUse"), replies(`<return>true</return>`)},
		"DescribeSecurityGroups": {replies(groupXML), fails("InvalidGroup.NotFound")},
	})
	if err := awsec2.DeleteSecurityGroup(context.Background(), client, "sg-0aaaaaaaaaaaaaaa1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if d, s := len(fake.callsOf("DeleteSecurityGroup")), len(fake.callsOf("DescribeSecurityGroups")); d != 2 || s != 2 {
		t.Errorf("%d deletes and %d describes, want 2 and 2", d, s)
	}
}

// A repeated ReplaceNetworkAclAssociation answers
// InvalidAssociationID.NotFound: the replace gave the subnet a new
// association. Done when the subnet is on the ACL; moved through the
// association it has now when it is still on the ACL it came from; and
// refused at once, naming both ACLs, when someone else moved it meanwhile.
func TestMoveSubnetAfterALostReply(t *testing.T) {
	layout := func(acl, association string) func(url.Values) answer {
		tags := ""
		if acl == "acl-ddve" {
			tags = `<tagSet><item><key>ddve:managed-by</key><value>ddve_subnet_nacl</value></item></tagSet>`
		}
		return replies(`<networkAclSet><item><networkAclId>acl-default</networkAclId><vpcId>vpc-1</vpcId><default>true</default></item>` +
			`<item><networkAclId>acl-new</networkAclId><vpcId>vpc-1</vpcId><default>false</default></item>` +
			`<item><networkAclId>` + acl + `</networkAclId><vpcId>vpc-1</vpcId><default>false</default>` + tags + `<associationSet><item>` +
			`<networkAclAssociationId>` + association + `</networkAclAssociationId><networkAclId>` + acl + `</networkAclId><subnetId>subnet-1</subnetId>` +
			`</item></associationSet></item></networkAclSet>`)
	}
	fake, client := newFakeEC2(t, map[string][]func(url.Values) answer{
		"ReplaceNetworkAclAssociation": {fails("InvalidAssociationID.NotFound")},
		"DescribeNetworkAcls":          {layout("acl-new", "aclassoc-2")},
	})
	if err := awsec2.MoveSubnet(context.Background(), client, "vpc-1", "subnet-1", "aclassoc-1", "acl-default", "acl-new", false); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.callsOf("ReplaceNetworkAclAssociation")); n != 1 {
		t.Errorf("%d replace calls, want 1", n)
	}

	fake, client = newFakeEC2(t, map[string][]func(url.Values) answer{
		"ReplaceNetworkAclAssociation": {fails("InvalidAssociationID.NotFound"), replies(`<newAssociationId>aclassoc-3</newAssociationId>`)},
		"DescribeNetworkAcls":          {layout("acl-other", "aclassoc-9")},
	})
	if err := awsec2.MoveSubnet(context.Background(), client, "vpc-1", "subnet-1", "aclassoc-1", "acl-other", "acl-new", false); err != nil {
		t.Fatal(err)
	}
	if calls := fake.callsOf("ReplaceNetworkAclAssociation"); len(calls) != 2 || calls[1].Get("AssociationId") != "aclassoc-9" {
		t.Errorf("want a second replace through aclassoc-9: %v", calls)
	}

	for _, c := range []struct {
		name, holder string
		releasing    bool
		want         string // "" for done, else the error
	}{
		{"joined, taken by another DDVE ACL", "acl-ddve", false, "subnet claimed by another DDVE network ACL: subnet subnet-1 moved from network ACL acl-default to acl-ddve while this apply moved it to acl-new"},
		{"joined, taken by another tool", "acl-other", false, "subnet subnet-1 moved from network ACL acl-default to acl-other, which this provider does not manage"},
		{"released, taken by another", "acl-ddve", true, ""},
	} {
		fake, client = newFakeEC2(t, map[string][]func(url.Values) answer{
			"ReplaceNetworkAclAssociation": {fails("InvalidAssociationID.NotFound")},
			"DescribeNetworkAcls":          {layout(c.holder, "aclassoc-9")},
		})
		err := awsec2.MoveSubnet(context.Background(), client, "vpc-1", "subnet-1", "aclassoc-1", "acl-default", "acl-new", c.releasing)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		case c.want != "" && strings.Contains(c.want, "DDVE") != errors.Is(err, awsec2.ErrSubnetClaimed):
			t.Errorf("%s: %v is ErrSubnetClaimed: %v", c.name, err, errors.Is(err, awsec2.ErrSubnetClaimed))
		}
		if n := len(fake.callsOf("ReplaceNetworkAclAssociation")); n != 1 {
			t.Errorf("%s: %d replace calls, want 1: the subnet stays where the other moved it", c.name, n)
		}
	}
}

// The entry quota error names the count, the setting and the AWS quota.
func TestSyncEntriesExplainsTheEntryQuota(t *testing.T) {
	_, client := newFakeEC2(t, map[string][]func(url.Values) answer{
		"CreateNetworkAclEntry": {fails("NetworkAclEntryLimitExceeded")},
	})
	entry := posture.Entry{RuleNumber: 100, Action: "allow", Protocol: "6", CIDRBlock: "10.0.1.10/32", FromPort: 22, ToPort: 22}
	err := awsec2.SyncEntries(context.Background(), client, "acl-new", nil, []posture.Entry{entry}, 1)
	for _, want := range []string{"would hold 1 ingress entries", "entries_per_direction_quota", "L-2AEEBF1A"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

// A repeated CreateNetworkAclEntry answers NetworkAclEntryAlreadyExists:
// done when the slot holds exactly the entry, an error when it holds
// another.
func TestCreateEntryRepeatedAfterALostReply(t *testing.T) {
	aclXML := `<networkAclSet><item><networkAclId>acl-new</networkAclId><vpcId>vpc-1</vpcId><default>false</default>` +
		`<entrySet><item><ruleNumber>100</ruleNumber><protocol>6</protocol><ruleAction>allow</ruleAction><egress>false</egress>` +
		`<cidrBlock>10.0.1.10/32</cidrBlock><portRange><from>22</from><to>22</to></portRange></item></entrySet></item></networkAclSet>`
	entry := posture.Entry{RuleNumber: 100, Action: "allow", Protocol: "6", CIDRBlock: "10.0.1.10/32", FromPort: 22, ToPort: 22}
	for _, c := range []struct {
		name string
		want posture.Entry
		ok   bool
	}{
		{"held", entry, true},
		{"another entry in the slot", func() posture.Entry { e := entry; e.ToPort = 23; return e }(), false},
	} {
		_, client := newFakeEC2(t, map[string][]func(url.Values) answer{
			"CreateNetworkAclEntry": {fails("NetworkAclEntryAlreadyExists")},
			"DescribeNetworkAcls":   {replies(aclXML)},
		})
		err := awsec2.SyncEntries(context.Background(), client, "acl-new", nil, []posture.Entry{c.want}, 1)
		if (err == nil) != c.ok {
			t.Errorf("%s: got %v", c.name, err)
		}
	}
}

func TestDiffEntries(t *testing.T) {
	e := func(number int, egress bool, cidr string) posture.Entry {
		return posture.Entry{RuleNumber: number, Egress: egress, Action: "allow", Protocol: "6", CIDRBlock: cidr, FromPort: 22, ToPort: 22}
	}
	numbers := func(entries []posture.Entry) []int {
		var out []int
		for _, x := range entries {
			out = append(out, x.RuleNumber)
		}
		return out
	}
	for _, c := range []struct {
		name                    string
		have, want              []posture.Entry
		create, replace, delete []int
	}{
		{"nothing", nil, nil, nil, nil, nil},
		{"new ACL", nil, []posture.Entry{e(100, false, "10.0.0.1/32"), e(100, true, "10.0.0.1/32")}, []int{100, 100}, nil, nil},
		{"unchanged", []posture.Entry{e(100, false, "10.0.0.1/32")}, []posture.Entry{e(100, false, "10.0.0.1/32")}, nil, nil, nil},
		{"same number, other peer: replaced in place", []posture.Entry{e(100, false, "10.0.0.1/32")}, []posture.Entry{e(100, false, "10.0.0.2/32")}, nil, []int{100}, nil},
		{"same number, other direction: created and deleted", []posture.Entry{e(100, false, "10.0.0.1/32")}, []posture.Entry{e(100, true, "10.0.0.1/32")}, []int{100}, nil, []int{100}},
		{"a peer added keeps the others' numbers", []posture.Entry{e(1000, false, "10.0.0.1/32")},
			[]posture.Entry{e(1000, false, "10.0.0.1/32"), e(1010, false, "10.0.0.2/32")}, []int{1010}, nil, nil},
		{"gone", []posture.Entry{e(1000, false, "10.0.0.1/32"), e(1010, false, "10.0.0.2/32")}, []posture.Entry{e(1000, false, "10.0.0.1/32")}, nil, nil, []int{1010}},
	} {
		create, replace, del := awsec2.DiffEntries(c.have, c.want)
		if !slices.Equal(numbers(create), c.create) || !slices.Equal(numbers(replace), c.replace) || !slices.Equal(numbers(del), c.delete) {
			t.Errorf("%s: create %v replace %v delete %v, want %v %v %v", c.name, numbers(create), numbers(replace), numbers(del), c.create, c.replace, c.delete)
		}
	}
}

// A new group in a VPC with IPv6 holds two default egress rules; both are
// rules to diff against.
func TestRulesFromPermissions(t *testing.T) {
	rules := awsec2.RulesFromPermissions(posture.Egress, []types.IpPermission{{
		IpProtocol: aws.String("-1"),
		IpRanges:   []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
		Ipv6Ranges: []types.Ipv6Range{{CidrIpv6: aws.String("::/0")}},
	}})
	if len(rules) != 2 || rules[0].CIDRIPv4 != "0.0.0.0/0" || rules[1].CIDRIPv6 != "::/0" || rules[1].FromPort != -1 || rules[1].Direction != posture.Egress {
		t.Fatalf("got %v", rules)
	}
	allIPv6 := posture.Rule{Direction: posture.Egress, Protocol: "-1", FromPort: -1, ToPort: -1, CIDRIPv6: "::/0", Description: "all"}
	authorize, _, revoke := awsec2.DiffRules(rules, []posture.Rule{allIPv6})
	if len(authorize) != 0 || len(revoke) != 1 || revoke[0].CIDRIPv4 != "0.0.0.0/0" {
		t.Errorf("a wanted ::/0 egress rule must be kept, not authorized again: authorize %v revoke %v", authorize, revoke)
	}
}

func TestAWSManagedWeight(t *testing.T) {
	for name, want := range map[string]int{
		"com.amazonaws.global.cloudfront.origin-facing":      55,
		"com.amazonaws.global.ipv6.cloudfront.origin-facing": 55,
		"com.amazonaws.eu-west-1.route53-healthchecks":       25,
		"com.amazonaws.eu-west-1.ipv6.route53-healthchecks":  25,
		"com.amazonaws.us-east-1.vpc-lattice":                10,
		"com.amazonaws.us-east-1.s3express":                  6,
		"com.amazonaws.global.groundstation":                 5,
		"com.amazonaws.us-east-1.ec2-instance-connect":       2,
		"com.amazonaws.us-east-1.s3":                         1,
		"com.amazonaws.cn-north-1.dynamodb":                  1,
		"com.amazonaws.us-east-1.some-new-service":           0,
		"my-list": 0,
	} {
		got, ok := awsec2.AWSManagedWeight(name)
		if got != want || ok != (want > 0) {
			t.Errorf("%s: weight %d (%v), want %d", name, got, ok, want)
		}
	}
}

func TestPartition(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-central-2": "aws", "cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
		"us-gov-west-1": "aws-us-gov", "us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b",
		"eu-isoe-west-1": "aws-iso-e", "us-isof-south-1": "aws-iso-f",
	} {
		if got := awsec2.Partition(region); got != want {
			t.Errorf("%s: %s, want %s", region, got, want)
		}
	}
}

// AWS-managed lists weigh what AWS's table says, in both families; one the
// table does not know counts its max entries, with a warning.
func TestPrefixListWeights(t *testing.T) {
	list := func(id, name, owner, family string, maxEntries string) string {
		return `<item><prefixListId>` + id + `</prefixListId><prefixListName>` + name + `</prefixListName><ownerId>` + owner +
			`</ownerId><addressFamily>` + family + `</addressFamily><maxEntries>` + maxEntries + `</maxEntries><version>3</version></item>`
	}
	_, client := newFakeEC2(t, map[string][]func(url.Values) answer{
		"DescribeManagedPrefixLists": {replies(`<prefixListSet>` +
			list("pl-cf", "com.amazonaws.global.cloudfront.origin-facing", "AWS", "IPv4", "120") +
			list("pl-s3", "com.amazonaws.us-east-1.s3", "AWS", "IPv4", "30") +
			list("pl-new", "com.amazonaws.us-east-1.some-new-service", "AWS", "IPv4", "17") +
			list("pl-mine", "office", "123456789012", "IPv6", "12") +
			`</prefixListSet>`)},
	})
	weights, warnings, err := awsec2.PrefixListWeights(context.Background(), client, []string{"pl-cf", "pl-s3", "pl-new", "pl-mine"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]posture.PrefixListWeight{
		"pl-cf":   {Weight: 55, Family: "IPv4", AWSManaged: true},
		"pl-s3":   {Weight: 1, Family: "IPv4", AWSManaged: true},
		"pl-new":  {Weight: 17, Family: "IPv4", AWSManaged: true},
		"pl-mine": {Weight: 12, Family: "IPv6"},
	}
	for id, w := range want {
		if weights[id] != w {
			t.Errorf("%s: %+v, want %+v", id, weights[id], w)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "pl-new") || !strings.Contains(warnings[0], "17") {
		t.Errorf("want one warning about pl-new at 17: %v", warnings)
	}
}

// A subnet made moments ago may not show its association with the
// default ACL yet: the move waits for it instead of failing.
func TestAssociateSubnetsWaitsForANewSubnet(t *testing.T) {
	vpc := func(subnets string) func(url.Values) answer {
		return replies(`<networkAclSet><item><networkAclId>acl-default</networkAclId><vpcId>vpc-1</vpcId><default>true</default>` +
			`<associationSet>` + subnets + `</associationSet></item>` +
			`<item><networkAclId>acl-new</networkAclId><vpcId>vpc-1</vpcId><default>false</default></item></networkAclSet>`)
	}
	fake, client := newFakeEC2(t, map[string][]func(url.Values) answer{
		"DescribeNetworkAcls": {vpc(``), vpc(`<item><networkAclAssociationId>aclassoc-1</networkAclAssociationId>` +
			`<networkAclId>acl-default</networkAclId><subnetId>subnet-new</subnetId></item>`)},
		"ReplaceNetworkAclAssociation": {replies(`<newAssociationId>aclassoc-2</newAssociationId>`)},
	})
	if err := awsec2.AssociateSubnets(context.Background(), client, "acl-new", "vpc-1", []string{"subnet-new"}); err != nil {
		t.Fatal(err)
	}
	if calls := fake.callsOf("ReplaceNetworkAclAssociation"); len(calls) != 1 || calls[0].Get("AssociationId") != "aclassoc-1" {
		t.Errorf("want one replace through aclassoc-1: %v", calls)
	}
}

// The resources of one plan share the provider's prefix list cache: each
// list is described once and its entries read once at its version, however
// many resources ask at once; a failed lookup is not kept.
func TestPrefixListCacheReadsEachListOnce(t *testing.T) {
	list := `<prefixListSet><item><prefixListId>pl-s3</prefixListId><prefixListName>com.amazonaws.us-east-1.s3</prefixListName>` +
		`<ownerId>AWS</ownerId><addressFamily>IPv4</addressFamily><maxEntries>30</maxEntries><version>3</version></item></prefixListSet>`
	fake, client := newFakeEC2(t, map[string][]func(url.Values) answer{
		"DescribeManagedPrefixLists":  {fails("RequestLimitExceeded"), replies(list)},
		"GetManagedPrefixListEntries": {replies(`<entrySet><item><cidr>52.216.0.0/15</cidr></item><item><cidr>54.231.0.0/16</cidr></item></entrySet>`)},
	})
	cache := awsec2.NewPrefixListCache()
	ctx := context.Background()
	if _, _, err := cache.Weights(ctx, client, []string{"pl-s3"}); err == nil {
		t.Fatal("the scripted failure did not fail the lookup")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 10 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			w, _, err := cache.Weights(ctx, client, []string{"pl-s3"})
			if err == nil && w["pl-s3"].Weight != 1 {
				err = fmt.Errorf("weight %+v", w["pl-s3"])
			}
			errs <- err
		}()
		go func() {
			defer wg.Done()
			cidrs, err := cache.CIDRs(ctx, client, []string{"pl-s3"})
			if err == nil && len(cidrs["pl-s3"]) != 2 {
				err = fmt.Errorf("cidrs %v", cidrs)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(fake.callsOf("DescribeManagedPrefixLists")); n != 2 {
		t.Errorf("%d DescribeManagedPrefixLists, want the failed one and one more", n)
	}
	if calls := fake.callsOf("GetManagedPrefixListEntries"); len(calls) != 1 || calls[0].Get("TargetVersion") != "3" {
		t.Errorf("want one GetManagedPrefixListEntries at version 3: %v", calls)
	}
}

// authorizeAnswer is AWS's answer to an authorize: every rule the call
// made, with its ID, as the permissions sent name them.
func authorizeAnswer(egress bool) func(url.Values) answer {
	return func(call url.Values) answer {
		var items strings.Builder
		for i := 1; call.Has(fmt.Sprintf("IpPermissions.%d.IpProtocol", i)); i++ {
			p := fmt.Sprintf("IpPermissions.%d.", i)
			peer := ""
			switch {
			case call.Has(p + "IpRanges.1.CidrIp"):
				peer = "<cidrIpv4>" + call.Get(p+"IpRanges.1.CidrIp") + "</cidrIpv4><description>" + call.Get(p+"IpRanges.1.Description") + "</description>"
			case call.Has(p + "Groups.1.GroupId"):
				peer = "<referencedGroupInfo><groupId>" + call.Get(p+"Groups.1.GroupId") + "</groupId></referencedGroupInfo><description>" + call.Get(p+"Groups.1.Description") + "</description>"
			case call.Has(p + "PrefixListIds.1.PrefixListId"):
				peer = "<prefixListId>" + call.Get(p+"PrefixListIds.1.PrefixListId") + "</prefixListId><description>" + call.Get(p+"PrefixListIds.1.Description") + "</description>"
			}
			fmt.Fprintf(&items, "<item><securityGroupRuleId>sgr-%t%d</securityGroupRuleId><groupId>sg-0aaaaaaaaaaaaaaa1</groupId><groupOwnerId>123456789012</groupOwnerId>"+
				"<isEgress>%t</isEgress><ipProtocol>%s</ipProtocol><fromPort>%s</fromPort><toPort>%s</toPort>%s</item>",
				egress, i, egress, call.Get(p+"IpProtocol"), call.Get(p+"FromPort"), call.Get(p+"ToPort"), peer)
		}
		return answer{body: "<return>true</return><securityGroupRuleSet>" + items.String() + "</securityGroupRuleSet>"}
	}
}

// Where AWS answers an authorize with every rule it made, a create is
// four calls and describes nothing: the group, one authorize a direction,
// and one revoke of the rules AWS put in it, by their content; its rules,
// IDs and descriptions come from the answers, its owner from its ARN.
func TestCreateSecurityGroupWithAWSAnswersDescribesNothing(t *testing.T) {
	fake, client := newFakeEC2(t, map[string][]func(url.Values) answer{
		"CreateSecurityGroup": {replies(`<return>true</return><groupId>sg-0aaaaaaaaaaaaaaa1</groupId>` +
			`<securityGroupArn>arn:aws:ec2:us-east-1:123456789012:security-group/sg-0aaaaaaaaaaaaaaa1</securityGroupArn>`)},
		"AuthorizeSecurityGroupIngress": {authorizeAnswer(false)},
		"AuthorizeSecurityGroupEgress":  {authorizeAnswer(true)},
		"RevokeSecurityGroupEgress":     {replies(`<return>true</return>`)},
	})
	want, err := posture.CompileGroup(posture.Intent{Profiles: map[string]posture.Peers{
		"management":     {CIDRBlocks: []string{"10.0.1.10/32"}, SecurityGroupIDs: []string{"sg-0bbbbbbbbbbbbbbb2"}},
		"object_storage": {PrefixListIDs: []string{"pl-63a5400a"}},
	}}, posture.GroupOptions{PrefixLists: map[string]posture.PrefixListWeight{"pl-63a5400a": {Weight: 1, Family: "IPv4", AWSManaged: true}}})
	if err != nil {
		t.Fatal(err)
	}
	group, rules, err := awsec2.CreateSecurityGroup(context.Background(), client, awsec2.CreateGroupInput{Name: "ddve", Description: "d", VPCID: "vpc-1", Rules: want})
	if err != nil {
		t.Fatal(err)
	}
	if group.OwnerID != "123456789012" || group.ARN != "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0aaaaaaaaaaaaaaa1" {
		t.Errorf("owner %q, ARN %q", group.OwnerID, group.ARN)
	}
	if n := awsec2.DiffRulesCount(rules, want); n != 0 || len(rules) != len(want) {
		t.Errorf("%d rules, %d differing from the %d wanted", len(rules), n, len(want))
	}
	for _, r := range rules {
		if r.ID == "" {
			t.Errorf("rule %s has no ID", r.Rule)
		}
	}
	var actions []string
	for _, c := range fake.calls {
		actions = append(actions, c.Get("Action"))
	}
	if want := []string{"CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress"}; !slices.Equal(actions, want) {
		t.Errorf("calls %v, want %v", actions, want)
	}
	revoke := fake.callsOf("RevokeSecurityGroupEgress")[0]
	if revoke.Get("IpPermissions.1.IpRanges.1.CidrIp") != "0.0.0.0/0" || revoke.Get("IpPermissions.2.Ipv6Ranges.1.CidrIpv6") != "::/0" || revoke.Has("SecurityGroupRuleId.1") {
		t.Errorf("the defaults are not revoked by their content: %v", revoke)
	}
}

// In a VPC without IPv6 a new group holds no ::/0 rule; where AWS refuses
// the revoke of both defaults for it, the group's rules are read and the
// 0.0.0.0/0 rule left is revoked by its ID.
func TestCreateSecurityGroupRevokesTheDefaultsLeft(t *testing.T) {
	fake, client := newFakeEC2(t, map[string][]func(url.Values) answer{
		"CreateSecurityGroup": {replies(`<return>true</return><groupId>sg-0aaaaaaaaaaaaaaa1</groupId>` +
			`<securityGroupArn>arn:aws:ec2:us-east-1:123456789012:security-group/sg-0aaaaaaaaaaaaaaa1</securityGroupArn>`)},
		"AuthorizeSecurityGroupIngress": {authorizeAnswer(false)},
		"RevokeSecurityGroupEgress":     {fails("InvalidPermission.NotFound"), replies(`<return>true</return>`)},
		"DescribeSecurityGroupRules": {replies(`<securityGroupRuleSet><item><securityGroupRuleId>sgr-default</securityGroupRuleId>` +
			`<groupId>sg-0aaaaaaaaaaaaaaa1</groupId><isEgress>true</isEgress><ipProtocol>-1</ipProtocol><fromPort>-1</fromPort><toPort>-1</toPort>` +
			`<cidrIpv4>0.0.0.0/0</cidrIpv4></item></securityGroupRuleSet>`)},
	})
	want, err := posture.CompileGroup(posture.Intent{Profiles: map[string]posture.Peers{
		"management": {CIDRBlocks: []string{"10.0.1.10/32"}},
	}}, posture.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := awsec2.CreateSecurityGroup(context.Background(), client, awsec2.CreateGroupInput{Name: "ddve", Description: "d", VPCID: "vpc-1", Rules: want}); err != nil {
		t.Fatal(err)
	}
	revokes := fake.callsOf("RevokeSecurityGroupEgress")
	if len(revokes) != 2 || revokes[1].Get("SecurityGroupRuleId.1") != "sgr-default" || revokes[1].Has("SecurityGroupRuleId.2") {
		t.Errorf("want the left default revoked by its ID: %v", revokes)
	}
}

// Lookups of the subnets' ACLs asked while one is out go together in the
// next call, and each gets the holders of its own subnets.
func TestHolderLookupsGoTogether(t *testing.T) {
	release := make(chan struct{})
	holders := func(call url.Values) answer {
		var items strings.Builder
		for i := 1; call.Has(fmt.Sprintf("Filter.1.Value.%d", i)); i++ {
			subnet := call.Get(fmt.Sprintf("Filter.1.Value.%d", i))
			fmt.Fprintf(&items, `<item><networkAclId>acl-%s</networkAclId><vpcId>vpc-1</vpcId><default>false</default><associationSet><item>`+
				`<networkAclAssociationId>aclassoc-%s</networkAclAssociationId><networkAclId>acl-%s</networkAclId><subnetId>%s</subnetId></item></associationSet></item>`,
				subnet, subnet, subnet, subnet)
		}
		return answer{body: `<networkAclSet>` + items.String() + `</networkAclSet>`}
	}
	fake, client := newFakeEC2(t, map[string][]func(url.Values) answer{
		"DescribeNetworkAcls": {func(call url.Values) answer { <-release; return holders(call) }, holders},
	})
	lookups := awsec2.NewHolderLookups()
	ctx := context.Background()
	type result struct {
		subnet string
		acl    string
		err    error
	}
	results := make(chan result, 4)
	ask := func(subnet string) {
		found, err := lookups.Find(ctx, client, []string{subnet})
		r := result{subnet: subnet, err: err}
		if acl := found[subnet]; acl != nil {
			r.acl = acl.ID
		}
		results <- r
	}
	go ask("subnet-a")
	for len(fake.callsOf("DescribeNetworkAcls")) == 0 {
		time.Sleep(time.Millisecond)
	}
	for _, s := range []string{"subnet-b", "subnet-c", "subnet-d"} {
		go ask(s)
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	for range 4 {
		r := <-results
		if r.err != nil || r.acl != "acl-"+r.subnet {
			t.Errorf("%s: %q, %v", r.subnet, r.acl, r.err)
		}
	}
	calls := fake.callsOf("DescribeNetworkAcls")
	if len(calls) != 2 || len(calls[1]["Filter.1.Value.3"]) == 0 {
		t.Errorf("want the three lookups asked meanwhile in one second call: %v", calls)
	}
}
