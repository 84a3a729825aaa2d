package provider

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsclient"
)

type (
	validatorString = validator.String
	validatorInt64  = validator.Int64
)

var (
	roleARNPattern  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/.+$`)
	subnetIDPattern = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	vpcIDValidator  = stringvalidator.RegexMatches(regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`), "must be a VPC ID such as vpc-0123456789abcdef0")
)

var objectAsOptions = basetypes.ObjectAsOptions{UnhandledNullAsEmpty: true, UnhandledUnknownAsEmpty: true}

// resourceBase is what both resources share: the configured client and the
// provider's default tags.
type resourceBase struct {
	data *providerData
}

func (r *resourceBase) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

// configuredData is what Configure handed to resources and data sources;
// nil while the provider is not configured yet, e.g. during validation.
func configuredData(v any, diags *diag.Diagnostics) *providerData {
	if v == nil {
		return nil
	}
	data, ok := v.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("Expected *providerData, got %T. Please report this issue to the provider developers.", v))
	}
	return data
}

func (r *resourceBase) client() *awsclient.Client { return r.data.client }

// allTags merges the provider's default tags under the resource's own.
func (r *resourceBase) allTags(own map[string]string) map[string]string {
	all := map[string]string{}
	if r.data != nil {
		maps.Copy(all, r.data.defaultTags)
	}
	maps.Copy(all, own)
	return all
}

// tagsValue is the tags attribute for own tags: an empty map stays empty
// when the configuration wrote "tags = {}", else it is null.
func tagsValue(own map[string]string, previous types.Map) types.Map {
	if len(own) == 0 && !previous.IsNull() && !previous.IsUnknown() {
		return types.MapValueMust(types.StringType, map[string]attr.Value{})
	}
	return mapValue(own)
}

// ownTags splits the tags AWS holds into the resource's own: a default tag
// with its default value belongs to the provider, unless the configuration
// set it on the resource too.
func (r *resourceBase) ownTags(actual, previous map[string]string) map[string]string {
	own := map[string]string{}
	for k, v := range actual {
		if d, isDefault := r.data.defaultTags[k]; isDefault && d == v {
			if _, wasOwn := previous[k]; !wasOwn {
				continue
			}
		}
		own[k] = v
	}
	return own
}

// importByID starts an import from the resource's ID, once it has the
// shape of one; Read does the rest.
func importByID(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse, pattern *regexp.Regexp, thing, example string) {
	id := strings.TrimSpace(req.ID)
	if !pattern.MatchString(id) {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("Import a %s by its ID, such as %s; got %q.", thing, example, req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}
