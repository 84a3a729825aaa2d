//go:build mutants

package posture_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// Mutants of the compiler itself: each switches on one fault in the
// compilers (posture's fault switches, built with -tags mutants), compiles
// a scenario chosen for it, and must be rejected by the oracle check named
// for it, the first of verify's checks to fail, and by no earlier one. A
// mutant that survives, or dies on another check, fails the test.

type compilerMutant struct {
	fault    string // posture.Faults
	scenario string
	check    string // the check that must kill it first
	// detail is a piece of the killing check's message, whitespace
	// collapsed. For the exposure oracles, "missing: " or "extra: " and
	// a piece of that part of the difference, "ingress: " and "egress: "
	// heading each direction's lines.
	detail string
	// selfCheck says whether the plan-time self-check (evaluate.CheckGroup
	// and CheckACL) rejects the mutant too: it judges exposure only, so
	// numbering, quota and refused intents are the oracle's alone.
	selfCheck bool
}

// selfCheckDetails are, for the mutants only the self-check's host model
// can see, a piece of the self-check's own message, whitespace collapsed:
// a wrong catalog reaches the flows the self-check reads as well as the
// compiler, so a check that took the answers from the catalog's reply
// notes would pass it.
var selfCheckDetails = map[string]string{
	"catalog NTP client port edited to 124": "- ntp NTP: outbound udp 123 would not pass (ingress) - it would also let through traffic no flow asks for: ingress: udp ipv4 10.1.0.0/16 124",
}

var compilerMutants = []compilerMutant{
	{"client ports lost (NFS 512-1023, ntpd 123)", "subnet", "ACL exposure oracle", "missing: ingress: udp ipv4 10.1.0.0/16 123 egress: tcp ipv4 10.0.2.0/26", true},
	{"return entry widened to 0.0.0.0/0", "subnet", "ACL exposure oracle", "extra: ingress: tcp ipv4 0.0.0.0/7", true},
	{"deny numbered after the allows", "subnet", "number bands", "deny proto -1 10.0.2.77/32 0-0 lies outside its band", true},
	{"ICMP reply type not mapped", "subnet", "ACL exposure oracle", "extra: ingress: icmp", true},
	{"covered entry kept", "subnet", "no covered entry", "can never match", false},
	{"non-covered entry dropped", "overlap", "ACL exposure oracle", "missing: ingress: tcp ipv4 10.0.2.0/24 2000-2048,2050-2051,2053-2100 egress:", true},
	{"quota counting a group reference once", "group-v6", "group quota edge", "accepted at a quota of 2 though it needs 3", false},
	{"ACL quota without the built-in deny", "subnet", "ACL quota edge", "accepted at a quota of 31 though it needs 32", false},
	{"public guard skipping prefix lists", "public-list", "ACL problems", "want problems [\"Public ingress refused\"], got <nil>", false},
	{"IPv6 allow-all missing", "deny-list", "ACL exposure oracle", "missing: ingress: all but tcp ipv6 ::/0 *", true},
	{"ICMPv6 packet too big missing from the ACL", "subnet", "ACL exposure oracle", "missing: ingress: icmpv6 ipv6 ::/0 type 2 egress: icmpv6 ipv6 ::/0 type 2", true},
	{"one-way flow answered", "subnet", "ACL exposure oracle", "extra: ingress: udp ipv4 172.16.4.0/22", true},
	{"DDVE-side return range covering 2049", "subnet", "ACL exposure oracle", "extra: ingress: tcp ipv4 3.5.0.0/19 52.216.0.0/15 2049", true},
	{"numbers not kept on update", "subnet", "stable numbering", "on an update", false},
	{"group rule to a security group dropped", "group", "group exposure oracle", "security group exposure differs", true},
	{"catalog NTP client port edited to 124", "subnet", "ACL exposure oracle", "missing: ingress: udp ipv4 10.1.0.0/16 123", true},
}

// compilerMutantScenarios: the oracle's mutation scenarios, and three
// more a mutant needs: a request range that overlaps, without holding,
// one of a wider block's; a group whose IPv6 rules, a security group's
// included, reach the quota first; the internet through a prefix list.
func compilerMutantScenarios() map[string]scenario {
	scenarios := mutationScenarios()
	scenarios["overlap"] = scenario{
		intent: posture.Intent{
			Profiles: map[string]posture.Peers{"nfs": {CIDRBlocks: []string{"10.0.0.0/16"}}},
			CustomRules: []posture.CustomRule{{
				Direction: "ingress", Protocol: "tcp", FromPort: ptr(2000), ToPort: ptr(2100),
				Peers: posture.Peers{CIDRBlocks: []string{"10.0.2.0/24"}}, Description: "agents",
			}},
		},
		ephemeral: portSpan{1024, 65535}, client: "linux",
	}
	scenarios["group-v6"] = scenario{
		intent: posture.Intent{Profiles: map[string]posture.Peers{
			"replication": {SecurityGroupIDs: []string{peerGroup}},
			"management":  {IPv6CIDRBlocks: []string{"2001:db8:1::/64"}},
		}},
		ephemeral: portSpan{1024, 65535}, client: "linux",
	}
	scenarios["public-list"] = scenario{
		intent:    posture.Intent{Profiles: map[string]posture.Peers{"object_storage": {PrefixListIDs: []string{listWorld}}}},
		ephemeral: portSpan{1024, 65535}, client: "linux",
	}
	return scenarios
}

// failingChecks runs every check of both layers, in verify's order, and
// returns the names of those that fail and the first one's error.
func failingChecks(s scenario, c compiled) (names []string, first error) {
	for _, ch := range slices.Concat(groupChecks(s, c), aclChecks(s, c)) {
		if err := ch.run(); err != nil {
			names = append(names, ch.name)
			if first == nil {
				first = err
			}
		}
	}
	return names, first
}

// killingDetail returns the part of a check's message a mutant's detail
// is looked for in, whitespace collapsed: for a detail of the form
// "missing: ..." or "extra: ...", that part of an exposure difference
// with the directions that have nothing left out, else the first line.
func killingDetail(err error, detail string) string {
	text := err.Error()
	part, _, ok := strings.Cut(detail, ": ")
	if ok && (part == "missing" || part == "extra") {
		_, rest, found := strings.Cut(text, "\n"+part+":\n")
		if !found {
			return ""
		}
		section, _, _ := strings.Cut(rest, "\nextra:\n")
		section = strings.ReplaceAll(section, "(nothing)", "")
		return part + ": " + strings.Join(strings.Fields(section), " ")
	}
	first, _, _ := strings.Cut(text, "\n")
	return strings.Join(strings.Fields(first), " ")
}

// selfCheckRejects runs the plan-time self-check on what compiled, and
// returns its first complaint, if any.
func selfCheckRejects(s scenario, c compiled) error {
	if c.groupErr == nil {
		if err := evaluate.CheckGroup(s.intent, c.rules); err != nil {
			return err
		}
	}
	if c.aclErr == nil {
		return evaluate.CheckACL(s.intent, s.aclOptions(unlimited), c.entries)
	}
	return nil
}

func TestCompilerMutants(t *testing.T) {
	defer posture.SetFault("")
	names := make([]string, len(compilerMutants))
	for i, m := range compilerMutants {
		names[i] = m.fault
	}
	if !slices.Equal(slices.Sorted(slices.Values(names)), slices.Sorted(slices.Values(posture.Faults))) {
		t.Fatalf("the mutants %q are not the compilers' fault switches %q", names, posture.Faults)
	}
	scenarios := compilerMutantScenarios()
	used := map[string]bool{}
	for _, m := range compilerMutants {
		used[m.scenario] = true
	}
	for name := range used {
		s, ok := scenarios[name]
		if !ok {
			t.Fatalf("no scenario %s", name)
		}
		if err := verify(s, compile(s)); err != nil {
			t.Fatalf("scenario %s fails with no mutant: %v", name, err)
		}
	}

	killed := 0
	for _, m := range compilerMutants {
		s := scenarios[m.scenario]
		posture.SetFault(m.fault)
		c := compile(s)
		posture.SetFault("")
		failing, err := failingChecks(s, c)
		selfCheckErr := selfCheckRejects(s, c)
		selfCheck := selfCheckErr != nil
		switch {
		case err == nil:
			t.Errorf("mutant %q survives scenario %s: no check rejects it", m.fault, m.scenario)
			continue
		case failing[0] != m.check:
			t.Errorf("mutant %q dies on %q, not on its named check %q: %v", m.fault, failing[0], m.check, err)
			continue
		case !strings.Contains(killingDetail(err, m.detail), strings.Join(strings.Fields(m.detail), " ")):
			t.Errorf("mutant %q dies on %q without %q in its message: %v", m.fault, m.check, m.detail, err)
			continue
		case selfCheck != m.selfCheck:
			t.Errorf("mutant %q: the self-check rejects it: %v, want %v", m.fault, selfCheck, m.selfCheck)
			continue
		case selfCheckDetails[m.fault] != "" && !strings.Contains(strings.Join(strings.Fields(selfCheckErr.Error()), " "), selfCheckDetails[m.fault]):
			t.Errorf("mutant %q: the self-check rejects it without %q in its message: %v", m.fault, selfCheckDetails[m.fault], selfCheckErr)
			continue
		}
		killed++
		t.Logf("killed %q by %s, the first of %s; self-check rejects it: %v\n\t%s", m.fault, m.check, strings.Join(failing, ", "), selfCheck, killingDetail(err, m.detail))
	}
	score := fmt.Sprintf("compiler mutants: %d/%d killed, each by its named check", killed, len(compilerMutants))
	if killed != len(compilerMutants) {
		t.Errorf("%s", score)
		return
	}
	t.Log(score)
}
