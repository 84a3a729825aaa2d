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
	// singles holds the list of each text alone, the most asked for, or 0.
	singles []textList
}

type textNode struct {
	parent textList
	text   int32
	// joined is the list's texts joined with "; " once asked for, or "".
	joined string
	// last is the child asked for last: the peers of a profile take the
	// same steps one after the other.
	last textStep
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
	if list == 0 {
		if int(text) >= len(t.singles) {
			t.singles = append(t.singles, make([]textList, int(text)+1-len(t.singles))...)
		}
		if t.singles[text] == 0 {
			t.singles[text] = t.child(0, text)
		}
		return t.singles[text]
	}
	for l := list; l != 0; l = t.nodes[l].parent {
		if t.nodes[l].text == text {
			return list
		}
	}
	return t.child(list, text)
}

// child returns the list with the text added at its end, which does not
// hold it.
func (t *textTable) child(list textList, text int32) textList {
	if last := t.nodes[list].last; last.list != 0 && last.text == text {
		return last.list
	}
	step := textStep{list, text}
	child, ok := t.children[step]
	if !ok {
		child = textList(len(t.nodes))
		t.nodes = append(t.nodes, textNode{parent: list, text: text})
		t.children[step] = child
	}
	t.nodes[list].last = textStep{child, text}
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
