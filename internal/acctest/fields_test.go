package acctest

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
)

// checkKeyCarriesEveryField changes each field of full in turn, one at a
// time, and asks that key changes with it, except for the fields ignored
// names (with the reason each must not matter), whose change must leave
// the key as it is. full sets every field, so that each can be changed;
// fields of a struct a pointer field holds are named "Outer.Inner".
func checkKeyCarriesEveryField[T any](t *testing.T, key func(T) string, full T, ignored map[string]string) {
	t.Helper()
	base := key(full)
	fields := leafFields(reflect.TypeFor[T](), nil, "")
	for _, f := range fields {
		changed, err := withChangedField(reflect.ValueOf(full), f.index)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		value, ok := changed.Interface().(T)
		if !ok {
			t.Fatalf("%s: changing it made a %T", f.name, changed.Interface())
		}
		got := key(value)
		reason, isIgnored := ignored[f.name]
		switch {
		case isIgnored && got != base:
			t.Errorf("%s must not matter (%s), but the key changed:\n%s\n%s", f.name, reason, base, got)
		case !isIgnored && got == base:
			t.Errorf("the key ignores %s: changing it leaves %s", f.name, base)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(ignored)) {
		if !slices.ContainsFunc(fields, func(f field) bool { return f.name == name }) {
			t.Errorf("ignored field %s is not a field of %s", name, reflect.TypeFor[T]())
		}
	}
}

// field is a leaf field of a struct: its name and its index path.
type field struct {
	name  string
	index []int
}

// leafFields lists the exported fields of t, descending into the structs
// pointer fields hold.
func leafFields(t reflect.Type, index []int, prefix string) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		at := append(slices.Clone(index), i)
		if f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct {
			out = append(out, leafFields(f.Type.Elem(), at, prefix+f.Name+".")...)
			continue
		}
		out = append(out, field{prefix + f.Name, at})
	}
	return out
}

// withChangedField returns a copy of the struct v with the field at index
// set to another value. What v points to is copied, not changed, so v
// stays as it was.
func withChangedField(v reflect.Value, index []int) (reflect.Value, error) {
	out := reflect.New(v.Type()).Elem()
	out.Set(v)
	f := out.Field(index[0])
	if len(index) > 1 {
		if f.IsNil() {
			return reflect.Value{}, fmt.Errorf("the full value leaves %s nil", v.Type().Field(index[0]).Name)
		}
		inner, err := withChangedField(f.Elem(), index[1:])
		if err != nil {
			return reflect.Value{}, err
		}
		p := reflect.New(inner.Type())
		p.Elem().Set(inner)
		f.Set(p)
		return out, nil
	}
	other, err := otherValue(f)
	if err != nil {
		return reflect.Value{}, err
	}
	f.Set(other)
	return out, nil
}

// otherValue is a value of v's type that differs from v, for the kinds of
// field the SDK's types have.
func otherValue(v reflect.Value) (reflect.Value, error) {
	switch t := v.Type(); {
	case t.Kind() == reflect.String:
		return reflect.ValueOf(v.String() + "-changed").Convert(t), nil
	case t.Kind() == reflect.Slice:
		return reflect.Append(v, reflect.Zero(t.Elem())), nil
	case t.Kind() == reflect.Pointer && !v.IsNil():
		p := reflect.New(t.Elem())
		switch e := v.Elem(); e.Kind() {
		case reflect.String:
			p.Elem().SetString(e.String() + "-changed")
		case reflect.Int32, reflect.Int64:
			p.Elem().SetInt(e.Int() + 1)
		case reflect.Bool:
			p.Elem().SetBool(!e.Bool())
		default:
			return reflect.Value{}, fmt.Errorf("no other value for a %s: teach otherValue", t)
		}
		return p, nil
	case t.Kind() == reflect.Pointer:
		return reflect.Value{}, fmt.Errorf("the full value leaves a %s nil", t)
	}
	return reflect.Value{}, fmt.Errorf("no other value for a %s: teach otherValue", v.Type())
}
