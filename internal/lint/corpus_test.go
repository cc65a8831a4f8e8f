package lint

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"
)

// corpusCase is one file of testdata/corpus: a comment with "type: KIND"
// (optional) and "want: RULE@LINE ..." (empty for a clean policy), and one
// file to lint.
type corpusCase struct {
	name string
	kind Kind
	want []string
	file string
	data []byte
}

func loadCorpus(t testing.TB) []corpusCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	var out []corpusCase
	for _, p := range paths {
		ar, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(ar.Files) != 1 {
			t.Fatalf("%s: want one file, got %d", p, len(ar.Files))
		}
		c := corpusCase{name: strings.TrimSuffix(filepath.Base(p), ".txtar"), file: ar.Files[0].Name, data: ar.Files[0].Data}
		sawWant := false
		for _, line := range strings.Split(string(ar.Comment), "\n") {
			if v, ok := strings.CutPrefix(line, "type:"); ok {
				k, err := ParseKind(strings.TrimSpace(v))
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				c.kind = k
			}
			if v, ok := strings.CutPrefix(line, "want:"); ok {
				sawWant = true
				c.want = strings.Fields(v)
			}
		}
		if !sawWant {
			t.Fatalf("%s: no want: line", p)
		}
		sort.Strings(c.want)
		out = append(out, c)
	}
	return out
}

// TestCorpus lints every corpus file and compares rule ids and lines.
func TestCorpus(t *testing.T) {
	for _, c := range loadCorpus(t) {
		t.Run(c.name, func(t *testing.T) {
			fs := Lint(c.data, Options{File: c.file, Kind: c.kind})
			got := []string{}
			for _, f := range fs {
				got = append(got, fmt.Sprintf("%s@%d", f.Rule, f.Line))
				if f.File != c.file || f.Why == "" || f.Fix == "" || f.Message == "" || (f.Kind == "" && f.Rule != RuleParse) {
					t.Errorf("incomplete finding: %+v", f)
				}
			}
			sort.Strings(got)
			want := c.want
			if want == nil {
				want = []string{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
				for _, f := range fs {
					t.Logf("  %s@%d %s: %s", f.Rule, f.Line, f.Statement, f.Message)
				}
			}
		})
	}
}
