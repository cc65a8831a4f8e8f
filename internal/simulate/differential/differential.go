// Package differential compares iamdiag's engine (package simulate) with
// @cloud-copilot/iam-simulate, an independent implementation run as an
// external Node program (tools/iamsim/run.mjs: iam-simulate is AGPL, so it
// is installed from npm and only executed, none of its code is copied).
//
// Generate builds random but realistic cases from a seed; a Simulator runs
// them through iam-simulate; Compare evaluates each with iamdiag and
// compares the decision and the set of blocking layers (Verdict); Classify
// names the disagreements that AWS's documentation settles in iamdiag's
// favour (Classes, documented in docs/DISAGREEMENTS.md); Minimize shrinks
// a disagreement for a person to read.
//
// A case is a corpus case (package simulate/corpus), so a disagreement is
// kept as a corpus case file (Save, Load) under
// internal/simulate/testdata/differential. internal/simulate's
// TestDifferential and TestDifferentialRegressions run it.
package differential

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

// ErrUnsupported marks a case that cannot be given to iam-simulate.
var ErrUnsupported = errors.New("case not supported by iam-simulate")

// Load reads a case file (corpus.Load); the case's ID is the file's name
// without ".json".
func Load(path string) (*Case, error) {
	c, err := corpus.Load(path)
	if err != nil {
		return nil, err
	}
	return &Case{ID: strings.TrimSuffix(filepath.Base(path), ".json"), Case: *c}, nil
}

// Save writes c to dir/ID.json as a corpus case file whose expectation is
// iamdiag's answer in o: the decision and the layer and kind of each
// blocker, which Expected reduces to o.Ours. A person then checks it
// against AWS's documentation and fills in description, doc and, when
// iam-simulate's answer falls in an accepted class, differential.class.
func Save(dir string, c *Case, o Outcome) error {
	if o.Result == nil {
		return fmt.Errorf("saving %s: %w: the outcome has no iamdiag result", c.ID, ErrUnsupported)
	}
	kept := c.Case
	kept.Expect = corpus.Expect{Decision: o.Result.Decision.String(), Blockers: []corpus.Blocker{}}
	if ex := o.Result.Exception; ex != nil {
		rule := ex.Rule
		kept.Expect.Exception = &rule
		kept.Expect.PolicyDecision = ex.PolicyDecision.String()
	}
	for _, b := range o.Result.Blockers {
		kept.Expect.Blockers = append(kept.Expect.Blockers, corpus.Blocker{Layer: string(b.Layer), Kind: b.Kind.String()})
	}
	data, err := corpus.Marshal(&kept)
	if err != nil {
		return fmt.Errorf("saving %s: %w", c.ID, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("saving %s: %w", c.ID, err)
	}
	if err := os.WriteFile(filepath.Join(dir, c.ID+".json"), data, 0o644); err != nil {
		return fmt.Errorf("saving %s: %w", c.ID, err)
	}
	return nil
}
