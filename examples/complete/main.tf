# The seed's layout on AWS, complete: a VPC with a public bastion subnet and
# a private DDVE subnet, an S3 gateway endpoint, and the DDVE posture.
terraform {
  required_providers {
    aws  = { source = "hashicorp/aws" }
    ddve = { source = "ddvelabs/ddve" }
  }
}

provider "aws" {
  region = "us-east-1"
}

provider "ddve" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "bastion" {
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.0.1.0/24"
  map_public_ip_on_launch = true
}

resource "aws_subnet" "ddve" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.9.0/24"
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table_association" "ddve" {
  subnet_id      = aws_subnet.ddve.id
  route_table_id = aws_route_table.private.id
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.main.id
  service_name      = "com.amazonaws.us-east-1.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
}

resource "aws_security_group" "bastion" {
  name   = "bastion"
  vpc_id = aws_vpc.main.id
}

resource "ddve_security_group" "ddve" {
  name   = "ddve"
  vpc_id = aws_vpc.main.id

  profiles = {
    management     = { security_group_ids = [aws_security_group.bastion.id] }
    object_storage = { prefix_list_ids = [aws_vpc_endpoint.s3.prefix_list_id] }
  }
}

resource "ddve_subnet_nacl" "ddve" {
  vpc_id     = aws_vpc.main.id
  subnet_ids = [aws_subnet.ddve.id]

  profiles = {
    management     = { cidr_blocks = [aws_subnet.bastion.cidr_block] }
    object_storage = { prefix_list_ids = [aws_vpc_endpoint.s3.prefix_list_id] }
  }
  deny = [{ cidr_block = "5.5.5.5/32" }]
}

resource "ddve_subnet_nacl" "bastion" {
  vpc_id         = aws_vpc.main.id
  subnet_ids     = [aws_subnet.bastion.id]
  deny           = [{ cidr_block = "5.5.5.5/32" }]
  default_action = "allow"
}

output "ddve_rules" {
  value = ddve_security_group.ddve.rules
}

output "ddve_subnet_entries" {
  value = ddve_subnet_nacl.ddve.entries
}
