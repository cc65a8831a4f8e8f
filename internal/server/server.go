package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/diagnose"
)

// Defaults for Config's zero fields.
const (
	// DefaultListen is the default listen address: loopback only.
	DefaultListen = "127.0.0.1:8080"
	// DefaultMaxBodyBytes is the default request body limit, 256 KiB: an
	// error text, a CloudTrail event or a few policies fit many times over.
	DefaultMaxBodyBytes = 256 << 10
	// DefaultDiagnoseTimeout bounds one diagnosis (a live source's AWS
	// calls included).
	DefaultDiagnoseTimeout = 25 * time.Second
	// DefaultSlackBudget is how long a slash command waits for the verdict
	// before acknowledging and posting it to response_url: Slack gives up
	// after 3 seconds
	// (https://api.slack.com/interactivity/slash-commands#responding_basic_receipt).
	DefaultSlackBudget = 2 * time.Second
)

// ReadyCheck is one readiness condition of /readyz: a source that must be
// reachable (the snapshot loaded, the live credentials accepted).
type ReadyCheck struct {
	// Name names the check in /readyz's answer.
	Name string
	// Check returns nil when ready.
	Check func(ctx context.Context) error
	// Degraded, optional, says why a ready source serves less than it
	// should (a snapshot file that changed but cannot be loaded, documents
	// that cannot be parsed); "" when it does not. /readyz then answers 200
	// with status "degraded", so that load balancers keep the daemon.
	Degraded func(ctx context.Context) string
}

// Config is what New needs. Sources.Layers is required; the rest is
// optional.
type Config struct {
	// Log is the logger; nil logs nothing.
	Log *zap.Logger
	// Token is the bearer token the API requires. It must be set unless
	// NoAuth.
	Token string
	// NoAuth serves the API without a token. CheckListen refuses it on an
	// address that is not loopback.
	NoAuth bool
	// AllowedHosts are the DNS names (name or name:port) requests may be
	// addressed to besides localhost and IP literals: the daemon's names
	// (its listen address's name, its Service's or load balancer's names).
	// Any other name in Host is refused with 421 (hosts.go).
	AllowedHosts []string
	// SlackSigningSecret enables POST /slack/command; empty disables it.
	SlackSigningSecret string
	// Sources are where diagnoses read the policy layers (and decode
	// encoded messages): the same pipeline as `iamdiag diagnose`.
	Sources diagnose.Sources
	// Linter lints policies for POST /v1/lint; nil answers 501.
	Linter Linter
	// Audit is the audit scheduler; nil answers 404 on /v1/audit.
	Audit *Scheduler
	// Ready are the checks of /readyz.
	Ready []ReadyCheck
	// Metrics are the metrics to update and serve; nil makes new ones.
	Metrics *Metrics
	// RateLimit is each client's average requests per second; 0 disables
	// the limit. RateBurst is how many it may make at once.
	RateLimit float64
	RateBurst int
	// MaxConns limits the open client connections (conns.go); 0 means
	// DefaultMaxConns.
	MaxConns int
	// MaxBodyBytes limits request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// DiagnoseTimeout bounds one diagnosis; 0 means DefaultDiagnoseTimeout.
	DiagnoseTimeout time.Duration
	// SlackBudget is how long a slash command waits before acknowledging;
	// 0 means DefaultSlackBudget.
	SlackBudget time.Duration
	// SlackClient posts to response_url; nil uses a client with a 10 s
	// timeout.
	SlackClient *http.Client
	// SlackResponseURL validates a response_url before anything is posted
	// to it; nil means CheckSlackResponseURL (https on hooks.slack.com).
	// Tests replace it to post to a local server.
	SlackResponseURL func(*url.URL) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is the daemon's HTTP handler. Create it with New.
type Server struct {
	cfg       Config
	log       *zap.Logger
	metrics   *Metrics
	limiter   *limiter
	tokenHash [32]byte
	hosts     hostSet
	routes    map[string]*route
	// pending tracks Slack answers still to be posted, so that a shutdown
	// waits for them.
	pending sync.WaitGroup
	// draining is set when Serve's context ends: /readyz answers 503 and
	// every answer closes its connection, while requests are still served.
	draining atomic.Bool
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Sources.Layers == nil {
		return nil, errors.New("creating server: no source of policy layers")
	}
	if !cfg.NoAuth && cfg.Token == "" {
		return nil, errors.New("creating server: the API needs a bearer token, or no authentication on a loopback address")
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.DiagnoseTimeout <= 0 {
		cfg.DiagnoseTimeout = DefaultDiagnoseTimeout
	}
	if cfg.SlackBudget <= 0 {
		cfg.SlackBudget = DefaultSlackBudget
	}
	if cfg.SlackClient == nil {
		cfg.SlackClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.SlackResponseURL == nil {
		cfg.SlackResponseURL = CheckSlackResponseURL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Log, metrics: cfg.Metrics, tokenHash: sha256.Sum256([]byte(cfg.Token)), hosts: newHostSet(cfg.AllowedHosts)}
	if cfg.RateLimit > 0 {
		s.limiter = newLimiter(cfg.RateLimit, cfg.RateBurst, cfg.Now)
	}
	s.routes = map[string]*route{
		"/v1/diagnose":  {method: http.MethodPost, json: true, h: s.handleDiagnose},
		"/v1/lint":      {method: http.MethodPost, json: true, h: s.handleLint},
		"/v1/audit":     {method: http.MethodGet, h: s.handleAudit},
		"/v1/audit/run": {method: http.MethodPost, h: s.handleAuditRun},
		slackPath:       {method: http.MethodPost, public: true, h: s.handleSlack},
		"/healthz":      {method: http.MethodGet, public: true, unlimited: true, h: s.handleHealth},
		"/readyz":       {method: http.MethodGet, public: true, unlimited: true, h: s.handleReady},
		"/metrics":      {method: http.MethodGet, public: true, unlimited: true, h: s.handleMetrics},
	}
	return s, nil
}

// route returns the route for r and its name for metrics and logs
// ("unknown" for paths that are not routes, so that scanners cannot grow
// the metrics without bound).
func (s *Server) route(r *http.Request) (*route, string) {
	if rt, ok := s.routes[r.URL.Path]; ok {
		return rt, r.URL.Path
	}
	return nil, "unknown"
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyTimeout bounds each readiness check.
const readyTimeout = 5 * time.Second

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) error {
	if s.draining.Load() {
		// Load balancers stop sending before the listener closes.
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "draining"})
		return nil
	}
	checks := map[string]string{}
	ready, degraded := true, false
	for _, c := range s.cfg.Ready {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		err := c.Check(ctx)
		cancel()
		if err != nil {
			ready = false
			checks[c.Name] = err.Error()
			loggerFrom(r.Context()).Warn("not ready", zap.String("check", c.Name), zap.Error(err))
			continue
		}
		checks[c.Name] = "ok"
		if c.Degraded == nil {
			continue
		}
		if why := c.Degraded(r.Context()); why != "" {
			degraded = true
			checks[c.Name] = "degraded: " + why
		}
	}
	status, word := http.StatusOK, "ready"
	if degraded {
		word = "degraded"
	}
	if !ready {
		status, word = http.StatusServiceUnavailable, "not ready"
	}
	writeJSON(w, status, map[string]any{"status": word, "checks": checks})
	return nil
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) error {
	s.metrics.ServeHTTP(w, r)
	return nil
}

// Timeouts are the HTTP server's limits.
type Timeouts struct {
	// ReadHeader bounds reading the request headers (slowloris).
	ReadHeader time.Duration
	// Read bounds reading the whole request.
	Read time.Duration
	// Write bounds the handler and writing the response.
	Write time.Duration
	// Idle bounds keep-alive connections between requests.
	Idle time.Duration
	// Drain is how long the daemon keeps serving after its context ends
	// (SIGTERM) with /readyz answering 503, so that load balancers and
	// Kubernetes endpoints stop sending before the listener closes.
	Drain time.Duration
	// Shutdown bounds the wait for in-flight requests on shutdown, after
	// Drain.
	Shutdown time.Duration
}

// DefaultTimeouts are the timeouts `iamdiag serve` uses unless told
// otherwise. Write leaves room for a diagnosis against the live account.
var DefaultTimeouts = Timeouts{ReadHeader: 5 * time.Second, Read: 15 * time.Second, Write: 35 * time.Second, Idle: 120 * time.Second, Drain: 5 * time.Second, Shutdown: 25 * time.Second}

// maxHeaderBytes limits request headers: a bearer token and Slack's headers
// need far less.
const maxHeaderBytes = 32 << 10

// Serve serves on ln until ctx is done, then shuts down gracefully: it keeps
// serving for t.Drain with /readyz answering 503 and every answer closing
// its connection, then stops accepting, closes idle connections, lets
// in-flight requests and pending Slack answers finish within t.Shutdown,
// and returns nil. A listener failure is returned. At most Config.MaxConns
// connections are open at once (conns.go).
func (s *Server) Serve(ctx context.Context, ln net.Listener, t Timeouts) error {
	lim := newConnLimiter(ln, s.cfg.MaxConns, s.metrics.connsEvicted.Inc)
	hs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			lim.handling(r.Context())
			s.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          zap.NewStdLog(s.log.Named("http")),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ConnContext:       lim.connContext,
		ConnState:         lim.connState,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(lim) }()
	s.log.Info("serving", zap.String("addr", ln.Addr().String()), zap.Bool("auth", !s.cfg.NoAuth), zap.Bool("slack", s.cfg.SlackSigningSecret != ""), zap.Int("max_conns", s.cfg.MaxConns))
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	if t.Drain > 0 {
		s.log.Info("draining: /readyz answers 503 so that load balancers stop sending; still serving", zap.Duration("drain", t.Drain))
		select {
		case <-time.After(t.Drain):
		case err := <-errc:
			return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
		}
	}
	s.log.Info("shutting down: finishing in-flight requests", zap.Duration("grace", t.Shutdown))
	sctx, cancel := context.WithTimeout(context.Background(), t.Shutdown)
	defer cancel()
	err := hs.Shutdown(sctx)
	done := make(chan struct{})
	go func() { s.pending.Wait(); close(done) }()
	select {
	case <-done:
	case <-sctx.Done():
		s.log.Warn("shutdown: Slack answers still pending were dropped")
	}
	if err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	}
	s.log.Info("stopped")
	return nil
}

// CheckListen checks the listen address against the authentication mode:
// --no-auth is allowed only on a loopback address (127.0.0.0/8, ::1,
// localhost), where only this machine can connect.
func CheckListen(addr string, noAuth bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("parsing listen address %q: %w", addr, err)
	}
	if !noAuth {
		return nil
	}
	if !IsLoopback(host) {
		return fmt.Errorf("serving without authentication is only allowed on a loopback address (127.0.0.1:PORT, [::1]:PORT, localhost:PORT), not %q: anyone who can reach it could use the API; give the daemon a bearer token instead", addr)
	}
	return nil
}

// IsLoopback reports whether host (no port) is a loopback address or
// "localhost". An empty host (all interfaces) is not.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
