package awsec2

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"golang.org/x/sync/errgroup"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// DefaultEntryConcurrency is how many entry calls run at once: EC2 takes
// one entry per call, and a few in flight cut the wall time without
// provoking throttling.
const DefaultEntryConcurrency = 4

// lastUserRuleNumber is the highest number an ACL entry of ours can have;
// 32767 and 32768 are AWS's built-in deny-all entries.
const lastUserRuleNumber = 32766

// NetworkACL is a network ACL with its entries and subnet associations.
type NetworkACL struct {
	ID, ARN, OwnerID, VPCID string
	IsDefault               bool
	Tags                    map[string]string
	Entries                 []posture.Entry
	// Associations maps each associated subnet to its association ID.
	Associations map[string]string
}

// FindNetworkACLByID returns the ACL, or ErrNotFound. It asks by ID and
// maps both not-found codes: AWS's, and the one emulators answer (which
// also lack the network-acl-id filter).
func FindNetworkACLByID(ctx context.Context, client *ec2.Client, id string) (*NetworkACL, error) {
	out, err := client.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{id}})
	if err != nil {
		return nil, notFound(err, codeACLNotFound, codeACLNotFoundEmulator)
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
			return nil, notFound(err, codeACLNotFound, codeACLNotFoundEmulator)
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
	out.ARN = fmt.Sprintf("arn:aws:ec2:%s:%s:network-acl/%s", region, out.OwnerID, out.ID)
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
	case (n == posture.ProtoTCP || n == posture.ProtoUDP) && e.PortRange != nil:
		out.FromPort, out.ToPort = int(aws.ToInt32(e.PortRange.From)), int(aws.ToInt32(e.PortRange.To))
	case (n == posture.ProtoICMP || n == posture.ProtoICMPv6) && e.IcmpTypeCode != nil:
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
	n, _ := posture.ProtocolNumber(e.Protocol)
	switch n {
	case posture.ProtoTCP, posture.ProtoUDP:
		in.PortRange = &types.PortRange{From: aws.Int32(int32(e.FromPort)), To: aws.Int32(int32(e.ToPort))}
	case posture.ProtoICMP, posture.ProtoICMPv6:
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
// the subnets onto it and reads it back. It also returns the VPC's default
// ACL, found by the same call that finds the subnets' associations, before
// anything is created. When a step after the create fails, the ACL is
// returned with the error so the caller records it.
func CreateNetworkACL(ctx context.Context, client *ec2.Client, in CreateACLInput) (*NetworkACL, string, error) {
	vpcACLs, err := FindVPCNetworkACLs(ctx, client, in.VPCID)
	if err != nil {
		return nil, "", fmt.Errorf("finding the network ACLs of %s: %w", in.VPCID, err)
	}
	layout := newVPCLayout(vpcACLs)
	if layout.defaultACLID == "" {
		return nil, "", fmt.Errorf("VPC %s has no default network ACL: check that it exists", in.VPCID)
	}
	if err := layout.checkSubnets(in.VPCID, in.SubnetIDs); err != nil {
		return nil, "", err
	}

	out, err := client.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{
		VpcId:             aws.String(in.VPCID),
		TagSpecifications: tagSpecifications(types.ResourceTypeNetworkAcl, in.Tags),
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
	acl, err := FindNetworkACLByID(ctx, client, created.ID)
	if err != nil {
		return created, layout.defaultACLID, fmt.Errorf("reading network ACL %s back: %w", created.ID, err)
	}
	return acl, layout.defaultACLID, nil
}

// vpcLayout is where each subnet of a VPC is: its ACL and association.
type vpcLayout struct {
	defaultACLID string
	aclOf        map[string]string // subnet -> ACL
	associations map[string]string // subnet -> association ID
}

func newVPCLayout(acls []*NetworkACL) vpcLayout {
	l := vpcLayout{aclOf: map[string]string{}, associations: map[string]string{}}
	for _, acl := range acls {
		if acl.IsDefault {
			l.defaultACLID = acl.ID
		}
		for subnet, assoc := range acl.Associations {
			l.aclOf[subnet], l.associations[subnet] = acl.ID, assoc
		}
	}
	return l
}

func (l vpcLayout) checkSubnets(vpcID string, subnetIDs []string) error {
	for _, subnet := range subnetIDs {
		if _, ok := l.associations[subnet]; !ok {
			return fmt.Errorf("subnet %s has no network ACL association in %s: check that it exists and lies in this VPC", subnet, vpcID)
		}
	}
	return nil
}

// associate moves subnets onto the ACL through their current associations.
func (l vpcLayout) associate(ctx context.Context, client *ec2.Client, aclID string, subnetIDs []string) error {
	for _, subnet := range subnetIDs {
		if l.aclOf[subnet] == aclID {
			continue
		}
		if err := replaceAssociation(ctx, client, l.associations[subnet], aclID); err != nil {
			return fmt.Errorf("associating subnet %s with network ACL %s: %w", subnet, aclID, err)
		}
	}
	return nil
}

// SyncEntries makes the ACL's entries equal to want without a moment where
// a wanted flow is dropped: new numbers are created and changed numbers
// swapped in place (ReplaceNetworkAclEntry is atomic) before the numbers
// that are gone are deleted. Entries are compared by direction and number,
// which the compiler keeps stable for every entry that survives.
func SyncEntries(ctx context.Context, client *ec2.Client, aclID string, have, want []posture.Entry, concurrency int) error {
	type slot struct {
		egress bool
		number int
	}
	haveBySlot := make(map[slot]posture.Entry, len(have))
	for _, e := range have {
		haveBySlot[slot{e.Egress, e.RuleNumber}] = e
	}
	var creates, replaces []posture.Entry
	wanted := map[slot]bool{}
	for _, e := range want {
		s := slot{e.Egress, e.RuleNumber}
		wanted[s] = true
		old, ok := haveBySlot[s]
		switch {
		case !ok:
			creates = append(creates, e)
		case old.Key() != e.Key():
			replaces = append(replaces, e)
		}
	}
	var deletes []posture.Entry
	for _, e := range have {
		if !wanted[slot{e.Egress, e.RuleNumber}] {
			deletes = append(deletes, e)
		}
	}
	if len(creates)+len(replaces)+len(deletes) == 0 {
		return nil
	}
	tflog.Debug(ctx, "syncing network ACL entries", map[string]any{
		"id": aclID, "create": len(creates), "replace": len(replaces), "delete": len(deletes),
	})
	if err := forEach(ctx, concurrency, creates, func(ctx context.Context, e posture.Entry) error {
		_, err := client.CreateNetworkAclEntry(ctx, createEntryInput(aclID, e))
		if err != nil {
			return fmt.Errorf("creating entry %s of network ACL %s: %w", e, aclID, err)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := forEach(ctx, concurrency, replaces, func(ctx context.Context, e posture.Entry) error {
		c := createEntryInput(aclID, e)
		_, err := client.ReplaceNetworkAclEntry(ctx, &ec2.ReplaceNetworkAclEntryInput{
			NetworkAclId: c.NetworkAclId, RuleNumber: c.RuleNumber, Egress: c.Egress, RuleAction: c.RuleAction,
			Protocol: c.Protocol, CidrBlock: c.CidrBlock, Ipv6CidrBlock: c.Ipv6CidrBlock,
			PortRange: c.PortRange, IcmpTypeCode: c.IcmpTypeCode,
		})
		if err != nil {
			return fmt.Errorf("replacing entry %s of network ACL %s: %w", e, aclID, err)
		}
		return nil
	}); err != nil {
		return err
	}
	return forEach(ctx, concurrency, deletes, func(ctx context.Context, e posture.Entry) error {
		_, err := client.DeleteNetworkAclEntry(ctx, &ec2.DeleteNetworkAclEntryInput{
			NetworkAclId: aws.String(aclID), RuleNumber: aws.Int32(int32(e.RuleNumber)), Egress: aws.Bool(e.Egress),
		})
		if err != nil {
			return fmt.Errorf("deleting entry %s of network ACL %s: %w", e, aclID, err)
		}
		return nil
	})
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
	acls, err := FindVPCNetworkACLs(ctx, client, vpcID)
	if err != nil {
		return fmt.Errorf("finding the network ACLs of %s: %w", vpcID, err)
	}
	layout := newVPCLayout(acls)
	if err := layout.checkSubnets(vpcID, subnetIDs); err != nil {
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
		if err := replaceAssociation(ctx, client, assoc, defaultACLID); err != nil {
			return fmt.Errorf("moving subnet %s back to the default network ACL %s: %w", subnet, defaultACLID, err)
		}
	}
	return nil
}

func replaceAssociation(ctx context.Context, client *ec2.Client, associationID, aclID string) error {
	_, err := client.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{
		AssociationId: aws.String(associationID), NetworkAclId: aws.String(aclID),
	})
	return err
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
	err = retryWhen(ctx, timeout, whenCode(codeDependencyViolation), func() error {
		_, err := client.DeleteNetworkAcl(ctx, &ec2.DeleteNetworkAclInput{NetworkAclId: aws.String(id)})
		return err
	})
	if err != nil && !hasCode(err, codeACLNotFound, codeACLNotFoundEmulator) {
		return fmt.Errorf("deleting network ACL %s: %w", id, err)
	}
	return nil
}
