package evaluate

import (
	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/hostmodel"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// expectedAnswer is how the self-check expects a flow's requests to be
// answered: on which source ports of the client besides its ephemeral
// range (TCP, UDP), by which message type (ICMP), or not at all.
//
// For the catalog's services it asks the host model, not the flow's
// catalog Replies: the compiler emits its return entries from those, and
// a check that read them too would pass a wrong one. A custom rule's
// one_way and reply_ports are the user's intent and are taken as given;
// its ICMP reply type is the protocol's, from the host model.
func expectedAnswer(f posture.Flow) (clientPorts []catalog.PortRange, icmpReply int, answered bool) {
	custom := f.Origin == posture.CustomOrigin
	if custom && f.Replies.OneWay {
		return nil, 0, false
	}
	switch {
	case posture.HasPorts(f.Protocol):
		if custom {
			return f.Replies.ClientPorts, 0, true
		}
		fixed, answered := hostmodel.SourcePortsOver(f.Protocol, f.From, f.To)
		if !answered {
			return nil, 0, false
		}
		for _, r := range fixed {
			clientPorts = append(clientPorts, catalog.PortRange{From: r.From, To: r.To})
		}
		return clientPorts, 0, true
	case posture.IsICMP(f.Protocol):
		// Type -1 is every type, which answers itself.
		if f.From == -1 {
			return nil, -1, true
		}
		replyType, answered := hostmodel.ICMPReply(f.Protocol, f.From)
		return nil, replyType, answered
	}
	return nil, 0, true
}
