# The seed's posture against the local emulator: the DDVE group (SSH and
# HTTPS in from the bastion, HTTPS out to S3), the DDVE private subnet's ACL
# and the bastion public subnet's deny-list ACL.
terraform {
  required_providers {
    ddve = { source = "ddvelabs/ddve" }
  }
}

variable "ec2_endpoint" { type = string }
variable "vpc_id" { type = string }
variable "bastion_sg_id" { type = string }
variable "bastion_subnet_id" { type = string }
variable "ddve_subnet_id" { type = string }
variable "s3_prefix_list_id" { type = string }
variable "s3_address" { type = string }
variable "bastion_cidrs" {
  type    = list(string)
  default = ["10.0.1.10/32"]
}

provider "ddve" {
  region    = "us-east-1"
  endpoints = { ec2 = var.ec2_endpoint }
}

resource "ddve_security_group" "ddve" {
  name   = "ddve-demo"
  vpc_id = var.vpc_id

  profiles = {
    management     = { cidr_blocks = var.bastion_cidrs, security_group_ids = [var.bastion_sg_id] }
    object_storage = { prefix_list_ids = [var.s3_prefix_list_id] }
  }
  tags = { Name = "ddve-demo" }
}

resource "ddve_subnet_nacl" "ddve" {
  vpc_id     = var.vpc_id
  subnet_ids = [var.ddve_subnet_id]

  profiles = {
    management     = { cidr_blocks = var.bastion_cidrs }
    object_storage = { prefix_list_ids = [var.s3_prefix_list_id] }
  }
  deny = [{ cidr_block = "5.5.5.5/32" }]
}

resource "ddve_subnet_nacl" "bastion" {
  vpc_id         = var.vpc_id
  subnet_ids     = [var.bastion_subnet_id]
  deny           = [{ cidr_block = "5.5.5.5/32" }]
  default_action = "allow"
}

output "group_id" {
  value = ddve_security_group.ddve.id
}

output "rules" {
  value = ddve_security_group.ddve.rules
}

output "ddve_subnet_entries" {
  value = ddve_subnet_nacl.ddve.entries
}

output "bastion_subnet_entries" {
  value = ddve_subnet_nacl.bastion.entries
}

# What gets through, read back from AWS: the bastion's SSH, HTTPS to S3 and
# 5.5.5.5, and the exact exposure of the group, the ACL and both.
data "ddve_reachability" "check" {
  security_group_ids = [ddve_security_group.ddve.id]
  subnet_id          = var.ddve_subnet_id
  ddve_address       = "10.0.9.5"
  flows = [
    { peer = "10.0.1.10", opener = "peer", protocol = "tcp", port = 22 },
    { peer = var.s3_address, opener = "ddve", protocol = "tcp", port = 443 },
    { peer = "5.5.5.5", opener = "peer", protocol = "tcp", port = 22 },
  ]
  depends_on = [ddve_subnet_nacl.ddve]
}

output "reachability" {
  value = data.ddve_reachability.check.results
}

output "exposure_table" {
  value = data.ddve_reachability.check.exposure_table
}
