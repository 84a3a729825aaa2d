package acctest

import (
	"fmt"
	"net/netip"
)

// SeedVariables is the terraform.tfvars of demo/seed.tf for a network made
// by CreateNetwork, with the provider pointed at ec2Endpoint. The demo and
// the release check both plan the seed with it.
func SeedVariables(ec2Endpoint string, n *Network) string {
	// An S3 address to ask the reachability check about: the second of the
	// prefix list's first block.
	s3Address := netip.MustParsePrefix(n.S3PrefixListCIDR[0]).Addr().Next()
	return fmt.Sprintf("ec2_endpoint = %q\nvpc_id = %q\nbastion_sg_id = %q\nbastion_subnet_id = %q\nddve_subnet_id = %q\ns3_prefix_list_id = %q\ns3_address = %q\n",
		ec2Endpoint, n.VPCID, n.BastionGroupID, n.BastionSubnetID, n.DDVESubnetID, n.S3PrefixListID, s3Address)
}

// SeedResources is the seed article's whole posture as resources, for a
// network made by CreateNetwork: the DDVE group (named groupName) with
// management from the bastion and HTTPS to S3, the private subnet's ACL
// with 5.5.5.5 denied, and the bastion subnet's deny-list ACL.
func SeedResources(groupName string, n *Network) string {
	return fmt.Sprintf(`
resource "ddve_security_group" "ddve" {
  name   = %[6]q
  vpc_id = %[1]q
  profiles = {
    management     = { cidr_blocks = ["10.0.1.10/32"], security_group_ids = [%[2]q] }
    object_storage = { prefix_list_ids = [%[3]q] }
  }
}

resource "ddve_subnet_nacl" "private" {
  vpc_id     = %[1]q
  subnet_ids = [%[4]q]
  profiles = {
    management     = { cidr_blocks = ["10.0.1.10/32"] }
    object_storage = { prefix_list_ids = [%[3]q] }
  }
  deny = [{ cidr_block = "5.5.5.5/32" }]
}

resource "ddve_subnet_nacl" "bastion" {
  vpc_id         = %[1]q
  subnet_ids     = [%[5]q]
  deny           = [{ cidr_block = "5.5.5.5/32" }]
  default_action = "allow"
}
`, n.VPCID, n.BastionGroupID, n.S3PrefixListID, n.DDVESubnetID, n.BastionSubnetID, groupName)
}
