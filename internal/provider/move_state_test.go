package provider

import "testing"

// Terraform names the source provider in full; OpenTofu 1.10 sends the
// resource type's implied provider alone ("aws").
func TestIsHashiCorpAWS(t *testing.T) {
	for address, want := range map[string]bool{
		"registry.terraform.io/hashicorp/aws":   true,
		"registry.opentofu.org/hashicorp/aws":   true,
		"hashicorp/aws":                         true,
		"aws":                                   true,
		"registry.terraform.io/hashicorp/awscc": false,
		"registry.terraform.io/example/aws":     false,
		"registry.terraform.io/hashicorp/aws/x": false,
		"":                                      false,
	} {
		if got := isHashiCorpAWS(address); got != want {
			t.Errorf("isHashiCorpAWS(%q) = %v, want %v", address, got, want)
		}
	}
}
