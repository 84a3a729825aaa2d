package posture

import "net/netip"

// cidr is a canonical block of either family, numbered in the
// compilation's blockTable, with the prefix list it came from, if any.
type cidr struct {
	prefix     netip.Prefix
	block      int32
	ipv6       bool
	public     bool // 0.0.0.0/0 or ::/0
	prefixList string
}

// newCIDR numbers a block, whose canonical text is text.
func (l *entryList) newCIDR(p netip.Prefix, text, prefixList string) cidr {
	ipv6 := p.Addr().Is6()
	return cidr{prefix: p, block: l.blocks.number(text, ipv6), ipv6: ipv6, public: p.Bits() == 0, prefixList: prefixList}
}

// blockTable numbers the distinct blocks of one compilation, so that
// entries are told apart by small numbers rather than by their text: the
// same block typed in one profile and resolved from a prefix list in
// another is one block.
type blockTable struct {
	// The families are indexed apart, so the maps are keyed by text alone.
	ipv4, ipv6 map[string]int32
	blocks     []blockText
}

type blockText struct {
	value string
	ipv6  bool
}

func newBlockTable() blockTable {
	return blockTable{ipv4: map[string]int32{}, ipv6: map[string]int32{}}
}

func (t *blockTable) family(ipv6 bool) map[string]int32 {
	if ipv6 {
		return t.ipv6
	}
	return t.ipv4
}

// number returns the block's number, giving it the next one if it is new.
func (t *blockTable) number(value string, ipv6 bool) int32 {
	index := t.family(ipv6)
	if n, ok := index[value]; ok {
		return n
	}
	n := int32(len(t.blocks))
	index[value] = n
	t.blocks = append(t.blocks, blockText{value, ipv6})
	return n
}

// lookup finds a block without numbering it: an entry of the previous
// numbering towards a block this compilation does not use matches nothing.
func (t *blockTable) lookup(value string, ipv6 bool) (int32, bool) {
	n, ok := t.family(ipv6)[value]
	return n, ok
}

// peerBlocks is what the ACL compiler derives from one peer list: its
// blocks, prefix lists resolved, and whether the whole-internet check has
// run on them. Every flow of a profile shares one.
type peerBlocks struct {
	cidrs []cidr
	// reusable is set once the blocks were resolved without a problem:
	// resolution problems name the flow, so a list that has any is
	// resolved again for each flow, as it reports them each time.
	reusable      bool
	familyChecked bool
}

// flowCIDRs returns the flow's peers as CIDRs, resolving prefix lists and
// refusing security groups, which ACL entries cannot reference.
func (l *entryList) flowCIDRs(f flow, prefixLists map[string][]string, problems *Problems) []cidr {
	out := make([]cidr, 0, len(f.peers))
	for _, p := range f.peers {
		switch p.kind {
		case peerIPv4, peerIPv6:
			out = append(out, l.newCIDR(p.prefix, p.value, ""))
		case peerGroup:
			problems.addOnce(f.at.Name("security_group_ids").SetValue(p.value), "Security groups cannot be ACL peers",
				"Network ACL entries take CIDR blocks only, so %s cannot be a peer here: use the CIDR blocks of the hosts in that group in cidr_blocks, or its subnets' CIDRs.", p.value)
		case peerPrefixList:
			resolved, ok := prefixLists[p.value]
			if !ok {
				problems.add(f.at.Name("prefix_list_ids").SetValue(p.value), "Prefix list not resolved",
					"The entries of prefix list %s could not be read; check that it exists in this region.", p.value)
				continue
			}
			for _, s := range resolved {
				prefix, err := netip.ParsePrefix(s)
				if err != nil {
					problems.add(f.at.Name("prefix_list_ids").SetValue(p.value), "Invalid prefix list entry",
						"Prefix list %s holds %q, which is not a CIDR.", p.value, s)
					continue
				}
				if f.ipv4Only && prefix.Addr().Is6() {
					continue
				}
				prefix = prefix.Masked()
				out = append(out, l.newCIDR(prefix, prefix.String(), p.value))
			}
		}
	}
	return out
}

// peerCIDRs returns the flow's blocks, resolved once per peer list when
// that goes without problems.
func (l *entryList) peerCIDRs(f flow, prefixLists map[string][]string, problems *Problems) (*peerBlocks, []cidr) {
	if f.peerSet >= len(l.peerSets) {
		l.peerSets = append(l.peerSets, make([]peerBlocks, f.peerSet+1-len(l.peerSets))...)
	}
	set := &l.peerSets[f.peerSet]
	if set.reusable {
		return set, set.cidrs
	}
	before := len(*problems)
	cidrs := l.flowCIDRs(f, prefixLists, problems)
	set.cidrs, set.reusable = cidrs, len(*problems) == before
	return set, cidrs
}

// cidrBlock returns the block of a cidr, for refuseWholeFamily.
func cidrBlock(c cidr) (netip.Prefix, bool) { return c.prefix, true }
