package simulate

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

// The corpus: one JSON file per evaluation case under testdata/corpus, each
// with the AWS documentation page that establishes its expected answer. The
// format is described in testdata/corpus/README.md; the files are written by
// package corpus/cases (go generate ./internal/simulate/corpus/cases).

// corpusDir holds the case files.
const corpusDir = "testdata/corpus"

// corpusMinCases guards against the corpus being lost or emptied by mistake.
const corpusMinCases = 200

// blockerView is what the comparison looks at: a Blocker reduced to the
// fields an expected blocker specifies.
type blockerView struct {
	Layer                     string
	Kind                      BlockerKind
	Policy, Statement, Target string
	Conditions                []string
}

var (
	corpusLayers = []string{
		string(policy.LayerSCP), string(policy.LayerRCP), string(policy.LayerResource),
		string(policy.LayerIdentity), string(policy.LayerBoundary), string(policy.LayerSession),
		string(policy.LayerVPCEndpoint),
	}
)

func TestCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < corpusMinCases {
		t.Fatalf("corpus has %d cases, want at least %d", len(files), corpusMinCases)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			c, err := loadCorpusCase(file)
			if err != nil {
				t.Fatal(err)
			}
			req, layers, opt, err := buildCase(c)
			if err != nil {
				t.Fatal(err)
			}
			res := Evaluate(req, layers, opt)
			checkCase(t, c, res)
			if d := Decide(req, layers, opt); d != res.Decision {
				t.Errorf("Decide = %s, Evaluate = %s", d, res.Decision)
			}
			if t.Failed() {
				t.Logf("case: %s\ndoc: %s", c.Description, strings.Join(c.Doc, " "))
			}
		})
	}
}

// loadCorpusCase reads one case file strictly (unknown fields, trailing
// data and files over corpus.MaxFile are errors) and validates it:
// incomplete expectations are errors too.
func loadCorpusCase(file string) (*corpus.Case, error) {
	c, err := corpus.Load(file)
	if err != nil {
		return nil, err
	}
	if err := validateCase(c); err != nil {
		return nil, fmt.Errorf("validating %s: %w", file, err)
	}
	return c, nil
}

// validateCase checks what the corpus format leaves to this package: the
// citations, the request, and that the expectations name known decisions,
// layers and kinds.
func validateCase(c *corpus.Case) error {
	if strings.TrimSpace(c.Description) == "" {
		return errors.New("no description")
	}
	if len(c.Doc) == 0 {
		return errors.New("no doc: every case cites the AWS page that establishes it")
	}
	for _, d := range c.Doc {
		if !strings.HasPrefix(d, "https://docs.aws.amazon.com/") {
			return fmt.Errorf("doc %q is not a docs.aws.amazon.com page", d)
		}
	}
	if c.Request.Principal == "" || c.Request.Action == "" || c.Request.Resource == "" {
		return errors.New("request needs principal, action and resource")
	}
	var decision Decision
	if err := decision.UnmarshalText([]byte(c.Expect.Decision)); err != nil {
		return fmt.Errorf("expect.decision: %w", err)
	}
	if c.Expect.Blockers == nil {
		return errors.New("expect.blockers is required (an empty list for allowed)")
	}
	if decision == Allowed && len(c.Expect.Blockers) > 0 {
		return errors.New("an allowed case lists blockers")
	}
	for i, b := range c.Expect.Blockers {
		if !slices.Contains(corpusLayers, b.Layer) && b.Layer != string(policy.LayerS3PublicAccess) {
			return fmt.Errorf("blocker %d: layer %q is not one of %v", i, b.Layer, corpusLayers)
		}
		var kind BlockerKind
		if err := kind.UnmarshalText([]byte(b.Kind)); err != nil {
			return fmt.Errorf("blocker %d: %w", i, err)
		}
		if kind == BlockerExplicitDeny && (b.Policy == nil || b.Statement == nil) {
			return fmt.Errorf("blocker %d: an explicit deny names its policy and statement", i)
		}
		if (b.Layer == string(policy.LayerSCP) || b.Layer == string(policy.LayerRCP)) && b.Target == nil {
			return fmt.Errorf("blocker %d: an %s blocker names its target", i, b.Layer)
		}
	}
	for l, d := range c.Expect.Layers {
		if !slices.Contains(corpusLayers, l) {
			return fmt.Errorf("expect.layers: %q is not a layer", l)
		}
		var ld LayerDecision
		if err := ld.UnmarshalText([]byte(d)); err != nil {
			return fmt.Errorf("expect.layers[%s]: %w", l, err)
		}
	}
	if c.Now != "" {
		if _, err := time.Parse(time.RFC3339, c.Now); err != nil {
			return fmt.Errorf("parsing now: %w", err)
		}
	}
	return nil
}

// parseExpect reads the name s of an expected decision or kind into v; the
// test fails when it is unknown (validateCase has checked that it is not).
func parseExpect(t *testing.T, v interface{ UnmarshalText([]byte) error }, s string) {
	t.Helper()
	if err := v.UnmarshalText([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

// buildCase turns the case into the engine's inputs.
func buildCase(c *corpus.Case) (*policy.Request, *policy.Layers, Options, error) {
	l, err := c.PolicyLayers()
	if err != nil {
		return nil, nil, Options{}, err
	}
	now, err := c.Clock()
	if err != nil {
		return nil, nil, Options{}, err
	}
	return c.PolicyRequest(), l, Options{Now: now}, nil
}

// check compares the result with the case's expectations: ids, never
// wording.
func checkCase(t *testing.T, c *corpus.Case, res *Result) {
	t.Helper()
	e := &c.Expect
	var decision Decision
	parseExpect(t, &decision, e.Decision)
	if res.Decision != decision {
		t.Errorf("decision = %s, want %s", res.Decision, decision)
	}

	got := make([]blockerView, len(res.Blockers))
	want := make([]blockerView, len(e.Blockers))
	for i, b := range res.Blockers {
		got[i] = blockerView{Layer: string(b.Layer), Kind: b.Kind, Policy: b.Policy, Statement: b.Statement, Target: b.Target}
		for _, ct := range b.Conditions {
			got[i].Conditions = append(got[i].Conditions, ct.Key)
		}
	}
	for i, b := range e.Blockers {
		want[i] = blockerView{Layer: b.Layer}
		parseExpect(t, &want[i].Kind, b.Kind)
		if i >= len(got) {
			continue
		}
		// Keep only what the expectation specifies.
		g := blockerView{Layer: got[i].Layer, Kind: got[i].Kind}
		if b.Policy != nil {
			want[i].Policy, g.Policy = *b.Policy, got[i].Policy
		}
		if b.Statement != nil {
			want[i].Statement, g.Statement = *b.Statement, got[i].Statement
		}
		if b.Target != nil {
			want[i].Target, g.Target = *b.Target, got[i].Target
		}
		if b.Conditions != nil {
			want[i].Conditions, g.Conditions = lowerSorted(*b.Conditions), lowerSorted(got[i].Conditions)
		}
		got[i] = g
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("blockers (-want +got):\n%s", diff)
	}

	for layer, d := range e.Layers {
		i := slices.IndexFunc(res.Layers, func(lr LayerResult) bool { return string(lr.Layer) == layer })
		if i < 0 {
			t.Errorf("layer %s missing from the result", layer)
			continue
		}
		var wantD LayerDecision
		parseExpect(t, &wantD, d)
		if res.Layers[i].Decision != wantD {
			t.Errorf("layer %s decision = %s, want %s (note: %s)", layer, res.Layers[i].Decision, wantD, res.Layers[i].Note)
		}
	}
	if e.Suspects != nil {
		var gotS []string
		for _, l := range res.Suspects {
			gotS = append(gotS, string(l))
		}
		if diff := cmp.Diff(lowerSorted(*e.Suspects), lowerSorted(gotS)); diff != "" {
			t.Errorf("suspects (-want +got):\n%s", diff)
		}
	}
	for key, want := range e.Inferred {
		if res.Request == nil || !res.Request.Context.Inferred(key) {
			t.Errorf("context key %s was not inferred", key)
			continue
		}
		if len(want) == 0 {
			continue // presence only
		}
		got, _ := res.Request.Context.Get(key)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("inferred %s (-want +got):\n%s", key, diff)
		}
	}
	if e.Missing != nil {
		var gotM []string
		for _, m := range res.Missing {
			gotM = append(gotM, m.Key)
		}
		if diff := cmp.Diff(lowerSorted(*e.Missing), lowerSorted(gotM)); diff != "" {
			t.Errorf("missing keys (-want +got):\n%s", diff)
		}
	}
	if e.Warnings != nil && *e.Warnings != (len(res.Warnings) > 0) {
		t.Errorf("warnings = %q, want some: %v", res.Warnings, *e.Warnings)
	}
	if e.Exception != nil {
		got := ""
		if res.Exception != nil {
			got = res.Exception.Rule
		}
		if got != *e.Exception {
			t.Errorf("exception = %q, want %q", got, *e.Exception)
		}
	}
	if e.PolicyDecision != "" {
		if res.Exception == nil {
			t.Errorf("policy_decision %q expected, but no exception applies", e.PolicyDecision)
		} else if got := res.Exception.PolicyDecision.String(); got != e.PolicyDecision {
			t.Errorf("exception's policy decision = %s, want %s", got, e.PolicyDecision)
		}
	}
}

// lowerSorted returns the distinct values lower-cased and sorted (condition
// key names are case-insensitive), nil for none.
func lowerSorted(in []string) []string {
	var out []string
	for _, s := range in {
		out = append(out, strings.ToLower(s))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
