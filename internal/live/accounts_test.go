package live_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/live"
	"github.com/iamdiag/iamdiag/internal/policy"
)

func TestRoleARN(t *testing.T) {
	tests := []struct {
		name, role, partition, account, want string
	}{
		{"a name", "iamdiag-reader", "", "222233334444", "arn:aws:iam::222233334444:role/iamdiag-reader"},
		{"a name with a path", "/security/iamdiag-reader", "aws-cn", "222233334444", "arn:aws-cn:iam::222233334444:role/security/iamdiag-reader"},
		{"a template", "arn:aws:iam::{account}:role/audit/Reader", "", "222233334444", "arn:aws:iam::222233334444:role/audit/Reader"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := live.RoleARN(tc.role, tc.partition, tc.account); got != tc.want {
				t.Errorf("RoleARN(%q, %q, %q) = %q, want %q", tc.role, tc.partition, tc.account, got, tc.want)
			}
		})
	}
}

// orgFake serves the fake organization of internal/fakeaws/testdata/org
// and returns the configuration of an on-call user of the workloads
// account (123456789012), whose credentials cannot read Organizations.
func orgFake(t testing.TB, opts fakeaws.OrgOptions) (*fakeaws.Org, aws.Config) {
	t.Helper()
	var snaps []*layers.Snapshot
	for _, n := range []string{"management", "workloads", "data", "sandbox"} {
		snaps = append(snaps, loadSnap(t, filepath.Join("..", "fakeaws", "testdata", "org", n+".json")))
	}
	opts.Keys = map[string]string{"AKIAWORKLOADONCALL01": "arn:aws:iam::123456789012:user/oncall"}
	o := fakeaws.NewOrg(snaps, opts)
	u := o.Start()
	t.Cleanup(o.Close)
	return o, aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAWORKLOADONCALL01", "secret", ""),
		BaseEndpoint: aws.String(u),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 20 * time.Millisecond })
		},
	}
}

func orgReader(cfg aws.Config, opt live.Options, onCall func(op, code string)) (*live.Reader, *live.RoleAccounts) {
	ic := iam.NewFromConfig(cfg)
	base := &live.AccountClients{IAM: ic, S3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), KMS: kms.NewFromConfig(cfg), Simulator: ic}
	acc := live.NewRoleAccounts(cfg, live.RoleOptions{Role: "iamdiag-reader", ExternalID: "iamdiag-test", Base: base, OnCall: onCall})
	opt.Accounts = acc
	return live.New(live.Clients{IAM: base.IAM, Organizations: organizations.NewFromConfig(cfg), S3: base.S3, KMS: base.KMS}, opt), acc
}

func TestRoleAccounts(t *testing.T) {
	ctx := context.Background()
	o, cfg := orgFake(t, fakeaws.OrgOptions{ExternalID: "iamdiag-test"})
	var (
		mu    sync.Mutex
		calls []string
	)
	_, acc := orgReader(cfg, live.Options{}, func(op, code string) {
		mu.Lock()
		calls = append(calls, op+" "+code)
		mu.Unlock()
	})

	home, err := acc.Clients(ctx, "123456789012")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := home.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("MyFederatedRole")}); err != nil {
		t.Errorf("the credentials' own account, read directly: %v", err)
	}
	for range 3 {
		data, err := acc.Clients(ctx, "222233334444")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := data.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("iamdiag-reader")}); err != nil {
			t.Errorf("the data account through its role: %v", err)
		}
	}
	var got []string
	for _, s := range o.Sessions() {
		got = append(got, s.RoleARN+" "+s.SessionName+" "+s.ExternalID)
	}
	// One AssumeRole per account per credential lifetime; none at home.
	if diff := cmp.Diff([]string{"arn:aws:iam::222233334444:role/iamdiag-reader iamdiag iamdiag-test"}, got); diff != "" {
		t.Errorf("sessions (-want +got):\n%s", diff)
	}

	_, err = acc.Clients(ctx, "333344445555")
	var ae *live.AssumeRoleError
	if !errors.As(err, &ae) {
		t.Fatalf("sandbox: error %v, want an *AssumeRoleError", err)
	}
	if ae.Account != "333344445555" || ae.RoleARN != "arn:aws:iam::333344445555:role/iamdiag-reader" {
		t.Errorf("AssumeRoleError = %+v, want the sandbox's account and role", ae)
	}
	mu.Lock()
	if diff := cmp.Diff([]string{"sts:AssumeRole ", "sts:AssumeRole AccessDenied"}, calls); diff != "" {
		t.Errorf("AssumeRole outcomes reported (-want +got):\n%s", diff)
	}
	mu.Unlock()
	r := ae.Readability("the identity policies")
	if !r.Unreadable || r.Error != "AccessDenied" || !strings.Contains(r.Message, "is not authorized to perform: sts:AssumeRole") || !strings.Contains(r.Message, "account 333344445555") {
		t.Errorf("Readability = %+v, want unreadable, AccessDenied, naming the account and AWS's message", r)
	}
}

func TestLayersAcrossAccounts(t *testing.T) {
	ctx := context.Background()
	_, cfg := orgFake(t, fakeaws.OrgOptions{ExternalID: "iamdiag-test"})
	rd, _ := orgReader(cfg, live.Options{AccountID: "123456789012"}, nil)
	ctxKeys := func(kv ...string) *policy.Context {
		c := &policy.Context{}
		for i := 0; i+1 < len(kv); i += 2 {
			c.Add(kv[i], kv[i+1])
		}
		return c
	}
	tests := []struct {
		name         string
		req          *policy.Request
		identity     int    // identity policies read
		identityErr  string // IdentityRead.Error
		resource     string // the resource policy's ARN
		resourceErr  string
		resourceAcct string
	}{
		{
			name:     "a member role and a bucket of another account",
			req:      &policy.Request{Principal: policy.Principal{ARN: "arn:aws:sts::123456789012:assumed-role/Analytics/job"}, Action: "s3:PutObject", Resource: "arn:aws:s3:::data-prod-exports/x", Context: ctxKeys("aws:ResourceAccount", "222233334444")},
			identity: 1, resource: "arn:aws:s3:::data-prod-exports", resourceAcct: "222233334444",
		},
		{
			name:     "a role of another account, read through its role",
			req:      &policy.Request{Principal: policy.Principal{ARN: "arn:aws:iam::222233334444:role/iamdiag-reader"}, Action: "s3:GetObject", Resource: "arn:aws:s3:::data-prod-exports/x", Context: ctxKeys()},
			identity: 1, resource: "arn:aws:s3:::data-prod-exports", resourceAcct: "222233334444",
		},
		{
			name:        "an account whose role cannot be assumed: only its layers are unknown",
			req:         &policy.Request{Principal: policy.Principal{ARN: "arn:aws:sts::333344445555:assumed-role/Builder/s"}, Action: "s3:GetObject", Resource: "arn:aws:s3:::data-prod-exports/x", Context: ctxKeys("aws:ResourceAccount", "222233334444")},
			identityErr: "AccessDenied", resource: "arn:aws:s3:::data-prod-exports", resourceAcct: "222233334444",
		},
		{
			name:     "a bucket in an account whose role cannot be assumed",
			req:      &policy.Request{Principal: policy.Principal{ARN: "arn:aws:sts::123456789012:assumed-role/Analytics/job"}, Action: "s3:GetObject", Resource: "arn:aws:s3:::sandbox-bucket/x", Context: ctxKeys("aws:ResourceAccount", "333344445555")},
			identity: 1, resourceErr: "AccessDenied", resourceAcct: "333344445555",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := rd.Layers(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			res := ""
			if l.Resource != nil {
				res = l.Resource.ARN
			}
			got := []any{len(l.Identity), l.IdentityRead.Error, l.IdentityRead.Unreadable, res, l.ResourceRead.Error, l.ResourceAccount}
			want := []any{tc.identity, tc.identityErr, tc.identityErr != "", tc.resource, tc.resourceErr, tc.resourceAcct}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("identity policies, identity error, unreadable, resource policy, resource error, resource account (-want +got):\n%s", diff)
			}
			if tc.identityErr != "" && (!l.BoundaryRead.Unreadable || !strings.Contains(l.IdentityRead.Message, "333344445555:role/iamdiag-reader")) {
				t.Errorf("identity %+v, boundary %+v: want both unreadable, naming the role", l.IdentityRead, l.BoundaryRead)
			}
		})
	}
}
