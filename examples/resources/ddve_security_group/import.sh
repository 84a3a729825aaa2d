# A security group is imported by its ID. With the configuration that made
# it, the first plan shows no change.
terraform import ddve_security_group.ddve sg-0123456789abcdef0
