package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/iamdiag/iamdiag/internal/decode"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/report"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// diagnoseOptions are the flags of `iamdiag diagnose`.
type diagnoseOptions struct {
	input inputOptions

	Snapshot          string
	IdentityPolicies  []string
	Boundary          string
	SessionPolicies   []string
	ResourcePolicy    string
	SCPs              []string // [TARGET=]FILE
	RCPs              []string // [TARGET=]FILE
	NoDefaultSCP      bool
	ResourceAccount   string
	ManagementAccount string

	// aws holds --timeout of the live source.
	aws awsOptions

	Format string
	// FixFormat, when set, prints only the fixes: json, diff or terraform.
	FixFormat string
	// snap is the snapshot read for --snapshot, for the fixes' facts.
	snap   *layers.Snapshot
	redact redactOptions
	// Color is decided by the command: text on a terminal, NO_COLOR unset.
	Color bool

	log   *zap.Logger
	stdin io.Reader
	sts   func(ctx context.Context, profile, region string) (decode.Decoder, error)
}

func newDiagnoseCmd(s streams, g *globalOptions) *cobra.Command {
	opts := &diagnoseOptions{}
	cmd := &cobra.Command{
		Use:   "diagnose [input] [source]",
		Short: "Say which policy layer denies a call, with policy, statement and condition",
		Long: `diagnose evaluates every policy layer that applies to a call, read from a
snapshot, from policy files or from the live account, and reports every
layer that blocks it: the policy, statement, attachment point and the
conditions that matched or failed.

Input (one of): --error-file FILE, --error TEXT, --cloudtrail-event FILE,
--decoded-message FILE, --encoded-message TEXT, or --principal ARN --action
SERVICE:ACTION [--resource ARN]. --principal, --action, --resource and
--context complete or override what a message says.

Source: --snapshot FILE (an iamdiag snapshot or the output of
aws iam get-account-authorization-details), or policy files (--identity-policy,
--boundary, --session-policy, --resource-policy, --scp, --rcp). Without
either, the live account: the SDK's default credentials (--profile,
--region, AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL*, SSO profiles), every
layer read from IAM, Organizations, S3 and KMS, and the verdict
cross-checked with iam:SimulatePrincipalPolicy. -v prints the AWS calls
made and the round trips on the critical path.`,
		Example: `  iamdiag diagnose --encoded-message "$MSG" --profile prod
  iamdiag diagnose --snapshot examples/seed/snapshot.json --error-file examples/seed/error.txt
  iamdiag diagnose --identity-policy role.json --boundary boundary.json \
      --principal arn:aws:iam::111122223333:role/app --action s3:PutObject --resource arn:aws:s3:::bucket/key`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.log = g.log.Named("diagnose")
			opts.stdin = s.in
			opts.sts = newSTS
			opts.Color = opts.Format == "text" && colorable(s.out)
			return runDiagnose(cmd.Context(), opts, s.out, s.err)
		},
	}
	fs := cmd.Flags()
	opts.input.addFlags(fs)
	fs.StringVar(&opts.Snapshot, "snapshot", "", "offline source: an iamdiag snapshot `FILE` or a get-account-authorization-details file")
	fs.StringArrayVar(&opts.IdentityPolicies, "identity-policy", nil, "identity-based policy `FILE` (repeatable)")
	fs.StringVar(&opts.Boundary, "boundary", "", "permissions boundary policy `FILE`")
	fs.StringArrayVar(&opts.SessionPolicies, "session-policy", nil, "session policy `FILE` (repeatable)")
	fs.StringVar(&opts.ResourcePolicy, "resource-policy", "", "resource-based policy `FILE` of the target resource")
	fs.StringArrayVar(&opts.SCPs, "scp", nil, "service control policy `[TARGET=]FILE` (repeatable; TARGET is the root, OU or account id it is attached to)")
	fs.StringArrayVar(&opts.RCPs, "rcp", nil, "resource control policy `[TARGET=]FILE` (repeatable)")
	fs.BoolVar(&opts.NoDefaultSCP, "no-default-scp", false, "with --scp: do not assume FullAWSAccess at the levels the files do not cover")
	fs.StringVar(&opts.ResourceAccount, "resource-account", "", "`ACCOUNT` id owning the resource (decides whether the call is cross-account)")
	fs.StringVar(&opts.ManagementAccount, "management-account", "", "organization management `ACCOUNT` id (SCPs do not restrict it)")
	fs.StringVar(&opts.Format, "format", "text", "output `FORMAT`: text, json, markdown or slack (the Block Kit message the daemon posts)")
	fs.StringVar(&opts.FixFormat, "fix-format", "", "print only the fixes, as `FORMAT`: json (the fix entries), diff (the unified diffs) or terraform (aws_iam_policy_document data sources)")
	opts.redact.addFlags(fs)
	opts.aws.addFlags(fs, defaultLiveTimeout)
	return cmd
}

// colorable reports whether w is a terminal and NO_COLOR is unset or empty
// (https://no-color.org: "when present and not an empty string").
func colorable(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// policyFiles reports whether a policy file flag was given.
func (o *diagnoseOptions) policyFiles() bool {
	return len(o.IdentityPolicies) > 0 || o.Boundary != "" || len(o.SessionPolicies) > 0 ||
		o.ResourcePolicy != "" || len(o.SCPs) > 0 || len(o.RCPs) > 0
}

// validate checks the flags' combinations (usage errors).
func (o *diagnoseOptions) validate() error {
	switch o.Format {
	case "text", "json", "markdown", "slack":
	default:
		return usageErrorf("--format %q: want text, json, markdown or slack", o.Format)
	}
	if o.Snapshot != "" && o.policyFiles() {
		return usageErrorf("give --snapshot or policy files, not both")
	}
	if o.NoDefaultSCP && len(o.SCPs) == 0 {
		return usageErrorf("--no-default-scp needs --scp")
	}
	switch o.FixFormat {
	case "", "json", "diff", "terraform":
	default:
		return usageErrorf("--fix-format %q: want json, diff or terraform", o.FixFormat)
	}
	if err := o.redact.validate(); err != nil {
		return err
	}
	return o.input.validate()
}

// runDiagnose reads the input, gathers the layers from the offline source,
// evaluates them and writes the report to stdout.
func runDiagnose(ctx context.Context, opts *diagnoseOptions, stdout, stderr io.Writer) error {
	if opts.log == nil {
		opts.log = zap.NewNop()
	}
	if opts.sts == nil {
		opts.sts = newSTS
	}
	if err := opts.validate(); err != nil {
		return err
	}
	gather := opts.layers
	var live *liveSource
	if opts.Snapshot == "" && !opts.policyFiles() {
		// No offline source: read the live account.
		var cancel context.CancelFunc
		ctx, cancel = liveContext(ctx, opts.aws.Timeout)
		defer cancel()
		var err error
		if live, err = newLiveSource(ctx, opts.input.Profile, opts.input.Region, opts.log); err != nil {
			return err
		}
		opts.sts = live.sts
		gather = live.gather(ctx, opts)
		defer live.logStats(stderr)
	}

	in, err := opts.input.request(ctx, inputDeps{stdin: opts.stdin, log: opts.log, sts: opts.sts})
	if err != nil {
		return explainAWSError(err, opts.input.Profile)
	}
	d, err := diagnosis(in, gather, opts.log)
	if err != nil {
		return err
	}
	if live != nil {
		if w := live.accountWarning(d.Input); w != "" {
			d.Warnings = append(d.Warnings, w)
		}
		d.CrossCheck = live.crossCheck(ctx, d)
	}
	if opts.snap != nil {
		d.Fix = report.FixOptions{PolicyUsers: opts.snap.PolicyUsers, BoundaryUsers: opts.snap.BoundaryUsers, PolicyTargets: opts.snap.PolicyTargets}
	}
	out, finish := opts.redact.output(stdout)
	if opts.FixFormat != "" {
		fixes := report.Fixes(d.Result, d.Fix)
		switch opts.FixFormat {
		case "json":
			err = report.FixJSON(out, fixes)
		case "diff":
			err = report.FixDiffs(out, fixes)
		default:
			err = report.Terraform(out, fixes)
		}
		return finish(d, "fix-"+opts.FixFormat, err)
	}
	switch opts.Format {
	case "json":
		err = report.JSON(out, d)
	case "markdown":
		err = report.Markdown(out, d)
	case "slack":
		err = report.Slack(out, d)
	default:
		err = report.Text(out, d, report.TextOptions{Color: opts.Color})
	}
	return finish(d, opts.Format, err)
}

// diagnosis is the pipeline after decoding, shared by `iamdiag diagnose` and
// `iamdiag serve`: the evaluation request from the decoded input, its layers
// from gather, the evaluation, and the diagnosis a report renders.
func diagnosis(in *decode.Request, gather func(*policy.Request) (*policy.Layers, error), log *zap.Logger) (*report.Diagnosis, error) {
	req, warnings, err := evaluationRequest(in)
	if err != nil {
		return nil, err
	}

	l, err := gather(req)
	if err != nil {
		return nil, err
	}
	log.Info("layers gathered", zap.Int("identity_policies", len(l.Identity)), zap.Bool("scp_readable", !l.SCPRead.Unreadable))

	res := simulate.Evaluate(req, l, simulate.Options{})
	log.Info("evaluated", zap.String("decision", res.Decision.String()), zap.Int("blockers", len(res.Blockers)))

	d := &report.Diagnosis{Result: res, Input: req, Warnings: warnings}
	d.Hint = &report.Hint{Source: in.Source}
	if in.Hint != nil {
		d.Hint.Layer, d.Hint.Kind, d.Hint.PolicyARN = in.Hint.Layer, hintKind(in.Hint.Kind), in.Hint.PolicyARN
	}
	return d, nil
}

// hintKind maps the decoder's hint kind onto the evaluation's blocker kind;
// zero, "not said", for any other.
func hintKind(kind string) simulate.BlockerKind {
	switch kind {
	case decode.KindExplicitDeny:
		return simulate.BlockerExplicitDeny
	case decode.KindImplicitDeny:
		return simulate.BlockerImplicitDeny
	}
	return 0
}

// evaluationRequest turns a decoded input into the request to evaluate, with
// warnings for what the input left out. It fails when the input lacks what
// an evaluation cannot do without, saying what to pass.
func evaluationRequest(in *decode.Request) (*policy.Request, []string, error) {
	var missing []string
	if in.Principal == "" {
		missing = append(missing, "the caller (pass --principal ARN)")
	}
	if in.Action == "" {
		missing = append(missing, "the action (pass --action SERVICE:ACTION)")
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("the input does not name %s", strings.Join(missing, " or "))
	}
	var warnings []string
	resource := in.Resource
	if resource == "" {
		resource = "*"
		warnings = append(warnings, `the input names no resource: evaluated against "*"; pass --resource ARN for an exact answer`)
	}
	if in.EncodedMessage != "" && in.Source != "encoded-message" {
		warnings = append(warnings, "the error carries an encoded authorization message with the full request context: decode it (iamdiag diagnose --encoded-message TEXT, or aws sts decode-authorization-message) for an exact answer")
	}
	req := policy.NewRequest(in.Principal, in.Action, resource)
	req.Principal.IAMARN = in.RoleARN
	req.Principal.Account = in.Account
	if in.Context != nil {
		req.Context = in.Context.Clone()
	}
	return req, warnings, nil
}

// layers gathers the policy layers from the snapshot or the policy files.
func (o *diagnoseOptions) layers(req *policy.Request) (*policy.Layers, error) {
	if o.Snapshot != "" {
		snap, err := layers.LoadFile(o.Snapshot)
		if err != nil {
			return nil, fmt.Errorf("reading --snapshot %s: %w", o.Snapshot, err)
		}
		l, err := snap.Layers(req)
		if err != nil {
			return nil, fmt.Errorf("resolving %s in --snapshot %s: %w", req.Principal.ARN, o.Snapshot, err)
		}
		o.snap = snap
		if o.ResourceAccount != "" {
			l.ResourceAccount = o.ResourceAccount
		}
		if o.ManagementAccount != "" {
			l.ManagementAccount = o.ManagementAccount
		}
		return l, nil
	}
	l, err := layers.FromFiles(layers.Files{
		Identity:          o.IdentityPolicies,
		Session:           o.SessionPolicies,
		Boundary:          o.Boundary,
		Resource:          o.ResourcePolicy,
		SCP:               o.SCPs,
		RCP:               o.RCPs,
		NoDefaultSCP:      o.NoDefaultSCP,
		ManagementAccount: o.ManagementAccount,
		ResourceAccount:   o.ResourceAccount,
	}, req)
	if err != nil {
		return nil, fmt.Errorf("reading policy files: %w", err)
	}
	return l, nil
}
