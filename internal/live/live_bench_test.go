package live_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/live"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// naiveWalk reads the same data as Live.Layers for an assumed-role session,
// one call at a time and without a cache, as a straightforward script
// would; it returns the number of calls (each one a round trip). It is the
// benchmark's baseline, not a second implementation to trust.
func naiveWalk(ctx context.Context, c *sdk, req *policy.Request) (int, error) {
	calls := 0
	name := strings.Split(req.Principal.ARN, "/")[1]
	acct := strings.Split(req.Principal.ARN, ":")[4]
	readManaged := func(arn string) error {
		calls++
		p, err := c.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: &arn})
		if err != nil {
			return err
		}
		calls++
		_, err = c.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: &arn, VersionId: p.Policy.DefaultVersionId})
		return err
	}
	calls++
	role, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
	if err != nil {
		return calls, err
	}
	for p := iam.NewListRolePoliciesPaginator(c.iam, &iam.ListRolePoliciesInput{RoleName: &name}); p.HasMorePages(); {
		calls++
		page, err := p.NextPage(ctx)
		if err != nil {
			return calls, err
		}
		for _, pn := range page.PolicyNames {
			calls++
			if _, err := c.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &name, PolicyName: aws.String(pn)}); err != nil {
				return calls, err
			}
		}
	}
	for p := iam.NewListAttachedRolePoliciesPaginator(c.iam, &iam.ListAttachedRolePoliciesInput{RoleName: &name}); p.HasMorePages(); {
		calls++
		page, err := p.NextPage(ctx)
		if err != nil {
			return calls, err
		}
		for _, ap := range page.AttachedPolicies {
			if err := readManaged(aws.ToString(ap.PolicyArn)); err != nil {
				return calls, err
			}
		}
	}
	if b := role.Role.PermissionsBoundary; b != nil {
		if err := readManaged(aws.ToString(b.PermissionsBoundaryArn)); err != nil {
			return calls, err
		}
	}
	calls++
	if _, err := c.org.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}); err != nil {
		return calls, err
	}
	targets := []string{acct}
	for cur := acct; ; {
		calls++
		p, err := c.org.ListParents(ctx, &organizations.ListParentsInput{ChildId: &cur})
		if err != nil {
			return calls, err
		}
		cur = aws.ToString(p.Parents[0].Id)
		targets = append(targets, cur)
		if p.Parents[0].Type == orgtypes.ParentTypeRoot {
			break
		}
	}
	for _, pt := range []orgtypes.PolicyType{orgtypes.PolicyTypeServiceControlPolicy, orgtypes.PolicyTypeResourceControlPolicy} {
		for _, tg := range targets {
			calls++
			lp, err := c.org.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(tg), Filter: pt})
			if err != nil {
				return calls, err
			}
			for _, ps := range lp.Policies {
				calls++
				if _, err := c.org.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: ps.Id}); err != nil {
					return calls, err
				}
			}
		}
	}
	return calls, nil
}

// BenchmarkColdLayers is the benchmark: a cold resolution with 50
// ms of latency injected per AWS call in the realistic snapshot's
// three-level organization, beside the naive walk of the same data.
// Latency is the point, so it runs only with IAMDIAG_BENCH_LATENCY=1
// (each iteration takes ~0.3 s live, ~2 s naive).
func BenchmarkColdLayers(b *testing.B) {
	if os.Getenv("IAMDIAG_BENCH_LATENCY") == "" {
		b.Skip("set IAMDIAG_BENCH_LATENCY=1 to run the 50 ms-per-call benchmark")
	}
	snap := loadSnap(b, realisticSnapshot)
	req := prodRole(b, snap)
	b.Run("live", func(b *testing.B) {
		c := startFake(b, snap, fakeaws.Options{Latency: 50 * time.Millisecond})
		var st *live.Stats
		for b.Loop() {
			rd := c.live(live.Options{}) // a new Cache: cold
			var err error
			if _, st, err = rd.LayersStats(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(st.RoundTrips), "round-trips")
		b.ReportMetric(float64(st.Total()), "calls")
		b.Logf("live: %s", st)
	})
	b.Run("naive", func(b *testing.B) {
		c := startFake(b, snap, fakeaws.Options{Latency: 50 * time.Millisecond})
		calls := 0
		for b.Loop() {
			var err error
			if calls, err = naiveWalk(context.Background(), c, req); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(calls), "round-trips")
		b.ReportMetric(float64(calls), "calls")
	})
}

// TestColdLayersLatency checks the benchmark's targets once, under the same
// env var: at most 8 round trips and 0.6 s with 50 ms per call, while the
// naive walk needs 20+.
func TestColdLayersLatency(t *testing.T) {
	if os.Getenv("IAMDIAG_BENCH_LATENCY") == "" {
		t.Skip("set IAMDIAG_BENCH_LATENCY=1")
	}
	snap := loadSnap(t, realisticSnapshot)
	req := prodRole(t, snap)
	c := startFake(t, snap, fakeaws.Options{Latency: 50 * time.Millisecond})
	start := time.Now()
	_, st, err := c.live(live.Options{}).LayersStats(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	rd := time.Since(start)
	serverRT := c.fake.RoundTrips()
	c.fake.Reset()
	start = time.Now()
	calls, err := naiveWalk(context.Background(), c, req)
	if err != nil {
		t.Fatal(err)
	}
	naive := time.Since(start)
	t.Logf("live: %v, %s; server-measured critical path %d", rd.Round(time.Millisecond), st, serverRT)
	t.Logf("naive: %v, %d calls, server-measured critical path %d", naive.Round(time.Millisecond), calls, c.fake.RoundTrips())
	if st.RoundTrips > 8 || rd > 600*time.Millisecond {
		t.Errorf("live: %d round trips in %v, want <= 8 and < 0.6 s", st.RoundTrips, rd)
	}
	if calls < 20 {
		t.Errorf("naive walk made only %d calls: the scenario is too small to show anything", calls)
	}
}
