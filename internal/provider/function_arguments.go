package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The provider functions take their arguments as dynamic values and bring
// them into the resources' attribute types here, then expand them as
// ddve_rules does. A function parameter cannot declare optional object
// attributes (terraform-plugin-framework issue 955): typed as objects,
// profiles and options would have to spell out every attribute, null or
// not. Dynamic, they are written as in a resource: { cidr_blocks = [...] },
// and {} for no options. (null is accepted too, but OpenTofu answers a
// literal null argument with a null result without calling the provider,
// so the docs say {}.)

// Argument positions, for errors.
const (
	profilesArgument = 0
	optionsArgument  = 1
)

// expandArguments reads a function's profiles and options, refuses what a
// pure function cannot resolve (prefix lists, where the output needs their
// CIDR blocks), and compiles with compile.
func expandArguments(ctx context.Context, profiles, options attr.Value, optionNames []string, needsCIDRs bool, compile func(expansion) (types.List, error)) (types.List, *function.FuncError) {
	input, funcErr := functionInput(ctx, profiles, options, optionNames)
	if funcErr != nil {
		return types.List{}, funcErr
	}
	// Arguments are known: Terraform does not call a function with unknown ones.
	e, _, diags := input.expansion(ctx)
	if diags.HasError() {
		return types.List{}, function.FuncErrorFromDiags(ctx, diags)
	}
	if funcErr := refusePrefixLists(e.intent); needsCIDRs && funcErr != nil {
		return types.List{}, funcErr
	}
	list, err := compile(e)
	if err != nil {
		return types.List{}, problemsFuncError(err)
	}
	return list, nil
}

// functionInput reads profiles as the resources' profiles and options as
// the named attributes of the resources.
func functionInput(ctx context.Context, profiles, options attr.Value, optionNames []string) (rulesInputModel, *function.FuncError) {
	values := map[string]attr.Value{}
	for name, t := range rulesInputAttrTypes {
		values[name] = nullOf(ctx, t)
	}
	p, err := conform(ctx, profiles, rulesInputAttrTypes["profiles"], "profiles")
	if err != nil {
		return rulesInputModel{}, argumentError(profilesArgument, err.Error())
	}
	values["profiles"] = p
	optionTypes := map[string]attr.Type{}
	for _, name := range optionNames {
		optionTypes[name] = rulesInputAttrTypes[name]
	}
	o, err := conform(ctx, options, types.ObjectType{AttrTypes: optionTypes}, "options")
	if err != nil {
		return rulesInputModel{}, argumentError(optionsArgument, err.Error())
	}
	if o, ok := o.(types.Object); ok && !o.IsNull() {
		maps.Copy(values, o.Attributes())
	}
	var input rulesInputModel
	object := types.ObjectValueMust(rulesInputAttrTypes, values)
	if diags := object.As(ctx, &input, objectAsOptions); diags.HasError() {
		return rulesInputModel{}, function.FuncErrorFromDiags(ctx, diags)
	}
	return input, nil
}

// refusePrefixLists: a provider function is pure, so it cannot read a
// prefix list's CIDRs or its weight against the quota.
func refusePrefixLists(in posture.Intent) *function.FuncError {
	const fix = "a provider function cannot call AWS to read prefix list %s; use data \"ddve_rules\", which reads it, or give the list's CIDR blocks."
	for _, name := range slices.Sorted(maps.Keys(in.Profiles)) {
		if ids := in.Profiles[name].PrefixListIDs; len(ids) > 0 {
			return argumentError(profilesArgument, fmt.Sprintf("profiles[%q].prefix_list_ids: "+fix, name, ids[0]))
		}
	}
	for i, r := range in.CustomRules {
		if ids := r.Peers.PrefixListIDs; len(ids) > 0 {
			return argumentError(optionsArgument, fmt.Sprintf("options.custom_rules[%d].prefix_list_ids: "+fix, i, ids[0]))
		}
	}
	return nil
}

// problemsFuncError reports every problem of the posture, each at the
// argument that holds it, with its path inside the argument.
func problemsFuncError(err error) *function.FuncError {
	var problems posture.Problems
	if !errors.As(err, &problems) {
		return function.NewFuncError(err.Error())
	}
	var funcErr *function.FuncError
	for _, p := range problems {
		position, prefix := int64(optionsArgument), "options."
		if len(p.Path) > 0 && p.Path[0].Name == "profiles" {
			position, prefix = profilesArgument, ""
		}
		funcErr = function.ConcatFuncErrors(funcErr, argumentError(position, prefix+p.Error()))
	}
	return funcErr
}

// conform brings a value written in HCL into the attribute type t: object
// and map literals become objects or maps, tuples lists or sets, and
// attributes left out are null. An attribute t does not have is an error
// naming those it has; at is the value's path, for messages.
func conform(ctx context.Context, v attr.Value, t attr.Type, at string) (attr.Value, error) {
	if isNull(v) {
		return nullOf(ctx, t), nil
	}
	if d, ok := v.(basetypes.DynamicValue); ok {
		v = d.UnderlyingValue()
	}
	switch t := t.(type) {
	case basetypes.ObjectType:
		fields, ok := fieldsOf(v)
		if !ok {
			return nil, fmt.Errorf("%s: expected an object, got %s", at, kindOf(v))
		}
		names := slices.Sorted(maps.Keys(t.AttrTypes))
		for name := range fields {
			if _, ok := t.AttrTypes[name]; !ok {
				return nil, fmt.Errorf("%s: unexpected attribute %q; the attributes are %s", at, name, strings.Join(names, ", "))
			}
		}
		out := make(map[string]attr.Value, len(t.AttrTypes))
		for _, name := range names {
			value, err := conform(ctx, fields[name], t.AttrTypes[name], at+"."+name)
			if err != nil {
				return nil, err
			}
			out[name] = value
		}
		return types.ObjectValueMust(t.AttrTypes, out), nil
	case basetypes.MapType:
		fields, ok := fieldsOf(v)
		if !ok {
			return nil, fmt.Errorf("%s: expected an object, got %s", at, kindOf(v))
		}
		out := make(map[string]attr.Value, len(fields))
		for key, field := range fields {
			if isNull(field) {
				return nil, fmt.Errorf("%s[%q] is null: leave it out instead", at, key)
			}
			value, err := conform(ctx, field, t.ElemType, fmt.Sprintf("%s[%q]", at, key))
			if err != nil {
				return nil, err
			}
			out[key] = value
		}
		return types.MapValueMust(t.ElemType, out), nil
	case basetypes.ListType:
		elems, err := conformElements(ctx, v, t.ElemType, at)
		if err != nil {
			return nil, err
		}
		return types.ListValueMust(t.ElemType, elems), nil
	case basetypes.SetType:
		elems, err := conformElements(ctx, v, t.ElemType, at)
		if err != nil {
			return nil, err
		}
		return types.SetValueMust(t.ElemType, elems), nil
	case basetypes.StringType:
		if s, ok := v.(basetypes.StringValue); ok {
			return s, nil
		}
		return nil, fmt.Errorf("%s: expected a string, got %s", at, kindOf(v))
	case basetypes.Int64Type:
		if n, ok := v.(basetypes.NumberValue); ok {
			if i, accuracy := n.ValueBigFloat().Int64(); accuracy == 0 && n.ValueBigFloat().IsInt() {
				return types.Int64Value(i), nil
			}
		}
		return nil, fmt.Errorf("%s: expected a whole number, got %s", at, v)
	case basetypes.BoolType:
		if b, ok := v.(basetypes.BoolValue); ok {
			return b, nil
		}
		return nil, fmt.Errorf("%s: expected true or false, got %s", at, kindOf(v))
	}
	return nil, fmt.Errorf("%s: no conversion to %s", at, t)
}

func conformElements(ctx context.Context, v attr.Value, elemType attr.Type, at string) ([]attr.Value, error) {
	var elems []attr.Value
	switch v := v.(type) {
	case basetypes.TupleValue:
		elems = v.Elements()
	case basetypes.ListValue:
		elems = v.Elements()
	case basetypes.SetValue:
		elems = v.Elements()
	default:
		return nil, fmt.Errorf("%s: expected a list, got %s", at, kindOf(v))
	}
	out := make([]attr.Value, len(elems))
	for i, e := range elems {
		if isNull(e) {
			return nil, fmt.Errorf("%s[%d] is null: leave it out instead", at, i)
		}
		value, err := conform(ctx, e, elemType, fmt.Sprintf("%s[%d]", at, i))
		if err != nil {
			return nil, err
		}
		out[i] = value
	}
	return out, nil
}

func isNull(v attr.Value) bool {
	if d, ok := v.(basetypes.DynamicValue); ok && !d.IsNull() {
		v = d.UnderlyingValue()
	}
	return v == nil || v.IsNull()
}

// kindOf names a value's kind as an HCL author thinks of it, for
// messages.
func kindOf(v attr.Value) string {
	switch v := v.(type) {
	case basetypes.ObjectValue, basetypes.MapValue:
		return "an object"
	case basetypes.TupleValue, basetypes.ListValue, basetypes.SetValue:
		return "a list"
	case basetypes.StringValue:
		return "a string"
	case basetypes.NumberValue:
		return "the number " + v.String()
	case basetypes.BoolValue:
		return v.String()
	}
	return v.String()
}

// fieldsOf returns an object's attributes or a map's elements.
func fieldsOf(v attr.Value) (map[string]attr.Value, bool) {
	switch v := v.(type) {
	case basetypes.ObjectValue:
		return v.Attributes(), true
	case basetypes.MapValue:
		return v.Elements(), true
	}
	return nil, false
}

// nullOf returns the null value of an attribute type.
func nullOf(ctx context.Context, t attr.Type) attr.Value {
	v, err := t.ValueFromTerraform(ctx, tftypes.NewValue(t.TerraformType(ctx), nil))
	if err != nil {
		panic(fmt.Sprintf("null %s: %v", t, err)) // every attribute type has a null value
	}
	return v
}

// argumentError reports a problem with one argument. Terraform ends the
// message with a period of its own, so the text drops its last one.
func argumentError(position int64, text string) *function.FuncError {
	return function.NewArgumentFuncError(position, strings.TrimSuffix(text, "."))
}
