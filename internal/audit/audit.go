package audit

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// Options tune an audit. The zero value is ready to use.
type Options struct {
	// Workers bounds the goroutines auditing principals and linting
	// policies (default GOMAXPROCS).
	Workers int
	// MaxActions caps, per statement, how many actions an action pattern
	// ("ec2:*", "*") expands to for the dead-grant check (default 2000); a
	// finding says when the cap cut the list.
	MaxActions int
	// Conditional also reports grants that an SCP denies unless the request
	// meets the SCP's condition (IAMA003), e.g. a region restriction.
	Conditional bool
	// Source describes what is audited, for the report ("snapshot
	// FILE").
	Source string
	// Progress, when set, is called as work completes (done of total
	// units: policies linted and principals audited), from one goroutine
	// at a time.
	Progress func(done, total int)
}

// Run audits every role and user of snap (which must come from
// layers.Load, LoadFile or Capture, or have been indexed). It fails only
// when snap cannot be read or ctx is done; parts of the audit that cannot
// run are listed in Report.Warnings.
func Run(ctx context.Context, snap *layers.Snapshot, opt Options) (*Report, error) {
	return runSnapshot(ctx, snap, opt, nil, nil)
}

// runSnapshot is Run; inOrg, when set, holds the organization's accounts, and a
// trust policy naming another account is a finding (IAMA006); shared, when
// set, holds SCP verdicts shared with the organization's other accounts.
func runSnapshot(ctx context.Context, snap *layers.Snapshot, opt Options, inOrg map[string]bool, shared *scpShared) (*Report, error) {
	if snap == nil {
		return nil, errors.New("auditing: no snapshot")
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.MaxActions <= 0 {
		opt.MaxActions = 2000
	}
	a := newAuditor(snap, opt)
	a.inOrg = inOrg
	a.shared = shared
	units := a.lintUnits()
	principals := a.principals()
	total := len(units) + len(principals)
	var done atomic.Int64
	var pmu sync.Mutex
	tick := func() {
		n := done.Add(1)
		if opt.Progress != nil {
			pmu.Lock()
			opt.Progress(int(n), total)
			pmu.Unlock()
		}
	}
	if opt.Progress != nil {
		opt.Progress(0, total)
	}

	lintOut := make([][]Finding, len(units))
	if err := forEach(ctx, opt.Workers, len(units), func(i int) error {
		lintOut[i] = units[i].check()
		tick()
		return nil
	}); err != nil {
		return nil, err
	}
	princOut := make([][]Finding, len(principals))
	if err := forEach(ctx, opt.Workers, len(principals), func(i int) error {
		fs, err := a.auditPrincipal(principals[i])
		if err != nil {
			return err
		}
		princOut[i] = fs
		tick()
		return nil
	}); err != nil {
		return nil, err
	}

	r := &Report{Source: opt.Source, Account: snap.AccountID, Policies: len(units), Findings: []Finding{}}
	if !snap.CapturedAt.IsZero() {
		t := snap.CapturedAt.UTC()
		r.CapturedAt = &t
	}
	for _, p := range principals {
		if p.role != nil {
			r.Roles++
		} else {
			r.Users++
		}
	}
	for _, fs := range lintOut {
		r.Findings = append(r.Findings, fs...)
	}
	for _, fs := range princOut {
		r.Findings = append(r.Findings, fs...)
	}
	r.Findings = append(r.Findings, unreadableFindings(snap)...)
	r.Findings = dedupe(r.Findings)
	sortFindings(r.Findings)
	r.Warnings = a.warnings()
	return r, nil
}

// dedupe drops findings whose id repeats (the same lint message twice in a
// statement), keeping the first.
func dedupe(fs []Finding) []Finding {
	seen := make(map[string]bool, len(fs))
	out := fs[:0]
	for _, f := range fs {
		if seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		out = append(out, f)
	}
	return out
}

// forEach runs f(0..n-1) on a bounded pool of workers, stopping at the
// first error or when ctx is done.
func forEach(ctx context.Context, workers, n int, f func(i int) error) error {
	if n == 0 {
		return ctx.Err()
	}
	workers = min(workers, n)
	var (
		next    atomic.Int64
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
		stop    atomic.Bool
	)
	for range workers {
		wg.Go(func() {
			for !stop.Load() {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					errOnce.Do(func() { first = fmt.Errorf("auditing: %w", err) })
					stop.Store(true)
					return
				}
				if err := f(i); err != nil {
					errOnce.Do(func() { first = err })
					stop.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// principal is one role or user to audit.
type principal struct {
	arn  string
	role *layers.Role
	user *layers.User
}

// auditor holds the snapshot and the caches shared by the workers.
type auditor struct {
	snap *layers.Snapshot
	opt  Options
	// inOrg holds the organization's accounts when they are all known
	// (a multi-account snapshot); nil otherwise.
	inOrg map[string]bool

	// profileRoles are the roles in an instance profile.
	profileRoles []profileRole

	scpCache   sync.Map // scpKey -> *scpVerdict
	scpPrinc   sync.Map // account -> *scpShape
	candCache  sync.Map // candKey -> []candidate
	relaxCache sync.Map // *policy.Document -> *policy.Document
	stripCache sync.Map // stripKey -> *policy.Document
	relaxSCP   sync.Map // account -> []policy.OrgLevel, relaxed for escalation
	// regardlessSCP and regardlessDoc hold the SCPs relaxed to what denies
	// whatever the request.
	regardlessSCP sync.Map
	regardlessDoc sync.Map
	privCache     sync.Map // principal ARN -> *privileges
	// shared holds the SCP verdicts shared with the other accounts of an
	// organization audit; nil otherwise. chainIDs caches, by account, the
	// id of its SCP chain there.
	shared   *scpShared
	chainIDs sync.Map

	wmu  sync.Mutex
	warn map[string]bool
}

func newAuditor(snap *layers.Snapshot, opt Options) *auditor {
	a := &auditor{snap: snap, opt: opt, warn: map[string]bool{}}
	d := &snap.AuthorizationDetails
	for i := range d.RoleDetailList {
		r := &d.RoleDetailList[i]
		for _, ip := range r.InstanceProfileList {
			a.profileRoles = append(a.profileRoles, profileRole{role: r.Arn, profile: ip.Arn, profileName: ip.InstanceProfileName})
		}
	}
	return a
}

func (a *auditor) principals() []principal {
	d := &a.snap.AuthorizationDetails
	out := make([]principal, 0, len(d.RoleDetailList)+len(d.UserDetailList))
	for i := range d.RoleDetailList {
		out = append(out, principal{arn: d.RoleDetailList[i].Arn, role: &d.RoleDetailList[i]})
	}
	for i := range d.UserDetailList {
		out = append(out, principal{arn: d.UserDetailList[i].Arn, user: &d.UserDetailList[i]})
	}
	return out
}

// warnf records a warning once.
func (a *auditor) warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	a.wmu.Lock()
	a.warn[msg] = true
	a.wmu.Unlock()
}

func (a *auditor) warnings() []string {
	out := make([]string, 0, len(a.warn))
	for w := range a.warn {
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil
	}
	slices.Sort(out)
	return out
}

// auditPrincipal runs the per-principal rules.
func (a *auditor) auditPrincipal(p principal) ([]Finding, error) {
	l, err := a.snap.Layers(&policy.Request{Principal: policy.Principal{ARN: p.arn}})
	if err != nil {
		return nil, fmt.Errorf("auditing %s: %w", p.arn, err)
	}
	var out []Finding
	if p.role != nil {
		out = append(out, federatedNoBoundary(p.role)...)
		if a.inOrg != nil {
			out = append(out, trustOutsideOrg(p.role, a.inOrg, a.orgID())...)
		}
	}
	if l.IdentityRead.Unreadable {
		a.warnf("%s: %s", p.arn, l.IdentityRead.Message)
	}
	out = append(out, a.deadGrants(p, l)...)
	out = append(out, a.escalation(p, l)...)
	return out, nil
}
