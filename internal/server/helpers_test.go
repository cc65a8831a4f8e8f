package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/iamdiag/iamdiag/internal/diagnose"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

const (
	testToken  = "tok-3f9a1c0d2b7e4a66"
	testSecret = "slack-secret-8b2e5d71c4a9"
	// seedPrincipal is the incident's caller in examples/seed/snapshot.json.
	seedPrincipal = "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/session-name"
)

// repoFile returns a path relative to the repository root.
func repoFile(t testing.TB, rel string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", rel)
}

// testSource is the seed snapshot as the pipeline's source of layers,
// counting the diagnoses that reach it; delay slows it down, err replaces
// its answer and panic makes it panic.
type testSource struct {
	snap  diagnose.Gatherer
	calls atomic.Int64
	delay time.Duration
	err   error
	panic bool
}

func newTestSource(t testing.TB) *testSource {
	t.Helper()
	snap, err := layers.LoadFile(repoFile(t, "examples/seed/snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	return &testSource{snap: diagnose.Snapshot(snap)}
}

func (f *testSource) Gather(ctx context.Context, req *policy.Request) (*diagnose.Gathered, error) {
	f.calls.Add(1)
	if f.panic {
		panic("boom")
	}
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	return f.snap.Gather(ctx, req)
}

// testServer is a Server with observed logs.
type testServer struct {
	*Server
	diag *testSource
	logs *observer.ObservedLogs
}

func newTestServer(t testing.TB, level zapcore.Level, mutate func(*Config)) *testServer {
	t.Helper()
	core, logs := observer.New(level)
	d := newTestSource(t)
	// httptest.NewRequest addresses example.com.
	cfg := Config{Log: zap.New(core), Token: testToken, SlackSigningSecret: testSecret, Sources: diagnose.Sources{Layers: d}, AllowedHosts: []string{"example.com"}}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{Server: s, diag: d, logs: logs}
}

// do sends a request through the handler; a non-empty token is sent as a
// bearer token, a body as JSON unless hdr says otherwise.
func (ts *testServer) do(t testing.TB, method, path, token string, body io.Reader, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, body)
	r.RemoteAddr = "192.0.2.10:40000"
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	ts.ServeHTTP(w, r)
	return w
}

// errorOf decodes an error response.
func errorOf(t testing.TB, w *httptest.ResponseRecorder) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body is not JSON: %v\n%s", err, w.Body)
	}
	return e
}

func jsonBody(t testing.TB, v any) io.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// signedSlack builds a signed slash command body and its headers.
func signedSlack(secret string, form map[string]string, at time.Time) (io.Reader, map[string]string) {
	var parts []string
	for k, v := range form {
		parts = append(parts, k+"="+urlQueryEscape(v))
	}
	body := strings.Join(parts, "&")
	ts := itoa(at.Unix())
	return strings.NewReader(body), map[string]string{
		"Content-Type":       "application/x-www-form-urlencoded",
		slackTimestampHeader: ts,
		slackSignatureHeader: SlackSignature(secret, ts, []byte(body)),
	}
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// value returns the value of c's series whose label values, in the order of
// their label names, are labels; -1 when there is none (so that a missing
// series differs from a zero one).
func value(t *testing.T, c prometheus.Collector, labels ...string) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric)
	go func() {
		c.Collect(ch)
		close(ch)
	}()
	got := -1.0
	for m := range ch {
		var d dto.Metric
		if err := m.Write(&d); err != nil {
			t.Fatalf("reading a metric: %v", err)
		}
		var vs []string
		for _, l := range d.GetLabel() {
			vs = append(vs, l.GetValue())
		}
		if !slices.Equal(vs, labels) {
			continue
		}
		switch {
		case d.Counter != nil:
			got = d.GetCounter().GetValue()
		case d.Gauge != nil:
			got = d.GetGauge().GetValue()
		}
	}
	return got
}
