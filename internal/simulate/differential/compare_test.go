package differential

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

func TestVerdict(t *testing.T) {
	tests := []struct {
		name     string
		decision simulate.Decision
		blockers []blocker
		want     []string
	}{
		{name: "allowed", decision: simulate.Allowed, want: []string{}},
		{name: "identity and resource implicit are the core", decision: simulate.ImplicitDeny,
			blockers: []blocker{{policy.LayerResource, "implicit-deny"}, {policy.LayerIdentity, "implicit-deny"}},
			want:     []string{"core/implicit"}},
		{name: "an explicit deny hides its layer's implicit deny", decision: simulate.ExplicitDeny,
			blockers: []blocker{{policy.LayerSCP, "explicit-deny"}, {policy.LayerSCP, "implicit-deny"}, {policy.LayerBoundary, "implicit-deny"}},
			want:     []string{"permissions-boundary/implicit", "scp/explicit"}},
		{name: "explicit resource deny and the core", decision: simulate.ExplicitDeny,
			blockers: []blocker{{policy.LayerResource, "explicit-deny"}, {policy.LayerResource, "implicit-deny"}},
			want:     []string{"core/implicit", "resource-policy/explicit"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := verdict(tc.decision, tc.blockers)
			if diff := cmp.Diff(Verdict{Decision: tc.decision, Blockers: tc.want}, got); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
			c := &Case{}
			c.Expect.Decision = tc.decision.String()
			for _, b := range tc.blockers {
				c.Expect.Blockers = append(c.Expect.Blockers, corpus.Blocker{Layer: string(b.Layer), Kind: b.Kind})
			}
			if diff := cmp.Diff(got, Expected(c)); diff != "" {
				t.Errorf("Expected differs from verdict (-verdict +Expected):\n%s", diff)
			}
		})
	}
}

func TestKnownClass(t *testing.T) {
	for _, k := range Classes() {
		if !KnownClass(k.Name) || k.Doc == "" {
			t.Errorf("class %q: known %v, doc %q", k.Name, KnownClass(k.Name), k.Doc)
		}
	}
	two := Classes()[0].Name + "+" + Classes()[2].Name
	if !KnownClass(two) {
		t.Errorf("KnownClass(%q) = false", two)
	}
	if KnownClass("no-such-class") || KnownClass(Classes()[0].Name+"+no-such-class") {
		t.Error("KnownClass accepted an unknown class")
	}
}
