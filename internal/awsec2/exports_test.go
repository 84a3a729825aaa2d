package awsec2

import "github.com/ddvelabs/terraform-provider-ddve/internal/posture"

// Exports for tests in package awsec2_test.
var DiffRules = func(have []GroupRule, want []posture.Rule) (authorize []posture.Rule, describe, revoke []GroupRule) {
	d := diffRules(have, want)
	return d.authorize, d.describe, d.revoke
}
