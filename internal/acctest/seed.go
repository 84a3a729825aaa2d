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
