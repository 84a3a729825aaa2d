package dataplane

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

// breakage is a hand edit of the DDVE subnet's ACL through the SDK, the
// flows it must change, and how to undo it.
type breakage struct {
	name    string
	flows   map[string]bool // flow -> passes once broken
	break_  func(ctx context.Context) error
	restore func(ctx context.Context) error
}

// handBroken breaks the widest posture's DDVE subnet ACL by hand, two
// ways, and checks that the real clients notice and that the evaluator
// agrees with the kernel; each edit is undone, so that Terraform's plan
// after the step stays empty.
func (l *lab) handBroken(s *services, client *ec2.Client, rb *readBack, n *acctest.Network) error {
	acl := rb.acls[ddveSubnet.name]
	aclID := aws.ToString(acl.NetworkAclId)
	find := func(pred func(types.NetworkAclEntry) bool, what string) (types.NetworkAclEntry, error) {
		for _, e := range acl.Entries {
			if pred(e) {
				return e, nil
			}
		}
		return types.NetworkAclEntry{}, fmt.Errorf("the DDVE subnet's ACL %s has no %s", aclID, what)
	}
	// The answers to the bastion: outbound TCP to 10.0.1.10/32 on the
	// ephemeral range.
	ret, err := find(func(e types.NetworkAclEntry) bool {
		return aws.ToBool(e.Egress) && aws.ToString(e.CidrBlock) == "10.0.1.10/32" && e.RuleAction == types.RuleActionAllow &&
			e.PortRange != nil && aws.ToInt32(e.PortRange.To) == 65535 && protoIs(e, tcp)
	}, "return entry to the bastion")
	if err != nil {
		return err
	}
	deny, err := find(func(e types.NetworkAclEntry) bool {
		return !aws.ToBool(e.Egress) && aws.ToString(e.CidrBlock) == "10.0.10.30/32" && e.RuleAction == types.RuleActionDeny
	}, "inbound deny of 10.0.10.30/32")
	if err != nil {
		return err
	}
	// The path MTU messages in: ICMP 3/4 from 0.0.0.0/0, ICMPv6 2 from ::/0.
	pmtu4, err := find(func(e types.NetworkAclEntry) bool {
		return !aws.ToBool(e.Egress) && aws.ToString(e.CidrBlock) == "0.0.0.0/0" && protoIs(e, icmp) && icmpIs(e, 3, 4)
	}, "inbound ICMP 3/4 entry")
	if err != nil {
		return err
	}
	pmtu6, err := find(func(e types.NetworkAclEntry) bool {
		return !aws.ToBool(e.Egress) && aws.ToString(e.Ipv6CidrBlock) == "::/0" && protoIs(e, icmpv6) && icmpIs(e, 2, -1)
	}, "inbound ICMPv6 2 entry")
	if err != nil {
		return err
	}
	// The answers to clients' fixed ports: NetBIOS name queries from 137
	// (out to the cifs peers) and NTP from 123 (in from the NTP server),
	// each in an entry of its own, apart from the ephemeral range.
	fixedPort := func(egress bool, cidr string, port int32) func(types.NetworkAclEntry) bool {
		return func(e types.NetworkAclEntry) bool {
			return aws.ToBool(e.Egress) == egress && aws.ToString(e.CidrBlock) == cidr && e.RuleAction == types.RuleActionAllow && protoIs(e, udp) &&
				e.PortRange != nil && aws.ToInt32(e.PortRange.From) <= port && port <= aws.ToInt32(e.PortRange.To) && aws.ToInt32(e.PortRange.To) < 1024
		}
	}
	netbiosReturn, err := find(fixedPort(true, "10.0.10.16/28", 137), "outbound udp entry to 10.0.10.16/28 for port 137")
	if err != nil {
		return err
	}
	ntpReturn, err := find(fixedPort(false, "10.0.10.123/32", 123), "inbound udp entry from 10.0.10.123/32 for port 123")
	if err != nil {
		return err
	}
	// After every allow entry (1000-31999) and before nothing: the band
	// of default_action = "allow"'s allow-all entries, unused here.
	moved := deny
	moved.RuleNumber = aws.Int32(32500)

	cases := []breakage{
		deleted(client, aclID, fmt.Sprintf("return entry #%d (outbound tcp to 10.0.1.10/32 %d-65535) deleted", aws.ToInt32(ret.RuleNumber), aws.ToInt32(ret.PortRange.From)),
			map[string]bool{"ssh to DDVE": false, "https to DDVE": false, "REST API 3009": false, "https to S3": true}, ret),
		{
			name:  fmt.Sprintf("deny of 10.0.10.30/32 moved from #%d to #32500, after the allows", aws.ToInt32(deny.RuleNumber)),
			flows: map[string]bool{"denied host in the ddboost block to 2049": true, "NFS 2049 from a reserved port": true},
			break_: func(ctx context.Context) error {
				return errors.Join(deleteEntry(ctx, client, aclID, deny), createEntry(ctx, client, aclID, moved))
			},
			restore: func(ctx context.Context) error {
				return errors.Join(deleteEntry(ctx, client, aclID, moved), createEntry(ctx, client, aclID, deny))
			},
		},
		deleted(client, aclID, fmt.Sprintf("path MTU entries #%d (inbound icmp 3/4 0.0.0.0/0) and #%d (inbound icmpv6 2 ::/0) deleted",
			aws.ToInt32(pmtu4.RuleNumber), aws.ToInt32(pmtu6.RuleNumber)),
			map[string]bool{"upload to S3 over a 1280-byte hop (path MTU)": false, "https to S3": true,
				"replication out over IPv6 and a 1280-byte hop (path MTU)": false, "replication out 2051": true},
			pmtu4, pmtu6),
		deleted(client, aclID, fmt.Sprintf("fixed-port return entries #%d (outbound udp to 10.0.10.16/28 %d-%d) and #%d (inbound udp from 10.0.10.123/32 %d-%d) deleted",
			aws.ToInt32(netbiosReturn.RuleNumber), aws.ToInt32(netbiosReturn.PortRange.From), aws.ToInt32(netbiosReturn.PortRange.To),
			aws.ToInt32(ntpReturn.RuleNumber), aws.ToInt32(ntpReturn.PortRange.From), aws.ToInt32(ntpReturn.PortRange.To)),
			map[string]bool{"NetBIOS name query from port 137": false, "NetBIOS name query": true, "NTP from port 123 (ntpd-style)": false, "NTP": true},
			netbiosReturn, ntpReturn),
	}
	var errs []error
	for _, c := range cases {
		errs = append(errs, l.runBroken(s, client, n, rb.groupID, c))
	}
	// Load the restored posture, as Terraform will find it.
	restored, err := readPosture(client, n, rb.groupID)
	if err == nil {
		err = l.apply(restored)
	}
	return errors.Join(append(errs, err)...)
}

func (l *lab) runBroken(s *services, client *ec2.Client, n *acctest.Network, groupID string, c breakage) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.break_(ctx); err != nil {
		return fmt.Errorf("%s: breaking: %w", c.name, err)
	}
	defer func() {
		if err := c.restore(ctx); err != nil {
			l.t.Errorf("%s: restoring: %v", c.name, err)
		}
	}()
	rb, err := readPosture(client, n, groupID)
	if err != nil {
		return err
	}
	if err := l.apply(rb); err != nil {
		return err
	}
	var flows []*flow
	for _, f := range allFlows() {
		if _, ok := c.flows[f.name]; ok {
			flows = append(flows, f)
		}
	}
	results := l.runFlows(s, rb, flows, c.flows)
	fmt.Print(formatTable("hand-broken: "+c.name, results))
	if p := problems(rb, results); len(p) > 0 {
		return fmt.Errorf("hand-broken (%s): %d flows disagree:\n%s", c.name, len(p), strings.Join(p, "\n"))
	}
	return nil
}

func protoIs(e types.NetworkAclEntry, n int) bool {
	p, err := parseProto(aws.ToString(e.Protocol))
	return err == nil && int(p) == n
}

// deleted is the breakage that deletes entries from the ACL and puts them
// back.
func deleted(client *ec2.Client, aclID, name string, flows map[string]bool, entries ...types.NetworkAclEntry) breakage {
	each := func(ctx context.Context, do func(context.Context, *ec2.Client, string, types.NetworkAclEntry) error) error {
		var errs []error
		for _, e := range entries {
			errs = append(errs, do(ctx, client, aclID, e))
		}
		return errors.Join(errs...)
	}
	return breakage{
		name: name, flows: flows,
		break_:  func(ctx context.Context) error { return each(ctx, deleteEntry) },
		restore: func(ctx context.Context) error { return each(ctx, createEntry) },
	}
}

// icmpIs reports whether an ICMP entry names the type and code (-1: any).
func icmpIs(e types.NetworkAclEntry, icmpType, code int32) bool {
	return e.IcmpTypeCode != nil && aws.ToInt32(e.IcmpTypeCode.Type) == icmpType && aws.ToInt32(e.IcmpTypeCode.Code) == code
}

func deleteEntry(ctx context.Context, client *ec2.Client, aclID string, e types.NetworkAclEntry) error {
	_, err := client.DeleteNetworkAclEntry(ctx, &ec2.DeleteNetworkAclEntryInput{
		NetworkAclId: aws.String(aclID), RuleNumber: e.RuleNumber, Egress: e.Egress,
	})
	return err
}

func createEntry(ctx context.Context, client *ec2.Client, aclID string, e types.NetworkAclEntry) error {
	_, err := client.CreateNetworkAclEntry(ctx, &ec2.CreateNetworkAclEntryInput{
		NetworkAclId: aws.String(aclID), RuleNumber: e.RuleNumber, Egress: e.Egress, Protocol: e.Protocol,
		RuleAction: e.RuleAction, CidrBlock: e.CidrBlock, Ipv6CidrBlock: e.Ipv6CidrBlock, PortRange: e.PortRange,
		IcmpTypeCode: e.IcmpTypeCode,
	})
	return err
}
