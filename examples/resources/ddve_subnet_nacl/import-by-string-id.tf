# Terraform 1.5 and later, OpenTofu 1.6 and later: an import block, planned
# and applied with the rest of the configuration.
import {
  to = ddve_subnet_nacl.ddve
  id = "acl-0123456789abcdef0"
}
