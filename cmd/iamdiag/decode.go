package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/atomicfile"
	"github.com/iamdiag/iamdiag/internal/decode"
	"github.com/iamdiag/iamdiag/internal/diagnose"
)

// decodeOptions are the flags of `iamdiag decode`.
type decodeOptions struct {
	input  inputOptions
	Format string
	// Save, when set, is the FILE AWS's record of the denial is saved to,
	// with every evaluated document.
	Save string

	log   *zap.Logger
	stdin io.Reader
	sts   stsFactory
}

func newDecodeCmd(s streams, g *globalOptions) *cobra.Command {
	opts := &decodeOptions{}
	cmd := &cobra.Command{
		Use:   "decode [input]",
		Short: "Print the request and hint an input describes, without evaluating",
		Long: `decode normalises an input (error text, CloudTrail record, decoded or encoded
authorization message, or flags) into the request iamdiag would evaluate:
principal, action, resource, context, and what the message said about the
denial (the hint).`,
		Example: `  iamdiag decode --error-file examples/seed/error.txt --format json
  iamdiag decode --cloudtrail-event event.json
  iamdiag decode --authorization-id EXAMPLE1a2b3c4d5e --save record.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.log = g.log.Named("decode")
			opts.stdin = s.in
			opts.sts = newSTS
			return runDecode(cmd.Context(), opts, s.out)
		},
	}
	opts.input.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output `FORMAT`: text or json")
	cmd.Flags().StringVar(&opts.Save, "save", "", "fetch AWS's record of the denial the input's authorization ID names, with every evaluated document, and save it to `FILE` (diagnose it later with --authorization-record FILE)")
	return cmd
}

// runDecode reads the input and writes the normalised request.
func runDecode(ctx context.Context, opts *decodeOptions, stdout io.Writer) error {
	if opts.log == nil {
		opts.log = zap.NewNop()
	}
	if opts.sts == nil {
		opts.sts = newSTS
	}
	if opts.Format != "text" && opts.Format != "json" {
		return usageErrorf("--format %q: want text or json", opts.Format)
	}
	in, err := opts.input.input(opts.stdin)
	if err != nil {
		return err
	}
	dec, err := opts.input.decoder(ctx, opts.sts)
	if err != nil {
		return explainAWSError(err, opts.input.Profile)
	}
	req, err := diagnose.Decode(ctx, in, diagnose.Sources{Decoder: dec, Log: opts.log})
	if err != nil {
		return opts.input.cliError(err)
	}
	if opts.Save != "" {
		if err := saveRecord(ctx, opts, req); err != nil {
			return err
		}
	}
	if opts.Format == "json" {
		b, err := json.MarshalIndent(req, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding the request: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	return writeDecodeText(stdout, req)
}

// writeDecodeText writes the request as aligned name/value lines.
func writeDecodeText(w io.Writer, req *decode.Request) error {
	var b strings.Builder
	line := func(name, value string) {
		if value == "" {
			value = "(not given)"
		}
		fmt.Fprintf(&b, "%-10s %s\n", name, value)
	}
	line("source", req.Source)
	line("principal", req.Principal)
	if req.RoleARN != "" {
		line("role", req.RoleARN)
	}
	line("action", req.Action)
	line("resource", req.Resource)
	if req.Context != nil {
		for _, k := range req.Context.Keys() {
			v, _ := req.Context.Get(k)
			line("context", k+"="+strings.Join(v, ","))
		}
	}
	if h := req.Hint; h != nil {
		var parts []string
		for _, p := range []string{h.Kind, h.Layer, h.PolicyARN} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		line("hint", strings.Join(parts, " "))
	} else {
		line("hint", "")
	}
	if req.EncodedMessage != "" {
		line("encoded", fmt.Sprintf("%d characters: decode it with --encoded-message for the full context", len(req.EncodedMessage)))
	}
	if req.AuthorizationID != "" {
		line("auth id", req.AuthorizationID+": AWS's record of the denial (GetRequestAuthorizationDetails); diagnose reads it")
	}
	if len(req.Missing) > 0 {
		line("missing", strings.Join(req.Missing, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// saveRecord fetches AWS's record of the denial req names and writes it,
// with its documents, to --save FILE.
func saveRecord(ctx context.Context, opts *decodeOptions, req *decode.Request) error {
	if req.AuthorizationID == "" {
		return usageErrorf("--save needs an authorization ID: the input carries none; give --authorization-id ID")
	}
	fetch, err := opts.input.records(ctx)
	if err != nil {
		return explainAWSError(err, opts.input.Profile)
	}
	rec, err := fetch.FetchRecord(ctx, req.AuthorizationID, req.AuthorizationRegion)
	if err != nil {
		return explainAWSError(fmt.Errorf("fetching AWS's record of authorization ID %s: %w", req.AuthorizationID, err), opts.input.Profile)
	}
	b, err := rec.Marshal()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(ctx, opts.Save, b); err != nil {
		return fmt.Errorf("saving the record to --save %s: %w", opts.Save, err)
	}
	opts.log.Info("record saved", zap.String("file", opts.Save), zap.Int("policies", len(rec.Policies)), zap.Int("documents", len(rec.Documents)))
	return nil
}
