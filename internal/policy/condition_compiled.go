package policy

import "strings"

// compiledCondition is what Parse precomputes for one condition, so that
// an evaluation does not parse the operator name, check the policy values
// or split ARN patterns again for every request. It is trusted only while
// the condition's Operator and Values are those it was compiled from (see
// fresh): a condition edited after Parse is evaluated the slow way.
type compiledCondition struct {
	// operator, key and values are copies of the Operator, Key and
	// Values headers the condition was compiled from.
	operator, key string
	values        []string
	// lower is key in lower case, the context's map key; pk and tag
	// classify it for principalValue.
	lower string
	pk    uint8
	tag   string

	op   operator
	opOK bool
	// vars is true when some value holds "${": values are then
	// substituted in a 2012-10-17 policy for operators that take policy
	// variables, and the checks below do not apply.
	vars bool
	// bad is the index of the first value that checkPolicyValue rejects
	// for op, -1 when none does; badMsg is its message.
	bad    int
	badMsg string
	// arns holds, for an Arn operator whose values are all valid, the
	// values split into their six components; arnWild, for each, has bit
	// i set when component i holds a wildcard or an escape (the others
	// are compared as they are).
	arns    [][6]string
	arnWild []uint8
}

// compileCondition precomputes c's operator, the validity of its values
// and, for Arn operators, their components.
func compileCondition(c *Condition) compiledCondition {
	cc := compiledCondition{operator: c.Operator, key: c.Key, lower: strings.ToLower(c.Key), bad: -1}
	cc.pk, cc.tag = principalKeyID(c.Key)
	if c.Values != nil {
		cc.values = append(make([]string, 0, len(c.Values)), c.Values...)
	}
	cc.op, cc.opOK = parseOperator(c.Operator)
	cc.vars = anyVariable(c.Values)
	if !cc.opOK {
		return cc
	}
	for i, p := range c.Values {
		if msg := checkPolicyValue(cc.op.base, p); msg != "" {
			cc.bad, cc.badMsg = i, msg
			break
		}
	}
	if cc.op.base == opArnLike && cc.bad < 0 && len(c.Values) > 0 {
		cc.arns = make([][6]string, len(c.Values))
		cc.arnWild = make([]uint8, len(c.Values))
		for i, p := range c.Values {
			cc.arns[i], _ = splitARNSegments(p)
			for j, seg := range cc.arns[i] {
				if hasWildcard(seg) || strings.IndexByte(seg, patEscape) >= 0 {
					cc.arnWild[i] |= 1 << j
				}
			}
		}
	}
	return cc
}

// fresh reports whether cc was compiled from c's current Operator, Key and
// Values.
func (cc *compiledCondition) fresh(c *Condition) bool {
	if !sameString(cc.operator, c.Operator) || !sameString(cc.key, c.Key) || len(cc.values) != len(c.Values) || (cc.values == nil) != (c.Values == nil) {
		return false
	}
	for i := range cc.values {
		if !sameString(cc.values[i], c.Values[i]) {
			return false
		}
	}
	return true
}

// compileConditions compiles every condition of a statement; Parse calls it.
func compileConditions(list []Condition) []compiledCondition {
	if len(list) == 0 {
		return nil
	}
	out := make([]compiledCondition, len(list))
	for i := range list {
		out[i] = compileCondition(&list[i])
	}
	return out
}

// conditionMatcher returns the compiled form of the statement's condition
// j when Parse compiled it and it was not edited since, else nil.
func (st *Statement) conditionMatcher(j int) *compiledCondition {
	c := st.compiled
	if c == nil || len(c.conds) != len(st.Conditions) {
		return nil
	}
	if cc := &c.conds[j]; cc.fresh(&st.Conditions[j]) {
		return cc
	}
	return nil
}

// UnknownOperator returns the first condition operator of st that AWS does
// not define, or "" when it has none. AWS rejects such a policy when it is
// written, so a document that holds one cannot be evaluated as AWS would:
// the statement's match is unknown.
func (st *Statement) UnknownOperator() string {
	for j := range st.Conditions {
		if cc := st.conditionMatcher(j); cc != nil {
			if !cc.opOK {
				return st.Conditions[j].Operator
			}
			continue
		}
		if _, ok := parseOperator(st.Conditions[j].Operator); !ok {
			return st.Conditions[j].Operator
		}
	}
	return ""
}
