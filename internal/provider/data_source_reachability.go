package provider

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

var (
	_ datasource.DataSource                   = &reachabilityDataSource{}
	_ datasource.DataSourceWithConfigure      = &reachabilityDataSource{}
	_ datasource.DataSourceWithValidateConfig = &reachabilityDataSource{}
)

var (
	groupIDValidator = stringvalidator.RegexMatches(regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`), "must be a security group ID such as sg-0123456789abcdef0")
	aclIDValidator   = stringvalidator.RegexMatches(regexp.MustCompile(`^acl-[0-9a-f]{8,17}$`), "must be a network ACL ID such as acl-0123456789abcdef0")
)

// newReachabilityDataSource is the data source that reads a live posture
// and says what gets through it.
func newReachabilityDataSource() datasource.DataSource { return &reachabilityDataSource{} }

type reachabilityDataSource struct {
	data *providerData
}

type reachabilityModel struct {
	SecurityGroupIDs types.Set    `tfsdk:"security_group_ids"`
	SubnetID         types.String `tfsdk:"subnet_id"`
	NetworkACLID     types.String `tfsdk:"network_acl_id"`
	DDVEAddress      types.String `tfsdk:"ddve_address"`
	EphemeralPorts   types.Object `tfsdk:"ephemeral_ports"`
	DDVEEphemeral    types.Object `tfsdk:"ddve_ephemeral_ports"`
	Flows            types.List   `tfsdk:"flows"`
	Results          types.List   `tfsdk:"results"`
	Exposure         types.List   `tfsdk:"exposure"`
	ExposureTable    types.String `tfsdk:"exposure_table"`
	Mismatches       types.List   `tfsdk:"mismatches"`
	MismatchGroups   types.List   `tfsdk:"mismatch_groups"`
}

type flowQueryModel struct {
	Peer       types.String `tfsdk:"peer"`
	Opener     types.String `tfsdk:"opener"`
	Protocol   types.String `tfsdk:"protocol"`
	Port       types.Int64  `tfsdk:"port"`
	ClientPort types.Int64  `tfsdk:"client_port"`
}

// Who opens a queried flow.
const (
	openerPeer = "peer"
	openerDDVE = "ddve"
)

// defaultClientPort is the first port of Linux's ephemeral range, used
// when a flow names no client port.
const defaultClientPort = 32768

var flowResultAttrTypes = map[string]attr.Type{
	"peer": types.StringType, "opener": types.StringType, "protocol": types.StringType,
	"port": types.Int64Type, "client_port": types.Int64Type,
	"allowed": types.BoolType, "request_decided_by": types.StringType, "reply_decided_by": types.StringType,
	"blocked_at": types.StringType,
}

var exposureRowAttrTypes = map[string]attr.Type{
	"direction": types.StringType, "layer": types.StringType, "protocol": types.StringType,
	"cidr": types.StringType, "from_port": types.Int64Type, "to_port": types.Int64Type, "ports": types.StringType,
}

var mismatchAttrTypes = map[string]attr.Type{
	"direction": types.StringType, "kind": types.StringType, "protocol": types.StringType,
	"cidr": types.StringType, "from_port": types.Int64Type, "to_port": types.Int64Type, "ports": types.StringType,
	"allowed_by": types.StringType, "blocked_by": types.StringType, "detail": types.StringType, "cause": types.StringType,
}

var mismatchGroupAttrTypes = map[string]attr.Type{
	"kind": types.StringType, "direction": types.StringType, "cause": types.StringType,
	"traffic": types.ListType{ElemType: types.StringType}, "cidrs": types.ListType{ElemType: types.StringType},
	"rows": types.Int64Type, "summary": types.StringType,
}

func (d *reachabilityDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_reachability"
}

func (d *reachabilityDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computedString := func(description string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, Description: description}
	}
	computedInt := func(description string) schema.Int64Attribute {
		return schema.Int64Attribute{Computed: true, Description: description}
	}
	rangeAttributes := map[string]schema.Attribute{
		"direction": computedString("`ingress` (from the remote end to DDVE's side) or `egress`."),
		"protocol":  computedString("`tcp`, `udp`, `icmp`, `icmpv6`, a protocol number, or `all` (every protocol not listed in rows of its own)."),
		"cidr":      computedString("Remote addresses, as one CIDR block of the fewest that cover them."),
		"from_port": computedInt("First port (TCP, UDP), first ICMP type, or -1 for protocols without ports."),
		"to_port":   computedInt("Last port (TCP, UDP), last ICMP type, or -1."),
		"ports":     computedString("The ports, or ICMP types and codes, as text."),
	}
	exposureAttributes := map[string]schema.Attribute{
		"layer": computedString("`security_group` (requests the group admits), `network_acl` (packets the ACL passes) or `both` (requests both admit)."),
	}
	mismatchAttributes := map[string]schema.Attribute{
		"kind": computedString("`request`: the group admits a request the ACL drops; `return traffic`: the ACL drops the answers to a request both admit; " +
			"`network ACL only`: the ACL passes traffic the group drops that answers nothing the group admits."),
		"allowed_by": computedString("The layer that lets it through."),
		"blocked_by": computedString("The layer that drops it."),
		"detail":     computedString("What happens, in a sentence."),
		"cause": computedString("The rule or entry that lets the traffic through: the security group rule (ID and description) " +
			"for `request` and `return traffic`, the network ACL entry (number and direction) for `network ACL only`."),
	}
	for k, v := range rangeAttributes {
		exposureAttributes[k], mismatchAttributes[k] = v, v
	}
	resp.Schema = schema.Schema{
		Description: "Reads a live DDVE posture, its security groups and its subnet's network ACL, made by this provider or not, " +
			"and answers what gets through: given flows, allowed or not and which rule or entry decided, both ways; " +
			"the exact exposure of each layer and of both together, computed rather than sampled; and the mismatches " +
			"between the layers, including return traffic the stateless ACL forgets.",
		Attributes: map[string]schema.Attribute{
			"security_group_ids": schema.SetAttribute{
				Required: true, ElementType: types.StringType,
				Description: "The security groups of DDVE's network interface; their rules add up.",
				Validators:  []validator.Set{setvalidator.SizeAtLeast(1), setvalidator.ValueStringsAre(groupIDValidator)},
			},
			"subnet_id": schema.StringAttribute{
				Optional: true, Description: "DDVE's subnet: its network ACL is looked up. Give this or `network_acl_id`.",
				Validators: []validator.String{
					stringvalidator.RegexMatches(subnetIDPattern, "must be a subnet ID such as subnet-0123456789abcdef0"),
					stringvalidator.ExactlyOneOf(path.MatchRoot("subnet_id"), path.MatchRoot("network_acl_id")),
				},
			},
			"network_acl_id": schema.StringAttribute{
				Optional: true, Description: "The network ACL of DDVE's subnet. Give this or `subnet_id`.",
				Validators: []validator.String{aclIDValidator},
			},
			"ddve_address": schema.StringAttribute{
				Required: true, Description: "DDVE's private address, such as `10.0.2.15`.",
			},
			"ephemeral_ports": schema.SingleNestedAttribute{
				Optional: true,
				Description: "The range peers' clients send from, where the answers to their connections are expected, for the mismatch check of return traffic (default 1024-65535, " +
					"which covers Linux, Windows, NAT gateways and load balancers).",
				Attributes: map[string]schema.Attribute{
					"from_port": schema.Int64Attribute{Required: true, Description: "First ephemeral port."},
					"to_port":   schema.Int64Attribute{Required: true, Description: "Last ephemeral port."},
				},
			},
			"ddve_ephemeral_ports": schema.SingleNestedAttribute{
				Optional: true,
				Description: "The range DDVE's own connections are answered on, for the mismatch check of return traffic (default 32768-60999, " +
					"DD OS's Linux range; `ddve_subnet_nacl` passes it whatever its `ddve_ephemeral_ports`, unless that is set narrower).",
				Attributes: map[string]schema.Attribute{
					"from_port": schema.Int64Attribute{Required: true, Description: "First port."},
					"to_port":   schema.Int64Attribute{Required: true, Description: "Last port."},
				},
			},
			"flows": schema.ListNestedAttribute{
				Optional:    true,
				Description: "Connections to check, each answered in `results` in the same order.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"peer": schema.StringAttribute{Required: true, Description: "The other end's address."},
					"opener": schema.StringAttribute{
						Required: true, Description: "`peer`: the peer connects to DDVE; `ddve`: DDVE connects to the peer.",
					},
					"protocol": schema.StringAttribute{Required: true, Description: "`tcp`, `udp`, `icmp`, `icmpv6` or a protocol number."},
					"port": schema.Int64Attribute{
						Optional: true, Description: "The destination port of the connection (TCP, UDP; required for them), or the ICMP type.",
					},
					"client_port": schema.Int64Attribute{
						Optional: true, Description: "The opener's source port (default 32768, the start of Linux's ephemeral range), or the ICMP code.",
					},
				}},
			},
			"results": schema.ListNestedAttribute{
				Computed: true, Description: "One answer per flow, in order.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"peer": computedString("As asked."), "opener": computedString("As asked."), "protocol": computedString("As asked."),
					"port": computedInt("As asked."), "client_port": computedInt("The client port used."),
					"allowed":            schema.BoolAttribute{Computed: true, Description: "Whether the request arrives and its answer comes back."},
					"request_decided_by": computedString("The group rule (ID and description) and the ACL entry (number and direction) that decided the request, or what dropped it."),
					"reply_decided_by":   computedString("What decided the answer: the group's connection state, and the ACL entry or its built-in deny."),
					"blocked_at": computedString("Empty when allowed; else the first layer that dropped a packet, in the order the packet meets them " +
						"(arriving at DDVE: the subnet's network ACL, then the security group; leaving: the group, then the ACL): " +
						"`network_acl` or `security_group` for the request, `network_acl_reply` or `security_group_reply` for its answer."),
				}},
			},
			"exposure": schema.ListNestedAttribute{
				Computed:     true,
				Description:  "Exactly what passes each layer and both together, per direction, protocol, remote block and ports.",
				NestedObject: schema.NestedAttributeObject{Attributes: exposureAttributes},
			},
			"exposure_table": computedString("`exposure` as a text table, for `output` blocks and people."),
			"mismatches": schema.ListNestedAttribute{
				Computed:     true,
				Description:  "Traffic one layer lets through and the other drops, one row per remote block and port range.",
				NestedObject: schema.NestedAttributeObject{Attributes: mismatchAttributes},
			},
			"mismatch_groups": schema.ListNestedAttribute{
				Computed: true,
				Description: "The rows of `mismatches` gathered by kind, direction and the rule or entry that causes them: " +
					"one place to fix each, with its addresses merged into the fewest CIDR blocks.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"kind":      computedString("As in `mismatches`."),
					"direction": computedString("As in `mismatches`."),
					"cause":     computedString("As in `mismatches`: the rule or entry to look at."),
					"traffic": schema.ListAttribute{Computed: true, ElementType: types.StringType,
						Description: "Protocols with their ports merged, such as `tcp 0-65535` or `udp 123`."},
					"cidrs": schema.ListAttribute{Computed: true, ElementType: types.StringType,
						Description: "The remote addresses of every row, in the fewest CIDR blocks."},
					"rows":    computedInt("How many rows of `mismatches` the group holds."),
					"summary": computedString("The group in one line."),
				}},
			},
		},
	}
}

func (d *reachabilityDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig checks addresses and flows at plan time, wherever their
// values are known.
func (d *reachabilityDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var config reachabilityModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if v := config.DDVEAddress; !v.IsNull() && !v.IsUnknown() {
		if _, err := netip.ParseAddr(v.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("ddve_address"), "Invalid address",
				fmt.Sprintf("%q is not an IP address: give DDVE's private address, such as 10.0.2.15.", v.ValueString()))
		}
	}
	if !config.EphemeralPorts.IsNull() && !config.EphemeralPorts.IsUnknown() {
		var ports portRangeModel
		resp.Diagnostics.Append(config.EphemeralPorts.As(ctx, &ports, objectAsOptions)...)
		from, to := ports.FromPort.ValueInt64(), ports.ToPort.ValueInt64()
		if !ports.FromPort.IsUnknown() && !ports.ToPort.IsUnknown() && (from < 0 || to > 65535 || from > to) {
			resp.Diagnostics.AddAttributeError(path.Root("ephemeral_ports"), "Invalid ephemeral range",
				fmt.Sprintf("%d-%d is not a port range: give from_port <= to_port within 0-65535, such as 1024-65535.", from, to))
		}
	}
	if config.Flows.IsNull() || config.Flows.IsUnknown() {
		return
	}
	ddve, _ := netip.ParseAddr(config.DDVEAddress.ValueString())
	for i, element := range config.Flows.Elements() {
		if element.IsUnknown() {
			continue
		}
		object, ok := element.(types.Object)
		if !ok {
			continue
		}
		var f flowQueryModel
		resp.Diagnostics.Append(object.As(ctx, &f, objectAsOptions)...)
		if _, err := parseFlowQuery(f, ddve); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("flows").AtListIndex(i), "Invalid flow", err.Error())
		}
	}
}

// parseFlowQuery turns a flow into its request packet; unknown fields are
// not checked. ddve may be the zero Addr while it is unknown.
func parseFlowQuery(f flowQueryModel, ddve netip.Addr) (evaluate.Packet, error) {
	var p evaluate.Packet
	if !f.Peer.IsUnknown() {
		peer, err := netip.ParseAddr(f.Peer.ValueString())
		if err != nil {
			return p, fmt.Errorf("peer %q is not an IP address", f.Peer.ValueString())
		}
		if ddve.IsValid() && peer.Is4() != ddve.Is4() {
			return p, fmt.Errorf("peer %s and ddve_address %s are of different IP families: ask about a peer of DDVE's family", peer, ddve)
		}
		p.Src, p.Dst = peer, ddve
	}
	if !f.Opener.IsUnknown() {
		switch f.Opener.ValueString() {
		case openerPeer:
		case openerDDVE:
			p.Src, p.Dst = p.Dst, p.Src
		default:
			return p, fmt.Errorf("opener is %q: use \"peer\" (the peer connects to DDVE) or \"ddve\" (DDVE connects to the peer)", f.Opener.ValueString())
		}
	}
	if f.Protocol.IsUnknown() || f.Port.IsUnknown() || f.ClientPort.IsUnknown() {
		return p, nil
	}
	proto, ok := posture.ProtocolNumber(f.Protocol.ValueString())
	if !ok || proto == posture.ProtoAll {
		return p, fmt.Errorf("protocol is %q: use tcp, udp, icmp, icmpv6 or a protocol number", f.Protocol.ValueString())
	}
	p.Protocol = proto
	port, client := int(f.Port.ValueInt64()), defaultClientPort
	if !f.ClientPort.IsNull() {
		client = int(f.ClientPort.ValueInt64())
	}
	switch proto {
	case posture.ProtoTCP, posture.ProtoUDP:
		if f.Port.IsNull() {
			return p, fmt.Errorf("a %s flow needs the port it connects to: set port", f.Protocol.ValueString())
		}
		if port < 0 || port > 65535 || client < 0 || client > 65535 {
			return p, fmt.Errorf("ports must lie in 0-65535; got port %d, client_port %d", port, client)
		}
	case posture.ProtoICMP, posture.ProtoICMPv6:
		if f.Port.IsNull() {
			return p, fmt.Errorf("an %s flow needs its message type in port, such as 8 (echo request; ICMPv6: 128)", f.Protocol.ValueString())
		}
		if f.ClientPort.IsNull() {
			client = 0
		}
		if port < 0 || port > 255 || client < 0 || client > 255 {
			return p, fmt.Errorf("for ICMP, port is the type and client_port the code, each 0-255")
		}
		peer := p.Src
		if f.Opener.ValueString() == openerDDVE {
			peer = p.Dst
		}
		if peer.IsValid() && (proto == posture.ProtoICMP) != peer.Is4() {
			return p, fmt.Errorf("protocol %s does not fit peer %s: use icmp for IPv4, icmpv6 for IPv6", f.Protocol.ValueString(), peer)
		}
	default:
		if !f.Port.IsNull() || !f.ClientPort.IsNull() {
			return p, fmt.Errorf("protocol %s has no ports: remove port and client_port", f.Protocol.ValueString())
		}
		port, client = 0, 0
	}
	p.DstPort, p.SrcPort = port, client
	return p, nil
}

func (d *reachabilityDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config reachabilityModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() || d.data == nil {
		return
	}
	ddve, err := netip.ParseAddr(config.DDVEAddress.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("ddve_address"), "Invalid address", err.Error())
		return
	}
	var groupIDs []string
	resp.Diagnostics.Append(config.SecurityGroupIDs.ElementsAs(ctx, &groupIDs, false)...)
	if resp.Diagnostics.HasError() {
		return
	}
	live, diags := readLivePosture(ctx, d.data.client.EC2, groupIDs, config.SubnetID.ValueString(), config.NetworkACLID.ValueString())
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	live.host.Addr = ddve
	if len(live.host.Local) > 0 && !slices.ContainsFunc(live.host.Local, func(p netip.Prefix) bool { return p.Contains(ddve) }) {
		resp.Diagnostics.AddAttributeError(path.Root("ddve_address"), "Address outside the subnet",
			fmt.Sprintf("ddve_address %s is not in subnet %s (%s): give the private address of DDVE's interface in that subnet.",
				ddve, config.SubnetID.ValueString(), joinPrefixes(live.host.Local)))
		return
	}

	ephemeral := evaluate.PortRange{From: posture.DefaultEphemeralFrom, To: posture.DefaultEphemeralTo}
	if !config.EphemeralPorts.IsNull() {
		var ports portRangeModel
		resp.Diagnostics.Append(config.EphemeralPorts.As(ctx, &ports, objectAsOptions)...)
		ephemeral = evaluate.PortRange{From: int(ports.FromPort.ValueInt64()), To: int(ports.ToPort.ValueInt64())}
	}

	var ddveEphemeral []evaluate.PortRange
	if !config.DDVEEphemeral.IsNull() {
		var ports portRangeModel
		resp.Diagnostics.Append(config.DDVEEphemeral.As(ctx, &ports, objectAsOptions)...)
		ddveEphemeral = []evaluate.PortRange{{From: int(ports.FromPort.ValueInt64()), To: int(ports.ToPort.ValueInt64())}}
	}

	results := []attr.Value{}
	if !config.Flows.IsNull() && len(config.Flows.Elements()) > 0 {
		vpc, err := awsec2.FindVPCPrimaryCIDR(ctx, d.data.client.EC2, live.vpcID)
		if err != nil {
			resp.Diagnostics.AddError("Cannot read the VPC's address block", err.Error())
			return
		}
		live.host.Unfiltered = evaluate.UnfilteredServices(vpc, live.host.Local)
		var flows []flowQueryModel
		resp.Diagnostics.Append(config.Flows.ElementsAs(ctx, &flows, false)...)
		for i, f := range flows {
			request, err := parseFlowQuery(f, ddve)
			if err != nil {
				resp.Diagnostics.AddAttributeError(path.Root("flows").AtListIndex(i), "Invalid flow", err.Error())
				continue
			}
			results = append(results, live.answer(f, request))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	check := evaluate.CheckLayers(live.group(), live.acl(), evaluate.LayerOptions{Ephemeral: ephemeral, DDVEEphemeral: ddveEphemeral, Services: posture.CatalogReplies(), Local: live.host.Local})
	config.Results = types.ListValueMust(types.ObjectType{AttrTypes: flowResultAttrTypes}, results)
	config.Exposure = flattenExposure(check)
	config.ExposureTable = types.StringValue(check.TableNaming(func(g evaluate.MismatchGroup) string { return live.cause(g.Rule, g.Entry) }))
	config.Mismatches = live.flattenMismatches(check)
	config.MismatchGroups = live.flattenMismatchGroups(check)
	resp.Diagnostics.Append(resp.State.Set(ctx, &config)...)
}

func joinPrefixes(prefixes []netip.Prefix) string {
	text := make([]string, len(prefixes))
	for i, p := range prefixes {
		text[i] = p.String()
	}
	return strings.Join(text, ", ")
}
