package awsec2

import (
	"fmt"
	"strings"
)

// partitionPrefixes maps region name prefixes to the partitions outside
// the commercial one; the longer ISO prefixes come first.
var partitionPrefixes = []struct{ prefix, partition string }{
	{"cn-", "aws-cn"},
	{"us-gov-", "aws-us-gov"},
	{"us-isob-", "aws-iso-b"},
	{"us-isof-", "aws-iso-f"},
	{"eu-isoe-", "aws-iso-e"},
	{"us-iso-", "aws-iso"},
}

// partition is the ARN partition of a region: arn:aws: is wrong in China,
// GovCloud and the isolated regions.
func partition(region string) string {
	for _, p := range partitionPrefixes {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// ec2ARN builds the ARN of an EC2 resource, for the resources whose
// describe answer carries none.
func ec2ARN(region, owner, resource string) string {
	return fmt.Sprintf("arn:%s:ec2:%s:%s:%s", partition(region), region, owner, resource)
}
