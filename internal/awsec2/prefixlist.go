package awsec2

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// awsOwner is the owner ID AWS-managed prefix lists report.
const awsOwner = "AWS"

// PrefixListWeights returns what each list counts against a security
// group's rule quota: its max entries when customer-managed; AWS-managed
// lists report no weight through the API, and the gateway endpoint lists
// (S3, DynamoDB) weigh 1. One call for all lists.
func PrefixListWeights(ctx context.Context, client *ec2.Client, ids []string) (map[string]int, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	weights := make(map[string]int, len(ids))
	pages := ec2.NewDescribeManagedPrefixListsPaginator(client, &ec2.DescribeManagedPrefixListsInput{PrefixListIds: ids})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing prefix lists %v: %w", ids, notFound(err, codePrefixListNotFound, codePrefixListIDNotFound))
		}
		for _, pl := range page.PrefixLists {
			weight := 1
			if aws.ToString(pl.OwnerId) != awsOwner && pl.MaxEntries != nil {
				weight = int(*pl.MaxEntries)
			}
			weights[aws.ToString(pl.PrefixListId)] = weight
		}
	}
	return weights, nil
}

// PrefixListCIDRs resolves each list to its CIDRs, one paginated call per
// list, since network ACL entries cannot reference a list.
func PrefixListCIDRs(ctx context.Context, client *ec2.Client, ids []string) (map[string][]string, error) {
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
