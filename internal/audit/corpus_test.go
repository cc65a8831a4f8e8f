package audit

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/iamdiag/iamdiag/internal/layers"
)

// TestCorpus audits every testdata/corpus/*.txtar: a snapshot.json, the
// findings it must give in want (one per line: rule, principal and
// policy, statement, and the principals a shared policy is attached to),
// and "conditional: true" in the comment for Options.Conditional. A clean
// account has an empty want.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var snapJSON, want []byte
			for _, f := range ar.Files {
				switch f.Name {
				case "snapshot.json":
					snapJSON = f.Data
				case "want":
					want = f.Data
				}
			}
			snap, err := layers.Load(bytes.NewReader(snapJSON))
			if err != nil {
				t.Fatal(err)
			}
			opt := Options{Conditional: bytes.Contains(ar.Comment, []byte("conditional: true"))}
			r, err := Run(context.Background(), snap, opt)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, f := range r.Findings {
				got = append(got, corpusLine(f))
				if !strings.HasPrefix(f.ID, f.Rule+"-") || f.Why == "" || f.Fix == "" || f.Message == "" {
					t.Errorf("finding %s lacks an id, why, fix or message: %+v", f.Rule, f)
				}
			}
			wantLines := []string{}
			for _, l := range strings.Split(strings.TrimSpace(string(want)), "\n") {
				if l != "" {
					wantLines = append(wantLines, l)
				}
			}
			slices.Sort(got)
			slices.Sort(wantLines)
			if diff := cmp.Diff(wantLines, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// corpusLine renders what a corpus file pins of a finding.
func corpusLine(f Finding) string {
	s := f.Rule + " " + short(f.Principal) + " " + f.Policy + " " + f.Statement
	if len(f.AttachedTo) > 1 {
		names := make([]string, len(f.AttachedTo))
		for i, a := range f.AttachedTo {
			names[i] = short(a)
		}
		s += " attached=" + strings.Join(names, ",")
	}
	return s
}

// short drops "arn:aws:iam::ACCOUNT:" from an IAM ARN.
func short(arn string) string {
	if strings.HasPrefix(arn, "arn:aws:iam::") {
		if i := strings.IndexByte(arn[len("arn:aws:iam::"):], ':'); i >= 0 {
			return arn[len("arn:aws:iam::")+i+1:]
		}
	}
	return arn
}
