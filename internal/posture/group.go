package posture

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// DefaultRulesPerDirectionQuota is AWS's default quota of security group
// rules per direction and IP family.
const DefaultRulesPerDirectionQuota = 60

// Rule is one security group rule as AWS stores it: one direction, protocol,
// port range and a single peer.
type Rule struct {
	Direction         string // Ingress or Egress
	Protocol          string // as AWS reports it: tcp, udp, icmp, icmpv6, -1
	FromPort          int    // -1 with protocol -1; the type for ICMP
	ToPort            int    // -1 with protocol -1; the code for ICMP
	CIDRIPv4          string
	CIDRIPv6          string
	ReferencedGroupID string
	PrefixListID      string
	Description       string
	// Profiles names what produced the rule: catalog profiles, or "custom".
	Profiles []string
}

// RuleKey identifies a rule in AWS, whatever its description.
type RuleKey struct {
	Direction, Protocol             string
	FromPort, ToPort                int
	CIDRIPv4, CIDRIPv6              string
	ReferencedGroupID, PrefixListID string
}

// Key returns the rule's identity.
func (r Rule) Key() RuleKey {
	return RuleKey{r.Direction, r.Protocol, r.FromPort, r.ToPort, r.CIDRIPv4, r.CIDRIPv6, r.ReferencedGroupID, r.PrefixListID}
}

// Peer returns the rule's single peer, whichever kind it is.
func (r Rule) Peer() string {
	return r.CIDRIPv4 + r.CIDRIPv6 + r.ReferencedGroupID + r.PrefixListID
}

// GroupOptions tune the security group compiler.
type GroupOptions struct {
	// RulesPerDirectionQuota defaults to DefaultRulesPerDirectionQuota.
	RulesPerDirectionQuota int
	// PrefixLists says what each prefix list counts against the quota. A
	// list not named here counts as an AWS-managed list of weight 1.
	PrefixLists map[string]PrefixListWeight
}

// CompileGroup expands an intent into the rules of one security group. Rules
// that several profiles need (ddboost and nfs with the same peers) appear
// once, with both profiles named. The order is deterministic.
func CompileGroup(in Intent, opts GroupOptions) ([]Rule, error) {
	flows, problems := intentFlows(in)
	if len(problems) > 0 {
		return nil, problems
	}
	if in.PathMTUDiscovery {
		ipv4, ipv6 := pmtuFamilies(flows, nil)
		flows = append(flows, pmtuFlows(ipv4, ipv6, false, nextPeerSet(flows))...)
	}
	pairs := 0
	for _, f := range flows {
		pairs += len(f.peers)
	}
	list := newRuleList(pairs)
	for _, f := range flows {
		list.addFlow(f)
	}
	rules := list.sorted()
	if err := checkGroupQuota(rules, opts); err != nil {
		return nil, err
	}
	return rules, nil
}

const descriptionPrefix = "ddve "

// RuleDescription is the description of a rule produced by profiles, such as
// "ddve management: SSH". ProfilesFromDescription reads it back on import.
func RuleDescription(profiles, purposes []string) string {
	d := descriptionPrefix + strings.Join(profiles, ", ") + ": " + strings.Join(purposes, "; ")
	if len(d) > maxDescriptionLength {
		d = d[:maxDescriptionLength]
	}
	return d
}

// ProfilesFromDescription returns the profiles a rule description names, or
// nil when the description was not written by RuleDescription.
func ProfilesFromDescription(description string, known func(string) bool) []string {
	rest, ok := strings.CutPrefix(description, descriptionPrefix)
	if !ok {
		return nil
	}
	names, _, ok := strings.Cut(rest, ": ")
	if !ok {
		return nil
	}
	profiles := strings.Split(names, ", ")
	for _, p := range profiles {
		if !known(p) {
			return nil
		}
	}
	return profiles
}

// SortRules puts rules in the order the compiler emits them: ingress first,
// then by protocol, ports and peer.
func SortRules(rules []Rule) {
	slices.SortFunc(rules, CompareRules)
}

// CompareRules orders two rules as SortRules does.
func CompareRules(a, b Rule) int {
	return cmp.Or(
		cmp.Compare(directionOrder(a.Direction), directionOrder(b.Direction)),
		cmp.Compare(a.Protocol, b.Protocol),
		cmp.Compare(a.FromPort, b.FromPort),
		cmp.Compare(a.ToPort, b.ToPort),
		cmp.Compare(a.CIDRIPv4, b.CIDRIPv4),
		cmp.Compare(a.CIDRIPv6, b.CIDRIPv6),
		cmp.Compare(a.ReferencedGroupID, b.ReferencedGroupID),
		cmp.Compare(a.PrefixListID, b.PrefixListID),
	)
}

func (r Rule) String() string {
	return fmt.Sprintf("%s %s %d-%d %s", r.Direction, r.Protocol, r.FromPort, r.ToPort, r.Peer())
}

// directionOrder sorts ingress before egress.
func directionOrder(d string) int {
	if d == Ingress {
		return 0
	}
	return 1
}
