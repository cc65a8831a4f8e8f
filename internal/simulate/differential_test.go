package simulate_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/simulate"
	"github.com/iamdiag/iamdiag/internal/simulate/differential"
)

// The differential test runs iamdiag's engine and @cloud-copilot/iam-simulate
// (an independent implementation, run as an external program through
// tools/iamsim/run.mjs) on generated cases and compares the decision and the
// set of blocking layers (package differential). Disagreements that AWS's
// documentation settles in iamdiag's favour are accepted by the narrow,
// named classes of differential.Classes, documented in
// docs/DISAGREEMENTS.md.
//
// Environment:
//   IAMDIAG_DIFF_CASES  number of generated cases (default 2000)
//   IAMDIAG_DIFF_SEED   generator seed (default 20261126; logged)
//   IAMDIAG_DIFF_SAVE   directory to write each unexplained disagreement to,
//                       as a corpus case file for testdata/differential

const (
	defaultDiffCases = 2000
	defaultDiffSeed  = 20261126
	diffBatch        = 500
)

// diffRegressionDir holds past disagreements as corpus case files.
const diffRegressionDir = "testdata/differential"

// diffStartIAMSim starts tools/iamsim, or skips the test when it is not
// installed outside CI (in CI a missing tool is a failure: .ci/run installs
// it with `npm ci --prefix tools/iamsim`).
func diffStartIAMSim(t testing.TB) *differential.Simulator {
	t.Helper()
	dir := filepath.Join("..", "..", "tools", "iamsim")
	if err := differential.Installed(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	sim, err := differential.Start(dir, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return sim
}

func diffEnvInt(t *testing.T, name string, def int64) int64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a non-negative integer", name, v)
	}
	return n
}

func TestDifferential(t *testing.T) {
	sim := diffStartIAMSim(t)
	n := int(diffEnvInt(t, "IAMDIAG_DIFF_CASES", defaultDiffCases))
	seed := uint64(diffEnvInt(t, "IAMDIAG_DIFF_SEED", defaultDiffSeed))
	save := os.Getenv("IAMDIAG_DIFF_SAVE")
	t.Logf("differential: %d cases, IAMDIAG_DIFF_SEED=%d", n, seed)

	start := time.Now()
	var compared, agreed, skipped, unexplained int
	classes := map[string]int{}
	signatures := map[string]int{}
	// shapes counts outcomes per shape of case ("shape: agreed" …);
	// exceptions counts, per rule of AWS that decides a request whatever
	// the policies say, iamdiag's final decision against iam-simulate's.
	shapes := map[string]int{}
	exceptions := map[string]int{}
	for lo := 0; lo < n; lo += diffBatch {
		hi := min(lo+diffBatch, n)
		cases := make([]*differential.Case, 0, hi-lo)
		for i := lo; i < hi; i++ {
			cases = append(cases, differential.Generate(seed, i))
		}
		outs, err := sim.Run(cases)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			o, err := differential.Compare(c, outs[i])
			if err != nil {
				t.Fatalf("case %s: %v", c.ID, err)
			}
			switch {
			case o.Skip != "":
				skipped++
				shapes[differential.Shape(c)+": not compared"]++
				if skipped <= 5 {
					t.Logf("case %s not compared: %s", c.ID, o.Skip)
				}
				continue
			case o.Agree:
				agreed++
				shapes[differential.Shape(c)+": agreed"]++
			case o.Class != "":
				classes[o.Class]++
				shapes[differential.Shape(c)+": "+o.Class]++
			default:
				unexplained++
				shapes[differential.Shape(c)+": unexplained"]++
				sig := fmt.Sprintf("ours %s %v / iam-simulate %s %v", o.Ours.Decision, o.Ours.Blockers, o.Theirs.Decision, o.Theirs.Blockers)
				signatures[sig]++
				if signatures[sig] <= 2 {
					b, _ := json.MarshalIndent(c, "", "  ")
					t.Errorf("case %s disagrees: %s\n%s%s", c.ID, sig, o.Detail, b)
				}
				if save != "" {
					if o.Ours.Decision != o.Theirs.Decision {
						if c, err = differential.Minimize(sim, c, o); err != nil {
							t.Fatal(err)
						}
						outs2, err := sim.Run([]*differential.Case{c})
						if err != nil {
							t.Fatal(err)
						}
						o, _ = differential.Compare(c, outs2[0])
					}
					if err := differential.Save(save, c, o); err != nil {
						t.Fatal(err)
					}
				}
			}
			if o.Exception != "" {
				theirs := "no per-layer analysis"
				if o.Theirs.Decision != 0 {
					theirs = "its layers " + o.Theirs.Decision.String()
				}
				exceptions[fmt.Sprintf("%s %s: iamdiag %s (policies %s), iam-simulate %s (%s)", differential.Shape(c), o.Exception, o.Final[0], o.Ours.Decision, o.Final[1], theirs)]++
			}
			compared++
		}
	}
	accepted := 0
	for _, k := range classes {
		accepted += k
	}
	t.Logf("differential: %d generated, %d compared, %d agreed, %d accepted by %d classes %v, %d unexplained, %d not compared; %s",
		n, compared, agreed, accepted, len(classes), classes, unexplained, skipped, time.Since(start).Round(time.Millisecond))
	for sig, k := range signatures {
		t.Logf("%5d × %s", k, sig)
	}
	for _, m := range []map[string]int{shapes, exceptions} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			t.Logf("%5d × %s", m[k], k)
		}
	}
	// Cases iam-simulate refuses are generator bugs: keep them rare.
	if skipped*100 > n {
		t.Errorf("%d of %d cases could not be compared: fix the generator", skipped, n)
	}
}

// TestDifferentialRegressions replays past disagreements, kept as corpus
// case files in testdata/differential: iamdiag must give the verdict AWS's
// documentation gives (the case's expect), and when iam-simulate still
// disagrees, the disagreement must fall in the class recorded for it
// (differential.class).
func TestDifferentialRegressions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(diffRegressionDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no regression cases in testdata/differential")
	}
	var regs []*differential.Case
	for _, f := range files {
		c, err := differential.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		if c.Expect.Decision == "" || c.Expect.Blockers == nil {
			t.Fatalf("%s: want expect.decision and expect.blockers", f)
		}
		if class := diffRecordedClass(c); class != "" && !differential.KnownClass(class) {
			t.Fatalf("%s: unknown class %q", f, class)
		}
		regs = append(regs, c)
	}
	for _, c := range regs {
		t.Run(c.ID, func(t *testing.T) {
			l, err := c.PolicyLayers()
			if err != nil {
				t.Fatal(err)
			}
			got := differential.Ours(simulate.Evaluate(c.PolicyRequest(), l, simulate.Options{}))
			if diff := cmp.Diff(differential.Expected(c), got); diff != "" {
				t.Errorf("iamdiag verdict (-want AWS +got):\n%s", diff)
			}
		})
	}
	// The iam-simulate side needs Node; the iamdiag side above does not.
	sim := diffStartIAMSim(t)
	outs, err := sim.Run(regs)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range regs {
		o, err := differential.Compare(c, outs[i])
		if err != nil {
			t.Fatal(err)
		}
		class := diffRecordedClass(c)
		switch {
		case o.Skip != "":
			t.Errorf("%s: not compared: %s", c.ID, o.Skip)
		case o.Agree:
			t.Logf("%s: iam-simulate now agrees (class %q no longer needed for it)", c.ID, class)
		case o.Class != class:
			t.Errorf("%s: disagreement classified %q, recorded as %q (ours %v, iam-simulate %v)", c.ID, o.Class, class, o.Ours, o.Theirs)
		}
	}
}

// diffRecordedClass is the class a kept case records, "" for none.
func diffRecordedClass(c *differential.Case) string {
	if c.Differential == nil {
		return ""
	}
	return c.Differential.Class
}
