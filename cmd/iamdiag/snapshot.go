package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/iamdiag/iamdiag/internal/atomicfile"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/live"
)

// defaultCaptureTimeout bounds `iamdiag snapshot`: a large account's
// authorization details take many pages.
const defaultCaptureTimeout = 10 * time.Minute

// snapshotOptions are the flags of `iamdiag snapshot`.
type snapshotOptions struct {
	Output  string
	Profile string
	Region  string
	aws     awsOptions
	// orgCapture holds --org and its flags.
	orgCapture orgCaptureOptions

	log *zap.Logger
	// progress, when true, shows a progress line on stderr (a terminal).
	progress bool
}

func newSnapshotCmd(s streams, g *globalOptions) *cobra.Command {
	opts := &snapshotOptions{}
	cmd := &cobra.Command{
		Use:   "snapshot -o FILE | snapshot --org -o DIR",
		Short: "Capture the live account (and its organization, where readable) into a snapshot file",
		Long: `snapshot reads the account's IAM authorization details (every role, user,
group and managed policy: iam:GetAccountAuthorizationDetails) and, where the
credentials may read it, the organization: its tree and every SCP and RCP with
its content and targets. It writes an iamdiag-snapshot/v1 file (mode 0600,
replaced atomically) for diagnose --snapshot, audit and serve.

Without Organizations access (a member account that is not a delegated
administrator) the file has no organization and a warning says so: the SCP
and RCP layers are then unknown, never empty. An account in no organization
is recorded as such ({"standalone": true}).

With --org, the whole organization goes into the folder DIR (docs/org-snapshot.md):
the tree and every SCP and RCP once, through --org-role-arn or --org-profile
(or the credentials themselves in the management account), then each
account's authorization details through --account-role, --concurrency
accounts at a time; --accounts and --ou limit the accounts. An account that
cannot be read is recorded with its error.`,
		Example: `  iamdiag snapshot -o prod.json --profile prod
  iamdiag snapshot --org -o org-snapshot --org-role-arn arn:aws:iam::999999999999:role/OrganizationsReader --account-role iamdiag-reader
  iamdiag diagnose --snapshot prod.json --error-file error.txt`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.log = g.log.Named("snapshot")
			opts.progress = isTerminal(s.err)
			return runSnapshot(cmd.Context(), opts, s.err)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&opts.Output, "output", "o", "", "write the snapshot to `FILE` (required), or to the S3 object s3://BUCKET/KEY")
	fs.StringVar(&opts.Profile, "profile", "", "AWS shared config `PROFILE` (default: AWS_PROFILE, then the default profile)")
	fs.StringVar(&opts.Region, "region", "", "AWS `REGION` (default: AWS_REGION, then the profile's)")
	opts.aws.addFlags(fs, defaultCaptureTimeout)
	opts.orgCapture.addFlags(fs)
	return cmd
}

// runSnapshot captures the account and writes the file; progress,
// warnings and the summary go to stderr.
func runSnapshot(ctx context.Context, opts *snapshotOptions, stderr io.Writer) error {
	if opts.log == nil {
		opts.log = zap.NewNop()
	}
	if opts.Output == "" {
		return usageErrorf("-o FILE is required: where to write the snapshot")
	}
	if opts.Output == "-" {
		return usageErrorf("-o -: the snapshot is written to a file, atomically; give a file name")
	}
	var obj *live.S3Object
	if live.IsS3URL(opts.Output) {
		if opts.orgCapture.Org {
			return usageErrorf("-o %s: --org writes a folder; an S3 object takes a single-account snapshot", opts.Output)
		}
		u, err := parseS3Flag("-o", opts.Output)
		if err != nil {
			return err
		}
		obj = &live.S3Object{URL: u}
	}
	if opts.orgCapture.Org {
		return runOrgSnapshot(ctx, opts, stderr)
	}
	// Before the capture, which takes minutes on a large account: a target
	// that is no regular file or a folder that takes no file fails now.
	if obj == nil {
		if err := atomicfile.CheckTarget(opts.Output); err != nil {
			return fmt.Errorf("writing the snapshot %s: %w", opts.Output, err)
		}
	}
	ctx, cancel := liveContext(ctx, opts.aws.Timeout)
	defer cancel()
	cfg, err := credentialedConfig(ctx, opts.Profile, opts.Region, "")
	if err != nil {
		return err
	}
	c := newAWSClients(cfg)
	start := time.Now()
	var p *progressLine
	if opts.progress {
		p = &progressLine{w: stderr}
	}
	snap, warnings, err := live.Capture(ctx, c.capture(),
		live.CaptureOptions{Progress: p.update})
	p.clear()
	if err != nil {
		return explainAWSError(err, opts.Profile)
	}
	for _, w := range warnings {
		fmt.Fprintln(stderr, "iamdiag: warning: "+w)
	}
	b, err := snap.Marshal()
	if err != nil {
		return err
	}
	if obj != nil {
		// One PutObject replaces the object whole: readers see the old
		// snapshot or the new one. No encryption parameters: the bucket's
		// default encryption applies.
		obj.Client = c.s3
		if err := obj.Put(ctx, b); err != nil {
			return explainAWSError(err, opts.Profile)
		}
	} else if err := atomicfile.Write(ctx, opts.Output, b); err != nil {
		// A temporary file renamed over the target: a reader (the daemon's
		// watcher) never sees half a file; created 0600, as the file lists
		// every policy of the account. An interruption (SIGINT, SIGTERM
		// cancel ctx) removes the temporary file.
		return fmt.Errorf("writing the snapshot %s: %w", opts.Output, err)
	}
	opts.log.Info("snapshot captured", zap.String("account", snap.AccountID), zap.Duration("duration", time.Since(start)))
	fmt.Fprintln(stderr, "iamdiag: "+snapshotSummary(opts.Output, snap))
	return nil
}

// snapshotSummary is the one line `iamdiag snapshot` ends with.
func snapshotSummary(path string, s *layers.Snapshot) string {
	d := &s.AuthorizationDetails
	var b strings.Builder
	fmt.Fprintf(&b, "wrote %s: account %s, %s, %s, %s, %s", path, s.AccountID,
		plural(len(d.RoleDetailList), "role"), plural(len(d.UserDetailList), "user"),
		plural(len(d.GroupDetailList), "group"), plural(len(d.Policies), "managed policy"))
	switch o := s.Organization; {
	case o == nil:
		b.WriteString("; no organization data: SCPs and RCPs unknown")
	case o.Standalone:
		b.WriteString("; not in an organization: no SCPs or RCPs apply")
	default:
		scps, rcps := 0, 0
		for _, p := range o.Policies {
			switch p.Type {
			case layers.PolicyTypeSCP:
				scps++
			case layers.PolicyTypeRCP:
				rcps++
			}
		}
		fmt.Fprintf(&b, "; organization %s: %s, %s, %s", o.ID, plural(len(o.Nodes), "node"), plural(scps, "SCP"), plural(rcps, "RCP"))
	}
	return b.String()
}

// progressLine rewrites one line of a terminal as the capture advances.
// A nil *progressLine shows nothing.
type progressLine struct {
	w    io.Writer
	last time.Time
	wide int
}

func (p *progressLine) update(stage string, done, total int) {
	if p == nil {
		return
	}
	// At most ten updates a second: a terminal over SSH is slow.
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && (total == 0 || done < total) {
		return
	}
	p.last = now
	msg := fmt.Sprintf("capturing: %s %d", stage, done)
	if total > 0 {
		msg += fmt.Sprintf("/%d", total)
	}
	fmt.Fprintf(p.w, "\r%-*s", p.wide, msg)
	p.wide = max(p.wide, len(msg))
}

func (p *progressLine) clear() {
	if p == nil || p.wide == 0 {
		return
	}
	fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.wide))
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
