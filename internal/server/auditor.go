package server

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/audit"
	"github.com/iamdiag/iamdiag/internal/layers"
)

// SnapshotAuditor is the daemon's Auditor: `iamdiag audit` over the
// snapshot in use (every account of an organization snapshot), or over a
// fresh capture of the live account when there is no snapshot.
type SnapshotAuditor struct {
	// Snapshot is the daemon's snapshot; nil audits Org or a Capture.
	Snapshot *SnapshotSource
	// Org is the daemon's organization snapshot, audited account by
	// account (audit.RunOrg) when Snapshot is nil.
	Org *OrgSnapshotSource
	// Capture captures the live account (live.Capturer's Capture); used
	// when Snapshot is nil.
	Capture func(ctx context.Context) (*layers.Snapshot, error)
	// Workers bounds an audit's goroutines (0: one per core).
	Workers int
	// Log receives the audit's warnings; nil discards them.
	Log *zap.Logger
}

// Run audits the snapshot and converts the findings to the stored form.
func (a *SnapshotAuditor) Run(ctx context.Context) (*AuditReport, error) {
	log := a.Log
	if log == nil {
		log = zap.NewNop()
	}
	var (
		snap *layers.Snapshot
		what string
		rep  *audit.Report
		err  error
	)
	switch {
	case a.Snapshot == nil && a.Org != nil:
		rep, err = audit.RunOrg(ctx, a.Org.Index(), audit.OrgOptions{Options: audit.Options{Source: "organization snapshot " + a.Org.Path(), Workers: a.Workers}})
	case a.Snapshot != nil:
		snap, what = a.Snapshot.Snapshot(), "snapshot "+a.Snapshot.path
	case a.Capture != nil:
		if snap, err = a.Capture(ctx); err != nil {
			return nil, fmt.Errorf("capturing the account to audit: %w", err)
		}
		what = "live account " + snap.AccountID
	default:
		return nil, errors.New("running the audit: no snapshot and no capture to audit")
	}
	if rep == nil && err == nil {
		rep, err = audit.Run(ctx, snap, audit.Options{Source: what, Workers: a.Workers})
	}
	if err != nil {
		return nil, err
	}
	for _, w := range rep.Warnings {
		log.Warn("audit", zap.String("warning", w))
	}
	out := &AuditReport{Source: rep.Source, Findings: make([]AuditFinding, 0, len(rep.Findings))}
	for _, f := range rep.Findings {
		out.Findings = append(out.Findings, AuditFinding{ID: f.ID, Rule: f.Rule, Severity: f.Severity.String(), Account: f.Account,
			Principal: f.Principal, Policy: f.Policy, Statement: f.Statement, Message: f.Message})
	}
	return out, nil
}
