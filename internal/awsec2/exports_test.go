package awsec2

import (
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
	DiffRulesCount = func(have []GroupRule, want []posture.Rule) int {
		d := diffRules(have, want)
		return len(d.authorize) + len(d.describe) + len(d.revoke)
	}
	CreateGroup          = createGroup
	Authorize            = authorize
	Revoke               = revoke
	RulesFromPermissions = rulesFromPermissions
	AWSManagedWeight     = awsManagedWeight
	Partition            = partition
	MoveSubnet           = moveSubnet
)
