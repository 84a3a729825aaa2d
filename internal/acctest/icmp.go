package acctest

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"sync"
)

// icmpEntries stands in for what moto 5.2 forgets: it takes the ICMP type
// and code of a network ACL entry (Icmp.Type, Icmp.Code) and never returns
// them, where AWS returns them as icmpTypeCode. The recorder notes them
// from the requests that set them and puts them back into
// DescribeNetworkAcls answers, so an ICMP entry reads back as AWS would
// show it, and a wrong type or code is a diff, not something both sides
// lose.
type icmpEntries struct {
	mu      sync.Mutex
	entries map[icmpEntryKey]icmpTypeCode
}

type icmpEntryKey struct {
	aclID      string
	egress     bool
	ruleNumber string
}

type icmpTypeCode struct{ icmpType, code string }

// observe notes what a mutating ACL entry call does to ICMP type and code.
func (e *icmpEntries) observe(action string, values url.Values) {
	switch action {
	case "CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "DeleteNetworkAclEntry":
	default:
		return
	}
	key := icmpEntryKey{values.Get("NetworkAclId"), values.Get("Egress") == "true", values.Get("RuleNumber")}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.entries == nil {
		e.entries = map[icmpEntryKey]icmpTypeCode{}
	}
	delete(e.entries, key)
	if action != "DeleteNetworkAclEntry" && values.Has("Icmp.Type") {
		e.entries[key] = icmpTypeCode{values.Get("Icmp.Type"), values.Get("Icmp.Code")}
	}
}

var (
	entrySetPattern = regexp.MustCompile(`(?s)<entrySet>(.*?)</entrySet>`)
	entryPattern    = regexp.MustCompile(`(?s)<item>(.*?)</item>`)
	aclIDPattern    = regexp.MustCompile(`<networkAclId>([^<]+)</networkAclId>`)
	egressPattern   = regexp.MustCompile(`<egress>([^<]+)</egress>`)
	numberPattern   = regexp.MustCompile(`<ruleNumber>([^<]+)</ruleNumber>`)
)

// restore puts the noted ICMP type and code into a DescribeNetworkAcls
// answer. moto writes each ACL's entrySet before its networkAclId, so the
// ID that follows an entrySet is its ACL's.
func (e *icmpEntries) restore(body []byte) []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.entries) == 0 {
		return body
	}
	var out bytes.Buffer
	last := 0
	for _, set := range entrySetPattern.FindAllSubmatchIndex(body, -1) {
		id := aclIDPattern.FindSubmatch(body[set[1]:])
		if id == nil {
			continue
		}
		out.Write(body[last:set[2]])
		out.Write(entryPattern.ReplaceAllFunc(body[set[2]:set[3]], func(item []byte) []byte {
			if bytes.Contains(item, []byte("<icmpTypeCode>")) {
				return item
			}
			egress, number := egressPattern.FindSubmatch(item), numberPattern.FindSubmatch(item)
			if egress == nil || number == nil {
				return item
			}
			tc, ok := e.entries[icmpEntryKey{string(id[1]), string(egress[1]) == "true", string(number[1])}]
			if !ok {
				return item
			}
			inner := item[len("<item>") : len(item)-len("</item>")]
			return fmt.Appendf(nil, "<item>%s<icmpTypeCode><code>%s</code><type>%s</type></icmpTypeCode></item>", inner, tc.code, tc.icmpType)
		}))
		last = set[3]
	}
	out.Write(body[last:])
	return out.Bytes()
}
