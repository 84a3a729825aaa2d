package acctest

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// CaptureID records the ID of the resource at address in *id, for a later
// step to compare with.
func CaptureID(address string, id *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[address]
		if !ok {
			return fmt.Errorf("%s not in state", address)
		}
		*id = rs.Primary.ID
		return nil
	}
}

// StateID reads the ID of the resource at address from the state, for
// checks that compare an ID in AWS with the one Terraform holds
// (CheckSubnetOn).
func StateID(address string) func(*terraform.State) string {
	return func(s *terraform.State) string { return s.RootModule().Resources[address].Primary.ID }
}

// FixedID stands for an ID known before the step, such as a VPC's default
// ACL, where StateID would read one from the state.
func FixedID(id string) func(*terraform.State) string {
	return func(*terraform.State) string { return id }
}

// StateIDs are the IDs of the resources of one type in the state.
func StateIDs(s *terraform.State, resourceType string) []string {
	var ids []string
	for _, rs := range s.RootModule().Resources {
		if rs.Type == resourceType {
			ids = append(ids, rs.Primary.ID)
		}
	}
	return ids
}
