package provider

import (
	"context"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

var (
	_ datasource.DataSource                   = &portProfilesDataSource{}
	_ datasource.DataSourceWithValidateConfig = &portProfilesDataSource{}
)

func newPortProfilesDataSource() datasource.DataSource {
	return &portProfilesDataSource{}
}

// portProfilesDataSource is the catalog as data. It makes no AWS call.
type portProfilesDataSource struct{}

type portProfilesModel struct {
	Names    types.Set  `tfsdk:"names"`
	Profiles types.List `tfsdk:"profiles"`
	Omitted  types.List `tfsdk:"omitted"`
}

var (
	flowAttrTypes = map[string]attr.Type{
		"direction":    types.StringType,
		"protocol":     types.StringType,
		"from_port":    types.Int64Type,
		"to_port":      types.Int64Type,
		"purpose":      types.StringType,
		"reply_ports":  types.ListType{ElemType: types.StringType},
		"reply_source": types.StringType,
	}
	profileAttrTypes = map[string]attr.Type{
		"name":         types.StringType,
		"summary":      types.StringType,
		"typical_peer": types.StringType,
		"sources":      types.StringType,
		"flows":        types.ListType{ElemType: types.ObjectType{AttrTypes: flowAttrTypes}},
	}
	omittedAttrTypes = map[string]attr.Type{
		"protocol": types.StringType,
		"ports":    types.StringType,
		"reason":   types.StringType,
	}
)

func (d *portProfilesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_port_profiles"
}

func (d *portProfilesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(description string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, Description: description}
	}
	resp.Schema = schema.Schema{
		Description: "The DDVE port profiles the provider knows: each profile's flows, how their replies travel, and the documents behind them; " +
			"and the ports left out on purpose, with the reason. Read from the provider itself: no AWS call.",
		Attributes: map[string]schema.Attribute{
			// Optional.
			"names": schema.SetAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "Profiles to return, by name; all of them when omitted. An unknown name is an error naming the valid ones: " +
					strings.Join(catalog.Names(), ", ") + ".",
			},

			// Computed.
			"profiles": schema.ListNestedAttribute{
				Computed:    true,
				Description: "The profiles, in catalog order.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":         computed("Profile name, the key to use in `profiles`."),
					"summary":      computed("What the profile is for."),
					"typical_peer": computed("Who is usually at the other end."),
					"sources": computed("The documents behind the flows, by the letters of the project's port reference " +
						"(A: Dell's CloudFormation template, B: terraforming-dps, C: Dell's port wording, D: IANA/RFC, E: Dell's PPDM guide and REST API portal, S: the seed article)."),
					"flows": schema.ListNestedAttribute{
						Computed:    true,
						Description: "The connections the profile needs.",
						NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
							"direction": computed("`inbound`: the peer connects to DDVE; `outbound`: DDVE connects to the peer."),
							"protocol":  computed("`tcp` or `udp`."),
							"from_port": schema.Int64Attribute{Computed: true, Description: "First destination port of the connection."},
							"to_port":   schema.Int64Attribute{Computed: true, Description: "Last destination port of the connection."},
							"purpose":   computed("What the flow is for, as it appears in rule descriptions."),
							"reply_ports": schema.ListAttribute{
								Computed: true, ElementType: types.StringType,
								Description: "Where the answers go, which is what a stateless network ACL's return entry must let back: `ephemeral` " +
									"(the `ephemeral_ports` range), then any fixed client ports such as `512-1023` (NFS clients' reserved ports) or `123` (ntpd). " +
									"Empty for one-way flows, which get no return entry.",
							},
							"reply_source": computed("The document behind the reply ports; null for the common case, the client's ephemeral port."),
						}},
					},
				}},
			},
			"omitted": schema.ListNestedAttribute{
				Computed:    true,
				Description: "Ports no profile opens on purpose, and why. `custom_rules` can still open them.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"protocol": computed("`tcp` or `udp`."),
					"ports":    computed("A port or a range, such as `23` or `20-21`."),
					"reason":   computed("Why no profile opens it, and what to do instead."),
				}},
			},
		},
	}
}

// ValidateConfig checks the names at plan, with the valid names in the
// message, wherever the names are known.
func (d *portProfilesDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var config portProfilesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	names, known, diags := expandStringSet(ctx, config.Names)
	resp.Diagnostics.Append(diags...)
	if !known {
		return
	}
	for _, name := range names {
		if _, ok := catalog.Lookup(name); !ok {
			resp.Diagnostics.AddAttributeError(path.Root("names"), "Unknown port profile",
				posture.UnknownProfileDetail(name))
		}
	}
}

func (d *portProfilesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config portProfilesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	names, _, diags := expandStringSet(ctx, config.Names)
	resp.Diagnostics.Append(diags...)
	var profiles []attr.Value
	for _, p := range catalog.All() {
		if config.Names.IsNull() || slices.Contains(names, p.Name) {
			profiles = append(profiles, flattenProfile(p))
		}
	}
	var omitted []attr.Value
	for _, o := range catalog.Omitted() {
		omitted = append(omitted, types.ObjectValueMust(omittedAttrTypes, map[string]attr.Value{
			"protocol": types.StringValue(o.Protocol), "ports": types.StringValue(o.Ports), "reason": types.StringValue(o.Reason),
		}))
	}
	config.Profiles = types.ListValueMust(types.ObjectType{AttrTypes: profileAttrTypes}, profiles)
	config.Omitted = types.ListValueMust(types.ObjectType{AttrTypes: omittedAttrTypes}, omitted)
	resp.Diagnostics.Append(resp.State.Set(ctx, &config)...)
}
