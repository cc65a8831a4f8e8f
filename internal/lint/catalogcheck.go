package lint

import (
	"fmt"
	"strings"

	"github.com/iamdiag/iamdiag/internal/catalog"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// checkCatalog: IAMD010 (unknown actions), IAMD011 (unknown condition keys)
// and IAMD012 (keys the statement's actions never set), against AWS's
// service authorization data embedded in package catalog.
func (c *checker) checkCatalog(i int, st *policy.Statement) {
	for _, el := range []struct {
		name string
		vals []string
	}{{"Action", st.Action}, {"NotAction", st.NotAction}} {
		for j, a := range el.vals {
			if msg := actionProblem(a); msg != "" {
				l, cl := c.loc.value(i, el.name, j)
				fix := "Use the action names of the Service Authorization Reference (service prefix, colon, action name)."
				if s, ok := catalog.Suggest(a); ok {
					fix = fmt.Sprintf("Did you mean %q?", s)
				}
				c.add(l, cl, RuleUnknownAction, st, fmt.Sprintf("%s %q %s", el.name, a, msg), fix)
			}
		}
	}
	seen := map[string]bool{}
	for _, cd := range st.Conditions {
		lk := strings.ToLower(cd.Key)
		if seen[lk] {
			continue
		}
		seen[lk] = true
		l, cl := c.loc.cond(i, cd.Operator, cd.Key)
		if !catalog.ConditionKeyKnown(cd.Key) {
			c.add(l, cl, RuleUnknownKey, st,
				fmt.Sprintf("condition key %q is neither a global key nor one any service defines", cd.Key),
				"Check the key's spelling against the global condition keys and the service's \"Condition keys\" table in the Service Authorization Reference.")
			continue
		}
		if actions := knownActions(st); len(actions) > 0 && !anySets(actions, cd.Key) {
			c.add(l, cl, RuleKeyNotSet, st,
				fmt.Sprintf("none of the statement's actions (%s) sets %q, so the condition %s", strings.Join(actions, ", "), cd.Key, absentEffect(cd.Operator)),
				"Move the condition to a statement whose actions support the key, or use a key these actions set (see their \"Condition keys\" column).")
		}
	}
}

// actionProblem says what is wrong with an Action entry, "" when it names
// at least one real action.
func actionProblem(a string) string {
	if a == "*" {
		return ""
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" {
		return "is not service:action"
	}
	if strings.ContainsAny(svc, "*?") {
		return "" // a wildcard in the prefix: too loose to judge here
	}
	if _, ok := catalog.LookupService(svc); !ok {
		return fmt.Sprintf("has the unknown service prefix %q", svc)
	}
	if strings.ContainsAny(name, "*?") {
		if len(catalog.Expand(a)) == 0 {
			return "matches no action of the service"
		}
		return ""
	}
	if _, ok := catalog.Lookup(a); !ok {
		return "is not an action of the service"
	}
	return ""
}

// knownActions returns the statement's Action entries that name real
// actions; none when the statement uses NotAction or "*", which cover too
// much to say a key is never set.
func knownActions(st *policy.Statement) []string {
	if st.NotAction != nil {
		return nil
	}
	var out []string
	for _, a := range st.Action {
		svc, _, _ := strings.Cut(a, ":")
		if a == "*" || strings.ContainsAny(svc, "*?") {
			return nil
		}
		if actionProblem(a) == "" {
			out = append(out, a)
		}
	}
	return out
}

func anySets(actions []string, key string) bool {
	for _, a := range actions {
		if catalog.ActionSetsKey(a, key) {
			return true
		}
	}
	return false
}

// absentEffect says what an operator does when its key is absent
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
func absentEffect(operator string) string {
	op, problem := parseOperator(operator)
	if problem != "" {
		return "cannot be evaluated"
	}
	switch {
	case op.family == famNull:
		return "always sees the key as null"
	case op.ifExists || op.set == "ForAllValues":
		return "is always true"
	case strings.Contains(op.base, "Not"):
		return "is always true"
	}
	return "never matches"
}
