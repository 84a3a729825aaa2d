package provider

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
)

// Schema pieces both resources use, so profiles read the same everywhere.

func peerAttributes(forACL bool) map[string]schema.Attribute {
	groupNote := "Security group IDs (`sg-...`), as nested references."
	listNote := "Managed prefix list IDs (`pl-...`), such as the S3 gateway endpoint's list."
	if forACL {
		groupNote = "Not accepted by network ACLs, which take CIDR blocks only: an error says so at plan time."
		listNote = "Managed prefix list IDs (`pl-...`), resolved to their CIDR blocks at plan time, since ACL entries cannot reference a list."
	}
	return map[string]schema.Attribute{
		"cidr_blocks": schema.SetAttribute{
			Optional: true, ElementType: types.StringType,
			Description: "Canonical IPv4 CIDR blocks of the peers, such as `10.0.1.10/32`.",
		},
		"ipv6_cidr_blocks": schema.SetAttribute{
			Optional: true, ElementType: types.StringType,
			Description: "Canonical IPv6 CIDR blocks of the peers.",
		},
		"security_group_ids": schema.SetAttribute{
			Optional: true, ElementType: types.StringType, Description: groupNote,
		},
		"prefix_list_ids": schema.SetAttribute{
			Optional: true, ElementType: types.StringType, Description: listNote,
		},
	}
}

func profileCatalogDescription() string {
	var b strings.Builder
	for _, p := range catalog.All() {
		var flows []string
		for _, f := range p.Flows {
			flows = append(flows, f.String())
		}
		fmt.Fprintf(&b, "\n  - `%s`: %s (%s).", p.Name, p.Summary, strings.Join(flows, ", "))
	}
	return b.String()
}

func profilesAttribute(forACL bool) schema.MapNestedAttribute {
	what := "rules"
	if forACL {
		what = "entries, each with its return entry on the ephemeral range"
	}
	return schema.MapNestedAttribute{
		Optional: true,
		Description: "DDVE port profiles to enable, by name, each with its peers; the provider expands them into " + what +
			". In = a peer connects to DDVE, out = DDVE connects to the peer. Profiles:" + profileCatalogDescription(),
		NestedObject: schema.NestedAttributeObject{Attributes: peerAttributes(forACL)},
	}
}

func customRulesAttribute(forACL bool) schema.ListNestedAttribute {
	peers := peerAttributes(forACL)
	attrs := map[string]schema.Attribute{
		// direction and protocol are required, and the compiler says so.
		// The schema cannot: the framework reports a required attribute
		// missing from a rule that is only known at apply as a whole
		// (custom_rules = [var.rule]), and Terraform cannot show a
		// validator's error this deep into a nested attribute at its line.
		"direction": schema.StringAttribute{
			Optional:    true,
			Description: "Required. `ingress`: the peer opens the connection to DDVE; `egress`: DDVE opens it to the peer.",
		},
		"protocol": schema.StringAttribute{
			Optional:    true,
			Description: "Required. `tcp`, `udp`, `icmp`, `icmpv6`, `all`, or a protocol number.",
		},
		"from_port": schema.Int64Attribute{
			Optional:    true,
			Description: "First port (TCP, UDP), or the ICMP type (-1: any). Omit for `all`.",
		},
		"to_port": schema.Int64Attribute{
			Optional:    true,
			Description: "Last port (TCP, UDP), or the ICMP code (-1: any). Omit for `all`.",
		},
		"description": schema.StringAttribute{
			Optional:    true,
			Description: "Rule description, kept by AWS: up to 255 characters of letters, digits, spaces and `._-:/()#,@[]+=&;{}!$*`.",
		},
		"reply_ports": schema.ListNestedAttribute{
			Optional: true,
			Description: "TCP and UDP only: the ports the flow's clients send from, where a network ACL lets the answers back, " +
				"such as `[{ from_port = 665, to_port = 1023 }]` for NFS over UDP from Linux clients mounting with `resvport` (512-1023 for other systems). " +
				"Default: the ephemeral range of whoever opens the flow (`ephemeral_ports` for ingress, `ddve_ephemeral_ports` for egress). " +
				"A security group tracks connections and needs none; there it is checked and has no effect.",
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"from_port": schema.Int64Attribute{Required: true, Description: "First port."},
				"to_port":   schema.Int64Attribute{Required: true, Description: "Last port."},
			}},
		},
		"one_way": schema.BoolAttribute{
			Optional: true,
			Description: "True for a flow nothing answers (syslog over UDP, SNMP traps): a network ACL gets no return entry for it. " +
				"Not with `reply_ports`. A security group needs no return rule either way.",
		},
	}
	for k, v := range peers {
		attrs[k] = v
	}
	return schema.ListNestedAttribute{
		Optional:     true,
		Description:  "Flows the catalog does not offer, with the same peer fields as a profile.",
		NestedObject: schema.NestedAttributeObject{Attributes: attrs},
	}
}

func allowPublicIngressAttribute() schema.BoolAttribute {
	return schema.BoolAttribute{
		Optional: true, Computed: true, Default: booldefault.StaticBool(false),
		Description: "Permit `0.0.0.0/0` and `::/0` where they would let the internet in: as peers of inbound flows, " +
			"and in a network ACL also as peers of outbound flows whose return entries would admit them, typed or resolved from a prefix list, " +
			"whole or in pieces that together cover the internet. The allow-all entries of `default_action = \"allow\"` are that setting's own explicit choice and need no opt-in. " +
			"Dell's guidance for DDVE on AWS is no public exposure, so this is an explicit opt-in.",
	}
}

func pathMTUDiscoveryAttribute(forACL bool) schema.BoolAttribute {
	what := "an inbound rule for ICMP type 3 code 4 (fragmentation needed) from `0.0.0.0/0`, and for ICMPv6 type 2 (packet too big) from `::/0`, " +
		"as the EC2 guide's \"Path MTU Discovery\" rule"
	if forACL {
		what = "entries for ICMP type 3 code 4 (fragmentation needed) in and out for `0.0.0.0/0`, and ICMPv6 type 2 (packet too big) in and out for `::/0`, " +
			"numbered in their own band, 900-999, after the denies (which still block a denied block) and before the profiles' allows; " +
			"a deny-list ACL (`default_action = \"allow\"`) passes them already and gets none"
	}
	return schema.BoolAttribute{
		Optional: true, Computed: true, Default: booldefault.StaticBool(true),
		Description: "Let path MTU discovery work (default true): " + what + ", each only for the IP families the peers use " +
			"(security group references and, in a security group, prefix lists count as IPv4). " +
			"The message comes from whichever router has the smaller MTU (a VPN, an internet gateway, another region), not from the peer, " +
			"so it cannot be scoped to the peers; an error message opens no port, so this needs no `allow_public_ingress`. " +
			"It counts against the quota. Without it, connections whose segments exceed a smaller MTU on the path stall (RFC 1191, RFC 8201, RFC 4890).",
	}
}

func defaultRPCDynamicPorts() types.Object {
	return types.ObjectValueMust(portRangeAttrTypes, map[string]attr.Value{
		"from_port": types.Int64Value(catalog.RPCDynamicFrom),
		"to_port":   types.Int64Value(catalog.RPCDynamicTo),
	})
}

func rpcDynamicPortsAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		Optional: true, Computed: true, Default: objectdefault.StaticValue(defaultRPCDynamicPorts()),
		Description: "The domain controllers' dynamic RPC range, which the `directory` profile opens towards them for Netlogon " +
			"(NTLM pass-through of CIFS clients, Dell KB 000204265): the RPC endpoint mapper on TCP 135 hands out a port of it (Microsoft KB 179442). " +
			"The default 49152-65535 is Windows Server's; a team that pins Netlogon's RPC port on its domain controllers narrows it to that port.",
		Attributes: map[string]schema.Attribute{
			"from_port": schema.Int64Attribute{Required: true, Description: "First port of the range."},
			"to_port":   schema.Int64Attribute{Required: true, Description: "Last port of the range."},
		},
	}
}

func tagsAttributes() (schema.MapAttribute, schema.MapAttribute) {
	return schema.MapAttribute{
			Optional: true, ElementType: types.StringType,
			Description: "Tags of the resource.",
		}, schema.MapAttribute{
			Computed: true, ElementType: types.StringType,
			Description: "All tags of the resource, the provider's `default_tags` included.",
		}
}

// identityAttributes are the computed ID, ARN and owner of a resource;
// none changes after create.
func identityAttributes(thing string) map[string]schema.Attribute {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	return map[string]schema.Attribute{
		"id":       schema.StringAttribute{Computed: true, Description: thing + " ID.", PlanModifiers: keep},
		"arn":      schema.StringAttribute{Computed: true, Description: thing + " ARN.", PlanModifiers: keep},
		"owner_id": schema.StringAttribute{Computed: true, Description: "AWS account that owns the " + strings.ToLower(thing[:1]) + thing[1:] + ".", PlanModifiers: keep},
	}
}
