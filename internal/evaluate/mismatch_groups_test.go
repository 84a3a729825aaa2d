package evaluate_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

func prefixes(text ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(text))
	for i, t := range text {
		out[i] = netip.MustParsePrefix(t)
	}
	return out
}

func TestFewestPrefixes(t *testing.T) {
	for _, c := range []struct{ in, want []netip.Prefix }{
		{prefixes("10.0.1.128/25", "10.0.1.0/25"), prefixes("10.0.1.0/24")},
		{prefixes("10.0.1.0/29", "10.0.1.8/31", "10.0.1.11/32", "10.0.1.12/30", "10.0.1.16/28", "10.0.1.32/27", "10.0.1.64/26", "10.0.1.128/25", "10.0.1.10/32"), prefixes("10.0.1.0/24")},
		{prefixes("10.0.1.0/25", "10.0.3.0/24", "2001:db8::/64", "10.0.1.10/32"), prefixes("10.0.1.0/25", "10.0.3.0/24", "2001:db8::/64")},
		{prefixes("10.0.1.1/32", "10.0.1.2/32"), prefixes("10.0.1.1/32", "10.0.1.2/32")},
	} {
		if got := evaluate.FewestPrefixes(c.in); !slices.Equal(got, c.want) {
			t.Errorf("FewestPrefixes(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// A security group that names a bastion group and a subnet's ACL that
// passes the whole bastion subnet, plus one rogue all-ports rule: the rows
// run to dozens, the groups are one per rule or entry, each naming it and
// the addresses merged.
func TestMismatchGroupsNameTheirCause(t *testing.T) {
	members := []netip.Addr{netip.MustParseAddr("10.0.1.10"), netip.MustParseAddr("10.0.1.77")}
	group := evaluate.Group{
		Rules: []posture.Rule{
			{Direction: "ingress", Protocol: "tcp", FromPort: 22, ToPort: 22, ReferencedGroupID: "sg-00000000000000001", Description: "ddve management: SSH"},
			{Direction: "ingress", Protocol: "tcp", FromPort: 0, ToPort: 65535, CIDRIPv4: "0.0.0.0/0", Description: "rogue"},
		},
		Resolver: evaluate.Resolver{GroupMembers: map[string][]netip.Addr{"sg-00000000000000001": members}},
	}
	acl := evaluate.ACL{Entries: []posture.Entry{
		{RuleNumber: 1000, Action: "allow", Protocol: "6", CIDRBlock: "10.0.1.0/24", FromPort: 22, ToPort: 22},
		{RuleNumber: 1000, Egress: true, Action: "allow", Protocol: "6", CIDRBlock: "10.0.1.0/24", FromPort: 1024, ToPort: 65535},
	}}
	c := evaluate.CheckLayers(group, acl, catalogLayerOptions())
	groups := c.MismatchGroups()
	var summaries []string
	rows := 0
	for _, g := range groups {
		summaries = append(summaries, g.Kind+" "+g.Direction+": "+g.Cause()+" "+joinPrefixes(g.Addresses)+" "+strings.Join(g.Traffic, ","))
		rows += len(g.Rows)
	}
	if rows != len(c.Mismatches) {
		t.Errorf("the groups hold %d rows of %d", rows, len(c.Mismatches))
	}
	// The rogue rule admits everything from everywhere: the ACL drops all
	// of it but SSH from the bastion subnet, and the answers of that SSH
	// go back through the ACL. The SSH rule's requests all pass. The ACL
	// passes SSH from the rest of the bastion subnet, which the rogue rule
	// admits, so only the rogue rule causes mismatches.
	want := []string{
		`request ingress: security group rule "rogue" (ingress tcp 0-65535 0.0.0.0/0) 0.0.0.0/0 tcp 0-65535`,
	}
	if !slices.Equal(summaries, want) {
		t.Errorf("groups:\n%s\nwant:\n%s\n%s", strings.Join(summaries, "\n"), strings.Join(want, "\n"), c.Table())
	}
	if len(c.Mismatches) < 10 {
		t.Errorf("want the rows to run long (they are what the groups summarise), got %d", len(c.Mismatches))
	}
	// No port is said of an address it does not hold: SSH from the
	// bastion subnet passes both layers.
	wantSummary := `security group rule "rogue" (ingress tcp 0-65535 0.0.0.0/0) admits tcp 0-65535 from 0.0.0.0/0 except 10.0.1.0/24; ` +
		`tcp 0-21, 23-65535 from 10.0.1.0/24, which the network ACL drops (26 rows)`
	if got := groups[0].Summary(groups[0].Cause()); got != wantSummary {
		t.Errorf("summary:\n%s\nwant\n%s", got, wantSummary)
	}
	table := c.Table()
	if strings.Count(table, "\n- ") != len(groups) || !strings.Contains(table, `security group rule "rogue"`) {
		t.Errorf("the table should print one line per group, naming the rule:\n%s", table)
	}
}

func joinPrefixes(p []netip.Prefix) string {
	text := make([]string, len(p))
	for i, x := range p {
		text[i] = x.String()
	}
	return strings.Join(text, ",")
}
