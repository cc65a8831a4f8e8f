package toolbox

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

	"github.com/iamdiag/iamdiag/internal/authrecord"
	"github.com/iamdiag/iamdiag/internal/fakeaws"
)

// noBackoff retries at once.
type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

func config(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIATOOLBOXTEST00001", "secret", ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.Backoff = noBackoff{}; o.RateLimiter = ratelimit.None })
		},
	}
}

func record() *authrecord.Record {
	return &authrecord.Record{
		Format: authrecord.Format, AuthorizationID: "abc123",
		RequestContext: map[string]json.RawMessage{"aws:PrincipalArn": json.RawMessage(`"arn:aws:iam::123456789012:role/R"`)},
		Evaluations: []authrecord.Evaluation{
			{Action: "ec2:RunInstances", Resource: "*", EvaluatedEffect: authrecord.EffectExplicitDeny},
			{Action: "iam:PassRole", Resource: "*", EvaluatedEffect: authrecord.EffectAllow},
		},
		Policies:  []authrecord.PolicyInfo{{Type: authrecord.TypeIdentity, URI: "arn:aws:iam::123456789012:policy/P"}, {Type: authrecord.TypeSession, URI: "opaque/1+2", Inline: true}},
		Documents: map[string]json.RawMessage{"arn:aws:iam::123456789012:policy/P": json.RawMessage(`{"Version":"2012-10-17","Statement":[]}`), "opaque/1+2": json.RawMessage(`{"Version":"2012-10-17","Statement":[]}`)},
	}
}

func TestRecords(t *testing.T) {
	tests := []struct {
		name      string
		opts      fakeaws.Options
		id        string
		wantErr   error
		wantCalls map[string]int
	}{
		{name: "two pages and both documents", id: "abc123",
			wantCalls: map[string]int{"GetRequestAuthorizationDetails": 2, "GetRequestAuthorizationPolicy": 2}},
		{name: "throttled once each: retried", id: "abc123",
			opts:      fakeaws.Options{Throttle: map[string]int{"GetRequestAuthorizationDetails": 1, "GetRequestAuthorizationPolicy": 1}},
			wantCalls: map[string]int{"GetRequestAuthorizationDetails": 3, "GetRequestAuthorizationPolicy": 3}},
		{name: "unknown or expired", id: "gone1", wantErr: authrecord.ErrNotFound,
			wantCalls: map[string]int{"GetRequestAuthorizationDetails": 1}},
		{name: "not permitted", id: "abc123", opts: fakeaws.Options{Deny: map[string]string{"GetRequestAuthorizationDetails": ""}},
			wantErr: authrecord.ErrAccessDenied, wantCalls: map[string]int{"GetRequestAuthorizationDetails": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Records = map[string]*authrecord.Record{"abc123": record()}
			srv := fakeaws.New(nil, tt.opts)
			u := srv.Start()
			defer srv.Close()
			t.Setenv(endpointEnv, "")
			rec, err := Records{Config: config(u)}.FetchRecord(context.Background(), tt.id, "")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if got := srv.Calls(); len(got) != len(tt.wantCalls) || got["GetRequestAuthorizationDetails"] != tt.wantCalls["GetRequestAuthorizationDetails"] || got["GetRequestAuthorizationPolicy"] != tt.wantCalls["GetRequestAuthorizationPolicy"] {
				t.Errorf("calls %v, want %v", got, tt.wantCalls)
			}
			for _, c := range srv.Log() {
				if c.AccessKeyID != "AKIATOOLBOXTEST00001" {
					t.Errorf("%s not signed with the configured key: %q", c.Op, c.AccessKeyID)
				}
			}
			if err != nil {
				return
			}
			if len(rec.Evaluations) != 2 || len(rec.Documents) != 2 || len(rec.DocumentErrors) != 0 {
				t.Errorf("record: %d evaluations, %d documents, errors %v", len(rec.Evaluations), len(rec.Documents), rec.DocumentErrors)
			}
		})
	}
}

func TestEndpoint(t *testing.T) {
	tests := []struct {
		name, env, ignore, base, region, want string
	}{
		{name: "default", region: "us-east-1", want: "https://iam-toolbox.us-east-1.amazonaws.com"},
		{name: "China", region: "cn-north-1", want: "https://iam-toolbox.cn-north-1.amazonaws.com.cn"},
		{name: "AWS_ENDPOINT_URL", base: "http://127.0.0.1:4566/", region: "us-east-1", want: "http://127.0.0.1:4566"},
		{name: "service variable wins", env: "http://127.0.0.1:9000", base: "http://127.0.0.1:4566", region: "us-east-1", want: "http://127.0.0.1:9000"},
		{name: "ignored", env: "http://127.0.0.1:9000", ignore: "true", base: "http://127.0.0.1:4566", region: "eu-west-1", want: "https://iam-toolbox.eu-west-1.amazonaws.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(endpointEnv, tt.env)
			t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", tt.ignore)
			cfg := aws.Config{Region: "us-east-1"}
			if tt.base != "" {
				cfg.BaseEndpoint = aws.String(tt.base)
			}
			if got := New(cfg, tt.region).endpoint; got != tt.want {
				t.Errorf("endpoint %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"expired", opError("GetRequestAuthorizationDetails", &smithy.GenericAPIError{Code: "ResourceNotFoundException"}), authrecord.ErrNotFound},
		{"denied", opError("GetRequestAuthorizationDetails", &smithy.GenericAPIError{Code: "AccessDeniedException"}), authrecord.ErrAccessDenied},
		{"malformed ID", opError("GetRequestAuthorizationDetails", &smithy.GenericAPIError{Code: "ValidationException"}), authrecord.ErrInvalid},
		{"no endpoint in the region", opError("GetRequestAuthorizationDetails", &net.OpError{Op: "dial", Err: &net.DNSError{Name: "iam-toolbox.xx-east-9.amazonaws.com", IsNotFound: true}}), authrecord.ErrUnsupportedRegion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); !errors.Is(got, tt.want) {
				t.Errorf("classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	if got := classify(errors.New("EOF")); errors.Is(got, authrecord.ErrNotFound) || errors.Is(got, authrecord.ErrAccessDenied) {
		t.Errorf("an unrelated failure was classified: %v", got)
	}
}
