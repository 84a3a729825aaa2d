package posture_test

import (
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

func TestKeyText(t *testing.T) {
	rules := map[string]posture.Rule{
		"ingress tcp 22 10.0.1.10/32":                {Direction: "ingress", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRIPv4: "10.0.1.10/32"},
		"ingress udp 137-138 2001:db8::/64":          {Direction: "ingress", Protocol: "udp", FromPort: 137, ToPort: 138, CIDRIPv6: "2001:db8::/64"},
		"egress tcp 443 pl-63a5400a":                 {Direction: "egress", Protocol: "tcp", FromPort: 443, ToPort: 443, PrefixListID: "pl-63a5400a"},
		"ingress icmp type 8 code -1 sg-0123456789a": {Direction: "ingress", Protocol: "icmp", FromPort: 8, ToPort: -1, ReferencedGroupID: "sg-0123456789a"},
		"egress all 0.0.0.0/0":                       {Direction: "egress", Protocol: "-1", FromPort: -1, ToPort: -1, CIDRIPv4: "0.0.0.0/0"},
		"egress 50 10.0.0.0/8":                       {Direction: "egress", Protocol: "50", FromPort: -1, ToPort: -1, CIDRIPv4: "10.0.0.0/8"},
	}
	for want, r := range rules {
		if got := r.Key().String(); got != want {
			t.Errorf("rule key = %q, want %q", got, want)
		}
	}
	entries := map[string]posture.Entry{
		"ingress allow tcp 22 10.0.1.10/32":                  {Action: "allow", Protocol: "6", FromPort: 22, ToPort: 22, CIDRBlock: "10.0.1.10/32"},
		"egress allow tcp 1024-65535 10.0.1.10/32":           {Egress: true, Action: "allow", Protocol: "6", FromPort: 1024, ToPort: 65535, CIDRBlock: "10.0.1.10/32"},
		"ingress deny all 5.5.5.5/32":                        {Action: "deny", Protocol: "-1", CIDRBlock: "5.5.5.5/32"},
		"egress allow icmpv6 type 129 code -1 2001:db8::/64": {Egress: true, Action: "allow", Protocol: "58", ICMPType: 129, ICMPCode: -1, IPv6CIDRBlock: "2001:db8::/64"},
	}
	for want, e := range entries {
		if got := e.Key().String(); got != want {
			t.Errorf("entry key = %q, want %q", got, want)
		}
		e.RuleNumber = 1000
		if got := e.Key().String(); got != want {
			t.Errorf("the key of %v depends on its rule number", e)
		}
	}
}
