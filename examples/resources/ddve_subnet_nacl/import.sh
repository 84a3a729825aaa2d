# A network ACL is imported by its ID. With the configuration that made it,
# the first plan records the intent in state and changes nothing in AWS.
terraform import ddve_subnet_nacl.ddve acl-0123456789abcdef0
