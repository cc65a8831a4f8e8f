package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
)

// TestServeUsage checks the flag and environment combinations serve
// refuses before it listens, and the exit status.
func TestServeUsage(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("t0k\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	snap := "../../examples/seed/snapshot.json"
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantErr  string
	}{
		{name: "no-auth off loopback", args: []string{"--no-auth", "--listen", "0.0.0.0:8080", "--snapshot", snap}, wantCode: exitUsage, wantErr: "only allowed on a loopback address"},
		{name: "no-auth off loopback by env", args: []string{"--no-auth", "--snapshot", snap}, env: map[string]string{"IAMDIAG_LISTEN": ":8080"}, wantCode: exitUsage, wantErr: "only allowed on a loopback address"},
		{name: "no token", args: []string{"--snapshot", snap}, wantCode: exitUsage, wantErr: "needs a bearer token"},
		{name: "token twice", args: []string{"--snapshot", snap, "--token-file", tokenFile}, env: map[string]string{"IAMDIAG_TOKEN": "x"}, wantCode: exitUsage, wantErr: "not both"},
		{name: "token and no-auth", args: []string{"--snapshot", snap, "--no-auth"}, env: map[string]string{"IAMDIAG_TOKEN": "x"}, wantCode: exitUsage, wantErr: "not both"},
		{name: "empty token file", args: []string{"--snapshot", snap, "--token-file", empty}, wantCode: exitFailure, wantErr: "the file is empty"},
		{name: "no source", args: []string{"--no-auth"}, wantCode: exitUsage, wantErr: "no source"},
		{name: "refresh without snapshot", args: []string{"--no-auth", "--live", "--refresh", "1h"}, wantCode: exitUsage, wantErr: "--refresh needs --snapshot"},
		{name: "bad env value", args: []string{"--no-auth", "--snapshot", snap}, env: map[string]string{"IAMDIAG_RATE_LIMIT": "fast"}, wantCode: exitUsage, wantErr: "IAMDIAG_RATE_LIMIT"},
		{name: "bad log format", args: []string{"--no-auth", "--snapshot", snap, "--log-format", "xml"}, wantCode: exitUsage, wantErr: "--log-format"},
		{name: "negative audit workers", args: []string{"--no-auth", "--snapshot", snap, "--audit-workers", "-1"}, wantCode: exitUsage, wantErr: "--audit-workers -1"},
		{name: "audit without state dir", args: []string{"--no-auth", "--snapshot", snap, "--audit-every", "24h"}, wantCode: exitUsage, wantErr: "--state-dir"},
		{name: "missing snapshot", args: []string{"--no-auth", "--snapshot", "nope.json"}, wantCode: exitFailure, wantErr: "nope.json"},
		{name: "listen taken", args: []string{"--no-auth", "--snapshot", snap, "--listen", "127.0.0.1:bad"}, wantCode: exitFailure, wantErr: "listening on"},
		{name: "no accounts kept", args: []string{"--no-auth", "--snapshot", snap, "--snapshot-accounts", "0"}, wantCode: exitUsage, wantErr: "--snapshot-accounts 0"},
		{name: "no connections", args: []string{"--no-auth", "--snapshot", snap, "--max-conns", "0"}, wantCode: exitUsage, wantErr: "--max-conns"},
		{name: "negative drain delay", args: []string{"--no-auth", "--snapshot", snap, "--drain-delay", "-1s"}, wantCode: exitUsage, wantErr: "--drain-delay"},
		{name: "bad max-conns by env", args: []string{"--no-auth", "--snapshot", snap}, env: map[string]string{"IAMDIAG_MAX_CONNS": "many"}, wantCode: exitUsage, wantErr: "IAMDIAG_MAX_CONNS"},
		{name: "healthcheck down", args: []string{"--healthcheck", "http://127.0.0.1:1/healthz"}, wantCode: exitFailure, wantErr: "health check"},
		{name: "healthcheck not http", args: []string{"--healthcheck", "file:///etc/passwd"}, wantCode: exitUsage, wantErr: "http://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"IAMDIAG_TOKEN", "IAMDIAG_LISTEN", "IAMDIAG_RATE_LIMIT", "IAMDIAG_SLACK_SIGNING_SECRET"} {
				t.Setenv(k, "")
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"serve"}, tt.args...), strings.NewReader(""), &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tt.wantCode, tt.wantErr)
			}
			if strings.Contains(stderr.String(), "t0k") {
				t.Error("the token was printed")
			}
		})
	}
}

// TestAuditWorkersDefault: the scheduled audit runs on one goroutine
// unless told otherwise, so that it does not starve serving on a small
// machine; IAMDIAG_AUDIT_WORKERS sets it like every flag.
func TestAuditWorkersDefault(t *testing.T) {
	cmd := newServeCmd(streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard}, &globalOptions{log: zap.NewNop()})
	f := cmd.Flags().Lookup("audit-workers")
	if f == nil || f.DefValue != "1" {
		t.Fatalf("--audit-workers: %+v, want a flag defaulting to 1", f)
	}
	opts := &serveOptions{getenv: func(k string) string {
		if k == "IAMDIAG_AUDIT_WORKERS" {
			return "3"
		}
		return ""
	}}
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.IntVar(&opts.AuditWorkers, "audit-workers", 1, "")
	if err := opts.applyEnv(fs); err != nil {
		t.Fatal(err)
	}
	if opts.AuditWorkers != 3 {
		t.Errorf("IAMDIAG_AUDIT_WORKERS=3 gave %d", opts.AuditWorkers)
	}
}

func TestEnvName(t *testing.T) {
	for flag, want := range map[string]string{"listen": "IAMDIAG_LISTEN", "slack-signing-secret-file": "IAMDIAG_SLACK_SIGNING_SECRET_FILE", "rate-limit": "IAMDIAG_RATE_LIMIT"} {
		if got := envName(flag); got != want {
			t.Errorf("envName(%q) = %q, want %q", flag, got, want)
		}
	}
}

// liveDaemon is `iamdiag serve --live` against a fake AWS.
type liveDaemon struct {
	addr string
	fake *fakeaws.Server
}

// startLiveDaemon starts a fake AWS with fakeArgs (as the scripts'
// fakeaws command takes them) and `iamdiag serve --live --no-auth` on it,
// stopped when the test ends.
func startLiveDaemon(t *testing.T, fakeArgs ...string) *liveDaemon {
	t.Helper()
	spec, err := parseFakeArgs(fakeArgs)
	if err != nil {
		t.Fatal(err)
	}
	srv, env, err := spec.start(func(p string) string { return p }, filepath.Join(t.TempDir(), ".aws"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	for k, v := range env {
		t.Setenv(k, v)
	}
	return &liveDaemon{addr: startDaemon(t, "--live"), fake: srv}
}

// startDaemon starts `iamdiag serve --no-auth` with the source flags args
// on a free loopback port, stopped when the test ends, and returns its
// address once it listens.
func startDaemon(t *testing.T, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		cmd := newServeCmd(streams{in: strings.NewReader(""), out: io.Discard, err: &stderr}, &globalOptions{log: zap.NewNop()})
		cmd.SetArgs(append(args, "--no-auth", "--listen", addr, "--log-level", "warn", "--drain-delay", "0"))
		done <- cmd.ExecuteContext(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v; stderr: %s", err, stderr.String())
		}
	})
	for deadline := time.Now().Add(5 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve does not listen: %v; stderr: %s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return addr
}

// do sends a request and returns the status and body.
func (d *liveDaemon) do(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+d.addr+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeLiveSharesAWSConfig: `serve --live` builds its clients with the
// configuration diagnose and snapshot load (loadAWSConfig): the fake's
// throttling is retried by that configuration's retryer (its backoff hook,
// which only loadAWSConfig installs, makes the retries immediate) and the
// diagnosis is the offline one.
func TestServeLiveSharesAWSConfig(t *testing.T) {
	var slept atomic.Int64
	old := awsBackoff
	awsBackoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { slept.Add(1); return 0, nil })
	t.Cleanup(func() { awsBackoff = old })
	d := startLiveDaemon(t, "-throttle", "GetRole=2", "-throttle", "ListParents=2", example(t, "seed", "snapshot.json"))

	code, b := d.do(t, "POST", "/v1/diagnose", `{"principal": "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/s", "action": "ec2:RunInstances"}`)
	if code != http.StatusOK || !strings.Contains(b, `"decision": "explicit-deny"`) && !strings.Contains(b, `"decision":"explicit-deny"`) {
		t.Fatalf("POST /v1/diagnose: %d\n%s", code, b)
	}
	calls := d.fake.Calls()
	if calls["GetRole"] != 3 || calls["ListParents"] < 3 {
		t.Errorf("calls %v: want GetRole retried twice, ListParents at least twice", calls)
	}
	if slept.Load() < 4 {
		t.Errorf("the backoff of loadAWSConfig's retryer was consulted %d times, want at least 4", slept.Load())
	}
}

// TestServeLiveCallerAccount: `serve --live` asks sts:GetCallerIdentity
// once at start (the readiness check reuses the answer) and passes the
// credentials' account to the live source, as diagnose does: a caller in
// another account gets diagnose's warning, and an unknown role the hint.
func TestServeLiveCallerAccount(t *testing.T) {
	const warning = "the credentials are in account 111122223333 but the caller is in 123456789012: IAM reads need credentials of account 123456789012"
	tests := []struct {
		name        string
		fake        []string
		principal   string
		wantCode    int
		wantWarning bool
		want        string // in the body too
	}{
		{name: "same account", principal: "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/s", wantCode: 200},
		{name: "other account", fake: []string{"-caller", "arn:aws:sts::111122223333:assumed-role/Oncall/me"},
			principal: "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/s", wantCode: 200, wantWarning: true},
		{name: "other account, unknown role", fake: []string{"-caller", "arn:aws:sts::111122223333:assumed-role/Oncall/me"},
			principal: "arn:aws:sts::123456789012:assumed-role/NoSuchRole/s", wantCode: 404, wantWarning: true},
		{name: "same account, unknown role", principal: "arn:aws:sts::123456789012:assumed-role/NoSuchRole/s", wantCode: 404},
		// Organizations says the credentials' account is in no
		// organization: the principal's too when it is the same account
		// (the live source knows the credentials' account), unknown
		// otherwise.
		{name: "standalone", fake: []string{"-standalone"}, principal: "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/s", wantCode: 200,
			want: "no SCPs apply: the account is not in an organization"},
		{name: "other account, standalone", fake: []string{"-standalone", "-caller", "arn:aws:sts::111122223333:assumed-role/Oncall/me"},
			principal: "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/s", wantCode: 200, wantWarning: true,
			want: "says the credentials' account is not in an organization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := startLiveDaemon(t, append(tt.fake, example(t, "seed", "snapshot.json"))...)
			if n := d.fake.Calls()["GetCallerIdentity"]; n != 1 {
				t.Errorf("%d sts:GetCallerIdentity calls at start, want 1", n)
			}
			if code, b := d.do(t, "GET", "/readyz", ""); code != 200 {
				t.Errorf("readyz %d %s", code, b)
			}
			code, b := d.do(t, "POST", "/v1/diagnose", `{"principal": "`+tt.principal+`", "action": "ec2:RunInstances"}`)
			if code != tt.wantCode {
				t.Fatalf("POST /v1/diagnose: %d, want %d\n%s", code, tt.wantCode, b)
			}
			// A warning in the report, or in the error's message.
			if got := strings.Contains(b, warning); got != tt.wantWarning {
				t.Errorf("warning shown %v, want %v:\n%s", got, tt.wantWarning, b)
			}
			if !strings.Contains(b, tt.want) {
				t.Errorf("the answer lacks %q:\n%s", tt.want, b)
			}
			if n := d.fake.Calls()["GetCallerIdentity"]; n != 1 {
				t.Errorf("%d sts:GetCallerIdentity calls after a probe and a diagnosis, want 1", n)
			}
		})
	}
}

// TestServeSnapshotNeverAsksAWS: a daemon serving only a snapshot answers
// an encoded message 422 without loading an AWS configuration: the
// instance metadata service (here a local server that counts) is never
// asked for credentials.
func TestServeSnapshotNeverAsksAWS(t *testing.T) {
	var imds atomic.Int64
	meta := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		imds.Add(1)
		http.Error(w, "no", http.StatusNotFound)
	}))
	defer meta.Close()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_EC2_METADATA_SERVICE_ENDPOINT":  meta.URL,
		"AWS_CONFIG_FILE":                    filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":        filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID":                  "",
		"AWS_SECRET_ACCESS_KEY":              "",
		"AWS_PROFILE":                        "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE":        "",
	} {
		t.Setenv(k, v)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		cmd := newServeCmd(streams{in: strings.NewReader(""), out: io.Discard, err: &stderr}, &globalOptions{log: zap.NewNop()})
		cmd.SetArgs([]string{"--snapshot", "../../examples/seed/snapshot.json", "--no-auth", "--listen", addr, "--drain-delay", "0"})
		done <- cmd.ExecuteContext(ctx)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v; stderr: %s", err, stderr.String())
		}
	}()
	d := &liveDaemon{addr: addr}
	for deadline := time.Now().Add(5 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve does not listen; stderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, body := d.do(t, "POST", "/v1/diagnose", `{"encoded_message": "`+strings.Repeat("AbC-_9", 20)+`"}`)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "cannot_decode") {
		t.Errorf("got %d %s, want 422 cannot_decode", code, body)
	}
	if n := imds.Load(); n != 0 {
		t.Errorf("instance metadata was asked %d times", n)
	}
}
