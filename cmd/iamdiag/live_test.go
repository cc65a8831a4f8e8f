package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/layers"
)

// noBackoff retries at once.
var noBackoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })

// fakes holds each script's latest fake AWS server, for fakecalls.
var fakes sync.Map // *testscript.TestScript → *fakeaws.Server

// cmdFakeAWS starts a fake AWS server in the test process, serving a
// snapshot on 127.0.0.1, and points the script's AWS SDK environment at
// it (AWS_ENDPOINT_URL, static keys, us-east-1, empty shared files, no
// instance metadata); the server stops when the script ends:
//
//	fakeaws [-page-size N] [-latency D] [-caller ARN] [-standalone]
//	    [-orgs-denied] [-deny OP[=CODE]]... [-throttle OP=N]...
//	    [-error OP=CODE]... [-malformed OP]... [-simulate DECISION]
//	    [-encode VAR=DECODED.json]... SNAPSHOT
//
// OP is an operation name ("GetRole") or "service:Operation". -encode
// issues an encoded authorization message for a decoded one (what
// `aws sts decode-authorization-message` printed, or its DecodedMessage)
// and sets $VAR to it. -standalone serves the snapshot as an account in no
// organization. -simulate makes SimulatePrincipalPolicy answer DECISION
// whatever the policies say.
func cmdFakeAWS(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! fakeaws")
	}
	var (
		opts    fakeaws.Options
		encodes []string
		snap    string
		alone   bool
	)
	kv := func(flag, v string) (string, string) {
		k, val, ok := strings.Cut(v, "=")
		if !ok {
			ts.Fatalf("fakeaws %s %q: want KEY=VALUE", flag, v)
		}
		return k, val
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if snap != "" || i != len(args)-1 {
				ts.Fatalf("usage: fakeaws [flags] SNAPSHOT")
			}
			snap = a
			continue
		}
		if a == "-standalone" || a == "-orgs-denied" {
			if a == "-standalone" {
				alone = true
			} else {
				opts.Deny = merge(opts.Deny, fakeaws.OrganizationsReadsDenied())
			}
			continue
		}
		if i+1 >= len(args) {
			ts.Fatalf("fakeaws %s needs a value", a)
		}
		i++
		v := args[i]
		switch a {
		case "-page-size":
			n, err := strconv.Atoi(v)
			ts.Check(err)
			opts.PageSize = n
		case "-latency":
			d, err := time.ParseDuration(v)
			ts.Check(err)
			opts.Latency = d
		case "-caller":
			opts.CallerARN = v
		case "-deny":
			op, code, _ := strings.Cut(v, "=")
			opts.Deny = merge(opts.Deny, map[string]string{op: code})
		case "-throttle":
			op, n := kv(a, v)
			c, err := strconv.Atoi(n)
			ts.Check(err)
			if opts.Throttle == nil {
				opts.Throttle = map[string]int{}
			}
			opts.Throttle[op] = c
		case "-error":
			op, code := kv(a, v)
			if opts.Errors == nil {
				opts.Errors = map[string]fakeaws.Failure{}
			}
			opts.Errors[op] = fakeaws.Failure{Code: code}
		case "-malformed":
			if opts.Malformed == nil {
				opts.Malformed = map[string]bool{}
			}
			opts.Malformed[v] = true
		case "-simulate":
			decision := v
			opts.SimulateOverride = func(_ fakeaws.SimulateQuery, a fakeaws.SimulateAnswer) fakeaws.SimulateAnswer {
				a.Decision = decision
				return a
			}
		case "-encode":
			encodes = append(encodes, v)
		default:
			ts.Fatalf("fakeaws: unknown flag %s", a)
		}
	}
	if snap == "" {
		ts.Fatalf("usage: fakeaws [flags] SNAPSHOT")
	}
	s, err := layers.LoadFile(ts.MkAbs(snap))
	ts.Check(err)
	if alone {
		s.Organization = &layers.Organization{Standalone: true}
	}
	srv := fakeaws.New(s, opts)
	u := srv.Start()
	ts.Defer(srv.Close)
	fakes.Store(ts, srv)
	for _, e := range encodes {
		name, file := kv("-encode", e)
		b, err := os.ReadFile(ts.MkAbs(file))
		ts.Check(err)
		ts.Setenv(name, srv.Encode(innerMessage(b)))
	}

	dir := ts.MkAbs(".aws")
	ts.Check(os.MkdirAll(dir, 0o755))
	for _, f := range []string{"config", "credentials"} {
		ts.Check(os.WriteFile(filepath.Join(dir, f), nil, 0o600))
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            u,
		"AWS_ACCESS_KEY_ID":           "AKIAFAKESCRIPT000001",
		"AWS_SECRET_ACCESS_KEY":       "fake-secret",
		"AWS_REGION":                  "us-east-1",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_PROFILE":                 "",
	} {
		ts.Setenv(k, v)
	}
}

// innerMessage returns the decoded authorization message of what
// `aws sts decode-authorization-message` printed, or b itself.
func innerMessage(b []byte) []byte {
	var outer struct {
		DecodedMessage string `json:"DecodedMessage"`
	}
	if json.Unmarshal(b, &outer) == nil && outer.DecodedMessage != "" {
		return []byte(outer.DecodedMessage)
	}
	return b
}

func merge(a, b map[string]string) map[string]string {
	if a == nil {
		a = map[string]string{}
	}
	maps.Copy(a, b)
	return a
}

// cmdFakeCalls prints, one "Op N" line each, how many requests the
// script's latest fake AWS server received per operation (retries
// included):
//
//	fakecalls
func cmdFakeCalls(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 0 {
		ts.Fatalf("usage: fakecalls")
	}
	v, ok := fakes.Load(ts)
	if !ok {
		ts.Fatalf("fakecalls: no fakeaws started")
	}
	calls := v.(*fakeaws.Server).Calls()
	for _, op := range slices.Sorted(maps.Keys(calls)) {
		fmt.Fprintf(ts.Stdout(), "%s %d\n", op, calls[op])
	}
}

// cmdVerdict writes the verdict of the last `iamdiag diagnose --format
// json` (its stdout) to FILE: the decision, then one line per blocker
// (layer, kind, policy, statement, target), the fields every source must
// agree on:
//
//	verdict FILE
func cmdVerdict(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: verdict FILE")
	}
	var out struct {
		Decision string `json:"decision"`
		Blockers []struct {
			Layer     string `json:"layer"`
			Kind      string `json:"kind"`
			Policy    string `json:"policy"`
			Statement string `json:"statement"`
			Target    string `json:"target"`
		} `json:"blockers"`
	}
	if err := json.Unmarshal([]byte(ts.ReadFile("stdout")), &out); err != nil {
		ts.Fatalf("verdict: stdout is not diagnose's JSON: %v", err)
	}
	if out.Decision == "" {
		ts.Fatalf("verdict: stdout has no decision")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "decision %s\n", out.Decision)
	for _, bl := range out.Blockers {
		fmt.Fprintf(&b, "blocker %s %s policy=%s statement=%s target=%s\n", bl.Layer, bl.Kind, bl.Policy, bl.Statement, bl.Target)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(b.String()), 0o644))
}

// noAWSCredentials leaves the SDK's default chain without credentials for
// the test: no keys, profile, shared files, web identity, container or
// instance metadata.
func noAWSCredentials(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ENDPOINT_URL": "http://127.0.0.1:1",
	} {
		t.Setenv(k, v)
	}
}
