package simulate

import (
	"strconv"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// Undecided is a statement whose match the request cannot decide: its
// action and principal match, but whether it applies depends on something
// the input did not say or that iamdiag cannot evaluate as AWS would.
type Undecided struct {
	Layer     policy.Layer
	Policy    string
	Statement string
	Effect    policy.Effect
	// Reason is UndecidedResource or UndecidedOperator.
	Reason string
	// Detail names what is missing: the statement's resources, or the
	// unknown operator.
	Detail string
}

// The reasons a statement is undecided.
const (
	// UndecidedResource: the input named no resource and the statement
	// names specific resources (or uses NotResource).
	UndecidedResource = "resource"
	// UndecidedOperator: a condition uses an operator AWS does not define;
	// AWS would have rejected the document when it was written
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html),
	// so what it decides in the account is unknown.
	UndecidedOperator = "operator"
)

// scenarios are a layer's (or level's) combined policy decisions with its
// undecided statements taken as not applying (none), only the undecided
// Allow statements applying (allows), and every one applying (all).
type scenarios struct {
	none, allows, all policy.Decision
}

// undecidedIn returns the scenarios of pols and appends their undecided
// statements to out.
func undecidedIn(req *policy.Request, layer policy.Layer, pols []PolicyResult, out []Undecided) (scenarios, []Undecided) {
	sc := scenarios{policy.NotApplicable, policy.NotApplicable, policy.NotApplicable}
	for i := range pols {
		pe := pols[i].Evaluation
		if pe == nil {
			continue
		}
		for j := range pe.Statements {
			t := &pe.Statements[j]
			st := t.Statement
			if st == nil {
				continue
			}
			reason, detail := undecided(req, t)
			switch {
			case reason == "" && t.Applies:
				sc.none = join(sc.none, st.Effect)
				sc.allows = join(sc.allows, st.Effect)
				sc.all = join(sc.all, st.Effect)
			case reason != "":
				if st.Effect == policy.Allow {
					sc.allows = join(sc.allows, st.Effect)
				}
				sc.all = join(sc.all, st.Effect)
				stmt := st.Sid
				if stmt == "" {
					stmt = "#" + strconv.Itoa(max(st.Index, j+1))
				}
				out = append(out, Undecided{Layer: layer, Policy: policyID(pols[i].Source), Statement: stmt,
					Effect: st.Effect, Reason: reason, Detail: detail})
			}
		}
	}
	return sc, out
}

// join adds an applying statement's effect to a policy decision.
func join(d policy.Decision, e policy.Effect) policy.Decision {
	switch {
	case e == policy.Deny:
		return policy.Denied
	case e == policy.Allow && d == policy.NotApplicable:
		return policy.Allowed
	}
	return d
}

// undecided says why a statement's match cannot be decided, or "" when it
// can.
func undecided(req *policy.Request, t *policy.StatementTrace) (reason, detail string) {
	st := t.Statement
	if !t.ActionMatched || !t.PrincipalMatched {
		return "", ""
	}
	resUnknown := req.ResourceUnknown && !namesEveryResource(st)
	if !t.ResourceMatched && !resUnknown {
		return "", ""
	}
	op := st.UnknownOperator()
	if op == "" {
		if !t.ConditionsMatched {
			return "", ""
		}
	} else {
		// The other conditions must not fail for the statement to be
		// in question.
		for _, ct := range t.Conditions {
			if ct.Operator != op && !ct.Matched {
				return "", ""
			}
		}
	}
	switch {
	case op != "":
		return UndecidedOperator, op
	case resUnknown:
		rs := st.Resource
		if st.NotResource != nil {
			return UndecidedResource, "NotResource " + list(st.NotResource)
		}
		return UndecidedResource, list(rs)
	}
	return "", ""
}

// namesEveryResource reports whether st matches any resource: a Resource
// holding "*", or neither Resource nor NotResource (a trust policy).
func namesEveryResource(st *policy.Statement) bool {
	if st.NotResource != nil {
		return false
	}
	if st.Resource == nil {
		return true
	}
	for _, r := range st.Resource {
		if r == "*" {
			return true
		}
	}
	return false
}

func list(vals []string) string {
	s := ""
	for i, v := range vals {
		if i > 0 {
			s += ", "
		}
		s += v
	}
	return s
}

// settle returns the state of a layer with undecided statements: the
// state computed as though none applied, unless the scenarios reach
// different states and at least one of them lets the request through, in
// which case the layer is unknown.
func settle(cur state, sc scenarios, post func(policy.Decision) state) state {
	a, b, c := post(sc.none), post(sc.allows), post(sc.all)
	if a == b && b == c {
		return cur
	}
	if !ok(a) && !ok(b) && !ok(c) {
		// Denied whatever the statements decide.
		return cur
	}
	return stUnknown
}

// undecidedNote says why a layer is unknown because of undecided
// statements.
func undecidedNote(us []Undecided) string {
	u := us[0]
	where := "statement " + u.Statement + " of " + u.Policy
	switch u.Reason {
	case UndecidedOperator:
		return "cannot be decided: " + where + " (" + string(u.Effect) + ") uses the condition operator " +
			strconv.Quote(u.Detail) + ", which AWS does not define"
	}
	return "cannot be decided: " + where + " (" + string(u.Effect) + ") applies only to " + u.Detail +
		", and the input names no resource (give the resource's ARN)"
}

// undecidableInput reports whether Decide must defer to Evaluate: the
// resource is unknown, or a policy uses an unknown operator.
func undecidableInput(req *policy.Request, l *policy.Layers) bool {
	if req.ResourceUnknown {
		return true
	}
	doc := func(d *policy.Document) bool {
		if d == nil {
			return false
		}
		for i := range d.Statements {
			if d.Statements[i].UnknownOperator() != "" {
				return true
			}
		}
		return false
	}
	for _, levels := range [...][]policy.OrgLevel{l.SCP, l.RCP} {
		for i := range levels {
			for j := range levels[i].Policies {
				if doc(levels[i].Policies[j].Document) {
					return true
				}
			}
		}
	}
	for _, srcs := range [...][]policy.Source{l.Identity, l.Session} {
		for i := range srcs {
			if doc(srcs[i].Document) {
				return true
			}
		}
	}
	return (l.Boundary != nil && doc(l.Boundary.Document)) || (l.Resource != nil && doc(l.Resource.Document)) ||
		(l.VPCEndpoint != nil && doc(l.VPCEndpoint.Document))
}

// settleUndecided finds the statements of r's layers that the request
// cannot decide and makes unknown every layer whose verdict they could
// change (see settle), in f and fi alike.
func settleUndecided(r *Result, e *env, f, fi *facts) {
	req := r.Request
	for i := range r.Layers {
		lr := &r.Layers[i]
		st := f.state(lr.Layer)
		if st == stNA || st == stExempt || st == stUnknown {
			continue
		}
		var us []Undecided
		var got state
		if len(lr.Levels) > 0 {
			rcp := lr.Layer == policy.LayerRCP
			var per [3]state
			for k := range per {
				per[k] = stAllow
			}
			for j := range lr.Levels {
				var sc scenarios
				sc, us = undecidedIn(req, lr.Layer, lr.Levels[j].Policies, us)
				for k, d := range [3]policy.Decision{sc.none, sc.allows, sc.all} {
					per[k] = orgState(per[k], levelState(d == policy.Denied, d == policy.Allowed, rcp))
				}
			}
			if len(us) == 0 {
				continue
			}
			got = st
			if (per[0] != per[1] || per[1] != per[2]) && (ok(per[0]) || ok(per[1]) || ok(per[2])) {
				got = stUnknown
			}
		} else {
			var sc scenarios
			sc, us = undecidedIn(req, lr.Layer, lr.Policies, nil)
			if len(us) == 0 {
				continue
			}
			got = settle(st, sc, postOf(lr.Layer, e))
		}
		r.Undecided = append(r.Undecided, us...)
		if fi.state(lr.Layer) == stImplicit && undecidedAllow(us) {
			// Without its explicit denies the layer might allow: it is
			// not an implicit blocker a fix must clear.
			setState(fi, lr.Layer, stUnknown)
		}
		if got != stUnknown {
			continue
		}
		lr.Decision = LayerUnknown
		lr.Note = undecidedNote(us)
		setState(f, lr.Layer, stUnknown)
		setState(fi, lr.Layer, stUnknown)
	}
}

// postOf returns how a layer's combined policy decision becomes its state.
func postOf(layer policy.Layer, e *env) func(policy.Decision) state {
	return func(d policy.Decision) state {
		var s state
		switch layer {
		case policy.LayerResource:
			s, _ = resourceState(e, d)
		case policy.LayerIdentity:
			s, _ = identityState(e, d)
		case policy.LayerBoundary:
			s, _ = boundaryState(d)
		case policy.LayerVPCEndpoint:
			s, _ = vpceState(d)
		default:
			s, _ = sessionState(d)
		}
		return s
	}
}

// setState sets the state of layer in f.
func setState(f *facts, layer policy.Layer, s state) {
	switch layer {
	case policy.LayerSCP:
		f.scp = s
	case policy.LayerRCP:
		f.rcp = s
	case policy.LayerResource:
		f.resource = s
	case policy.LayerIdentity:
		f.identity = s
	case policy.LayerBoundary:
		f.boundary = s
	case policy.LayerSession:
		f.session = s
	case policy.LayerVPCEndpoint:
		f.vpce = s
	}
}

// undecidedAllow reports whether us holds an Allow statement.
func undecidedAllow(us []Undecided) bool {
	for i := range us {
		if us[i].Effect == policy.Allow {
			return true
		}
	}
	return false
}
