package fix

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/iamdiag/iamdiag/internal/catalog"
	"github.com/iamdiag/iamdiag/internal/lint"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// TestFixDocumentsLint: every fix document of every example and corpus case
// passes `iamdiag lint` for its policy type without an error, and every ARN
// in its statements is well formed for its service (one of the service's
// ARN templates fits it, wildcards aside).
func TestFixDocumentsLint(t *testing.T) {
	kinds := map[policy.Layer]lint.Kind{
		policy.LayerIdentity: lint.Identity, policy.LayerBoundary: lint.Boundary, policy.LayerSCP: lint.SCP,
		policy.LayerRCP: lint.RCP, policy.LayerResource: lint.Resource, policy.LayerSession: lint.Identity,
		// A VPC endpoint policy has a resource-based policy's grammar
		// (Principal, Action, Resource, Condition).
		policy.LayerVPCEndpoint: lint.Resource,
	}
	linted := 0
	for _, c := range append(exampleCases(t), corpusCases(t)...) {
		res := simulate.Evaluate(c.req, c.l, c.sim)
		if res.Decision != simulate.ExplicitDeny && res.Decision != simulate.ImplicitDeny {
			continue
		}
		for _, fx := range Suggest(res, c.opt) {
			if fx.Document == nil || string(fx.Document) == "null" {
				continue
			}
			kind, ok := kinds[fx.Layer]
			if !ok {
				t.Errorf("%s: fix for layer %s: no lint kind", c.name, fx.Layer)
				continue
			}
			linted++
			// An error the current document already has is not the
			// fix's: a corpus case may grant "*" on purpose.
			before := map[string]bool{}
			if src := findSource(c.l, fx.Policy, fx.Layer); src != nil {
				if old, err := json.Marshal(src.Document); err == nil {
					for _, f := range lint.Lint(old, lint.Options{Kind: kind}) {
						before[f.Rule+" "+f.Message] = true
					}
				}
			}
			for _, f := range lint.Lint(fx.Document, lint.Options{File: c.name, Kind: kind}) {
				if f.Severity == lint.Error && !before[f.Rule+" "+f.Message] {
					t.Errorf("%s: fix for %s %q: lint error %s %s\n%s", c.name, fx.Layer, fx.Policy, f.Rule, f.Message, fx.Document)
				}
			}
			for _, st := range fx.doc.Statements {
				for _, r := range append(append([]string(nil), st.Resource...), st.NotResource...) {
					if msg := arnProblem(r); msg != "" {
						t.Errorf("%s: fix for %s %q: resource %q: %s", c.name, fx.Layer, fx.Policy, r, msg)
					}
				}
			}
		}
	}
	if linted < 100 {
		t.Errorf("only %d fix documents were linted", linted)
	}
}

// findSource returns the policy a fix changes, nil for a new one.
func findSource(l *policy.Layers, name string, layer policy.Layer) *policy.Source {
	if name == "" {
		return nil
	}
	var all []*policy.Source
	for i := range l.Identity {
		all = append(all, &l.Identity[i])
	}
	for i := range l.Session {
		all = append(all, &l.Session[i])
	}
	all = append(all, l.Boundary, l.Resource, l.VPCEndpoint)
	for _, lv := range append(append([]policy.OrgLevel(nil), l.SCP...), l.RCP...) {
		for i := range lv.Policies {
			all = append(all, &lv.Policies[i])
		}
	}
	for _, s := range all {
		if s != nil && s.Layer == layer && (s.ARN == name || s.Origin == name || s.Name == name) {
			return s
		}
	}
	return nil
}

// arnProblem says what is wrong with a policy's resource ARN, "" when it is
// "*", a marked placeholder or an ARN whose service knows its form.
func arnProblem(r string) string {
	if r == "*" {
		return ""
	}
	a, ok := policy.ParseARN(r)
	if !ok {
		return "not an ARN"
	}
	if a.Partition == "" || a.Service == "" {
		return "no partition or service"
	}
	if _, known := catalog.LookupService(a.Service); !known {
		return ""
	}
	if strings.ContainsAny(r, "*?$") {
		// A pattern or a policy variable: fits the templates only in part.
		return ""
	}
	if _, ok := catalog.ResourceTypeForARN(a.Service, r); !ok {
		return "fits none of the service's ARN templates"
	}
	return ""
}
