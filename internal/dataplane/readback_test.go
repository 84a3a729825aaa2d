package dataplane

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// readBack is what EC2 holds for a posture, read through the SDK directly
// (never through the provider's finders): the DDVE group's rules, each
// subnet's associated ACL, the entries of the prefix lists the rules name,
// and the members of the groups they reference, which the test assigns.
type readBack struct {
	groupID     string
	rules       []types.SecurityGroupRule
	acls        map[string]types.NetworkAcl // by subnet name
	prefixLists map[string][]types.PrefixListEntry
	members     map[string][]netip.Addr
}

// readPosture reads the group and the ACLs of the network's subnets.
func readPosture(client *ec2.Client, n *acctest.Network, groupID string) (*readBack, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rb := &readBack{
		groupID:     groupID,
		acls:        map[string]types.NetworkAcl{},
		prefixLists: map[string][]types.PrefixListEntry{},
		members:     map[string][]netip.Addr{n.BastionGroupID: {bastion.addr, bastion.addr6}},
	}
	pages := ec2.NewDescribeSecurityGroupRulesPaginator(client, &ec2.DescribeSecurityGroupRulesInput{
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing the rules of %s: %w", groupID, err)
		}
		rb.rules = append(rb.rules, page.SecurityGroupRules...)
	}
	for _, r := range rb.rules {
		id := aws.ToString(r.PrefixListId)
		if id == "" || rb.prefixLists[id] != nil {
			continue
		}
		out, err := client.GetManagedPrefixListEntries(ctx, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(id)})
		if err != nil {
			return nil, fmt.Errorf("reading prefix list %s: %w", id, err)
		}
		rb.prefixLists[id] = out.Entries
	}
	for name, subnetID := range map[string]string{bastionSubnet.name: n.BastionSubnetID, ddveSubnet.name: n.DDVESubnetID, spareSubnet.name: n.SpareSubnetID} {
		out, err := client.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{
			{Name: aws.String("association.subnet-id"), Values: []string{subnetID}},
		}})
		if err != nil {
			return nil, fmt.Errorf("finding the ACL of subnet %s: %w", subnetID, err)
		}
		if len(out.NetworkAcls) != 1 {
			return nil, fmt.Errorf("subnet %s: %d ACLs associated", subnetID, len(out.NetworkAcls))
		}
		rb.acls[name] = out.NetworkAcls[0]
	}
	return rb, nil
}

// subnetsForRouter lists the subnets with the router's interfaces.
func (rb *readBack) subnetsForRouter() []Subnet {
	var out []Subnet
	for _, s := range vpcSubnets {
		out = append(out, Subnet{Name: s.name, Interface: s.bridge(), ACL: rb.acls[s.name]})
	}
	return out
}

// apply translates the posture and loads it into the DDVE and router
// namespaces.
func (l *lab) apply(rb *readBack) error {
	group, err := GroupRuleset("ddve_group", rb.rules, Resolver{PrefixLists: rb.prefixLists, GroupMembers: rb.members})
	if err != nil {
		return err
	}
	if err := l.loadRuleset(l.ns(ddve.role), "group", group); err != nil {
		return err
	}
	acls, err := ACLRuleset("ddve_nacl", rb.subnetsForRouter())
	if err != nil {
		return err
	}
	return l.loadRuleset(l.ns(routerRol), "nacl", acls)
}
