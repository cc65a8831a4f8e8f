package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/iamdiag/iamdiag/internal/atomicfile"
	"github.com/iamdiag/iamdiag/internal/redact"
	"github.com/iamdiag/iamdiag/internal/report"
)

// redactOptions are the --redact flags of `iamdiag diagnose`.
type redactOptions struct {
	// Redact replaces identifiers in the report with placeholders.
	Redact bool
	// Map is the file the placeholder → original mapping is written to.
	Map string
}

func (o *redactOptions) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Redact, "redact", false, "replace account ids, role, user and session names, access key ids, IP and e-mail addresses and organization ids with stable placeholders (every format), to share the report")
	fs.StringVar(&o.Map, "redact-map", "", "with --redact: write the placeholder → original mapping to `FILE` (mode 0600; never to stdout)")
}

// validate checks the flags' combinations (usage errors).
func (o *redactOptions) validate() error {
	if o.Map != "" && !o.Redact {
		return usageErrorf("--redact-map needs --redact")
	}
	if o.Map == "-" {
		return usageErrorf("--redact-map -: the mapping holds every original value and is never written to stdout; give a file")
	}
	return nil
}

// output returns where to render the report: stdout, or a buffer when
// redacting. finish, called with the rendering's error, redacts the buffer,
// writes the mapping file and then the report: a mapping that cannot be
// written leaves stdout empty, so no redacted report goes out that its owner
// cannot read back.
func (o *redactOptions) output(ctx context.Context, stdout io.Writer) (out io.Writer, finish func(d *report.Diagnosis, format string, err error) error) {
	if !o.Redact {
		return stdout, func(_ *report.Diagnosis, _ string, err error) error { return err }
	}
	var buf bytes.Buffer
	return &buf, func(d *report.Diagnosis, format string, err error) error {
		if err != nil {
			return err
		}
		r := &redact.Redactor{}
		r.Learn(d)
		red, err := r.Bytes(buf.Bytes(), redactSyntax(format, buf.Bytes()))
		if err != nil {
			return err
		}
		if o.Map != "" {
			if err := writeRedactMap(ctx, o.Map, r); err != nil {
				return err
			}
		}
		if _, err := stdout.Write(red); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
		return nil
	}
}

// failure redacts the message of a failed --redact run: what it echoes of
// the input (the principal a "not found" names, its session, its account)
// is replaced as in the report. The exit status is kept.
func (o *redactOptions) failure(err error) error {
	if err == nil || !o.Redact {
		return err
	}
	return &redactedError{msg: new(redact.Redactor).String(err.Error()), err: err}
}

// redactedError is an error shown with a redacted message.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactSyntax says how a report of format is redacted. A format this file
// does not know is redacted as JSON when it is JSON (a chat payload), as
// text otherwise.
func redactSyntax(format string, rendered []byte) redact.Syntax {
	switch format {
	case "json", "slack":
		return redact.SyntaxJSON
	case "markdown":
		return redact.SyntaxMarkdown
	case "text":
		return redact.SyntaxText
	}
	if json.Valid(rendered) {
		return redact.SyntaxJSON
	}
	return redact.SyntaxText
}

// writeRedactMap writes the mapping to path with mode 0600, through a
// temporary file in the same directory (created 0600, O_EXCL) renamed into
// place, so that an existing file's wider mode is not kept. The target must
// be a regular file or absent: a symbolic link such as /dev/stdout, a device
// or a FIFO is refused (the mapping holds every original value).
func writeRedactMap(ctx context.Context, path string, r *redact.Redactor) error {
	var buf bytes.Buffer
	if err := r.WriteMapping(&buf); err != nil {
		return fmt.Errorf("writing --redact-map %s: %w", path, err)
	}
	if err := atomicfile.Write(ctx, path, buf.Bytes()); err != nil {
		return fmt.Errorf("writing --redact-map %s: %w", path, err)
	}
	return nil
}
