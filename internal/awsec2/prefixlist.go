package awsec2

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// awsOwner is the owner ID AWS-managed prefix lists report.
const awsOwner = "AWS"

// PrefixListCache keeps what one provider process read of prefix lists:
// Terraform starts the provider for each walk of a command, and every
// resource of a plan that names a list (the group and the ACLs of each
// posture, often the same S3 list) then shares one DescribeManagedPrefixLists
// and one GetManagedPrefixListEntries at the list's version, made by the
// first that asks while the others wait for it. A failed lookup is not
// kept. A nil cache keeps nothing.
type PrefixListCache struct {
	mu      sync.Mutex
	lists   map[string]*lookup[types.ManagedPrefixList]
	entries map[string]*lookup[[]string] // by list ID and version
}

// lookup is one read, done once, that others may wait for.
type lookup[T any] struct {
	done  chan struct{}
	value T
	err   error
}

// NewPrefixListCache returns an empty cache.
func NewPrefixListCache() *PrefixListCache {
	return &PrefixListCache{lists: map[string]*lookup[types.ManagedPrefixList]{}, entries: map[string]*lookup[[]string]{}}
}

// findPrefixLists describes the lists it does not hold yet in one
// paginated call, and fails with ErrNotFound for a list the region does
// not have.
func (c *PrefixListCache) findPrefixLists(ctx context.Context, client *ec2.Client, ids []string) (map[string]types.ManagedPrefixList, error) {
	if c == nil {
		return findPrefixLists(ctx, client, ids)
	}
	waiting := map[string]*lookup[types.ManagedPrefixList]{}
	var mine []string
	c.mu.Lock()
	for _, id := range ids {
		if l, ok := c.lists[id]; ok {
			waiting[id] = l
			continue
		}
		l := &lookup[types.ManagedPrefixList]{done: make(chan struct{})}
		c.lists[id], waiting[id] = l, l
		mine = append(mine, id)
	}
	c.mu.Unlock()
	if len(mine) > 0 {
		found, err := findPrefixLists(ctx, client, mine)
		c.mu.Lock()
		for _, id := range mine {
			l := c.lists[id]
			l.value, l.err = found[id], err
			if err != nil {
				delete(c.lists, id)
			}
			close(l.done)
		}
		c.mu.Unlock()
	}
	out := make(map[string]types.ManagedPrefixList, len(ids))
	for id, l := range waiting {
		select {
		case <-l.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if l.err != nil {
			return nil, l.err
		}
		out[id] = l.value
	}
	return out, nil
}

// listEntries reads the list's CIDRs at the version, once per version.
func (c *PrefixListCache) listEntries(ctx context.Context, client *ec2.Client, id string, version *int64) ([]string, error) {
	if c == nil {
		return listEntries(ctx, client, id, version)
	}
	key := fmt.Sprintf("%s@%d", id, aws.ToInt64(version))
	c.mu.Lock()
	l, ok := c.entries[key]
	if !ok {
		l = &lookup[[]string]{done: make(chan struct{})}
		c.entries[key] = l
	}
	c.mu.Unlock()
	if !ok {
		l.value, l.err = listEntries(ctx, client, id, version)
		if l.err != nil {
			c.mu.Lock()
			delete(c.entries, key)
			c.mu.Unlock()
		}
		close(l.done)
	}
	select {
	case <-l.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return slices.Clone(l.value), l.err
}

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

// awsManagedWeights are the weights of AWS-managed prefix lists, by the
// service part of the list's name (after com.amazonaws.<region or
// global>. and an ipv6. prefix), from the VPC user guide's table "AWS-managed
// prefix list weight". AWS reports no weight through the API.
var awsManagedWeights = map[string]int{
	"cloudfront.origin-facing": 55,
	"dynamodb":                 1,
	"ec2-instance-connect":     2,
	"groundstation":            5,
	"route53-healthchecks":     25,
	"s3":                       1,
	"s3express":                6,
	"vpc-lattice":              10,
}

// awsManagedWeight looks the list up in awsManagedWeights by its name,
// e.g. com.amazonaws.us-east-1.s3 or
// com.amazonaws.global.ipv6.cloudfront.origin-facing.
func awsManagedWeight(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "com.amazonaws.")
	if !ok {
		return 0, false
	}
	if _, service, ok := strings.Cut(rest, "."); ok {
		w, ok := awsManagedWeights[strings.TrimPrefix(service, "ipv6.")]
		return w, ok
	}
	return 0, false
}

// PrefixListWeights returns what each list counts against a security
// group's quota: a customer-managed list its max entries, in its own
// address family; an AWS-managed list its weight in AWS's table, in both
// families. For an AWS-managed list the table does not know, it counts the
// list's max entries, the most it could weigh, and says so in a warning.
func PrefixListWeights(ctx context.Context, client *ec2.Client, ids []string) (map[string]posture.PrefixListWeight, []string, error) {
	return (*PrefixListCache)(nil).Weights(ctx, client, ids)
}

// Weights is PrefixListWeights through the cache.
func (c *PrefixListCache) Weights(ctx context.Context, client *ec2.Client, ids []string) (map[string]posture.PrefixListWeight, []string, error) {
	lists, err := c.findPrefixLists(ctx, client, ids)
	if err != nil {
		return nil, nil, err
	}
	weights := make(map[string]posture.PrefixListWeight, len(lists))
	var warnings []string
	for _, id := range slices.Sorted(maps.Keys(lists)) {
		pl := lists[id]
		w := posture.PrefixListWeight{Weight: int(aws.ToInt32(pl.MaxEntries)), Family: aws.ToString(pl.AddressFamily), AWSManaged: aws.ToString(pl.OwnerId) == awsOwner}
		if w.AWSManaged {
			name := aws.ToString(pl.PrefixListName)
			if weight, ok := awsManagedWeight(name); ok {
				w.Weight = weight
			} else {
				warnings = append(warnings, fmt.Sprintf("AWS-managed prefix list %s (%s) is not in the provider's table of weights; "+
					"it is counted at its max entries, %d, in each family, which may be more than AWS counts", id, name, w.Weight))
			}
		}
		w.Weight = max(w.Weight, 1)
		weights[id] = w
	}
	return weights, warnings, nil
}

// PrefixListCIDRs resolves each list to its CIDRs, since network ACL
// entries cannot reference a list: one call to check the lists exist and
// learn their versions, then one paginated call per list, every page read
// at that version so that a list changing meanwhile cannot mix versions.
func PrefixListCIDRs(ctx context.Context, client *ec2.Client, ids []string) (map[string][]string, error) {
	return (*PrefixListCache)(nil).CIDRs(ctx, client, ids)
}

// CIDRs is PrefixListCIDRs through the cache.
func (c *PrefixListCache) CIDRs(ctx context.Context, client *ec2.Client, ids []string) (map[string][]string, error) {
	resolved, err := c.Resolve(ctx, client, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(resolved))
	for id, list := range resolved {
		out[id] = list.CIDRs
	}
	return out, nil
}

// ResolvedPrefixList is a prefix list's CIDRs at one version.
type ResolvedPrefixList struct {
	Name    string
	Version int64
	CIDRs   []string
}

// Resolve is CIDRs with each list's name and the version its CIDRs are
// of: AWS adds ranges to its lists over time, and entries compiled from
// an older version miss them.
func (c *PrefixListCache) Resolve(ctx context.Context, client *ec2.Client, ids []string) (map[string]ResolvedPrefixList, error) {
	lists, err := c.findPrefixLists(ctx, client, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ResolvedPrefixList, len(ids))
	for _, id := range ids {
		cidrs, err := c.listEntries(ctx, client, id, lists[id].Version)
		if err != nil {
			return nil, err
		}
		out[id] = ResolvedPrefixList{Name: aws.ToString(lists[id].PrefixListName), Version: aws.ToInt64(lists[id].Version), CIDRs: cidrs}
	}
	return out, nil
}

// listEntries reads the list's CIDRs, every page at the version.
func listEntries(ctx context.Context, client *ec2.Client, id string, version *int64) ([]string, error) {
	pages := ec2.NewGetManagedPrefixListEntriesPaginator(client, &ec2.GetManagedPrefixListEntriesInput{
		PrefixListId: aws.String(id), TargetVersion: version,
	})
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
	return cidrs, nil
}
