# The DDVE instance's group: SSH and HTTPS from the bastion, DD Boost from
# the backup servers, replication with the peer site, HTTPS to S3 through the
# gateway endpoint's prefix list.
resource "ddve_security_group" "ddve" {
  name   = "ddve-prod"
  vpc_id = var.vpc_id

  profiles = {
    management     = { security_group_ids = [var.bastion_sg_id] }
    ddboost        = { cidr_blocks = ["10.0.2.0/24"] }
    replication    = { cidr_blocks = ["10.1.0.0/16"] }
    object_storage = { prefix_list_ids = [var.s3_prefix_list_id] }
  }

  custom_rules = [
    {
      direction   = "ingress"
      protocol    = "tcp"
      from_port   = 8443
      to_port     = 8443
      cidr_blocks = ["10.0.9.0/24"]
      description = "vendor agent"
    },
  ]

  tags = { Name = "ddve-prod" }
}

variable "vpc_id" { type = string }
variable "bastion_sg_id" { type = string }
variable "s3_prefix_list_id" { type = string }
