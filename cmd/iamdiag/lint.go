package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/lint"
)

// lintOptions are the flags of `iamdiag lint`.
type lintOptions struct {
	Type   string
	Format string
	FailOn string
}

func newLintCmd(s streams, g *globalOptions) *cobra.Command {
	opts := &lintOptions{}
	cmd := &cobra.Command{
		Use:   "lint [--type T] [--format text|json|sarif] [--fail-on LEVEL] FILE...",
		Short: "Check policy files for dangerous grants and mistakes (for CI)",
		Long: `lint checks IAM policy documents before they are deployed: wildcard actions,
ec2:RunInstances or iam:PassRole on every resource, privilege-escalation
combinations, Allow with NotAction/NotResource, unknown actions and condition
keys, invalid ARNs, a missing Version, documents over AWS's size quotas and
elements the policy type does not allow. Each finding names its rule, the
statement, why it matters and how to fix it.

A FILE may be a policy document, a JSON string holding one (Terraform's
jsonencode), one resource's attributes ({"policy": "..."}), or the output of
'terraform show -json' (every IAM, Organizations and resource policy in the
plan or state). "-" reads standard input.

Exit status: 0 when no finding reaches --fail-on, 1 when one does (or a file
cannot be read), 2 on a usage error.`,
		Example: `  iamdiag lint policies/*.json
  iamdiag lint --type scp --format sarif org/scps/*.json > lint.sarif
  terraform show -json plan.out | iamdiag lint -`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			g.log.Named("lint").Debug("linting", zap.Strings("files", args))
			return runLint(opts, args, s.in, s.out)
		},
	}
	cmd.Flags().StringVar(&opts.Type, "type", "", "policy `TYPE`: identity, boundary, scp, rcp, resource or trust (default: trust or resource when statements have a Principal, identity otherwise)")
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output `FORMAT`: text, json or sarif")
	cmd.Flags().StringVar(&opts.FailOn, "fail-on", "error", "exit 1 when a finding is at least `LEVEL`: error, warning, info or none")
	return cmd
}

// findingsError makes lint exit with status 1 once the findings are written.
type findingsError struct{ n int }

func (e *findingsError) Error() string {
	return plural(e.n, "finding") + " at or above the --fail-on level"
}

// runLint lints every file and writes the findings, sorted by file and line.
func runLint(opts *lintOptions, files []string, stdin io.Reader, stdout io.Writer) error {
	if len(files) == 0 {
		return usageErrorf("no files: pass one or more policy files, or - for standard input")
	}
	var kind lint.Kind
	if opts.Type != "" {
		k, err := lint.ParseKind(opts.Type)
		if err != nil {
			return usageErrorf("--type: %v", err)
		}
		kind = k
	}
	failOn, failNone := lint.Error, false
	if opts.FailOn == "none" {
		failNone = true
	} else {
		sev, err := lint.ParseSeverity(opts.FailOn)
		if err != nil {
			return usageErrorf("--fail-on %q: want error, warning, info or none", opts.FailOn)
		}
		failOn = sev
	}
	switch opts.Format {
	case "text", "json", "sarif":
	default:
		return usageErrorf("--format %q: want text, json or sarif", opts.Format)
	}
	stdinUsed := false
	var all []lint.Finding
	for _, f := range files {
		if f == "-" {
			if stdinUsed {
				return usageErrorf("- (standard input) given more than once")
			}
			stdinUsed = true
		}
		data, err := readLimited(f, stdin, lint.MaxInput)
		if err != nil {
			return err
		}
		all = append(all, lint.Lint(data, lint.Options{File: f, Kind: kind})...)
	}
	lint.Sort(all)
	var err error
	switch opts.Format {
	case "json":
		err = lint.JSON(stdout, all)
	case "sarif":
		err = lint.SARIF(stdout, all, buildVersion())
	default:
		err = lint.Text(stdout, all)
	}
	if err != nil {
		return fmt.Errorf("writing findings: %w", err)
	}
	if failNone {
		return nil
	}
	n := 0
	for _, f := range all {
		if f.Severity >= failOn {
			n++
		}
	}
	if n > 0 {
		return &exitError{code: exitFailure, err: &findingsError{n: n}}
	}
	return nil
}

// readLimited reads a file (or stdin for "-") of at most limit bytes; a
// larger one is read up to limit+1 bytes so that lint reports it as too
// large.
func readLimited(name string, stdin io.Reader, limit int64) ([]byte, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return data, nil
}
