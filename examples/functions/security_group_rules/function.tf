# The rules of a posture, computed in the configuration: no AWS call, so
# peers are CIDR blocks or security groups (a prefix list needs
# data "ddve_rules").
locals {
  ddve_rules = provider::ddve::security_group_rules({
    management = { security_group_ids = [var.bastion_security_group_id] }
    ddboost    = { cidr_blocks = ["10.0.2.0/24"] }
  })

  # Options: custom_rules, allow_public_ingress, path_mtu_discovery,
  # rpc_dynamic_ports, rules_per_direction_quota.
  with_agent = provider::ddve::security_group_rules(
    { management = { cidr_blocks = ["10.0.1.10/32"] } },
    { custom_rules = [{ direction = "ingress", protocol = "tcp", from_port = 8443, to_port = 8443, cidr_blocks = ["10.0.9.0/24"], description = "vendor agent" }] },
  )
}

output "ingress_ports" {
  # Ports of TCP and UDP rules; path MTU discovery's ICMP rule has none.
  value = distinct([for r in local.ddve_rules : r.from_port if r.direction == "ingress" && contains(["tcp", "udp"], r.protocol)])
}

variable "bastion_security_group_id" { type = string }
