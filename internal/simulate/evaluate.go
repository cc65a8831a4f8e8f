package simulate

import (
	"github.com/iamdiag/iamdiag/internal/policy"
)

// Evaluate runs AWS's cross-layer evaluation over every layer, without
// short-circuiting, and returns the decision with every layer's verdict and
// trace, every blocker, the suspects of an inconclusive result and the
// condition keys the request lacks. A nil req or l is treated as empty.
func Evaluate(req *policy.Request, l *policy.Layers, opt Options) *Result {
	if req == nil {
		req = &policy.Request{}
	}
	if l == nil {
		l = &policy.Layers{}
	}
	e := newEnv(req, l)
	enrichPrincipal(&e, kAll)
	// The result, its effective request and its layers are allocated at
	// once.
	a := &struct {
		res    Result
		eff    policy.Request
		layers [len(layerOrder)]LayerResult
	}{}
	eff := &a.eff
	*eff = policy.Request{Principal: e.p, Action: req.Action, Resource: req.Resource, ResourceUnknown: req.ResourceUnknown, Context: req.Context.Clone()}
	inferContext(eff.Context, &e, req.Resource, opt, kAll)
	a.res = Result{Request: eff, Layers: a.layers[:0]}

	ev := evaluator{req: eff, prep: policy.Prepare(eff), res: &a.res}
	ev.reserve(l)
	// f holds the layers' verdicts; fi the same without explicit denies,
	// which finds the implicit blockers that a fix must clear as well.
	f := facts{cross: e.cross, required: e.required, resourceOnly: e.resourceOnly}
	fi := f
	f.scp, fi.scp = ev.orgLayer(policy.LayerSCP, l.SCP, l.SCPRead, scpApplies(&e), policy.ServiceControl, false)
	f.rcp, fi.rcp = ev.orgLayer(policy.LayerRCP, l.RCP, l.RCPRead, rcpApplies(&e), policy.ResourceControl, true)
	f.resource, fi.resource, f.grant = ev.resourceLayer(&e)
	fi.grant = f.grant
	f.identity, fi.identity = ev.layer(policy.LayerIdentity, l.Identity, nil, !l.IdentityRead.Unreadable, l.IdentityRead.Error, identityApplies(&e),
		func(d policy.Decision) (state, string) { return identityState(&e, d) })
	f.boundary, fi.boundary = ev.layer(policy.LayerBoundary, nil, l.Boundary, !l.BoundaryRead.Unreadable, l.BoundaryRead.Error, boundaryApplies(&e), boundaryState)
	f.session, fi.session = ev.layer(policy.LayerSession, l.Session, nil, (l.SessionKnown && !l.SessionRead.Unreadable) || !isSession(&e.p), l.SessionRead.Error, sessionApplies(&e), sessionState)
	f.vpce, fi.vpce = ev.vpceLayer(&e)

	settleUndecided(&a.res, &e, &f, &fi)
	o := combine(&f)
	o.implicit = combine(&fi).implicit
	r := ev.res
	if f.grant == grantWildcard && f.session == stImplicit {
		// The conservative reading of a grant to everyone decides the
		// result when reading it as naming the session would not.
		fd := f
		fd.grant = grantDirect
		if combine(&fd).decision != o.decision {
			ev.warnings = append(ev.warnings, wildcardSessionWarning)
		}
	}
	r.Decision = o.decision
	r.Blockers = ev.blockers(&f, o)
	for _, layer := range evalOrder {
		if o.unknown&layerBit(layer) == 0 {
			continue
		}
		lr := r.layer(layer)
		if o.decision == Inconclusive {
			r.Suspects = append(r.Suspects, layer)
		}
		r.Warnings = append(r.Warnings, lr.Note)
	}
	if r.Decision == Allowed {
		switch publicAccess(&e) {
		case publicAccessUnknown:
			r.Decision = Inconclusive
			r.Suspects = append(r.Suspects, policy.LayerS3PublicAccess)
			r.Warnings = append(r.Warnings, publicAccessUnknownNote)
		case publicAccessDenies:
			r.Decision = ExplicitDeny
			r.Blockers = append(r.Blockers, Blocker{Layer: policy.LayerS3PublicAccess, Kind: BlockerExplicitDeny,
				Policy: "S3 Block Public Access", Statement: "RestrictPublicBuckets"})
			r.Warnings = append(r.Warnings, publicAccessDeniesNote)
		}
	}
	if e.resAccount == "" && e.p.Account != "" && l.Resource != nil && req.Resource != "" && req.Resource != "*" {
		r.Warnings = append(r.Warnings, "the resource's account is unknown: the request was evaluated as a same-account request")
	}
	r.Missing = missingKeys(r)
	r.Warnings = append(r.Warnings, ev.warnings...)
	if a := e.res.AccountID(); a != "" && e.resAccount != a {
		r.Warnings = append(r.Warnings, "the resource's ARN names account "+a+", but its account was given as "+e.resAccount+": the request was evaluated with "+e.resAccount)
	}
	if e.roleAsCaller {
		r.Warnings = append(r.Warnings, roleAsCallerWarning)
	}
	if rule := exceptionFor(&e, req.Action); rule != nil {
		applyException(r, rule)
	}
	// The policies read the principal's keys from eff.Principal; the
	// context shows them once it is read.
	eff.Context.InferPrincipal(&eff.Principal)
	return r
}

// evaluator accumulates a Result.
type evaluator struct {
	req *policy.Request
	// prep is req prepared for evaluating every policy.
	prep     policy.Prepared
	res      *Result
	warnings []string
	// evals, traces and pols are storage reserved for every policy of the
	// layers, handed out as policies are evaluated, so that a diagnosis
	// allocates them at once rather than per policy.
	evals  []policy.Evaluation
	traces []policy.StatementTrace
	pols   []PolicyResult
	// levels is the storage of the SCP and RCP layers' levels.
	levels []LevelResult
}

// reserve sizes the evaluator's storage for the policies of l.
func (ev *evaluator) reserve(l *policy.Layers) {
	policies, statements := 0, 0
	add := func(s *policy.Source) {
		policies++
		if s.Document != nil {
			statements += len(s.Document.Statements)
		}
	}
	for _, levels := range [...][]policy.OrgLevel{l.SCP, l.RCP} {
		for i := range levels {
			for j := range levels[i].Policies {
				add(&levels[i].Policies[j])
			}
		}
	}
	for _, srcs := range [...][]policy.Source{l.Identity, l.Session} {
		for i := range srcs {
			add(&srcs[i])
		}
	}
	for _, s := range [...]*policy.Source{l.Boundary, l.Resource, l.VPCEndpoint} {
		if s != nil {
			add(s)
		}
	}
	ev.evals = make([]policy.Evaluation, policies)
	ev.traces = make([]policy.StatementTrace, statements)
	ev.pols = make([]PolicyResult, policies)
	if n := len(l.SCP) + len(l.RCP); n > 0 {
		ev.levels = make([]LevelResult, 0, n)
	}
}

// evaluate evaluates one document into the reserved storage.
func (ev *evaluator) evaluate(doc *policy.Document, kind policy.Kind) *policy.Evaluation {
	var pe *policy.Evaluation
	if len(ev.evals) > 0 {
		pe, ev.evals = &ev.evals[0], ev.evals[1:]
	} else {
		pe = &policy.Evaluation{}
	}
	var traces []policy.StatementTrace
	if n := len(doc.Statements); len(ev.traces) >= n {
		traces, ev.traces = ev.traces[:n:n], ev.traces[n:]
	}
	ev.prep.EvaluateInto(pe, traces, doc, kind)
	return pe
}

// policyResults returns n zero PolicyResults from the reserved storage.
func (ev *evaluator) policyResults(n int) []PolicyResult {
	if len(ev.pols) < n {
		return make([]PolicyResult, n)
	}
	out := ev.pols[:n:n]
	ev.pols = ev.pols[n:]
	return out
}

// evalPolicies evaluates srcs, or one when srcs is empty, and returns
// their results and combined decision: Denied if any denies, else Allowed
// if any allows.
func (ev *evaluator) evalPolicies(srcs []policy.Source, one *policy.Source, kind policy.Kind) ([]PolicyResult, policy.Decision) {
	pols, d, _ := ev.evalPoliciesAllow(srcs, one, kind)
	return pols, d
}

// evalPoliciesAllow is evalPolicies that also reports whether an Allow
// statement applies, whatever the denies: what the layer would decide
// without its explicit denies, for listing the implicit blockers too.
func (ev *evaluator) evalPoliciesAllow(srcs []policy.Source, one *policy.Source, kind policy.Kind) ([]PolicyResult, policy.Decision, policy.Decision) {
	n := len(srcs)
	if n == 0 && one != nil {
		n = 1
	}
	if n == 0 {
		return nil, policy.NotApplicable, policy.NotApplicable
	}
	out := ev.policyResults(n)
	d, noDeny := policy.NotApplicable, policy.NotApplicable
	for i := range out {
		src := one
		if len(srcs) > 0 {
			src = &srcs[i]
		}
		out[i].Source = src
		if src.Document == nil {
			ev.warnings = append(ev.warnings, "policy "+policyID(src)+" has no document: it was not evaluated")
			continue
		}
		pe := ev.evaluate(src.Document, kind)
		out[i].Evaluation = pe
		for _, err := range pe.Errors {
			ev.warnings = append(ev.warnings, "policy "+policyID(src)+": "+err.Error())
		}
		switch {
		case pe.Decision == policy.Denied:
			d = policy.Denied
		case pe.Decision == policy.Allowed && d == policy.NotApplicable:
			d = policy.Allowed
		}
		if allowApplies(pe) {
			noDeny = policy.Allowed
		}
	}
	return out, d, noDeny
}

// allowApplies reports whether an Allow statement of pe applies.
func allowApplies(pe *policy.Evaluation) bool {
	for i := range pe.Statements {
		t := &pe.Statements[i]
		if t.Applies && t.Statement != nil && t.Statement.Effect == policy.Allow {
			return true
		}
	}
	return false
}

// orgLayer evaluates SCPs or RCPs level by level.
func (ev *evaluator) orgLayer(layer policy.Layer, levels []policy.OrgLevel, read policy.Readability, app applicability, kind policy.Kind, rcp bool) (st, imp state) {
	lr := LayerResult{Layer: layer, Readable: !read.Unreadable, Error: read.Error}
	if n := len(levels); n > 0 {
		if cap(ev.levels)-len(ev.levels) >= n {
			lr.Levels = ev.levels[len(ev.levels) : len(ev.levels) : len(ev.levels)+n]
			ev.levels = ev.levels[:len(ev.levels)+n]
		} else {
			lr.Levels = make([]LevelResult, 0, n)
		}
	}
	st, imp = stAllow, stAllow
	implicitRCP := false
	for i := range levels {
		lv := &levels[i]
		pols, d, noDeny := ev.evalPoliciesAllow(lv.Policies, nil, kind)
		ls := levelState(d == policy.Denied, d == policy.Allowed, rcp)
		if rcp && d == policy.NotApplicable {
			implicitRCP = true
		}
		lr.Levels = append(lr.Levels, LevelResult{Target: lv.Target, Type: lv.Type, Name: lv.Name, Decision: ls.decision(), Policies: pols})
		st = orgState(st, ls)
		imp = orgState(imp, levelState(false, noDeny == policy.Allowed, rcp))
	}
	if !app.evaluate {
		st, imp = app.st, app.st
		lr.Note = app.note
	} else {
		switch st {
		case stDeny:
			lr.Note = "a Deny statement applies at " + deniedLevels(lr.Levels)
		case stImplicit:
			lr.Note = "no policy allows the request at " + implicitLevels(lr.Levels) + "; every level from the root to the account must allow"
		case stAllow:
			if implicitRCP {
				lr.Note = "RCPFullAWSAccess, attached at every level and impossible to detach, allows where no listed RCP does"
			}
		}
	}
	lr.Decision = st.decision()
	ev.res.Layers = append(ev.res.Layers, lr)
	return st, imp
}

func deniedLevels(levels []LevelResult) string   { return levelsWith(levels, LayerExplicitDeny) }
func implicitLevels(levels []LevelResult) string { return levelsWith(levels, LayerImplicitDeny) }

func levelsWith(levels []LevelResult, decision LayerDecision) string {
	s := ""
	for _, lv := range levels {
		if lv.Decision != decision {
			continue
		}
		if s != "" {
			s += ", "
		}
		s += lv.Target
	}
	return s
}

// resourceLayer evaluates the resource-based policy and classifies its
// grant.
func (ev *evaluator) resourceLayer(e *env) (st, imp state, grant grantClass) {
	l := e.l
	lr := LayerResult{Layer: policy.LayerResource, Readable: !l.ResourceRead.Unreadable, Error: l.ResourceRead.Error}
	app := resourceApplies(e)
	st, imp = app.st, app.st
	lr.Note = app.note
	if app.evaluate {
		var d, noDeny policy.Decision
		lr.Policies, d, noDeny = ev.evalPoliciesAllow(nil, l.Resource, policy.ResourceBased)
		quirk := false
		if d != policy.Denied && l.Boundary != nil && lr.Policies[0].Evaluation != nil {
			quirk = applyBoundaryNotPrincipal(lr.Policies[0].Evaluation, l.Resource.Document, ev.req)
			if quirk {
				d = policy.Denied
			}
		}
		st, lr.Note = resourceState(e, d)
		if quirk {
			lr.Note = "a Deny statement with NotPrincipal denies every principal that has a permissions boundary, whatever NotPrincipal lists"
		}
		imp, _ = resourceState(e, noDeny)
		if noDeny == policy.Allowed && len(lr.Policies) == 1 && lr.Policies[0].Evaluation != nil {
			grant = grantOf(lr.Policies[0].Evaluation, &e.p)
			if st == stAllow {
				lr.Note = grantNote(grant, e)
			}
		}
	} else if l.Resource != nil && l.Resource.Document != nil {
		lr.Policies, _ = ev.evalPolicies(nil, l.Resource, policy.ResourceBased)
	}
	lr.Decision = st.decision()
	ev.res.Layers = append(ev.res.Layers, lr)
	return st, imp, grant
}

// grantOf returns the strongest grant of the applying Allow statements.
func grantOf(pe *policy.Evaluation, p *policy.Principal) grantClass {
	best := grantNone
	for i := range pe.Statements {
		t := &pe.Statements[i]
		if !t.Applies || t.Statement == nil || t.Statement.Effect != policy.Allow {
			continue
		}
		if g := classify(t.Statement, p); g > best {
			best = g
		}
	}
	return best
}

func grantNote(g grantClass, e *env) string {
	switch g {
	case grantAccount:
		return "allows through the account principal, which delegates to the identity-based policies"
	case grantIdentity:
		return "allows the IAM identity behind the session; the permissions boundary and session policies still limit it"
	case grantWildcard:
		if isSession(&e.p) && !e.cross {
			return "allows everyone without naming the session; session policies still limit it"
		}
	}
	if e.cross {
		return "allows the caller; cross-account, the identity-based policies must allow too"
	}
	return "allows the caller directly"
}

// layer evaluates the identity-based policies, the boundary or the session
// policies.
func (ev *evaluator) layer(layer policy.Layer, srcs []policy.Source, one *policy.Source, readable bool, errCode string, app applicability, post func(policy.Decision) (state, string)) (st, imp state) {
	lr := LayerResult{Layer: layer, Readable: readable, Error: errCode}
	st, imp = app.st, app.st
	lr.Note = app.note
	if app.evaluate {
		var d, noDeny policy.Decision
		lr.Policies, d, noDeny = ev.evalPoliciesAllow(srcs, one, policy.IdentityBased)
		st, lr.Note = post(d)
		imp, _ = post(noDeny)
	} else if st != stUnknown && (len(srcs) > 0 || (one != nil && one.Document != nil)) {
		// Keep the trace of policies that do not take part (session
		// policies of a principal that is not a session …).
		lr.Policies, _ = ev.evalPolicies(srcs, one, policy.IdentityBased)
	}
	lr.Decision = st.decision()
	ev.res.Layers = append(ev.res.Layers, lr)
	return st, imp
}

// vpceLayer evaluates the policy of the VPC endpoint the request went
// through, a resource-based policy whose Principal must match.
func (ev *evaluator) vpceLayer(e *env) (st, imp state) {
	l := e.l
	lr := LayerResult{Layer: policy.LayerVPCEndpoint, Readable: !l.VPCEndpointRead.Unreadable, Error: l.VPCEndpointRead.Error}
	app := vpceApplies(e)
	st, imp = app.st, app.st
	lr.Note = app.note
	if app.evaluate {
		var d, noDeny policy.Decision
		lr.Policies, d, noDeny = ev.evalPoliciesAllow(nil, l.VPCEndpoint, policy.ResourceBased)
		st, lr.Note = vpceState(d)
		imp, _ = vpceState(noDeny)
	}
	lr.Decision = st.decision()
	ev.res.Layers = append(ev.res.Layers, lr)
	return st, imp
}

// layer returns the result of layer.
func (r *Result) layer(layer policy.Layer) *LayerResult {
	for i := range r.Layers {
		if r.Layers[i].Layer == layer {
			return &r.Layers[i]
		}
	}
	return &LayerResult{Layer: layer}
}

// layerBit maps a layer to its bit in outcome sets.
func layerBit(layer policy.Layer) int {
	switch layer {
	case policy.LayerRCP:
		return bitRCP
	case policy.LayerSCP:
		return bitSCP
	case policy.LayerResource:
		return bitResource
	case policy.LayerIdentity:
		return bitIdentity
	case policy.LayerBoundary:
		return bitBoundary
	case policy.LayerVPCEndpoint:
		return bitVPCE
	}
	return bitSession
}

// policyID names a policy in blockers and messages: its ARN, else its
// Origin, else its Name.
func policyID(s *policy.Source) string {
	switch {
	case s == nil:
		return ""
	case s.ARN != "":
		return s.ARN
	case s.Origin != "":
		return s.Origin
	}
	return s.Name
}

// wildcardSessionWarning is the warning when a grant to everyone, limited by
// the session policy, decides the result (see grantWildcard).
const wildcardSessionWarning = "the resource-based policy grants everyone (\"*\" or NotPrincipal) and a session policy does not allow the request: " +
	"AWS documents that a session policy does not limit a grant naming the session ARN but says nothing of \"*\"; " +
	"iamdiag assumes the session policy limits it, which decides this result (naming the session ARN in the resource-based policy would not be limited)"
