package posture

import "strings"

// textList is a list of distinct texts in order of arrival, such as the
// purposes of an entry or the profiles of a rule: a node of a textTable.
// The zero value is the empty list.
type textList int32

// textTable holds the lists of one compilation as a trie: a list is its
// last text under the list before it. Every peer of a profile collects
// the same purposes in the same order, so the entries of a thousand peers
// share a handful of lists, each joined into text once.
type textTable struct {
	ids   map[string]int32 // a text's number
	texts []string
	// nodes[0] is the empty list.
	nodes    []textNode
	children map[textStep]textList
}

type textNode struct {
	parent textList
	text   int32
	// joined is the list's texts joined with "; " once asked for, or "".
	joined string
}

type textStep struct {
	list textList
	text int32
}

func newTextTable() textTable {
	return textTable{ids: map[string]int32{}, nodes: []textNode{{}}, children: map[textStep]textList{}}
}

// id returns the number of a text.
func (t *textTable) id(text string) int32 {
	if n, ok := t.ids[text]; ok {
		return n
	}
	n := int32(len(t.texts))
	t.ids[text] = n
	t.texts = append(t.texts, text)
	return n
}

// with returns the list with the text added at its end, or the list
// itself when it holds the text already.
func (t *textTable) with(list textList, text int32) textList {
	for l := list; l != 0; l = t.nodes[l].parent {
		if t.nodes[l].text == text {
			return list
		}
	}
	step := textStep{list, text}
	if child, ok := t.children[step]; ok {
		return child
	}
	child := textList(len(t.nodes))
	t.nodes = append(t.nodes, textNode{parent: list, text: text})
	t.children[step] = child
	return child
}

// join returns list with the texts of other added in their order.
func (t *textTable) join(list, other textList) textList {
	for _, n := range t.numbers(other) {
		list = t.with(list, n)
	}
	return list
}

// numbers returns the numbers of a list's texts, first to last.
func (t *textTable) numbers(list textList) []int32 {
	var out []int32
	for l := list; l != 0; l = t.nodes[l].parent {
		out = append(out, t.nodes[l].text)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// strings returns a list's texts, first to last, in a new slice.
func (t *textTable) strings(list textList) []string {
	numbers := t.numbers(list)
	out := make([]string, len(numbers))
	for i, n := range numbers {
		out[i] = t.texts[n]
	}
	return out
}

// joined returns a list's texts joined with "; ".
func (t *textTable) joined(list textList) string {
	if list == 0 {
		return ""
	}
	node := &t.nodes[list]
	if node.joined == "" {
		if node.parent == 0 {
			node.joined = t.texts[node.text]
		} else {
			node.joined = strings.Join(t.strings(list), "; ")
		}
	}
	return node.joined
}
