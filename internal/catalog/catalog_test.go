package catalog_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
)

// TestProfilesMatchReference checks every profile's flows against the port
// reference table, written out here as "direction proto from-to".
func TestProfilesMatchReference(t *testing.T) {
	nfs := []string{"in tcp 111", "in udp 111", "in tcp 2049", "in tcp 2052"}
	want := map[string][]string{
		"management":        {"in tcp 22", "in tcp 443"},
		"remote_management": {"in tcp 3009"},
		"ddboost":           nfs,
		"nfs":               nfs,
		"replication":       {"in tcp 2051", "out tcp 2051"},
		"object_storage":    {"out tcp 443"},
		"snmp":              {"in udp 161", "out udp 162"},
		"syslog":            {"out udp 514"},
		"smtp":              {"out tcp 25"},
		"dns":               {"out tcp 53", "out udp 53"},
		"ntp":               {"out udp 123"},
		"directory": {"out tcp 88", "out udp 88", "out tcp 135", "out tcp 389", "out udp 389", "out tcp 445", "out tcp 464", "out udp 464",
			"out tcp 636", "out tcp 3268", "out tcp 3269", "out tcp 49152-65535"},
		"kmip": {"out tcp 5696"},
		"cifs": {"in udp 137-138", "in tcp 139", "in tcp 445"},
	}
	if got := len(catalog.All()); got != len(want) {
		t.Fatalf("catalog has %d profiles, reference has %d", got, len(want))
	}
	for name, flows := range want {
		p, ok := catalog.Lookup(name)
		if !ok {
			t.Errorf("profile %q missing", name)
			continue
		}
		var got []string
		for _, f := range p.Flows {
			got = append(got, f.String())
			if f.Purpose == "" {
				t.Errorf("%s: flow %s has no purpose", name, got[len(got)-1])
			}
		}
		if !slices.Equal(got, flows) {
			t.Errorf("%s flows = %v, reference %v", name, got, flows)
		}
		if p.Source == "" || p.Summary == "" || p.TypicalPeer == "" {
			t.Errorf("%s lacks its source, summary or typical peer", name)
		}
	}
}

func TestLeftOutPortsAreAbsent(t *testing.T) {
	for _, p := range catalog.All() {
		for _, f := range p.Flows {
			for _, port := range []int{20, 21, 23, 80, 3008, 5001, 27000, 28001} {
				if port >= f.FromPort && port <= f.ToPort {
					t.Errorf("%s opens port %d, which the catalog leaves out on purpose", p.Name, port)
				}
			}
		}
	}
}

func TestNamesSorted(t *testing.T) {
	names := catalog.Names()
	if !slices.IsSorted(names) || len(names) != 14 {
		t.Fatalf("Names() = %v", names)
	}
	if _, ok := catalog.Lookup("ftp"); ok {
		t.Fatal("Lookup found a profile that does not exist")
	}
	if !strings.Contains(strings.Join(names, ","), "object_storage") {
		t.Fatal("object_storage missing from Names()")
	}
}

// TestRepliesMatchReference checks how each flow's answers travel against
// the reference's "How replies travel" table: privileged client ports for
// the NFS/RPC flows, 123 for NTP, 137-138 for NetBIOS, none for syslog and
// SNMP traps, the ephemeral range alone for everything else.
func TestRepliesMatchReference(t *testing.T) {
	want := map[string]string{
		"in tcp 111": "512-1023", "in udp 111": "512-1023", "in tcp 2049": "512-1023", "in tcp 2052": "512-1023",
		"out udp 123":    "123",
		"in udp 137-138": "137-138",
		"out udp 514":    "one-way",
		"out udp 162":    "one-way",
		"out udp 389":    "",
		"in tcp 22":      "",
		"out tcp 443":    "",
		"in tcp 2051":    "",
		"out tcp 2051":   "",
		"in udp 161":     "",
		"out tcp 5696":   "",
		"in tcp 445":     "",
		"out udp 53":     "",
		"out tcp 3268":   "",
		"in tcp 3009":    "",
		"out tcp 25":     "",
		"in tcp 139":     "",
		"out udp 88":     "",
		"out tcp 88":     "",
		"out tcp 389":    "",
		"out udp 464":    "",
		"out tcp 464":    "",
		"out tcp 636":    "",
		"out tcp 53":     "",
		"in tcp 443":     "",
		// NTLM pass-through (Dell KB 000204265, Microsoft KB 179442).
		"out tcp 135":         "",
		"out tcp 445":         "",
		"out tcp 3269":        "",
		"out tcp 49152-65535": "",
	}
	for _, p := range catalog.All() {
		for _, f := range p.Flows {
			expected, listed := want[f.String()]
			if !listed {
				t.Errorf("%s: flow %s is not in the reference table", p.Name, f)
				continue
			}
			got := ""
			switch {
			case f.Replies.OneWay:
				got = "one-way"
			case len(f.Replies.ClientPorts) > 0:
				parts := make([]string, len(f.Replies.ClientPorts))
				for i, r := range f.Replies.ClientPorts {
					parts[i] = r.String()
				}
				got = strings.Join(parts, ",")
			}
			if got != expected {
				t.Errorf("%s: flow %s replies %q, reference %q", p.Name, f, got, expected)
			}
			if got != "" && f.Replies.Source == "" {
				t.Errorf("%s: flow %s names no source for its replies", p.Name, f)
			}
		}
	}
}

// TestOmittedPorts checks that every port the reference leaves out on
// purpose is listed with its reason, and that no profile opens it.
func TestOmittedPorts(t *testing.T) {
	reference := []string{"tcp 20-21", "tcp 23", "tcp 80", "udp 2049", "udp 2052", "tcp 3008", "tcp 5001", "tcp 27000", "tcp 28001"}
	listed := map[string]bool{}
	for _, o := range catalog.Omitted() {
		if o.Reason == "" || (o.Protocol != "tcp" && o.Protocol != "udp") {
			t.Errorf("omitted %s %s: protocol must be tcp or udp, with a reason", o.Protocol, o.Ports)
		}
		listed[o.Protocol+" "+o.Ports] = true
	}
	for _, r := range reference {
		if !listed[r] {
			t.Errorf("%s is left out on purpose in the reference but missing from Omitted()", r)
		}
		var proto string
		var from, to int
		if n, _ := fmt.Sscanf(strings.Replace(r, "-", " ", 1), "%s %d %d", &proto, &from, &to); n == 2 {
			to = from
		}
		for _, p := range catalog.All() {
			for _, f := range p.Flows {
				if string(f.Protocol) == proto && f.FromPort <= to && from <= f.ToPort {
					t.Errorf("%s opens %s, which Omitted() says no profile offers", p.Name, r)
				}
			}
		}
	}
}

// The flows NTLM pass-through added name their sources, and the dynamic
// RPC range names the setting that narrows it.
func TestDirectoryNetlogonSources(t *testing.T) {
	p, _ := catalog.Lookup("directory")
	for _, f := range p.Flows {
		switch f.String() {
		case "out tcp 135", "out tcp 445", "out tcp 3269":
			if f.Source == "" {
				t.Errorf("%s names no source", f)
			}
		case "out tcp 49152-65535":
			if f.Setting != catalog.RPCDynamicPorts || !strings.Contains(f.Source, "179442") {
				t.Errorf("%s: setting %q, source %q", f, f.Setting, f.Source)
			}
		}
	}
	if !strings.Contains(p.Source, "000204265") {
		t.Errorf("directory's source %q does not name Dell KB 000204265", p.Source)
	}
}

// Lookup and All hand out copies: changing a returned profile, its flows
// or its reply ports changes nothing of the catalog.
func TestReturnedProfilesAreCopies(t *testing.T) {
	ntp, _ := catalog.Lookup("ntp")
	ntp.Flows[0].FromPort, ntp.Flows[0].Replies.ClientPorts[0].From = 124, 124
	ntp.Flows = append(ntp.Flows, catalog.Flow{Purpose: "extra"})
	ntp.Summary = "changed"
	for _, p := range catalog.All() {
		if p.Name == "nfs" {
			p.Flows[0].Replies.ClientPorts[0] = catalog.PortRange{From: 1, To: 2}
			p.Flows[1].Protocol = catalog.TCP
		}
	}
	all := catalog.All()
	all[0].Flows = nil
	again, _ := catalog.Lookup("ntp")
	if again.Summary == "changed" || len(again.Flows) != 1 || again.Flows[0].FromPort != 123 || again.Flows[0].Replies.ClientPorts[0].From != 123 {
		t.Errorf("the catalog's ntp changed: %+v", again)
	}
	nfs, _ := catalog.Lookup("nfs")
	if nfs.Flows[0].Replies.ClientPorts[0] != (catalog.PortRange{From: 512, To: 1023}) || nfs.Flows[1].Protocol != catalog.UDP {
		t.Errorf("the catalog's nfs changed: %+v", nfs.Flows)
	}
	if first := catalog.All()[0]; len(first.Flows) == 0 {
		t.Errorf("the catalog's %s lost its flows", first.Name)
	}
}
