# Terraform 1.5 and later, OpenTofu 1.6 and later: an import block, planned
# and applied with the rest of the configuration.
import {
  to = ddve_security_group.ddve
  id = "sg-0123456789abcdef0"
}
