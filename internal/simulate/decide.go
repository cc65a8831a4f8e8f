package simulate

import "github.com/iamdiag/iamdiag/internal/policy"

// Decide returns the decision Evaluate would reach, Evaluate(req, l,
// opt).Decision, without traces: it calls policy.Decide, stops at the first
// explicit deny, and copies the request context only when a policy reads a
// key that must be inferred into it.
func Decide(req *policy.Request, l *policy.Layers, opt Options) Decision {
	if req == nil {
		req = &policy.Request{}
	}
	if l == nil {
		l = &policy.Layers{}
	}
	if undecidableInput(req, l) {
		// Statements the request cannot decide need the traces.
		return Evaluate(req, l, opt).Decision
	}
	e := newEnv(req, l)
	if rule := exceptionFor(&e, req.Action); rule != nil {
		return decideException(rule)
	}
	need := layersKeys(l)
	enrichPrincipal(&e, need)
	eff := policy.Request{Principal: e.p, Action: req.Action, Resource: req.Resource, Context: req.Context}
	// The policy engine answers the principal's keys from eff.Principal;
	// the other inferable keys must be in the context.
	if need &^= kPrincipal | kPrincipalOrgPaths; need != 0 && missingContext(req.Context, &e, req.Resource, opt, need) {
		eff.Context = req.Context.Clone()
		inferContext(eff.Context, &e, req.Resource, opt, need)
	}

	prep := policy.Prepare(&eff)
	f := facts{cross: e.cross, required: e.required, resourceOnly: e.resourceOnly}
	if f.scp = decideOrg(&prep, l.SCP, scpApplies(&e), policy.ServiceControl, false); f.scp == stDeny {
		return ExplicitDeny
	}
	if f.rcp = decideOrg(&prep, l.RCP, rcpApplies(&e), policy.ResourceControl, true); f.rcp == stDeny {
		return ExplicitDeny
	}
	if app := resourceApplies(&e); app.evaluate {
		d := prep.Decide(l.Resource.Document, policy.ResourceBased)
		if d != policy.Denied && l.Boundary != nil && len(boundaryNotPrincipalDenies(l.Resource.Document, &eff)) > 0 {
			d = policy.Denied
		}
		f.resource, _ = resourceState(&e, d)
		if f.resource == stAllow && !e.cross && !e.resourceOnly {
			f.grant = grantOf(policy.Evaluate(l.Resource.Document, &eff, policy.ResourceBased), &e.p)
		}
	} else {
		f.resource = app.st
	}
	if f.resource == stDeny {
		return ExplicitDeny
	}
	if app := identityApplies(&e); app.evaluate {
		f.identity, _ = identityState(&e, decideAll(&prep, l.Identity, nil))
	} else {
		f.identity = app.st
	}
	if f.identity == stDeny {
		return ExplicitDeny
	}
	if app := boundaryApplies(&e); app.evaluate {
		f.boundary, _ = boundaryState(decideAll(&prep, nil, l.Boundary))
	} else {
		f.boundary = app.st
	}
	if f.boundary == stDeny {
		return ExplicitDeny
	}
	if app := sessionApplies(&e); app.evaluate {
		f.session, _ = sessionState(decideAll(&prep, l.Session, nil))
	} else {
		f.session = app.st
	}
	if f.session == stDeny {
		return ExplicitDeny
	}
	if app := vpceApplies(&e); app.evaluate {
		f.vpce, _ = vpceState(prep.Decide(l.VPCEndpoint.Document, policy.ResourceBased))
	} else {
		f.vpce = app.st
	}
	d := combine(&f).decision
	if d == Allowed {
		switch publicAccess(&e) {
		case publicAccessUnknown:
			return Inconclusive
		case publicAccessDenies:
			return ExplicitDeny
		}
	}
	return d
}

// decideAll returns the combined decision of srcs (or of one): Denied as
// soon as one denies, else Allowed if any allows.
func decideAll(req *policy.Prepared, srcs []policy.Source, one *policy.Source) policy.Decision {
	if one != nil {
		if one.Document == nil {
			return policy.NotApplicable
		}
		return req.Decide(one.Document, policy.IdentityBased)
	}
	return decideKind(req, srcs, policy.IdentityBased)
}

func decideKind(req *policy.Prepared, srcs []policy.Source, kind policy.Kind) policy.Decision {
	d := policy.NotApplicable
	for i := range srcs {
		if srcs[i].Document == nil {
			continue
		}
		switch req.Decide(srcs[i].Document, kind) {
		case policy.Denied:
			return policy.Denied
		case policy.Allowed:
			d = policy.Allowed
		}
	}
	return d
}

// decideOrg decides SCPs or RCPs level by level.
func decideOrg(req *policy.Prepared, levels []policy.OrgLevel, app applicability, kind policy.Kind, rcp bool) state {
	if !app.evaluate {
		return app.st
	}
	st := stAllow
	for i := range levels {
		d := decideKind(req, levels[i].Policies, kind)
		st = orgState(st, levelState(d == policy.Denied, d == policy.Allowed, rcp))
		if st == stDeny {
			return stDeny
		}
	}
	return st
}

// layersKeys returns the inferable keys that the layers' policies read.
func layersKeys(l *policy.Layers) int {
	bits := 0
	for _, levels := range [...][]policy.OrgLevel{l.SCP, l.RCP} {
		for i := range levels {
			for j := range levels[i].Policies {
				bits |= docKeys(levels[i].Policies[j].Document)
			}
		}
	}
	for _, srcs := range [...][]policy.Source{l.Identity, l.Session} {
		for i := range srcs {
			bits |= docKeys(srcs[i].Document)
		}
	}
	if l.Boundary != nil {
		bits |= docKeys(l.Boundary.Document)
	}
	if l.Resource != nil {
		bits |= docKeys(l.Resource.Document)
	}
	if l.VPCEndpoint != nil {
		bits |= docKeys(l.VPCEndpoint.Document)
	}
	return bits
}
