package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/authrecord"
	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// TestMinimalPolicyAuthorizationRecord checks the README's policy for
// AWS's records of denials against the calls authrecord.Client makes. The
// embedded Service Authorization Reference predates the IAM Toolbox
// preview, so its catalog check does not apply here.
func TestMinimalPolicyAuthorizationRecord(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "minimal-policy", "authorization-record.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := policy.Parse(b); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Statement []struct{ Action []string } }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range doc.Statement {
		got = append(got, st.Action...)
	}
	var want []string
	for _, m := range methods("iam", (*authrecord.Client)(nil)) {
		if m != "iam:Region" { // the client's own region, no call
			want = append(want, m)
		}
	}
	if diff := cmp.Diff(sorted(want), sorted(got)); diff != "" {
		t.Errorf("(-code +policy):\n%s", diff)
	}
}

// recordLatency is the delay injected per AWS call for the cold
// diagnosis from an authorization ID.
const recordLatency = 50 * time.Millisecond

// TestColdDiagnoseFromAuthorizationID measures `iamdiag diagnose
// --authorization-id ID` from a cold start at 50 ms per AWS call: the
// caller identity, then the record's one page, then every document in
// parallel — at most 3 sequential round trips.
func TestColdDiagnoseFromAuthorizationID(t *testing.T) {
	rec := scriptRecord(t, "sess.json")
	srv := setFakeAWS(t, filepath.Join("..", "..", "examples", "seed", "snapshot.json"),
		fakeaws.Options{Latency: recordLatency, Records: map[string]*authrecord.Record{rec.AuthorizationID: rec}})
	opts := &diagnoseOptions{Format: "json"}
	opts.input.AuthorizationID = rec.AuthorizationID
	opts.aws.Timeout = defaultLiveTimeout
	var out strings.Builder
	start := time.Now()
	if err := runDiagnose(context.Background(), opts, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	if !strings.Contains(out.String(), `"authorization_record"`) {
		t.Fatalf("the diagnosis was not made from the record:\n%s", out.String())
	}
	trips, calls := srv.RoundTrips(), srv.TotalCalls()
	t.Logf("cold diagnose --authorization-id at %v per call: %d AWS calls, %d round trips, %v", recordLatency, calls, trips, wall.Round(time.Millisecond))
	if trips > 3 {
		t.Errorf("%d sequential round trips, want at most 3: %v", trips, srv.Log())
	}
	if calls != 1+1+len(rec.Policies) {
		t.Errorf("%d AWS calls, want GetCallerIdentity, one page and one per document (%d)", calls, 2+len(rec.Policies))
	}
}

// scriptRecord reads a record from the authid testscript's archive.
func scriptRecord(t *testing.T, name string) *authrecord.Record {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "script", "authid.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "-- "+name+" --\n")
	if !ok {
		t.Fatalf("no %s in authid.txtar", name)
	}
	if i := strings.Index(rest, "\n-- "); i >= 0 {
		rest = rest[:i+1]
	}
	rec, err := authrecord.Parse([]byte(rest))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}
