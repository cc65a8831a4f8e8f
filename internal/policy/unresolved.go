package policy

import "strconv"

// Policy variables that cannot be resolved.
//
// AWS: "When policy variables reference a condition context key that has no
// value or is not present in an authorization context for a request, the
// value is effectively null. There is no equal or like value." In a
// condition, operators like StringEquals or StringLike "do not match, and
// the policy statement does not take effect"; "Inverted condition operators
// like StringNotEquals or StringNotLike do match against a null value, as the
// value of the condition key they are testing against is not equal to or like
// the effectively null value". In Resource or NotResource, "the resource that
// includes a policy variable with no value will not match any resource"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value).
// A multivalued key cannot be used as a variable at all
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
//
// condition.go and match.go apply these rules; this file only explains them
// in Evaluation.Errors, so that a report can say why a statement applied or
// did not.

// unresolvedVariable returns the first policy variable of s that has no
// value in req and no default: its text ("${aws:username}") and whether the
// key is present but multivalued.
func unresolvedVariable(s string, req *Request) (text string, multi, found bool) {
	for i := indexVariable(s, 0); i >= 0; i = indexVariable(s, i+2) {
		name, _, hasDef, n, ok := parseVariable(s[i+2:])
		if !ok || hasDef {
			continue
		}
		if _, resolved := variableValue(name, req); resolved {
			continue
		}
		vals, present := lookupKey(req, name)
		return s[i : i+2+n], present && len(vals) > 1, true
	}
	return "", false, false
}

// indexVariable returns the index of the next "${" in s at or after from,
// or -1.
func indexVariable(s string, from int) int {
	for i := from; i+1 < len(s); i++ {
		if s[i] == '$' && s[i+1] == '{' {
			return i
		}
	}
	return -1
}

// unresolvedWhy says why a variable is unresolved.
func unresolvedWhy(text string, multi bool) string {
	if multi {
		return text + " has several values in this request, and a multivalued key cannot be a policy variable"
	}
	return text + " has no value in this request"
}

// resourceVariableErrors records, for the Resource and NotResource patterns
// of a statement whose resource part holds a variable that cannot be
// resolved, what that does to the statement.
func resourceVariableErrors(errs []EvalError, index int, c *compiledStatement, req *Request) []EvalError {
	if !c.vars {
		return errs
	}
	for _, list := range [2][]resourcePattern{c.resources, c.notResources} {
		for i := range list {
			p := &list[i]
			if p.kind != patVars {
				continue
			}
			text, multi, found := unresolvedVariable(p.seg[5], req)
			if !found {
				continue
			}
			effect := "so it matches no resource"
			element := "Resource"
			if c.resources == nil {
				element = "NotResource"
				effect = "so it matches no resource and excludes nothing"
			}
			errs = append(errs, EvalError{Statement: index,
				Message: element + " " + strconv.Quote(p.raw) + ": " + unresolvedWhy(text, multi) + ", " + effect})
		}
	}
	return errs
}

// conditionVariableErrors records, for each value of a condition that holds
// a policy variable that cannot be resolved, what that does to the
// condition.
func conditionVariableErrors(errs []EvalError, index int, c *Condition, cc *compiledCondition, req *Request, version string) []EvalError {
	if version != versionVariables {
		return errs
	}
	if cc != nil && cc.fresh(c) && !cc.vars {
		// No value holds a variable.
		return errs
	}
	op, ok := parseOperator(c.Operator)
	if !ok || !op.base.takesVariables() {
		return errs
	}
	for _, raw := range c.Values {
		text, multi, found := unresolvedVariable(raw, req)
		if !found {
			continue
		}
		effect := "so the value " + strconv.Quote(raw) + " matches nothing"
		if op.negated {
			effect += ", and the negated operator counts it as not matching"
		}
		errs = append(errs, EvalError{Statement: index,
			Message: "condition " + c.Operator + " " + strconv.Quote(c.Key) + ": " + unresolvedWhy(text, multi) + ", " + effect})
	}
	return errs
}
