package acctest

import (
	"net/url"
	"strings"
	"testing"
)

// A DescribeNetworkAcls answer as moto 5.2 writes it: two entries of one
// ACL, the ICMP one without its type and code.
const motoACLs = `<DescribeNetworkAclsResponse><networkAclSet><item><associationSet/><entrySet>` +
	`<item><cidrBlock>10.1.0.0/16</cidrBlock><egress>false</egress><protocol>1</protocol><ruleAction>allow</ruleAction><ruleNumber>100</ruleNumber></item>` +
	`<item><cidrBlock>10.1.0.0/16</cidrBlock><egress>true</egress><portRange><from>22</from><to>22</to></portRange><protocol>6</protocol><ruleAction>allow</ruleAction><ruleNumber>100</ruleNumber></item>` +
	`</entrySet><default>false</default><networkAclId>acl-1</networkAclId><tagSet/></item></networkAclSet></DescribeNetworkAclsResponse>`

func TestICMPEntriesRestored(t *testing.T) {
	var e icmpEntries
	e.observe("CreateNetworkAclEntry", url.Values{"NetworkAclId": {"acl-1"}, "Egress": {"false"}, "RuleNumber": {"100"}, "Icmp.Type": {"8"}, "Icmp.Code": {"-1"}})
	// The same number in the other direction and another ACL stay as they are.
	e.observe("CreateNetworkAclEntry", url.Values{"NetworkAclId": {"acl-2"}, "Egress": {"true"}, "RuleNumber": {"100"}, "Icmp.Type": {"0"}, "Icmp.Code": {"0"}})

	got := string(e.restore([]byte(motoACLs)))
	want := `<ruleNumber>100</ruleNumber><icmpTypeCode><code>-1</code><type>8</type></icmpTypeCode></item>`
	if !strings.Contains(got, want) || strings.Count(got, "<icmpTypeCode>") != 1 {
		t.Fatalf("restored answer:\n%s\nwant one %s", got, want)
	}

	e.observe("ReplaceNetworkAclEntry", url.Values{"NetworkAclId": {"acl-1"}, "Egress": {"false"}, "RuleNumber": {"100"}, "Protocol": {"6"}})
	if got := string(e.restore([]byte(motoACLs))); strings.Contains(got, "<icmpTypeCode>") {
		t.Fatalf("an entry replaced by a TCP one keeps its ICMP type:\n%s", got)
	}
	e.observe("CreateNetworkAclEntry", url.Values{"NetworkAclId": {"acl-1"}, "Egress": {"false"}, "RuleNumber": {"100"}, "Icmp.Type": {"3"}, "Icmp.Code": {"4"}})
	e.observe("DeleteNetworkAclEntry", url.Values{"NetworkAclId": {"acl-1"}, "Egress": {"false"}, "RuleNumber": {"100"}})
	if got := string(e.restore([]byte(motoACLs))); strings.Contains(got, "<icmpTypeCode>") {
		t.Fatalf("a deleted entry keeps its ICMP type:\n%s", got)
	}
}
