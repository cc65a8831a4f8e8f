// Command gen writes the realistic benchmark snapshot of internal/layers
// (package ../realistic builds it). Run from the repository root:
//
//	go run ./internal/layers/realistic/gen
//
// or `go generate ./internal/layers/realistic`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/iamdiag/iamdiag/internal/layers/realistic"
)

func main() {
	in := flag.String("gaad", "internal/layers/testdata/gaad/cloudsplaining-example.json", "get-account-authorization-details output")
	out := flag.String("o", "internal/layers/testdata/realistic/snapshot.json", "output snapshot")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	gaad, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	js, err := realistic.Snapshot(gaad)
	if err != nil {
		return fmt.Errorf("building the snapshot from %s: %w", in, err)
	}
	return os.WriteFile(out, js, 0o644)
}
