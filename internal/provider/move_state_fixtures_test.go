package provider

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The fixtures in testdata are the states hashicorp/aws writes for an
// aws_security_group (schema version 1) and an aws_network_acl (version 0),
// attribute for attribute as its schema has them (vpc_security_group.go
// and vpc_network_acl.go in internal/service/ec2 of
// hashicorp/terraform-provider-aws): sets as JSON arrays, every attribute
// of a rule block present, empty strings and zeros where a rule has no
// value, timeouts null where none was configured.

// awsStateShapes are the attributes of each fixture and of its ingress and
// egress elements, as hashicorp/aws's schema names them.
var awsStateShapes = map[string]struct{ attributes, rule []string }{
	"aws_security_group_v1.json": {
		attributes: []string{"arn", "description", "egress", "id", "ingress", "name", "name_prefix", "owner_id",
			"revoke_rules_on_delete", "tags", "tags_all", "timeouts", "vpc_id"},
		rule: []string{"cidr_blocks", "description", "from_port", "ipv6_cidr_blocks", "prefix_list_ids", "protocol",
			"security_groups", "self", "to_port"},
	},
	"aws_network_acl_v0.json": {
		attributes: []string{"arn", "egress", "id", "ingress", "owner_id", "subnet_ids", "tags", "tags_all", "vpc_id"},
		rule: []string{"action", "cidr_block", "from_port", "icmp_code", "icmp_type", "ipv6_cidr_block", "protocol",
			"rule_no", "to_port"},
	},
}

// The fixtures keep hashicorp/aws's shape: an attribute added, dropped or
// misspelt while editing one fails here.
func TestAWSStateFixturesHaveTheSchemasShape(t *testing.T) {
	for name, shape := range awsStateShapes {
		var state map[string]any
		if err := json.Unmarshal(readFixture(t, name), &state); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := slices.Sorted(maps.Keys(state)); !slices.Equal(got, shape.attributes) {
			t.Errorf("%s has attributes %v, want %v", name, got, shape.attributes)
		}
		for _, block := range []string{"ingress", "egress"} {
			rules, _ := state[block].([]any)
			if len(rules) == 0 {
				t.Errorf("%s: no %s rule to check", name, block)
			}
			for i, r := range rules {
				rule, _ := r.(map[string]any)
				if got := slices.Sorted(maps.Keys(rule)); !slices.Equal(got, shape.rule) {
					t.Errorf("%s: %s[%d] has attributes %v, want %v", name, block, i, got, shape.rule)
				}
			}
		}
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// withAttribute returns the fixture's state with one attribute set to
// value, for the shapes the fixtures do not show.
func withAttribute(t *testing.T, state []byte, name string, value any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(state, &m); err != nil {
		t.Fatal(err)
	}
	m[name] = value
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// moveResourceState asks the provider to take over a hashicorp/aws
// resource's state as Terraform does for a moved block, and returns the
// target state's attributes, or the error diagnostics.
func moveResourceState(t *testing.T, req *tfprotov6.MoveResourceStateRequest) (map[string]tftypes.Value, []string) {
	t.Helper()
	ctx := context.Background()
	server, err := testAccProtoV6ProviderFactories["ddve"]()
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	schema := schemas.ResourceSchemas[req.TargetTypeName]
	if schema == nil {
		t.Fatalf("no schema for %s", req.TargetTypeName)
	}
	resp, err := server.MoveResourceState(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, d := range resp.Diagnostics {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			problems = append(problems, d.Summary+": "+d.Detail)
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	if resp.TargetState == nil {
		t.Fatal("no target state and no error: no mover took the state")
	}
	state, err := resp.TargetState.Unmarshal(schema.ValueType())
	if err != nil {
		t.Fatal(err)
	}
	var attributes map[string]tftypes.Value
	if err := state.As(&attributes); err != nil {
		t.Fatal(err)
	}
	return attributes, nil
}

func stringValue(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

func stringMap(m map[string]string) tftypes.Value {
	values := map[string]tftypes.Value{}
	for k, v := range m {
		values[k] = stringValue(v)
	}
	return tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, values)
}

func stringSet(values ...string) tftypes.Value {
	elems := []tftypes.Value{}
	for _, v := range values {
		elems = append(elems, stringValue(v))
	}
	return tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, elems)
}

// What move_state.go documents: the moved state holds the object's ID and
// the arguments that force replacement (with the ARN, owner and tags, so
// the first plan shows no change to them); every other attribute, the
// intent and the rules or entries among them, is null, so that Read fills
// rules and entries from AWS as after an import.
func TestMoveStateFromAWSFixtures(t *testing.T) {
	group, acl := readFixture(t, "aws_security_group_v1.json"), readFixture(t, "aws_network_acl_v0.json")
	for _, c := range []struct {
		name           string
		source, target string
		version        int64
		state          []byte
		want           map[string]tftypes.Value // all other attributes null
	}{
		{
			name: "security group", source: "aws_security_group", target: "ddve_security_group", version: 1, state: group,
			want: map[string]tftypes.Value{
				"id":          stringValue("sg-0a1b2c3d4e5f60718"),
				"name":        stringValue("ddve-legacy"),
				"description": stringValue("DDVE in the private subnet"),
				"vpc_id":      stringValue("vpc-0c1d2e3f4a5b60717"),
				"arn":         stringValue("arn:aws:ec2:us-east-1:123456789012:security-group/sg-0a1b2c3d4e5f60718"),
				"owner_id":    stringValue("123456789012"),
				"tags":        stringMap(map[string]string{"Name": "ddve-legacy"}),
				"tags_all":    stringMap(map[string]string{"Name": "ddve-legacy", "owner": "backup-team"}),
			},
		},
		{
			// No tags: hashicorp/aws writes empty maps, which stay null.
			name: "network ACL", source: "aws_network_acl", target: "ddve_subnet_nacl", version: 0, state: acl,
			want: map[string]tftypes.Value{
				"id":         stringValue("acl-0f1e2d3c4b5a69788"),
				"vpc_id":     stringValue("vpc-0c1d2e3f4a5b60717"),
				"subnet_ids": stringSet("subnet-0d1e2f3a4b5c60716"),
				"arn":        stringValue("arn:aws:ec2:us-east-1:123456789012:network-acl/acl-0f1e2d3c4b5a69788"),
				"owner_id":   stringValue("123456789012"),
			},
		},
		{
			// An ACL on no subnet: the empty set stays empty, so that
			// subnet_ids = [] in the configuration plans no change.
			name: "network ACL on no subnet", source: "aws_network_acl", target: "ddve_subnet_nacl", version: 0,
			state: withAttribute(t, acl, "subnet_ids", []string{}),
			want: map[string]tftypes.Value{
				"id":         stringValue("acl-0f1e2d3c4b5a69788"),
				"vpc_id":     stringValue("vpc-0c1d2e3f4a5b60717"),
				"subnet_ids": stringSet(),
				"arn":        stringValue("arn:aws:ec2:us-east-1:123456789012:network-acl/acl-0f1e2d3c4b5a69788"),
				"owner_id":   stringValue("123456789012"),
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, problems := moveResourceState(t, &tfprotov6.MoveResourceStateRequest{
				SourceProviderAddress: "hashicorp/aws", SourceTypeName: c.source, SourceSchemaVersion: c.version,
				SourceState: &tfprotov6.RawState{JSON: c.state}, TargetTypeName: c.target,
			})
			if problems != nil {
				t.Fatal(strings.Join(problems, "\n"))
			}
			for _, name := range slices.Sorted(maps.Keys(got)) {
				value := got[name]
				want, kept := c.want[name]
				switch {
				case kept && !value.Equal(want):
					t.Errorf("%s = %s, want %s", name, value, want)
				case !kept && !value.IsNull():
					t.Errorf("%s = %s, want null: the move leaves it to Read and the configuration", name, value)
				}
			}
			for name := range c.want {
				if _, ok := got[name]; !ok {
					t.Errorf("the target schema has no %s", name)
				}
			}
		})
	}
}

// A state of another schema version than the mover reads is refused, not
// guessed at.
func TestMoveStateRefusesOtherSchemaVersions(t *testing.T) {
	_, problems := moveResourceState(t, &tfprotov6.MoveResourceStateRequest{
		SourceProviderAddress: "hashicorp/aws", SourceTypeName: "aws_security_group", SourceSchemaVersion: 0,
		SourceState: &tfprotov6.RawState{JSON: readFixture(t, "aws_security_group_v1.json")}, TargetTypeName: "ddve_security_group",
	})
	if len(problems) != 1 || !strings.Contains(problems[0], "schema version 1; the state is version 0") {
		t.Errorf("problems: %q", problems)
	}
}
