package evaluate

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// MismatchGroup is the mismatches one rule or entry causes, of one kind and
// direction: what a reviewer fixes in one place.
type MismatchGroup struct {
	Kind, Direction string
	Rule            *posture.Rule
	Entry           *posture.Entry
	// Traffic lists the protocols and ports, such as "tcp 22, udp 123".
	Traffic []string
	// Addresses are the remote addresses of every row, merged into the
	// fewest CIDR blocks.
	Addresses []netip.Prefix
	Rows      []Mismatch
}

// MismatchGroups gathers the mismatches by kind, direction and cause, in
// the order they were found.
func (c LayerCheck) MismatchGroups() []MismatchGroup {
	var out []MismatchGroup
	index := map[string]int{}
	for _, m := range c.Mismatches {
		key := fmt.Sprintf("%s|%s|%p|%p", m.Kind, m.Direction, m.Rule, m.Entry)
		i, seen := index[key]
		if !seen {
			i = len(out)
			index[key] = i
			out = append(out, MismatchGroup{Kind: m.Kind, Direction: m.Direction, Rule: m.Rule, Entry: m.Entry})
		}
		out[i].Rows = append(out[i].Rows, m)
	}
	for i := range out {
		blocks := make([]netip.Prefix, len(out[i].Rows))
		for j, m := range out[i].Rows {
			blocks[j] = m.CIDR
		}
		out[i].Addresses = FewestPrefixes(blocks)
		out[i].Traffic = trafficLabels(out[i].Rows)
	}
	return out
}

// trafficLabels lists the protocols of rows with their ports merged, such
// as "tcp 0-65535" for rows of tcp 0-21, 22 and 23-65535.
func trafficLabels(rows []Mismatch) []string {
	var labels []string
	ports := map[string][]PortRange{}
	for _, m := range rows {
		label := m.Protocol
		if m.From < 0 || posture.IsICMP(icmpNumber(m.Protocol)) {
			label = strings.TrimSpace(strings.TrimSuffix(m.Protocol+" "+m.Ports, " *"))
		}
		if !slices.Contains(labels, label) {
			labels = append(labels, label)
		}
		if label == m.Protocol {
			ports[label] = append(ports[label], PortRange{From: m.From, To: m.To})
		}
	}
	for i, label := range labels {
		ranges, ok := ports[label]
		if !ok {
			continue
		}
		slices.SortFunc(ranges, func(a, b PortRange) int { return a.From - b.From })
		var text []string
		for j := 0; j < len(ranges); {
			r := ranges[j]
			for j++; j < len(ranges) && ranges[j].From <= r.To+1; j++ {
				r.To = max(r.To, ranges[j].To)
			}
			text = append(text, Row{Ports: []PortRange{r}}.portsLabel())
		}
		labels[i] = label + " " + strings.Join(text, ", ")
	}
	return labels
}

func icmpNumber(label string) int {
	n, _ := posture.ProtocolNumber(label)
	return n
}

// Summary says what the group's rows say, in one line. cause names the
// rule or entry as the reader knows it (with its ID, say).
func (g MismatchGroup) Summary(cause string) string {
	what := g.traffic()
	rows := fmt.Sprintf("(%d row", len(g.Rows))
	if len(g.Rows) != 1 {
		rows += "s"
	}
	rows += ")"
	switch g.Kind {
	case "request":
		return fmt.Sprintf("%s admits %s, which the network ACL drops %s", cause, what, rows)
	case "return traffic":
		return fmt.Sprintf("%s admits requests whose answers, %s, the network ACL drops: the connections hang %s", cause, what, rows)
	}
	return fmt.Sprintf("%s passes %s, which the security group drops and no admitted request is answered on %s", cause, what, rows)
}

// traffic writes the rows as "tcp 0-21, 23-65535 from 0.0.0.0/0; tcp 22
// from 0.0.0.0/0 except 10.0.1.0/24": rows of the same addresses share
// their protocols and ports, and no port is said of an address it does not
// hold.
func (g MismatchGroup) traffic() string {
	type part struct {
		addresses string
		rows      []Mismatch
	}
	var parts []part
	byLabel := map[string][]Mismatch{}
	var labels []string
	for _, m := range g.Rows {
		label := m.Protocol + " " + m.Ports
		if _, seen := byLabel[label]; !seen {
			labels = append(labels, label)
		}
		byLabel[label] = append(byLabel[label], m)
	}
	for _, label := range labels {
		blocks := make([]netip.Prefix, len(byLabel[label]))
		for i, m := range byLabel[label] {
			blocks[i] = m.CIDR
		}
		addresses := describeAddresses(FewestPrefixes(blocks))
		i := slices.IndexFunc(parts, func(p part) bool { return p.addresses == addresses })
		if i < 0 {
			parts = append(parts, part{addresses: addresses})
			i = len(parts) - 1
		}
		parts[i].rows = append(parts[i].rows, byLabel[label]...)
	}
	text := make([]string, len(parts))
	for i, p := range parts {
		text[i] = strings.Join(trafficLabels(p.rows), ", ") + " " + fromOrTo(g.Direction) + " " + p.addresses
	}
	return strings.Join(text, "; ")
}

// describeAddresses writes a set of addresses the short way: as its
// blocks, or, when fewer words do, as the blocks that cover it with the
// holes in them ("10.0.1.0/24 except 10.0.1.10/32").
func describeAddresses(blocks []netip.Prefix) string {
	var covers []netip.Prefix
	for _, family := range [][]netip.Prefix{
		slices.DeleteFunc(slices.Clone(blocks), func(p netip.Prefix) bool { return !p.Addr().Is4() }),
		slices.DeleteFunc(slices.Clone(blocks), func(p netip.Prefix) bool { return p.Addr().Is4() }),
	} {
		if len(family) > 0 {
			covers = append(covers, covering(family[0].Addr(), lastAddr(family[len(family)-1])))
		}
	}
	holes := make([]Space, 0, len(blocks))
	for _, b := range blocks {
		holes = append(holes, Box(0, b, 0, 0))
	}
	var coverSpace []Space
	for _, c := range covers {
		coverSpace = append(coverSpace, Box(0, c, 0, 0))
	}
	var missing []netip.Prefix
	for _, row := range UnionAll(coverSpace...).Subtract(UnionAll(holes...)).Rows() {
		missing = append(missing, row.Prefixes...)
	}
	if len(covers)+len(missing) >= len(blocks) {
		return joinBlocks(blocks)
	}
	return joinBlocks(covers) + " except " + joinBlocks(FewestPrefixes(missing))
}

// covering returns the smallest block that holds first and last.
func covering(first, last netip.Addr) netip.Prefix {
	for bits := first.BitLen(); bits > 0; bits-- {
		if p, _ := first.Prefix(bits); p.Contains(last) {
			return p
		}
	}
	p, _ := first.Prefix(0)
	return p
}

// lastAddr is the highest address of a block.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As16()
	offset := 0
	if p.Addr().Is4() {
		offset = 96
	}
	for bit := offset + p.Bits(); bit < 128; bit++ {
		a[bit/8] |= 1 << (7 - bit%8)
	}
	last := netip.AddrFrom16(a)
	if p.Addr().Is4() {
		return last.Unmap()
	}
	return last
}

func joinBlocks(blocks []netip.Prefix) string {
	text := make([]string, len(blocks))
	for i, b := range blocks {
		text[i] = b.String()
	}
	return strings.Join(text, ", ")
}

// FewestPrefixes returns the fewest CIDR blocks that hold exactly the
// addresses of blocks, IPv4 before IPv6.
func FewestPrefixes(blocks []netip.Prefix) []netip.Prefix {
	spaces := make([]Space, len(blocks))
	for i, b := range blocks {
		spaces[i] = Box(0, b.Masked(), 0, 0)
	}
	var out []netip.Prefix
	for _, row := range UnionAll(spaces...).Rows() {
		out = append(out, row.Prefixes...)
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	return out
}

// Cause names the group's rule or entry by what it holds.
func (g MismatchGroup) Cause() string {
	switch {
	case g.Rule != nil && g.Rule.Description != "":
		return fmt.Sprintf("security group rule %q (%s)", g.Rule.Description, g.Rule)
	case g.Rule != nil:
		return fmt.Sprintf("security group rule %s", g.Rule)
	case g.Entry != nil:
		return fmt.Sprintf("network ACL entry %d (%s, %s)", g.Entry.RuleNumber, g.Entry.Direction(), g.Entry.Action)
	}
	return "traffic"
}
