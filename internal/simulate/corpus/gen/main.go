// Command gen writes the evaluation corpus of internal/simulate (package
// ../cases) to its directory, replacing every case file there (the cases
// package owns them all). Run from the repository root:
//
//	go run ./internal/simulate/corpus/gen
//
// or `go generate ./internal/simulate/corpus/cases`. The output is
// deterministic.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/iamdiag/iamdiag/internal/simulate/corpus/cases"
)

func main() {
	out := flag.String("out", "internal/simulate/testdata/corpus", "corpus directory")
	flag.Parse()
	n, err := write(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d cases to %s\n", n, *out)
}

// write replaces the case files of dir with the generated ones.
func write(dir string) (int, error) {
	files, err := cases.Files()
	if err != nil {
		return 0, err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*"+cases.Ext))
	if err != nil {
		return 0, err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return 0, fmt.Errorf("removing %s: %w", f, err)
		}
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return 0, fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return len(files), nil
}
