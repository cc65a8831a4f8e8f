package server

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/iamdiag/iamdiag/internal/layers"
)

// The test organization's accounts: prod's app role may read roles,
// dev's has no policy, data's is denied by an SCP on the account; sandbox
// could not be read.
const (
	orgProd    = "111111111111"
	orgDev     = "222222222222"
	orgData    = "333333333333"
	orgSandbox = "444444444444"
)

// orgIndex is the test organization's index; scp is the content of the
// SCP attached to the data account.
func orgIndex(scp string) string {
	acct := func(id string) string {
		return `{"id":"` + id + `","file":"accounts/` + id + `.json"}`
	}
	return `{"format":"iamdiag-org-snapshot/v1","organization":{"id":"o-test","management_account_id":"999999999999",
  "nodes":[{"id":"r-test","type":"ROOT","name":"Root"},
    {"id":"` + orgProd + `","type":"ACCOUNT","parent":"r-test"},{"id":"` + orgDev + `","type":"ACCOUNT","parent":"r-test"},
    {"id":"` + orgData + `","type":"ACCOUNT","parent":"r-test"},{"id":"` + orgSandbox + `","type":"ACCOUNT","parent":"r-test"}],
  "policies":[
    {"id":"p-full","arn":"arn:aws:organizations::999999999999:policy/o-test/service_control_policy/p-full","name":"FullAWSAccess","type":"SERVICE_CONTROL_POLICY",
     "targets":["r-test","` + orgProd + `","` + orgDev + `","` + orgData + `","` + orgSandbox + `"],
     "content":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}},
    {"id":"p-data","arn":"arn:aws:organizations::999999999999:policy/o-test/service_control_policy/p-data","name":"DataRules","type":"SERVICE_CONTROL_POLICY",
     "targets":["` + orgData + `"],"content":` + scp + `}]},
 "accounts":[` + acct(orgProd) + `,` + acct(orgDev) + `,` + acct(orgData) + `,
   {"id":"` + orgSandbox + `","error":"cannot read the account: sts:AssumeRole failed (AccessDenied: denied)","error_code":"AccessDenied"}]}`
}

const (
	scpNoIAM = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"NoIAM","Effect":"Deny","Action":"iam:*","Resource":"*"}]}`
	scpAllow = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
)

// orgAccountFile is an account's snapshot holding role app, with an
// identity policy allowing iam:GetRole when allow is set.
func orgAccountFile(id string, allow bool) string {
	inline := ""
	if allow {
		inline = `,"RolePolicyList":[{"PolicyName":"read","PolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}}]`
	}
	return `{"format":"iamdiag-snapshot/v1","account_id":"` + id + `","authorization_details":{"RoleDetailList":[
  {"Path":"/","RoleName":"app","RoleId":"AROA` + id + `","Arn":"arn:aws:iam::` + id + `:role/app"` + inline + `}]}}`
}

// writeReplacing writes path through a temporary file and a rename, as
// `snapshot --org` does, with the given modification time.
func writeReplacing(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
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

// writeTestOrg writes the test organization's folder.
func writeTestOrg(t *testing.T, t0 time.Time) string {
	t.Helper()
	dir := t.TempDir()
	writeReplacing(t, filepath.Join(dir, "accounts", orgProd+".json"), orgAccountFile(orgProd, true), t0)
	writeReplacing(t, filepath.Join(dir, "accounts", orgDev+".json"), orgAccountFile(orgDev, false), t0)
	writeReplacing(t, filepath.Join(dir, "accounts", orgData+".json"), orgAccountFile(orgData, true), t0)
	writeReplacing(t, filepath.Join(dir, layers.OrgIndexFile), orgIndex(scpNoIAM), t0)
	return dir
}

// orgVerdict is what the tests read of a diagnosis.
type orgVerdict struct {
	Decision string
	Blockers []string // layer/statement
}

// diagnoseOrg diagnoses role app of account acct calling iam:GetRole on
// itself (IAM roles have no resource policy, so that only the principal's
// account answers).
func diagnoseOrg(t *testing.T, ts *testServer, acct string) orgVerdict {
	t.Helper()
	principal := "arn:aws:iam::" + acct + ":role/app"
	req := &DiagnoseRequest{Principal: principal, Action: "iam:GetRole", Resource: principal}
	w := ts.do(t, "POST", "/v1/diagnose", testToken, jsonBody(t, req), nil)
	if w.Code != 200 {
		t.Fatalf("diagnosing %s: status %d: %s", principal, w.Code, w.Body)
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
	v := orgVerdict{Decision: got.Decision}
	for _, b := range got.Blockers {
		v.Blockers = append(v.Blockers, b.Layer+"/"+b.Statement)
	}
	return v
}

// TestOrgSnapshotSource: the daemon answers a principal of each account of
// an organization snapshot from that account's file, keeps at most its
// bound of accounts loaded, reloads a changed index and reads again an
// account whose file changed.
func TestOrgSnapshotSource(t *testing.T) {
	t0 := time.Now().Add(-time.Hour)
	dir := writeTestOrg(t, t0)
	core, logs := observer.New(zapcore.WarnLevel)
	m := NewMetrics()
	src, err := OpenOrgSnapshot(dir, 2, zap.New(core), m)
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, zapcore.InfoLevel, func(c *Config) {
		c.Sources.Layers = src
		c.Ready = []ReadyCheck{{Name: "snapshot", Check: src.Ready, Degraded: src.Degraded}}
	})

	tests := []struct {
		name    string
		account string
		want    orgVerdict
		loaded  []string
	}{
		{name: "prod allowed by its identity policy", account: orgProd, want: orgVerdict{Decision: "allowed"}, loaded: []string{orgProd}},
		{name: "dev has no identity policy", account: orgDev, want: orgVerdict{Decision: "implicit-deny", Blockers: []string{"identity-policy/"}}, loaded: []string{orgDev, orgProd}},
		{name: "data denied by its account's SCP", account: orgData, want: orgVerdict{Decision: "explicit-deny", Blockers: []string{"scp/NoIAM"}}, loaded: []string{orgData, orgDev}},
		{name: "prod again, read anew after eviction", account: orgProd, want: orgVerdict{Decision: "allowed"}, loaded: []string{orgProd, orgData}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := diagnoseOrg(t, ts, tt.account)
			if got.Decision != tt.want.Decision || (tt.want.Blockers != nil && !cmp.Equal(got.Blockers, tt.want.Blockers)) {
				t.Errorf("verdict %+v, want %+v", got, tt.want)
			}
			if diff := cmp.Diff(tt.loaded, src.Loaded()); diff != "" {
				t.Errorf("accounts loaded (-want +got):\n%s", diff)
			}
		})
	}

	// The unreadable account is degraded detail, not unreadiness.
	w := ts.do(t, "GET", "/readyz", "", nil, nil)
	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &ready); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || ready.Status != "degraded" || !strings.Contains(ready.Checks["snapshot"], orgSandbox+" (AccessDenied)") {
		t.Errorf("/readyz = %d %s, want 200 degraded naming %s", w.Code, w.Body, orgSandbox)
	}

	// An account file changed alone: forgotten at the next check, read
	// anew at the next request.
	writeReplacing(t, filepath.Join(dir, "accounts", orgProd+".json"), orgAccountFile(orgProd, false), t0.Add(time.Minute))
	if changed, err := src.Reload(); changed || err != nil {
		t.Fatalf("Reload with the index unchanged: %v %v", changed, err)
	}
	if diff := cmp.Diff([]string{orgData}, src.Loaded()); diff != "" {
		t.Errorf("accounts loaded after prod's file changed (-want +got):\n%s", diff)
	}
	if got := diagnoseOrg(t, ts, orgProd); got.Decision != "implicit-deny" {
		t.Errorf("prod after its file changed: %+v, want implicit-deny", got)
	}

	// The index changed (the SCP no longer denies S3): reloaded, every
	// account forgotten, data allowed.
	writeReplacing(t, filepath.Join(dir, layers.OrgIndexFile), orgIndex(scpAllow), t0.Add(2*time.Minute))
	if changed, err := src.Reload(); !changed || err != nil {
		t.Fatalf("Reload of a changed index: %v %v", changed, err)
	}
	if got := src.Loaded(); len(got) != 0 {
		t.Errorf("accounts loaded after the index changed: %v, want none", got)
	}
	if got := diagnoseOrg(t, ts, orgData); got.Decision != "allowed" {
		t.Errorf("data after the SCP changed: %+v, want allowed", got)
	}

	// A broken index: the previous one stays, degraded, warned about once.
	writeReplacing(t, filepath.Join(dir, layers.OrgIndexFile), `{"format":"nope"}`, t0.Add(3*time.Minute))
	logs.TakeAll()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Watch(ctx, time.Millisecond); close(done) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	if n := logs.FilterMessageSnippet("reload failed").Len(); n != 1 {
		t.Errorf("%d reload warnings for one index content, want 1", n)
	}
	if why := src.Degraded(context.Background()); !strings.Contains(why, "cannot be loaded") {
		t.Errorf("Degraded() = %q, want the failed reload", why)
	}
	if err := src.Ready(context.Background()); err != nil {
		t.Errorf("Ready() = %v while serving the previous index", err)
	}
	if got := diagnoseOrg(t, ts, orgData); got.Decision != "allowed" {
		t.Errorf("data while the index is broken: %+v, want the previous index's allowed", got)
	}
	if v := value(t, m.reloadFailing); v != 1 {
		t.Errorf("iamdiag_snapshot_reload_failing = %v, want 1", v)
	}
}

// TestOrgSnapshotAuditor: the scheduled audit of an organization snapshot
// audits every account, each finding with its account, and leaves the
// daemon's cache alone.
func TestOrgSnapshotAuditor(t *testing.T) {
	src, err := OpenOrgSnapshot(writeTestOrg(t, time.Now()), 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := (&SnapshotAuditor{Org: src}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var unread bool
	for _, f := range rep.Findings {
		if f.Rule == "IAMA007" && f.Account == orgSandbox {
			unread = true
		}
	}
	if !unread || !strings.Contains(rep.Source, src.Path()) {
		t.Errorf("audit %+v, want the source and an IAMA007 finding for %s", rep, orgSandbox)
	}
	if got := src.Loaded(); len(got) != 0 {
		t.Errorf("the audit loaded %v into the daemon's cache", got)
	}
}
