package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/iamdiag/iamdiag/internal/report"
)

// streams are the standard streams a command reads and writes, so that tests
// run commands without a shell.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// globalOptions are the flags every subcommand shares.
type globalOptions struct {
	verbose int
	log     *zap.Logger
}

// run executes the command line args and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s := streams{in: stdin, out: stdout, err: stderr}
	g := &globalOptions{log: zap.NewNop()}
	root := newRootCmd(s, g)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	_ = g.log.Sync()
	if err != nil {
		// Errors echo the input (ARNs, session names, file names): a
		// control character or bidi override in it must not reach the
		// terminal as such.
		lines := strings.Split(err.Error(), "\n")
		for i, l := range lines {
			lines[i] = report.TerminalSafe(l)
		}
		fmt.Fprintln(stderr, "iamdiag: "+strings.Join(lines, "\n"))
		if exitCode(err) == exitUsage {
			fmt.Fprintln(stderr, "Run 'iamdiag help' or 'iamdiag help <command>' for usage.")
		}
	}
	return exitCode(err)
}

// newRootCmd lists every subcommand in one place.
func newRootCmd(s streams, g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:   "iamdiag",
		Short: "Tell which AWS policy layer denied a call, and why",
		Long: `iamdiag tells which AWS policy layer denied a call (service control policy,
resource control policy, permissions boundary, session policy, explicit Deny,
missing Allow), naming the policy, statement, attachment point and condition.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		Version:       buildVersion(),
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			g.log = newLogger(s.err, g.verbose)
			// The AWS SDK logs through it too (awslog.go); serve
			// replaces it with the daemon's logger.
			cmd.SetContext(withAWSLog(cmd.Context(), g.log))
			return nil
		},
		// Without a subcommand, show help and fail as a usage error.
		RunE: func(cmd *cobra.Command, args []string) error {
			_ = cmd.Help()
			return usageErrorf("a command is required")
		},
	}
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err}
	})
	root.PersistentFlags().CountVarP(&g.verbose, "verbose", "v", "log progress to stderr (-vv: debug, which may show policy contents)")
	root.CompletionOptions.DisableDefaultCmd = true

	root.AddCommand(
		newDiagnoseCmd(s, g),
		newDecodeCmd(s, g),
		newServeCmd(s, g),
		newLintCmd(s, g),
		newAuditCmd(s, g),
		newSnapshotCmd(s, g),
	)
	root.SetVersionTemplate("iamdiag {{.Version}}\n")
	return root
}

// newLogger returns a logger writing to w: silent at verbosity 0, info at 1,
// debug from 2. Policy contents and encoded messages are logged at debug
// only.
func newLogger(w io.Writer, verbosity int) *zap.Logger {
	if verbosity <= 0 {
		return zap.NewNop()
	}
	level := zapcore.InfoLevel
	if verbosity > 1 {
		level = zapcore.DebugLevel
	}
	enc := zap.NewDevelopmentEncoderConfig()
	enc.TimeKey = ""
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(w), level)
	return zap.New(core).Named("iamdiag")
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		if cmd.HasSubCommands() {
			return usageErrorf("unknown command %q", args[0])
		}
		return usageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}
