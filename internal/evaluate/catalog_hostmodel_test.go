package evaluate_test

import (
	"slices"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/hostmodel"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The catalog's reply notes drive the compiler, the host model drives the
// self-check; where they part, every plan of that profile fails. This
// names the flow and both sides, so the one the documents contradict can
// be put right.
func TestCatalogRepliesAgreeWithHostModel(t *testing.T) {
	for _, p := range catalog.All() {
		for _, f := range p.Flows {
			proto, _ := posture.ProtocolNumber(string(f.Protocol))
			if !posture.HasPorts(proto) {
				continue
			}
			fixed, answered := hostmodel.SourcePortsOver(proto, f.FromPort, f.ToPort)
			var model []catalog.PortRange
			for _, r := range fixed {
				model = append(model, catalog.PortRange{From: r.From, To: r.To})
			}
			merged := func(r []catalog.PortRange) []catalog.PortRange {
				return posture.ReplyPorts(catalog.Replies{ClientPorts: r}, catalog.PortRange{From: 1024, To: 65535})
			}
			if answered == f.Replies.OneWay || answered && !slices.Equal(merged(model), merged(f.Replies.ClientPorts)) {
				t.Errorf("%s %s: the catalog says one-way %v, client ports %v; the host model answered %v, client ports %v",
					p.Name, f, f.Replies.OneWay, f.Replies.ClientPorts, answered, model)
			}
		}
	}
}
