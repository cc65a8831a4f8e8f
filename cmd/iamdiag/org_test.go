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
