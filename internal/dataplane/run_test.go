package dataplane

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// result is one flow's outcome on one posture.
type result struct {
	f       *flow
	server  string // what answers the flow
	want    bool
	kernel  bool
	output  string // the client's output, trimmed, when it failed
	srcPort int    // the client's real source port; 0: not seen
	portSrc string // where srcPort was seen
	eval    bool
	blame   string // the evaluator's blocking layer
	dropped string // the kernel's drop rules that counted the flow's packets
}

// observeRuleset turns conntrack on in the router, only so that the
// clients' real source ports can be read back: no rule filters on it.
// Connection tracking reassembles fragments before the ACL chains see
// them, where AWS judges each fragment; no flow here is fragmented (TCP
// and the path MTU probes send with "don't fragment", the UDP messages
// are small).
const observeRuleset = `table inet ddve_observe
delete table inet ddve_observe
table inet ddve_observe {
	chain prerouting {
		type filter hook prerouting priority raw; policy accept;
		ct state new counter comment "conntrack on, to record source ports; filters nothing"
	}
}
`

// flowParallelism bounds the clients running at once: they mostly wait on
// the network (a dropped packet waits out the client's timeout).
const flowParallelism = 8

// openRulesets stand for no posture: the group's table and the ACLs'
// table with no rule and nothing dropped.
var openRulesets = map[string]string{
	"group": "table inet ddve_group\ndelete table inet ddve_group\ntable inet ddve_group {\n}\n",
	"nacl":  "table inet ddve_nacl\ndelete table inet ddve_nacl\ntable inet ddve_nacl {\n}\n",
}

// runOpen runs every flow with no filter loaded: each must pass, so that a
// flow a posture blocks is blocked by the posture, not by a client or a
// server that does not work.
func (l *lab) runOpen(s *services) []string {
	l.t.Helper()
	if err := l.loadRuleset(l.ns(ddve.role), "group-open", openRulesets["group"]); err != nil {
		l.t.Fatal(err)
	}
	if err := l.loadRuleset(l.ns(routerRol), "nacl-open", openRulesets["nacl"]); err != nil {
		l.t.Fatal(err)
	}
	flows := allFlows()
	want := map[string]bool{}
	for _, f := range flows {
		want[f.name] = true
	}
	results := l.runFlows(s, nil, flows, want)
	fmt.Print(formatTable("no filter loaded: every flow must pass", results))
	return problems(nil, results)
}

// runFlows runs every flow on the posture loaded now, all at once, then
// reads the clients' source ports from the router's connection table and
// asks the evaluator about each flow with its real source port (rb nil:
// no posture is loaded, and the evaluator is not asked). Flows
// where the kernel, the expectation and the evaluator do not all agree are
// run once more, alone, to read which drop rules counted their packets.
func (l *lab) runFlows(s *services, rb *readBack, flows []*flow, want map[string]bool) []*result {
	l.t.Helper()
	router := l.ns(routerRol)
	l.mustIn(router, "conntrack", "-F")
	l.forgetPathMTU(flows)
	results := make([]*result, len(flows))
	var wg sync.WaitGroup
	sem := make(chan struct{}, flowParallelism)
	for i, f := range flows {
		w, ok := want[f.name]
		if !ok {
			l.t.Fatalf("flow %q has no expectation", f.name)
		}
		results[i] = &result{f: f, want: w, server: s.server(f)}
		wg.Add(1)
		go func(r *result) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r.kernel, r.output = l.runClient(s, r.f, newMarker())
		}(results[i])
	}
	wg.Wait()
	table, _ := l.run(0, router, "conntrack", "-L")
	for _, r := range results {
		r.srcPort, r.portSrc = sourcePort(table, r, boundElsewhere(r.f, flows))
		port := r.srcPort
		if port == 0 {
			// The router's table holds no entry for the flow (dropped
			// before it, or, rarely, gone when the table is read): ask the
			// evaluator with the port the client binds, or one of Linux's
			// ephemeral ports (32768-60999).
			port = cmpOr(r.f.srcPort, 40000)
		}
		if rb == nil {
			// No posture: nothing for the evaluator to judge.
			r.eval = r.want
			continue
		}
		r.eval, r.blame = rb.evaluateFlow(r.f, port)
	}
	for _, r := range results {
		if rb != nil && (r.kernel != r.want || r.kernel != r.eval) {
			r.dropped = l.whereDropped(s, r.f)
		}
	}
	return results
}

// newMarker is a one-way message's text, unique in the run and ended by
// a dot so that no marker is found inside a longer one.
func newMarker() string {
	return fmt.Sprintf("ddvemark-%d-%d.", time.Now().UnixNano(), markerSeq.Add(1))
}

var markerSeq atomic.Int64

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// runClient runs the flow's client and decides whether the flow passed.
func (l *lab) runClient(s *services, f *flow, marker string) (bool, string) {
	out, err := l.run(flowTimeout, l.ns(f.client.role), f.command(s, f, marker)...)
	out = strings.TrimSpace(out)
	if f.oneWay {
		if err != nil {
			return false, out
		}
		return l.serverSaw(s.logs[f.serverLog], marker), out
	}
	if err != nil || (f.ok != nil && !f.ok(out)) {
		if err != nil {
			out = strings.TrimSpace(out + " (" + err.Error() + ")")
		}
		return false, out
	}
	return true, out
}

// serverSaw waits up to a second for a one-way message's marker to show
// in the server's log.
func (l *lab) serverSaw(logPath, marker string) bool {
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(logPath); err == nil && strings.Contains(string(b), marker) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

var (
	conntrackField = regexp.MustCompile(`(\w+)=(\S+)`)
	helperLocal    = regexp.MustCompile(`local \S+:(\d+)`)
)

// boundElsewhere lists the source ports other flows between the same
// addresses and to the same port bind themselves: a connection from one
// of them is theirs, not f's.
func boundElsewhere(f *flow, flows []*flow) map[int]bool {
	out := map[int]bool{}
	for _, g := range flows {
		if g != f && g.srcPort != 0 && g.srcPort != f.srcPort && g.src() == f.src() && g.dst() == f.dst() && g.proto == f.proto && g.port == f.port {
			out[g.srcPort] = true
		}
	}
	return out
}

// sourcePort finds the flow's original-direction entry in the router's
// connection table, or the port a helper client printed. A flow that binds
// its source port takes the entry from that port; other flows skip the
// entries from ports that other flows bind.
func sourcePort(table string, r *result, others map[int]bool) (int, string) {
	proto := map[int]string{tcp: "tcp", udp: "udp", icmp: "icmp", icmpv6: "icmpv6"}[r.f.proto]
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, proto+" ") {
			continue
		}
		fields := map[string]string{}
		for _, m := range conntrackField.FindAllStringSubmatch(line, -1) {
			if _, seen := fields[m[1]]; !seen {
				fields[m[1]] = m[2]
			}
		}
		if fields["src"] != r.f.src().String() || fields["dst"] != r.f.dst().String() {
			continue
		}
		if r.f.proto == icmp || r.f.proto == icmpv6 {
			id, _ := strconv.Atoi(fields["id"])
			return id, "conntrack (icmp id)"
		}
		if fields["dport"] != strconv.Itoa(r.f.port) {
			continue
		}
		port, _ := strconv.Atoi(fields["sport"])
		if others[port] || (r.f.srcPort != 0 && port != r.f.srcPort) {
			continue
		}
		return port, "conntrack"
	}
	if m := helperLocal.FindStringSubmatch(r.output); m != nil {
		port, _ := strconv.Atoi(m[1])
		return port, "client"
	}
	if r.f.srcPort != 0 {
		return r.f.srcPort, "bound"
	}
	return 0, ""
}

// forgetPathMTU empties the route caches of the path MTU flows' clients,
// where the kernel keeps a path MTU it learned for ten minutes
// (net.ipv4.route.mtu_expires): a flow that learned it on one posture
// would otherwise not need the ICMP message on the next.
func (l *lab) forgetPathMTU(flows []*flow) {
	l.t.Helper()
	seen := map[string]bool{}
	for _, f := range flows {
		ns := l.ns(f.client.role)
		if !f.pathMTU || seen[ns] {
			continue
		}
		seen[ns] = true
		l.mustIn(ns, "ip", "-4", "route", "flush", "cache")
		l.mustIn(ns, "ip", "-6", "route", "flush", "cache")
	}
}

// whereDropped runs the flow alone and names the drop rules whose counters
// its packets moved, in the router (ACLs) and in DDVE (the group).
func (l *lab) whereDropped(s *services, f *flow) string {
	l.forgetPathMTU([]*flow{f})
	before := l.dropCounters()
	l.runClient(s, f, newMarker())
	after := l.dropCounters()
	var moved []string
	for key, n := range after {
		if n > before[key] {
			moved = append(moved, key)
		}
	}
	slices.Sort(moved)
	if len(moved) == 0 {
		return "no drop rule counted it"
	}
	return strings.Join(moved, "; ")
}

// dropCounters reads the packet counters of every drop rule in the router
// and DDVE namespaces, by rule comment.
func (l *lab) dropCounters() map[string]int {
	out := map[string]int{}
	for _, ns := range []string{l.ns(routerRol), l.ns(ddve.role)} {
		text, err := l.run(0, ns, "nft", "-j", "list", "ruleset")
		if err != nil {
			l.t.Logf("nft -j list ruleset in %s: %v", ns, err)
			continue
		}
		var doc struct {
			Nftables []struct {
				Rule *struct {
					Comment string                       `json:"comment"`
					Expr    []map[string]json.RawMessage `json:"expr"`
				} `json:"rule"`
			} `json:"nftables"`
		}
		if err := json.Unmarshal([]byte(text), &doc); err != nil {
			l.t.Logf("parsing nft's JSON: %v", err)
			continue
		}
		for _, item := range doc.Nftables {
			if item.Rule == nil {
				continue
			}
			packets, drops := 0, false
			for _, e := range item.Rule.Expr {
				if raw, ok := e["counter"]; ok {
					var c struct{ Packets int }
					_ = json.Unmarshal(raw, &c)
					packets = c.Packets
				}
				if _, ok := e["drop"]; ok {
					drops = true
				}
			}
			if drops {
				out[item.Rule.Comment] += packets
			}
		}
	}
	return out
}

// verdictWord is how the table writes a flow's outcome.
func verdictWord(pass bool) string {
	if pass {
		return "pass"
	}
	return "blocked"
}

// formatTable prints the flows' outcomes.
func formatTable(title string, results []*result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s\n", title)
	fmt.Fprintf(&b, "%-58s %-34s %-12s %-22s %-19s %-8s %-8s %-8s\n", "flow", "client", "tool", "server", "source port", "expected", "kernel", "evaluator")
	for _, r := range results {
		port := "-"
		if r.srcPort != 0 {
			port = fmt.Sprintf("%d (%s)", r.srcPort, r.portSrc)
		}
		mark := ""
		if r.server == "nothing" {
			mark = "  <-- NO SERVER"
		}
		if r.kernel != r.want || r.kernel != r.eval {
			mark = "  <-- MISMATCH"
		}
		fmt.Fprintf(&b, "%-58s %-34s %-12s %-22s %-19s %-8s %-8s %-8s%s\n", r.f.name, r.f.client.label(r.f.v6), r.f.tool, r.server, port,
			verdictWord(r.want), verdictWord(r.kernel), verdictWord(r.eval), mark)
	}
	return b.String()
}

// problems lists the flows where the kernel, the expectation and the
// evaluator disagree, naming the layer each blames.
func problems(rb *readBack, results []*result) []string {
	var out []string
	for _, r := range results {
		if r.kernel == r.want && r.kernel == r.eval {
			continue
		}
		msg := fmt.Sprintf("%s (%s -> %s, %s): expected %s, kernel %s, evaluator %s",
			r.f.name, r.f.client.label(r.f.v6), r.f.server.label(r.f.v6), r.f.tool, verdictWord(r.want), verdictWord(r.kernel), verdictWord(r.eval))
		msg += "\n\tkernel dropped at: " + rb.nameACLs(r.dropped)
		if !r.eval {
			msg += "\n\tevaluator blames: " + r.blame
		}
		if r.output != "" && !r.kernel {
			msg += "\n\tclient said: " + r.output
		}
		out = append(out, msg)
	}
	return out
}

// nameACLs adds the subnet to each ACL ID in a drop rule's comment.
func (rb *readBack) nameACLs(s string) string {
	if rb == nil {
		return s
	}
	for name, acl := range rb.acls {
		id := *acl.NetworkAclId
		s = strings.ReplaceAll(s, id, name+" subnet ACL "+id)
	}
	return strings.ReplaceAll(s, "drop: no security group rule", "DDVE group: no rule")
}
