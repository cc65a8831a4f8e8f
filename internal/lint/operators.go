package lint

import (
	"fmt"
	"strings"

	"github.com/iamdiag/iamdiag/internal/catalog"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// Condition operator families
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
const (
	famString  = "String"
	famNumeric = "Numeric"
	famDate    = "Date"
	famBool    = "Bool"
	famBinary  = "Binary"
	famIP      = "IPAddress"
	famARN     = "ARN"
	famNull    = "Null"
)

// operatorFamilies maps each base operator name to its family.
var operatorFamilies = map[string]string{
	"StringEquals": famString, "StringNotEquals": famString,
	"StringEqualsIgnoreCase": famString, "StringNotEqualsIgnoreCase": famString,
	"StringLike": famString, "StringNotLike": famString,
	"NumericEquals": famNumeric, "NumericNotEquals": famNumeric,
	"NumericLessThan": famNumeric, "NumericLessThanEquals": famNumeric,
	"NumericGreaterThan": famNumeric, "NumericGreaterThanEquals": famNumeric,
	"DateEquals": famDate, "DateNotEquals": famDate,
	"DateLessThan": famDate, "DateLessThanEquals": famDate,
	"DateGreaterThan": famDate, "DateGreaterThanEquals": famDate,
	"Bool":         famBool,
	"BinaryEquals": famBinary,
	"IpAddress":    famIP, "NotIpAddress": famIP,
	"ArnEquals": famARN, "ArnLike": famARN, "ArnNotEquals": famARN, "ArnNotLike": famARN,
	"Null": famNull,
}

// parsedOperator is an operator name split into its parts.
type parsedOperator struct {
	base     string
	family   string
	set      string // "", "ForAllValues" or "ForAnyValue"
	ifExists bool
}

// parseOperator splits names such as "ForAnyValue:StringNotLikeIfExists";
// it returns a message when IAM would reject the name. Operator names are
// case-sensitive.
func parseOperator(name string) (parsedOperator, string) {
	var op parsedOperator
	s := name
	for _, set := range []string{"ForAllValues", "ForAnyValue"} {
		if rest, ok := strings.CutPrefix(s, set+":"); ok {
			op.set, s = set, rest
		}
	}
	if rest, ok := strings.CutSuffix(s, "IfExists"); ok {
		op.ifExists, s = true, rest
	}
	op.base = s
	fam, ok := operatorFamilies[s]
	if !ok {
		for known := range operatorFamilies {
			if strings.EqualFold(known, s) {
				return op, fmt.Sprintf("is not an IAM condition operator (operator names are case-sensitive: did you mean %q?)", known)
			}
		}
		return op, "is not an IAM condition operator"
	}
	op.family = fam
	if fam == famNull && (op.ifExists || op.set != "") {
		// "You can add IfExists to the end of any condition operator name
		// except the Null condition."
		return op, "combines Null with IfExists or a set operator, which IAM does not support"
	}
	return op, ""
}

// checkOperators: IAMD014 (unknown operators) and IAMD013 (operator and key
// types that do not fit, and set operators on single-valued keys or plain
// operators on multivalued ones).
func (c *checker) checkOperators(i int, st *policy.Statement) {
	reported := map[string]bool{}
	for _, cd := range st.Conditions {
		l, cl := c.loc.cond(i, cd.Operator, cd.Key)
		op, problem := parseOperator(cd.Operator)
		if problem != "" {
			if !reported[cd.Operator] {
				reported[cd.Operator] = true
				c.add(l, cl, RuleUnknownOperator, st, fmt.Sprintf("condition operator %q %s", cd.Operator, problem),
					"Use one of IAM's operators: StringEquals, StringLike, ArnLike, NumericLessThan, DateGreaterThan, Bool, IpAddress, Null, ... (with IfExists or ForAllValues:/ForAnyValue: where needed).")
			}
			continue
		}
		typ, ok := catalog.KeyType(cd.Key)
		if !ok || op.family == famNull {
			continue
		}
		multi := strings.HasPrefix(typ, "ArrayOf")
		elem := strings.TrimPrefix(typ, "ArrayOf")
		if !operatorFits(op.family, elem, cd.Key) {
			c.add(l, cl, RuleOperatorType, st,
				fmt.Sprintf("%s compares %s as %s, but the key's type is %s", cd.Operator, cd.Key, strings.ToLower(op.family), elem),
				fmt.Sprintf("Use %s operator for %s (%s).", article(elem), cd.Key, operatorsFor(elem)))
			continue
		}
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html:
		// set operators are for multivalued keys; a multivalued key without
		// one compares only ... and "ForAllValues" on a single-valued key is
		// true when the key is absent.
		switch {
		case multi && op.set == "":
			c.add(l, cl, RuleOperatorType, st,
				fmt.Sprintf("%s is multivalued but %s has no ForAllValues:/ForAnyValue: prefix", cd.Key, cd.Operator),
				fmt.Sprintf("Write ForAllValues:%s (every value must match) or ForAnyValue:%s (one value must match).", cd.Operator, cd.Operator))
		case !multi && op.set != "":
			c.add(l, cl, RuleOperatorType, st,
				fmt.Sprintf("%s is single-valued but %s uses the set prefix %s:", cd.Key, cd.Operator, op.set),
				fmt.Sprintf("Drop the %s: prefix; with ForAllValues a missing key makes the condition true.", op.set))
		}
	}
}

// operatorFits reports whether an operator family may compare a key of type
// typ. String operators also apply to ARN keys, and aws:EpochTime is both a
// date and a number
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-epochtime).
func operatorFits(family, typ, key string) bool {
	if strings.EqualFold(key, "aws:EpochTime") && (family == famNumeric || family == famDate) {
		return true
	}
	switch family {
	case famString:
		return typ == "String" || typ == "ARN"
	case famARN:
		return typ == "ARN" || typ == "String"
	case famNumeric:
		return typ == "Numeric"
	case famDate:
		return typ == "Date"
	case famBool:
		return typ == "Bool"
	case famBinary:
		return typ == "Binary"
	case famIP:
		return typ == "IPAddress"
	}
	return true
}

func operatorsFor(typ string) string {
	switch typ {
	case "Numeric":
		return "NumericEquals, NumericLessThan, ..."
	case "Date":
		return "DateEquals, DateLessThan, DateGreaterThan, ..."
	case "Bool":
		return "Bool"
	case "Binary":
		return "BinaryEquals"
	case "IPAddress":
		return "IpAddress, NotIpAddress"
	case "ARN":
		return "ArnEquals, ArnLike, or the String operators"
	}
	return "StringEquals, StringLike, ..."
}

// article writes s after "a" or, before a vowel ("an ARN", "an IPAddress"),
// "an".
func article(s string) string {
	if s != "" && strings.ContainsRune("AEIOUaeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}
