package server

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

const (
	goodSnap = `{"format":"iamdiag-snapshot/v1","account_id":"123456789012","authorization_details":{"RoleDetailList":[
		{"Path":"/","RoleName":"a","RoleId":"AROAA","Arn":"arn:aws:iam::123456789012:role/a","RolePolicyList":[{"PolicyName":"p","PolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}}]},
		{"Path":"/","RoleName":"b","RoleId":"AROAB","Arn":"arn:aws:iam::123456789012:role/b","RolePolicyList":[{"PolicyName":"p","PolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}}]}]}}`
	brokenFile = `{"format":"iamdiag-snapshot/v1","account_id":"bad"}`
)

func TestSnapshotDegraded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshot.json")
	// write replaces the file by rename, so that the watcher never reads
	// it half written (which is a file state of its own).
	write := func(content string, mtime time.Time) {
		t.Helper()
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(tmp, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now().Add(-time.Hour)
	write(goodSnap, t0)
	core, logs := observer.New(zapcore.WarnLevel)
	m := NewMetrics()
	s, err := OpenSnapshot(path, zap.New(core), m)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if why := s.Degraded(ctx); why != "" {
		t.Errorf("Degraded() = %q for a whole snapshot", why)
	}

	// One document of role b cannot be parsed ("allow"): loaded, degraded.
	write(strings.Replace(goodSnap, `"Allow"`, `"allow"`, 1), t0.Add(time.Minute))
	if changed, err := s.Reload(); !changed || err != nil {
		t.Fatalf("Reload with one bad document: %v %v", changed, err)
	}
	if why := s.Degraded(ctx); !strings.Contains(why, `inline policy "p" of arn:aws:iam::123456789012:role/a`) {
		t.Errorf("Degraded() = %q, want the unreadable document named", why)
	}
	if v := value(t, m.unreadableDocs); v != 1 {
		t.Errorf("iamdiag_snapshot_unreadable_documents = %v, want 1", v)
	}

	// A file that cannot be loaded at all: the previous snapshot stays,
	// degraded with the error and its age; the same content, even
	// touched, is not parsed, counted or logged again.
	write(brokenFile, t0.Add(2*time.Minute))
	logs.TakeAll()
	ctxW, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.Watch(ctxW, time.Millisecond); close(done) }()
	time.Sleep(50 * time.Millisecond)
	write(brokenFile, t0.Add(3*time.Minute))
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	if n := logs.FilterMessageSnippet("reload failed").Len(); n != 1 {
		t.Errorf("%d reload warnings for one file content, want 1", n)
	}
	if v := value(t, m.reloads, "failure"); v != 1 {
		t.Errorf("iamdiag_snapshot_reloads_total{failure} = %v, want 1", v)
	}
	if v := value(t, m.reloadFailing); v != 1 {
		t.Errorf("iamdiag_snapshot_reload_failing = %v, want 1", v)
	}
	why := s.Degraded(ctx)
	for _, w := range []string{"cannot be loaded", "account_id", "serving the snapshot loaded", "cannot be parsed"} {
		if !strings.Contains(why, w) {
			t.Errorf("Degraded() = %q does not say %q", why, w)
		}
	}
	if err := s.Ready(ctx); err != nil {
		t.Errorf("Ready() = %v while serving the previous snapshot", err)
	}

	// /readyz stays 200 and says degraded.
	ts := newTestServer(t, zapcore.InfoLevel, func(c *Config) {
		c.Ready = []ReadyCheck{{Name: "snapshot", Check: s.Ready, Degraded: s.Degraded}}
	})
	w := ts.do(t, "GET", "/readyz", "", nil, nil)
	var body struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || body.Status != "degraded" || !strings.HasPrefix(body.Checks["snapshot"], "degraded: ") {
		t.Errorf("/readyz = %d %s, want 200 degraded", w.Code, w.Body)
	}

	// Whole again: not degraded.
	write(goodSnap, t0.Add(4*time.Minute))
	if changed, err := s.Reload(); !changed || err != nil {
		t.Fatalf("Reload of a whole file: %v %v", changed, err)
	}
	if why := s.Degraded(ctx); why != "" {
		t.Errorf("Degraded() = %q after a good reload", why)
	}
	if v, u := value(t, m.reloadFailing), value(t, m.unreadableDocs); v != 0 || u != 0 {
		t.Errorf("gauges failing %v unreadable %v after a good reload, want 0 0", v, u)
	}
}
