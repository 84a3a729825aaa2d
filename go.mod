module github.com/ddvelabs/terraform-provider-ddve

go 1.25
