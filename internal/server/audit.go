package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Auditor runs one account audit: findings across every role of the
// snapshot or the live account (`iamdiag audit`).
type Auditor interface {
	Run(ctx context.Context) (*AuditReport, error)
}

// AuditorFunc adapts a function to Auditor.
type AuditorFunc func(ctx context.Context) (*AuditReport, error)

// Run calls f.
func (f AuditorFunc) Run(ctx context.Context) (*AuditReport, error) { return f(ctx) }

// AuditReport is the result of one audit, as stored and served.
type AuditReport struct {
	// StartedAt and FinishedAt bound the run; the scheduler sets them.
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Source says what was audited ("snapshot FILE captured at …", "live
	// account 123456789012").
	Source string `json:"source,omitempty"`
	// Findings are every finding of the run.
	Findings []AuditFinding `json:"findings"`
	// New are the findings not in the previous run; the scheduler sets it.
	New []AuditFinding `json:"new_findings"`
}

// AuditFinding is one finding of an audit.
type AuditFinding struct {
	// ID identifies the finding across runs when the auditor gives one.
	ID string `json:"id,omitempty"`
	// Rule is the rule id.
	Rule string `json:"rule"`
	// Severity is "error", "warning" or "info".
	Severity string `json:"severity"`
	// Account is the account the finding is about, in an audit of an
	// organization snapshot.
	Account string `json:"account,omitempty"`
	// Principal is the role or user the finding is about.
	Principal string `json:"principal"`
	// Policy and Statement locate the finding, when it is about one.
	Policy    string `json:"policy,omitempty"`
	Statement string `json:"statement,omitempty"`
	// Message says what is wrong.
	Message string `json:"message"`
}

// severities are the finding severities metrics always report.
var severities = []string{"error", "warning", "info"}

// id identifies a finding across runs: the auditor's id, or else the same rule on the same statement
// of the same principal is the same finding, whatever its wording.
func (f *AuditFinding) id() string {
	if f.ID != "" {
		return f.ID
	}
	return f.Rule + "\xff" + f.Principal + "\xff" + f.Policy + "\xff" + f.Statement
}

// AuditStatus is what GET /v1/audit answers.
type AuditStatus struct {
	// Time is when the latest audit finished; null before the first.
	Time *time.Time `json:"time"`
	// Report is the latest successful audit; null before the first.
	Report *AuditReport `json:"report"`
	// Running says whether an audit is running now.
	Running bool `json:"running"`
	// Every is the schedule ("24h0m0s"), empty when audits run on demand
	// only.
	Every string `json:"every,omitempty"`
	// NextRun is when the next scheduled audit starts.
	NextRun *time.Time `json:"next_run,omitempty"`
	// LastError is why the latest run failed, if it did.
	LastError string `json:"last_error,omitempty"`
	// LastErrorAt is when it failed.
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
}

// Scheduler runs the audit on a schedule and on demand, one run at a time,
// keeps the latest report in a Store and in memory, and logs at warn every
// finding new since the previous run.
type Scheduler struct {
	auditor Auditor
	store   *Store
	every   time.Duration
	log     *zap.Logger
	metrics *Metrics
	now     func() time.Time
	trigger chan struct{}

	mu      sync.Mutex
	latest  *AuditReport
	running bool
	next    time.Time
	lastErr error
	errAt   time.Time
}

// NewScheduler returns a scheduler running a every interval (0: on demand
// only), starting from the report store holds. metrics may be nil.
func NewScheduler(a Auditor, store *Store, every time.Duration, log *zap.Logger, metrics *Metrics) (*Scheduler, error) {
	if a == nil || store == nil {
		return nil, errors.New("creating audit scheduler: an Auditor and a Store are required")
	}
	if log == nil {
		log = zap.NewNop()
	}
	if metrics == nil {
		metrics = NewMetrics()
	}
	latest, err := store.Load()
	if err != nil {
		return nil, err
	}
	s := &Scheduler{auditor: a, store: store, every: every, log: log, metrics: metrics, now: time.Now, trigger: make(chan struct{}, 1), latest: latest}
	if latest != nil {
		metrics.setFindings(latest)
		metrics.auditLast.WithLabelValues("success").Set(float64(latest.FinishedAt.Unix()))
	}
	return s, nil
}

// Run runs audits until ctx is done: on each Trigger, and every interval
// (the first as soon as the stored report is older than the interval). It
// returns once ctx is done and the audit in progress, if any, has ended
// and been stored: run it in a goroutine and wait for its return to stop
// the scheduler.
func (s *Scheduler) Run(ctx context.Context) {
	var tick <-chan time.Time
	var timer *time.Timer
	if s.every > 0 {
		wait := time.Duration(0)
		s.mu.Lock()
		if s.latest != nil {
			wait = max(0, s.latest.FinishedAt.Add(s.every).Sub(s.now()))
		}
		s.next = s.now().Add(wait)
		s.mu.Unlock()
		timer = time.NewTimer(wait)
		defer timer.Stop()
		tick = timer.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-s.trigger:
		}
		s.RunOnce(ctx)
		if timer != nil {
			// The next run is an interval after this one, whatever started
			// it.
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(s.every)
			s.mu.Lock()
			s.next = s.now().Add(s.every)
			s.mu.Unlock()
		}
	}
}

// Trigger asks Run for an audit now. It returns false when one is already
// running or requested.
func (s *Scheduler) Trigger() bool {
	s.mu.Lock()
	running := s.running
	s.mu.Unlock()
	if running {
		return false
	}
	select {
	case s.trigger <- struct{}{}:
		return true
	default:
		return false
	}
}

// RunOnce runs one audit now, stores it and logs its new findings.
func (s *Scheduler) RunOnce(ctx context.Context) (*AuditReport, error) {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return nil, errors.New("running the audit: one is already running")
	}
	s.running = true
	prev := s.latest
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()

	start := s.now()
	s.log.Info("audit started")
	rep, err := s.auditor.Run(ctx)
	if err == nil && rep == nil {
		err = errors.New("the auditor returned no report")
	}
	end := s.now()
	if err == nil {
		rep.StartedAt, rep.FinishedAt = start, end
		rep.New = newFindings(prev, rep)
		if rep.Findings == nil {
			rep.Findings = []AuditFinding{}
		}
		err = s.store.Save(rep)
	}
	s.metrics.observeAudit(rep, err, end)
	if err != nil {
		s.mu.Lock()
		s.lastErr, s.errAt = err, end
		s.mu.Unlock()
		s.log.Error("audit failed", zap.Error(err), zap.Duration("duration", end.Sub(start)))
		return nil, err
	}
	for _, f := range rep.New {
		// Principal names and policies stay at debug: the finding's id
		// finds it in GET /v1/audit.
		s.log.Warn("new audit finding", zap.String("id", f.ID), zap.String("rule", f.Rule), zap.String("severity", f.Severity))
		s.log.Debug("new audit finding", zap.String("id", f.ID), zap.String("principal", f.Principal),
			zap.String("policy", f.Policy), zap.String("statement", f.Statement))
	}
	s.log.Info("audit finished", zap.Int("findings", len(rep.Findings)), zap.Int("new", len(rep.New)), zap.Duration("duration", end.Sub(start)))
	s.mu.Lock()
	s.latest, s.lastErr = rep, nil
	s.mu.Unlock()
	return rep, nil
}

// newFindings returns the findings of cur that prev does not have. Every
// finding of the first run is new.
func newFindings(prev, cur *AuditReport) []AuditFinding {
	seen := map[string]bool{}
	if prev != nil {
		for i := range prev.Findings {
			seen[prev.Findings[i].id()] = true
		}
	}
	out := []AuditFinding{}
	for _, f := range cur.Findings {
		if !seen[f.id()] {
			out = append(out, f)
		}
	}
	return out
}

// Status returns the latest report and the scheduler's state.
func (s *Scheduler) Status() AuditStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := AuditStatus{Report: s.latest, Running: s.running}
	if s.latest != nil {
		st.Time = ptr(s.latest.FinishedAt)
	}
	if s.every > 0 {
		st.Every = s.every.String()
		if !s.next.IsZero() {
			st.NextRun = ptr(s.next)
		}
	}
	if s.lastErr != nil {
		st.LastError, st.LastErrorAt = s.lastErr.Error(), ptr(s.errAt)
	}
	return st
}

func (s *Server) handleAudit(w http.ResponseWriter, _ *http.Request) error {
	if s.cfg.Audit == nil {
		return apiError(http.StatusNotFound, "audit_disabled", "the audit is not enabled on this daemon")
	}
	writeJSON(w, http.StatusOK, s.cfg.Audit.Status())
	return nil
}

func (s *Server) handleAuditRun(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Audit == nil {
		return apiError(http.StatusNotFound, "audit_disabled", "the audit is not enabled on this daemon")
	}
	if !s.cfg.Audit.Trigger() {
		return apiError(http.StatusConflict, "audit_running", "an audit is already running or about to: GET /v1/audit shows it")
	}
	loggerFrom(r.Context()).Info("audit requested")
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "started", "poll": "/v1/audit"})
	return nil
}
