// Package provider adapts the posture compiler and the EC2 layer to
// Terraform: the ddve provider and its two resources.
package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsclient"
	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
)

var (
	_ provider.Provider              = &ddveProvider{}
	_ provider.ProviderWithFunctions = &ddveProvider{}
)

// New returns the provider factory for the given version.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &ddveProvider{version: version}
	}
}

type ddveProvider struct {
	version string
}

type providerModel struct {
	Region                 types.String `tfsdk:"region"`
	Profile                types.String `tfsdk:"profile"`
	SharedConfigFiles      types.List   `tfsdk:"shared_config_files"`
	SharedCredentialsFiles types.List   `tfsdk:"shared_credentials_files"`
	AssumeRole             types.Object `tfsdk:"assume_role"`
	Endpoints              types.Object `tfsdk:"endpoints"`
	MaxRetries             types.Int64  `tfsdk:"max_retries"`
	DefaultTags            types.Object `tfsdk:"default_tags"`
}

type assumeRoleModel struct {
	RoleARN     types.String `tfsdk:"role_arn"`
	SessionName types.String `tfsdk:"session_name"`
	ExternalID  types.String `tfsdk:"external_id"`
}

type endpointsModel struct {
	EC2 types.String `tfsdk:"ec2"`
	STS types.String `tfsdk:"sts"`
}

type defaultTagsModel struct {
	Tags types.Map `tfsdk:"tags"`
}

// providerData is what Configure hands to the resources.
type providerData struct {
	client      *awsclient.Client
	defaultTags map[string]string
	// prefixLists keeps the prefix lists read in this process, so the
	// resources of one plan read each list once.
	prefixLists *awsec2.PrefixListCache
	// subnetHolders sends the plans' lookups of which ACL holds a subnet
	// together, one call for those asked while another is out.
	subnetHolders *awsec2.HolderLookups
	// defaultTagsUnknown is set while default tags are known only at
	// apply: every tags_all in the plan is unknown then.
	defaultTagsUnknown bool
}

func (p *ddveProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "ddve"
	resp.Version = p.version
}

func (p *ddveProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Manages the network security posture of Dell PowerProtect DD Virtual Edition (DDVE) on AWS: " +
			"security groups and network ACLs expanded from DDVE port profiles. Credentials come from the standard AWS chain " +
			"(environment, shared files, SSO, instance or task role) and never appear in state.",
		Attributes: map[string]schema.Attribute{
			"region": schema.StringAttribute{
				Optional:    true,
				Description: "AWS region. Defaults to AWS_REGION or the region of the shared config profile.",
			},
			"profile": schema.StringAttribute{
				Optional:    true,
				Description: "Named profile of the shared config and credentials files. Defaults to AWS_PROFILE.",
			},
			"shared_config_files": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "Paths of shared config files. Defaults to ~/.aws/config.",
			},
			"shared_credentials_files": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "Paths of shared credentials files. Defaults to ~/.aws/credentials.",
			},
			"assume_role": schema.SingleNestedAttribute{
				Optional:    true,
				Description: "A role to assume with the base credentials, through STS.",
				Attributes: map[string]schema.Attribute{
					"role_arn": schema.StringAttribute{
						Required: true, Description: "ARN of the role to assume.",
						Validators: []validatorString{stringvalidator.RegexMatches(roleARNPattern, "must be an IAM role ARN such as arn:aws:iam::123456789012:role/ddve-admin")},
					},
					"session_name": schema.StringAttribute{Optional: true, Description: "Session name of the assumed role."},
					"external_id":  schema.StringAttribute{Optional: true, Sensitive: true, Description: "External ID the role's trust policy requires."},
				},
			},
			"endpoints": schema.SingleNestedAttribute{
				Optional:    true,
				Description: "Custom service endpoints, for VPC interface endpoints or emulators. Also read from AWS_ENDPOINT_URL_EC2 and AWS_ENDPOINT_URL_STS.",
				Attributes: map[string]schema.Attribute{
					"ec2": schema.StringAttribute{Optional: true, Description: "EC2 endpoint URL."},
					"sts": schema.StringAttribute{Optional: true, Description: "STS endpoint URL, used by assume_role."},
				},
			},
			"max_retries": schema.Int64Attribute{
				Optional:    true,
				Description: "How often a throttled or transiently failed EC2 call is retried, with exponential backoff. Defaults to `AWS_MAX_ATTEMPTS` (or the profile's `max_attempts`) less one when set, else 25.",
				Validators:  []validatorInt64{int64validator.AtLeast(0)},
			},
			"default_tags": schema.SingleNestedAttribute{
				Optional:    true,
				Description: "Tags added to every resource of this provider; a resource's own tags win on the same key.",
				Attributes: map[string]schema.Attribute{
					"tags": schema.MapAttribute{Optional: true, ElementType: types.StringType, Description: "The tags."},
				},
			},
		},
	}
}

func (p *ddveProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	settings := awsclient.Settings{
		Region:           config.Region.ValueString(),
		Profile:          config.Profile.ValueString(),
		MaxRetries:       -1,
		UserAgentName:    "terraform-provider-ddve",
		UserAgentVersion: p.version,
	}
	if !config.MaxRetries.IsNull() {
		settings.MaxRetries = int(config.MaxRetries.ValueInt64())
	}
	resp.Diagnostics.Append(config.SharedConfigFiles.ElementsAs(ctx, &settings.SharedConfigFiles, true)...)
	resp.Diagnostics.Append(config.SharedCredentialsFiles.ElementsAs(ctx, &settings.SharedCredentialsFiles, true)...)
	if !config.AssumeRole.IsNull() && !config.AssumeRole.IsUnknown() {
		var role assumeRoleModel
		resp.Diagnostics.Append(config.AssumeRole.As(ctx, &role, objectAsOptions)...)
		settings.AssumeRole = &awsclient.AssumeRole{
			RoleARN: role.RoleARN.ValueString(), SessionName: role.SessionName.ValueString(), ExternalID: role.ExternalID.ValueString(),
		}
	}
	if !config.Endpoints.IsNull() && !config.Endpoints.IsUnknown() {
		var endpoints endpointsModel
		resp.Diagnostics.Append(config.Endpoints.As(ctx, &endpoints, objectAsOptions)...)
		settings.EC2Endpoint, settings.STSEndpoint = endpoints.EC2.ValueString(), endpoints.STS.ValueString()
	}
	data := &providerData{defaultTags: map[string]string{}, defaultTagsUnknown: config.DefaultTags.IsUnknown(), prefixLists: awsec2.NewPrefixListCache(),
		subnetHolders: awsec2.NewHolderLookups()}
	if !config.DefaultTags.IsNull() && !config.DefaultTags.IsUnknown() {
		var tags defaultTagsModel
		resp.Diagnostics.Append(config.DefaultTags.As(ctx, &tags, objectAsOptions)...)
		var known bool
		var diags diag.Diagnostics
		data.defaultTags, known, diags = expandStringMap(ctx, tags.Tags)
		resp.Diagnostics.Append(diags...)
		data.defaultTagsUnknown = !known
	}
	if resp.Diagnostics.HasError() {
		return
	}
	// Log where the provider points, never what it authenticates with.
	tflog.Debug(ctx, "configuring AWS client", map[string]any{
		"region": settings.Region, "profile": settings.Profile, "ec2_endpoint": settings.EC2Endpoint,
		"assume_role": settings.AssumeRole != nil, "max_retries": settings.MaxRetries,
	})
	client, err := awsclient.New(ctx, settings)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("region"), "Cannot configure the AWS client", err.Error())
		return
	}
	data.client = client
	resp.ResourceData = data
	resp.DataSourceData = data
}

func (p *ddveProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		newSecurityGroupResource,
		newSubnetNACLResource,
	}
}

func (p *ddveProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		newPortProfilesDataSource,
		newReachabilityDataSource,
		newRulesDataSource,
	}
}

func (p *ddveProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{
		newSecurityGroupRulesFunction,
		newNetworkACLEntriesFunction,
	}
}
