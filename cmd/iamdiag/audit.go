package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/iamdiag/iamdiag/internal/audit"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/lint"
	"github.com/iamdiag/iamdiag/internal/live"
)

// auditOptions are the flags of `iamdiag audit`.
type auditOptions struct {
	Snapshot    string
	Format      string
	Baseline    string
	MinSeverity string
	Conditional bool
	Profile     string
	Region      string
	// Accounts and OUs limit an audit of a multi-account snapshot folder.
	Accounts []string
	OUs      []string
	// Org audits the live organization: captured into a temporary folder
	// with the credentials of org, then audited account by account.
	Org         bool
	Concurrency int
	org         orgOptions
	aws         awsOptions
	// source names what is audited when it is not the --snapshot given.
	source string
}

// auditDeps are what runAudit needs besides its options; tests replace
// capture.
type auditDeps struct {
	log     *zap.Logger
	stderr  io.Writer
	capture func(ctx context.Context, profile, region string, progress func(string, int, int)) (*layers.Snapshot, []string, error)
}

func newAuditCmd(s streams, g *globalOptions) *cobra.Command {
	opts := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit [--snapshot FILE] [--format text|json|markdown] [--baseline FILE] [--min-severity S]",
		Short: "Find dangerous, dead and escalating grants across every role and user",
		Long: `audit checks every role and user of a snapshot (or of the live account) and
reports, each with the principal, policy, statement, why and fix:

  - the lint rules, applied once to every identity policy, boundary, trust
    policy, SCP and RCP (a shared policy lists everyone it applies to);
  - IAMA001: roles assumed through SAML, OIDC or IAM Identity Center without
    a permissions boundary;
  - IAMA002: grants an SCP makes dead (the identity policy allows, the
    organization denies whatever the request); with --conditional also
    IAMA003, grants denied unless the request meets the SCP's condition;
  - IAMA004: principals that can launch an instance with a more privileged
    instance profile (ec2:RunInstances + iam:PassRole);
  - IAMA005: policy documents of the snapshot that cannot be parsed (the
    layers that use them are unknown to every diagnosis).

--snapshot DIR, a multi-account folder of 'iamdiag snapshot --org', audits
every account, one at a time (memory is bounded by the largest account):
findings carry their account and OU, the report sums them up by account,
OU and severity, and two rules are added:
  - IAMA006: a role's trust policy names an account outside the
    organization;
  - IAMA007: an account the capture could not read (not audited).
--accounts and --ou (accounts under the OUs, at any depth) limit it.

Findings are sorted by severity, then principal. Each has a stable id;
--baseline FILE (a previous --format json output) reports only new ones.
Without --snapshot the live account is captured first, as 'iamdiag snapshot'
does, with the SDK's default credentials (--profile, --region,
AWS_ENDPOINT_URL* honoured).

Exit status: 0 the audit ran (whatever it found), 1 it could not run, 2 usage.`,
		Example: `  iamdiag audit --snapshot snapshot.json
  iamdiag audit --snapshot org-snapshot --ou ou-ab12-workloads --format markdown
  iamdiag audit --snapshot snapshot.json --format json > audit.json
  iamdiag audit --snapshot new.json --baseline audit.json --min-severity warning`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			deps := auditDeps{log: g.log.Named("audit"), stderr: s.err, capture: captureLive}
			return runAudit(cmd.Context(), opts, deps, s.out)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Snapshot, "snapshot", "", "audit an iamdiag snapshot `FILE` (or s3://BUCKET/KEY, or a get-account-authorization-details file) instead of the live account")
	fs.StringVar(&opts.Format, "format", "text", "output `FORMAT`: text, json or markdown")
	fs.StringVar(&opts.Baseline, "baseline", "", "report only findings not in `FILE`, a previous --format json output")
	fs.StringVar(&opts.MinSeverity, "min-severity", "info", "report findings of at least `LEVEL`: error, warning or info")
	fs.BoolVar(&opts.Conditional, "conditional", false, "also report grants an SCP denies unless the request meets its condition (IAMA003)")
	fs.StringSliceVar(&opts.Accounts, "accounts", nil, "multi-account snapshot: audit only these account `IDS`")
	fs.StringSliceVar(&opts.OUs, "ou", nil, "multi-account snapshot: audit only the accounts under these OU `IDS` (at any depth)")
	fs.StringVar(&opts.Profile, "profile", "", "live account: the AWS shared-config `PROFILE`")
	fs.StringVar(&opts.Region, "region", "", "live account: the AWS `REGION` for the API calls")
	fs.BoolVar(&opts.Org, "org", false, "audit the live organization: capture it (the tree, SCPs and RCPs through --org-role-arn or --org-profile, each account through --account-role) into a temporary folder, removed afterwards, then audit it account by account")
	fs.IntVar(&opts.Concurrency, "concurrency", 8, "with --org: accounts captured at once (`N`)")
	opts.org.addFlags(fs)
	opts.aws.addFlags(fs, defaultCaptureTimeout)
	return cmd
}

// runAudit loads or captures the snapshot, audits it and writes the report.
func runAudit(ctx context.Context, o *auditOptions, deps auditDeps, stdout io.Writer) error {
	switch o.Format {
	case "text", "json", "markdown":
	default:
		return usageErrorf("--format %q: want text, json or markdown", o.Format)
	}
	minSev, err := lint.ParseSeverity(o.MinSeverity)
	if err != nil {
		return usageErrorf("--min-severity %q: want error, warning or info", o.MinSeverity)
	}
	if o.Snapshot != "" && !live.IsS3URL(o.Snapshot) && (o.Profile != "" || o.Region != "") {
		return usageErrorf("--profile and --region are for the live account; not with --snapshot")
	}
	if o.Org && o.Snapshot != "" {
		return usageErrorf("--org captures the live organization; to audit a captured folder, give --snapshot DIR without --org")
	}
	orgFolder := o.Snapshot != "" && !live.IsS3URL(o.Snapshot) && layers.IsOrgSnapshot(o.Snapshot)
	if !orgFolder && !o.Org && (len(o.Accounts) > 0 || len(o.OUs) > 0) {
		return usageErrorf("--accounts and --ou are for a multi-account snapshot folder (--snapshot DIR of 'iamdiag snapshot --org')")
	}
	var base audit.Baseline
	if o.Baseline != "" {
		f, err := os.Open(o.Baseline)
		if err != nil {
			return fmt.Errorf("reading --baseline: %w", err)
		}
		base, err = audit.ReadBaseline(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", o.Baseline, err)
		}
	}
	bar := newProgressBar(deps.stderr)
	var (
		snap   *layers.Snapshot
		source string
		warns  []string
	)
	if o.Org {
		return auditLiveOrg(ctx, o, deps, stdout, minSev, base, bar)
	}
	if orgFolder {
		return auditOrg(ctx, o, deps, stdout, minSev, base, bar)
	}
	if o.Snapshot != "" {
		snap, err = loadSnapshot(ctx, o.Snapshot, o.Profile, o.Region)
		if err != nil {
			return err
		}
		source = "snapshot " + o.Snapshot
	} else {
		deps.log.Info("capturing the live account")
		snap, warns, err = deps.capture(ctx, o.Profile, o.Region, bar.stage)
		if err != nil {
			bar.done()
			var ee *exitError
			if errors.As(err, &ee) {
				// Already says what to do (credentials).
				return err
			}
			return fmt.Errorf("capturing the account for the audit (or pass --snapshot FILE): %w", err)
		}
		source = "live account " + snap.AccountID
	}
	start := time.Now()
	rep, err := audit.Run(ctx, snap, audit.Options{Source: source, Conditional: o.Conditional, Progress: bar.update})
	bar.done()
	if err != nil {
		return err
	}
	rep.Warnings = append(warns, rep.Warnings...)
	deps.log.Info("audit finished", zap.Int("roles", rep.Roles), zap.Int("users", rep.Users),
		zap.Int("policies", rep.Policies), zap.Int("findings", len(rep.Findings)), zap.Duration("took", time.Since(start)))
	return writeAudit(o, stdout, rep, minSev, base)
}

// writeAudit filters the report (--min-severity, --baseline) and writes it
// in the chosen format.
func writeAudit(o *auditOptions, stdout io.Writer, rep *audit.Report, minSev lint.Severity, base audit.Baseline) error {
	var err error
	rep.AtLeast(minSev)
	if base != nil {
		rep.Since(base, o.Baseline)
	}
	switch o.Format {
	case "json":
		err = audit.JSON(stdout, rep)
	case "markdown":
		err = audit.Markdown(stdout, rep)
	default:
		err = audit.Text(stdout, rep)
	}
	if err != nil {
		return fmt.Errorf("writing the audit: %w", err)
	}
	return nil
}

// auditLiveOrg captures the live organization into a temporary folder
// (mode 0700, removed when the audit ends, interrupted or not: it holds
// every account's policies) and audits it as auditOrg does.
func auditLiveOrg(ctx context.Context, o *auditOptions, deps auditDeps, stdout io.Writer, minSev lint.Severity, base audit.Baseline, bar *progressBar) error {
	if err := o.org.validate(); err != nil {
		return err
	}
	if o.org.AccountRole == "" {
		return usageErrorf("--org needs --account-role NAME: the role each account is read through")
	}
	if o.Concurrency < 1 {
		return usageErrorf("--concurrency %d: want 1 or more", o.Concurrency)
	}
	dir, err := os.MkdirTemp("", "iamdiag-audit-org-")
	if err != nil {
		return fmt.Errorf("creating the capture's temporary folder: %w", err)
	}
	defer os.RemoveAll(dir)
	cctx, cancel := liveContext(ctx, o.aws.Timeout)
	defer cancel()
	deps.log.Info("capturing the organization")
	_, warnings, err := captureOrgFolder(cctx, o.Profile, o.Region, o.org, live.OrgCaptureOptions{
		Concurrency: o.Concurrency, Accounts: o.Accounts, OUs: o.OUs, Progress: bar.stage,
	}, dir)
	if err != nil {
		bar.done()
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(deps.stderr, "iamdiag: warning: "+w)
	}
	captured := *o
	captured.Snapshot, captured.source = dir, "live organization"
	if err := auditOrg(ctx, &captured, deps, stdout, minSev, base, bar); err != nil {
		return err
	}
	return nil
}

// auditOrg audits a multi-account snapshot folder account by account
// (audit.RunOrg: one account's snapshot in memory at a time).
func auditOrg(ctx context.Context, o *auditOptions, deps auditDeps, stdout io.Writer, minSev lint.Severity, base audit.Baseline, bar *progressBar) error {
	org, err := layers.LoadOrg(o.Snapshot)
	if err != nil {
		return fmt.Errorf("reading --snapshot %s: %w", o.Snapshot, err)
	}
	start := time.Now()
	rep, err := audit.RunOrg(ctx, org, audit.OrgOptions{
		Options:  audit.Options{Source: cmp.Or(o.source, "organization snapshot "+o.Snapshot), Conditional: o.Conditional, Progress: bar.update},
		Accounts: o.Accounts, OUs: o.OUs,
	})
	bar.done()
	if errors.Is(err, audit.ErrNotInOrganization) {
		return usageErrorf("--accounts/--ou: %v", err)
	}
	if err != nil {
		return err
	}
	deps.log.Info("audit finished", zap.Int("accounts", len(rep.Summary.Accounts)), zap.Int("roles", rep.Roles), zap.Int("users", rep.Users),
		zap.Int("policies", rep.Policies), zap.Int("findings", len(rep.Findings)), zap.Duration("took", time.Since(start)))
	return writeAudit(o, stdout, rep, minSev, base)
}

// captureLive captures the account the default credentials reach, with its
// organization where they may read it.
func captureLive(ctx context.Context, profile, region string, progress func(string, int, int)) (*layers.Snapshot, []string, error) {
	cfg, err := credentialedConfig(ctx, profile, region, "audit offline with --snapshot FILE")
	if err != nil {
		return nil, nil, err
	}
	c := newAWSClients(cfg)
	return live.Capture(ctx, c.capture(), live.CaptureOptions{Progress: progress})
}

// progressBar draws progress on a terminal's standard error, and nothing
// when standard error is not a terminal.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	on    bool
	last  time.Time
	drawn bool
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	return &progressBar{w: w, on: ok && term.IsTerminal(int(f.Fd()))}
}

// update draws "audit [#####.....] done/total", at most ten times a second.
func (p *progressBar) update(done, total int) {
	if !p.on || total == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); done < total && now.Sub(p.last) < 100*time.Millisecond {
		return
	} else {
		p.last = now
	}
	const width = 30
	n := done * width / total
	fmt.Fprintf(p.w, "\raudit [%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
	p.drawn = true
}

// stage shows a capture stage.
func (p *progressBar) stage(stage string, done, total int) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if total > 0 {
		fmt.Fprintf(p.w, "\r\033[Kcapturing %s: %d/%d", stage, done, total)
	} else {
		fmt.Fprintf(p.w, "\r\033[Kcapturing %s: %d", stage, done)
	}
	p.drawn = true
}

// done clears the bar's line.
func (p *progressBar) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.on && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}
