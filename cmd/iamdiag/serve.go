package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/iamdiag/iamdiag/internal/diagnose"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/live"
	"github.com/iamdiag/iamdiag/internal/server"
	"github.com/iamdiag/iamdiag/internal/toolbox"
)

// serveOptions are the flags of `iamdiag serve`. Every flag can also be set
// by an IAMDIAG_* environment variable (envName); a flag on the command
// line wins.
type serveOptions struct {
	// org holds the live source's credentials per account
	// (IAMDIAG_ORG_ROLE_ARN, IAMDIAG_ACCOUNT_ROLE, IAMDIAG_EXTERNAL_ID …).
	org                    orgOptions
	Listen                 string
	TokenFile              string
	NoAuth                 bool
	AllowedHosts           []string
	SlackSigningSecretFile string
	Snapshot               string
	SnapshotPoll           time.Duration
	SnapshotAccounts       int
	Live                   bool
	CacheTTL               time.Duration
	Refresh                time.Duration
	AuditEvery             time.Duration
	AuditWorkers           int
	StateDir               string
	LogFormat              string
	LogLevel               string
	RateLimit              float64
	RateBurst              int
	MaxBodyBytes           int64
	MaxConns               int
	SlackAnswerWithin      time.Duration
	DiagnoseTimeout        time.Duration
	Timeouts               server.Timeouts
	Profile                string
	Region                 string
	Healthcheck            string

	// token and slackSecret are read from the files or the environment.
	token, slackSecret string
	// getenv reads the environment; tests replace it.
	getenv func(string) string
}

// Environment variables holding secrets themselves (the *_FILE variables
// name files, like the flags).
const (
	envToken       = "IAMDIAG_TOKEN"
	envSlackSecret = "IAMDIAG_SLACK_SIGNING_SECRET"
)

func newServeCmd(s streams, g *globalOptions) *cobra.Command {
	opts := &serveOptions{getenv: os.Getenv}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon: HTTP API for chat-ops, Slack command, scheduled audit",
		Long: `serve runs iamdiag as a daemon: the HTTP API a chat-ops bot calls
(POST /v1/diagnose, POST /v1/lint, GET /v1/audit, POST /v1/audit/run), a
Slack slash command (POST /slack/command), GET /healthz, GET /readyz and
GET /metrics (Prometheus).

Source: --snapshot FILE (reloaded when it changes), or a folder made by
snapshot --org (each account's file loaded when a request needs it, the
--snapshot-accounts most recently used kept loaded), --live (the account
read through the SDK's default credentials, as diagnose does without a
source), or both (the snapshot first, the live account for principals it
lacks).

The API needs a bearer token (--token-file FILE or IAMDIAG_TOKEN) unless the
daemon listens on loopback with --no-auth. The Slack command is enabled by
its signing secret (--slack-signing-secret-file FILE or
IAMDIAG_SLACK_SIGNING_SECRET).

Every flag can be set by an environment variable: IAMDIAG_ and the flag's
name in capitals with _ for - (IAMDIAG_LISTEN, IAMDIAG_SNAPSHOT, …).

--healthcheck URL does not serve: it GETs URL and exits 0 when it answers
200, 1 otherwise (for container HEALTHCHECKs in images without a shell).`,
		Example: `  IAMDIAG_TOKEN=$(cat token) iamdiag serve --snapshot snapshot.json --listen 0.0.0.0:8080
  iamdiag serve --snapshot snapshot.json --no-auth      # 127.0.0.1:8080, no token
  iamdiag serve --healthcheck http://127.0.0.1:8080/healthz`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.applyEnv(cmd.Flags()); err != nil {
				return err
			}
			if opts.Healthcheck != "" {
				return healthcheck(cmd.Context(), opts.Healthcheck, s.err)
			}
			return runServe(cmd.Context(), opts, s.err)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Listen, "listen", server.DefaultListen, "`ADDR`ESS to listen on (host:port)")
	fs.StringVar(&opts.TokenFile, "token-file", "", "`FILE` holding the API's bearer token (or IAMDIAG_TOKEN)")
	fs.BoolVar(&opts.NoAuth, "no-auth", false, "serve the API without a token (only on a loopback --listen address)")
	fs.StringSliceVar(&opts.AllowedHosts, "allowed-host", nil, "DNS `NAME` requests may be addressed to (Host), besides localhost, IP addresses and --listen's name: the daemon's Service or load balancer names (repeat, or separate with commas)")
	fs.IntVar(&opts.MaxConns, "max-conns", server.DefaultMaxConns, "most client connections open at once (`N`); at the limit an idle connection, or the one slowest to send its request, is closed to make room")
	fs.StringVar(&opts.SlackSigningSecretFile, "slack-signing-secret-file", "", "`FILE` holding the Slack app's signing secret (or IAMDIAG_SLACK_SIGNING_SECRET); enables POST /slack/command")
	fs.StringVar(&opts.Snapshot, "snapshot", "", "source: an iamdiag snapshot `FILE` or s3://BUCKET/KEY, or a folder made by snapshot --org; reloaded when it changes (an object: its ETag)")
	fs.IntVar(&opts.SnapshotAccounts, "snapshot-accounts", server.DefaultOrgAccounts, "with a --snapshot folder of an organization, how many accounts to keep loaded (`N`, the most recently used)")
	fs.DurationVar(&opts.SnapshotPoll, "snapshot-poll", 10*time.Second, "how often to check the snapshot file for changes (`DURATION`; 0 never)")
	fs.BoolVar(&opts.Live, "live", false, "source: the live AWS account (the SDK's default credentials, --profile, --region, AWS_ENDPOINT_URL*); with --snapshot, for principals the snapshot lacks")
	fs.DurationVar(&opts.CacheTTL, "cache-ttl", live.DefaultCacheTTL, "how long the live source keeps organization data (`DURATION`)")
	fs.DurationVar(&opts.Refresh, "refresh", 0, "capture a fresh --snapshot from the live account every `DURATION` (needs --snapshot; reads with the live credentials)")
	fs.DurationVar(&opts.AuditEvery, "audit-every", 0, "run the account audit every `DURATION` (e.g. 24h; 0: only on POST /v1/audit/run)")
	fs.IntVar(&opts.AuditWorkers, "audit-workers", 1, "goroutines an audit uses (`N`; 0: one per core); 1 leaves the other cores to serving")
	fs.StringVar(&opts.StateDir, "state-dir", "", "`DIR`ECTORY keeping the latest audit across restarts")
	fs.StringVar(&opts.LogFormat, "log-format", "json", "log `FORMAT`: json or console")
	fs.StringVar(&opts.LogLevel, "log-level", "info", "log `LEVEL`: debug, info, warn or error (debug may show policy contents)")
	fs.Float64Var(&opts.RateLimit, "rate-limit", 20, "requests per second each client may make on average (`N`; 0 disables)")
	fs.IntVar(&opts.RateBurst, "rate-burst", 40, "requests each client may make at once (`N`)")
	fs.Int64Var(&opts.MaxBodyBytes, "max-body-bytes", server.DefaultMaxBodyBytes, "largest request body accepted (`BYTES`)")
	fs.DurationVar(&opts.SlackAnswerWithin, "slack-answer-within", server.DefaultSlackBudget, "answer a Slack command directly when the verdict is ready within `DURATION`, else acknowledge and post it to response_url (Slack waits 3s)")
	fs.DurationVar(&opts.DiagnoseTimeout, "diagnose-timeout", server.DefaultDiagnoseTimeout, "longest one diagnosis may take (`DURATION`)")
	fs.DurationVar(&opts.Timeouts.ReadHeader, "read-header-timeout", server.DefaultTimeouts.ReadHeader, "longest time to read a request's headers (`DURATION`)")
	fs.DurationVar(&opts.Timeouts.Read, "read-timeout", server.DefaultTimeouts.Read, "longest time to read a request (`DURATION`)")
	fs.DurationVar(&opts.Timeouts.Write, "write-timeout", server.DefaultTimeouts.Write, "longest time to handle a request and write the answer (`DURATION`)")
	fs.DurationVar(&opts.Timeouts.Idle, "idle-timeout", server.DefaultTimeouts.Idle, "longest time a keep-alive connection may idle (`DURATION`)")
	fs.DurationVar(&opts.Timeouts.Drain, "drain-delay", server.DefaultTimeouts.Drain, "on SIGTERM, keep serving for `DURATION` with /readyz answering 503, so that load balancers stop sending before the listener closes")
	fs.DurationVar(&opts.Timeouts.Shutdown, "shutdown-timeout", server.DefaultTimeouts.Shutdown, "on SIGTERM, longest wait for in-flight requests (`DURATION`)")
	fs.StringVar(&opts.Profile, "profile", "", "AWS shared config `PROFILE` (the live source, --refresh and decoding encoded messages)")
	fs.StringVar(&opts.Region, "region", "", "AWS `REGION`")
	fs.StringVar(&opts.Healthcheck, "healthcheck", "", "GET `URL` and exit 0 if it answers 200, 1 otherwise, instead of serving")
	opts.org.addFlags(fs)
	return cmd
}

// envName is the environment variable of a flag: IAMDIAG_ and the name in
// capitals with _ for -.
func envName(flag string) string {
	return "IAMDIAG_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv sets every flag not given on the command line from its
// environment variable, and reads the secrets.
func (o *serveOptions) applyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "healthcheck" {
			return
		}
		if v := o.getenv(envName(f.Name)); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = usageErrorf("%s=%q: %v", envName(f.Name), v, e)
			}
		}
	})
	if err != nil {
		return err
	}
	if o.token, err = secret("--token-file", o.TokenFile, envToken, o.getenv); err != nil {
		return err
	}
	o.slackSecret, err = secret("--slack-signing-secret-file", o.SlackSigningSecretFile, envSlackSecret, o.getenv)
	return err
}

// secret reads a secret from file, or else from the environment variable.
func secret(flag, file, env string, getenv func(string) string) (string, error) {
	v := getenv(env)
	if file == "" {
		return strings.TrimSpace(v), nil
	}
	if v != "" {
		return "", usageErrorf("give %s or %s, not both", flag, env)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", flag, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("reading %s %s: the file is empty", flag, file)
	}
	return s, nil
}

// validate checks the flags' combinations (usage errors).
func (o *serveOptions) validate() error {
	if err := o.org.validate(); err != nil {
		return err
	}
	if o.Refresh > 0 && o.Snapshot != "" && !live.IsS3URL(o.Snapshot) && layers.IsOrgSnapshot(o.Snapshot) {
		return usageErrorf("--refresh captures one account, not the organization folder %s: recapture it with iamdiag snapshot --org (the daemon reloads it)", o.Snapshot)
	}
	if o.SnapshotAccounts <= 0 {
		return usageErrorf("--snapshot-accounts %d: want 1 or more", o.SnapshotAccounts)
	}
	if err := server.CheckListen(o.Listen, o.NoAuth); err != nil {
		if o.NoAuth {
			return usageErrorf("--no-auth --listen %s: %v (pass --token-file FILE or set IAMDIAG_TOKEN)", o.Listen, err)
		}
		return usageErrorf("--listen: %v", err)
	}
	if o.NoAuth && o.token != "" {
		return usageErrorf("give --no-auth or a token, not both")
	}
	if !o.NoAuth && o.token == "" {
		return usageErrorf("the API needs a bearer token: pass --token-file FILE or set %s (or --no-auth on a loopback --listen address)", envToken)
	}
	if o.Snapshot == "" && !o.Live {
		return usageErrorf("no source: pass --snapshot FILE, --live, or both")
	}
	if o.Refresh < 0 || (o.Refresh > 0 && o.Snapshot == "") {
		return usageErrorf("--refresh needs --snapshot FILE to write to")
	}
	if live.IsS3URL(o.Snapshot) {
		if o.Refresh > 0 {
			return usageErrorf("--refresh writes a file; with --snapshot %s, run 'iamdiag snapshot -o %s' on a schedule instead", o.Snapshot, o.Snapshot)
		}
		if _, err := parseS3Flag("--snapshot", o.Snapshot); err != nil {
			return err
		}
	}
	if o.AuditWorkers < 0 {
		return usageErrorf("--audit-workers %d: want 0 (one per core) or more", o.AuditWorkers)
	}
	if o.AuditEvery < 0 || (o.AuditEvery > 0 && o.StateDir == "") {
		return usageErrorf("--audit-every needs --state-dir DIR to keep the results in")
	}
	switch o.LogFormat {
	case "json", "console":
	default:
		return usageErrorf("--log-format %q: want json or console", o.LogFormat)
	}
	if _, err := zapcore.ParseLevel(o.LogLevel); err != nil {
		return usageErrorf("--log-level %q: want debug, info, warn or error", o.LogLevel)
	}
	if o.MaxConns <= 0 || o.Timeouts.Drain < 0 {
		return usageErrorf("--max-conns must be positive and --drain-delay not negative")
	}
	if o.RateLimit < 0 || o.RateBurst < 0 || o.MaxBodyBytes <= 0 || o.SnapshotPoll < 0 {
		return usageErrorf("--rate-limit, --rate-burst, --snapshot-poll must not be negative and --max-body-bytes must be positive")
	}
	return nil
}

// allowedHosts are the names of --allowed-host and --listen's host.
func (o *serveOptions) allowedHosts() []string {
	hosts := slices.Clip(o.AllowedHosts)
	if h, _, err := net.SplitHostPort(o.Listen); err == nil && h != "" {
		hosts = append(hosts, h)
	}
	return hosts
}

// serveLogger returns the daemon's logger: JSON (or console) lines on w at
// the given level, with ISO 8601 times.
func serveLogger(w io.Writer, format, level string) *zap.Logger {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		lvl = zapcore.InfoLevel
	}
	ec := zap.NewProductionEncoderConfig()
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	enc := zapcore.NewJSONEncoder(ec)
	if format == "console" {
		enc = zapcore.NewConsoleEncoder(ec)
	}
	return zap.New(zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), lvl)).Named("iamdiag")
}

// runServe serves until ctx is done (SIGTERM, SIGINT), then waits for the
// scheduled audit, the snapshot's watcher and its refresher to stop.
func runServe(ctx context.Context, opts *serveOptions, stderr io.Writer) error {
	if opts.getenv == nil {
		opts.getenv = os.Getenv
	}
	if err := opts.validate(); err != nil {
		return err
	}
	log := serveLogger(stderr, opts.LogFormat, opts.LogLevel)
	defer func() { _ = log.Sync() }()
	ctx = withAWSLog(ctx, log)
	metrics := server.NewMetrics()
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	src, err := openSources(ctx, opts, log, metrics, &wg)
	if err != nil {
		return err
	}
	// Without a live source there is no decoder: the daemon loads no AWS
	// configuration (whose default chain ends at instance metadata) for a
	// request, and answers encoded messages 422.
	sources := diagnose.Sources{Layers: src.gatherer()}
	if src.clients != nil {
		// The live configuration is loaded already: decode with its STS
		// client.
		sources.Decoder = &live.MessageDecoder{STS: src.clients.sts}
		// And read AWS's records of denials whose authorization ID a
		// request carries.
		sources.Records = src.records
	}
	if cur := src.offline(); cur != nil {
		// Beside AWS's record, the snapshot is the account's policies
		// now: what changed since the denial.
		sources.Current = cur
	}
	var sched *server.Scheduler
	if opts.StateDir != "" {
		store, err := server.OpenStore(opts.StateDir)
		if err != nil {
			return err
		}
		auditor := &server.SnapshotAuditor{Snapshot: src.snap, Org: src.org, Workers: opts.AuditWorkers, Log: log}
		if src.clients != nil {
			auditor.Capture = (&live.Capturer{Clients: src.clients.capture(), Log: log}).Capture
		}
		if sched, err = server.NewScheduler(auditor, store, opts.AuditEvery, log.Named("audit"), metrics); err != nil {
			return err
		}
		wg.Go(func() { sched.Run(ctx) })
	}
	srv, err := server.New(server.Config{
		Log:                log.Named("http"),
		Token:              opts.token,
		NoAuth:             opts.NoAuth,
		AllowedHosts:       opts.allowedHosts(),
		SlackSigningSecret: opts.slackSecret,
		Sources:            sources,
		Linter:             server.LinterFunc(server.LintPolicies),
		Audit:              sched,
		Ready:              src.ready,
		Metrics:            metrics,
		RateLimit:          opts.RateLimit,
		RateBurst:          opts.RateBurst,
		MaxBodyBytes:       opts.MaxBodyBytes,
		MaxConns:           opts.MaxConns,
		DiagnoseTimeout:    opts.DiagnoseTimeout,
		SlackBudget:        opts.SlackAnswerWithin,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", opts.Listen, err)
	}
	return srv.Serve(ctx, ln, opts.Timeouts)
}

// sources are the daemon's layer sources: a snapshot, the live account, or
// both (the snapshot first, the live account for principals it lacks).
type sources struct {
	// clients are built once from the AWS configuration (diagnose's and
	// snapshot's loadAWSConfig), nil without --live or --refresh.
	clients *awsClients
	// records reads AWS's records of denials (IAM Toolbox) with the same
	// configuration; nil when clients is.
	records diagnose.RecordFetcher
	snap    *server.SnapshotSource
	live    *live.Source
	ready   []server.ReadyCheck
	// accounts reads each account through --account-role; nil without.
	accounts live.Accounts
	// org is a --snapshot folder of an organization, instead of snap.
	org *server.OrgSnapshotSource
}

// openSources opens the sources the flags name and starts, in wg, the
// snapshot's reloading and refreshing.
func openSources(ctx context.Context, opts *serveOptions, log *zap.Logger, m *server.Metrics, wg *sync.WaitGroup) (*sources, error) {
	src := &sources{}
	account := ""
	if opts.Live || opts.Refresh > 0 {
		cfg, err := loadAWSConfig(ctx, opts.Profile, opts.Region)
		if err != nil {
			return nil, err
		}
		src.clients = newAWSClients(cfg)
		src.records = toolbox.Records{Config: cfg}
		if src.accounts, err = opts.org.apply(ctx, cfg, opts.Region, src.clients, "", m.ObserveAWSCall); err != nil {
			return nil, err
		}
		id := &live.CallerCheck{STS: src.clients.sts}
		src.ready = append(src.ready, server.ReadyCheck{Name: "aws-credentials", Check: id.Check})
		if opts.Live {
			// The readiness check's call, made once now: the live source
			// needs the credentials' account, as diagnose's does.
			account = id.Account(ctx, log)
		}
	}
	if opts.Refresh > 0 {
		// Capture first when the file does not exist yet.
		if _, err := os.Stat(opts.Snapshot); errors.Is(err, os.ErrNotExist) {
			if err := (&live.Capturer{Clients: src.clients.capture(), Log: log}).CaptureFile(ctx, opts.Snapshot); err != nil {
				return nil, err
			}
		}
	}
	if opts.Snapshot != "" && !live.IsS3URL(opts.Snapshot) && layers.IsOrgSnapshot(opts.Snapshot) {
		org, err := server.OpenOrgSnapshot(opts.Snapshot, opts.SnapshotAccounts, log.Named("snapshot"), m)
		if err != nil {
			return nil, err
		}
		src.org = org
		src.ready = append(src.ready, server.ReadyCheck{Name: "snapshot", Check: org.Ready, Degraded: org.Degraded})
		if opts.SnapshotPoll > 0 {
			wg.Go(func() { org.Watch(ctx, opts.SnapshotPoll) })
		}
	} else if opts.Snapshot != "" {
		snap, err := openSnapshot(ctx, opts, log.Named("snapshot"), m)
		if err != nil {
			return nil, err
		}
		src.snap = snap
		src.ready = append(src.ready, server.ReadyCheck{Name: "snapshot", Check: snap.Ready, Degraded: snap.Degraded})
		if opts.SnapshotPoll > 0 {
			wg.Go(func() { snap.Watch(ctx, opts.SnapshotPoll) })
		}
	}
	if opts.Refresh > 0 {
		c := &live.Capturer{Clients: src.clients.capture(), Log: log.Named("refresh")}
		wg.Go(func() { c.Refresh(ctx, opts.Snapshot, opts.Refresh, src.snap) })
	}
	if opts.Live {
		src.live = live.NewSourceFor(src.clients.source(), live.Options{Cache: live.NewCache(opts.CacheTTL), OnCall: m.ObserveAWSCall, Accounts: src.accounts}, account, log.Named("live"))
		src.live.OnStats = func(ctx context.Context, st *live.Stats) {
			// The calls themselves are counted by Options.OnCall.
			m.ObserveCache(st.CacheHits, st.CacheMisses)
			server.LoggerFrom(ctx).Info("live layers read", zap.Int("aws_calls", st.Total()), zap.Int("round_trips", st.RoundTrips), zap.Int("cache_hits", st.CacheHits))
		}
	}
	return src, nil
}

// gatherer is the daemon's source of layers: the snapshot, then the live
// account when the snapshot lacks the principal (or there is no
// snapshot).
func (s *sources) gatherer() diagnose.Gatherer {
	off := s.offline()
	switch {
	case off != nil && s.live != nil:
		return diagnose.Fallback(off, s.live)
	case off != nil:
		return off
	}
	return s.live
}

// offline is the snapshot file or the organization folder; nil when there
// is neither.
func (s *sources) offline() diagnose.Gatherer {
	switch {
	case s.snap != nil:
		return s.snap
	case s.org != nil:
		return s.org
	}
	return nil
}

// healthcheck GETs url and succeeds when it answers 200: the container
// HEALTHCHECK of an image without a shell or curl.
func healthcheck(ctx context.Context, url string, stderr io.Writer) error {
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return usageErrorf("--healthcheck %q: want an http:// or https:// URL", url)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usageErrorf("--healthcheck %q: %v", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check: %s answered %s", url, resp.Status)
	}
	fmt.Fprintln(stderr, "healthy")
	return nil
}

// openSnapshot opens the daemon's snapshot: a file, or an S3 object whose
// ETag each poll checks (s3:GetObject).
func openSnapshot(ctx context.Context, opts *serveOptions, log *zap.Logger, m *server.Metrics) (*server.SnapshotSource, error) {
	if !live.IsS3URL(opts.Snapshot) {
		return server.OpenSnapshot(opts.Snapshot, log, m)
	}
	u, err := parseS3Flag("--snapshot", opts.Snapshot)
	if err != nil {
		return nil, err
	}
	obj, err := s3Object(ctx, u, opts.Profile, opts.Region)
	if err != nil {
		return nil, err
	}
	return server.OpenSnapshotObject(ctx, obj, log, m)
}
