package awsec2

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// awsOwner is the owner ID AWS-managed prefix lists report.
const awsOwner = "AWS"

// findPrefixLists describes the lists in one paginated call, and fails
// with ErrNotFound for a list the region does not have.
func findPrefixLists(ctx context.Context, client *ec2.Client, ids []string) (map[string]types.ManagedPrefixList, error) {
	found := make(map[string]types.ManagedPrefixList, len(ids))
	pages := ec2.NewDescribeManagedPrefixListsPaginator(client, &ec2.DescribeManagedPrefixListsInput{PrefixListIds: ids})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing prefix lists %v: %w", ids, notFound(err, codePrefixListNotFound, codePrefixListIDNotFound))
		}
		for _, pl := range page.PrefixLists {
			found[aws.ToString(pl.PrefixListId)] = pl
		}
	}
	for _, id := range ids {
		if _, ok := found[id]; !ok {
			return nil, fmt.Errorf("prefix list %s: %w in this region", id, ErrNotFound)
		}
	}
	return found, nil
}

// PrefixListWeights returns what each list counts against a security
// group's quota: a customer-managed list its max entries, in its own
// address family; AWS-managed lists report no weight through the API, and
// the gateway endpoint lists (S3, DynamoDB) weigh 1, in both families.
func PrefixListWeights(ctx context.Context, client *ec2.Client, ids []string) (map[string]posture.PrefixListWeight, error) {
	lists, err := findPrefixLists(ctx, client, ids)
	if err != nil {
		return nil, err
	}
	weights := make(map[string]posture.PrefixListWeight, len(lists))
	for id, pl := range lists {
		w := posture.PrefixListWeight{Weight: 1, Family: aws.ToString(pl.AddressFamily), AWSManaged: aws.ToString(pl.OwnerId) == awsOwner}
		if !w.AWSManaged && pl.MaxEntries != nil {
			w.Weight = int(*pl.MaxEntries)
		}
		weights[id] = w
	}
	return weights, nil
}

// PrefixListCIDRs resolves each list to its CIDRs, since network ACL
// entries cannot reference a list: one call to check the lists exist, then
// one paginated call per list.
func PrefixListCIDRs(ctx context.Context, client *ec2.Client, ids []string) (map[string][]string, error) {
	if _, err := findPrefixLists(ctx, client, ids); err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(ids))
	for _, id := range ids {
		pages := ec2.NewGetManagedPrefixListEntriesPaginator(client, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(id)})
		cidrs := []string{}
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("reading the entries of prefix list %s: %w", id, notFound(err, codePrefixListNotFound, codePrefixListIDNotFound))
			}
			for _, e := range page.Entries {
				cidrs = append(cidrs, aws.ToString(e.Cidr))
			}
		}
		out[id] = cidrs
	}
	return out, nil
}
