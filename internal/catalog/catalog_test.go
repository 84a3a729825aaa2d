package catalog_test

import (
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
		"directory":         {"out tcp 88", "out udp 88", "out tcp 389", "out udp 389", "out tcp 464", "out udp 464", "out tcp 636", "out tcp 3268"},
		"kmip":              {"out tcp 5696"},
		"cifs":              {"in udp 137-138", "in tcp 139", "in tcp 445"},
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
