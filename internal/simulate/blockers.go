package simulate

import (
	"github.com/iamdiag/iamdiag/internal/policy"
)

// blockers lists every blocker of a denied request: the explicit denies of
// the layers that take part, then the implicit denies, each group in AWS's
// evaluation order. An allowed or inconclusive request has none.
func (ev *evaluator) blockers(f *facts, o outcome) []Blocker {
	if o.decision != ExplicitDeny && o.decision != ImplicitDeny {
		return nil
	}
	r := ev.res
	// Count the blockers first (one per implicitly denying layer, which
	// an SCP or RCP layer may exceed), so that out is allocated once.
	n := 0
	for _, layer := range evalOrder {
		if o.implicit&layerBit(layer) != 0 {
			n++
		}
		if f.state(layer) != stDeny {
			continue
		}
		lr := r.layer(layer)
		for _, lv := range lr.Levels {
			n += countDenies(lv.Policies)
		}
		n += countDenies(lr.Policies)
	}
	var out []Blocker
	if n > 0 {
		out = make([]Blocker, 0, n)
	}
	for _, layer := range evalOrder {
		if f.state(layer) != stDeny {
			continue
		}
		lr := r.layer(layer)
		if len(lr.Levels) > 0 {
			for _, lv := range lr.Levels {
				out = appendDenies(out, layer, lv.Policies, lv.Target)
			}
			continue
		}
		out = appendDenies(out, layer, lr.Policies, "")
	}
	for _, layer := range evalOrder {
		if o.implicit&layerBit(layer) == 0 {
			continue
		}
		lr := r.layer(layer)
		if layer == policy.LayerSCP || layer == policy.LayerRCP {
			for _, lv := range lr.Levels {
				if lv.Decision == LayerAllow || levelAllows(lv.Policies) || (layer == policy.LayerRCP) {
					continue
				}
				b := nearest(layer, lv.Policies)
				b.Target = lv.Target
				out = append(out, b)
			}
			continue
		}
		out = append(out, nearest(layer, lr.Policies))
	}
	return out
}

// levelAllows reports whether an Allow statement applies at a level,
// whatever its denies.
func levelAllows(pols []PolicyResult) bool {
	for _, pr := range pols {
		if pr.Evaluation != nil && allowApplies(pr.Evaluation) {
			return true
		}
	}
	return false
}

// countDenies counts the Deny statements that apply in pols: the blockers
// appendDenies appends.
func countDenies(pols []PolicyResult) int {
	n := 0
	for _, pr := range pols {
		if pr.Evaluation == nil || pr.Evaluation.Decision != policy.Denied {
			continue
		}
		for i := range pr.Evaluation.Statements {
			if t := &pr.Evaluation.Statements[i]; t.Applies && t.Statement != nil && t.Statement.Effect == policy.Deny {
				n++
			}
		}
	}
	return n
}

// appendDenies appends a blocker for every Deny statement that applies in
// pols.
func appendDenies(out []Blocker, layer policy.Layer, pols []PolicyResult, target string) []Blocker {
	for _, pr := range pols {
		if pr.Evaluation == nil || pr.Evaluation.Decision != policy.Denied {
			continue
		}
		for i := range pr.Evaluation.Statements {
			t := &pr.Evaluation.Statements[i]
			if !t.Applies || t.Statement == nil || t.Statement.Effect != policy.Deny {
				continue
			}
			b := Blocker{
				Layer:      layer,
				Kind:       BlockerExplicitDeny,
				Policy:     policyID(pr.Source),
				PolicyName: pr.Source.Name,
				Statement:  t.Statement.ID(),
				Target:     pr.Source.Target,
				Conditions: matched(t.Conditions, true),
			}
			if b.Target == "" {
				b.Target = target
			}
			out = append(out, b)
		}
	}
	return out
}

// nearest builds the implicit-deny blocker of a layer. It names a policy
// and statement only when they are clearly the nearest to allowing: Allow
// statements that matched the action, resource and principal but whose
// conditions failed, all in one policy (and one statement, to name it).
// The failed conditions of all such statements are kept.
func nearest(layer policy.Layer, pols []PolicyResult) Blocker {
	b := Blocker{Layer: layer, Kind: BlockerImplicitDeny}
	var src *policy.Source
	stmt, count, policies := "", 0, 0
	for _, pr := range pols {
		if pr.Evaluation == nil {
			continue
		}
		found := false
		for i := range pr.Evaluation.Statements {
			t := &pr.Evaluation.Statements[i]
			if t.Statement == nil || t.Statement.Effect != policy.Allow ||
				!t.ActionMatched || !t.ResourceMatched || !t.PrincipalMatched || t.ConditionsMatched {
				continue
			}
			found = true
			count++
			stmt = t.Statement.ID()
			b.Conditions = append(b.Conditions, matched(t.Conditions, false)...)
		}
		if found {
			policies++
			src = pr.Source
		}
	}
	switch {
	case policies == 1:
		b.Policy, b.PolicyName = policyID(src), src.Name
		if count == 1 {
			b.Statement = stmt
		}
	case policies == 0 && len(pols) == 1 && (layer == policy.LayerBoundary || layer == policy.LayerResource || layer == policy.LayerVPCEndpoint):
		// A layer of one policy (the boundary, the resource-based
		// policy, the VPC endpoint policy): that policy is where an
		// Allow is missing.
		b.Policy, b.PolicyName = policyID(pols[0].Source), pols[0].Source.Name
	}
	return b
}

// matched returns the conditions whose Matched equals want.
func matched(cs []policy.ConditionTrace, want bool) []policy.ConditionTrace {
	n := 0
	for i := range cs {
		if cs[i].Matched == want {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]policy.ConditionTrace, 0, n)
	for _, c := range cs {
		if c.Matched == want {
			out = append(out, c)
		}
	}
	return out
}

// missingKeys lists the condition keys tested by statements that matched
// the action, resource and principal, in the layers that take part, but
// absent from the request context.
func missingKeys(r *Result) []MissingKey {
	var out []MissingKey
	seen := map[[3]string]bool{}
	add := func(pols []PolicyResult) {
		for _, pr := range pols {
			if pr.Evaluation == nil {
				continue
			}
			for i := range pr.Evaluation.Statements {
				t := &pr.Evaluation.Statements[i]
				if t.Statement == nil || !t.ActionMatched || !t.ResourceMatched || !t.PrincipalMatched {
					continue
				}
				for _, c := range t.Conditions {
					if c.KeyPresent || c.Key == "" {
						continue
					}
					id := [3]string{c.Key, policyID(pr.Source), t.Statement.ID()}
					if seen[id] {
						continue
					}
					seen[id] = true
					out = append(out, MissingKey{
						Key: c.Key, Policy: id[1], Statement: id[2],
						Message: c.Key + " was not in the request: give the context key " + c.Key + " with its value, or the encoded authorization message, which carries the request context",
					})
				}
			}
		}
	}
	for i := range r.Layers {
		lr := &r.Layers[i]
		switch lr.Decision {
		case LayerExempt, LayerNotApplicable, LayerUnknown:
			if lr.Layer != policy.LayerResource {
				continue
			}
			// A resource policy that does not apply within one account
			// is still read: its conditions may be why.
		}
		for _, lv := range lr.Levels {
			add(lv.Policies)
		}
		add(lr.Policies)
	}
	return out
}
