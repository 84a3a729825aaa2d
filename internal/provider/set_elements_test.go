package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

func testEntries() []posture.Entry {
	return []posture.Entry{
		{RuleNumber: 10, Action: "deny", Protocol: "-1", CIDRBlock: "5.5.5.5/32", Purpose: "deny[0]"},
		{RuleNumber: 1000, Action: "allow", Protocol: "6", CIDRBlock: "10.0.1.10/32", FromPort: 22, ToPort: 22, Purpose: "management: SSH"},
		{RuleNumber: 1000, Egress: true, Action: "allow", Protocol: "6", CIDRBlock: "10.0.1.10/32", FromPort: 1024, ToPort: 65535, Purpose: "management: return traffic"},
	}
}

// The set type finds duplicates as the framework's does, by encoding.
func TestElementSetValidateFindsDuplicates(t *testing.T) {
	ctx := context.Background()
	typ := setOf(entryElementType)
	distinct, err := flattenEntries(testEntries()).ToTerraformValue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diags := typ.Validate(ctx, distinct, path.Root("entries")); diags.HasError() {
		t.Fatalf("distinct entries: %v", diags)
	}
	entries := testEntries()
	elems := entryObjects(append(entries, entries[1]))
	// NewSetValueMust keeps duplicates; Terraform would hand them over as is.
	twice, err := types.SetValueMust(entryElementType, elems).ToTerraformValue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	diags := typ.Validate(ctx, twice, path.Root("entries"))
	if len(diags) != 1 || diags[0].Summary() != "Duplicate Set Element" || !strings.Contains(diags[0].Detail(), "management: SSH") {
		t.Fatalf("duplicate entry: %v", diags)
	}
	// What SetType.Validate checks before duplicates is still checked.
	if diags := typ.Validate(ctx, tftypes.NewValue(tftypes.String, "x"), path.Root("entries")); !diags.HasError() {
		t.Fatal("a string passed as the entries set")
	}
}

// A set equal to the prior one is settled without the element walk; one
// that differs is left to it, which keeps the new elements.
func TestElementSetSemanticEquals(t *testing.T) {
	ctx := context.Background()
	prior := flattenEntries(testEntries())
	same, diags := flattenEntries(testEntries()).SetSemanticEquals(ctx, prior)
	if diags.HasError() || !same {
		t.Fatalf("equal sets: %v %v", same, diags)
	}
	changed := testEntries()
	changed[1].ToPort = 23
	same, diags = flattenEntries(changed).SetSemanticEquals(ctx, prior)
	if diags.HasError() || same {
		t.Fatalf("changed sets: %v %v", same, diags)
	}
}

// Elements read back from Terraform's values are the provider's element
// type, equal to the ones built, and format as an object does.
func TestElementRoundTrip(t *testing.T) {
	ctx := context.Background()
	built := flattenEntries(testEntries())
	raw, err := built.ToTerraformValue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	read, err := setOf(entryElementType).ValueFromTerraform(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if !read.Equal(built) || !built.Equal(read) {
		t.Fatalf("read back %v, built %v", read, built)
	}
	set, ok := read.(elementSet)
	if !ok {
		t.Fatalf("read back a %T", read)
	}
	for _, elem := range set.Elements() {
		e, ok := elem.(elementValue)
		if !ok {
			t.Fatalf("element is %T", elem)
		}
		if got, want := e.String(), e.ObjectValue.String(); got != want || e.String() != want {
			t.Fatalf("element text %q, object's %q", got, want)
		}
		if e.Equal(e.ObjectValue) {
			t.Fatal("an element equals a plain object")
		}
	}
}
