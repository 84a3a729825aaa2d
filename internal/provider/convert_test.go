package provider

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

func TestExpandStringSet(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		in    types.Set
		want  []string
		known bool
	}{
		{"null", types.SetNull(types.StringType), nil, true},
		{"unknown", types.SetUnknown(types.StringType), nil, false},
		{"unknown element", types.SetValueMust(types.StringType, []attr.Value{types.StringValue("a"), types.StringUnknown()}), nil, false},
		{"empty", types.SetValueMust(types.StringType, []attr.Value{}), []string{}, true},
		{"values, sorted", types.SetValueMust(types.StringType, []attr.Value{types.StringValue("b"), types.StringValue("a")}), []string{"a", "b"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, known, diags := expandStringSet(ctx, c.in)
			if diags.HasError() || known != c.known || !slices.Equal(got, c.want) {
				t.Fatalf("got %v known=%v %v, want %v known=%v", got, known, diags, c.want, c.known)
			}
		})
	}
	// A set of another element type is a decoding error, reported, not
	// dropped.
	if _, _, diags := expandStringSet(ctx, types.SetValueMust(types.Int64Type, []attr.Value{types.Int64Value(1)})); !diags.HasError() {
		t.Fatal("a set of numbers decoded as strings without a diagnostic")
	}
}

func TestExpandStringMap(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		in    types.Map
		want  map[string]string
		known bool
	}{
		{"null", types.MapNull(types.StringType), map[string]string{}, true},
		{"unknown", types.MapUnknown(types.StringType), map[string]string{}, false},
		{"unknown element", types.MapValueMust(types.StringType, map[string]attr.Value{"Owner": types.StringValue("x"), "Name": types.StringUnknown()}), map[string]string{}, false},
		{"empty", types.MapValueMust(types.StringType, map[string]attr.Value{}), map[string]string{}, true},
		{"values", types.MapValueMust(types.StringType, map[string]attr.Value{"Owner": types.StringValue("x")}), map[string]string{"Owner": "x"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, known, diags := expandStringMap(ctx, c.in)
			if diags.HasError() || known != c.known || len(got) != len(c.want) || (len(c.want) > 0 && got["Owner"] != c.want["Owner"]) {
				t.Fatalf("got %v known=%v %v, want %v known=%v", got, known, diags, c.want, c.known)
			}
		})
	}
}

func TestExpandIntent(t *testing.T) {
	ctx := context.Background()
	peers := func(cidrs ...attr.Value) attr.Value {
		set := types.SetNull(types.StringType)
		if cidrs != nil {
			set = types.SetValueMust(types.StringType, cidrs)
		}
		return types.ObjectValueMust(peersAttrTypes, map[string]attr.Value{
			"cidr_blocks": set, "ipv6_cidr_blocks": types.SetNull(types.StringType),
			"security_group_ids": types.SetNull(types.StringType), "prefix_list_ids": types.SetNull(types.StringType),
		})
	}
	profiles := func(m map[string]attr.Value) types.Map {
		return types.MapValueMust(types.ObjectType{AttrTypes: peersAttrTypes}, m)
	}
	noRules := types.ListNull(types.ObjectType{AttrTypes: customRuleAttrTypes})
	cases := []struct {
		name     string
		profiles types.Map
		known    bool
		want     []string // CIDRs of management
	}{
		{"null", types.MapNull(types.ObjectType{AttrTypes: peersAttrTypes}), true, nil},
		{"unknown", types.MapUnknown(types.ObjectType{AttrTypes: peersAttrTypes}), false, nil},
		{"unknown profile", profiles(map[string]attr.Value{"management": types.ObjectUnknown(peersAttrTypes)}), false, nil},
		{"unknown peer", profiles(map[string]attr.Value{"management": peers(types.StringUnknown())}), false, nil},
		{"empty", profiles(map[string]attr.Value{}), true, nil},
		{"values", profiles(map[string]attr.Value{"management": peers(types.StringValue("10.0.1.10/32"))}), true, []string{"10.0.1.10/32"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in, known, diags := intentModel{Profiles: c.profiles, CustomRules: noRules, AllowPublicIngress: types.BoolValue(false)}.expandIntent(ctx)
			if diags.HasError() || known != c.known {
				t.Fatalf("known=%v %v, want known=%v", known, diags, c.known)
			}
			if c.known && !slices.Equal(in.Profiles["management"].CIDRBlocks, c.want) {
				t.Fatalf("management peers %v, want %v", in.Profiles["management"].CIDRBlocks, c.want)
			}
		})
	}
}

// Entries and rules survive a round trip through their attributes.
func TestFlattenExpandRoundTrip(t *testing.T) {
	ctx := context.Background()
	entries := []posture.Entry{
		{RuleNumber: 10, Action: "deny", Protocol: "-1", CIDRBlock: "5.5.5.5/32", Purpose: "deny[0]"},
		{RuleNumber: 1000, Egress: true, Action: "allow", Protocol: "58", IPv6CIDRBlock: "2001:db8::/64", ICMPType: 129, ICMPCode: 0, Purpose: "custom: return traffic"},
		{RuleNumber: 1010, Action: "allow", Protocol: "6", CIDRBlock: "10.0.2.0/24", FromPort: 512, ToPort: 65535},
	}
	got, diags := expandEntries(ctx, flattenEntries(entries))
	if diags.HasError() || !slices.Equal(got, entries) {
		t.Fatalf("entries round trip: %v %v", got, diags)
	}
	if got, diags := expandEntries(ctx, elementSetUnknown(entryElementType)); got != nil || diags.HasError() {
		t.Fatalf("unknown entries read as %v", got)
	}

	rules := []awsec2.GroupRule{{ID: "sgr-1", Rule: posture.Rule{
		Direction: "ingress", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRIPv4: "10.0.1.10/32",
		Description: "ddve management: SSH", Profiles: []string{"management"},
	}}}
	back, diags := expandRules(ctx, flattenRules(rules, func(g awsec2.GroupRule) types.String { return joinProfiles(g.Profiles) }))
	if diags.HasError() || len(back) != 1 || back[0].Key() != rules[0].Key() || back[0].ID != "sgr-1" || !slices.Equal(back[0].Profiles, rules[0].Profiles) {
		t.Fatalf("rules round trip: %+v %v", back, diags)
	}
	// A rule yet to be authorized has an unknown ID in the plan.
	planned := flattenRules([]awsec2.GroupRule{{Rule: rules[0].Rule}}, func(awsec2.GroupRule) types.String { return types.StringNull() })
	object, ok := planned.Elements()[0].(elementValue)
	if !ok {
		t.Fatalf("a planned rule is %T, want a rule element", planned.Elements()[0])
	}
	if id := object.Attributes()["rule_id"]; !id.IsUnknown() {
		t.Fatalf("a new rule's ID is %v, want unknown", id)
	}
}

func TestEntriesQuotaProblem(t *testing.T) {
	for n, want := range map[int64]string{1: "at least 2", 2: "", 20: "", 40: "", 41: "at most 40", 1000: "at most 40"} {
		got := entriesQuotaProblem(n)
		if want == "" && got != "" || want != "" && !strings.Contains(got, want) {
			t.Errorf("quota %d: %q, want %q", n, got, want)
		}
	}
}
