package differential

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/simulate"
	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

// TestGeneratorDeterministic checks that a seed reproduces its cases, which
// the logged IAMDIAG_DIFF_SEED relies on.
func TestGeneratorDeterministic(t *testing.T) {
	for i := range 50 {
		a, _ := json.Marshal(Generate(7, i))
		b, _ := json.Marshal(Generate(7, i))
		if string(a) != string(b) {
			t.Fatalf("case %d differs between two runs of the same seed", i)
		}
		if _, _, err := Generate(7, i).inputs(); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
	}
}

// TestSaveLoad checks that a generated case survives being kept as a
// corpus case file: Load gives back the case, with iamdiag's verdict as
// its expectation.
func TestSaveLoad(t *testing.T) {
	// Policy documents compare as JSON, not as text: a case file indents
	// them.
	compactJSON := cmp.Transformer("compact", func(m json.RawMessage) string {
		var b bytes.Buffer
		if err := json.Compact(&b, m); err != nil {
			return "invalid JSON: " + string(m)
		}
		return b.String()
	})
	dir := t.TempDir()
	for i := range 50 {
		c := Generate(11, i)
		req, l, err := c.inputs()
		if err != nil {
			t.Fatal(err)
		}
		res := simulate.Evaluate(req, l, simulate.Options{})
		if err := Save(dir, c, Outcome{Result: res}); err != nil {
			t.Fatal(err)
		}
		got, err := Load(filepath.Join(dir, c.ID+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(Ours(res), Expected(got)); diff != "" {
			t.Errorf("case %s: expected verdict (-iamdiag +saved):\n%s", c.ID, diff)
		}
		got.Expect = corpus.Expect{}
		if diff := cmp.Diff(c, got, compactJSON); diff != "" {
			t.Errorf("case %s (-generated +loaded):\n%s", c.ID, diff)
		}
	}
}

func TestSimulation(t *testing.T) {
	// Find a generated case with RCPs: iamdiag reads RCPFullAWSAccess from
	// the case, iam-simulate adds it itself and must not get it twice.
	var c *Case
	for i := 0; c == nil; i++ {
		if g := Generate(3, i); len(g.RCP) > 0 {
			c = g
		}
	}
	for _, lv := range c.RCP {
		if len(lv.Policies) == 0 || !isRCPFullAWSAccess(lv.Policies[0]) {
			t.Fatalf("case %s: RCP level %s does not start with RCPFullAWSAccess", c.ID, lv.Target)
		}
	}
	sim, err := c.simulation()
	if err != nil {
		t.Fatal(err)
	}
	for _, lv := range sim["resourceControlPolicies"].([]map[string]any) {
		for _, p := range lv["policies"].([]map[string]any) {
			if p["name"] == "RCPFullAWSAccess" {
				t.Errorf("case %s: RCPFullAWSAccess sent to iam-simulate", c.ID)
			}
		}
	}

	tests := []struct {
		name   string
		change func(*Case)
	}{
		{"unreadable layer", func(c *Case) { c.SCPUnreadable = "AccessDeniedException" }},
		{"unknown session policies", func(c *Case) { f := false; c.SessionKnown = &f }},
		{"two session policies", func(c *Case) { c.Session = make([]corpus.Policy, 2) }},
		{"unreadable VPC endpoint policy", func(c *Case) { c.VPCEndpointUnreadable = "NotCaptured" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := *c
			tc.change(&d)
			if _, err := d.simulation(); err == nil {
				t.Error("simulation accepted a case iam-simulate cannot express")
			}
		})
	}
}

// TestShapes checks that every generated case has the shape it was built
// for, and that each of the newer shapes gets a fair share of the stream.
func TestShapes(t *testing.T) {
	const n = 2000
	got := map[string]int{}
	for i := range n {
		c := Generate(5, i)
		want := pickShape(5, i)
		if s := Shape(c); s != want {
			t.Fatalf("case %d: Shape = %q, built as %q", i, s, want)
		}
		got[want]++
	}
	for _, s := range []string{ShapeAWSManagedPolicy, ShapeNoPermissionNeeded, ShapeNotPrincipalAllow, ShapeRoleARNPrincipal} {
		t.Run(s, func(t *testing.T) {
			if got[s] < n*4/100 || got[s] > n*8/100 {
				t.Errorf("%d of %d cases, want about 6%%", got[s], n)
			}
		})
	}
	if got[ShapeClassic] < n*70/100 {
		t.Errorf("%d of %d classic cases, want about 76%%", got[ShapeClassic], n)
	}
}

// TestEndpointPolicies checks that requests through a VPC endpoint get the
// endpoint's policy in about half the cases, that no other request gets
// one, and that iam-simulate receives it.
func TestEndpointPolicies(t *testing.T) {
	const n = 2000
	through, with := 0, 0
	for i := range n {
		c := Generate(9, i)
		_, ok := c.Request.Context["aws:SourceVpce"]
		if ok {
			through++
		}
		if c.VPCEndpointPolicy == nil {
			continue
		}
		with++
		if !ok {
			t.Fatalf("case %s: an endpoint policy without aws:SourceVpce", c.ID)
		}
		sim, err := c.simulation()
		if err != nil {
			if errors.Is(err, ErrUnsupported) {
				continue
			}
			t.Fatal(err)
		}
		if got := len(sim["vpcEndpointPolicies"].([]map[string]any)); got != 1 {
			t.Fatalf("case %s: %d endpoint policies sent to iam-simulate, want 1", c.ID, got)
		}
	}
	if with < through*35/100 || with > through*65/100 {
		t.Errorf("%d of %d requests through an endpoint have its policy, want about half", with, through)
	}
}
