package server

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/layers"
)

// TestSnapshotAuditor: the daemon's audit runs `iamdiag audit` over the
// snapshot in use, else over a capture, and says which.
func TestSnapshotAuditor(t *testing.T) {
	path := repoFile(t, "examples/seed/snapshot.json")
	snap, err := OpenSnapshot(path, zap.NewNop(), nil)
	if err != nil {
		t.Fatal(err)
	}
	captured := snap.Snapshot()
	tests := []struct {
		name       string
		auditor    *SnapshotAuditor
		wantSource string
		wantErr    string
	}{
		{name: "snapshot", auditor: &SnapshotAuditor{Snapshot: snap, Workers: 1}, wantSource: "snapshot " + path},
		{name: "capture", auditor: &SnapshotAuditor{Capture: func(context.Context) (*layers.Snapshot, error) { return captured, nil }},
			wantSource: "live account " + captured.AccountID},
		{name: "capture fails", auditor: &SnapshotAuditor{Capture: func(context.Context) (*layers.Snapshot, error) { return nil, errors.New("denied") }},
			wantErr: "capturing the account to audit: denied"},
		{name: "nothing to audit", auditor: &SnapshotAuditor{}, wantErr: "no snapshot and no capture"},
	}
	var first []AuditFinding
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := tt.auditor.Run(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.Source != tt.wantSource || len(rep.Findings) == 0 {
				t.Fatalf("source %q with %d findings, want %q and findings", rep.Source, len(rep.Findings), tt.wantSource)
			}
			for _, f := range rep.Findings {
				if f.ID == "" || f.Rule == "" || f.Principal == "" {
					t.Errorf("finding without id, rule or principal: %+v", f)
				}
			}
			// The same account audited twice gives the same findings.
			if first == nil {
				first = rep.Findings
			} else if diff := cmp.Diff(first, rep.Findings); diff != "" {
				t.Errorf("findings differ from the snapshot's (-snapshot +capture):\n%s", diff)
			}
		})
	}
}
