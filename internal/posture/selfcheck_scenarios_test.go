package posture_test

import (
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
)

// The plan-time self-check accepts what the compilers make of every
// scenario the mutation test uses: a mutant it rejects is rejected for the
// mutation, not for the scenario.
func TestSelfCheckAcceptsMutationScenarios(t *testing.T) {
	for name, s := range mutationScenarios() {
		c := compile(s)
		if c.groupErr == nil {
			if err := evaluate.CheckGroup(s.intent, c.rules); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		if c.aclErr == nil {
			if err := evaluate.CheckACL(s.intent, s.aclOptions(unlimited), c.entries); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}
