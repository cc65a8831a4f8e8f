package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/layers"
)

// generatedOrg is an organization of accounts × roles: a management
// account, ten OUs under the root sharing the member accounts, one SCP per
// OU; every account holds the reader role and roles with an inline and a
// managed policy each.
func generatedOrg(tb testing.TB, accounts, roles int) []*layers.Snapshot {
	tb.Helper()
	const mgmt = "999999999999"
	org := &layers.Organization{ID: "o-benchorg000", ManagementAccountID: mgmt,
		Nodes: []layers.OrgNode{{ID: "r-bench", Type: layers.NodeRoot, Name: "Root"}, {ID: mgmt, Type: layers.NodeAccount, Parent: "r-bench", Name: "management"}}}
	full := layers.RawPolicy{JSON: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}
	org.Policies = append(org.Policies, layers.OrgPolicy{ID: "p-FullAWSAccess", ARN: "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
		Name: "FullAWSAccess", Type: layers.PolicyTypeSCP, AWSManaged: true, Targets: []string{"r-bench", mgmt}, Content: full})
	ids := []string{mgmt}
	for i := range 10 {
		ou := fmt.Sprintf("ou-bench-%08d", i)
		org.Nodes = append(org.Nodes, layers.OrgNode{ID: ou, Type: layers.NodeOU, Parent: "r-bench", Name: "OU" + strconv.Itoa(i)})
		org.Policies[0].Targets = append(org.Policies[0].Targets, ou)
		org.Policies = append(org.Policies, layers.OrgPolicy{ID: fmt.Sprintf("p-deny%08d", i), Name: "DenyRegions" + strconv.Itoa(i), Type: layers.PolicyTypeSCP, Targets: []string{ou},
			Content: layers.RawPolicy{JSON: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1"]}}}]}`)}})
	}
	for i := range accounts - 1 {
		id := fmt.Sprintf("%012d", 100000000000+i)
		ou := fmt.Sprintf("ou-bench-%08d", i%10)
		org.Nodes = append(org.Nodes, layers.OrgNode{ID: id, Type: layers.NodeAccount, Parent: ou, Name: "acct-" + id})
		org.Policies[0].Targets = append(org.Policies[0].Targets, id)
		ids = append(ids, id)
	}
	var out []*layers.Snapshot
	for _, id := range ids {
		s := &layers.Snapshot{Format: layers.Format, AccountID: id, Organization: org}
		d := &s.AuthorizationDetails
		d.Policies = append(d.Policies, layers.ManagedPolicy{PolicyName: "AppAccess", PolicyID: "ANPA" + id, Arn: "arn:aws:iam::" + id + ":policy/AppAccess", Path: "/", DefaultVersionID: "v1", IsAttachable: true,
			PolicyVersionList: []layers.PolicyVersion{{VersionID: "v1", IsDefaultVersion: true, Document: layers.RawPolicy{JSON: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::app-*/*"}]}`)}}}})
		trust := layers.RawPolicy{JSON: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}
		d.RoleDetailList = append(d.RoleDetailList, layers.Role{Path: "/", RoleName: "iamdiag-reader", RoleID: "AROAREADER" + id, Arn: "arn:aws:iam::" + id + ":role/iamdiag-reader", AssumeRolePolicyDocument: trust})
		for r := range roles - 1 {
			name := fmt.Sprintf("app-%03d", r)
			d.RoleDetailList = append(d.RoleDetailList, layers.Role{Path: "/", RoleName: name, RoleID: fmt.Sprintf("AROA%s%03d", id, r), Arn: "arn:aws:iam::" + id + ":role/" + name,
				AssumeRolePolicyDocument: trust,
				RolePolicyList:           []layers.InlinePolicy{{PolicyName: "logs", PolicyDocument: layers.RawPolicy{JSON: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}`)}}},
				AttachedManagedPolicies:  []layers.AttachedPolicy{{PolicyName: "AppAccess", PolicyArn: "arn:aws:iam::" + id + ":policy/AppAccess"}}})
		}
		out = append(out, s)
	}
	return out
}

// TestSnapshotOrgScale captures a generated organization (200 accounts ×
// 50 roles by default; IAMDIAG_BENCH_ACCOUNTS and IAMDIAG_BENCH_ROLES
// change it) through a fake AWS with 50 ms injected per call, at
// --concurrency 16 (IAMDIAG_BENCH_CONCURRENCY), and reports wall time,
// calls and peak RSS; it fails above 60 s. Run with IAMDIAG_BENCH_ORG=1.
func TestSnapshotOrgScale(t *testing.T) {
	if os.Getenv("IAMDIAG_BENCH_ORG") == "" {
		t.Skip("set IAMDIAG_BENCH_ORG=1 to capture a generated organization with 50 ms per AWS call")
	}
	env := func(k string, def int) int {
		if n, err := strconv.Atoi(os.Getenv(k)); err == nil && n > 0 {
			return n
		}
		return def
	}
	accounts, roles, conc := env("IAMDIAG_BENCH_ACCOUNTS", 200), env("IAMDIAG_BENCH_ROLES", 50), env("IAMDIAG_BENCH_CONCURRENCY", 16)
	o := fakeaws.NewOrg(generatedOrg(t, accounts, roles), fakeaws.OrgOptions{
		Options: fakeaws.Options{Latency: benchLatency},
		Keys:    map[string]string{"AKIAMANAGEMENTBENCH1": "arn:aws:iam::999999999999:user/security"},
	})
	u := o.Start()
	t.Cleanup(o.Close)
	for k, v := range fakeaws.Env(u, "AKIAMANAGEMENTBENCH1", t.TempDir()) {
		t.Setenv(k, v)
	}
	out := filepath.Join(t.TempDir(), "org")
	opts := &snapshotOptions{Output: out}
	opts.aws.Timeout = defaultCaptureTimeout
	opts.orgCapture = orgCaptureOptions{Org: true, Concurrency: conc, org: orgOptions{AccountRole: "iamdiag-reader"}}
	var stderr bytes.Buffer
	start := time.Now()
	if err := runSnapshot(context.Background(), opts, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	wall := time.Since(start)
	snap, err := layers.LoadOrg(out)
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for _, a := range snap.Accounts {
		if a.File != "" {
			read++
		}
	}
	if read != accounts {
		t.Errorf("%d accounts read of %d:\n%s", read, accounts, stderr.String())
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("snapshot --org: %d accounts × %d roles, --concurrency %d, %v per call: %.1f s wall, %d AWS calls (%d AssumeRole), %d round trips on the critical path, peak RSS %s (fake AWS included), Go heap in use %d MiB",
		accounts, roles, conc, benchLatency, wall.Seconds(), o.TotalCalls(), o.Calls()["AssumeRole"], o.RoundTrips(), peakRSS(), ms.HeapInuse>>20)
	if wall > time.Minute {
		t.Errorf("snapshot --org took %v, want under 60 s", wall)
	}
}

// peakRSS is the process's peak resident set (VmHWM), "unknown" off Linux.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// TestServeOrgScale runs `iamdiag serve --live --account-role` from the
// management account of a generated organization (50 accounts × 50 roles;
// IAMDIAG_BENCH_ACCOUNTS changes it) behind a fake AWS with 50 ms per
// call, and diagnoses a role of every account three times over, 8 clients
// at once: it reports the latencies and checks that each account's role
// was assumed once. Run with IAMDIAG_BENCH_ORG=1.
func TestServeOrgScale(t *testing.T) {
	if os.Getenv("IAMDIAG_BENCH_ORG") == "" {
		t.Skip("set IAMDIAG_BENCH_ORG=1 to run the daemon against a generated organization with 50 ms per AWS call")
	}
	accounts := 50
	if n, err := strconv.Atoi(os.Getenv("IAMDIAG_BENCH_ACCOUNTS")); err == nil && n > 1 {
		accounts = n
	}
	snaps := generatedOrg(t, accounts, 50)
	o := fakeaws.NewOrg(snaps, fakeaws.OrgOptions{
		Options: fakeaws.Options{Latency: benchLatency},
		Keys:    map[string]string{"AKIAMANAGEMENTBENCH1": "arn:aws:iam::999999999999:user/security"},
	})
	u := o.Start()
	t.Cleanup(o.Close)
	for k, v := range fakeaws.Env(u, "AKIAMANAGEMENTBENCH1", t.TempDir()) {
		t.Setenv(k, v)
	}
	d := &liveDaemon{addr: startDaemon(t, "--live", "--account-role", "iamdiag-reader", "--rate-limit", "0")}
	var bodies []string
	for range 3 {
		for _, s := range snaps {
			bodies = append(bodies, fmt.Sprintf(`{"principal": "arn:aws:sts::%s:assumed-role/app-001/oncall", "action": "s3:GetObject", "resource": "arn:aws:s3:::app-data/key", "context": {"aws:RequestedRegion": ["us-east-1"]}}`, s.AccountID))
		}
	}
	lat := make([]time.Duration, len(bodies))
	next := make(chan int)
	done := make(chan struct{})
	for range 8 {
		go func() {
			for i := range next {
				start := time.Now()
				code, b := d.do(t, "POST", "/v1/diagnose", bodies[i])
				lat[i] = time.Since(start)
				if code != 200 || !strings.Contains(b, `"allowed"`) {
					t.Errorf("request %d: %d\n%s", i, code, b)
				}
			}
			done <- struct{}{}
		}()
	}
	start := time.Now()
	for i := range bodies {
		next <- i
	}
	close(next)
	for range 8 {
		<-done
	}
	wall := time.Since(start)
	sorted := slices.Clone(lat)
	slices.Sort(sorted)
	pct := func(p float64) time.Duration { return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))] }
	assumed := map[string]int{}
	for _, s := range o.Sessions() {
		assumed[s.RoleARN]++
	}
	t.Logf("serve --live --account-role: %d diagnoses of %d accounts, 8 clients, %v per AWS call: %.1f s wall, p50 %v, p90 %v, p99 %v, max %v; %d AWS calls, %d AssumeRole for %d roles",
		len(bodies), accounts, benchLatency, wall.Seconds(), pct(0.5).Round(time.Millisecond), pct(0.9).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), sorted[len(sorted)-1].Round(time.Millisecond),
		o.TotalCalls(), len(o.Sessions()), len(assumed))
	for role, n := range assumed {
		if n != 1 {
			t.Errorf("%s assumed %d times, want once per credential lifetime", role, n)
		}
	}
	if len(assumed) != accounts-1 {
		t.Errorf("%d roles assumed, want %d (every account but the credentials' own)", len(assumed), accounts-1)
	}
}
