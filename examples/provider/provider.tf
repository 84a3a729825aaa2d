terraform {
  required_providers {
    ddve = {
      source = "ddvelabs/ddve"
    }
  }
}

# Credentials come from the standard AWS chain: environment, shared files,
# SSO, or the instance or task role.
provider "ddve" {
  region = "us-east-1"

  # assume_role = { role_arn = "arn:aws:iam::123456789012:role/ddve-network" }
  # endpoints   = { ec2 = "https://vpce-0123-abcd.ec2.us-east-1.vpce.amazonaws.com" }

  default_tags = {
    tags = { owner = "backup-team" }
  }
}
