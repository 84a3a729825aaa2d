# The DDVE posture expanded into rules and entries, without creating
# anything: here fed to hashicorp/aws resources, one per rule or entry.
data "ddve_rules" "ddve" {
  profiles = {
    management     = { cidr_blocks = ["10.0.1.10/32"] }
    ddboost        = { cidr_blocks = ["10.0.2.0/24"] }
    object_storage = { prefix_list_ids = [var.s3_prefix_list_id] } # read through AWS
  }
  deny = [{ cidr_block = "5.5.5.5/32" }]
}

locals {
  # Keyed by what each rule or entry does, so adding or removing a peer
  # adds or removes instances and leaves the others alone.
  ingress_rules = { for r in data.ddve_rules.ddve.security_group_rules : r.key => r if r.direction == "ingress" }
  egress_rules  = { for r in data.ddve_rules.ddve.security_group_rules : r.key => r if r.direction == "egress" }
  acl_entries   = { for e in data.ddve_rules.ddve.network_acl_entries : e.key => e }
}

resource "aws_vpc_security_group_ingress_rule" "ddve" {
  for_each = local.ingress_rules

  security_group_id            = var.ddve_security_group_id
  description                  = each.value.description
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.protocol == "-1" ? null : each.value.from_port
  to_port                      = each.value.protocol == "-1" ? null : each.value.to_port
  cidr_ipv4                    = each.value.cidr_ipv4
  cidr_ipv6                    = each.value.cidr_ipv6
  referenced_security_group_id = each.value.referenced_security_group_id
  prefix_list_id               = each.value.prefix_list_id
}

resource "aws_vpc_security_group_egress_rule" "ddve" {
  for_each = local.egress_rules

  security_group_id            = var.ddve_security_group_id
  description                  = each.value.description
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.protocol == "-1" ? null : each.value.from_port
  to_port                      = each.value.protocol == "-1" ? null : each.value.to_port
  cidr_ipv4                    = each.value.cidr_ipv4
  cidr_ipv6                    = each.value.cidr_ipv6
  referenced_security_group_id = each.value.referenced_security_group_id
  prefix_list_id               = each.value.prefix_list_id
}

resource "aws_network_acl_rule" "ddve" {
  for_each = local.acl_entries

  network_acl_id  = var.ddve_network_acl_id
  rule_number     = each.value.rule_number
  egress          = each.value.egress
  rule_action     = each.value.rule_action
  protocol        = each.value.protocol
  cidr_block      = each.value.cidr_block
  ipv6_cidr_block = each.value.ipv6_cidr_block
  from_port       = contains(["6", "17"], each.value.protocol) ? each.value.from_port : null
  to_port         = contains(["6", "17"], each.value.protocol) ? each.value.to_port : null
  icmp_type       = contains(["1", "58"], each.value.protocol) ? each.value.icmp_type : null
  icmp_code       = contains(["1", "58"], each.value.protocol) ? each.value.icmp_code : null
}

variable "ddve_security_group_id" { type = string }
variable "ddve_network_acl_id" { type = string }
variable "s3_prefix_list_id" { type = string }
