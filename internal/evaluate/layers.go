package evaluate

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"text/tabwriter"
)

// A DDVE instance sits behind two layers: its security groups, stateful,
// and its subnet's network ACL, stateless. CheckLayers says exactly what
// passes each, what passes both, and where they disagree.

// Layers, as the reachability data source names them.
const (
	LayerGroup = "security_group"
	LayerACL   = "network_acl"
	LayerBoth  = "both"
)

// TrafficRange is one row of a table of traffic: a direction, a protocol,
// one remote block and a range of ports (or ICMP types).
type TrafficRange struct {
	Direction string // ingress or egress
	Protocol  string // tcp, udp, icmp, icmpv6, a number, "all" or "all but ..."
	CIDR      netip.Prefix
	// From and To are ports for TCP and UDP, ICMP types for ICMP, -1 for
	// protocols without ports.
	From, To int
	Ports    string // the ports, or ICMP types and codes, as text
}

// ExposureRow is traffic that passes a layer.
type ExposureRow struct {
	TrafficRange
	Layer string
}

// Mismatch is traffic one layer lets through and the other drops.
type Mismatch struct {
	TrafficRange
	Kind                 string // "request" or "return traffic"
	AllowedBy, BlockedBy string
	Detail               string
}

// LayerCheck is the result of CheckLayers.
type LayerCheck struct {
	// Group holds the requests the group admits, ACL the packets the ACL
	// passes, Both the requests both admit.
	Group, ACL, Both Exposure
	Mismatches       []Mismatch
}

// CheckLayers compares a group and an ACL. Two kinds of disagreement are
// mismatches: a request the group admits and the ACL drops, and the
// answers to a request both admit that the ACL drops on their way back,
// for clients sending from the ephemeral range. Traffic only the ACL
// passes is no mismatch: a stateless ACL must pass return traffic that
// the group never sees as a request; it shows in the exposure.
func CheckLayers(g Group, a ACL, ephemeral PortRange) LayerCheck {
	c := LayerCheck{Group: GroupExposure(g), ACL: ACLExposure(a)}
	c.Both = Exposure{Ingress: c.Group.Ingress.Intersect(c.ACL.Ingress), Egress: c.Group.Egress.Intersect(c.ACL.Egress)}
	for _, d := range []struct {
		direction, reverse string
		group, acl, both   Space
		aclBack            Space
	}{
		{"ingress", "egress", c.Group.Ingress, c.ACL.Ingress, c.Both.Ingress, c.ACL.Egress},
		{"egress", "ingress", c.Group.Egress, c.ACL.Egress, c.Both.Egress, c.ACL.Ingress},
	} {
		for _, r := range trafficRanges(d.direction, d.group.Subtract(d.acl)) {
			c.Mismatches = append(c.Mismatches, Mismatch{
				TrafficRange: r, Kind: "request", AllowedBy: LayerGroup, BlockedBy: LayerACL,
				Detail: fmt.Sprintf("The security group admits %s %s %s %s, but the network ACL drops the request.", r.Protocol, r.Ports, fromOrTo(d.direction), r.CIDR),
			})
		}
		lost := answersNeeded(d.both, ephemeral).Subtract(d.aclBack)
		for _, r := range trafficRanges(d.reverse, lost) {
			c.Mismatches = append(c.Mismatches, Mismatch{
				TrafficRange: r, Kind: "return traffic", AllowedBy: LayerGroup + " (connection state)", BlockedBy: LayerACL,
				Detail: fmt.Sprintf("Both layers admit %s requests %s %s, but the network ACL drops their answers %s %s on %s %s: the connections hang.",
					r.Protocol, fromOrTo(d.direction), r.CIDR, fromOrTo(d.reverse), r.CIDR, r.Protocol, r.Ports),
			})
		}
	}
	return c
}

func fromOrTo(direction string) string {
	if direction == "ingress" {
		return "from"
	}
	return "to"
}

// answersNeeded returns where the answers to the TCP and UDP requests of
// s go: back to the same blocks, on the ephemeral range.
func answersNeeded(s Space, ephemeral PortRange) Space {
	var out []Space
	for _, row := range s.Rows() {
		var protocols []int
		switch row.Protocol {
		case 6, 17:
			protocols = []int{row.Protocol}
		case -1:
			for _, p := range []int{6, 17} {
				if !slices.Contains(row.Except, p) {
					protocols = append(protocols, p)
				}
			}
		}
		for _, p := range protocols {
			for _, prefix := range row.Prefixes {
				out = append(out, Box(p, prefix, ephemeral.From, ephemeral.To))
			}
		}
	}
	return UnionAll(out...)
}

// trafficRanges lays a Space out as rows of one block and one port range.
func trafficRanges(direction string, s Space) []TrafficRange {
	var out []TrafficRange
	for _, row := range s.Rows() {
		protocol := protocolLabel(row.Protocol, row.Except)
		for _, prefix := range row.Prefixes {
			base := TrafficRange{Direction: direction, Protocol: protocol, CIDR: prefix, From: -1, To: -1, Ports: "*"}
			switch {
			case row.Ports != nil:
				for _, p := range row.Ports {
					r := base
					r.From, r.To, r.Ports = p.From, p.To, Row{Ports: []PortRange{p}}.portsLabel()
					out = append(out, r)
				}
			case row.ICMP != nil:
				for _, x := range row.ICMP {
					r := base
					r.From, r.To, r.Ports = x.TypeFrom, x.TypeTo, x.String()
					out = append(out, r)
				}
			default:
				out = append(out, base)
			}
		}
	}
	return out
}

// ExposureRows lays out what passes each layer and both, ingress first.
func (c LayerCheck) ExposureRows() []ExposureRow {
	var out []ExposureRow
	for _, layer := range []struct {
		name string
		x    Exposure
	}{{LayerGroup, c.Group}, {LayerACL, c.ACL}, {LayerBoth, c.Both}} {
		for _, d := range []struct {
			direction string
			s         Space
		}{{"ingress", layer.x.Ingress}, {"egress", layer.x.Egress}} {
			for _, r := range trafficRanges(d.direction, d.s) {
				out = append(out, ExposureRow{TrafficRange: r, Layer: layer.name})
			}
		}
	}
	return out
}

// Table prints the exposure, then the mismatches, as text tables.
func (c LayerCheck) Table() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "LAYER\tDIRECTION\tPROTOCOL\tREMOTE\tPORTS")
	for _, r := range c.ExposureRows() {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Layer, r.Direction, r.Protocol, r.CIDR, r.Ports)
	}
	w.Flush()
	if len(c.Mismatches) == 0 {
		b.WriteString("\nNo mismatches: what the security group admits, the network ACL passes both ways.\n")
		return b.String()
	}
	b.WriteString("\nMISMATCHES\n")
	for _, m := range c.Mismatches {
		fmt.Fprintf(&b, "- %s\n", m.Detail)
	}
	return b.String()
}
