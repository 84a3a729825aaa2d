package awsec2

import (
	"context"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func tagSpecifications(resource types.ResourceType, tags map[string]string) []types.TagSpecification {
	if len(tags) == 0 {
		return nil
	}
	return []types.TagSpecification{{ResourceType: resource, Tags: toTags(tags)}}
}

func toTags(tags map[string]string) []types.Tag {
	out := make([]types.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

func fromTags(tags []types.Tag) map[string]string {
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

// UpdateTags makes the resource's tags equal to want, with at most one
// DeleteTags and one CreateTags call.
func UpdateTags(ctx context.Context, client *ec2.Client, id string, have, want map[string]string) error {
	var gone []types.Tag
	for k := range have {
		if _, ok := want[k]; !ok {
			gone = append(gone, types.Tag{Key: aws.String(k)})
		}
	}
	changed := map[string]string{}
	for k, v := range want {
		if old, ok := have[k]; !ok || old != v {
			changed[k] = v
		}
	}
	if len(gone) > 0 {
		if _, err := client.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: gone}); err != nil {
			return err
		}
	}
	if len(changed) > 0 {
		if _, err := client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: toTags(changed)}); err != nil {
			return err
		}
	}
	return nil
}
