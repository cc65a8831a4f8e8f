package policy

// Condition operators
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
// and their set forms for multivalued context keys
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
//
// One condition is an operator, a key and a list of policy values. The
// evaluation, for every operator but Null:
//
//   - A request value "matches" when it matches at least one policy value:
//     the policy values of one condition are ORed
//     (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html).
//     For a negated operator (StringNotEquals, StringNotLike, …) the test on
//     one request value is "matches none of the policy values" (a NOR).
//   - Without a set prefix, a positive operator is true when some request
//     value matches, and a negated operator is its exact negation: true when
//     no request value matches. A key absent from the request context makes
//     a positive operator false and a negated one true.
//   - ForAnyValue: true when the test holds for at least one request value;
//     false when the key is absent or has no values.
//   - ForAllValues: true when the test holds for every request value; true
//     when the key is absent or has no values (the documented caution about
//     ForAllValues with Allow).
//   - …IfExists: when the key is absent, the condition is true whatever the
//     rest of the operator says; when present, the operator applies as
//     without the suffix.
//
// A policy value that does not parse for its operator (a non-number for
// Numeric, a bad date, CIDR, boolean or base64 value, a non-ARN for Arn), or
// a request value that does not parse, is an evaluation error:
// ConditionTrace.Err says so and the condition does not match, whatever the
// operator's polarity (so NotIpAddress on "AWS Internal" is not true).

import (
	"bytes"
	"fmt"
	"strings"
)

// opBase is an operator family with its comparison.
type opBase uint8

const (
	opUnknown opBase = iota
	opStringEquals
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opArnLike
	opNull
)

type setOp uint8

const (
	setNone setOp = iota
	setAll
	setAny
)

// operator is a parsed condition operator name.
type operator struct {
	base     opBase
	negated  bool
	ifExists bool
	set      setOp
}

// parseOperator parses names such as "ForAnyValue:StringNotLikeIfExists".
// Operator names are matched exactly as AWS spells them.
func parseOperator(name string) (operator, bool) {
	var op operator
	s := name
	if rest, ok := strings.CutPrefix(s, "ForAllValues:"); ok {
		op.set, s = setAll, rest
	} else if rest, ok := strings.CutPrefix(s, "ForAnyValue:"); ok {
		op.set, s = setAny, rest
	}
	if rest, ok := strings.CutSuffix(s, "IfExists"); ok {
		op.ifExists, s = true, rest
	}
	switch s {
	case "StringEquals":
		op.base = opStringEquals
	case "StringNotEquals":
		op.base, op.negated = opStringEquals, true
	case "StringEqualsIgnoreCase":
		op.base = opStringEqualsIgnoreCase
	case "StringNotEqualsIgnoreCase":
		op.base, op.negated = opStringEqualsIgnoreCase, true
	case "StringLike":
		op.base = opStringLike
	case "StringNotLike":
		op.base, op.negated = opStringLike, true
	case "NumericEquals":
		op.base = opNumericEquals
	case "NumericNotEquals":
		op.base, op.negated = opNumericEquals, true
	case "NumericLessThan":
		op.base = opNumericLessThan
	case "NumericLessThanEquals":
		op.base = opNumericLessThanEquals
	case "NumericGreaterThan":
		op.base = opNumericGreaterThan
	case "NumericGreaterThanEquals":
		op.base = opNumericGreaterThanEquals
	case "DateEquals":
		op.base = opDateEquals
	case "DateNotEquals":
		op.base, op.negated = opDateEquals, true
	case "DateLessThan":
		op.base = opDateLessThan
	case "DateLessThanEquals":
		op.base = opDateLessThanEquals
	case "DateGreaterThan":
		op.base = opDateGreaterThan
	case "DateGreaterThanEquals":
		op.base = opDateGreaterThanEquals
	case "Bool":
		op.base = opBool
	case "BinaryEquals":
		op.base = opBinaryEquals
	case "IpAddress":
		op.base = opIPAddress
	case "NotIpAddress":
		op.base, op.negated = opIPAddress, true
	case "ArnEquals", "ArnLike":
		// "The ArnEquals and ArnLike condition operators behave identically."
		op.base = opArnLike
	case "ArnNotEquals", "ArnNotLike":
		op.base, op.negated = opArnLike, true
	case "Null":
		// Null takes no IfExists suffix
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists).
		// A set prefix changes nothing: Null tests only whether the key
		// exists (as @cloud-copilot/iam-simulate also reads it).
		if op.ifExists {
			return operator{}, false
		}
		op.base, op.set = opNull, setNone
	default:
		return operator{}, false
	}
	return op, true
}

// takesVariables reports whether policy variables are substituted in the
// values of this operator family: string, ARN and Boolean operators
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// lists "You can use a policy variable" for String, Boolean and ARN, and
// "can not" for Numeric, Date, Binary, IP address and Null).
func (b opBase) takesVariables() bool {
	switch b {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike, opArnLike, opBool:
		return true
	}
	return false
}

// isPattern reports whether policy values are wildcard patterns.
func (b opBase) isPattern() bool { return b == opStringLike || b == opArnLike }

// evalCondition evaluates one condition against req and records how it fared.
// version is the policy's Version element: policy variables are substituted
// only in 2012-10-17 policies.
func evalCondition(c *Condition, req *Request, version string) ConditionTrace {
	return evalCompiled(c, nil, req, version)
}

// evalCompiled is evalCondition with c's compiled form, or nil.
func evalCompiled(c *Condition, cc *compiledCondition, req *Request, version string) ConditionTrace {
	var tr ConditionTrace
	if c == nil {
		tr.Err = "missing condition"
		return tr
	}
	tr.Operator, tr.Key = c.Operator, c.Key
	tr.Matched = evalCore(c, cc, req, version, &tr)
	if tr.Err != "" {
		tr.Matched = false
	}
	return tr
}

// matchCondition reports whether c holds for req; it decides exactly as
// evalCondition but records nothing and, unless a policy variable must be
// substituted, does not allocate.
func matchCondition(c *Condition, req *Request, version string) bool {
	return matchCompiled(c, nil, req, version)
}

// matchCompiled is matchCondition with c's compiled form, or nil.
func matchCompiled(c *Condition, cc *compiledCondition, req *Request, version string) bool {
	if c == nil {
		return false
	}
	return evalCore(c, cc, req, version, nil)
}

// maxStackValues is how many substituted policy values matchCondition keeps
// on the stack.
const maxStackValues = 8

// evalCore is the single implementation behind evalCondition (tr != nil,
// which it fills) and matchCondition (tr == nil). cc is c's compiled form
// when Parse made one (it is used only while fresh), else nil. It returns
// false on any evaluation error.
func evalCore(c *Condition, cc *compiledCondition, req *Request, version string, tr *ConditionTrace) bool {
	if cc != nil && !cc.fresh(c) {
		cc = nil
	}
	var op operator
	var ok bool
	if cc != nil {
		op, ok = cc.op, cc.opOK
	} else {
		op, ok = parseOperator(c.Operator)
	}
	if !ok {
		if tr != nil {
			tr.Err = fmt.Sprintf("unknown condition operator %q", c.Operator)
			tr.PolicyValues = append([]string(nil), c.Values...)
			rv, present := lookup(req, c, cc)
			fillRequest(tr, rv, present)
		}
		return false
	}
	rv, present := lookup(req, c, cc)

	// Policy values after substitution. Unresolved variables make a value
	// that matches nothing: it is left out of pv.
	substitute := version == versionVariables && op.base.takesVariables()
	var hasVars bool
	if cc != nil {
		hasVars = cc.vars
	} else {
		hasVars = anyVariable(c.Values)
	}
	substituted := substitute && hasVars
	var stack [maxStackValues]string
	pv := c.Values
	if substituted {
		pv = stack[:0]
		for _, raw := range c.Values {
			var v string
			if op.base.isPattern() {
				v, ok = expandPattern(raw, req)
			} else {
				v, ok = expandVariables(raw, req)
			}
			if ok {
				pv = append(pv, v)
			}
		}
	}
	if tr != nil {
		if substituted {
			tr.PolicyValues = make([]string, len(c.Values))
			for i, raw := range c.Values {
				tr.PolicyValues[i] = raw
				if v, ok := expandVariables(raw, req); ok {
					tr.PolicyValues[i] = v
				}
			}
		} else {
			// Nothing substituted: the trace shares the policy's values
			// (capped, so that appending to them copies).
			tr.PolicyValues = c.Values[:len(c.Values):len(c.Values)]
		}
		fillRequest(tr, rv, present)
	}

	// The values as written were checked at parse time; substituted
	// ones are checked here.
	var arns [][6]string
	var arnWild []uint8
	if cc != nil && !substituted {
		if cc.bad >= 0 {
			if tr != nil {
				tr.Err = fmt.Sprintf("%s: policy value %q %s", c.Operator, display(pv[cc.bad], op.base), cc.badMsg)
			}
			return false
		}
		arns, arnWild = cc.arns, cc.arnWild
	} else {
		for _, p := range pv {
			if msg := checkPolicyValue(op.base, p); msg != "" {
				if tr != nil {
					tr.Err = fmt.Sprintf("%s: policy value %q %s", c.Operator, display(p, op.base), msg)
				}
				return false
			}
		}
	}

	if op.base == opNull {
		// "true": the key is absent; "false": the key is present
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null).
		for _, p := range pv {
			if strings.EqualFold(p, "true") != present {
				return true
			}
		}
		return false
	}

	// An Arn operator splits a single request value once, for the check
	// and the match.
	var first *[6]string
	var firstSplit [6]string
	for i, r := range rv {
		msg := ""
		if op.base == opArnLike && i == 0 && len(rv) == 1 {
			var ok bool
			if firstSplit, ok = splitARNSegments(r); ok {
				first = &firstSplit
			} else {
				msg = notARN
			}
		} else {
			msg = checkRequestValue(op.base, r)
		}
		if msg != "" {
			if tr != nil {
				tr.Err = fmt.Sprintf("%s: request value %q of %s %s", c.Operator, r, c.Key, msg)
			}
			return false
		}
	}

	if !present || len(rv) == 0 {
		if !present && op.ifExists {
			// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
			return true
		}
		switch op.set {
		case setAll:
			return true
		case setAny:
			return false
		default:
			// "If the key that you specify in a policy condition is not
			// present in the request context, the values do not match …
			// If the policy condition requires that the key is not
			// matched, such as StringNotLike or ArnNotLike, … the
			// condition is true."
			return op.negated
		}
	}

	switch op.set {
	case setAll:
		for _, r := range rv {
			if matchAny(op.base, pv, arns, arnWild, r, first) == op.negated {
				return false
			}
		}
		return true
	case setAny:
		for _, r := range rv {
			if matchAny(op.base, pv, arns, arnWild, r, first) != op.negated {
				return true
			}
		}
		return false
	default:
		for _, r := range rv {
			if matchAny(op.base, pv, arns, arnWild, r, first) {
				return !op.negated
			}
		}
		return op.negated
	}
}

// lookup returns the request's values of c's key, through its compiled
// form when there is one.
func lookup(req *Request, c *Condition, cc *compiledCondition) ([]string, bool) {
	if cc != nil {
		return lookupCompiled(req, cc)
	}
	return lookupKey(req, c.Key)
}

// fillRequest records the request's values of a key, rv and present as
// lookupKey returns them; the trace shares them with the request context
// (capped, so that appending to them copies).
func fillRequest(tr *ConditionTrace, rv []string, present bool) {
	tr.KeyPresent = present
	if present {
		tr.RequestValues = rv[:len(rv):len(rv)]
		if rv == nil {
			tr.RequestValues = []string{}
		}
	}
}

func anyVariable(values []string) bool {
	for _, v := range values {
		if strings.Contains(v, "${") {
			return true
		}
	}
	return false
}

// display undoes pattern escaping for messages.
func display(p string, b opBase) string {
	if !b.isPattern() || strings.IndexByte(p, patEscape) < 0 {
		return p
	}
	var sb strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == patEscape && i+1 < len(p) {
			i++
		}
		sb.WriteByte(p[i])
	}
	return sb.String()
}

// matchAny reports whether request value r matches at least one policy value
// under the positive form of the operator. Values have been checked. arns
// holds the values of an Arn operator already split, with arnWild their
// wildcard components (see compiledCondition), or nil; rs, when not nil,
// is r already split.
func matchAny(b opBase, pv []string, arns [][6]string, arnWild []uint8, r string, rs *[6]string) bool {
	// Typed operators read the request value once.
	switch b {
	case opArnLike:
		var vp [6]string
		if rs != nil {
			vp = *rs
		} else {
			var ok bool
			if vp, ok = splitARNSegments(r); !ok {
				return false
			}
		}
		for i, p := range pv {
			if arns != nil {
				if arnSegmentsMatch(&arns[i], &vp, arnWild[i]) {
					return true
				}
				continue
			}
			pp, ok := splitARNSegments(p)
			if ok && arnSegmentsMatch(&pp, &vp, allSegments) {
				return true
			}
		}
		return false
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		rd, _ := parseDecimal(r)
		for _, p := range pv {
			if pd, _ := parseDecimal(p); compareResult(b, rd.cmp(pd)) {
				return true
			}
		}
		return false
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		rt, _ := parseDate(r)
		for _, p := range pv {
			if pt, _ := parseDate(p); compareResult(b, rt.cmp(pt)) {
				return true
			}
		}
		return false
	case opIPAddress:
		addr, _ := parseRequestIP(r)
		for _, p := range pv {
			if pfx, _ := parsePolicyIP(p); pfx.Contains(addr) {
				return true
			}
		}
		return false
	}
	for _, p := range pv {
		if matchOne(b, p, r) {
			return true
		}
	}
	return false
}

// matchOne compares one policy value with one request value for the
// untyped operators (matchAny handles Numeric, Date and IP).
func matchOne(b opBase, p, r string) bool {
	switch b {
	case opStringEquals:
		return p == r
	case opStringEqualsIgnoreCase:
		return strings.EqualFold(p, r)
	case opStringLike:
		return wildcardMatch(p, r, false)
	case opBool:
		pb, _ := parseBool(p)
		rb, _ := parseBool(r)
		return pb == rb
	case opBinaryEquals:
		return binaryEqual(p, r)
	}
	return false
}

// compareResult turns a comparison of request value to policy value into the
// operator's answer.
func compareResult(b opBase, cmp int) bool {
	switch b {
	case opNumericEquals, opDateEquals:
		return cmp == 0
	case opNumericLessThan, opDateLessThan:
		return cmp < 0
	case opNumericLessThanEquals, opDateLessThanEquals:
		return cmp <= 0
	case opNumericGreaterThan, opDateGreaterThan:
		return cmp > 0
	case opNumericGreaterThanEquals, opDateGreaterThanEquals:
		return cmp >= 0
	}
	return false
}

// checkPolicyValue returns why policy value p is unusable with b, or "".
func checkPolicyValue(b opBase, p string) string {
	switch b {
	case opNull:
		if !strings.EqualFold(p, "true") && !strings.EqualFold(p, "false") {
			return "is not true or false"
		}
	case opArnLike:
		if _, ok := splitARNSegments(p); !ok {
			return "is not an ARN (arn:partition:service:region:account:resource)"
		}
	case opIPAddress:
		if _, ok := parsePolicyIP(p); !ok {
			return "is not an IP address or CIDR block"
		}
	case opBinaryEquals:
		if _, ok := decodeBase64(p); !ok {
			return "is not base64"
		}
	default:
		return checkRequestValue(b, p)
	}
	return ""
}

// checkRequestValue returns why request value r is unusable with b, or "".
func checkRequestValue(b opBase, r string) string {
	switch b {
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		if _, ok := parseDecimal(r); !ok {
			return "is not a number"
		}
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		if _, ok := parseDate(r); !ok {
			return "is not an ISO 8601 date or epoch time"
		}
	case opBool:
		if _, ok := parseBool(r); !ok {
			return "is not true or false"
		}
	case opBinaryEquals:
		if _, ok := decodeBase64(r); !ok {
			return "is not base64"
		}
	case opIPAddress:
		if _, ok := parseRequestIP(r); !ok {
			return "is not an IP address"
		}
	case opArnLike:
		if _, ok := splitARNSegments(r); !ok {
			return notARN
		}
	}
	return ""
}

// notARN is checkRequestValue's message for a value that is not an ARN.
const notARN = "is not an ARN"

// binaryEqual compares the bytes behind two base64 values: BinaryEquals
// "compares the value of the specified key byte for byte against a base-64
// encoded representation of the binary value in the policy"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_BinaryEquals).
// A request context holds strings, so binary request values are base64 too.
func binaryEqual(p, r string) bool {
	pb, ok1 := decodeBase64(p)
	rb, ok2 := decodeBase64(r)
	return ok1 && ok2 && bytes.Equal(pb, rb)
}

// arnMatch matches an ARN against an ARN pattern component by component, so
// that a wildcard never matches across a colon between components: "Each of
// the six colon-delimited components of the ARN is checked separately and
// each can include multi-character match wildcards (*) or single-character
// match wildcards (?)", case-sensitively
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN).
// A value that is not an ARN matches no pattern (evalCore reports it as an
// error before matching).
func arnMatch(pattern, value string) bool {
	pp, ok := splitARNSegments(pattern)
	if !ok {
		return false
	}
	vp, ok := splitARNSegments(value)
	if !ok {
		return false
	}
	return arnSegmentsMatch(&pp, &vp, allSegments)
}

// allSegments has a bit for each of an ARN's six components.
const allSegments = 1<<6 - 1

// arnSegmentsMatch matches the components of an ARN pattern against those
// of an ARN (see arnMatch). Components whose bit is clear in wild hold no
// wildcard nor escape and are compared as they are, which is what
// wildcardMatch would conclude.
func arnSegmentsMatch(pp, vp *[6]string, wild uint8) bool {
	for i := range pp {
		if wild&(1<<i) == 0 {
			if pp[i] != vp[i] {
				return false
			}
		} else if !wildcardMatch(pp[i], vp[i], false) {
			return false
		}
	}
	return true
}
