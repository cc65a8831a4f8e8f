package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/layers"
)

// realisticSnapshot is internal/layers' realistic account under a
// three-level organization.
var realisticSnapshot = filepath.Join("..", "..", "internal", "layers", "testdata", "realistic", "snapshot.json")

// benchLatency is the delay the benchmark injects per AWS call.
const benchLatency = 50 * time.Millisecond

// coldScenario serves the realistic snapshot with 50 ms per call and
// returns the server and an encoded message for an assumed-role session of
// a role with inline and managed policies, denied ec2:RunInstances.
func coldScenario(tb testing.TB) (*fakeaws.Server, string) {
	tb.Helper()
	path := realisticSnapshot
	snap, err := layers.LoadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var role *layers.Role
	for i, r := range snap.AuthorizationDetails.RoleDetailList {
		if len(r.AttachedManagedPolicies) > 0 && len(r.RolePolicyList) > 0 && strings.Contains(r.Arn, ":"+snap.AccountID+":") {
			role = &snap.AuthorizationDetails.RoleDetailList[i]
			break
		}
	}
	if role == nil {
		tb.Fatal("no role with inline and managed policies")
	}
	srv := setFakeAWS(tb, path, fakeaws.Options{Latency: benchLatency})
	msg := map[string]any{
		"allowed": false, "explicitDeny": false,
		"matchedStatements": map[string]any{"items": []any{}}, "failures": map[string]any{"items": []any{}},
		"context": map[string]any{
			"principal": map[string]any{"id": role.RoleID + ":oncall", "arn": "arn:aws:sts::" + snap.AccountID + ":assumed-role/" + role.RoleName + "/oncall"},
			"action":    "ec2:RunInstances",
			"resource":  "arn:aws:ec2:us-east-1:" + snap.AccountID + ":instance/*",
			"conditions": map[string]any{"items": []any{
				map[string]any{"key": "aws:RequestedRegion", "values": map[string]any{"items": []any{map[string]any{"value": "us-east-1"}}}},
			}},
		},
	}
	b, err := json.Marshal(msg)
	if err != nil {
		tb.Fatal(err)
	}
	return srv, srv.Encode(b)
}

// coldDiagnose runs `iamdiag diagnose --encoded-message TOKEN --format
// json` in-process, from a cold start: configuration, STS decode, every
// layer, evaluation, cross-check, report.
func coldDiagnose(tb testing.TB, token string) {
	tb.Helper()
	opts := &diagnoseOptions{Format: "json"}
	opts.input.EncodedMessage = token
	opts.aws.Timeout = defaultLiveTimeout
	if err := runDiagnose(context.Background(), opts, io.Discard, io.Discard); err != nil {
		tb.Fatal(err)
	}
}

// naiveDiagnose does the same reads one call at a time, as a
// straightforward script would (decode, the role and its policies, the
// path to the root, every level's SCPs and RCPs and their contents, the
// simulator), and returns the number of calls, each a round trip.
func naiveDiagnose(tb testing.TB, token string) int {
	tb.Helper()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	stsC, iamC, orgC := sts.NewFromConfig(cfg), iam.NewFromConfig(cfg), organizations.NewFromConfig(cfg)
	calls := 0
	check := func(err error) {
		calls++
		if err != nil {
			tb.Fatal(err)
		}
	}
	dec, err := stsC.DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: &token})
	check(err)
	var m struct {
		Context struct {
			Principal struct{ ARN string }
			Action    string
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(dec.DecodedMessage)), &m); err != nil {
		tb.Fatal(err)
	}
	name := strings.Split(m.Context.Principal.ARN, "/")[1]
	acct := strings.Split(m.Context.Principal.ARN, ":")[4]
	role, err := iamC.GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
	check(err)
	managed := func(arn string) {
		p, err := iamC.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: &arn})
		check(err)
		_, err = iamC.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: &arn, VersionId: p.Policy.DefaultVersionId})
		check(err)
	}
	inl, err := iamC.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: &name})
	check(err)
	for _, pn := range inl.PolicyNames {
		_, err := iamC.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &name, PolicyName: aws.String(pn)})
		check(err)
	}
	att, err := iamC.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: &name})
	check(err)
	for _, ap := range att.AttachedPolicies {
		managed(aws.ToString(ap.PolicyArn))
	}
	if b := role.Role.PermissionsBoundary; b != nil {
		managed(aws.ToString(b.PermissionsBoundaryArn))
	}
	_, err = orgC.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	check(err)
	targets := []string{acct}
	for cur := acct; ; {
		p, err := orgC.ListParents(ctx, &organizations.ListParentsInput{ChildId: &cur})
		check(err)
		cur = aws.ToString(p.Parents[0].Id)
		targets = append(targets, cur)
		if p.Parents[0].Type == orgtypes.ParentTypeRoot {
			break
		}
	}
	for _, pt := range []orgtypes.PolicyType{orgtypes.PolicyTypeServiceControlPolicy, orgtypes.PolicyTypeResourceControlPolicy} {
		for _, tg := range targets {
			lp, err := orgC.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(tg), Filter: pt})
			check(err)
			for _, ps := range lp.Policies {
				_, err := orgC.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: ps.Id})
				check(err)
			}
		}
	}
	_, err = iamC.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: role.Role.Arn, ActionNames: []string{m.Context.Action}})
	check(err)
	return calls
}

// BenchmarkColdDiagnose is the issue's benchmark: a cold `iamdiag diagnose
// --encoded-message` (decode, layers, evaluation, cross-check) with 50 ms
// injected per AWS call in a three-level organization, beside the naive
// one-call-at-a-time walk of the same data. It reports the wall time and
// the sequential round trips the fake server measured. Latency is the
// point, so it runs only with IAMDIAG_BENCH_LATENCY=1.
func BenchmarkColdDiagnose(b *testing.B) {
	if os.Getenv("IAMDIAG_BENCH_LATENCY") == "" {
		b.Skip("set IAMDIAG_BENCH_LATENCY=1 to run the 50 ms-per-call benchmark")
	}
	b.Run("live", func(b *testing.B) {
		srv, token := coldScenario(b)
		trips, calls := 0, 0
		for b.Loop() {
			srv.Reset()
			coldDiagnose(b, token)
			trips, calls = srv.RoundTrips(), srv.TotalCalls()
		}
		b.ReportMetric(float64(trips), "round-trips")
		b.ReportMetric(float64(calls), "calls")
	})
	b.Run("naive", func(b *testing.B) {
		srv, token := coldScenario(b)
		trips, calls := 0, 0
		for b.Loop() {
			srv.Reset()
			naiveDiagnose(b, token)
			trips, calls = srv.RoundTrips(), srv.TotalCalls()
		}
		b.ReportMetric(float64(trips), "round-trips")
		b.ReportMetric(float64(calls), "calls")
	})
}

// TestColdDiagnoseLatency checks the benchmark's targets once, under the
// same env var: at most 8 round trips and under 0.6 s with 50 ms per call,
// while the naive walk takes 20+.
func TestColdDiagnoseLatency(t *testing.T) {
	if os.Getenv("IAMDIAG_BENCH_LATENCY") == "" {
		t.Skip("set IAMDIAG_BENCH_LATENCY=1")
	}
	srv, token := coldScenario(t)
	start := time.Now()
	coldDiagnose(t, token)
	live := time.Since(start)
	liveTrips, liveCalls := srv.RoundTrips(), srv.TotalCalls()
	srv.Reset()
	start = time.Now()
	naiveCalls := naiveDiagnose(t, token)
	naive := time.Since(start)
	naiveTrips := srv.RoundTrips()
	t.Logf("live:  %v, %d AWS calls, %d round trips on the critical path", live.Round(time.Millisecond), liveCalls, liveTrips)
	t.Logf("naive: %v, %d AWS calls, %d round trips", naive.Round(time.Millisecond), naiveCalls, naiveTrips)
	if liveTrips > 8 || live >= 600*time.Millisecond {
		t.Errorf("live: %d round trips in %v, want <= 8 and < 0.6 s", liveTrips, live)
	}
	if naiveTrips < 20 {
		t.Errorf("naive: %d round trips: the scenario is too small to show anything", naiveTrips)
	}
}
