package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/pflag"

	"github.com/iamdiag/iamdiag/internal/awserr"
	"github.com/iamdiag/iamdiag/internal/decode"
	"github.com/iamdiag/iamdiag/internal/live"
)

// defaultRegion is used when neither --region, AWS_REGION nor the profile
// names one: IAM and Organizations are global services and
// sts:DecodeAuthorizationMessage answers in any region, so the region
// matters only for S3 and KMS resource policies and VPC endpoints (read
// in the request's region when it is known).
const defaultRegion = "us-east-1"

// awsBackoff, when set, replaces the retryer's backoff and turns off its
// retry quota. Only tests set it (a zero delay): the SDK's standard
// backoff makes a throttled call wait seconds.
var awsBackoff retry.BackoffDelayer

// awsDial, when set, is how the SDK's HTTP client dials (no proxy). Only
// tests set it: to refuse every address but 127.0.0.1.
var awsDial func(ctx context.Context, network, addr string) (net.Conn, error)

// awsOptions are the flags of the commands that talk to AWS.
type awsOptions struct {
	Timeout time.Duration
}

func (o *awsOptions) addFlags(fs *pflag.FlagSet, def time.Duration) {
	fs.DurationVar(&o.Timeout, "timeout", def, "give up on AWS after `DURATION` in all (every call, retry and backoff included)")
}

// loadAWSConfig loads the SDK's default configuration once for a command:
// the default credential chain (environment, shared files, SSO profiles,
// web identity, container and instance roles), --profile over AWS_PROFILE,
// --region over AWS_REGION and the profile's region, AWS_ENDPOINT_URL and
// the per-service AWS_ENDPOINT_URL_* variables, and the standard retryer
// with exponential backoff for throttling (AWS_MAX_ATTEMPTS and
// AWS_RETRY_MODE honoured), all read by the SDK itself
// (https://docs.aws.amazon.com/sdkref/latest/guide/settings-reference.html).
func loadAWSConfig(ctx context.Context, profile, region string) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if o := awsLogOption(ctx); o != nil {
		opts = append(opts, o)
	}
	if awsBackoff != nil {
		opts = append(opts, config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = awsBackoff
				o.RateLimiter = ratelimit.None
			})
		}))
	}
	if awsDial != nil {
		opts = append(opts, config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.Proxy = nil
			tr.DialContext = awsDial
		})))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading the AWS configuration: %w; check --profile / AWS_PROFILE and the shared config file", err)
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	return cfg, nil
}

// awsClients are the service clients of one command, built from one
// configuration.
type awsClients struct {
	iam *iam.Client
	sts *sts.Client
	org *organizations.Client
	s3  *s3.Client
	kms *kms.Client
	ec2 *ec2.Client
}

// source returns the clients the live source reads through.
func (c *awsClients) source() live.SourceClients {
	return live.SourceClients{Clients: live.Clients{IAM: c.iam, Organizations: c.org, S3: c.s3, KMS: c.kms, EC2: c.ec2}, STS: c.sts, Simulator: c.iam}
}

// capture returns the clients a capture reads through.
func (c *awsClients) capture() live.CaptureClients {
	return live.CaptureClients{IAM: c.iam, STS: c.sts, Organizations: c.org}
}

func newAWSClients(cfg aws.Config) *awsClients {
	return &awsClients{
		iam: iam.NewFromConfig(cfg),
		sts: sts.NewFromConfig(cfg),
		org: organizations.NewFromConfig(cfg),
		s3:  s3.NewFromConfig(cfg),
		kms: kms.NewFromConfig(cfg),
		ec2: ec2.NewFromConfig(cfg),
	}
}

// explainAWSError turns an AWS failure into a message that says what to do;
// other errors are returned as they are.
func explainAWSError(err error, profile string) error {
	return explainAWSErrorOffline(err, profile, "diagnose offline with --snapshot FILE")
}

// explainAWSErrorOffline is explainAWSError with the command's own offline
// alternative for a credentials problem ("" when it has none).
func explainAWSErrorOffline(err error, profile, offline string) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.code == exitUsage {
		return err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &exitError{code: exitFailure, err: fmt.Errorf("AWS did not answer within --timeout (raise it, e.g. --timeout 2m, or check the network and AWS_ENDPOINT_URL*): %w", err)}
	case live.CredentialsProblem(err):
		how := "run `aws sso login` for an SSO profile, get a new session token, or choose other credentials with --profile or AWS_PROFILE"
		if profile != "" {
			how = "run `aws sso login --profile " + profile + "` for an SSO profile, get a new session token, or choose another --profile"
		}
		what := "no usable AWS credentials"
		if code := awserr.Code(err); code != "" {
			what = "AWS rejected the credentials (" + code + ")"
		}
		if offline != "" {
			how += "; or " + offline
		}
		return &exitError{code: exitFailure, err: fmt.Errorf("%s: refresh the credentials and run again: %s: %w", what, how, err)}
	case errors.Is(err, decode.ErrSTS):
		code := awserr.Code(err)
		switch {
		case code == "InvalidAuthorizationMessageException":
			// https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html#API_DecodeAuthorizationMessage_Errors
			return &exitError{code: exitFailure, err: fmt.Errorf("STS says the encoded message is not valid (InvalidAuthorizationMessageException): pass the whole text after \"Encoded authorization failure message:\", and decode it with credentials of the account that received the denied request (--profile); or pass what `aws sts decode-authorization-message` printed there with --decoded-message FILE: %w", err)}
		case awserr.IsDenied(code):
			return &exitError{code: exitFailure, err: fmt.Errorf("the credentials may not call sts:DecodeAuthorizationMessage (%s): allow that action to them (see the README's minimal policy), or have someone who may run `aws sts decode-authorization-message --encoded-message …` and pass its output with --decoded-message FILE; --error-file with the error text also works, with less context: %w", code, err)}
		}
	}
	return err
}

// plural writes n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
