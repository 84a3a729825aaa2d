package awsec2

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// LivePosture is what EC2 holds for one DDVE, as the reachability check
// needs it: its groups' rules, its subnet's ACL, and what the rules name
// by ID resolved to addresses.
type LivePosture struct {
	// Rules are the groups' rules, group after group in the order asked.
	Rules []GroupRule
	ACL   *NetworkACL
	// Local holds the subnet's blocks when the posture is read through a
	// subnet: traffic inside them skips the ACL.
	Local []netip.Prefix
	// GroupMembers are the addresses of the groups the rules reference.
	GroupMembers map[string][]netip.Addr
	// PrefixLists are the blocks of the prefix lists the rules name.
	PrefixLists map[string][]netip.Prefix
}

// LivePostureInput names the groups, and the ACL either directly or
// through the subnet it guards (SubnetID wins when both are set).
type LivePostureInput struct {
	GroupIDs []string
	SubnetID string
	ACLID    string
}

// LivePostureStep is the step of FindLivePosture that failed, so that a
// caller can tell the user which of its inputs to check.
type LivePostureStep int

const (
	ReadingGroups LivePostureStep = iota
	ReadingACL
	MatchingVPCs
	ReadingGroupRules
	ReadingGroupMembers
	ReadingPrefixLists
)

// LivePostureError is FindLivePosture's error: the step and its cause.
type LivePostureError struct {
	Step LivePostureStep
	Err  error
}

func (e *LivePostureError) Error() string { return e.Err.Error() }
func (e *LivePostureError) Unwrap() error { return e.Err }

// VPCMismatchError: a group lies in another VPC than the ACL, while a
// DDVE interface and its subnet share one.
type VPCMismatchError struct {
	GroupID, GroupVPCID string
	ACLID, ACLVPCID     string
}

func (e *VPCMismatchError) Error() string {
	return fmt.Sprintf("security group %s is in %s, the network ACL %s in %s", e.GroupID, e.GroupVPCID, e.ACLID, e.ACLVPCID)
}

// FindLivePosture reads the groups and the ACL, and what their rules name
// by ID: the member addresses of referenced groups, prefix lists' blocks.
// Its error is a *LivePostureError.
func FindLivePosture(ctx context.Context, client *ec2.Client, in LivePostureInput) (*LivePosture, error) {
	fail := func(step LivePostureStep, err error) (*LivePosture, error) {
		return nil, &LivePostureError{Step: step, Err: err}
	}
	groups, err := FindSecurityGroups(ctx, client, in.GroupIDs)
	if err != nil {
		return fail(ReadingGroups, err)
	}
	live := &LivePosture{}
	if in.SubnetID != "" {
		live.ACL, err = FindSubnetNetworkACL(ctx, client, in.SubnetID)
		if err == nil {
			live.Local, err = FindSubnetCIDRs(ctx, client, in.SubnetID)
		}
	} else {
		live.ACL, err = FindNetworkACLByID(ctx, client, in.ACLID)
	}
	if err != nil {
		return fail(ReadingACL, err)
	}
	for _, g := range groups {
		if g.VPCID != live.ACL.VPCID {
			return fail(MatchingVPCs, &VPCMismatchError{GroupID: g.ID, GroupVPCID: g.VPCID, ACLID: live.ACL.ID, ACLVPCID: live.ACL.VPCID})
		}
	}
	var referenced, lists []string
	for _, id := range in.GroupIDs {
		rules, err := FindGroupRules(ctx, client, id)
		if err != nil {
			return fail(ReadingGroupRules, err)
		}
		for _, r := range rules {
			if r.ReferencedGroupID != "" {
				referenced = append(referenced, r.ReferencedGroupID)
			}
			if r.PrefixListID != "" {
				lists = append(lists, r.PrefixListID)
			}
		}
		live.Rules = append(live.Rules, rules...)
	}
	if live.GroupMembers, err = GroupMemberAddresses(ctx, client, unique(referenced)); err != nil {
		return fail(ReadingGroupMembers, err)
	}
	live.PrefixLists = map[string][]netip.Prefix{}
	if len(lists) > 0 {
		cidrs, err := PrefixListCIDRs(ctx, client, unique(lists))
		if err != nil {
			return fail(ReadingPrefixLists, err)
		}
		for id, blocks := range cidrs {
			for _, b := range blocks {
				if p, err := netip.ParsePrefix(b); err == nil {
					live.PrefixLists[id] = append(live.PrefixLists[id], p.Masked())
				}
			}
		}
	}
	return live, nil
}

// unique is list without repeats, in the order first seen.
func unique(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
