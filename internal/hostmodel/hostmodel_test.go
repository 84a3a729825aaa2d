package hostmodel

import (
	"slices"
	"testing"
)

func TestFixedSourcePorts(t *testing.T) {
	resv := []PortRange{LinuxResvport, OtherResvport}
	for _, c := range []struct {
		name           string
		protocol, port int
		want           []PortRange
		answered       bool
	}{
		{"portmapper tcp", TCP, 111, resv, true},
		{"portmapper udp", UDP, 111, resv, true},
		{"nfs", TCP, 2049, resv, true},
		{"mountd", TCP, 2052, resv, true},
		{"ntpd", UDP, 123, []PortRange{{123, 123}}, true},
		{"netbios name", UDP, 137, []PortRange{{137, 137}}, true},
		{"netbios datagram", UDP, 138, []PortRange{{138, 138}}, true},
		{"syslog", UDP, 514, nil, false},
		{"snmp trap", UDP, 162, nil, false},
		{"snmp polling", UDP, 161, nil, true},
		{"https", TCP, 443, nil, true},
		{"ntp over tcp is no service", TCP, 123, nil, true},
	} {
		got, answered := FixedSourcePorts(c.protocol, c.port)
		if !slices.Equal(got, c.want) || answered != c.answered {
			t.Errorf("%s: got %v answered %v, want %v answered %v", c.name, got, answered, c.want, c.answered)
		}
	}
}

func TestFixedSourcePortsReturnsACopy(t *testing.T) {
	got, _ := FixedSourcePorts(UDP, 123)
	got[0] = PortRange{124, 124}
	if again, _ := FixedSourcePorts(UDP, 123); again[0] != (PortRange{123, 123}) {
		t.Fatalf("a caller's edit reached the model: %v", again)
	}
}

func TestSourcePortsOver(t *testing.T) {
	for _, c := range []struct {
		name               string
		protocol, from, to int
		want               []PortRange
		answered           bool
	}{
		{"netbios range", UDP, 137, 138, []PortRange{{137, 137}, {138, 138}}, true},
		{"one port", UDP, 123, 123, []PortRange{{123, 123}}, true},
		{"syslog alone", UDP, 514, 514, nil, false},
		{"range around syslog", UDP, 500, 520, nil, true},
		{"both one-way services and more", UDP, 162, 514, []PortRange{}, true},
		{"every udp port", UDP, 0, 65535, []PortRange{LinuxResvport, OtherResvport, {123, 123}, {137, 137}, {138, 138}}, true},
		{"plain range", TCP, 8000, 9000, nil, true},
	} {
		got, answered := SourcePortsOver(c.protocol, c.from, c.to)
		if !sameSet(got, c.want) || answered != c.answered {
			t.Errorf("%s: got %v answered %v, want %v answered %v", c.name, got, answered, c.want, c.answered)
		}
	}
}

func sameSet(a, b []PortRange) bool {
	if len(a) != len(b) {
		return false
	}
	for _, r := range a {
		if !slices.Contains(b, r) {
			return false
		}
	}
	return true
}

func TestEphemeralRanges(t *testing.T) {
	for name, r := range EphemeralRanges {
		if r.From < 1024 || r.To > 65535 || r.From > r.To {
			t.Errorf("%s: %v is no unprivileged range", name, r)
		}
	}
	if !LinuxResvport.Contains(1023) || LinuxResvport.Contains(664) || !OtherResvport.Contains(512) {
		t.Errorf("reserved ranges: %v %v", LinuxResvport, OtherResvport)
	}
}

func TestICMPReply(t *testing.T) {
	for _, c := range []struct {
		protocol, request, reply int
		answered                 bool
	}{
		{ICMP, 8, 0, true}, {ICMP, 13, 14, true}, {ICMP, 15, 16, true}, {ICMP, 17, 18, true},
		{ICMPv6, 128, 129, true},
		{ICMP, 0, 0, false}, {ICMP, 3, 0, false}, {ICMP, 11, 0, false},
		{ICMPv6, 2, 0, false}, {ICMPv6, 129, 0, false}, {ICMPv6, 8, 0, false},
	} {
		reply, answered := ICMPReply(c.protocol, c.request)
		if reply != c.reply || answered != c.answered {
			t.Errorf("ICMP %d type %d: got %d %v, want %d %v", c.protocol, c.request, reply, answered, c.reply, c.answered)
		}
	}
}

func TestPathMTUMessagesAreNotAnswered(t *testing.T) {
	for _, m := range []struct{ protocol, icmpType, code int }{{ICMP, 3, 4}, {ICMPv6, 2, 0}} {
		if !IsPathMTUMessage(m.protocol, m.icmpType, m.code) {
			t.Errorf("%v is a path MTU message", m)
		}
		if _, answered := ICMPReply(m.protocol, m.icmpType); answered {
			t.Errorf("%v is an error and must not be answered", m)
		}
	}
	for _, m := range []struct{ protocol, icmpType, code int }{{ICMP, 3, 3}, {ICMP, 2, 0}, {ICMPv6, 1, 4}, {TCP, 3, 4}} {
		if IsPathMTUMessage(m.protocol, m.icmpType, m.code) {
			t.Errorf("%v is no path MTU message", m)
		}
	}
}
