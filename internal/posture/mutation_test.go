package posture_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The oracle is itself tested: each mutant corrupts compiled output the
// way a compiler bug would, and the property checks must reject it.

// mutationScenarios: a DDVE subnet with most kinds of flow, the same in
// deny-list mode, and an outbound profile towards the whole internet.
func mutationScenarios() map[string]scenario {
	intent := posture.Intent{
		Profiles: map[string]posture.Peers{
			"management":     {CIDRBlocks: []string{"10.0.1.10/32"}, IPv6CIDRBlocks: []string{"2001:db8:1::/64"}},
			"nfs":            {CIDRBlocks: []string{"10.0.2.0/24"}},
			"object_storage": {PrefixListIDs: []string{listS3}},
			"ntp":            {CIDRBlocks: []string{"10.1.0.0/16"}},
			"syslog":         {CIDRBlocks: []string{"172.16.4.0/22"}},
			"replication":    {SecurityGroupIDs: []string{peerGroup}, CIDRBlocks: []string{"10.1.0.0/16"}},
			"cifs":           {CIDRBlocks: []string{"10.0.2.0/24"}, IPv6CIDRBlocks: []string{"2001:db8:2::10/128"}},
		},
		CustomRules: []posture.CustomRule{{
			Direction: "egress", Protocol: "icmp", FromPort: ptr(8), ToPort: ptr(-1),
			Peers: posture.Peers{CIDRBlocks: []string{"10.0.2.0/24"}}, Description: "ping",
		}, {
			Direction: "ingress", Protocol: "udp", FromPort: ptr(2049), ToPort: ptr(2049),
			Peers: posture.Peers{CIDRBlocks: []string{"10.0.9.0/24"}}, Description: "nfs over udp",
			ReplyPorts: []posture.PortRange{{From: 665, To: 1023}},
		}},
		PathMTUDiscovery: true,
	}
	// ACLs refuse security groups: the ACL scenarios name the CIDR only.
	aclIntent := intent
	aclIntent.Profiles = map[string]posture.Peers{}
	for k, v := range intent.Profiles {
		aclIntent.Profiles[k] = v
	}
	aclIntent.Profiles["replication"] = posture.Peers{CIDRBlocks: []string{"10.1.0.0/16"}}
	subnet := scenario{
		intent: aclIntent, ephemeral: portSpan{1024, 65535},
		deny:   []posture.DenyRule{{CIDRBlock: "10.0.2.77/32", Direction: "both"}},
		client: "resvport-linux", clientPick: 7,
	}
	denyList := subnet
	denyList.defaultAllow = true
	denyList.deny = []posture.DenyRule{{CIDRBlock: "5.5.5.5/32"}}
	group := subnet
	group.intent = intent
	public := scenario{
		intent:    posture.Intent{Profiles: map[string]posture.Peers{"object_storage": {CIDRBlocks: []string{"0.0.0.0/0"}}}},
		ephemeral: portSpan{1024, 65535}, client: "linux",
	}
	return map[string]scenario{"subnet": subnet, "deny-list": denyList, "group": group, "public": public}
}

type mutant struct {
	name     string
	scenario string
	// mutate corrupts the output; false means it found nothing to corrupt,
	// which would make the mutant vacuous.
	mutate func(*compiled) bool
}

// firstEntry applies change to the first entry matching match.
func firstEntry(entries []posture.Entry, match func(posture.Entry) bool, change func(*posture.Entry)) bool {
	for i := range entries {
		if match(entries[i]) {
			change(&entries[i])
			return true
		}
	}
	return false
}

func dropEntry(c *compiled, match func(posture.Entry) bool) bool {
	i := slices.IndexFunc(c.entries, match)
	if i < 0 {
		return false
	}
	c.entries = slices.Delete(c.entries, i, i+1)
	return true
}

func isReturn(e posture.Entry) bool { return strings.Contains(e.Purpose, "return traffic") }

func entryOf(purpose string, egress bool) func(posture.Entry) bool {
	return func(e posture.Entry) bool { return strings.HasPrefix(e.Purpose, purpose) && e.Egress == egress }
}

var mutants = []mutant{
	{"return entry widened to 0.0.0.0/0", "subnet", func(c *compiled) bool {
		return firstEntry(c.entries, func(e posture.Entry) bool { return isReturn(e) && e.CIDRBlock != "" },
			func(e *posture.Entry) { e.CIDRBlock = "0.0.0.0/0" })
	}},
	{"return entry dropped", "subnet", func(c *compiled) bool { return dropEntry(c, isReturn) }},
	{"ephemeral range shifted", "subnet", func(c *compiled) bool {
		return firstEntry(c.entries, func(e posture.Entry) bool { return isReturn(e) && e.FromPort == 1024 },
			func(e *posture.Entry) { e.FromPort = 1025 })
	}},
	{"reserved NFS reply ports dropped", "subnet", func(c *compiled) bool {
		return firstEntry(c.entries, func(e posture.Entry) bool { return isReturn(e) && e.FromPort == 512 },
			func(e *posture.Entry) { e.FromPort = 1024 })
	}},
	{"ntpd's reply to 123 dropped", "subnet", func(c *compiled) bool {
		return dropEntry(c, func(e posture.Entry) bool { return isReturn(e) && e.FromPort == 123 })
	}},
	{"one-way syslog answered", "subnet", func(c *compiled) bool {
		c.entries = append(c.entries, posture.Entry{RuleNumber: 31000, Action: posture.Allow, Protocol: "17",
			CIDRBlock: "172.16.4.0/22", FromPort: 1024, ToPort: 65535, Purpose: "syslog: return traffic"})
		return true
	}},
	{"cross-profile port leak (NFS to the management peer)", "subnet", func(c *compiled) bool {
		return firstEntry(c.entries, func(e posture.Entry) bool { return e.Purpose == "management: SSH" && e.CIDRBlock != "" },
			func(e *posture.Entry) { e.FromPort, e.ToPort = 2049, 2049 })
	}},
	{"request on the wrong protocol", "subnet", func(c *compiled) bool {
		return firstEntry(c.entries, entryOf("object_storage: HTTPS", true), func(e *posture.Entry) { e.Protocol = "17" })
	}},
	{"deny moved after an allow", "subnet", func(c *compiled) bool {
		return firstEntry(c.entries, func(e posture.Entry) bool { return e.Action == posture.Deny && !e.Egress },
			func(e *posture.Entry) { e.RuleNumber = 31990 })
	}},
	{"deny dropped", "deny-list", func(c *compiled) bool {
		return dropEntry(c, func(e posture.Entry) bool { return e.Action == posture.Deny })
	}},
	{"IPv6 allow-all dropped", "deny-list", func(c *compiled) bool {
		return dropEntry(c, func(e posture.Entry) bool { return e.IPv6CIDRBlock == "::/0" && !e.Egress })
	}},
	{"wrong ICMP reply type", "subnet", func(c *compiled) bool {
		return firstEntry(c.entries, func(e posture.Entry) bool {
			return e.Protocol == "1" && !e.Egress && !strings.HasPrefix(e.Purpose, posture.PathMTUOrigin)
		},
			func(e *posture.Entry) { e.ICMPType = 8 })
	}},
	{"entry renumbered on update", "subnet", func(c *compiled) bool {
		return firstEntry(c.updated, entryOf("management: SSH", false), func(e *posture.Entry) { e.RuleNumber = 31950 })
	}},
	{"ACL quota counted without the built-in deny", "subnet", func(c *compiled) bool {
		c.aclBelowQuota = nil
		return true
	}},
	{"group quota counting a reference once", "group", func(c *compiled) bool {
		c.groupBelowQuota = nil
		return true
	}},
	{"group rule widened", "group", func(c *compiled) bool {
		for i := range c.rules {
			if c.rules[i].CIDRIPv4 == "10.0.1.10/32" {
				c.rules[i].CIDRIPv4 = "10.0.1.0/24"
				return true
			}
		}
		return false
	}},
	{"group rule dropped", "group", func(c *compiled) bool {
		i := slices.IndexFunc(c.rules, func(r posture.Rule) bool { return r.ReferencedGroupID != "" })
		if i < 0 {
			return false
		}
		c.rules = slices.Delete(c.rules, i, i+1)
		return true
	}},
	{"path MTU entry dropped", "subnet", func(c *compiled) bool {
		return dropEntry(c, func(e posture.Entry) bool { return e.Purpose == "path_mtu_discovery: fragmentation needed" && e.Egress })
	}},
	{"path MTU entry scoped to a peer", "subnet", func(c *compiled) bool {
		return firstEntry(c.entries, entryOf("path_mtu_discovery", false), func(e *posture.Entry) {
			// In the allows' band, so that only what it passes gives it away.
			e.CIDRBlock, e.RuleNumber = "10.0.1.10/32", 1995
		})
	}},
	{"ICMPv6 packet too big dropped", "subnet", func(c *compiled) bool {
		return dropEntry(c, func(e posture.Entry) bool { return e.Protocol == "58" && e.ICMPType == 2 && !e.Egress })
	}},
	{"path MTU rule dropped from the group", "group", func(c *compiled) bool {
		i := slices.IndexFunc(c.rules, func(r posture.Rule) bool { return r.Protocol == "icmp" && r.FromPort == 3 })
		if i < 0 {
			return false
		}
		c.rules = slices.Delete(c.rules, i, i+1)
		return true
	}},
	{"NetBIOS towards an IPv6 peer", "subnet", func(c *compiled) bool {
		c.entries = append(c.entries,
			posture.Entry{RuleNumber: 31000, Action: posture.Allow, Protocol: "17", IPv6CIDRBlock: "2001:db8:2::10/128", FromPort: 137, ToPort: 138, Purpose: "cifs: NetBIOS"},
			posture.Entry{RuleNumber: 31000, Egress: true, Action: posture.Allow, Protocol: "17", IPv6CIDRBlock: "2001:db8:2::10/128", FromPort: 137, ToPort: 138, Purpose: "cifs: return traffic"})
		return true
	}},
	{"NetBIOS session rule towards an IPv6 peer", "group", func(c *compiled) bool {
		c.rules = append(c.rules, posture.Rule{Direction: "ingress", Protocol: "tcp", FromPort: 139, ToPort: 139, CIDRIPv6: "2001:db8:2::10/128", Profiles: []string{"cifs"}})
		return true
	}},
	{"DDVE-side return entry covering 2049 for S3", "subnet", func(c *compiled) bool {
		return firstEntry(c.entries, func(e posture.Entry) bool {
			return isReturn(e) && !e.Egress && e.CIDRBlock == "3.5.0.0/19" && e.FromPort == 1024
		},
			func(e *posture.Entry) { e.ToPort = 65535 })
	}},
	{"peers' ephemeral range used for DDVE's own connections", "subnet", func(c *compiled) bool {
		return firstEntry(c.entries, func(e posture.Entry) bool {
			return isReturn(e) && !e.Egress && e.CIDRBlock == "10.1.0.0/16" && e.FromPort == 2053
		},
			func(e *posture.Entry) { e.FromPort = 2052 })
	}},
	{"custom rule's reply ports ignored", "subnet", func(c *compiled) bool {
		return firstEntry(c.entries, func(e posture.Entry) bool {
			return isReturn(e) && e.Egress && e.CIDRBlock == "10.0.9.0/24" && e.FromPort == 665
		},
			func(e *posture.Entry) { e.FromPort, e.ToPort = 1024, 65535 })
	}},
	{"covered entry kept", "subnet", func(c *compiled) bool {
		c.entries = append(c.entries, posture.Entry{RuleNumber: 31000, Action: posture.Allow, Protocol: "6",
			CIDRBlock: "10.0.2.128/25", FromPort: 2049, ToPort: 2049, Purpose: "nfs: NFS and DD Boost data"})
		return true
	}},
	{"public guard lifted", "public", func(c *compiled) bool {
		if c.aclErr == nil {
			return false
		}
		c.aclErr = nil
		c.entries = []posture.Entry{
			{RuleNumber: 1000, Action: posture.Allow, Protocol: "6", CIDRBlock: "0.0.0.0/0", FromPort: 1024, ToPort: 65535},
			{RuleNumber: 1000, Egress: true, Action: posture.Allow, Protocol: "6", CIDRBlock: "0.0.0.0/0", FromPort: 443, ToPort: 443},
		}
		return true
	}},
}

func cloneCompiled(c compiled) compiled {
	c.rules = slices.Clone(c.rules)
	c.entries = slices.Clone(c.entries)
	c.updated = slices.Clone(c.updated)
	return c
}

func TestOracleRejectsMutants(t *testing.T) {
	scenarios := mutationScenarios()
	outputs := map[string]compiled{}
	for name, s := range scenarios {
		outputs[name] = compile(s)
		if err := verify(s, outputs[name]); err != nil {
			t.Fatalf("scenario %s fails before any mutation: %v", name, err)
		}
	}
	killed := 0
	for _, m := range mutants {
		c := cloneCompiled(outputs[m.scenario])
		if !m.mutate(&c) {
			t.Errorf("mutant %q found nothing to corrupt in scenario %s", m.name, m.scenario)
			continue
		}
		if err := verify(scenarios[m.scenario], c); err != nil {
			killed++
			reason, _, _ := strings.Cut(err.Error(), "\n")
			t.Logf("rejected %q: %s", m.name, reason)
			continue
		}
		t.Errorf("mutant %q survives: the property checks accept it", m.name)
	}
	t.Logf("mutation score: %d/%d mutants rejected", killed, len(mutants))
	if len(mutants) < 10 {
		t.Fatalf("only %d mutants", len(mutants))
	}
}
