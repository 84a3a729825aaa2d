package posture

import (
	"cmp"
	"slices"
	"strings"
)

// IntentFromRules recovers the intent behind a security group's rules from
// what AWS keeps: descriptions written by RuleDescription name their
// profiles, any other rule is a custom rule. ok is false unless the
// recovered intent compiles back to exactly these rules, so an import never
// records an intent that would change the group.
func IntentFromRules(rules []Rule) (Intent, bool) {
	in := Intent{Profiles: map[string]Peers{}}
	known := func(name string) bool { _, ok := catalogProfiles[name]; return ok }
	type customKey struct {
		direction, protocol string
		from, to            int
		description         string
	}
	custom := map[customKey]*CustomRule{}
	var customOrder []customKey
	for _, r := range rules {
		if isPathMTU := func(name string) bool { return name == PathMTUOrigin }; ProfilesFromDescription(r.Description, isPathMTU) != nil {
			in.PathMTUDiscovery = true
			continue
		}
		if r.Direction == Ingress && (r.CIDRIPv4 == "0.0.0.0/0" || r.CIDRIPv6 == "::/0") {
			in.AllowPublicIngress = true
		}
		if profiles := ProfilesFromDescription(r.Description, known); profiles != nil {
			for _, p := range profiles {
				in.Profiles[p] = addPeer(in.Profiles[p], r)
			}
			continue
		}
		description := r.Description
		if strings.HasPrefix(description, descriptionPrefix+CustomOrigin+": ") {
			description = ""
		}
		key := customKey{r.Direction, r.Protocol, r.FromPort, r.ToPort, description}
		c, ok := custom[key]
		if !ok {
			c = &CustomRule{Direction: r.Direction, Protocol: r.Protocol, Description: description}
			switch n, _ := ProtocolNumber(r.Protocol); {
			case n == ProtoAll:
				c.Protocol = "all"
			case HasPorts(n) || IsICMP(n):
				from, to := r.FromPort, r.ToPort
				c.FromPort, c.ToPort = &from, &to
			}
			// Any other protocol (GRE 47, ESP 50...) has no ports: AWS
			// reports -1, which the intent leaves out.
			custom[key] = c
			customOrder = append(customOrder, key)
		}
		c.Peers = addPeer(c.Peers, r)
	}
	slices.SortFunc(customOrder, func(a, b customKey) int {
		return cmp.Or(cmp.Compare(directionOrder(a.direction), directionOrder(b.direction)),
			cmp.Compare(a.protocol, b.protocol), cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to),
			cmp.Compare(a.description, b.description))
	})
	for _, k := range customOrder {
		in.CustomRules = append(in.CustomRules, *custom[k])
	}

	compiled, err := CompileGroup(in, GroupOptions{RulesPerDirectionQuota: len(rules) + 1})
	if err != nil || len(compiled) != len(rules) {
		return in, false
	}
	sorted := slices.Clone(rules)
	SortRules(sorted)
	for i := range sorted {
		if compiled[i].Key() != sorted[i].Key() || compiled[i].Description != sorted[i].Description {
			return in, false
		}
	}
	return in, true
}

func addPeer(p Peers, r Rule) Peers {
	switch {
	case r.CIDRIPv4 != "":
		p.CIDRBlocks = appendUnique(p.CIDRBlocks, r.CIDRIPv4)
	case r.CIDRIPv6 != "":
		p.IPv6CIDRBlocks = appendUnique(p.IPv6CIDRBlocks, r.CIDRIPv6)
	case r.ReferencedGroupID != "":
		p.SecurityGroupIDs = appendUnique(p.SecurityGroupIDs, r.ReferencedGroupID)
	case r.PrefixListID != "":
		p.PrefixListIDs = appendUnique(p.PrefixListIDs, r.PrefixListID)
	}
	return p
}

func appendUnique(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	list = append(list, v)
	slices.Sort(list)
	return list
}
