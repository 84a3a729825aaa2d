package awsec2

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// Exports for tests in package awsec2_test.
var (
	DiffRules = func(have []GroupRule, want []posture.Rule) (authorize []posture.Rule, describe, revoke []GroupRule) {
		d := diffRules(have, want)
		return d.authorize, d.describe, d.revoke
	}
	DiffEntries = func(have, want []posture.Entry) (create, replace, del []posture.Entry) {
		d := diffEntries(have, want)
		return d.create, d.replace, d.delete
	}
	CreateGroup          = createGroup
	Authorize            = authorize
	Revoke               = revoke
	RulesFromPermissions = rulesFromPermissions
	AWSManagedWeight     = awsManagedWeight
	Partition            = partition
	MoveSubnet           = func(ctx context.Context, client *ec2.Client, vpcID, subnet, associationID, aclID string) error {
		return moveSubnet(ctx, client, vpcID, subnet, associationID, aclID)
	}
)
