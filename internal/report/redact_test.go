package report_test

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/redact"
	"github.com/iamdiag/iamdiag/internal/report"
)

// TestRedactReports redacts every report case in every format: no
// identifier survives, AWS names do, JSON stays valid, the placeholders
// restore the original report exactly.
func TestRedactReports(t *testing.T) {
	formats := []struct {
		ext    string
		syntax redact.Syntax
		render func(*bytes.Buffer, *report.Diagnosis) error
	}{
		{"txt", redact.SyntaxText, func(b *bytes.Buffer, d *report.Diagnosis) error {
			return report.Text(b, d, report.TextOptions{Color: true})
		}},
		{"json", redact.SyntaxJSON, func(b *bytes.Buffer, d *report.Diagnosis) error { return report.JSON(b, d) }},
		{"md", redact.SyntaxMarkdown, func(b *bytes.Buffer, d *report.Diagnosis) error { return report.Markdown(b, d) }},
	}
	kept := regexp.MustCompile(`\b[a-z0-9-]+:[A-Z][A-Za-z]+\b|arn:aws:[a-z]+::aws:policy/[\w/-]+|\bus-east-1\b`)
	for _, tc := range report.TestCases {
		for _, f := range formats {
			t.Run(tc.Name+"."+f.ext, func(t *testing.T) {
				d := tc.D()
				var orig bytes.Buffer
				if err := f.render(&orig, d); err != nil {
					t.Fatal(err)
				}
				var r redact.Redactor
				var red bytes.Buffer
				err := r.Redact(&red, d, f.syntax, func(w io.Writer) error {
					var b bytes.Buffer
					if err := f.render(&b, d); err != nil {
						return err
					}
					_, err := w.Write(b.Bytes())
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, m := range identifierRe.FindAllStringSubmatch(orig.String(), -1) {
					for _, s := range m {
						if s != "" && !strings.Contains(s, "/") {
							ids = append(ids, s)
						}
					}
				}
				if len(ids) == 0 {
					t.Fatal("the case shows no identifier: the test would prove nothing")
				}
				for _, id := range ids {
					if regexp.MustCompile(`(^|[^\w-])` + regexp.QuoteMeta(id) + `($|[^\w-])`).Match(red.Bytes()) {
						t.Errorf("%q survives redaction", id)
					}
				}
				for _, k := range kept.FindAllString(orig.String(), -1) {
					if !strings.Contains(red.String(), k) {
						t.Errorf("AWS name %q did not survive", k)
					}
				}
				if f.syntax == redact.SyntaxJSON && !json.Valid(red.Bytes()) {
					t.Errorf("redacted JSON is not valid")
				}
				if back := redact.Restore(red.String(), r.Mapping()); back != orig.String() {
					t.Errorf("restoring the placeholders does not give the report back (-want +got):\n%s", cmp.Diff(orig.String(), back))
				}
			})
		}
	}
}

// BenchmarkRedact redacts the JSON report of a case, learning included.
func BenchmarkRedact(b *testing.B) {
	d := report.SCPDenyCase()
	var buf bytes.Buffer
	if err := report.JSON(&buf, d); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		var r redact.Redactor
		r.Learn(d)
		if _, err := r.Bytes(buf.Bytes(), redact.SyntaxJSON); err != nil {
			b.Fatal(err)
		}
	}
}

// identifierRe finds identifiers in the report cases, independently of the
// Redactor: account ids, and the names of role, user and session ARNs.
var identifierRe = regexp.MustCompile(`\b\d{12}\b|(?:role|user|assumed-role)/([\w+=,.@-]+)(?:/([\w+=,.@-]+))?|\bo-[a-z0-9]+\b|\bou-[a-z0-9]+-[a-z0-9]+\b|\br-[a-z0-9]{4,}\b`)
