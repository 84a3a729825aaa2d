package provider

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The elements of the rules and entries sets are objects of this type.
// After every read, create and update the framework compares each new
// element with each prior one, and each comparison (and each attribute of
// it) writes the element's path into its log context: the path's text
// holds the element's String. An ObjectValue formats every attribute each
// time, which made a 40-entry ACL spend most of its plan and apply CPU
// formatting (terraform-plugin-framework#775, #1314). These elements format
// themselves once, the first time they are asked, and keep the text.
var (
	ruleElementType  = elementType{ObjectType: basetypes.ObjectType{AttrTypes: ruleAttrTypes}, name: "rule"}
	entryElementType = elementType{ObjectType: basetypes.ObjectType{AttrTypes: entryAttrTypes}, name: "entry"}
)

// elementType is an object type whose values carry their text.
type elementType struct {
	basetypes.ObjectType
	name string
}

var _ basetypes.ObjectTypable = elementType{}

func (t elementType) Equal(o attr.Type) bool {
	other, ok := o.(elementType)
	return ok && t.name == other.name && t.ObjectType.Equal(other.ObjectType)
}

func (t elementType) String() string { return t.name + " " + t.ObjectType.String() }

func (t elementType) ValueType(context.Context) attr.Value { return elementValue{typ: t} }

func (t elementType) ValueFromObject(_ context.Context, obj basetypes.ObjectValue) (basetypes.ObjectValuable, diag.Diagnostics) {
	return t.element(obj), nil
}

func (t elementType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.ObjectType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(basetypes.ObjectValue)
	if !ok {
		return nil, fmt.Errorf("%s: unexpected value %T", t.name, v)
	}
	return t.element(obj), nil
}

func (t elementType) element(obj basetypes.ObjectValue) elementValue {
	return elementValue{ObjectValue: obj, typ: t, text: new(lazyText)}
}

// elementMust builds an element from its attributes, as
// types.ObjectValueMust does.
func (t elementType) elementMust(attrs map[string]attr.Value) elementValue {
	return t.element(basetypes.NewObjectValueMust(t.AttrTypes, attrs))
}

// elementValue is an object that formats itself once.
type elementValue struct {
	basetypes.ObjectValue
	typ  elementType
	text *lazyText // shared by the copies of one value
}

type lazyText struct {
	once sync.Once
	text string
}

var _ basetypes.ObjectValuable = elementValue{}

func (v elementValue) Type(context.Context) attr.Type { return v.typ }

func (v elementValue) Equal(o attr.Value) bool {
	other, ok := o.(elementValue)
	return ok && v.ObjectValue.Equal(other.ObjectValue)
}

func (v elementValue) String() string {
	if v.text == nil { // the zero value ValueType returns
		return v.ObjectValue.String()
	}
	v.text.once.Do(func() { v.text.text = v.ObjectValue.String() })
	return v.text.text
}

// elementSetType is the type of the rules and entries sets. Its values
// settle semantic equality themselves: a set equal to the prior one is the
// prior one, and the framework does not go on to compare every element with
// every other, logging a line for each pair of equal attributes (most of a
// large ACL's apply went to writing and parsing those lines). A set that
// changed is compared element by element as before; no element has a
// semantic equality of its own, so that finds nothing either.
type elementSetType struct {
	basetypes.SetType
}

var _ basetypes.SetTypable = elementSetType{}

func setOf(elem elementType) elementSetType {
	return elementSetType{basetypes.SetType{ElemType: elem}}
}

func (t elementSetType) Equal(o attr.Type) bool {
	other, ok := o.(elementSetType)
	return ok && t.SetType.Equal(other.SetType)
}

// Validate reports duplicate elements as SetType.Validate does, but finds
// them by each element's encoding instead of comparing every pair, which
// on a 40-entry ACL cost as much as the rest of an apply's work.
func (t elementSetType) Validate(ctx context.Context, in tftypes.Value, at path.Path) diag.Diagnostics {
	var elems []tftypes.Value
	if in.Type() == nil || !in.Type().Is(tftypes.Set{}) || !in.IsKnown() || in.IsNull() || in.As(&elems) != nil {
		return t.SetType.Validate(ctx, in, at) // which says what is wrong, if anything
	}
	var diags diag.Diagnostics
	seen := make(map[string]bool, len(elems))
	for _, elem := range elems {
		if !elem.IsFullyKnown() {
			continue
		}
		encoded, err := tfprotov6.NewDynamicValue(elem.Type(), elem)
		if err != nil {
			return t.SetType.Validate(ctx, in, at)
		}
		if seen[string(encoded.MsgPack)] {
			diags.AddAttributeError(at, "Duplicate Set Element", fmt.Sprintf("This attribute contains duplicate values of: %s", elem))
		}
		seen[string(encoded.MsgPack)] = true
	}
	return diags
}

func (t elementSetType) String() string { return "elementSetType[" + t.ElemType.String() + "]" }

func (t elementSetType) ValueType(context.Context) attr.Value {
	return elementSet{SetValue: basetypes.NewSetNull(t.ElemType)}
}

func (t elementSetType) ValueFromSet(_ context.Context, s basetypes.SetValue) (basetypes.SetValuable, diag.Diagnostics) {
	return elementSet{SetValue: s}, nil
}

func (t elementSetType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.SetType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.SetValue)
	if !ok {
		return nil, fmt.Errorf("unexpected set value %T", v)
	}
	return elementSet{SetValue: s}, nil
}

// elementSet is the value of the rules and entries attributes.
type elementSet struct {
	basetypes.SetValue
}

var _ basetypes.SetValuableWithSemanticEquals = elementSet{}

func (v elementSet) Type(ctx context.Context) attr.Type {
	return elementSetType{basetypes.SetType{ElemType: v.ElementType(ctx)}}
}

func (v elementSet) Equal(o attr.Value) bool {
	other, ok := o.(elementSet)
	return ok && v.SetValue.Equal(other.SetValue)
}

func (v elementSet) SetSemanticEquals(ctx context.Context, prior basetypes.SetValuable) (bool, diag.Diagnostics) {
	p, diags := prior.ToSetValue(ctx)
	return v.SetValue.Equal(p), diags
}

func elementSetMust(elem elementType, elems []attr.Value) elementSet {
	return elementSet{SetValue: basetypes.NewSetValueMust(elem, elems)}
}

func elementSetUnknown(elem elementType) elementSet {
	return elementSet{SetValue: basetypes.NewSetUnknown(elem)}
}
