package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/iamdiag/iamdiag/internal/diagnose"
	"github.com/iamdiag/iamdiag/internal/fix"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/live"
	"github.com/iamdiag/iamdiag/internal/report"
)

// diagnoseOptions are the flags of `iamdiag diagnose`.
type diagnoseOptions struct {
	input inputOptions

	Snapshot          string
	IdentityPolicies  []string
	Boundary          string
	SessionPolicies   []string
	ResourcePolicy    string
	VPCEndpointPolicy string
	SCPs              []string // [TARGET=]FILE
	RCPs              []string // [TARGET=]FILE
	NoDefaultSCP      bool
	ResourceAccount   string
	ManagementAccount string
	// S3PublicAccess is --s3-public-access-block FILE.
	S3PublicAccess string

	// aws holds --timeout of the live source.
	aws awsOptions
	// org holds the credentials per account of the live source.
	org orgOptions

	Format string
	// FixFormat, when set, prints only the fixes: json, diff or terraform.
	FixFormat string
	redact    redactOptions
	// Color is decided by the command: text on a terminal, NO_COLOR unset.
	Color bool

	log   *zap.Logger
	stdin io.Reader
	sts   stsFactory
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
--decoded-message FILE, --encoded-message TEXT, --authorization-id ID,
--authorization-record FILE, or --principal ARN --action SERVICE:ACTION
[--resource ARN]. --principal, --action, --resource and --context complete
or override what a message says.

An input carrying the authorization ID of AWS's record of the denial (the
AccessDenied message's "authorization id", or --authorization-id) is
diagnosed from that record: the layers and the context as AWS evaluated
them (iam:GetRequestAuthorizationDetails, iam:GetRequestAuthorizationPolicy),
AWS's matched statements shown beside iamdiag's. When the record cannot be
read, one line says why and the layers are walked as usual.

Source: --snapshot FILE (an iamdiag snapshot or the output of
aws iam get-account-authorization-details), or policy files (--identity-policy,
--boundary, --session-policy, --resource-policy, --vpc-endpoint-policy, --scp,
--rcp; given with
--snapshot, each replaces the snapshot's layer). Without either, the live
account: the SDK's default credentials (--profile,
--region, AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL*, SSO profiles), every
layer read from IAM, Organizations, S3 and KMS, and the verdict
cross-checked with iam:SimulatePrincipalPolicy. -v prints the AWS calls
made and the round trips on the critical path.

In an organization: --org-role-arn or --org-profile read the SCPs and RCPs
with the management account's (or a delegated administrator's) credentials;
--account-role NAME (with --external-id) reads the principal's and the
resource's accounts through a role assumed in each.`,
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
	fs.StringVar(&opts.Snapshot, "snapshot", "", "offline source: an iamdiag snapshot `FILE` (or s3://BUCKET/KEY) or a get-account-authorization-details file")
	fs.StringArrayVar(&opts.IdentityPolicies, "identity-policy", nil, "identity-based policy `FILE` (repeatable)")
	fs.StringVar(&opts.Boundary, "boundary", "", "permissions boundary policy `FILE`")
	fs.StringArrayVar(&opts.SessionPolicies, "session-policy", nil, "session policy `FILE` (repeatable)")
	fs.StringVar(&opts.ResourcePolicy, "resource-policy", "", "resource-based policy `FILE` of the target resource")
	fs.StringVar(&opts.VPCEndpointPolicy, "vpc-endpoint-policy", "", "policy `FILE` of the VPC endpoint the call went through (give its id with --context aws:SourceVpce=vpce-…)")
	fs.StringArrayVar(&opts.SCPs, "scp", nil, "service control policy `[TARGET=]FILE` (repeatable; TARGET is the root, OU or account id it is attached to)")
	fs.StringArrayVar(&opts.RCPs, "rcp", nil, "resource control policy `[TARGET=]FILE` (repeatable)")
	fs.BoolVar(&opts.NoDefaultSCP, "no-default-scp", false, "with --scp: do not assume FullAWSAccess at the levels the files do not cover")
	fs.StringVar(&opts.ResourceAccount, "resource-account", "", "`ACCOUNT` id owning the resource (decides whether the call is cross-account)")
	fs.StringVar(&opts.ManagementAccount, "management-account", "", "organization management `ACCOUNT` id (SCPs do not restrict it)")
	fs.StringVar(&opts.S3PublicAccess, "s3-public-access-block", "", "`FILE` holding the S3 Block Public Access settings in force for the bucket (what aws s3api get-public-access-block prints; the stricter of the bucket's and the account's)")
	fs.StringVar(&opts.Format, "format", "text", "output `FORMAT`: text, json, markdown or slack (the Block Kit message the daemon posts)")
	fs.StringVar(&opts.FixFormat, "fix-format", "", "print only the fixes, as `FORMAT`: json (the fix entries), diff (the unified diffs) or terraform (aws_iam_policy_document data sources)")
	opts.redact.addFlags(fs)
	opts.aws.addFlags(fs, defaultLiveTimeout)
	opts.org.addFlags(fs)
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
		o.ResourcePolicy != "" || o.VPCEndpointPolicy != "" || len(o.SCPs) > 0 || len(o.RCPs) > 0
}

// files are the policy files the flags name.
func (o *diagnoseOptions) files() layers.Files {
	return layers.Files{
		Identity:          o.IdentityPolicies,
		Session:           o.SessionPolicies,
		Boundary:          o.Boundary,
		Resource:          o.ResourcePolicy,
		VPCEndpoint:       o.VPCEndpointPolicy,
		SCP:               o.SCPs,
		RCP:               o.RCPs,
		NoDefaultSCP:      o.NoDefaultSCP,
		ManagementAccount: o.ManagementAccount,
		ResourceAccount:   o.ResourceAccount,
	}
}

// validate checks the flags' combinations (usage errors).
func (o *diagnoseOptions) validate() error {
	switch o.Format {
	case "text", "json", "markdown", "slack":
	default:
		return usageErrorf("--format %q: want text, json, markdown or slack", o.Format)
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
	if err := o.org.validate(); err != nil {
		return err
	}
	if o.org.set() && (o.Snapshot != "" || o.policyFiles()) {
		return usageErrorf("--org-profile, --org-role-arn and --account-role are for the live account; not with --snapshot or policy files")
	}
	return o.input.validate()
}

// runDiagnose reads the input, runs the diagnosis pipeline over the source
// the flags name (a snapshot, policy files, else the live account) and
// writes the report to stdout.
func runDiagnose(ctx context.Context, opts *diagnoseOptions, stdout, stderr io.Writer) (err error) {
	defer func() { err = opts.redact.failure(err) }()
	if opts.log == nil {
		opts.log = zap.NewNop()
	}
	if opts.sts == nil {
		opts.sts = newSTS
	}
	if err := opts.validate(); err != nil {
		return err
	}
	in, err := opts.input.input(opts.stdin)
	if err != nil {
		return err
	}
	src := diagnose.Sources{ResourceAccount: opts.ResourceAccount, ManagementAccount: opts.ManagementAccount, Log: opts.log}
	if opts.S3PublicAccess != "" {
		if src.S3PublicAccess, err = layers.ReadPublicAccessBlock(opts.S3PublicAccess); err != nil {
			return usageErrorf("--s3-public-access-block: %v", err)
		}
	}
	switch {
	case opts.input.AuthorizationRecord != "" && opts.Snapshot == "" && !opts.policyFiles():
		// A saved record is the whole source: no AWS.
	case opts.Snapshot != "" && !live.IsS3URL(opts.Snapshot) && layers.IsOrgSnapshot(opts.Snapshot):
		// A multi-account snapshot: each account loaded when needed.
		o, err := layers.LoadOrg(opts.Snapshot)
		if err != nil {
			return fmt.Errorf("reading --snapshot %s: %w", opts.Snapshot, err)
		}
		src.Layers = diagnose.OrgSnapshot(o)
		if opts.policyFiles() {
			src.Layers = diagnose.Overlay(src.Layers, opts.files())
		}
	case opts.Snapshot != "":
		snap, err := loadSnapshot(ctx, opts.Snapshot, opts.input.Profile, opts.input.Region)
		if err != nil {
			return err
		}
		src.Layers = diagnose.Snapshot(snap)
		if opts.policyFiles() {
			// Policy files given with a snapshot replace its layers.
			src.Layers = diagnose.Overlay(src.Layers, opts.files())
		}
		// Beside AWS's record, the snapshot is the account's policies
		// now: what changed since the denial.
		src.Current = src.Layers
	case opts.policyFiles():
		src.Layers = diagnose.Files(opts.files())
	default:
		// No offline source: read the live account.
		var cancel context.CancelFunc
		ctx, cancel = liveContext(ctx, opts.aws.Timeout)
		defer cancel()
		ls, err := newLiveSource(ctx, opts.input.Profile, opts.input.Region, opts.org, opts.log)
		if err != nil {
			return err
		}
		defer logStats(ls, opts.log, stderr)
		src.Layers, src.Decoder = ls, ls.Decoder()
	}
	if opts.input.AuthorizationRecord == "" && (opts.input.AuthorizationID != "" || (opts.Snapshot == "" && !opts.policyFiles())) {
		// AWS's record of the denial, when the input carries its ID:
		// always live, and offline when --authorization-id asks for it.
		if src.Records, err = opts.input.records(ctx); err != nil {
			return explainAWSError(err, opts.input.Profile)
		}
	}
	if src.Decoder == nil {
		if src.Decoder, err = opts.input.decoder(ctx, opts.sts); err != nil {
			return explainAWSError(err, opts.input.Profile)
		}
	}
	d, err := diagnose.Run(ctx, in, src)
	if err != nil {
		return opts.sourceError(err)
	}
	out, finish := opts.redact.output(ctx, stdout)
	if opts.FixFormat != "" {
		fixes := fix.Suggest(d.Result, d.Fix)
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

// sourceError is cliError, with the source named as the flags named it.
func (o *diagnoseOptions) sourceError(err error) error {
	var e *diagnose.Error
	if errors.As(err, &e) && (e.Kind == diagnose.Source || e.Kind == diagnose.PrincipalNotFound) {
		switch {
		case o.Snapshot != "":
			return fmt.Errorf("resolving the caller in --snapshot %s: %w", o.Snapshot, e.Err)
		case o.policyFiles():
			return fmt.Errorf("reading policy files: %w", e.Err)
		case e.Kind == diagnose.PrincipalNotFound:
			return fmt.Errorf("%w (choose the credentials with --profile, or diagnose offline with --snapshot FILE)", e.Err)
		}
	}
	return o.input.cliError(err)
}
