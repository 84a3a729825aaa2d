package posture

import (
	"cmp"
	"slices"
)

// ruleID is what a rule does, as RuleKey says it, in numbers: the group
// compiler merges its rules by it, which hashes and compares far faster
// than RuleKey's text.
type ruleID struct {
	egress   bool
	proto    int16
	from, to int32
	peer     int32 // in the ruleList's peers
}

type pendingRule struct {
	id       ruleID
	profiles textList // in ruleList.profiles, unsorted
	purposes textList
	// description is a custom rule's own words, which replace the purposes.
	description string
}

// ruleList gathers the rules of a security group in order of first
// appearance, merging the flows that need the same rule.
type ruleList struct {
	rules []pendingRule
	index map[ruleID]int
	// peers numbers the distinct peers; peerSets holds the numbers of each
	// of the intent's peer lists, worked out once for all its flows.
	peers     []peer
	peerIndex map[peer]int32
	peerSets  [][]int32
	profiles  textTable
	purposes  textTable
}

func newRuleList(capacity int) *ruleList {
	return &ruleList{
		rules: make([]pendingRule, 0, capacity), index: make(map[ruleID]int, capacity),
		peerIndex: map[peer]int32{}, profiles: newTextTable(), purposes: newTextTable(),
	}
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
		// The prefix is the value parsed: the value alone tells peers apart.
		key := peer{kind: p.kind, value: p.value}
		n, ok := l.peerIndex[key]
		if !ok {
			n = int32(len(l.peers))
			l.peerIndex[key] = n
			l.peers = append(l.peers, key)
		}
		numbers[i] = n
	}
	l.peerSets[f.peerSet] = numbers
	return numbers
}

// addFlow adds the rule of each of the flow's peers, or names the flow's
// profile and purpose in the rule that is there already.
func (l *ruleList) addFlow(f flow) {
	origin := l.profiles.id(f.origin)
	purpose := l.purposes.id(f.purpose)
	for _, peer := range l.peerNumbers(f) {
		id := ruleID{egress: f.opener == Egress, proto: int16(f.proto), from: int32(f.from), to: int32(f.to), peer: peer}
		i, seen := l.index[id]
		if !seen {
			i = len(l.rules)
			l.index[id] = i
			l.rules = append(l.rules, pendingRule{id: id})
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
// rules by their text, it ranks the few distinct protocols and peers once
// and sorts the rules' positions by numbers.
func (l *ruleList) sorted() []Rule {
	protocols := l.protocolRanks()
	peerRanks := l.peerRanks()
	// traffic packs direction, protocol rank (under 257) and ports (-1 to
	// 65535, offset by one), into one number that orders as they do in
	// turn.
	type position struct {
		traffic uint64
		peer    int32
		index   int32
	}
	order := make([]position, len(l.rules))
	for i, r := range l.rules {
		traffic := uint64(direction(r.id.egress))<<50 | uint64(protocols[r.id.proto+1])<<34 |
			uint64(r.id.from+1)<<17 | uint64(r.id.to+1)
		order[i] = position{traffic, peerRanks[r.id.peer], int32(i)}
	}
	slices.SortFunc(order, func(a, b position) int {
		if a.traffic != b.traffic {
			return cmp.Compare(a.traffic, b.traffic)
		}
		return cmp.Compare(a.peer, b.peer)
	})

	// Rules with the same profiles share one sorted list, and rules with
	// the same profiles and purposes one description. Each rule gets its
	// own stretch of one array for its profiles, clipped, so that a caller
	// appending to one rule's list never writes into another's.
	profiles := map[textList][]string{}
	descriptions := map[[2]textList]string{}
	total := 0
	for i := range l.rules {
		r := &l.rules[i]
		if _, ok := profiles[r.profiles]; !ok {
			names := l.profiles.strings(r.profiles)
			slices.Sort(names)
			profiles[r.profiles] = names
		}
		total += len(profiles[r.profiles])
	}
	backing := make([]string, 0, total)
	out := make([]Rule, len(order))
	for i, o := range order {
		r := &l.rules[o.index]
		names := profiles[r.profiles]
		start := len(backing)
		backing = append(backing, names...)
		description := r.description
		if description == "" {
			key := [2]textList{r.profiles, r.purposes}
			if d, ok := descriptions[key]; ok {
				description = d
			} else {
				description = RuleDescription(names, l.purposes.strings(r.purposes))
				descriptions[key] = description
			}
		}
		out[i] = l.rule(r.id)
		out[i].Description = description
		out[i].Profiles = backing[start:len(backing):len(backing)]
	}
	return out
}

// rule spells out what a rule does.
func (l *ruleList) rule(id ruleID) Rule {
	r := Rule{Direction: directionName(id.egress), Protocol: GroupProtocol(int(id.proto)), FromPort: int(id.from), ToPort: int(id.to)}
	switch p := l.peers[id.peer]; p.kind {
	case peerIPv4:
		r.CIDRIPv4 = p.value
	case peerIPv6:
		r.CIDRIPv6 = p.value
	case peerGroup:
		r.ReferencedGroupID = p.value
	case peerPrefixList:
		r.PrefixListID = p.value
	}
	return r
}

// protocolRanks ranks the rules' protocols as CompareRules does, by the
// text of GroupProtocol; a protocol's rank is at its number plus one.
func (l *ruleList) protocolRanks() *[257]int32 {
	var protocols []int16
	for _, r := range l.rules {
		if !slices.Contains(protocols, r.id.proto) {
			protocols = append(protocols, r.id.proto)
		}
	}
	slices.SortFunc(protocols, func(a, b int16) int { return cmp.Compare(GroupProtocol(int(a)), GroupProtocol(int(b))) })
	var ranks [257]int32
	for i, p := range protocols {
		ranks[p+1] = int32(i)
	}
	return &ranks
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
	ranks := make([]int32, len(l.peers))
	for rank, p := range byRank {
		ranks[p] = int32(rank)
	}
	return ranks
}
