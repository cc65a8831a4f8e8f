package policy

import "strconv"

// Evaluate evaluates every statement of doc against req, without stopping at
// the first match, and returns the decision with a trace of each statement.
// The decision follows AWS's rule within one policy: Denied when a Deny
// statement applies, else Allowed when an Allow statement applies, else
// NotApplicable
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html).
//
// kind decides how the Principal element is treated (see Kind). Problems met
// inside the policy are recorded in Errors: an element the kind of policy
// does not allow (a Principal in an identity policy) makes its statement not
// apply; a Resource entry that is neither "*" nor an ARN matches nothing, and
// a condition that cannot be evaluated does not match. Condition traces are filled for statements whose action,
// resource and principal matched; for the others only ConditionsMatched is
// set. A nil doc gives NotApplicable; a nil req is an empty request.
func Evaluate(doc *Document, req *Request, kind Kind) *Evaluation {
	ev := &Evaluation{}
	if doc == nil {
		return ev
	}
	EvaluateInto(ev, make([]StatementTrace, len(doc.Statements)), doc, req, kind)
	return ev
}

// EvaluateInto is Evaluate writing its result into ev, with traces as the
// storage of ev.Statements (it is used when it has room for one trace per
// statement, else a new slice is allocated). A caller that evaluates many
// policies can so allocate every Evaluation and trace at once.
func EvaluateInto(ev *Evaluation, traces []StatementTrace, doc *Document, req *Request, kind Kind) {
	if doc == nil {
		*ev = Evaluation{}
		return
	}
	p := Prepare(req)
	p.evaluateInto(ev, traces, doc, kind)
}

func (p *Prepared) evaluateInto(ev *Evaluation, traces []StatementTrace, doc *Document, kind Kind) {
	// ev and traces are reset only where they are not already zero, as
	// storage reserved for a diagnosis is: zeroing pointers again costs
	// write barriers while the garbage collector runs.
	if ev.Decision != NotApplicable || ev.Statements != nil || ev.Errors != nil {
		*ev = Evaluation{}
	}
	if doc == nil {
		return
	}
	req, arn := p.req, &p.arn
	n := len(doc.Statements)
	if cap(traces) < n {
		traces = make([]StatementTrace, n)
	}
	ev.Statements = traces[:n:n]
	allowed, denied := false, false
	for i := range doc.Statements {
		st := &doc.Statements[i]
		tr := &ev.Statements[i]
		if tr.Statement != nil || tr.Conditions != nil {
			*tr = StatementTrace{}
		}
		tr.Statement = st
		c := st.matchers(doc.Version)
		index := st.Index
		if index == 0 {
			index = i + 1
		}
		if c.invalid {
			for _, list := range [2][]resourcePattern{c.resources, c.notResources} {
				for j := range list {
					if list[j].kind == patInvalid {
						ev.Errors = append(ev.Errors, EvalError{Statement: index,
							Message: "resource " + strconv.Quote(list[j].raw) + " is neither \"*\" nor an ARN: it matches nothing"})
					}
				}
			}
		}
		tr.ActionMatched = c.actionMatched(&p.action)
		resOK, resErr := resourceAllowed(st, kind)
		if resErr != "" {
			ev.Errors = append(ev.Errors, EvalError{Statement: index, Message: resErr})
		}
		tr.ResourceMatched = resOK && c.resourceMatched(req, arn)
		var prinErr string
		tr.PrincipalMatched, prinErr = principalMatched(st, kind, &req.Principal)
		if prinErr != "" {
			ev.Errors = append(ev.Errors, EvalError{Statement: index, Message: prinErr})
		}
		if tr.ActionMatched && tr.PrincipalMatched && resOK {
			ev.Errors = resourceVariableErrors(ev.Errors, index, c, req)
		}
		if tr.ActionMatched && tr.ResourceMatched && tr.PrincipalMatched {
			tr.ConditionsMatched = true
			if len(st.Conditions) > 0 {
				tr.Conditions = make([]ConditionTrace, len(st.Conditions))
				for j := range st.Conditions {
					cc := st.conditionMatcher(j)
					ct := evalCompiled(&st.Conditions[j], cc, req, doc.Version)
					tr.Conditions[j] = ct
					ev.Errors = conditionVariableErrors(ev.Errors, index, &st.Conditions[j], cc, req, doc.Version)
					if ct.Err != "" {
						ev.Errors = append(ev.Errors, EvalError{Statement: index,
							Message: "condition " + ct.Operator + " " + strconv.Quote(ct.Key) + ": " + ct.Err})
					}
					if !ct.Matched {
						tr.ConditionsMatched = false
					}
				}
			}
		} else {
			tr.ConditionsMatched = conditionsMatched(st, req, doc.Version)
		}
		tr.Applies = tr.ActionMatched && tr.ResourceMatched && tr.PrincipalMatched && tr.ConditionsMatched
		if tr.Applies {
			if st.Effect == Deny {
				denied = true
			} else if st.Effect == Allow {
				allowed = true
			}
		}
	}
	switch {
	case denied:
		ev.Decision = Denied
	case allowed:
		ev.Decision = Allowed
	}
}

// Decide returns what Evaluate's Decision would be, without a trace. It stops
// at the first Deny that applies and does not allocate for a parsed document
// whose Resource patterns hold no policy variables.
func Decide(doc *Document, req *Request, kind Kind) Decision {
	if doc == nil {
		return NotApplicable
	}
	p := Prepare(req)
	return p.decide(doc, kind)
}

func (p *Prepared) decide(doc *Document, kind Kind) Decision {
	if doc == nil {
		return NotApplicable
	}
	req, arn := p.req, &p.arn
	allowed := false
	for i := range doc.Statements {
		st := &doc.Statements[i]
		if allowed && st.Effect != Deny {
			// Another Allow cannot change the outcome.
			continue
		}
		c := st.matchers(doc.Version)
		if !c.actionMatched(&p.action) {
			continue
		}
		if ok, _ := resourceAllowed(st, kind); !ok || !c.resourceMatched(req, arn) {
			continue
		}
		if ok, _ := principalMatched(st, kind, &req.Principal); !ok {
			continue
		}
		if !conditionsMatched(st, req, doc.Version) {
			continue
		}
		switch st.Effect {
		case Deny:
			return Denied
		case Allow:
			allowed = true
		}
	}
	if allowed {
		return Allowed
	}
	return NotApplicable
}

func conditionsMatched(st *Statement, req *Request, version string) bool {
	for j := range st.Conditions {
		if !matchCompiled(&st.Conditions[j], st.conditionMatcher(j), req, version) {
			return false
		}
	}
	return true
}

// resourceAllowed checks that the statement has a Resource or NotResource
// where the kind of policy needs one. Only a role trust policy (a
// resource-based policy) may omit both: it applies to its role.
func resourceAllowed(st *Statement, kind Kind) (ok bool, msg string) {
	if st.Resource != nil || st.NotResource != nil || kind == ResourceBased {
		return true, ""
	}
	return false, "statement has neither Resource nor NotResource, which only a role trust policy may omit; it does not apply"
}

// principalMatched applies the rules of kind to the statement's Principal
// and NotPrincipal, returning whether the caller is covered and, when the
// element breaks the rules of kind, why the statement does not apply.
func principalMatched(st *Statement, kind Kind, caller *Principal) (bool, string) {
	switch kind {
	case IdentityBased, ServiceControl:
		// "You cannot use the Principal element in an identity-based policy"
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html);
		// SCPs have no Principal element either
		// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html).
		switch {
		case st.Principal != nil:
			return false, "Principal is not allowed in " + kindName(kind) + "; the statement does not apply"
		case st.NotPrincipal != nil:
			return false, "NotPrincipal is not allowed in " + kindName(kind) + "; the statement does not apply"
		}
		return true, ""
	case ResourceControl:
		// RCPs: "Principal" must be "*" (conditions do the scoping), and
		// NotPrincipal and NotAction are not among the RCP elements
		// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html).
		switch {
		case st.NotPrincipal != nil:
			return false, "NotPrincipal is not supported in a resource control policy; the statement does not apply"
		case st.NotAction != nil:
			return false, "NotAction is not supported in a resource control policy; the statement does not apply"
		case st.Principal == nil:
			return false, "a resource control policy statement needs \"Principal\": \"*\"; the statement does not apply"
		case !isEveryone(st.Principal):
			return false, "Principal must be \"*\" in a resource control policy; the statement does not apply"
		}
		return true, ""
	default: // ResourceBased
		switch {
		case st.Principal != nil:
			return principalNames(st.Principal, caller), ""
		case st.NotPrincipal != nil && st.Effect == Allow:
			// "NotPrincipal must be used with "Effect":"Deny". Using it with
			// "Effect":"Allow" is not supported"
			// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html):
			// such a statement grants nobody here.
			return false, notPrincipalAllowNote
		case st.NotPrincipal != nil:
			return !notPrincipalExcludes(st.NotPrincipal, caller), ""
		}
		// "You must use the Principal element in resource-based policies."
		return false, "a resource-based policy statement needs Principal or NotPrincipal; the statement does not apply"
	}
}

// notPrincipalAllowNote is the note of an Allow statement with NotPrincipal.
const notPrincipalAllowNote = "AWS does not support NotPrincipal with Allow, so this statement is not counted as a grant; name the principals in Principal, or use Principal \"*\" with an aws:PrincipalArn condition"

// isEveryone reports whether p is "*" or {"AWS": "*"}, which AWS treats
// alike (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous).
func isEveryone(p *Principals) bool {
	if p.Wildcard {
		return true
	}
	aws, ok := p.Values["AWS"]
	return ok && len(p.Values) == 1 && len(aws) == 1 && aws[0] == "*"
}

func kindName(k Kind) string {
	switch k {
	case ServiceControl:
		return "a service control policy"
	case ResourceControl:
		return "a resource control policy"
	case ResourceBased:
		return "a resource-based policy"
	default:
		return "an identity-based policy"
	}
}
