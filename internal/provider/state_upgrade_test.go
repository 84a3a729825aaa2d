package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// State written with rules and entries as lists (schema version 0) reads
// as sets, every element kept.
func TestStateUpgradeListsToSets(t *testing.T) {
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		typeName, attribute, state string
		want                       int
	}{
		{"ddve_security_group", "rules", `{"id":"sg-0123456789abcdef0","name":"ddve","vpc_id":"vpc-0123456789abcdef0",
			"rules":[
				{"direction":"ingress","protocol":"tcp","from_port":22,"to_port":22,"cidr_ipv4":"10.0.1.10/32","description":"ddve management: SSH","profile":"management","rule_id":"sgr-1"},
				{"direction":"egress","protocol":"tcp","from_port":443,"to_port":443,"prefix_list_id":"pl-0123456789abcdef0","description":"ddve object_storage: HTTPS to S3","profile":"object_storage","rule_id":"sgr-2"}
			]}`, 2},
		{"ddve_subnet_nacl", "entries", `{"id":"acl-0123456789abcdef0","vpc_id":"vpc-0123456789abcdef0",
			"entries":[
				{"rule_number":10,"egress":false,"rule_action":"deny","protocol":"-1","cidr_block":"5.5.5.5/32","from_port":0,"to_port":0,"icmp_type":0,"icmp_code":0,"purpose":"deny[0]"},
				{"rule_number":1000,"egress":false,"rule_action":"allow","protocol":"6","cidr_block":"10.0.1.10/32","from_port":22,"to_port":22,"icmp_type":0,"icmp_code":0,"purpose":"management: SSH"},
				{"rule_number":1000,"egress":true,"rule_action":"allow","protocol":"6","cidr_block":"10.0.1.10/32","from_port":1024,"to_port":65535,"icmp_type":0,"icmp_code":0,"purpose":"management: return traffic"}
			]}`, 3},
	}
	for _, c := range cases {
		resp, err := server.UpgradeResourceState(ctx, &tfprotov6.UpgradeResourceStateRequest{
			TypeName: c.typeName, Version: 0, RawState: &tfprotov6.RawState{JSON: []byte(c.state)},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range resp.Diagnostics {
			t.Errorf("%s: %s: %s", c.typeName, d.Summary, d.Detail)
		}
		if resp.UpgradedState == nil {
			t.Fatalf("%s: no upgraded state", c.typeName)
		}
		schema := schemas.ResourceSchemas[c.typeName]
		if schema.Version != schemaVersion {
			t.Errorf("%s: schema version %d, want %d", c.typeName, schema.Version, schemaVersion)
		}
		value, err := resp.UpgradedState.Unmarshal(schema.ValueType())
		if err != nil {
			t.Fatal(err)
		}
		var attrs map[string]tftypes.Value
		if err := value.As(&attrs); err != nil {
			t.Fatal(err)
		}
		collection := attrs[c.attribute]
		if !collection.Type().Is(tftypes.Set{}) {
			t.Errorf("%s.%s is a %s, want a set", c.typeName, c.attribute, collection.Type())
		}
		var elements []tftypes.Value
		if err := collection.As(&elements); err != nil {
			t.Fatal(err)
		}
		if len(elements) != c.want {
			t.Errorf("%s.%s holds %d elements, want %d", c.typeName, c.attribute, len(elements), c.want)
		}
	}
}
