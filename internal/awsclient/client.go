// Package awsclient builds the EC2 client the resources share, from the
// provider's settings and the standard AWS credential chain.
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// DefaultMaxRetries is how often a throttled or transiently failed call is
// retried when the provider sets no max_retries.
const DefaultMaxRetries = 25

// AssumeRole is the role to assume on top of the base credentials.
type AssumeRole struct {
	RoleARN     string
	SessionName string
	ExternalID  string
}

// Settings are the provider's AWS settings; zero values defer to the
// environment and shared configuration, as the AWS CLI does.
type Settings struct {
	Region                 string
	Profile                string
	SharedConfigFiles      []string
	SharedCredentialsFiles []string
	AssumeRole             *AssumeRole
	EC2Endpoint            string
	STSEndpoint            string
	MaxRetries             int // negative: DefaultMaxRetries
	// UserAgent names the provider and its version, e.g.
	// "terraform-provider-ddve/1.0.0"; the SDK appends its own.
	UserAgentName, UserAgentVersion string
}

// Client is what the resources use.
type Client struct {
	EC2    *ec2.Client
	Region string
}

// maxAttempts is how often a call is tried: max_retries + 1 when the
// provider sets it; else what the environment or the shared profile says
// (AWS_MAX_ATTEMPTS, max_attempts, which the SDK loads into
// RetryMaxAttempts), as the AWS provider honours them; else
// DefaultMaxRetries + 1.
func maxAttempts(maxRetries, configured int) int {
	switch {
	case maxRetries >= 0:
		return maxRetries + 1
	case configured > 0:
		return configured
	}
	return DefaultMaxRetries + 1
}

// ErrNoRegion is returned when neither the settings nor the environment
// name a region.
var ErrNoRegion = errors.New("no AWS region: set region in the provider block, or AWS_REGION, or a region in the shared config profile")

// New loads the configuration, checks that a region and credentials are
// there, and builds the EC2 client. It makes no call to AWS unless a role
// is to be assumed.
func New(ctx context.Context, s Settings) (*Client, error) {
	var opts []func(*config.LoadOptions) error
	if s.Region != "" {
		opts = append(opts, config.WithRegion(s.Region))
	}
	if s.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	if len(s.SharedConfigFiles) > 0 {
		opts = append(opts, config.WithSharedConfigFiles(s.SharedConfigFiles))
	}
	if len(s.SharedCredentialsFiles) > 0 {
		opts = append(opts, config.WithSharedCredentialsFiles(s.SharedCredentialsFiles))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, ErrNoRegion
	}
	cfg.APIOptions = append(cfg.APIOptions, awsmiddleware.AddUserAgentKeyValue(s.UserAgentName, s.UserAgentVersion))
	maxAttempts := maxAttempts(s.MaxRetries, cfg.RetryMaxAttempts)
	// Clients built from cfg would wrap the retryer with RetryMaxAttempts
	// again; the retryer below carries the number.
	cfg.RetryMaxAttempts = 0
	standard := func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = 20 * time.Second
		// The client-side retry quota fails calls on its own after a
		// burst of errors; Terraform runs are short and bounded by
		// max_retries already.
		o.RateLimiter = ratelimit.None
	}
	// Throttled calls wait for their action's measured rate rather than
	// retry into an empty bucket (pacing.go).
	cfg.Retryer = func() aws.Retryer { return newPacedRetryer(standard) }

	if s.AssumeRole != nil && s.AssumeRole.RoleARN != "" {
		stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
			if s.STSEndpoint != "" {
				o.BaseEndpoint = aws.String(s.STSEndpoint)
			}
		})
		role := *s.AssumeRole
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, role.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			if role.SessionName != "" {
				o.RoleSessionName = role.SessionName
			}
			if role.ExternalID != "" {
				o.ExternalID = aws.String(role.ExternalID)
			}
		}))
	}
	if cfg.Credentials == nil {
		return nil, errors.New("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or run where an instance or task role is available")
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("no usable AWS credentials (environment, shared files, profile %q, SSO, instance role, assume_role were tried): %w", s.Profile, err)
	}

	client := ec2.NewFromConfig(cfg, func(o *ec2.Options) {
		if s.EC2Endpoint != "" {
			o.BaseEndpoint = aws.String(s.EC2Endpoint)
		}
	})
	return &Client{EC2: client, Region: cfg.Region}, nil
}
