package acctest

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// authorizeAnswers stands in for what moto 5.2 does unlike AWS when it
// authorizes rules: its answer lists the rules of the call's last
// permission only, where AWS lists every rule the call made, and it drops
// the descriptions of rules that name a security group or a prefix list,
// which AWS keeps. After the emulator carried an authorize out, the
// recorder reads the group's rules from the emulator, gives the rules
// their descriptions there as AWS would hold them (the recorder's own
// ModifySecurityGroupRules, straight to the emulator and not counted),
// and answers with every rule the call made. The rules are the
// emulator's, with their IDs: nothing is invented.
type authorizeAnswers struct {
	emulator *ec2.Client
}

// permissionPeer is one peer of one permission of an authorize call: one
// rule.
type permissionPeer struct {
	protocol, from, to   string
	kind, peer, describe string // kind: the query name of the peer's list
}

// requestedRules lists the rules an authorize call asks for.
func requestedRules(values url.Values) []permissionPeer {
	var out []permissionPeer
	for i := 1; values.Has(fmt.Sprintf("IpPermissions.%d.IpProtocol", i)); i++ {
		p := fmt.Sprintf("IpPermissions.%d.", i)
		for _, kind := range []struct{ list, field string }{
			{"IpRanges", "CidrIp"}, {"Ipv6Ranges", "CidrIpv6"}, {"Groups", "GroupId"}, {"PrefixListIds", "PrefixListId"},
		} {
			for j := 1; values.Has(fmt.Sprintf("%s%s.%d.%s", p, kind.list, j, kind.field)); j++ {
				peer := fmt.Sprintf("%s%s.%d.", p, kind.list, j)
				out = append(out, permissionPeer{
					protocol: values.Get(p + "IpProtocol"), from: values.Get(p + "FromPort"), to: values.Get(p + "ToPort"),
					kind: kind.list, peer: values.Get(peer + kind.field), describe: values.Get(peer + "Description"),
				})
			}
		}
	}
	return out
}

var protocolNames = map[string]string{"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}

func normalProtocol(p string) string {
	p = strings.ToLower(p)
	if name, ok := protocolNames[p]; ok {
		return name
	}
	return p
}

// matches reports whether the rule is the one the peer asked for.
func (pp permissionPeer) matches(r types.SecurityGroupRule) bool {
	if normalProtocol(aws.ToString(r.IpProtocol)) != normalProtocol(pp.protocol) {
		return false
	}
	if normalProtocol(pp.protocol) != "-1" &&
		(fmt.Sprint(aws.ToInt32(r.FromPort)) != pp.from || fmt.Sprint(aws.ToInt32(r.ToPort)) != pp.to) {
		return false
	}
	switch pp.kind {
	case "IpRanges":
		return aws.ToString(r.CidrIpv4) == pp.peer
	case "Ipv6Ranges":
		return aws.ToString(r.CidrIpv6) == pp.peer
	case "Groups":
		return r.ReferencedGroupInfo != nil && aws.ToString(r.ReferencedGroupInfo.GroupId) == pp.peer
	case "PrefixListIds":
		return aws.ToString(r.PrefixListId) == pp.peer
	}
	return false
}

var ruleSetPattern = regexp.MustCompile(`(?s)<securityGroupRuleSet>.*?</securityGroupRuleSet>|<securityGroupRuleSet/>`)

// complete rewrites the answer to a successful authorize as AWS gives it.
func (a authorizeAnswers) complete(ctx context.Context, action string, values url.Values, body []byte) ([]byte, error) {
	groupID := values.Get("GroupId")
	egress := action == "AuthorizeSecurityGroupEgress"
	out, err := a.emulator.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}},
	})
	if err != nil {
		return nil, fmt.Errorf("reading the rules of %s: %w", groupID, err)
	}
	var made []types.SecurityGroupRule
	for _, asked := range requestedRules(values) {
		for _, r := range out.SecurityGroupRules {
			if aws.ToBool(r.IsEgress) != egress || !asked.matches(r) {
				continue
			}
			if asked.describe != "" && aws.ToString(r.Description) == "" {
				if err := a.describe(ctx, groupID, r, asked.describe); err != nil {
					return nil, err
				}
				r.Description = aws.String(asked.describe)
			}
			made = append(made, r)
			break
		}
	}
	var items bytes.Buffer
	items.WriteString("<securityGroupRuleSet>")
	for _, r := range made {
		items.WriteString(ruleXML(r))
	}
	items.WriteString("</securityGroupRuleSet>")
	if !ruleSetPattern.Match(body) {
		return bytes.Replace(body, []byte("</return>"), append([]byte("</return>"), items.Bytes()...), 1), nil
	}
	return ruleSetPattern.ReplaceAllLiteral(body, items.Bytes()), nil
}

// describe gives a rule the description the emulator dropped.
func (a authorizeAnswers) describe(ctx context.Context, groupID string, r types.SecurityGroupRule, description string) error {
	req := &types.SecurityGroupRuleRequest{
		IpProtocol: r.IpProtocol, FromPort: aws.Int32(aws.ToInt32(r.FromPort)), ToPort: aws.Int32(aws.ToInt32(r.ToPort)),
		Description: aws.String(description), PrefixListId: r.PrefixListId,
	}
	if r.ReferencedGroupInfo != nil {
		req.ReferencedGroupId = r.ReferencedGroupInfo.GroupId
	}
	_, err := a.emulator.ModifySecurityGroupRules(ctx, &ec2.ModifySecurityGroupRulesInput{
		GroupId:            aws.String(groupID),
		SecurityGroupRules: []types.SecurityGroupRuleUpdate{{SecurityGroupRuleId: r.SecurityGroupRuleId, SecurityGroupRule: req}},
	})
	if err != nil {
		return fmt.Errorf("keeping the description of %s: %w", aws.ToString(r.SecurityGroupRuleId), err)
	}
	return nil
}

func ruleXML(r types.SecurityGroupRule) string {
	var b strings.Builder
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "<%s>%s</%s>", name, xmlEscape(value), name)
		}
	}
	b.WriteString("<item>")
	field("securityGroupRuleId", aws.ToString(r.SecurityGroupRuleId))
	field("groupId", aws.ToString(r.GroupId))
	field("groupOwnerId", aws.ToString(r.GroupOwnerId))
	field("isEgress", fmt.Sprint(aws.ToBool(r.IsEgress)))
	field("ipProtocol", aws.ToString(r.IpProtocol))
	if r.FromPort != nil {
		field("fromPort", fmt.Sprint(aws.ToInt32(r.FromPort)))
	}
	if r.ToPort != nil {
		field("toPort", fmt.Sprint(aws.ToInt32(r.ToPort)))
	}
	field("cidrIpv4", aws.ToString(r.CidrIpv4))
	field("cidrIpv6", aws.ToString(r.CidrIpv6))
	field("prefixListId", aws.ToString(r.PrefixListId))
	if g := r.ReferencedGroupInfo; g != nil {
		fmt.Fprintf(&b, "<referencedGroupInfo><groupId>%s</groupId><userId>%s</userId></referencedGroupInfo>",
			xmlEscape(aws.ToString(g.GroupId)), xmlEscape(aws.ToString(g.UserId)))
	}
	field("description", aws.ToString(r.Description))
	b.WriteString("</item>")
	return b.String()
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
