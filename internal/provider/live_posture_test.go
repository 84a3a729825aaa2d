package provider

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
)

// Each step of reading a live posture is reported at the attribute the
// user should check, with the summary the data source has always shown.
func TestLivePostureDiagnostics(t *testing.T) {
	cause := errors.New("describing: boom")
	failed := func(step awsec2.LivePostureStep, err error) error {
		return fmt.Errorf("wrapped: %w", &awsec2.LivePostureError{Step: step, Err: err})
	}
	mismatch := &awsec2.VPCMismatchError{GroupID: "sg-1", GroupVPCID: "vpc-a", ACLID: "acl-1", ACLVPCID: "vpc-b"}
	for _, c := range []struct {
		name     string
		err      error
		bySubnet bool
		path     path.Path
		summary  string
		detail   string
	}{
		{"groups", failed(awsec2.ReadingGroups, cause), false, path.Root("security_group_ids"), "Cannot read the security groups", ""},
		{"acl by ID", failed(awsec2.ReadingACL, cause), false, path.Root("network_acl_id"), "Cannot read the network ACL", ""},
		{"acl by subnet", failed(awsec2.ReadingACL, cause), true, path.Root("subnet_id"), "Cannot read the network ACL", ""},
		{"vpcs", failed(awsec2.MatchingVPCs, mismatch), true, path.Root("subnet_id"), "Security group and subnet in different VPCs",
			"Security group sg-1 is in vpc-a, the network ACL acl-1 in vpc-b: a DDVE interface and its subnet share one VPC. Check the IDs."},
		{"rules", failed(awsec2.ReadingGroupRules, cause), false, path.Root("security_group_ids"), "Cannot read the security group's rules", ""},
		{"members", failed(awsec2.ReadingGroupMembers, cause), false, path.Path{}, "Cannot read the members of referenced security groups", ""},
		{"prefix lists", failed(awsec2.ReadingPrefixLists, cause), false, path.Path{}, "Cannot read the prefix lists the rules name", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			diags := livePostureDiagnostics(c.err, c.bySubnet)
			if len(diags) != 1 || diags[0].Severity() != diag.SeverityError {
				t.Fatalf("want one error, got %v", diags)
			}
			d := diags[0]
			var at path.Path
			if withPath, ok := d.(diag.DiagnosticWithPath); ok {
				at = withPath.Path()
			}
			if !at.Equal(c.path) || d.Summary() != c.summary {
				t.Errorf("got %q at %s, want %q at %s", d.Summary(), at, c.summary, c.path)
			}
			want := c.detail
			if want == "" {
				want = c.err.Error()
			}
			if d.Detail() != want {
				t.Errorf("detail %q, want %q", d.Detail(), want)
			}
		})
	}
}
