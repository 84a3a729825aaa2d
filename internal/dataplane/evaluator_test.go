package dataplane

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The conversion from what the SDK returns to the evaluator's types lives
// here, in the test, so that the translator stays apart from posture and
// evaluate.

func postureRules(rules []types.SecurityGroupRule) []posture.Rule {
	var out []posture.Rule
	for _, r := range rules {
		pr := posture.Rule{
			Direction: posture.Ingress, Protocol: posture.NormalizeGroupProtocol(aws.ToString(r.IpProtocol)),
			FromPort: -1, ToPort: -1,
			CIDRIPv4: aws.ToString(r.CidrIpv4), CIDRIPv6: aws.ToString(r.CidrIpv6), PrefixListID: aws.ToString(r.PrefixListId),
		}
		if aws.ToBool(r.IsEgress) {
			pr.Direction = posture.Egress
		}
		if r.FromPort != nil {
			pr.FromPort, pr.ToPort = int(aws.ToInt32(r.FromPort)), int(aws.ToInt32(r.ToPort))
		}
		if r.ReferencedGroupInfo != nil {
			pr.ReferencedGroupID = aws.ToString(r.ReferencedGroupInfo.GroupId)
		}
		out = append(out, pr)
	}
	return out
}

func postureEntries(acl types.NetworkAcl) []posture.Entry {
	var out []posture.Entry
	for _, e := range acl.Entries {
		n, _ := posture.ProtocolNumber(aws.ToString(e.Protocol))
		pe := posture.Entry{
			RuleNumber: int(aws.ToInt32(e.RuleNumber)), Egress: aws.ToBool(e.Egress), Action: string(e.RuleAction),
			Protocol: strconv.Itoa(n), CIDRBlock: aws.ToString(e.CidrBlock), IPv6CIDRBlock: aws.ToString(e.Ipv6CidrBlock),
		}
		if e.PortRange != nil {
			pe.FromPort, pe.ToPort = int(aws.ToInt32(e.PortRange.From)), int(aws.ToInt32(e.PortRange.To))
		}
		if posture.IsICMP(n) && e.IcmpTypeCode != nil {
			// The translator refuses an ICMP entry without its type and
			// code, so every entry asked about here has them.
			pe.ICMPType, pe.ICMPCode = int(aws.ToInt32(e.IcmpTypeCode.Type)), int(aws.ToInt32(e.IcmpTypeCode.Code))
		}
		out = append(out, pe)
	}
	return out
}

func (rb *readBack) resolver() evaluate.Resolver {
	r := evaluate.Resolver{GroupMembers: rb.members, PrefixLists: map[string][]netip.Prefix{}}
	for id, entries := range rb.prefixLists {
		for _, e := range entries {
			r.PrefixLists[id] = append(r.PrefixLists[id], netip.MustParsePrefix(aws.ToString(e.Cidr)))
		}
	}
	return r
}

// pathMTUError judges the transit router's message to DDVE that a packet
// of the flow was too big: ICMP "fragmentation needed" (type 3 code 4) or
// ICMPv6 "packet too big" (type 2 code 0), from the transit router's
// address. It enters DDVE's subnet, whose ACL judges it; DDVE's group
// admits it as an error about a connection it tracks (the EC2 guide,
// "Security group connection tracking"), so the group is not asked.
func pathMTUError(f *flow, ddveACL evaluate.ACL) labeled {
	msg := evaluate.Packet{Src: transit.address(f.v6), Dst: f.src(), Protocol: icmp, DstPort: 3, SrcPort: 4}
	if f.v6 {
		msg.Protocol, msg.DstPort, msg.SrcPort = icmpv6, 2, 0
	}
	return labeled{"ddve subnet ACL (path MTU message)", ddveACL.Filter(msg, false)}
}

// labeled is a verdict with the layer named as the table and messages
// name it.
type labeled struct {
	layer string
	v     evaluate.Verdict
}

// evaluateFlow asks the evaluator about a flow with the client's real
// source port: Host.Connect for DDVE's side (its group and its subnet's
// ACL), and the peer's subnet ACL for the other side, which Host does not
// model. It returns whether the flow passes and, when it does not, the
// layer that blocks it and why.
func (rb *readBack) evaluateFlow(f *flow, srcPort int) (bool, string) {
	request := evaluate.Packet{Src: f.src(), Dst: f.dst(), Protocol: f.proto, SrcPort: srcPort, DstPort: f.port}
	if f.proto == icmp || f.proto == icmpv6 {
		request.SrcPort = 0 // the code
	}
	reply, answered := request.Reply()
	answered = answered && !f.oneWay

	peerACL := func(h *host, p evaluate.Packet, leaving bool, what string) []labeled {
		if h.subnet == nil || h.subnet.name == ddveSubnet.name {
			return nil
		}
		acl := evaluate.ACL{Entries: postureEntries(rb.acls[h.subnet.name])}
		return []labeled{{h.subnet.name + " subnet ACL" + what, acl.Filter(p, leaving)}}
	}
	ddveSide := func(vs []evaluate.Verdict, what string) []labeled {
		var out []labeled
		for _, v := range vs {
			layer := "DDVE group"
			if v.Layer == evaluate.LayerACL {
				layer = "ddve subnet ACL"
			}
			out = append(out, labeled{layer + what, v})
		}
		return out
	}

	var path []labeled
	switch {
	case f.client == ddve || f.server == ddve:
		host := evaluate.Host{
			Addr:  ddve.address(f.v6),
			Group: evaluate.Group{Rules: postureRules(rb.rules), Resolver: rb.resolver()},
			ACL:   evaluate.ACL{Entries: postureEntries(rb.acls[ddveSubnet.name])},
			Local: []netip.Prefix{ddveSubnet.prefix, ddveSubnet.prefix6},
		}
		c := host.Connect(request)
		if f.client == ddve {
			path = append(ddveSide(c.Request, ""), peerACL(f.server, request, false, "")...)
			if f.pathMTU {
				path = append(path, pathMTUError(f, host.ACL))
			}
			if answered {
				path = append(path, peerACL(f.server, reply, true, " (reply)")...)
				path = append(path, ddveSide(c.Reply, " (reply)")...)
			}
		} else {
			path = append(peerACL(f.client, request, true, ""), ddveSide(c.Request, "")...)
			if answered {
				path = append(path, ddveSide(c.Reply, " (reply)")...)
				path = append(path, peerACL(f.client, reply, false, " (reply)")...)
			}
		}
	default:
		// Neither end is DDVE: only the subnets' ACLs stand between them
		// (the peers' own security groups are not modelled).
		path = append(peerACL(f.client, request, true, ""), peerACL(f.server, request, false, "")...)
		if answered {
			path = append(path, peerACL(f.server, reply, true, " (reply)")...)
			path = append(path, peerACL(f.client, reply, false, " (reply)")...)
		}
	}
	for _, lv := range path {
		if !lv.v.Allowed {
			return false, fmt.Sprintf("%s: %s", lv.layer, lv.v.Reason)
		}
	}
	return true, ""
}
