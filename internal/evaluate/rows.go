package evaluate

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Row is one line of a Space as people read it: a protocol, a family, the
// addresses as CIDR prefixes and the ports all of them hold.
type Row struct {
	// Protocol is 0-255, or -1 for every protocol but those in Except.
	Protocol int
	// Except, on a -1 row, lists the protocols the Space holds otherwise:
	// their rows of their own say what they hold, if anything.
	Except []int
	Family int // 4 or 6
	// Prefixes is the address set, the fewest prefixes in address order.
	Prefixes []netip.Prefix
	// Ports are TCP and UDP destination ports. ICMP holds the ICMP and
	// ICMPv6 types and codes. Both are nil for the other protocols, which
	// have no ports.
	Ports []PortRange
	ICMP  []ICMPRange
}

// PortRange is an inclusive range of ports.
type PortRange struct{ From, To int }

// ICMPRange is the ICMP messages of types TypeFrom-TypeTo, each with the
// codes CodeFrom-CodeTo.
type ICMPRange struct{ TypeFrom, TypeTo, CodeFrom, CodeTo int }

// Rows decomposes s into rows: the -1 rows first, then by protocol, IPv4
// before IPv6, and within those by first address. Addresses that hold the
// same ports share a row, so a table has a row per distinct port set. The
// decomposition is exact: the union of the rows' Space is s.
func (s Space) Rows() []Row {
	var except []int
	for _, np := range s.named {
		except = append(except, np.protocol)
	}
	out := partRows(nil, -1, except, s.other)
	for _, np := range s.named {
		out = partRows(out, np.protocol, nil, np.part)
	}
	return out
}

func partRows(out []Row, protocol int, except []int, p part) []Row {
	for _, family := range []struct {
		list slabs
		v6   bool
	}{{p.v4, false}, {p.v6, true}} {
		start := len(out)
		for _, sl := range family.list {
			// The row of the slab's port set, if an earlier slab opened it.
			k := start
			for ; k < len(out) && !out[k].holds(protocol, sl.ports); k++ {
			}
			if k == len(out) {
				r := Row{Protocol: protocol, Except: except, Family: 4}
				if family.v6 {
					r.Family = 6
				}
				switch {
				case protocol == 6 || protocol == 17:
					for _, x := range sl.ports {
						r.Ports = append(r.Ports, PortRange{int(x.lo), int(x.hi)})
					}
				case isICMP(protocol):
					r.ICMP = icmpRanges(sl.ports)
				}
				out = append(out, r)
			}
			out[k].Prefixes = append(out[k].Prefixes, rangePrefixes(sl.lo, sl.hi, family.v6)...)
		}
	}
	return out
}

// holds reports whether the row's ports are the set p.
func (r Row) holds(protocol int, p spans) bool {
	return r.ports(protocol).equal(p)
}

// ports returns the row's port dimension as a set.
func (r Row) ports(protocol int) spans {
	switch {
	case protocol == 6 || protocol == 17:
		var out spans
		for _, x := range r.Ports {
			out = unionSpans(out, portRange(x.From, x.To))
		}
		return out
	case isICMP(protocol):
		var out spans
		for _, x := range r.ICMP {
			for t := max(x.TypeFrom, 0); t <= min(x.TypeTo, 255); t++ {
				lo, hi := max(x.CodeFrom, 0), min(x.CodeTo, 255)
				if lo <= hi {
					out = unionSpans(out, spans{{uint16(t<<8 | lo), uint16(t<<8 | hi)}})
				}
			}
		}
		return out
	}
	return allPorts
}

// icmpRanges decodes ranges of ICMP keys into type and code rectangles; a
// key range across types splits into the codes left of its first type,
// whole types, and the codes of its last. Rectangles of the same codes on
// consecutive types then join: code 4 of every type is one rectangle.
func icmpRanges(p spans) []ICMPRange {
	var out []ICMPRange
	last := map[[2]int]int{} // codes -> index of the latest rectangle with them
	add := func(r ICMPRange) {
		codes := [2]int{r.CodeFrom, r.CodeTo}
		if k, ok := last[codes]; ok && out[k].TypeTo+1 == r.TypeFrom {
			out[k].TypeTo = r.TypeTo
			return
		}
		last[codes] = len(out)
		out = append(out, r)
	}
	for _, x := range p {
		ta, ca, tb, cb := int(x.lo>>8), int(x.lo&0xff), int(x.hi>>8), int(x.hi&0xff)
		if ta == tb {
			add(ICMPRange{ta, ta, ca, cb})
			continue
		}
		if ca != 0 {
			add(ICMPRange{ta, ta, ca, 255})
			ta++
		}
		tail := cb != 255
		if tail {
			tb--
		}
		if ta <= tb {
			add(ICMPRange{ta, tb, 0, 255})
		}
		if tail {
			add(ICMPRange{tb + 1, tb + 1, 0, cb})
		}
	}
	return out
}

// Space returns the packets the row stands for.
func (r Row) Space() Space {
	ports := r.ports(r.Protocol)
	boxes := make([]Space, 0, len(r.Prefixes))
	for _, p := range r.Prefixes {
		boxes = append(boxes, boxOf(r.Protocol, p, ports))
	}
	s := UnionAll(boxes...)
	if r.Protocol == -1 && len(r.Except) > 0 {
		all := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if r.Family == 6 {
			all = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
		for _, n := range r.Except {
			s = s.Subtract(boxOf(n, all, allPorts))
		}
	}
	return s
}

// String prints the row as protocol, family, prefixes and ports, separated
// by tabs.
func (r Row) String() string {
	prefixes := make([]string, len(r.Prefixes))
	for i, p := range r.Prefixes {
		prefixes[i] = p.String()
	}
	return protocolLabel(r.Protocol, r.Except) + "\tipv" + strconv.Itoa(r.Family) + "\t" +
		strings.Join(prefixes, " ") + "\t" + r.portsLabel()
}

func protocolLabel(n int, except []int) string {
	names := map[int]string{1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6"}
	if n != -1 {
		if name, ok := names[n]; ok {
			return name
		}
		return strconv.Itoa(n)
	}
	if len(except) == 0 {
		return "all"
	}
	labels := make([]string, len(except))
	for i, e := range except {
		labels[i] = protocolLabel(e, nil)
	}
	return "all but " + strings.Join(labels, ",")
}

func (r Row) portsLabel() string {
	var parts []string
	switch {
	case r.Ports != nil:
		for _, p := range r.Ports {
			if p.From == p.To {
				parts = append(parts, strconv.Itoa(p.From))
			} else {
				parts = append(parts, fmt.Sprintf("%d-%d", p.From, p.To))
			}
		}
	case r.ICMP != nil:
		for _, x := range r.ICMP {
			parts = append(parts, x.String())
		}
	default:
		return "*"
	}
	return strings.Join(parts, ",")
}

// String prints the range the way ICMP is usually spoken of: "type 3 code
// 1", "type 8" for all its codes, "all types" for everything.
func (x ICMPRange) String() string {
	rng := func(what string, a, b int) string {
		if a == b {
			return what + " " + strconv.Itoa(a)
		}
		return fmt.Sprintf("%ss %d-%d", what, a, b)
	}
	types := rng("type", x.TypeFrom, x.TypeTo)
	if x.TypeFrom == 0 && x.TypeTo == 255 {
		types = "all types"
	}
	if x.CodeFrom == 0 && x.CodeTo == 255 {
		return types
	}
	return types + " " + rng("code", x.CodeFrom, x.CodeTo)
}

// String prints s as a table, a row per line (see Rows): meant for test
// failures and diagnostics.
func (s Space) String() string {
	rows := s.Rows()
	if len(rows) == 0 {
		return "(nothing)"
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(w, r.String())
	}
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}
