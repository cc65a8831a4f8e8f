package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zapcore"

	"github.com/iamdiag/iamdiag/internal/diagnose"
	"github.com/iamdiag/iamdiag/internal/report"
)

func seedError(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(repoFile(t, "examples/seed/error.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRoutes(t *testing.T) {
	flags := map[string]any{"principal": seedPrincipal, "action": "ec2:RunInstances", "resource": "arn:aws:ec2:us-east-1:123456789012:instance/*", "context": map[string]any{"aws:RequestedRegion": "us-east-1"}}
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range flags {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name       string
		method     string
		path       string
		token      string
		body       any // string: raw; else JSON-encoded
		mutate     func(*Config)
		diag       func(*testSource)
		wantStatus int
		wantCode   string // error code; "" for success
		wantType   string // Content-Type prefix on success
		wantCalls  int64  // diagnoses reaching the source
	}{
		{name: "healthz", method: "GET", path: "/healthz", wantStatus: 200, wantType: "application/json"},
		{name: "readyz ready", method: "GET", path: "/readyz", wantStatus: 200, wantType: "application/json",
			mutate: func(c *Config) {
				c.Ready = []ReadyCheck{{Name: "snapshot", Check: func(context.Context) error { return nil }}}
			}},
		{name: "readyz not ready", method: "GET", path: "/readyz", wantStatus: 503, wantType: "application/json",
			mutate: func(c *Config) {
				c.Ready = []ReadyCheck{{Name: "live", Check: func(context.Context) error { return errors.New("ExpiredToken") }}}
			}},
		{name: "metrics", method: "GET", path: "/metrics", wantStatus: 200, wantType: "text/plain; version=0.0.4"},
		{name: "diagnose flags json", method: "POST", path: "/v1/diagnose", token: testToken, body: flags, wantStatus: 200, wantType: "application/json", wantCalls: 1},
		{name: "diagnose error text", method: "POST", path: "/v1/diagnose", token: testToken, body: map[string]any{"error": "ERROR_TEXT"}, wantStatus: 200, wantType: "application/json", wantCalls: 1},
		{name: "diagnose markdown", method: "POST", path: "/v1/diagnose", token: testToken, body: with(map[string]any{"format": "markdown"}), wantStatus: 200, wantType: "text/markdown", wantCalls: 1},
		{name: "diagnose text", method: "POST", path: "/v1/diagnose", token: testToken, body: with(map[string]any{"format": "text"}), wantStatus: 200, wantType: "text/plain", wantCalls: 1},
		{name: "diagnose slack", method: "POST", path: "/v1/diagnose", token: testToken, body: with(map[string]any{"format": "slack"}), wantStatus: 200, wantType: "application/json", wantCalls: 1},
		{name: "missing token", method: "POST", path: "/v1/diagnose", body: flags, wantStatus: 401, wantCode: "unauthorized"},
		{name: "wrong token", method: "POST", path: "/v1/diagnose", token: testToken + "x", body: flags, wantStatus: 401, wantCode: "unauthorized"},
		{name: "token prefix", method: "POST", path: "/v1/diagnose", token: testToken[:5], body: flags, wantStatus: 401, wantCode: "unauthorized"},
		{name: "no auth", method: "POST", path: "/v1/diagnose", body: flags, mutate: func(c *Config) { c.NoAuth, c.Token = true, "" }, wantStatus: 200, wantType: "application/json", wantCalls: 1},
		{name: "lint needs token", method: "POST", path: "/v1/lint", body: map[string]any{}, wantStatus: 401, wantCode: "unauthorized"},
		{name: "audit needs token", method: "GET", path: "/v1/audit", wantStatus: 401, wantCode: "unauthorized"},
		{name: "audit run needs token", method: "POST", path: "/v1/audit/run", wantStatus: 401, wantCode: "unauthorized"},
		{name: "bad JSON", method: "POST", path: "/v1/diagnose", token: testToken, body: `{"principal": `, wantStatus: 400, wantCode: "invalid_json"},
		{name: "empty body", method: "POST", path: "/v1/diagnose", token: testToken, body: ``, wantStatus: 400, wantCode: "invalid_json"},
		{name: "two JSON values", method: "POST", path: "/v1/diagnose", token: testToken, body: `{"error": "x"} {}`, wantStatus: 400, wantCode: "invalid_json"},
		{name: "unknown field", method: "POST", path: "/v1/diagnose", token: testToken, body: with(map[string]any{"principle": "x"}), wantStatus: 400, wantCode: "invalid_json"},
		{name: "wrong type", method: "POST", path: "/v1/diagnose", token: testToken, body: `{"principal": 12}`, wantStatus: 400, wantCode: "invalid_json"},
		{name: "oversized body", method: "POST", path: "/v1/diagnose", token: testToken, body: `{"error": "` + strings.Repeat("a", DefaultMaxBodyBytes) + `"}`, wantStatus: 413, wantCode: "body_too_large"},
		{name: "two inputs", method: "POST", path: "/v1/diagnose", token: testToken, body: map[string]any{"error": "x", "encoded_message": "y"}, wantStatus: 400, wantCode: "invalid_request"},
		{name: "no input", method: "POST", path: "/v1/diagnose", token: testToken, body: map[string]any{"principal": seedPrincipal}, wantStatus: 400, wantCode: "invalid_request"},
		{name: "bad format", method: "POST", path: "/v1/diagnose", token: testToken, body: with(map[string]any{"format": "yaml"}), wantStatus: 400, wantCode: "invalid_request"},
		{name: "bad context key", method: "POST", path: "/v1/diagnose", token: testToken, body: with(map[string]any{"context": map[string]any{"a=b": "c"}}), wantStatus: 400, wantCode: "invalid_request"},
		{name: "redact", method: "POST", path: "/v1/diagnose", token: testToken, body: with(map[string]any{"redact": true}), wantStatus: 200, wantType: "application/json", wantCalls: 1},
		{name: "redact slack", method: "POST", path: "/v1/diagnose", token: testToken, body: with(map[string]any{"redact": true, "format": "slack"}), wantStatus: 200, wantType: "application/json", wantCalls: 1},
		{name: "redact markdown", method: "POST", path: "/v1/diagnose", token: testToken, body: with(map[string]any{"redact": true, "format": "markdown"}), wantStatus: 200, wantType: "text/markdown", wantCalls: 1},
		{name: "principal not found", method: "POST", path: "/v1/diagnose", token: testToken, body: map[string]any{"principal": "arn:aws:iam::123456789012:role/Nope", "action": "s3:GetObject"}, wantStatus: 404, wantCode: "principal_not_found", wantCalls: 1},
		{name: "diagnoser fails", method: "POST", path: "/v1/diagnose", token: testToken, body: flags, diag: func(f *testSource) { f.err = errors.New("secret internals") }, wantStatus: 500, wantCode: "diagnosis_failed", wantCalls: 1},
		{name: "diagnoser times out", method: "POST", path: "/v1/diagnose", token: testToken, body: flags, mutate: func(c *Config) { c.DiagnoseTimeout = 10 * time.Millisecond },
			diag: func(f *testSource) { f.delay = time.Second }, wantStatus: 504, wantCode: "timeout", wantCalls: 1},
		{name: "panic", method: "POST", path: "/v1/diagnose", token: testToken, body: flags, diag: func(f *testSource) { f.panic = true }, wantStatus: 500, wantCode: "internal", wantCalls: 1},
		{name: "lint unavailable", method: "POST", path: "/v1/lint", token: testToken, body: map[string]any{"policies": []any{map[string]any{"document": map[string]any{}}}}, wantStatus: 501, wantCode: "lint_unavailable"},
		{name: "lint", method: "POST", path: "/v1/lint", token: testToken, body: map[string]any{"policies": []any{map[string]any{"type": "identity", "document": `{"Statement": []}`}}},
			mutate: withLinter, wantStatus: 200, wantType: "application/json"},
		{name: "lint no policies", method: "POST", path: "/v1/lint", token: testToken, body: map[string]any{"policies": []any{}}, mutate: withLinter, wantStatus: 400, wantCode: "invalid_request"},
		{name: "lint no document", method: "POST", path: "/v1/lint", token: testToken, body: map[string]any{"policies": []any{map[string]any{"name": "x"}}}, mutate: withLinter, wantStatus: 400, wantCode: "invalid_request"},
		{name: "lint too many", method: "POST", path: "/v1/lint", token: testToken, body: map[string]any{"policies": make([]map[string]any, maxLintPolicies+1)}, mutate: withLinter, wantStatus: 400, wantCode: "invalid_request"},
		{name: "lint bad JSON", method: "POST", path: "/v1/lint", token: testToken, body: `{"policies": [`, mutate: withLinter, wantStatus: 400, wantCode: "invalid_json"},
		{name: "audit disabled", method: "GET", path: "/v1/audit", token: testToken, wantStatus: 404, wantCode: "audit_disabled"},
		{name: "audit run disabled", method: "POST", path: "/v1/audit/run", token: testToken, wantStatus: 404, wantCode: "audit_disabled"},
		{name: "slack disabled", method: "POST", path: "/slack/command", body: "text=x", mutate: func(c *Config) { c.SlackSigningSecret = "" }, wantStatus: 404, wantCode: "slack_disabled"},
		{name: "unknown path", method: "GET", path: "/v2/diagnose", token: testToken, wantStatus: 404, wantCode: "not_found"},
		{name: "wrong method", method: "GET", path: "/v1/diagnose", token: testToken, wantStatus: 405, wantCode: "method_not_allowed"},
		{name: "wrong method probe", method: "POST", path: "/healthz", wantStatus: 405, wantCode: "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, zapcore.InfoLevel, tt.mutate)
			if tt.diag != nil {
				tt.diag(ts.diag)
			}
			var body string
			switch b := tt.body.(type) {
			case nil:
			case string:
				body = b
			default:
				raw, _ := json.Marshal(b)
				body = string(raw)
			}
			body = strings.ReplaceAll(body, `"ERROR_TEXT"`, mustJSON(seedError(t)))
			w := ts.do(t, tt.method, tt.path, tt.token, strings.NewReader(body), map[string]string{requestIDHeader: "req-" + strings.ReplaceAll(tt.name, " ", "-")})
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d\n%s", w.Code, tt.wantStatus, w.Body)
			}
			if got := w.Header().Get(requestIDHeader); got != "req-"+strings.ReplaceAll(tt.name, " ", "-") {
				t.Errorf("X-Request-Id %q, want the client's", got)
			}
			if got := ts.diag.calls.Load(); got != tt.wantCalls {
				t.Errorf("the source was asked %d times, want %d", got, tt.wantCalls)
			}
			if tt.wantCode != "" {
				e := errorOf(t, w)
				if e.Code != tt.wantCode || e.RequestID != w.Header().Get(requestIDHeader) || e.Error == "" {
					t.Errorf("error %+v, want code %q with the request id", e, tt.wantCode)
				}
				if strings.Contains(e.Error, "secret internals") || strings.Contains(e.Error, "boom") {
					t.Errorf("a server error leaks its cause: %q", e.Error)
				}
				if tt.wantStatus == 401 && w.Header().Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				return
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
				t.Errorf("Content-Type %q, want %q", ct, tt.wantType)
			}
		})
	}
}

// withLinter installs a linter that checks what the handler hands it: the
// document unwrapped from its JSON string, and a default name.
func withLinter(c *Config) {
	c.Linter = LinterFunc(func(_ context.Context, ps []LintPolicy) (any, error) {
		if len(ps) != 1 || string(ps[0].Document) != `{"Statement": []}` || ps[0].Name != "policies[0]" || ps[0].Type != "identity" {
			return nil, fmt.Errorf("linter got %+v", ps)
		}
		return []string{"finding"}, nil
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestDiagnoseContract checks that the API answers exactly what `diagnose
// --format json` prints for the same diagnosis, and the verdict.
func TestDiagnoseContract(t *testing.T) {
	ts := newTestServer(t, zapcore.InfoLevel, nil)
	req := &DiagnoseRequest{Error: seedError(t)}
	w := ts.do(t, "POST", "/v1/diagnose", testToken, jsonBody(t, req), nil)
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	d, err := diagnose.Run(context.Background(), req.input(), diagnose.Sources{Layers: ts.diag})
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	if err := report.JSON(&want, d); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.String(), w.Body.String()); diff != "" {
		t.Errorf("API answer differs from report.JSON (-want +got):\n%s", diff)
	}
	var got struct {
		Decision string `json:"decision"`
		Blockers []struct {
			Layer, Statement string
		} `json:"blockers"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Decision != "explicit-deny" || len(got.Blockers) != 1 || got.Blockers[0].Layer != "scp" || got.Blockers[0].Statement != "NoEC2" {
		t.Errorf("verdict %+v, want the SCP's NoEC2 explicit deny", got)
	}
	if v := value(t, ts.metrics.diagnoses, "explicit-deny"); v != 1 {
		t.Errorf("iamdiag_diagnoses_total{decision=explicit-deny} = %v, want 1", v)
	}
}

func TestRequestIDGenerated(t *testing.T) {
	ts := newTestServer(t, zapcore.InfoLevel, nil)
	for _, id := range []string{"", "has space", strings.Repeat("a", 65), "new\nline"} {
		w := ts.do(t, "GET", "/healthz", "", nil, map[string]string{requestIDHeader: id})
		got := w.Header().Get(requestIDHeader)
		if len(got) != 32 || got == id {
			t.Errorf("client id %q: got %q, want a fresh 32-hex id", id, got)
		}
	}
	for _, e := range ts.logs.All() {
		if _, ok := e.ContextMap()["request_id"]; !ok {
			t.Errorf("log line %q without request_id", e.Message)
		}
	}
}

func TestRateLimit(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ts := newTestServer(t, zapcore.InfoLevel, func(c *Config) {
		c.RateLimit, c.RateBurst = 1, 2
		c.Now = func() time.Time { return now }
	})
	var codes []int
	for range 3 {
		codes = append(codes, ts.do(t, "GET", "/v1/audit", testToken, nil, nil).Code)
	}
	if diff := cmp.Diff([]int{404, 404, 429}, codes); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	w := ts.do(t, "GET", "/v1/audit", testToken, nil, nil)
	if w.Code != 429 || w.Header().Get("Retry-After") == "" || errorOf(t, w).Code != "rate_limited" {
		t.Errorf("over the limit: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	// Probes are never limited.
	if c := ts.do(t, "GET", "/healthz", "", nil, nil).Code; c != 200 {
		t.Errorf("healthz under rate limit: %d", c)
	}
	now = now.Add(time.Second)
	if c := ts.do(t, "GET", "/v1/audit", testToken, nil, nil).Code; c != 404 {
		t.Errorf("after a second: %d, want the token back", c)
	}
}

func TestLimiterSweepAndBound(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimiter(10, 1, func() time.Time { return now })
	for i := range maxClients {
		if ok, _ := l.allow(itoa(int64(i))); !ok {
			t.Fatalf("client %d refused", i)
		}
	}
	if ok, _ := l.allow("one-too-many"); ok {
		t.Error("a client beyond maxClients was let in")
	}
	now = now.Add(2 * time.Minute)
	if ok, _ := l.allow("one-too-many"); !ok {
		t.Error("idle buckets were not swept")
	}
	if len(l.clients) != 1 {
		t.Errorf("%d buckets after the sweep, want 1", len(l.clients))
	}
}

func TestCheckListen(t *testing.T) {
	tests := []struct {
		addr    string
		noAuth  bool
		wantErr bool
	}{
		{"127.0.0.1:8080", true, false},
		{"127.0.0.2:8080", true, false},
		{"[::1]:8080", true, false},
		{"localhost:8080", true, false},
		{"0.0.0.0:8080", true, true},
		{":8080", true, true},
		{"10.0.0.5:8080", true, true},
		{"[::]:8080", true, true},
		{"0.0.0.0:8080", false, false},
		{"no-port", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := CheckListen(tt.addr, tt.noAuth)
			if (err != nil) != tt.wantErr {
				t.Errorf("CheckListen(%q, %v) = %v, want error %v", tt.addr, tt.noAuth, err, tt.wantErr)
			}
		})
	}
}

func TestNewNeedsToken(t *testing.T) {
	if _, err := New(Config{Sources: diagnose.Sources{Layers: newTestSource(t)}}); err == nil {
		t.Error("New without a token or NoAuth succeeded")
	}
	if _, err := New(Config{Token: "x"}); err == nil {
		t.Error("New without a source of layers succeeded")
	}
}

// TestLimiterKeepsLimitedClients checks that a sweep drops only buckets that
// have refilled: a client still short of tokens stays limited, and is told
// how long until its next token.
func TestLimiterKeepsLimitedClients(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimiter(0.01, 2, func() time.Time { return now }) // a token per 100 s
	for i := range 2 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("request %d within the burst refused", i)
		}
	}
	now = now.Add(sweepEvery + time.Second) // 61 s: 0.61 token back
	if ok, _ := l.allow("b"); !ok {         // sweeps
		t.Fatal("a new client refused")
	}
	ok, wait := l.allow("a")
	if ok {
		t.Fatal("the sweep forgot a client that was still limited")
	}
	if wait < 38*time.Second || wait > 40*time.Second {
		t.Errorf("wait %v, want about 39s", wait)
	}
	if _, kept := l.clients["a"]; !kept {
		t.Error("the limited client's bucket was dropped")
	}
}
