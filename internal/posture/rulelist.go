package posture

import (
	"cmp"
	"slices"
)

// traffic is what a rule lets through apart from its peer: a direction,
// a protocol and ports (ICMP: type and code). A flow has one, and a
// profile's flows a handful.
type traffic struct {
	egress   bool
	proto    int16
	from, to int32
}

// ruleID is what a rule does, as RuleKey says it: its traffic and its
// peer, both numbered by the ruleList, in one integer, which hashes far
// faster than RuleKey's text.
type ruleID uint64

func newRuleID(traffic, peer int32) ruleID { return ruleID(uint64(traffic)<<32 | uint64(peer)) }

type pendingRule struct {
	traffic, peer int32
	profiles      textList // in ruleList.profiles, unsorted
	purposes      textList
	// description is a custom rule's own words, which replace the purposes.
	description string
}

// ruleList gathers the rules of a security group in order of first
// appearance, merging the flows that need the same rule.
type ruleList struct {
	rules        []pendingRule
	index        map[ruleID]int32
	traffics     []traffic
	trafficIndex map[traffic]int32
	// peers numbers the distinct peers; peerSets holds the numbers of each
	// of the intent's peer lists, worked out once for all its flows.
	peers []peer
	// peerIndex finds a peer's number, by kind then by value.
	peerIndex [peerPrefixList + 1]map[string]int32
	peerSets  [][]int32
	profiles  textTable
	purposes  textTable
}

func newRuleList(capacity int) *ruleList {
	l := &ruleList{
		rules: make([]pendingRule, 0, capacity), index: make(map[ruleID]int32, capacity),
		trafficIndex: map[traffic]int32{}, profiles: newTextTable(), purposes: newTextTable(),
	}
	for kind := range l.peerIndex {
		l.peerIndex[kind] = map[string]int32{}
	}
	return l
}

// trafficNumber returns the number of a flow's traffic.
func (l *ruleList) trafficNumber(f flow) int32 {
	t := traffic{egress: f.opener == Egress, proto: int16(f.proto), from: int32(f.from), to: int32(f.to)}
	if n, ok := l.trafficIndex[t]; ok {
		return n
	}
	n := int32(len(l.traffics))
	l.trafficIndex[t] = n
	l.traffics = append(l.traffics, t)
	return n
}

// peerNumbers returns the numbers of a flow's peers.
func (l *ruleList) peerNumbers(f flow) []int32 {
	if f.peerSet >= len(l.peerSets) {
		l.peerSets = append(l.peerSets, make([][]int32, f.peerSet+1-len(l.peerSets))...)
	}
	if numbers := l.peerSets[f.peerSet]; numbers != nil || len(f.peers) == 0 {
		return numbers
	}
	numbers := make([]int32, len(f.peers))
	for i, p := range f.peers {
		// The prefix is the value parsed: the value alone tells peers of
		// a kind apart.
		index := l.peerIndex[p.kind]
		n, ok := index[p.value]
		if !ok {
			n = int32(len(l.peers))
			index[p.value] = n
			l.peers = append(l.peers, peer{kind: p.kind, value: p.value})
		}
		numbers[i] = n
	}
	l.peerSets[f.peerSet] = numbers
	return numbers
}

// addFlow adds the rule of each of the flow's peers, or names the flow's
// profile and purpose in the rule that is there already.
func (l *ruleList) addFlow(f flow) {
	traffic := l.trafficNumber(f)
	origin := l.profiles.id(f.origin)
	purpose := l.purposes.id(f.purpose)
	for _, peer := range l.peerNumbers(f) {
		if l.peers[peer].kind == peerGroup && fault("group rule to a security group dropped") {
			continue
		}
		id := newRuleID(traffic, peer)
		i, seen := l.index[id]
		if !seen {
			i = int32(len(l.rules))
			l.index[id] = i
			l.rules = append(l.rules, pendingRule{traffic: traffic, peer: peer})
		}
		r := &l.rules[i]
		r.profiles = l.profiles.with(r.profiles, origin)
		switch {
		case f.origin == CustomOrigin && f.description != "":
			// A custom description is the user's own words: keep it whole.
			r.description = f.description
		case r.description == "":
			r.purposes = l.purposes.with(r.purposes, purpose)
		}
	}
}

// sorted returns the rules as SortRules orders them. Rather than compare
// rules by their text, it ranks the few distinct traffics and peers, and
// orders the rules by two stable counting passes, by peer then by traffic.
func (l *ruleList) sorted() []Rule {
	trafficRanks, peerRanks := l.trafficRanks(), l.peerRanks()
	order := make([]int32, len(l.rules))
	for i := range order {
		order[i] = int32(i)
	}
	order = countingSort(order, len(l.peers), func(i int32) int32 { return peerRanks[l.rules[i].peer] })
	order = countingSort(order, len(l.traffics), func(i int32) int32 { return trafficRanks[l.rules[i].traffic] })

	// Rules with the same profiles share one sorted list, and rules with
	// the same profiles and purposes one description. Each rule gets its
	// own stretch of one array for its profiles, clipped, so that a caller
	// appending to one rule's list never writes into another's.
	sortedNames := make([][]string, len(l.profiles.nodes))
	total := 0
	for i := range l.rules {
		r := &l.rules[i]
		if sortedNames[r.profiles] == nil {
			names := l.profiles.strings(r.profiles)
			slices.Sort(names)
			sortedNames[r.profiles] = names
		}
		total += len(sortedNames[r.profiles])
	}
	backing := make([]string, 0, total)
	// Descriptions by profiles and purposes; consecutive rules, one flow's
	// towards each peer, mostly share theirs.
	descriptions := map[uint64]string{}
	lastKey, lastDescription := uint64(0), ""
	out := make([]Rule, len(order))
	for i, k := range order {
		r := &l.rules[k]
		names := sortedNames[r.profiles]
		start := len(backing)
		backing = append(backing, names...)
		description := r.description
		if description == "" {
			key := uint64(r.profiles)<<32 | uint64(r.purposes)
			if key != lastKey || lastDescription == "" {
				var ok bool
				if description, ok = descriptions[key]; !ok {
					description = RuleDescription(names, l.purposes.strings(r.purposes))
					descriptions[key] = description
				}
				lastKey, lastDescription = key, description
			}
			description = lastDescription
		}
		rule := &out[i]
		l.spell(rule, r)
		rule.Description = description
		rule.Profiles = backing[start:len(backing):len(backing)]
	}
	return out
}

// countingSort returns the positions in, reordered by key stably; keys
// are 0 to n-1.
func countingSort(in []int32, n int, key func(int32) int32) []int32 {
	next := make([]int32, n+1)
	for _, i := range in {
		next[key(i)+1]++
	}
	for k := 1; k <= n; k++ {
		next[k] += next[k-1]
	}
	out := make([]int32, len(in))
	for _, i := range in {
		k := key(i)
		out[next[k]] = i
		next[k]++
	}
	return out
}

// spell writes what a rule does into r.
func (l *ruleList) spell(r *Rule, p *pendingRule) {
	t := l.traffics[p.traffic]
	r.Direction, r.Protocol, r.FromPort, r.ToPort = directionName(t.egress), GroupProtocol(int(t.proto)), int(t.from), int(t.to)
	switch peer := l.peers[p.peer]; peer.kind {
	case peerIPv4:
		r.CIDRIPv4 = peer.value
	case peerIPv6:
		r.CIDRIPv6 = peer.value
	case peerGroup:
		r.ReferencedGroupID = peer.value
	case peerPrefixList:
		r.PrefixListID = peer.value
	}
}

// trafficRanks ranks the traffics as CompareRules does: by direction,
// the text of GroupProtocol, and ports.
func (l *ruleList) trafficRanks() []int32 {
	byRank := make([]int32, len(l.traffics))
	for i := range byRank {
		byRank[i] = int32(i)
	}
	slices.SortFunc(byRank, func(a, b int32) int {
		x, y := l.traffics[a], l.traffics[b]
		return cmp.Or(
			cmp.Compare(directionIndex(x.egress), directionIndex(y.egress)),
			cmp.Compare(GroupProtocol(int(x.proto)), GroupProtocol(int(y.proto))),
			cmp.Compare(x.from, y.from), cmp.Compare(x.to, y.to),
		)
	})
	return ranks(byRank)
}

// peerRanks ranks the peers as CompareRules does: by CIDRIPv4, CIDRIPv6,
// ReferencedGroupID and PrefixListID in turn, of which a rule sets one.
func (l *ruleList) peerRanks() []int32 {
	byRank := make([]int32, len(l.peers))
	for i := range byRank {
		byRank[i] = int32(i)
	}
	// The kinds are numbered in the order of those fields.
	fields := func(p peer) [4]string {
		var f [4]string
		f[p.kind] = p.value
		return f
	}
	slices.SortFunc(byRank, func(a, b int32) int {
		fa, fb := fields(l.peers[a]), fields(l.peers[b])
		return cmp.Or(cmp.Compare(fa[0], fb[0]), cmp.Compare(fa[1], fb[1]), cmp.Compare(fa[2], fb[2]), cmp.Compare(fa[3], fb[3]))
	})
	return ranks(byRank)
}

// ranks inverts a list of numbers in rank order.
func ranks(byRank []int32) []int32 {
	out := make([]int32, len(byRank))
	for rank, n := range byRank {
		out[n] = int32(rank)
	}
	return out
}
