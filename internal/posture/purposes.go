package posture

import "strings"

// purposeList is a list of purposes, what asked for an entry, in order of
// arrival and without repeats: a node of a purposeTable. The zero value is
// the empty list.
type purposeList int32

// purposeTable holds the purpose lists of one compilation as a trie: a
// list is its last purpose under the list before it. Every peer of a
// profile collects the same purposes in the same order, so the entries of
// a thousand peers share a handful of lists, each joined into text once.
type purposeTable struct {
	ids   map[string]int32 // a purpose's text to its number
	texts []string
	// nodes[0] is the empty list.
	nodes    []purposeNode
	children map[purposeStep]purposeList
}

type purposeNode struct {
	parent  purposeList
	purpose int32
	// joined is the list's text once asked for, or "".
	joined string
}

type purposeStep struct {
	list    purposeList
	purpose int32
}

func newPurposeTable() purposeTable {
	return purposeTable{ids: map[string]int32{}, nodes: []purposeNode{{}}, children: map[purposeStep]purposeList{}}
}

// id returns the number of a purpose's text.
func (t *purposeTable) id(text string) int32 {
	if n, ok := t.ids[text]; ok {
		return n
	}
	n := int32(len(t.texts))
	t.ids[text] = n
	t.texts = append(t.texts, text)
	return n
}

// with returns the list with the purpose added at its end, or the list
// itself when it holds the purpose already.
func (t *purposeTable) with(list purposeList, purpose int32) purposeList {
	for l := list; l != 0; l = t.nodes[l].parent {
		if t.nodes[l].purpose == purpose {
			return list
		}
	}
	step := purposeStep{list, purpose}
	if child, ok := t.children[step]; ok {
		return child
	}
	child := purposeList(len(t.nodes))
	t.nodes = append(t.nodes, purposeNode{parent: list, purpose: purpose})
	t.children[step] = child
	return child
}

// join returns list with the purposes of other added in their order.
func (t *purposeTable) join(list, other purposeList) purposeList {
	for _, p := range t.purposes(other) {
		list = t.with(list, p)
	}
	return list
}

// purposes returns the purposes of a list, first to last.
func (t *purposeTable) purposes(list purposeList) []int32 {
	var out []int32
	for l := list; l != 0; l = t.nodes[l].parent {
		out = append(out, t.nodes[l].purpose)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// text returns the purposes of a list joined with "; ".
func (t *purposeTable) text(list purposeList) string {
	if list == 0 {
		return ""
	}
	node := &t.nodes[list]
	if node.joined == "" {
		if node.parent == 0 {
			node.joined = t.texts[node.purpose]
		} else {
			var b strings.Builder
			for i, p := range t.purposes(list) {
				if i > 0 {
					b.WriteString("; ")
				}
				b.WriteString(t.texts[p])
			}
			node.joined = b.String()
		}
	}
	return node.joined
}
