# Does the bastion's SSH reach DDVE, and its answer come back? Does DDVE
# reach S3? What exactly can reach DDVE, through which layer? Works on
# groups and ACLs made by hand as well, to audit them before a migration.
data "ddve_reachability" "check" {
  security_group_ids = [ddve_security_group.ddve.id]
  subnet_id          = var.ddve_subnet_id # or network_acl_id
  ddve_address       = "10.0.9.5"         # DDVE's address, inside that subnet

  flows = [
    { peer = "10.0.1.10", opener = "peer", protocol = "tcp", port = 22 },
    { peer = "52.216.4.1", opener = "ddve", protocol = "tcp", port = 443 },
    { peer = "10.0.3.20", opener = "peer", protocol = "tcp", port = 2049, client_port = 800 },
  ]
}

output "flows" {
  value = data.ddve_reachability.check.results
}

output "exposure" {
  value = data.ddve_reachability.check.exposure_table
}

# Fail the run when the layers disagree: one line per rule or entry at fault.
check "layers_agree" {
  assert {
    condition     = length(data.ddve_reachability.check.mismatches) == 0
    error_message = join("\n", data.ddve_reachability.check.mismatch_groups[*].summary)
  }
}
