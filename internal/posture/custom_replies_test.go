package posture_test

import (
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

func port(n int) *int { return &n }

// A custom rule says where its clients send from (reply_ports) or that
// nothing answers (one_way): NFS over UDP from Linux clients' reserved
// ports, syslog out with no answer.
func TestCustomRuleReplies(t *testing.T) {
	in := posture.Intent{CustomRules: []posture.CustomRule{
		{Direction: "ingress", Protocol: "udp", FromPort: port(2049), ToPort: port(2049),
			Peers: posture.Peers{CIDRBlocks: []string{"10.9.0.0/24"}}, Description: "nfs over udp",
			ReplyPorts: []posture.PortRange{{From: 665, To: 1023}}},
		{Direction: "egress", Protocol: "udp", FromPort: port(514), ToPort: port(514),
			Peers: posture.Peers{CIDRBlocks: []string{"10.8.0.0/24"}}, Description: "syslog", OneWay: true},
	}}
	entries, err := posture.CompileACL(in, posture.ACLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Key().String())
	}
	want := []string{
		"ingress allow udp 2049 10.9.0.0/24",
		"egress allow udp 665-1023 10.9.0.0/24",
		"egress allow udp 514 10.8.0.0/24",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCustomRuleRepliesChecked(t *testing.T) {
	base := posture.CustomRule{Direction: "ingress", Protocol: "udp", FromPort: port(2049), ToPort: port(2049),
		Peers: posture.Peers{CIDRBlocks: []string{"10.9.0.0/24"}}}
	for name, c := range map[string]struct {
		change func(*posture.CustomRule)
		want   string
	}{
		"both":     {func(r *posture.CustomRule) { r.OneWay, r.ReplyPorts = true, []posture.PortRange{{From: 665, To: 1023}} }, "one_way = true means the flow is never answered"},
		"icmp":     {func(r *posture.CustomRule) { r.Protocol, r.ReplyPorts = "icmp", []posture.PortRange{{From: 1, To: 2}} }, "remove reply_ports"},
		"empty":    {func(r *posture.CustomRule) { r.ReplyPorts = []posture.PortRange{} }, "reply_ports is empty"},
		"reversed": {func(r *posture.CustomRule) { r.ReplyPorts = []posture.PortRange{{From: 1023, To: 665}} }, "from_port 1023 is above to_port 665"},
		"range":    {func(r *posture.CustomRule) { r.ReplyPorts = []posture.PortRange{{From: 665, To: 70000}} }, "Ports must lie in 0-65535"},
	} {
		t.Run(name, func(t *testing.T) {
			r := base
			c.change(&r)
			_, err := posture.CompileACL(posture.Intent{CustomRules: []posture.CustomRule{r}}, posture.ACLOptions{})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "custom_rules[0]") {
				t.Errorf("got %v, want %q at custom_rules[0]", err, c.want)
			}
		})
	}
}
