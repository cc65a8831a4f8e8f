package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/iamdiag/iamdiag/internal/authrecord"
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
	spec, err := parseFakeArgs(args)
	if err != nil {
		ts.Fatalf("%v", err)
	}
	srv, env, err := spec.start(ts.MkAbs, ts.MkAbs(".aws"))
	ts.Check(err)
	ts.Defer(srv.Close)
	fakes.Store(ts, srv)
	for k, v := range env {
		ts.Setenv(k, v)
	}
}

// fakeSpec is what a fakeaws command asks for.
type fakeSpec struct {
	opts    fakeaws.Options
	encodes [][2]string // variable, decoded message file
	records []string    // authorization record files IAM Toolbox serves
	snap    string
	alone   bool
}

// parseFakeArgs parses the arguments of the fakeaws command.
func parseFakeArgs(args []string) (*fakeSpec, error) {
	f := &fakeSpec{}
	kv := func(flag, v string) (string, string, error) {
		k, val, ok := strings.Cut(v, "=")
		if !ok {
			return "", "", fmt.Errorf("fakeaws %s %q: want KEY=VALUE", flag, v)
		}
		return k, val, nil
	}
	usage := errors.New("usage: fakeaws [flags] SNAPSHOT")
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if f.snap != "" || i != len(args)-1 {
				return nil, usage
			}
			f.snap = a
			continue
		}
		if a == "-standalone" {
			f.alone = true
			continue
		}
		if a == "-orgs-denied" {
			f.opts.Deny = merge(f.opts.Deny, fakeaws.OrganizationsReadsDenied())
			continue
		}
		if i+1 >= len(args) {
			return nil, fmt.Errorf("fakeaws %s needs a value", a)
		}
		i++
		v := args[i]
		switch a {
		case "-page-size":
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("fakeaws -page-size: %w", err)
			}
			f.opts.PageSize = n
		case "-latency":
			d, err := time.ParseDuration(v)
			if err != nil {
				return nil, fmt.Errorf("fakeaws -latency: %w", err)
			}
			f.opts.Latency = d
		case "-caller":
			f.opts.CallerARN = v
		case "-deny":
			op, code, _ := strings.Cut(v, "=")
			f.opts.Deny = merge(f.opts.Deny, map[string]string{op: code})
		case "-throttle":
			op, n, err := kv(a, v)
			if err != nil {
				return nil, err
			}
			c, err := strconv.Atoi(n)
			if err != nil {
				return nil, fmt.Errorf("fakeaws -throttle: %w", err)
			}
			if f.opts.Throttle == nil {
				f.opts.Throttle = map[string]int{}
			}
			f.opts.Throttle[op] = c
		case "-error":
			op, code, err := kv(a, v)
			if err != nil {
				return nil, err
			}
			if f.opts.Errors == nil {
				f.opts.Errors = map[string]fakeaws.Failure{}
			}
			f.opts.Errors[op] = fakeaws.Failure{Code: code}
		case "-malformed":
			if f.opts.Malformed == nil {
				f.opts.Malformed = map[string]bool{}
			}
			f.opts.Malformed[v] = true
		case "-simulate":
			decision := v
			f.opts.SimulateOverride = func(_ fakeaws.SimulateQuery, a fakeaws.SimulateAnswer) fakeaws.SimulateAnswer {
				a.Decision = decision
				return a
			}
		case "-record":
			f.records = append(f.records, v)
		case "-encode":
			name, file, err := kv(a, v)
			if err != nil {
				return nil, err
			}
			f.encodes = append(f.encodes, [2]string{name, file})
		default:
			return nil, fmt.Errorf("fakeaws: unknown flag %s", a)
		}
	}
	if f.snap == "" {
		return nil, usage
	}
	return f, nil
}

// start serves the snapshot on 127.0.0.1 and returns the server and the
// environment that points the AWS SDK at it: AWS_ENDPOINT_URL, static
// keys, us-east-1, empty shared files (created in awsDir), no instance
// metadata, and each -encode variable. abs resolves the command's paths.
func (f *fakeSpec) start(abs func(string) string, awsDir string) (*fakeaws.Server, map[string]string, error) {
	s, err := layers.LoadFile(abs(f.snap))
	if err != nil {
		return nil, nil, err
	}
	if f.alone {
		s.Organization = &layers.Organization{Standalone: true}
	}
	for _, name := range f.records {
		b, err := os.ReadFile(abs(name))
		if err != nil {
			return nil, nil, err
		}
		rec, err := authrecord.Parse(b)
		if err != nil {
			return nil, nil, fmt.Errorf("fakeaws -record %s: %w", name, err)
		}
		if f.opts.Records == nil {
			f.opts.Records = map[string]*authrecord.Record{}
		}
		f.opts.Records[rec.AuthorizationID] = rec
	}
	srv := fakeaws.New(s, f.opts)
	u := srv.Start()
	env := map[string]string{}
	for _, e := range f.encodes {
		b, err := os.ReadFile(abs(e[1]))
		if err != nil {
			srv.Close()
			return nil, nil, err
		}
		env[e[0]] = srv.Encode(innerMessage(b))
	}
	if err := os.MkdirAll(awsDir, 0o755); err != nil {
		srv.Close()
		return nil, nil, err
	}
	for _, name := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(awsDir, name), nil, 0o600); err != nil {
			srv.Close()
			return nil, nil, err
		}
	}
	maps.Copy(env, fakeaws.Env(u, "AKIAFAKESCRIPT000001", awsDir))
	return srv, env, nil
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

// TestLiveWithoutCredentialsDialsNothing: a live diagnose with no endpoint
// and no credentials fails saying so, without consulting the instance
// metadata service (pointed at a recorder on 127.0.0.1) or dialing
// anything; with metadata enabled, the control, the recorder is asked.
func TestLiveWithoutCredentialsDialsNothing(t *testing.T) {
	tests := []struct {
		name     string
		disabled string
		asked    bool
		errText  string
	}{
		{"metadata disabled", "true", false, `access disabled to EC2 IMDS via client option, or "AWS_EC2_METADATA_DISABLED" environment variable`},
		{"metadata enabled (control)", "false", true, "no EC2 IMDS role found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var asked atomic.Int64
			imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				asked.Add(1)
				http.NotFound(w, nil)
			}))
			defer imds.Close()
			t.Setenv("AWS_EC2_METADATA_DISABLED", tc.disabled)
			t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
			before := len(refusedDials())
			var out, errb bytes.Buffer
			code := run([]string{"diagnose", "--principal", "arn:aws:iam::123456789012:role/R", "--action", "s3:GetObject"}, strings.NewReader(""), &out, &errb)
			if code != exitFailure || !strings.Contains(errb.String(), "no usable AWS credentials") || !strings.Contains(errb.String(), tc.errText) {
				t.Errorf("exit %d, stderr %q; want %d, no usable AWS credentials and %q", code, errb.String(), exitFailure, tc.errText)
			}
			if got := asked.Load() > 0; got != tc.asked {
				t.Errorf("instance metadata asked %d times, want asked = %v", asked.Load(), tc.asked)
			}
			if refused := refusedDials()[before:]; len(refused) > 0 {
				t.Errorf("dialed beyond 127.0.0.1: %v", refused)
			}
		})
	}
}

// TestDialGuard: with credentials but no endpoint, a live diagnose would
// call AWS itself; the tests' dialer refuses it (and forgets the refusal,
// which TestMain would otherwise report as a failure).
func TestDialGuard(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEGUARD0000001")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
	old := awsBackoff
	awsBackoff = noBackoff
	t.Cleanup(func() { awsBackoff = old })
	before := len(refusedDials())
	t.Cleanup(func() {
		refusedMu.Lock()
		refused = refused[:before]
		refusedMu.Unlock()
	})
	var out, errb bytes.Buffer
	code := run([]string{"diagnose", "--principal", "arn:aws:iam::123456789012:role/R", "--action", "s3:GetObject"}, strings.NewReader(""), &out, &errb)
	if code != exitFailure || !strings.Contains(errb.String(), "tests reach only 127.0.0.1") {
		t.Errorf("exit %d, stderr %q; want %d and the refused dial", code, errb.String(), exitFailure)
	}
	got := refusedDials()[before:]
	if len(got) == 0 || !strings.HasSuffix(got[0], ".amazonaws.com:443") {
		t.Errorf("refused dials %v, want the STS endpoint", got)
	}
}
