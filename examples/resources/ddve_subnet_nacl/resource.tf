# The DDVE private subnet: management from the bastion, HTTPS to S3 (the
# prefix list is resolved to its CIDRs at plan time), everything else denied.
resource "ddve_subnet_nacl" "ddve" {
  vpc_id     = var.vpc_id
  subnet_ids = [var.ddve_subnet_id]

  profiles = {
    management     = { cidr_blocks = ["10.0.1.10/32"] }
    ddboost        = { cidr_blocks = ["10.0.2.0/24"] }
    object_storage = { prefix_list_ids = [var.s3_prefix_list_id] }
  }

  ephemeral_ports = { from_port = 1024, to_port = 65535 }
  deny            = [{ cidr_block = "5.5.5.5/32" }]
  default_action  = "deny"
}

# The bastion's public subnet: a deny list, everything else allowed.
resource "ddve_subnet_nacl" "bastion" {
  vpc_id         = var.vpc_id
  subnet_ids     = [var.bastion_subnet_id]
  deny           = [{ cidr_block = "5.5.5.5/32", direction = "both" }]
  default_action = "allow"
}

variable "vpc_id" { type = string }
variable "ddve_subnet_id" { type = string }
variable "bastion_subnet_id" { type = string }
variable "s3_prefix_list_id" { type = string }
