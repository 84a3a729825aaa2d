package awsec2

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"golang.org/x/sync/errgroup"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// DefaultEntryConcurrency is how many entry calls run at once: EC2 takes
// one entry per call. Each call spends one token of EC2's mutating-call
// bucket (200, refilled at 5 a second) however many are in flight, so the
// number changes how soon an ACL is done, not how many calls it makes:
// with 50 ms a call, 30 entries take 1.9 s one at a time, 0.63 s four at
// a time, 0.43 s eight at a time and 0.34 s sixteen at a time
// (BenchmarkCreateACL30), where the create, association and read-back
// calls are 0.2 s of it. Sixteen saves two rounds of 50 ms and makes the
// burst of a fleet apply twice as steep, where the calls are paced by
// EC2's refill rate anyway.
const DefaultEntryConcurrency = 8

// lastUserRuleNumber is the highest number an ACL entry of ours can have;
// 32767 and 32768 are AWS's built-in deny-all entries.
const lastUserRuleNumber = 32766

// NetworkACL is a network ACL with its entries and subnet associations.
type NetworkACL struct {
	ID, ARN, OwnerID, VPCID string
	IsDefault               bool
	// Tags leave out ManagedByTag, which is the provider's own.
	Tags    map[string]string
	Entries []posture.Entry
	// Associations maps each associated subnet to its association ID.
	Associations map[string]string
	// Managed is set on ACLs this provider created: it tells another
	// ddve_subnet_nacl's ACL from one made by some other tool.
	Managed bool
}

// ManagedByTag marks the network ACLs this provider creates, so that two
// resources claiming one subnet can be told apart from a migration off a
// hand-made ACL.
const ManagedByTag = "ddve:managed-by"

// managedByValue is ManagedByTag's value.
const managedByValue = "ddve_subnet_nacl"

// FindNetworkACLByID returns the ACL, or ErrNotFound. It asks by ID
// rather than by the network-acl-id filter, which emulators lack.
func FindNetworkACLByID(ctx context.Context, client *ec2.Client, id string) (*NetworkACL, error) {
	out, err := client.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{id}})
	if err != nil {
		return nil, notFound(err, aclNotFoundCodes...)
	}
	if len(out.NetworkAcls) != 1 {
		return nil, fmt.Errorf("network ACL %s: %w", id, ErrNotFound)
	}
	return aclFromAWS(out.NetworkAcls[0], client.Options().Region), nil
}

// FindVPCNetworkACLs returns every ACL of the VPC: their associations say
// where each subnet is now, and one of them is the VPC's default ACL.
func FindVPCNetworkACLs(ctx context.Context, client *ec2.Client, vpcID string) ([]*NetworkACL, error) {
	return findNetworkACLs(ctx, client, []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}})
}

func findNetworkACLs(ctx context.Context, client *ec2.Client, filters []types.Filter) ([]*NetworkACL, error) {
	var out []*NetworkACL
	pages := ec2.NewDescribeNetworkAclsPaginator(client, &ec2.DescribeNetworkAclsInput{Filters: filters})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, notFound(err, aclNotFoundCodes...)
		}
		for _, acl := range page.NetworkAcls {
			out = append(out, aclFromAWS(acl, client.Options().Region))
		}
	}
	return out, nil
}

func aclFromAWS(acl types.NetworkAcl, region string) *NetworkACL {
	out := &NetworkACL{
		ID: aws.ToString(acl.NetworkAclId), OwnerID: aws.ToString(acl.OwnerId), VPCID: aws.ToString(acl.VpcId),
		IsDefault: aws.ToBool(acl.IsDefault), Tags: fromTags(acl.Tags), Associations: map[string]string{},
	}
	out.Managed = out.Tags[ManagedByTag] == managedByValue
	delete(out.Tags, ManagedByTag)
	out.ARN = ec2ARN(region, out.OwnerID, "network-acl/"+out.ID)
	for _, a := range acl.Associations {
		out.Associations[aws.ToString(a.SubnetId)] = aws.ToString(a.NetworkAclAssociationId)
	}
	for _, e := range acl.Entries {
		if n := int(aws.ToInt32(e.RuleNumber)); n >= 1 && n <= lastUserRuleNumber {
			out.Entries = append(out.Entries, entryFromAWS(e))
		}
	}
	posture.SortEntries(out.Entries)
	return out
}

// entryFromAWS normalises an entry: the protocol as its number (the
// emulator keeps names such as "tcp"), ports only for TCP and UDP, type and
// code only for ICMP.
func entryFromAWS(e types.NetworkAclEntry) posture.Entry {
	proto := aws.ToString(e.Protocol)
	n, ok := posture.ProtocolNumber(proto)
	if ok {
		proto = strconv.Itoa(n)
	}
	out := posture.Entry{
		RuleNumber: int(aws.ToInt32(e.RuleNumber)), Egress: aws.ToBool(e.Egress),
		Action: string(e.RuleAction), Protocol: proto,
		CIDRBlock: aws.ToString(e.CidrBlock), IPv6CIDRBlock: aws.ToString(e.Ipv6CidrBlock),
	}
	switch {
	case posture.HasPorts(n) && e.PortRange != nil:
		out.FromPort, out.ToPort = int(aws.ToInt32(e.PortRange.From)), int(aws.ToInt32(e.PortRange.To))
	case posture.IsICMP(n) && e.IcmpTypeCode != nil:
		out.ICMPType, out.ICMPCode = int(aws.ToInt32(e.IcmpTypeCode.Type)), int(aws.ToInt32(e.IcmpTypeCode.Code))
	}
	return out
}

func createEntryInput(aclID string, e posture.Entry) *ec2.CreateNetworkAclEntryInput {
	in := &ec2.CreateNetworkAclEntryInput{
		NetworkAclId: aws.String(aclID), RuleNumber: aws.Int32(int32(e.RuleNumber)), Egress: aws.Bool(e.Egress),
		RuleAction: types.RuleAction(e.Action), Protocol: aws.String(e.Protocol),
	}
	if e.CIDRBlock != "" {
		in.CidrBlock = aws.String(e.CIDRBlock)
	} else {
		in.Ipv6CidrBlock = aws.String(e.IPv6CIDRBlock)
	}
	switch n, _ := posture.ProtocolNumber(e.Protocol); {
	case posture.HasPorts(n):
		in.PortRange = &types.PortRange{From: aws.Int32(int32(e.FromPort)), To: aws.Int32(int32(e.ToPort))}
	case posture.IsICMP(n):
		in.IcmpTypeCode = &types.IcmpTypeCode{Type: aws.Int32(int32(e.ICMPType)), Code: aws.Int32(int32(e.ICMPCode))}
	}
	return in
}

// CreateACLInput is a new ACL with its entries and subnets.
type CreateACLInput struct {
	VPCID       string
	Tags        map[string]string
	Entries     []posture.Entry
	SubnetIDs   []string
	Concurrency int // entry calls in flight; DefaultEntryConcurrency when 0
}

// CreateNetworkACL creates the ACL with its tags, adds the entries, moves
// the subnets onto it and reads it back, waiting until EC2 lists what was
// written. It also returns the VPC's default ACL, found by the same call
// that finds the subnets' associations, before anything is created. When
// a step after the create fails, the ACL is returned with the error so the
// caller records it.
func CreateNetworkACL(ctx context.Context, client *ec2.Client, in CreateACLInput) (*NetworkACL, string, error) {
	layout, err := waitForUnclaimedLayout(ctx, client, in.VPCID, "", in.SubnetIDs)
	if err != nil {
		return nil, layout.defaultACLID, err
	}
	// The SDK fills ClientToken and keeps it when it repeats the call, so
	// a lost reply does not make a second ACL.
	out, err := client.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{
		VpcId:             aws.String(in.VPCID),
		TagSpecifications: tagSpecifications(types.ResourceTypeNetworkAcl, withManagedBy(in.Tags)),
	})
	if err != nil {
		return nil, "", fmt.Errorf("creating network ACL in %s: %w", in.VPCID, err)
	}
	created := aclFromAWS(*out.NetworkAcl, client.Options().Region)
	created.Entries = nil // AWS shows its built-in entries only
	tflog.Debug(ctx, "created network ACL", map[string]any{"id": created.ID})

	if err := SyncEntries(ctx, client, created.ID, nil, in.Entries, in.Concurrency); err != nil {
		return created, layout.defaultACLID, err
	}
	if err := layout.associate(ctx, client, created.ID, in.SubnetIDs); err != nil {
		return created, layout.defaultACLID, err
	}
	acl, err := waitForNetworkACL(ctx, client, created.ID, in.Entries, in.SubnetIDs)
	if err != nil {
		return created, layout.defaultACLID, err
	}
	return acl, layout.defaultACLID, nil
}

// waitForNetworkACL reads the ACL until EC2 lists the entries and
// subnet associations just written: right after a change, and after a
// create above all, a describe can be short of them, and Terraform would
// report an inconsistent result.
func waitForNetworkACL(ctx context.Context, client *ec2.Client, id string, entries []posture.Entry, subnetIDs []string) (*NetworkACL, error) {
	var acl *NetworkACL
	retryable := func(err error) bool { return IsNotFound(err) || errors.Is(err, errNotListed) }
	err := retryWhile(ctx, propagationTimeout, retryable, func() error {
		var err error
		if acl, err = FindNetworkACLByID(ctx, client, id); err != nil {
			return err
		}
		if d := diffEntries(acl.Entries, entries); !d.empty() {
			return fmt.Errorf("%w: %d entries differ", errNotListed, len(d.create)+len(d.replace)+len(d.delete))
		}
		for _, subnet := range subnetIDs {
			if _, ok := acl.Associations[subnet]; !ok {
				return fmt.Errorf("%w: the association of subnet %s", errNotListed, subnet)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading network ACL %s back: %w", id, err)
	}
	return acl, nil
}

// errNotListed: what was written is not listed yet.
var errNotListed = errors.New("not listed yet")

// vpcLayout is where each subnet of a VPC is: its ACL and association.
type vpcLayout struct {
	vpcID        string
	defaultACLID string
	aclOf        map[string]string // subnet -> ACL
	associations map[string]string // subnet -> association ID
	managed      map[string]bool   // ACL -> made by this provider
}

func newVPCLayout(acls []*NetworkACL) vpcLayout {
	l := vpcLayout{aclOf: map[string]string{}, associations: map[string]string{}, managed: map[string]bool{}}
	for _, acl := range acls {
		l.vpcID = acl.VPCID
		if acl.IsDefault {
			l.defaultACLID = acl.ID
		}
		l.managed[acl.ID] = acl.Managed
		for subnet, assoc := range acl.Associations {
			l.aclOf[subnet], l.associations[subnet] = acl.ID, assoc
		}
	}
	return l
}

// subnetTimeout bounds the wait for a subnet made moments ago (in the
// same apply, say) to show its association with the VPC's default ACL.
const subnetTimeout = 30 * time.Second

// waitForVPCLayout reads where each subnet of the VPC is, waiting a little
// for subnets that do not show an association yet.
func waitForVPCLayout(ctx context.Context, client *ec2.Client, vpcID string, subnetIDs []string) (vpcLayout, error) {
	var layout vpcLayout
	err := retryWhile(ctx, subnetTimeout, func(err error) bool { return errors.Is(err, errNotListed) }, func() error {
		acls, err := FindVPCNetworkACLs(ctx, client, vpcID)
		if err != nil {
			return fmt.Errorf("finding the network ACLs of %s: %w", vpcID, err)
		}
		layout = newVPCLayout(acls)
		if layout.defaultACLID == "" {
			return fmt.Errorf("VPC %s has no default network ACL: check that it exists", vpcID)
		}
		for _, subnet := range subnetIDs {
			if _, ok := layout.associations[subnet]; !ok {
				return fmt.Errorf("subnet %s has no network ACL association in %s (%w): check that it exists and lies in this VPC", subnet, vpcID, errNotListed)
			}
		}
		return nil
	})
	return layout, err
}

// ErrSubnetClaimed: a subnet is held by another network ACL this provider
// manages, so two resources claim it.
var ErrSubnetClaimed = errors.New("subnet claimed by another DDVE network ACL")

// claimWait is how long a subnet held by another DDVE network ACL is given
// to be let go before a create or an update refuses it: in one apply,
// Terraform may create the ACL a subnet moves to while it updates or
// destroys the one it leaves.
var claimWait = 30 * time.Second

// waitForUnclaimedLayout reads the VPC's layout, waiting up to claimWait for
// the subnets to be held by no other DDVE network ACL than aclID.
func waitForUnclaimedLayout(ctx context.Context, client *ec2.Client, vpcID, aclID string, subnetIDs []string) (vpcLayout, error) {
	var layout vpcLayout
	err := retryWhile(ctx, claimWait, func(err error) bool { return errors.Is(err, ErrSubnetClaimed) }, func() error {
		var err error
		if layout, err = waitForVPCLayout(ctx, client, vpcID, subnetIDs); err != nil {
			return err
		}
		return layout.refuseClaims(aclID, subnetIDs)
	})
	return layout, err
}

// refuseClaims fails, before anything is made, when a subnet to move to
// aclID is held by another ACL this provider manages: moving it would
// start a tug of war between two resources.
func (l vpcLayout) refuseClaims(aclID string, subnetIDs []string) error {
	var errs []error
	for _, subnet := range subnetIDs {
		if holder := l.aclOf[subnet]; holder != aclID && l.managed[holder] {
			errs = append(errs, fmt.Errorf("%w: subnet %s is associated with network ACL %s, which another ddve_subnet_nacl manages. "+
				"List each subnet in one ddve_subnet_nacl only: remove %s from this one, or from the one that manages %s",
				ErrSubnetClaimed, subnet, holder, subnet, holder))
		}
	}
	return errors.Join(errs...)
}

// associate moves subnets onto the ACL through their current associations.
func (l vpcLayout) associate(ctx context.Context, client *ec2.Client, aclID string, subnetIDs []string) error {
	for _, subnet := range subnetIDs {
		if l.aclOf[subnet] == aclID {
			continue
		}
		if err := moveSubnet(ctx, client, l.vpcID, subnet, l.associations[subnet], l.aclOf[subnet], aclID, false); err != nil {
			return fmt.Errorf("associating subnet %s with network ACL %s: %w", subnet, aclID, err)
		}
	}
	return nil
}

// entryDiff is what turns one set of ACL entries into another.
type entryDiff struct {
	create, replace, delete []posture.Entry
}

func (d entryDiff) empty() bool { return len(d.create)+len(d.replace)+len(d.delete) == 0 }

// entrySlot is where an entry lives: its direction and rule number.
type entrySlot struct {
	egress bool
	number int
}

func slotOf(e posture.Entry) entrySlot { return entrySlot{e.Egress, e.RuleNumber} }

// diffEntries compares entries by slot, which the compiler keeps stable
// for every entry that survives: a slot only wanted is created, one whose
// entry changed is replaced, one no longer wanted is deleted.
func diffEntries(have, want []posture.Entry) entryDiff {
	haveBySlot := make(map[entrySlot]posture.Entry, len(have))
	for _, e := range have {
		haveBySlot[slotOf(e)] = e
	}
	var d entryDiff
	wanted := make(map[entrySlot]bool, len(want))
	for _, e := range want {
		wanted[slotOf(e)] = true
		old, ok := haveBySlot[slotOf(e)]
		switch {
		case !ok:
			d.create = append(d.create, e)
		case old.Key() != e.Key():
			d.replace = append(d.replace, e)
		}
	}
	for _, e := range have {
		if !wanted[slotOf(e)] {
			d.delete = append(d.delete, e)
		}
	}
	return d
}

// SyncEntries makes the ACL's entries equal to want without a moment where
// a wanted flow is dropped: new numbers are created and changed numbers
// swapped in place (ReplaceNetworkAclEntry is atomic) before the numbers
// that are gone are deleted.
//
// A call the SDK repeated after a lost reply answers
// NetworkAclEntryAlreadyExists (create) or InvalidNetworkAclEntry.NotFound
// (delete); each is taken as done when AWS holds what was asked. A replace
// repeated is the same replace.
func SyncEntries(ctx context.Context, client *ec2.Client, aclID string, have, want []posture.Entry, concurrency int) error {
	d := diffEntries(have, want)
	if d.empty() {
		return nil
	}
	tflog.Debug(ctx, "syncing network ACL entries", map[string]any{
		"id": aclID, "create": len(d.create), "replace": len(d.replace), "delete": len(d.delete),
	})
	call := func(ctx context.Context, fn func() error) error { return retryWhileNotFound(ctx, aclNotFoundCodes, fn) }
	if err := forEach(ctx, concurrency, d.create, func(ctx context.Context, e posture.Entry) error {
		err := call(ctx, func() error {
			_, err := client.CreateNetworkAclEntry(ctx, createEntryInput(aclID, e))
			return err
		})
		if hasCode(err, codeEntryAlreadyExists) {
			err = entryHeld(ctx, client, aclID, e, err)
		}
		if err != nil {
			if hasCode(err, codeEntryLimitExceeded) {
				err = entriesLimit(want, e.Egress, err)
			}
			return fmt.Errorf("creating entry %s of network ACL %s: %w", e, aclID, err)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := forEach(ctx, concurrency, d.replace, func(ctx context.Context, e posture.Entry) error {
		c := createEntryInput(aclID, e)
		err := call(ctx, func() error {
			_, err := client.ReplaceNetworkAclEntry(ctx, &ec2.ReplaceNetworkAclEntryInput{
				NetworkAclId: c.NetworkAclId, RuleNumber: c.RuleNumber, Egress: c.Egress, RuleAction: c.RuleAction,
				Protocol: c.Protocol, CidrBlock: c.CidrBlock, Ipv6CidrBlock: c.Ipv6CidrBlock,
				PortRange: c.PortRange, IcmpTypeCode: c.IcmpTypeCode,
			})
			return err
		})
		if err != nil {
			return fmt.Errorf("replacing entry %s of network ACL %s: %w", e, aclID, err)
		}
		return nil
	}); err != nil {
		return err
	}
	return forEach(ctx, concurrency, d.delete, func(ctx context.Context, e posture.Entry) error {
		err := call(ctx, func() error {
			_, err := client.DeleteNetworkAclEntry(ctx, &ec2.DeleteNetworkAclEntryInput{
				NetworkAclId: aws.String(aclID), RuleNumber: aws.Int32(int32(e.RuleNumber)), Egress: aws.Bool(e.Egress),
			})
			return err
		})
		if err != nil && !hasCode(err, codeEntryNotFound) {
			return fmt.Errorf("deleting entry %s of network ACL %s: %w", e, aclID, err)
		}
		return nil
	})
}

// entryHeld answers a create that found its slot taken: done when the
// slot holds exactly the entry asked for, else the original error.
func entryHeld(ctx context.Context, client *ec2.Client, aclID string, want posture.Entry, createErr error) error {
	acl, err := FindNetworkACLByID(ctx, client, aclID)
	if err != nil {
		return errors.Join(createErr, err)
	}
	for _, e := range acl.Entries {
		if slotOf(e) == slotOf(want) && e.Key() == want.Key() {
			return nil
		}
	}
	return createErr
}

// entriesLimit explains AWS's entry quota error, which the plan counts
// against entries_per_direction_quota unless the account's quota is
// lower: how many entries the direction would hold, and what to change.
func entriesLimit(want []posture.Entry, egress bool, err error) error {
	count := 0
	for _, e := range want {
		if e.Egress == egress {
			count++
		}
	}
	direction := posture.Entry{Egress: egress}.Direction()
	return fmt.Errorf("the ACL would hold %d %s entries, more than the account's quota of rules per network ACL, which is lower than entries_per_direction_quota allows; "+
		"set entries_per_direction_quota to the account's quota, or raise \"Rules per network ACL\" (L-2AEEBF1A) in Service Quotas: %w", count, direction, err)
}

// forEach runs fn over items with at most concurrency calls in flight and
// stops at the first error.
func forEach[T any](ctx context.Context, concurrency int, items []T, fn func(context.Context, T) error) error {
	if concurrency <= 0 {
		concurrency = DefaultEntryConcurrency
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	for _, item := range items {
		g.Go(func() error { return fn(ctx, item) })
	}
	return g.Wait()
}

// AssociateSubnets moves subnets onto the ACL through their current
// associations, which one DescribeNetworkAcls call of the VPC finds.
func AssociateSubnets(ctx context.Context, client *ec2.Client, aclID, vpcID string, subnetIDs []string) error {
	layout, err := waitForUnclaimedLayout(ctx, client, vpcID, aclID, subnetIDs)
	if err != nil {
		return err
	}
	return layout.associate(ctx, client, aclID, subnetIDs)
}

// ReleaseSubnets moves subnets from the ACL back to the VPC's default ACL.
func ReleaseSubnets(ctx context.Context, client *ec2.Client, acl *NetworkACL, defaultACLID string, subnetIDs []string) error {
	for _, subnet := range subnetIDs {
		assoc, ok := acl.Associations[subnet]
		if !ok {
			continue
		}
		if err := moveSubnet(ctx, client, acl.VPCID, subnet, assoc, acl.ID, defaultACLID, true); err != nil {
			return fmt.Errorf("moving subnet %s back to the default network ACL %s: %w", subnet, defaultACLID, err)
		}
	}
	return nil
}

// moveSubnet replaces the subnet's association, with network ACL from,
// by one with aclID. ReplaceNetworkAclAssociation gives the subnet a new
// association ID, so a call the SDK repeated after a lost reply answers
// InvalidAssociationID.NotFound: the association is then found again, and
// the move is done if the subnet is on aclID. If it is on neither, someone
// else moved it meanwhile (another ddve_subnet_nacl of the same apply,
// say): a subnet being released is then no longer ours to release, and
// one being joined is refused at once, naming both ACLs, rather than taken
// from the other.
func moveSubnet(ctx context.Context, client *ec2.Client, vpcID, subnet, associationID, from, aclID string, releasing bool) error {
	err := replaceAssociation(ctx, client, associationID, aclID)
	if !hasCode(err, codeAssociationNotFound) {
		return err
	}
	layout, findErr := waitForVPCLayout(ctx, client, vpcID, []string{subnet})
	switch holder := layout.aclOf[subnet]; {
	case findErr != nil:
		return errors.Join(err, findErr)
	case holder == aclID:
		return nil
	case holder != from && releasing:
		return nil
	case holder != from && layout.managed[holder]:
		return fmt.Errorf("%w: subnet %s moved from network ACL %s to %s while this apply moved it to %s. "+
			"List each subnet in one ddve_subnet_nacl only, and leave it to that one",
			ErrSubnetClaimed, subnet, from, holder, aclID)
	case holder != from:
		return fmt.Errorf("subnet %s moved from network ACL %s to %s, which this provider does not manage, while this apply moved it to %s: "+
			"something else manages the subnet's network ACL association; leave the subnet to one of them", subnet, from, holder, aclID)
	}
	return replaceAssociation(ctx, client, layout.associations[subnet], aclID)
}

func replaceAssociation(ctx context.Context, client *ec2.Client, associationID, aclID string) error {
	return retryWhileNotFound(ctx, aclNotFoundCodes, func() error {
		_, err := client.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{
			AssociationId: aws.String(associationID), NetworkAclId: aws.String(aclID),
		})
		return err
	})
}

// FindDefaultNetworkACLID returns the ID of the VPC's default ACL.
func FindDefaultNetworkACLID(ctx context.Context, client *ec2.Client, vpcID string) (string, error) {
	acls, err := findNetworkACLs(ctx, client, []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpcID}},
		{Name: aws.String("default"), Values: []string{"true"}},
	})
	if err != nil {
		return "", err
	}
	if len(acls) != 1 {
		return "", fmt.Errorf("default network ACL of %s: %w", vpcID, ErrNotFound)
	}
	return acls[0].ID, nil
}

// DeleteNetworkACL moves every subnet still on the ACL back to the VPC's
// default ACL, then deletes it, retrying while AWS still sees a dependency.
func DeleteNetworkACL(ctx context.Context, client *ec2.Client, id, defaultACLID string, timeout time.Duration) error {
	acl, err := FindNetworkACLByID(ctx, client, id)
	if IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(acl.Associations) > 0 {
		if defaultACLID == "" {
			if defaultACLID, err = FindDefaultNetworkACLID(ctx, client, acl.VPCID); err != nil {
				return err
			}
		}
		subnets := make([]string, 0, len(acl.Associations))
		for s := range acl.Associations {
			subnets = append(subnets, s)
		}
		if err := ReleaseSubnets(ctx, client, acl, defaultACLID, subnets); err != nil {
			return err
		}
	}
	err = retryWhile(ctx, timeout, anyOfCodes(codeDependencyViolation), func() error {
		_, err := client.DeleteNetworkAcl(ctx, &ec2.DeleteNetworkAclInput{NetworkAclId: aws.String(id)})
		return err
	})
	// Not found: gone already, or deleted by a call the SDK repeated.
	if err != nil && !hasCode(err, aclNotFoundCodes...) {
		return fmt.Errorf("deleting network ACL %s: %w", id, err)
	}
	return nil
}

func withManagedBy(tags map[string]string) map[string]string {
	out := maps.Clone(tags)
	if out == nil {
		out = map[string]string{}
	}
	out[ManagedByTag] = managedByValue
	return out
}

// FindSubnetHolders returns, for each subnet, the network ACL it is
// associated with now, in one call.
func FindSubnetHolders(ctx context.Context, client *ec2.Client, subnetIDs []string) (map[string]*NetworkACL, error) {
	holders := make(map[string]*NetworkACL, len(subnetIDs))
	if len(subnetIDs) == 0 {
		return holders, nil
	}
	acls, err := findNetworkACLs(ctx, client, []types.Filter{{Name: aws.String("association.subnet-id"), Values: subnetIDs}})
	if err != nil {
		return nil, err
	}
	for _, acl := range acls {
		for subnet := range acl.Associations {
			holders[subnet] = acl
		}
	}
	return holders, nil
}

// HolderLookups puts together the FindSubnetHolders of the resources
// that plan at once in one provider process: while one call is out, the
// lookups that come meanwhile wait and go out together in the next call,
// one DescribeNetworkAcls for all their subnets. Each lookup is answered
// by a call made after it was asked, so none reads older data than a
// call of its own would. A nil HolderLookups makes a call per lookup.
type HolderLookups struct {
	mu       sync.Mutex
	inFlight bool
	queue    []*holderLookup
}

type holderLookup struct {
	subnets []string
	done    chan struct{}
	holders map[string]*NetworkACL
	err     error
}

// NewHolderLookups returns lookups with nothing queued.
func NewHolderLookups() *HolderLookups { return &HolderLookups{} }

// Find is FindSubnetHolders, made together with the lookups asked while
// another call is out.
func (h *HolderLookups) Find(ctx context.Context, client *ec2.Client, subnetIDs []string) (map[string]*NetworkACL, error) {
	if h == nil || len(subnetIDs) == 0 {
		return FindSubnetHolders(ctx, client, subnetIDs)
	}
	l := &holderLookup{subnets: subnetIDs, done: make(chan struct{})}
	h.mu.Lock()
	h.queue = append(h.queue, l)
	start := !h.inFlight
	h.inFlight = true
	h.mu.Unlock()
	if start {
		// The lookups go on for those queued behind this one, whose
		// caller may stop waiting before they are answered.
		go h.run(context.WithoutCancel(ctx), client)
	}
	select {
	case <-l.done:
		return l.holders, l.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run sends the queued lookups, all in one call, until none is left.
func (h *HolderLookups) run(ctx context.Context, client *ec2.Client) {
	for {
		h.mu.Lock()
		batch := h.queue
		h.queue = nil
		if len(batch) == 0 {
			h.inFlight = false
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		var subnets []string
		for _, l := range batch {
			for _, s := range l.subnets {
				if !slices.Contains(subnets, s) {
					subnets = append(subnets, s)
				}
			}
		}
		holders, err := FindSubnetHolders(ctx, client, subnets)
		for _, l := range batch {
			l.err = err
			if err == nil {
				l.holders = make(map[string]*NetworkACL, len(l.subnets))
				for _, s := range l.subnets {
					if acl, ok := holders[s]; ok {
						l.holders[s] = acl
					}
				}
			}
			close(l.done)
		}
	}
}

// FindSubnetNetworkACL returns the ACL the subnet is associated with; every
// subnet has exactly one. ErrNotFound means the subnet has none listed,
// which is what an unknown subnet looks like.
func FindSubnetNetworkACL(ctx context.Context, client *ec2.Client, subnetID string) (*NetworkACL, error) {
	acls, err := findNetworkACLs(ctx, client, []types.Filter{{Name: aws.String("association.subnet-id"), Values: []string{subnetID}}})
	if err != nil {
		return nil, err
	}
	if len(acls) != 1 {
		return nil, fmt.Errorf("subnet %s: %w (no network ACL is associated with it)", subnetID, ErrNotFound)
	}
	return acls[0], nil
}
