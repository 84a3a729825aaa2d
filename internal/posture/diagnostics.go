package posture

import (
	"fmt"
	"strings"
)

// PathStep is one step of an attribute path: an attribute name, a map key,
// a list index or a set element.
type PathStep struct {
	Name     string
	MapKey   string
	Index    int
	SetValue string
	kind     stepKind
}

type stepKind int

const (
	stepName stepKind = iota
	stepMapKey
	stepIndex
	stepSetValue
)

// Path locates an attribute in the resource configuration, so the provider
// can attach a diagnostic to it.
type Path []PathStep

// Root starts a path at a top-level attribute.
func Root(name string) Path { return Path{{Name: name, kind: stepName}} }

func (p Path) with(s PathStep) Path {
	out := make(Path, len(p), len(p)+1)
	copy(out, p)
	return append(out, s)
}

// Name descends into a nested attribute.
func (p Path) Name(name string) Path { return p.with(PathStep{Name: name, kind: stepName}) }

// MapKey descends into a map element.
func (p Path) MapKey(key string) Path { return p.with(PathStep{MapKey: key, kind: stepMapKey}) }

// Index descends into a list element.
func (p Path) Index(i int) Path { return p.with(PathStep{Index: i, kind: stepIndex}) }

// SetValue descends into a set of strings, at the given element.
func (p Path) SetValue(v string) Path { return p.with(PathStep{SetValue: v, kind: stepSetValue}) }

// IsName, IsMapKey, IsIndex and IsSetValue tell the kind of a step.
func (s PathStep) IsName() bool     { return s.kind == stepName }
func (s PathStep) IsMapKey() bool   { return s.kind == stepMapKey }
func (s PathStep) IsIndex() bool    { return s.kind == stepIndex }
func (s PathStep) IsSetValue() bool { return s.kind == stepSetValue }

func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		switch s.kind {
		case stepName:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Name)
		case stepMapKey:
			fmt.Fprintf(&b, "[%q]", s.MapKey)
		case stepIndex:
			fmt.Fprintf(&b, "[%d]", s.Index)
		case stepSetValue:
			fmt.Fprintf(&b, "[%q]", s.SetValue)
		}
	}
	return b.String()
}

// Problem is one thing wrong with an intent: where, what, and how to fix it.
type Problem struct {
	Path    Path
	Summary string
	Detail  string
}

func (p Problem) Error() string {
	return fmt.Sprintf("%s: %s: %s", p.Path, p.Summary, p.Detail)
}

// Problems collects every problem of an intent, so the user sees them all in
// one plan instead of one per run.
type Problems []Problem

func (ps Problems) Error() string {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.Error()
	}
	return strings.Join(msgs, "\n")
}

func (ps *Problems) add(path Path, summary, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Summary: summary, Detail: fmt.Sprintf(format, args...)})
}

// addOnce adds a problem unless one with the same path and summary is
// there already: a peer shared by several flows is reported once.
func (ps *Problems) addOnce(path Path, summary, format string, args ...any) {
	for _, p := range *ps {
		if p.Summary == summary && p.Path.String() == path.String() {
			return
		}
	}
	ps.add(path, summary, format, args...)
}

// err returns nil when there is no problem, so callers can return it as an error.
func (ps Problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}
