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
	"encoding/base64"
	"fmt"
	"net/netip"
	"strings"
	"time"
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

// parseBool reads "true" or "false" in any case.
func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// decimal is an exact decimal number: its significant digits d (no leading
// or trailing zeros; the virtual concatenation of hi and lo) and exp, the
// position of the decimal point counted from the first digit
// (value = 0.d × 10^exp). Zero has no digits.
type decimal struct {
	neg    bool
	hi, lo string
	exp    int
}

func (d decimal) ndigits() int { return len(d.hi) + len(d.lo) }

func (d decimal) digit(i int) byte {
	if i < len(d.hi) {
		return d.hi[i]
	}
	return d.lo[i-len(d.hi)]
}

// cmp compares d with e: -1, 0 or +1.
func (d decimal) cmp(e decimal) int {
	dz, ez := d.ndigits() == 0, e.ndigits() == 0
	switch {
	case dz && ez:
		return 0
	case dz:
		if e.neg {
			return 1
		}
		return -1
	case ez:
		if d.neg {
			return -1
		}
		return 1
	}
	if d.neg != e.neg {
		if d.neg {
			return -1
		}
		return 1
	}
	sign := 1
	if d.neg {
		sign = -1
	}
	if d.exp != e.exp {
		if d.exp < e.exp {
			return -sign
		}
		return sign
	}
	n, m := d.ndigits(), e.ndigits()
	for i := 0; i < n && i < m; i++ {
		if a, b := d.digit(i), e.digit(i); a != b {
			if a < b {
				return -sign
			}
			return sign
		}
	}
	switch {
	case n < m:
		return -sign
	case n > m:
		return sign
	}
	return 0
}

// maxExponent bounds the exponent of a numeric value.
const maxExponent = 100000

// parseDecimal reads an integer or decimal number, as numeric condition
// operators compare
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Numeric):
// an optional sign, digits with an optional fraction, and an optional
// exponent as JSON numbers may carry ("1e3"). Comparison is exact: no
// rounding through float64.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[start:i]
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		frac = s[fs:i]
	}
	if intPart == "" && frac == "" {
		return decimal{}, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		es := i
		for i < len(s) && isDigit(s[i]) {
			if exp < maxExponent {
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if i == es || exp >= maxExponent {
			return decimal{}, false
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return decimal{}, false
	}
	intPart = strings.TrimLeft(intPart, "0")
	frac = strings.TrimRight(frac, "0")
	d.exp = len(intPart) + exp
	if intPart == "" {
		t := strings.TrimLeft(frac, "0")
		d.exp -= len(frac) - len(t)
		frac = t
		d.hi, d.lo = frac, ""
	} else {
		d.hi, d.lo = intPart, frac
		if frac == "" {
			d.hi = strings.TrimRight(intPart, "0")
		}
	}
	if d.ndigits() == 0 {
		d.neg, d.exp = false, 0
	}
	return d, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// instant is a point in time at nanosecond precision.
type instant struct {
	sec  int64
	nsec int32
}

func (a instant) cmp(b instant) int {
	switch {
	case a.sec < b.sec:
		return -1
	case a.sec > b.sec:
		return 1
	case a.nsec < b.nsec:
		return -1
	case a.nsec > b.nsec:
		return 1
	}
	return 0
}

// parseDate reads a date as date condition operators accept them: one of the
// W3C profiles of ISO 8601 (YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm,
// YYYY-MM-DDThh:mm:ss, YYYY-MM-DDThh:mm:ss.s…, each time with a zone "Z",
// "±hh:mm", "±hhmm" or "±hh", or none for UTC) or epoch (UNIX) seconds with
// an optional fraction
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date,
// https://www.w3.org/TR/NOTE-datetime). A string of digits only is read as
// epoch seconds, as aws:EpochTime carries them, so a bare year "2020" is the
// epoch time 2020, not the year.
func parseDate(s string) (instant, bool) {
	if t, ok := parseEpoch(s); ok {
		return t, true
	}
	return parseISO(s)
}

func parseEpoch(s string) (instant, bool) {
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	start := i
	var sec int64
	for i < len(s) && isDigit(s[i]) {
		if sec > (1<<62)/10 {
			return instant{}, false
		}
		sec = sec*10 + int64(s[i]-'0')
		i++
	}
	if i == start {
		return instant{}, false
	}
	var nsec int32
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		scale := int32(100000000)
		for i < len(s) && isDigit(s[i]) {
			nsec += int32(s[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == fs {
			return instant{}, false
		}
	}
	if i != len(s) {
		return instant{}, false
	}
	if neg {
		sec = -sec
		if nsec > 0 {
			sec--
			nsec = 1e9 - nsec
		}
	}
	return instant{sec, nsec}, true
}

func parseISO(s string) (instant, bool) {
	num := func(i, n int) (int, bool) {
		if i+n > len(s) {
			return 0, false
		}
		v := 0
		for k := i; k < i+n; k++ {
			if !isDigit(s[k]) {
				return 0, false
			}
			v = v*10 + int(s[k]-'0')
		}
		return v, true
	}
	year, ok := num(0, 4)
	if !ok {
		return instant{}, false
	}
	month, day := 1, 1
	var hour, minute, second, nsec int
	i := 4
	if i < len(s) && s[i] == '-' {
		if month, ok = num(i+1, 2); !ok || month < 1 || month > 12 {
			return instant{}, false
		}
		i += 3
		if i < len(s) && s[i] == '-' {
			if day, ok = num(i+1, 2); !ok || day < 1 || day > daysIn(year, month) {
				return instant{}, false
			}
			i += 3
			if i < len(s) && (s[i] == 'T' || s[i] == 't') {
				if hour, ok = num(i+1, 2); !ok || hour > 23 || i+3 >= len(s) || s[i+3] != ':' {
					return instant{}, false
				}
				if minute, ok = num(i+4, 2); !ok || minute > 59 {
					return instant{}, false
				}
				i += 6
				if i < len(s) && s[i] == ':' {
					if second, ok = num(i+1, 2); !ok || second > 59 {
						return instant{}, false
					}
					i += 3
					if i < len(s) && (s[i] == '.' || s[i] == ',') {
						i++
						fs := i
						scale := 100000000
						for i < len(s) && isDigit(s[i]) {
							nsec += int(s[i]-'0') * scale
							scale /= 10
							i++
						}
						if i == fs {
							return instant{}, false
						}
					}
				}
				off, ok := parseZone(s[i:])
				if !ok {
					return instant{}, false
				}
				t := time.Date(year, time.Month(month), day, hour, minute, second, nsec, time.UTC)
				return instant{t.Unix() - int64(off), int32(t.Nanosecond())}, true
			}
		}
	}
	if i != len(s) {
		return instant{}, false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	return instant{t.Unix(), 0}, true
}

// parseZone reads a zone designator ("", "Z", "±hh:mm", "±hhmm", "±hh") and
// returns its offset east of UTC in seconds.
func parseZone(z string) (int, bool) {
	switch {
	case z == "":
		return 0, true
	case z == "Z" || z == "z":
		return 0, true
	case z[0] != '+' && z[0] != '-':
		return 0, false
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	z = z[1:]
	two := func(s string) (int, bool) {
		if len(s) != 2 || !isDigit(s[0]) || !isDigit(s[1]) {
			return 0, false
		}
		return int(s[0]-'0')*10 + int(s[1]-'0'), true
	}
	var hh, mm string
	switch len(z) {
	case 2:
		hh = z
		mm = "00"
	case 4:
		hh, mm = z[:2], z[2:]
	case 5:
		if z[2] != ':' {
			return 0, false
		}
		hh, mm = z[:2], z[3:]
	default:
		return 0, false
	}
	h, ok1 := two(hh)
	m, ok2 := two(mm)
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60), true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// decodeBase64 decodes standard base64, with or without padding.
func decodeBase64(s string) ([]byte, bool) {
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, false
	}
	return b, true
}

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

// parsePolicyIP reads a CIDR block or a bare address, which means /32 (or
// /128 for IPv6)
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress).
// Host bits are ignored ("203.0.113.7/24" is 203.0.113.0/24), and an
// IPv4-mapped IPv6 block is read as the IPv4 block it maps.
func parsePolicyIP(s string) (netip.Prefix, bool) {
	var pfx netip.Prefix
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		pfx = p
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, false
		}
		pfx = netip.PrefixFrom(a, a.BitLen())
	}
	if a := pfx.Addr(); a.Is4In6() && pfx.Bits() >= 96 {
		pfx = netip.PrefixFrom(a.Unmap(), pfx.Bits()-96)
	}
	return pfx.Masked(), true
}

// parseRequestIP reads a request's address; an IPv4-mapped IPv6 address is
// read as the IPv4 address it maps.
func parseRequestIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// splitARNSegments splits an ARN (or ARN pattern) into its six colon-separated
// components; the last, the resource, may itself contain colons.
func splitARNSegments(s string) ([6]string, bool) {
	var parts [6]string
	for i := 0; i < 5; i++ {
		before, after, ok := strings.Cut(s, ":")
		if !ok {
			return parts, false
		}
		parts[i] = before
		s = after
	}
	parts[5] = s
	return parts, true
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
