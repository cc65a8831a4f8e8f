package cases

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// corpusDir is where the generated case files are committed.
const corpusDir = "../../testdata/corpus"

const regenerate = "go generate ./internal/simulate/corpus/cases"

// TestCommittedMatchesGenerated regenerates the corpus and compares it, file
// by file and byte for byte, with the committed case files: every *.json
// file of the corpus directory is owned by this package.
func TestCommittedMatchesGenerated(t *testing.T) {
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	committed, err := filepath.Glob(filepath.Join(corpusDir, "*"+Ext))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range committed {
		got = append(got, filepath.Base(f))
	}
	var want []string
	for name := range files {
		want = append(want, name)
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("case files in %s (-generated +committed):\n%s\nrun %s and commit", corpusDir, diff, regenerate)
	}
	for _, name := range want {
		b, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil {
			continue // reported above
		}
		if string(b) != string(files[name]) {
			t.Errorf("%s differs from the generated case:\n%s\nrun %s and commit",
				name, cmp.Diff(strings.Split(string(files[name]), "\n"), strings.Split(string(b), "\n")), regenerate)
		}
	}
}

func TestFilesDeterministic(t *testing.T) {
	a, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two runs differ (-first +second):\n%s", diff)
	}
}
