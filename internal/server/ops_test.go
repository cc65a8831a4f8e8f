package server

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestLogsKeepSecrets checks that at info level no log line holds the
// token, the Slack signing secret, a Slack response_url or an encoded
// message, whatever the requests.
func TestLogsKeepSecrets(t *testing.T) {
	encoded := "Zq9" + strings.Repeat("SecretEncodedBlob", 8)
	respURL := "https://hooks.slack.com/commands/T1/2/respsecret42"
	ts := newTestServer(t, zapcore.InfoLevel, nil)
	ts.diag.err = &APIError{Status: 502, Code: "sts_failed", Message: "decoding failed", Err: errors.New("sts said no")}
	ts.do(t, "POST", "/v1/diagnose", testToken, jsonBody(t, map[string]any{"encoded_message": encoded}), nil)
	ts.do(t, "POST", "/v1/diagnose", testToken+"wrong", jsonBody(t, map[string]any{"encoded_message": encoded}), nil)
	ts.do(t, "POST", "/v1/diagnose", testToken, strings.NewReader(`{"encoded_message": "`+encoded+`", "bogus": 1}`), nil)
	ts.diag.err = nil
	ts.do(t, "POST", "/v1/diagnose", testToken, jsonBody(t, map[string]any{"error": seedError(t)}), nil)
	body, h := signedSlack(testSecret, map[string]string{"text": encoded, "response_url": respURL}, time.Now())
	ts.do(t, "POST", slackPath, "", body, h)
	body, h = signedSlack(testSecret+"x", map[string]string{"text": encoded, "response_url": respURL}, time.Now())
	ts.do(t, "POST", slackPath, "", body, h)
	ts.pending.Wait()

	if ts.logs.Len() == 0 {
		t.Fatal("nothing logged")
	}
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	for _, e := range ts.logs.All() {
		buf, err := enc.EncodeEntry(e.Entry, e.Context)
		if err != nil {
			t.Fatal(err)
		}
		line := buf.String()
		for _, secret := range []string{testToken, testSecret, "SecretEncodedBlob", "respsecret42"} {
			if strings.Contains(line, secret) {
				t.Errorf("log line holds %q: %s", secret, line)
			}
		}
		if !strings.Contains(line, `"request_id"`) {
			t.Errorf("log line without request_id: %s", line)
		}
	}
}

// fakeAuditor returns the next report of a list.
type fakeAuditor struct {
	mu      sync.Mutex
	reports [][]AuditFinding
	err     error
	runs    int
	block   chan struct{}
}

func (f *fakeAuditor) Run(ctx context.Context) (*AuditReport, error) {
	if f.block != nil {
		// As a real auditor, give up when the scheduler stops.
		select {
		case <-f.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs++
	if f.err != nil {
		return nil, f.err
	}
	i := min(f.runs-1, len(f.reports)-1)
	return &AuditReport{Source: "fake", Findings: append([]AuditFinding(nil), f.reports[i]...)}, nil
}

var (
	findingA = AuditFinding{Rule: "IAMD001", Severity: "error", Principal: "arn:aws:iam::123456789012:role/a", Policy: "p", Statement: "S1", Message: "wide"}
	findingB = AuditFinding{Rule: "IAMD002", Severity: "warning", Principal: "arn:aws:iam::123456789012:role/b", Message: "no boundary"}
)

func TestAuditScheduler(t *testing.T) {
	dir := t.TempDir()
	store, err := OpenStore(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.InfoLevel)
	m := NewMetrics()
	a := &fakeAuditor{reports: [][]AuditFinding{{findingA}, {findingA, findingB}}}
	s, err := NewScheduler(a, store, 0, zap.New(core), m)
	if err != nil {
		t.Fatal(err)
	}
	if st := s.Status(); st.Report != nil || st.Time != nil {
		t.Fatalf("status before any run: %+v", st)
	}
	ctx := context.Background()
	if _, err := s.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := s.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]AuditFinding{findingB}, rep.New); diff != "" {
		t.Errorf("new findings of the second run (-want +got):\n%s", diff)
	}
	var warned []string
	for _, e := range logs.FilterMessage("new audit finding").All() {
		if e.Level != zapcore.WarnLevel {
			continue
		}
		c := e.ContextMap()
		if _, ok := c["principal"]; ok {
			t.Errorf("a warning names the principal: %v", c)
		}
		warned = append(warned, c["id"].(string)+" "+c["rule"].(string))
	}
	if diff := cmp.Diff([]string{findingA.ID + " IAMD001", findingB.ID + " IAMD002"}, warned); diff != "" {
		t.Errorf("warned (-want +got), want A on the first run and B on the second:\n%s", diff)
	}
	if got := value(t, m.auditFindings, "warning"); got != 1 {
		t.Errorf("warning findings gauge %v, want 1", got)
	}
	if got := value(t, m.auditFindings, "info"); got != 0 {
		t.Errorf("info findings gauge %v, want 0", got)
	}
	if got := value(t, m.auditLast, "success"); got <= 0 {
		t.Error("last audit time not set")
	}

	// A new scheduler starts from the stored report: B is not new any more.
	s2, err := NewScheduler(a, store, 0, zap.NewNop(), NewMetrics())
	if err != nil {
		t.Fatal(err)
	}
	if st := s2.Status(); st.Report == nil || len(st.Report.Findings) != 2 {
		t.Fatalf("restored status %+v, want the stored report", st)
	}
	rep, err = s2.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.New) != 0 {
		t.Errorf("new after restart: %+v", rep.New)
	}

	// A failed run keeps the previous report and says why.
	a.err = errors.New("organizations unreachable")
	if _, err := s2.RunOnce(ctx); err == nil {
		t.Fatal("a failed audit reported success")
	}
	st := s2.Status()
	if st.Report == nil || st.LastError == "" {
		t.Errorf("after a failure: %+v", st)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "state"))
	if len(entries) != 1 || entries[0].Name() != auditFile {
		t.Errorf("state directory holds %v, want only %s", entries, auditFile)
	}
}

func TestAuditRoutes(t *testing.T) {
	store, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := &fakeAuditor{reports: [][]AuditFinding{{findingA}}, block: make(chan struct{})}
	sched, err := NewScheduler(a, store, time.Hour, zap.NewNop(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, zapcore.InfoLevel, func(c *Config) { c.Audit = sched })
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { sched.Run(ctx); close(stopped) }() // the first run starts at once: no stored report
	// Stop the scheduler and wait for it before the test ends (cleanups
	// run last in, first out: before t.TempDir's removal), so that no run
	// still writes its report into the folder.
	t.Cleanup(func() { cancel(); <-stopped })

	waitFor(t, func() bool { return sched.Status().Running })
	if w := ts.do(t, "POST", "/v1/audit/run", testToken, nil, nil); w.Code != http.StatusConflict {
		t.Errorf("run while running: %d %s", w.Code, w.Body)
	}
	close(a.block)
	waitFor(t, func() bool { st := sched.Status(); return st.Report != nil && !st.Running })
	w := ts.do(t, "GET", "/v1/audit", testToken, nil, nil)
	var st AuditStatus
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || w.Code != 200 {
		t.Fatalf("GET /v1/audit: %d %s", w.Code, w.Body)
	}
	if st.Time == nil || st.Report == nil || len(st.Report.Findings) != 1 || st.Every != "1h0m0s" || st.NextRun == nil {
		t.Errorf("status %+v", st)
	}
	if w := ts.do(t, "POST", "/v1/audit/run", testToken, nil, nil); w.Code != http.StatusAccepted {
		t.Errorf("run: %d %s", w.Code, w.Body)
	}
	waitFor(t, func() bool { a.mu.Lock(); defer a.mu.Unlock(); return a.runs == 2 })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStore(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := st.Load(); rep != nil || err != nil {
		t.Fatalf("empty store: %v %v", rep, err)
	}
	want := &AuditReport{Source: "x", Findings: []AuditFinding{findingA}, New: []AuditFinding{}}
	if err := st.Save(want); err != nil {
		t.Fatal(err)
	}
	got, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if err := os.WriteFile(st.Path(), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(); err == nil {
		t.Error("a corrupt report loaded")
	}
	// Saving into a directory that has gone fails and leaves no temp file.
	gone := &Store{dir: filepath.Join(dir, "missing")}
	if err := gone.Save(want); err == nil {
		t.Error("saving into a missing directory succeeded")
	}
}

func TestSnapshotReload(t *testing.T) {
	src, err := os.ReadFile(repoFile(t, "examples/seed/snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "snapshot.json")
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	m := NewMetrics()
	s, err := OpenSnapshot(path, zap.NewNop(), m)
	if err != nil {
		t.Fatal(err)
	}
	first := s.Snapshot()
	if changed, err := s.Reload(); changed || err != nil {
		t.Fatalf("unchanged file: %v %v", changed, err)
	}
	// Replaced by rename, as a ConfigMap update does.
	tmp := path + ".new"
	if err := os.WriteFile(tmp, append(src, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	if changed, err := s.Reload(); !changed || err != nil {
		t.Fatalf("replaced file: %v %v", changed, err)
	}
	if s.Snapshot() == first {
		t.Error("the snapshot was not swapped")
	}
	second := s.Snapshot()
	if err := os.WriteFile(path, []byte(`{"format": "iamdiag-snapshot/v1", "account_id": "bad"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reload(); err == nil {
		t.Fatal("a broken snapshot reloaded")
	}
	if s.Snapshot() != second {
		t.Error("a failed reload replaced the snapshot")
	}
	if err := s.Ready(context.Background()); err != nil {
		t.Errorf("ready after a failed reload: %v", err)
	}
	if value(t, m.reloads, "success") != 1 || value(t, m.reloads, "failure") != 1 {
		t.Errorf("reload counters %v/%v", value(t, m.reloads, "success"), value(t, m.reloads, "failure"))
	}
	os.Remove(path)
	if err := s.Ready(context.Background()); err == nil {
		t.Error("ready with the file gone")
	}
}

func TestMetricsExposition(t *testing.T) {
	m := NewMetrics()
	m.observeRequest("/v1/diagnose", 200, 3*time.Millisecond)
	m.observeRequest("/v1/diagnose", 200, 70*time.Millisecond)
	m.ObserveAWSCall("iam:GetRole", "")
	m.ObserveAWSCall("organizations:ListParents", "AccessDeniedException")
	m.ObserveCache(3, 1)
	m.setFindings(&AuditReport{Findings: []AuditFinding{findingA}})
	m.reloads.WithLabelValues(`we"ird`).Inc()
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q, want the Prometheus text format", ct)
	}
	out := rec.Body.String()
	for _, want := range []string{
		`# TYPE iamdiag_http_request_duration_seconds histogram`,
		`iamdiag_http_requests_total{code="200",route="/v1/diagnose"} 2`,
		`iamdiag_http_request_duration_seconds_bucket{route="/v1/diagnose",le="0.005"} 1`,
		`iamdiag_http_request_duration_seconds_bucket{route="/v1/diagnose",le="0.1"} 2`,
		`iamdiag_http_request_duration_seconds_bucket{route="/v1/diagnose",le="+Inf"} 2`,
		`iamdiag_http_request_duration_seconds_count{route="/v1/diagnose"} 2`,
		`iamdiag_aws_calls_total{error_code="",operation="iam:GetRole"} 1`,
		`iamdiag_aws_calls_total{error_code="AccessDeniedException",operation="organizations:ListParents"} 1`,
		`iamdiag_aws_errors_total{error_code="AccessDeniedException"} 1`,
		`iamdiag_cache_requests_total{result="hit"} 3`,
		`iamdiag_cache_requests_total{result="miss"} 1`,
		`iamdiag_audit_findings{severity="error"} 1`,
		`iamdiag_audit_findings{severity="info"} 0`,
		`iamdiag_snapshot_reloads_total{result="we\"ird"} 1`,
		`go_goroutines `,
		`go_memstats_heap_alloc_bytes `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// A successful call is no error.
	if strings.Contains(out, `iamdiag_aws_errors_total{error_code=""}`) {
		t.Error("a successful AWS call was counted as an error")
	}
}

// TestGracefulShutdown checks that a request in flight when the context
// ends still gets its answer, and Serve returns nil.
func TestGracefulShutdown(t *testing.T) {
	ts := newTestServer(t, zapcore.InfoLevel, func(c *Config) { c.NoAuth, c.Token = true, "" })
	ts.diag.delay = 300 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ts.Serve(ctx, ln, DefaultTimeouts) }()
	resp := make(chan int, 1)
	go func() {
		r, err := http.Post("http://"+ln.Addr().String()+"/v1/diagnose", "application/json", jsonBody(t, map[string]any{"principal": seedPrincipal, "action": "ec2:RunInstances"}))
		if err != nil {
			resp <- -1
			return
		}
		r.Body.Close()
		resp <- r.StatusCode
	}()
	waitFor(t, func() bool { return ts.diag.calls.Load() == 1 })
	cancel()
	if code := <-resp; code != 200 {
		t.Errorf("in-flight request got %d, want 200", code)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v, want nil", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
}
