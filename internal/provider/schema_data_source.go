package provider

import (
	"fmt"

	ds "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	rs "github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// The data sources take their inputs and outputs from the resources'
// schemas, so that ddve_rules reads and writes exactly what the resources
// do, validators included. The framework has one schema package per kind
// of block; dataSourceAttribute carries an attribute across.
//
// A data source attribute has no default: one the resource defaults
// becomes optional, and a null reads as the compilers' default, which is
// the same value.

func dataSourceAttribute(a rs.Attribute) ds.Attribute {
	switch a := a.(type) {
	case rs.StringAttribute:
		return ds.StringAttribute{Required: a.Required, Optional: a.Optional, Computed: a.Computed && !a.Optional,
			Sensitive: a.Sensitive, Description: a.Description, Validators: a.Validators}
	case rs.Int64Attribute:
		return ds.Int64Attribute{Required: a.Required, Optional: a.Optional, Computed: a.Computed && !a.Optional,
			Description: a.Description, Validators: a.Validators}
	case rs.BoolAttribute:
		return ds.BoolAttribute{Required: a.Required, Optional: a.Optional, Computed: a.Computed && !a.Optional,
			Description: a.Description, Validators: a.Validators}
	case rs.SetAttribute:
		return ds.SetAttribute{Required: a.Required, Optional: a.Optional, Computed: a.Computed && !a.Optional,
			ElementType: a.ElementType, Description: a.Description, Validators: a.Validators}
	case rs.SingleNestedAttribute:
		return ds.SingleNestedAttribute{Required: a.Required, Optional: a.Optional, Computed: a.Computed && !a.Optional,
			Attributes: dataSourceAttributes(a.Attributes), Description: a.Description, Validators: a.Validators}
	case rs.ListNestedAttribute:
		return dataSourceListNested(a)
	case rs.MapNestedAttribute:
		return dataSourceMapNested(a)
	}
	// The schemas are static: a kind not handled here fails every test
	// that reads the provider's schema.
	panic(fmt.Sprintf("dataSourceAttribute: no data source form for %T", a))
}

func dataSourceListNested(a rs.ListNestedAttribute) ds.ListNestedAttribute {
	return ds.ListNestedAttribute{Required: a.Required, Optional: a.Optional, Computed: a.Computed && !a.Optional,
		NestedObject: ds.NestedAttributeObject{Attributes: dataSourceAttributes(a.NestedObject.Attributes)},
		Description:  a.Description, Validators: a.Validators}
}

func dataSourceMapNested(a rs.MapNestedAttribute) ds.MapNestedAttribute {
	return ds.MapNestedAttribute{Required: a.Required, Optional: a.Optional, Computed: a.Computed && !a.Optional,
		NestedObject: ds.NestedAttributeObject{Attributes: dataSourceAttributes(a.NestedObject.Attributes)},
		Description:  a.Description, Validators: a.Validators}
}

// dataSourceListOf returns a resource's list or set of objects in data
// source form, as a list: a data source shows no diff, so its elements
// keep the compiler's order.
func dataSourceListOf(s rs.Schema, name string) ds.ListNestedAttribute {
	switch a := s.Attributes[name].(type) {
	case rs.ListNestedAttribute:
		return dataSourceListNested(a)
	case rs.SetNestedAttribute:
		return ds.ListNestedAttribute{Computed: a.Computed,
			NestedObject: ds.NestedAttributeObject{Attributes: dataSourceAttributes(a.NestedObject.Attributes)},
			Description:  a.Description}
	}
	panic(fmt.Sprintf("dataSourceListOf: %s is a %T", name, s.Attributes[name]))
}

func dataSourceAttributes(attrs map[string]rs.Attribute) map[string]ds.Attribute {
	out := make(map[string]ds.Attribute, len(attrs))
	for name, a := range attrs {
		out[name] = dataSourceAttribute(a)
	}
	return out
}
