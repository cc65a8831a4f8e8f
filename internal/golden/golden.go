// Package golden compares test output with golden files, as the standard
// library's go/printer tests do: `go test -update` rewrites the files from
// the output instead. Import it from tests only: it defines the -update
// flag.
package golden

import (
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update is the -update flag of the test binary that imports the package.
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Check compares got with the file at path, or under -update writes got
// to it. A missing file fails the test with a hint to run -update.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}
