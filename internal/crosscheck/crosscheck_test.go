package crosscheck_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/crosscheck"
	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

func TestEntries(t *testing.T) {
	c := &policy.Context{}
	c.Set("aws:SourceIp", "203.0.113.7")
	c.Set("aws:CurrentTime", "2026-11-26T10:00:00Z")
	c.Set("aws:MultiFactorAuthPresent", "true")
	c.Set("aws:MultiFactorAuthAge", "300")
	c.Set("aws:EpochTime", "1700000000")
	c.Set("aws:RequestedRegion", "eu-west-1")
	c.Set("aws:TagKeys", "team")
	c.Set("ec2:InstanceType", "t3.micro", "m5.large")
	c.Set("aws:SecureTransport", "true", "false")
	want := []crosscheck.ContextEntry{
		{Key: "aws:CurrentTime", Type: "date", Values: []string{"2026-11-26T10:00:00Z"}},
		{Key: "aws:EpochTime", Type: "numeric", Values: []string{"1700000000"}},
		{Key: "aws:MultiFactorAuthAge", Type: "numeric", Values: []string{"300"}},
		{Key: "aws:MultiFactorAuthPresent", Type: "boolean", Values: []string{"true"}},
		{Key: "aws:RequestedRegion", Type: "string", Values: []string{"eu-west-1"}},
		{Key: "aws:SecureTransport", Type: "booleanList", Values: []string{"true", "false"}},
		{Key: "aws:SourceIp", Type: "ip", Values: []string{"203.0.113.7"}},
		{Key: "aws:TagKeys", Type: "stringList", Values: []string{"team"}},
		{Key: "ec2:InstanceType", Type: "stringList", Values: []string{"t3.micro", "m5.large"}},
	}
	if diff := cmp.Diff(want, crosscheck.Entries(c)); diff != "" {
		t.Errorf("Entries (-want +got):\n%s", diff)
	}
	e := &policy.Context{}
	e.Set("aws:EpochTime", "2026-11-26T10:00:00Z")
	if got := crosscheck.Entries(e); got[0].Type != "date" {
		t.Errorf("aws:EpochTime as a date: type %q", got[0].Type)
	}
}

func client(t *testing.T, snap *layers.Snapshot, opts fakeaws.Options) (*iam.Client, *fakeaws.Server) {
	t.Helper()
	f := fakeaws.New(snap, opts)
	url := f.Start()
	t.Cleanup(f.Close)
	cfg := aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIAFAKEFAKEFAKEFAKE", "secret", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 10 * time.Millisecond })
		},
	}
	return iam.NewFromConfig(cfg), f
}

func load(t *testing.T, path string) *layers.Snapshot {
	t.Helper()
	s, err := layers.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCheckAgreesWithLocal runs the seed and boundary examples' requests
// through the local engine and the (fake) simulator: every layer the
// simulator evaluates decides them, so both must agree.
func TestCheckAgreesWithLocal(t *testing.T) {
	tests := []struct {
		name, snapshot string
		req            *policy.Request
		context        map[string][]string
		want           string
	}{
		{name: "SCP deny", snapshot: "../../examples/seed/snapshot.json",
			req:     policy.NewRequest("arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane", "ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:instance/*"),
			context: map[string][]string{"aws:RequestedRegion": {"eu-west-1"}}, want: crosscheck.DecisionExplicitDeny},
		{name: "boundary", snapshot: "../../examples/boundary/snapshot.json",
			req:  policy.NewRequest("arn:aws:sts::111122223333:assumed-role/ReportWriter/batch", "s3:PutObject", "arn:aws:s3:::reports-bucket/2026/q4.csv"),
			want: crosscheck.DecisionImplicitDeny},
		{name: "allowed", snapshot: "../../examples/boundary/snapshot.json",
			req:  policy.NewRequest("arn:aws:sts::111122223333:assumed-role/ReportWriter/batch", "s3:GetObject", "arn:aws:s3:::reports-bucket/2026/q4.csv"),
			want: crosscheck.DecisionAllowed},
	}
	for _, tt := range tests {
		for _, pageSize := range []int{0, 1} {
			t.Run(fmt.Sprintf("%s/page-size-%d", tt.name, pageSize), func(t *testing.T) {
				snap := load(t, tt.snapshot)
				for k, v := range tt.context {
					tt.req.Context.Set(k, v...)
				}
				l, err := snap.Layers(tt.req)
				if err != nil {
					t.Fatal(err)
				}
				local := simulate.Evaluate(tt.req, l, simulate.Options{})
				var seen *policy.Context
				api, _ := client(t, snap, fakeaws.Options{PageSize: pageSize, SimulateOverride: func(q fakeaws.SimulateQuery, a fakeaws.SimulateAnswer) fakeaws.SimulateAnswer {
					seen = q.Context
					return a
				}})
				r, err := crosscheck.Check(context.Background(), api, tt.req, l.Principal.IAMARN)
				if err != nil {
					t.Fatal(err)
				}
				if r.EvalDecision != tt.want {
					t.Errorf("EvalDecision = %s, want %s (%+v)", r.EvalDecision, tt.want, r)
				}
				if agrees, detail := crosscheck.Compare(local.Decision, r); !agrees {
					t.Errorf("Compare(%s) disagrees: %s", local.Decision, detail)
				}
				for k, v := range tt.context {
					if got, _ := seen.Get(k); !cmp.Equal(got, v) {
						t.Errorf("simulator saw %s = %v, want %v", k, got, v)
					}
				}
				if r.PolicySourceARN != l.Principal.IAMARN || strings.Contains(r.PolicySourceARN, "assumed-role") {
					t.Errorf("PolicySourceARN = %s", r.PolicySourceARN)
				}
			})
		}
	}
}

func TestCheckFailures(t *testing.T) {
	snap := load(t, "../../examples/seed/snapshot.json")
	req := policy.NewRequest("arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane", "ec2:RunInstances", "*")
	role := "arn:aws:iam::123456789012:role/MyFederatedRole"
	t.Run("denied", func(t *testing.T) {
		api, _ := client(t, snap, fakeaws.Options{Deny: map[string]string{"SimulatePrincipalPolicy": ""}})
		_, err := crosscheck.Check(context.Background(), api, req, role)
		var ce *crosscheck.Error
		if !errors.As(err, &ce) || !ce.Denied || err.Error() != "iam:SimulatePrincipalPolicy was denied (AccessDenied)" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		api, _ := client(t, snap, fakeaws.Options{Malformed: map[string]bool{"SimulatePrincipalPolicy": true}})
		_, err := crosscheck.Check(context.Background(), api, req, role)
		var ce *crosscheck.Error
		if !errors.As(err, &ce) || ce.Denied {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("session ARN is never sent", func(t *testing.T) {
		api, f := client(t, snap, fakeaws.Options{})
		_, err := crosscheck.Check(context.Background(), api, req, req.Principal.ARN)
		if !errors.Is(err, crosscheck.ErrNoSource) {
			t.Errorf("err = %v, want ErrNoSource", err)
		}
		if f.TotalCalls() != 0 {
			t.Errorf("%d calls made", f.TotalCalls())
		}
	})
	t.Run("disagreement", func(t *testing.T) {
		api, _ := client(t, snap, fakeaws.Options{SimulateOverride: func(_ fakeaws.SimulateQuery, a fakeaws.SimulateAnswer) fakeaws.SimulateAnswer {
			return fakeaws.SimulateAnswer{Decision: fakeaws.EvalAllowed, AllowedByOrganizations: aws.Bool(true)}
		}})
		r, err := crosscheck.Check(context.Background(), api, req, role)
		if err != nil {
			t.Fatal(err)
		}
		agrees, detail := crosscheck.Compare(simulate.ExplicitDeny, r)
		if agrees || !strings.Contains(detail, "says allowed") || !strings.Contains(detail, "SCPs allow: true") {
			t.Errorf("Compare = %v, %q", agrees, detail)
		}
	})
}

func TestExplain(t *testing.T) {
	allowed := &crosscheck.Result{EvalDecision: crosscheck.DecisionAllowed}
	tests := []struct {
		name     string
		local    *simulate.Result
		r        *crosscheck.Result
		wantOK   bool
		contains string
	}{
		{"session policy deny is invisible to the simulator",
			&simulate.Result{Decision: simulate.ImplicitDeny, Blockers: []simulate.Blocker{{Layer: policy.LayerSession, Kind: simulate.BlockerImplicitDeny}}},
			allowed, true, "session-policy"},
		{"RCP and resource policy",
			&simulate.Result{Decision: simulate.ExplicitDeny, Blockers: []simulate.Blocker{{Layer: policy.LayerRCP}, {Layer: policy.LayerResource}}},
			allowed, true, "rcp, resource-policy"},
		{"VPC endpoint policy deny is invisible to the simulator",
			&simulate.Result{Decision: simulate.ExplicitDeny, Blockers: []simulate.Blocker{{Layer: policy.LayerVPCEndpoint, Kind: simulate.BlockerExplicitDeny}}},
			allowed, true, "vpc-endpoint-policy"},
		{"identity deny must agree",
			&simulate.Result{Decision: simulate.ExplicitDeny, Blockers: []simulate.Blocker{{Layer: policy.LayerIdentity}}},
			allowed, false, "does not evaluate"},
		{"kinds differ",
			&simulate.Result{Decision: simulate.ExplicitDeny},
			&crosscheck.Result{EvalDecision: crosscheck.DecisionImplicitDeny}, false, "implicitDeny"},
		{"inconclusive",
			&simulate.Result{Decision: simulate.Inconclusive},
			&crosscheck.Result{EvalDecision: crosscheck.DecisionExplicitDeny, AllowedByOrganizations: aws.Bool(false)}, true, "SCPs allow: false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, detail := crosscheck.Explain(tt.local, tt.r)
			if ok != tt.wantOK || !strings.Contains(detail, tt.contains) {
				t.Errorf("Explain = %v, %q; want %v containing %q", ok, detail, tt.wantOK, tt.contains)
			}
		})
	}
}
