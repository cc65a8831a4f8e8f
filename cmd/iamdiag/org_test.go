package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/layers"
)

// fakeOrgs holds each script's latest fake organization, for
// fakesessions.
var fakeOrgs sync.Map // *testscript.TestScript → *fakeaws.Org

// cmdFakeOrg starts a fake AWS organization in the test process, one
// account per snapshot, and points the script's AWS SDK environment at it
// with the first -key's access key; it stops when the script ends:
//
//	fakeorg -key ACCESSKEY=ARN... [-admin ACCOUNT]... [-external-id ID]
//	    [-assume-error ROLEARN=CODE]... [-deny OP[=CODE]]...
//	    [-encode ACCOUNT:VAR=DECODED.json]... SNAPSHOT...
//
// ARN is the identity the key signs as (its account answers). -encode
// issues an encoded authorization message in ACCOUNT's STS.
func cmdFakeOrg(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! fakeorg")
	}
	opts := fakeaws.OrgOptions{Keys: map[string]string{}}
	var (
		first   string
		snaps   []*layers.Snapshot
		encodes [][3]string
	)
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			s, err := layers.LoadFile(ts.MkAbs(a))
			ts.Check(err)
			snaps = append(snaps, s)
			continue
		}
		if i+1 >= len(args) {
			ts.Fatalf("fakeorg %s needs a value", a)
		}
		i++
		k, v, hasEq := strings.Cut(args[i], "=")
		switch a {
		case "-key":
			if !hasEq {
				ts.Fatalf("fakeorg -key %q: want ACCESSKEY=ARN", args[i])
			}
			opts.Keys[k] = v
			if first == "" {
				first = k
			}
		case "-admin":
			opts.DelegatedAdministrators = append(opts.DelegatedAdministrators, args[i])
		case "-external-id":
			opts.ExternalID = args[i]
		case "-assume-error":
			if opts.AssumeErrors == nil {
				opts.AssumeErrors = map[string]fakeaws.Failure{}
			}
			opts.AssumeErrors[k] = fakeaws.Failure{Code: v}
		case "-deny":
			opts.Deny = merge(opts.Deny, map[string]string{k: v})
		case "-encode":
			acct, name, ok := strings.Cut(k, ":")
			if !ok || !hasEq {
				ts.Fatalf("fakeorg -encode %q: want ACCOUNT:VAR=FILE", args[i])
			}
			encodes = append(encodes, [3]string{acct, name, v})
		default:
			ts.Fatalf("fakeorg: unknown flag %s", a)
		}
	}
	if first == "" || len(snaps) == 0 {
		ts.Fatalf("usage: fakeorg -key ACCESSKEY=ARN... SNAPSHOT...")
	}
	o := fakeaws.NewOrg(snaps, opts)
	u := o.Start()
	ts.Defer(o.Close)
	fakeOrgs.Store(ts, o)
	env := map[string]string{}
	for _, e := range encodes {
		srv := o.Account(e[0])
		if srv == nil {
			ts.Fatalf("fakeorg -encode: no account %s", e[0])
		}
		b, err := os.ReadFile(ts.MkAbs(e[2]))
		ts.Check(err)
		env[e[1]] = srv.Encode(innerMessage(b))
	}
	dir := ts.MkAbs(".aws")
	ts.Check(os.MkdirAll(dir, 0o755))
	for _, name := range []string{"config", "credentials"} {
		ts.Check(os.WriteFile(filepath.Join(dir, name), nil, 0o600))
	}
	maps.Copy(env, fakeaws.Env(u, first, dir))
	for k, v := range env {
		ts.Setenv(k, v)
	}
}

// cmdFakeSessions prints, one line each, the roles the script's latest
// fake organization let be assumed: "ROLEARN SESSIONNAME EXTERNALID".
//
//	fakesessions
func cmdFakeSessions(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 0 {
		ts.Fatalf("usage: fakesessions")
	}
	v, ok := fakeOrgs.Load(ts)
	if !ok {
		ts.Fatalf("fakesessions: no fakeorg started")
	}
	for _, s := range v.(*fakeaws.Org).Sessions() {
		fmt.Fprintf(ts.Stdout(), "%s %s %s\n", s.RoleARN, s.SessionName, s.ExternalID)
	}
}

// TestServeOrgEnv: the daemon takes its credentials per account from
// IAMDIAG_ORG_ROLE_ARN, IAMDIAG_ACCOUNT_ROLE and IAMDIAG_EXTERNAL_ID, as
// every flag from its variable.
func TestServeOrgEnv(t *testing.T) {
	env := map[string]string{
		"IAMDIAG_ORG_ROLE_ARN": "arn:aws:iam::999999999999:role/OrganizationsReader",
		"IAMDIAG_ACCOUNT_ROLE": "iamdiag-reader",
		"IAMDIAG_EXTERNAL_ID":  "iamdiag-test",
	}
	cmd := newServeCmd(streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard}, &globalOptions{log: zap.NewNop()})
	opts := &serveOptions{getenv: func(k string) string { return env[k] }}
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	opts.org.addFlags(fs)
	if err := opts.applyEnv(fs); err != nil {
		t.Fatal(err)
	}
	got := opts.org
	want := orgOptions{OrgRoleARN: env["IAMDIAG_ORG_ROLE_ARN"], AccountRole: "iamdiag-reader", ExternalID: "iamdiag-test"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("org options from the environment (-want +got):\n%s", diff)
	}
	for _, name := range []string{"org-profile", "org-role-arn", "account-role", "external-id"} {
		if cmd.Flags().Lookup(name) == nil {
			t.Errorf("serve has no --%s", name)
		}
	}
}

// TestServeLiveOrganization: `serve --live` with IAMDIAG_ORG_ROLE_ARN,
// IAMDIAG_ACCOUNT_ROLE and IAMDIAG_EXTERNAL_ID answers for principals of
// any account of the organization, each account's role assumed once and
// kept while its credentials last, the AssumeRole outcomes counted.
func TestServeLiveOrganization(t *testing.T) {
	var snaps []*layers.Snapshot
	for _, n := range []string{"management", "workloads", "data", "sandbox"} {
		s, err := layers.LoadFile(filepath.Join("..", "..", "internal", "fakeaws", "testdata", "org", n+".json"))
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, s)
	}
	o := fakeaws.NewOrg(snaps, fakeaws.OrgOptions{ExternalID: "iamdiag-test", Keys: map[string]string{"AKIAWORKLOADONCALL01": "arn:aws:iam::123456789012:user/oncall"}})
	u := o.Start()
	t.Cleanup(o.Close)
	for k, v := range fakeaws.Env(u, "AKIAWORKLOADONCALL01", t.TempDir()) {
		t.Setenv(k, v)
	}
	t.Setenv("IAMDIAG_ORG_ROLE_ARN", "arn:aws:iam::999999999999:role/OrganizationsReader")
	t.Setenv("IAMDIAG_ACCOUNT_ROLE", "iamdiag-reader")
	t.Setenv("IAMDIAG_EXTERNAL_ID", "iamdiag-test")
	d := &liveDaemon{addr: startDaemon(t, "--live")}
	tests := []struct {
		name, body, want string
	}{
		{"the member's own role, SCPs through the management account", `{"principal": "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/s", "action": "ec2:RunInstances"}`, `"statement": "NoEC2"`},
		{"a cross-account bucket, read in its account", `{"principal": "arn:aws:sts::123456789012:assumed-role/Analytics/job", "action": "s3:PutObject", "resource": "arn:aws:s3:::data-prod-exports/x", "context": {"aws:ResourceAccount": ["222233334444"]}}`, `"statement": "NoWritesFromOutside"`},
		{"again: no new AssumeRole", `{"principal": "arn:aws:sts::123456789012:assumed-role/Analytics/job", "action": "s3:PutObject", "resource": "arn:aws:s3:::data-prod-exports/x", "context": {"aws:ResourceAccount": ["222233334444"]}}`, `"statement": "NoWritesFromOutside"`},
		{"a role of the data account", `{"principal": "arn:aws:iam::222233334444:role/iamdiag-reader", "action": "s3:DeleteBucket", "resource": "arn:aws:s3:::data-prod-exports"}`, `"decision": "implicit-deny"`},
		{"an account without the reader role", `{"principal": "arn:aws:iam::333344445555:role/Builder", "action": "ec2:RunInstances"}`, `"decision": "inconclusive"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, b := d.do(t, "POST", "/v1/diagnose", tc.body)
			if code != 200 || !strings.Contains(strings.ReplaceAll(b, `":"`, `": "`), tc.want) {
				t.Errorf("POST /v1/diagnose: %d, want 200 and %s:\n%s", code, tc.want, b)
			}
		})
	}
	perRole := map[string]int{}
	for _, s := range o.Sessions() {
		perRole[s.RoleARN]++
	}
	want := map[string]int{"arn:aws:iam::999999999999:role/OrganizationsReader": 1, "arn:aws:iam::222233334444:role/iamdiag-reader": 1}
	if diff := cmp.Diff(want, perRole); diff != "" {
		t.Errorf("roles assumed (-want +got):\n%s", diff)
	}
	_, metrics := d.do(t, "GET", "/metrics", "")
	for _, m := range []string{`operation="sts:AssumeRole"`, `code="AccessDenied"`} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
}

// writeOrgSnapshot writes the fake organization as `snapshot --org` would
// have captured it: the management, workloads and data accounts read, the
// sandbox recorded unreadable.
func writeOrgSnapshot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "accounts"), 0o755); err != nil {
		t.Fatal(err)
	}
	idx := &layers.OrgSnapshot{}
	for _, n := range []string{"management", "workloads", "data", "sandbox"} {
		s, err := layers.LoadFile(filepath.Join("..", "..", "internal", "fakeaws", "testdata", "org", n+".json"))
		if err != nil {
			t.Fatal(err)
		}
		idx.Organization = s.Organization
		a := layers.OrgAccount{ID: s.AccountID, Name: n}
		if n == "sandbox" {
			a.Error, a.ErrorCode = "cannot read the account: sts:AssumeRole of arn:aws:iam::333344445555:role/iamdiag-reader in account 333344445555 failed (AccessDenied: denied)", "AccessDenied"
			idx.Accounts = append(idx.Accounts, a)
			continue
		}
		s.Organization = nil
		b, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		a.File = layers.AccountFile(s.AccountID)
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(a.File)), b, 0o600); err != nil {
			t.Fatal(err)
		}
		idx.Accounts = append(idx.Accounts, a)
	}
	b, err := idx.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, layers.OrgIndexFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestServeOrgSnapshot: `serve --snapshot DIR` of an organization answers
// for principals of every account from the folder, without AWS, and
// /readyz names the account that could not be captured without failing.
func TestServeOrgSnapshot(t *testing.T) {
	d := &liveDaemon{addr: startDaemon(t, "--snapshot", writeOrgSnapshot(t), "--snapshot-accounts", "2")}
	tests := []struct {
		name, body, want string
	}{
		{"the member's own role, the SCP of its OU", `{"principal": "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/s", "action": "ec2:RunInstances"}`, `"statement": "NoEC2"`},
		{"a cross-account bucket, read in its account", `{"principal": "arn:aws:sts::123456789012:assumed-role/Analytics/job", "action": "s3:PutObject", "resource": "arn:aws:s3:::data-prod-exports/x", "context": {"aws:ResourceAccount": ["222233334444"]}}`, `"statement": "NoWritesFromOutside"`},
		{"a role of the data account", `{"principal": "arn:aws:iam::222233334444:role/iamdiag-reader", "action": "s3:DeleteBucket", "resource": "arn:aws:s3:::data-prod-exports"}`, `"decision": "implicit-deny"`},
		{"the management account, a third account past the bound of 2", `{"principal": "arn:aws:iam::999999999999:role/OrganizationsReader", "action": "ec2:RunInstances"}`, `"decision": "`},
		{"an account that could not be captured", `{"principal": "arn:aws:iam::333344445555:role/Builder", "action": "ec2:RunInstances"}`, `"decision": "inconclusive"`},
		{"the member again, read anew", `{"principal": "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/s", "action": "ec2:RunInstances"}`, `"statement": "NoEC2"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, b := d.do(t, "POST", "/v1/diagnose", tc.body)
			if code != 200 || !strings.Contains(strings.ReplaceAll(b, `":"`, `": "`), tc.want) {
				t.Errorf("POST /v1/diagnose: %d, want 200 and %s:\n%s", code, tc.want, b)
			}
		})
	}
	code, b := d.do(t, "GET", "/readyz", "")
	if code != 200 || !strings.Contains(b, "degraded") || !strings.Contains(b, "333344445555 (AccessDenied)") {
		t.Errorf("GET /readyz: %d %s, want 200, degraded, naming 333344445555", code, b)
	}
}
