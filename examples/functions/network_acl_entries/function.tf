# The entries of a stateless ACL, return traffic included, computed in the
# configuration: no AWS call, so peers are CIDR blocks (a prefix list
# needs data "ddve_rules"; security groups cannot be ACL peers).
locals {
  entries = provider::ddve::network_acl_entries(
    {
      management = { cidr_blocks = ["10.0.1.10/32"] }
      ntp        = { cidr_blocks = ["10.0.5.0/24"] }
    },
    {
      deny            = [{ cidr_block = "5.5.5.5/32" }]
      ephemeral_ports = { from_port = 32768, to_port = 65535 }
    },
  )

  # No options: pass {}.
  management_only = provider::ddve::network_acl_entries({ management = { cidr_blocks = ["10.0.1.10/32"] } }, {})
}

output "entries" {
  value = [for e in local.entries : format("%s #%d %s", e.egress ? "out" : "in", e.rule_number, e.key)]
}
