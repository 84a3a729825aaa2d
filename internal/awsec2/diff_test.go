package awsec2_test

import (
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/awsec2"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

func TestDiffRules(t *testing.T) {
	ssh := posture.Rule{Direction: "ingress", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRIPv4: "10.0.1.10/32", Description: "ddve management: SSH"}
	https := posture.Rule{Direction: "ingress", Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRIPv4: "10.0.1.10/32", Description: "ddve management: HTTPS"}
	s3 := posture.Rule{Direction: "egress", Protocol: "tcp", FromPort: 443, ToPort: 443, PrefixListID: "pl-0123456789abcdef0", Description: "ddve object_storage: HTTPS to S3"}
	stale := https
	stale.Description = "old words"

	have := []awsec2.GroupRule{{Rule: ssh, ID: "sgr-1"}, {Rule: stale, ID: "sgr-2"}}
	authorize, describe, revoke := awsec2.DiffRules(have, []posture.Rule{https, s3})

	if len(authorize) != 1 || authorize[0].Key() != s3.Key() {
		t.Errorf("authorize %v, want the S3 rule", authorize)
	}
	if len(describe) != 1 || describe[0].ID != "sgr-2" || describe[0].Description != https.Description {
		t.Errorf("describe %v, want sgr-2 with the new description", describe)
	}
	if len(revoke) != 1 || revoke[0].ID != "sgr-1" {
		t.Errorf("revoke %v, want sgr-1", revoke)
	}
	if a, d, r := awsec2.DiffRules(have[:1], []posture.Rule{ssh}); len(a)+len(d)+len(r) != 0 {
		t.Errorf("unchanged rules produce work: %v %v %v", a, d, r)
	}
}
