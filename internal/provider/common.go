package provider

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsclient"
	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
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

// resourceBase is what both resources share: the configured client, the
// provider's default tags, and the steps every operation takes the same
// way (deadlines, tags, a resource gone outside Terraform, a create that
// failed half-way, import by ID).
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

// getter is a plan, a state or a configuration.
type getter interface {
	Get(ctx context.Context, target any) diag.Diagnostics
}

// decode reads a plan, state or configuration into its model; ok is false
// when that failed, with the reason in diags.
func decode[M any](ctx context.Context, from getter, diags *diag.Diagnostics) (m M, ok bool) {
	diags.Append(from.Get(ctx, &m)...)
	return m, !diags.HasError()
}

// operationTimeouts are the defaults of an operation's deadline, each
// overridable in the resource's timeouts block.
type operationTimeouts struct {
	create, update, delete time.Duration
}

// timeoutReader is a timeouts.Value method: Create, Update or Delete.
type timeoutReader func(ctx context.Context, fallback time.Duration) (time.Duration, diag.Diagnostics)

// withDeadline gives an operation its deadline: the configured timeout, or
// the default when none is set.
func withDeadline(ctx context.Context, configured timeoutReader, fallback time.Duration, diags *diag.Diagnostics) (context.Context, context.CancelFunc, time.Duration) {
	timeout, d := configured(ctx, fallback)
	diags.Append(d...)
	if d.HasError() {
		timeout = fallback
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return ctx, cancel, timeout
}

// planTagsAll is tags_all as the apply will write it: the provider's
// default tags under the resource's own, or unknown while any of them is,
// since the apply then learns values the plan cannot show.
func (r *resourceBase) planTagsAll(ctx context.Context, tags types.Map, diags *diag.Diagnostics) types.Map {
	own, known, d := expandStringMap(ctx, tags)
	diags.Append(d...)
	if !known || (r.data != nil && r.data.defaultTagsUnknown) {
		return types.MapUnknown(types.StringType)
	}
	return flattenStringMap(r.allTags(own))
}

// readTags splits the tags AWS holds into the resource's own and tags_all.
func (r *resourceBase) readTags(ctx context.Context, actual map[string]string, previous types.Map, diags *diag.Diagnostics) (tags, tagsAll types.Map) {
	previousOwn, _, d := expandStringMap(ctx, previous)
	diags.Append(d...)
	return flattenTags(r.ownTags(actual, previousOwn), previous), flattenStringMap(actual)
}

// syncTags writes tags_all when the plan changes it. It adds to diags what
// reading the two maps or writing the tags reports, and says whether the
// update may go on: it writes nothing when either map fails to read.
func (r *resourceBase) syncTags(ctx context.Context, thing, id string, state, plan types.Map, diags *diag.Diagnostics) bool {
	if plan.Equal(state) {
		return true
	}
	have, _, read := expandStringMap(ctx, state)
	want, _, d := expandStringMap(ctx, plan)
	read.Append(d...)
	diags.Append(read...)
	if read.HasError() {
		return false
	}
	if err := awsec2.UpdateTags(ctx, r.client().EC2, id, have, want); err != nil {
		diags.AddError("Updating tags of "+thing+" "+id, err.Error())
		return false
	}
	return true
}

// removeIfGone warns and removes the resource from the state when err
// says it no longer exists in AWS, so the next plan creates it again; it
// reports whether it did.
func removeIfGone(ctx context.Context, err error, resp *resource.ReadResponse, thing, id string) bool {
	if !awsec2.IsNotFound(err) {
		return false
	}
	resp.Diagnostics.AddWarning(thing+" gone",
		fmt.Sprintf("%s %s no longer exists; it is removed from the state and will be planned for creation.", thing, id))
	resp.State.RemoveResource(ctx)
	return true
}

// keepCreated records what a create made, even when a later step of it
// failed: the next apply then converges the resource (it is tainted and
// replaced) instead of leaving it in AWS unknown to Terraform.
func keepCreated(ctx context.Context, resp *resource.CreateResponse, model any, made bool, err error, thing string) {
	if made {
		resp.Diagnostics.Append(resp.State.Set(ctx, model)...)
	}
	if err != nil {
		resp.Diagnostics.AddError("Creating "+thing, err.Error())
	}
}

// allTags merges the provider's default tags under the resource's own.
func (r *resourceBase) allTags(own map[string]string) map[string]string {
	all := map[string]string{}
	if r.data != nil {
		maps.Copy(all, r.data.defaultTags)
	}
	maps.Copy(all, own)
	return all
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
