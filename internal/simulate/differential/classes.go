package differential

import (
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// Class is a documented, narrow class of disagreement where
// AWS's documentation shows that iam-simulate differs from AWS (or the
// semantics differ by design) and iamdiag follows AWS.
type Class struct {
	// Name names the class in docs/DISAGREEMENTS.md and in the
	// differential.class of a kept case.
	Name string
	// Doc is the AWS documentation page that settles it.
	Doc string
	// match reports whether the disagreement belongs to the class; it must
	// look at the case and both verdicts, never accept a disagreement it
	// cannot explain. It is nil for a class about final decisions.
	match func(c *Case, ours, theirs Verdict) bool
	// rewrite, for a class about statements that iam-simulate reads
	// differently from iamdiag, returns the case with those statements
	// rewritten to iam-simulate's reading, which Classify evaluates with
	// iamdiag; ok is false when the case has none.
	rewrite func(c *Case) (rewritten *Case, ok bool)
	// final, for a class about a rule of AWS that decides a request
	// whatever the policies say (Outcome.Exception), reports whether the
	// class explains iamdiag's final decision final[0] against
	// iam-simulate's final[1] when the policies' verdicts agree.
	final func(c *Case, rule string, final [2]simulate.Decision) bool
	// drop, for a class about single statements, reports whether
	// iam-simulate treats a statement as not applying where iamdiag
	// applies it (msgs are iamdiag's Evaluation.Errors for it). Replaying
	// the case through iamdiag without those statements reproduces
	// iam-simulate's reading, which lets classes combine (Classify).
	drop func(c *Case, layer policy.Layer, t *policy.StatementTrace, msgs []string) bool
}

// Classes returns the accepted classes; docs/DISAGREEMENTS.md explains each
// with its evidence. (A function, not a variable: some classes replay cases
// through the list itself.)
func Classes() []Class {
	return []Class{
		{
			// AWS: NotPrincipal exempts only the principals it names; for a
			// role session the session ARN itself must be listed, naming the
			// role or the account is not enough. iam-simulate exempts the
			// session when the role or account is named.
			Name: "notprincipal-names-role-or-account-not-session",
			Doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html",
			match: func(c *Case, ours, theirs Verdict) bool {
				return ours.Decision == simulate.ExplicitDeny && setAdds(ours, theirs, "resource-policy/explicit") &&
					notPrincipalMissesCaller(c)
			},
			drop: func(c *Case, layer policy.Layer, t *policy.StatementTrace, _ []string) bool {
				st := t.Statement
				return layer == policy.LayerResource && st.Effect == policy.Deny && st.NotPrincipal != nil &&
					npMissesCaller(st.NotPrincipal.Values["AWS"], c)
			},
		},
		{
			// AWS: "When you use NotPrincipal with Deny, you must also
			// specify the account ARN of the not-denied principal.
			// Otherwise, the policy might deny access to the entire account
			// containing the principal", and for a role session the role
			// too. iamdiag exempts only a caller whose whole chain is named;
			// iam-simulate exempts the caller when its own ARN is listed.
			Name: "notprincipal-names-caller-without-its-account-or-role",
			Doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html",
			match: func(c *Case, ours, theirs Verdict) bool {
				return ours.Decision == simulate.ExplicitDeny && setAdds(ours, theirs, "resource-policy/explicit") &&
					notPrincipalMissesChain(c)
			},
			drop: func(c *Case, layer policy.Layer, t *policy.StatementTrace, _ []string) bool {
				st := t.Statement
				return layer == policy.LayerResource && st.Effect == policy.Deny && st.NotPrincipal != nil &&
					npMissesChain(st.NotPrincipal.Values["AWS"], c)
			},
		},
		{
			// AWS: a resource-based policy that names the session ARN grants
			// permissions that the session policy does not limit.
			// iam-simulate lets an implicit deny of the session policy win.
			Name: "resource-grant-to-session-arn-not-limited-by-session-policy",
			Doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session",
			match: func(c *Case, ours, theirs Verdict) bool {
				return sessionBypass(c, ours, theirs, func(v string) bool { return v == c.Request.Principal })
			},
		},
		{
			// AWS: a condition value whose policy variable has no value is
			// "effectively null"; "Inverted condition operators like
			// StringNotEquals or StringNotLike do match against a null value".
			// iam-simulate makes the whole statement not apply.
			Name: "unresolved-variable-negated-operator-matches",
			Doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value",
			match: func(c *Case, ours, theirs Verdict) bool {
				return replayGives(c, theirs, "unresolved-variable-negated-operator-matches")
			},
			drop: func(_ *Case, _ policy.Layer, t *policy.StatementTrace, msgs []string) bool {
				// Only where the key is in the request: a negated operator
				// on an absent key is true whatever its values, for both.
				for _, ct := range t.Conditions {
					prefix := "condition " + ct.Operator + " " + strconv.Quote(ct.Key) + ": "
					if ct.KeyPresent && slices.ContainsFunc(msgs, func(msg string) bool {
						return strings.HasPrefix(msg, prefix) && strings.HasSuffix(msg, "the negated operator counts it as not matching")
					}) {
						return true
					}
				}
				return false
			},
		},
		{
			// AWS: "If a variable that has no value in the authorization
			// context is used as part of the Resource or NotResource element
			// of a policy, the resource that includes a policy variable with
			// no value will not match any resource": in NotResource it
			// excludes nothing. iam-simulate makes the whole statement not
			// apply.
			Name: "unresolved-variable-in-notresource-excludes-nothing",
			Doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value",
			match: func(c *Case, ours, theirs Verdict) bool {
				return replayGives(c, theirs, "unresolved-variable-in-notresource-excludes-nothing")
			},
			drop: func(_ *Case, _ policy.Layer, _ *policy.StatementTrace, msgs []string) bool {
				return slices.ContainsFunc(msgs, func(msg string) bool {
					return strings.HasPrefix(msg, "NotResource ") && strings.Contains(msg, " in this request")
				})
			},
		},
		{
			// AWS managed policies (arn:aws:iam::aws:policy/…) are created
			// by AWS for every account to attach and read; their ARN has
			// "aws" for the account, which is no account, and IAM policies
			// have no resource-based policy. iamdiag lets the identity
			// policies alone decide; iam-simulate takes "aws" for another
			// account, whose resource policy must then allow.
			Name: "aws-managed-policy-is-in-no-other-account",
			Doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies",
			match: func(c *Case, ours, theirs Verdict) bool {
				if Shape(c) != ShapeAWSManagedPolicy || !setAdds(theirs, ours, "core/implicit") {
					return false
				}
				return ours.Decision == theirs.Decision || ours.Decision == simulate.Allowed && theirs.Decision == simulate.ImplicitDeny
			},
		},
		{
			// AWS: "NotPrincipal must be used with "Effect":"Deny". Using it
			// with "Effect":"Allow" is not supported." iamdiag counts such
			// a statement as granting nobody; iam-simulate grants everyone
			// it does not name.
			Name:    "notprincipal-allow-grants-nobody",
			Doc:     "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html",
			rewrite: notPrincipalAllowAsGrant,
		},
		{
			// AWS: "No permissions are required for a user to get a session
			// token … You cannot use policies to control authentication
			// operations." iamdiag allows an IAM user's
			// sts:GetSessionToken whatever the policies say; iam-simulate
			// evaluates the policies.
			Name: "getsessiontoken-not-controlled-by-policies",
			Doc:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_getsessiontoken.html",
			final: func(c *Case, rule string, final [2]simulate.Decision) bool {
				return rule == "no-permission-needed" && strings.EqualFold(c.Request.Action, "sts:GetSessionToken") &&
					final[0] == simulate.Allowed && final[1] != simulate.Allowed
			},
		},
	}
}

// classifyFinal names the class that explains iamdiag's final decision
// final[0] against iam-simulate's final[1] for a request that the rule of
// AWS named rule decides; "" when none does.
func classifyFinal(c *Case, rule string, final [2]simulate.Decision) string {
	for _, k := range Classes() {
		if k.final != nil && k.final(c, rule, final) {
			return k.Name
		}
	}
	return ""
}

// replayGives reports whether iamdiag, replaying the case without the
// statements that class name drops, gives theirs exactly: the disagreement
// then comes from those statements alone.
func replayGives(c *Case, theirs Verdict, name string) bool {
	v, dropped := replay(c, func(k *Class) bool { return k.Name == name })
	return dropped != nil && cmp.Equal(v, theirs)
}

// replay evaluates the case with iamdiag after removing every statement
// that a selected class drops, and returns the verdict with the names of
// the classes that dropped something (nil when none did).
func replay(c *Case, selected func(*Class) bool) (Verdict, []string) {
	req, l, err := c.inputs()
	if err != nil {
		return Verdict{}, nil
	}
	res := simulate.Evaluate(req, l, simulate.Options{})
	known := Classes()
	drop := map[*policy.Document]map[int]bool{}
	used := map[string]bool{}
	mark := func(layer policy.Layer, pols []simulate.PolicyResult) {
		for _, pr := range pols {
			if pr.Evaluation == nil || pr.Source == nil || pr.Source.Document == nil {
				continue
			}
			for i := range pr.Evaluation.Statements {
				t := &pr.Evaluation.Statements[i]
				if t.Statement == nil {
					continue
				}
				n := t.Statement.Index
				if n == 0 {
					n = i + 1
				}
				var msgs []string
				for _, e := range pr.Evaluation.Errors {
					if e.Statement == n {
						msgs = append(msgs, e.Message)
					}
				}
				for k := range known {
					class := &known[k]
					if class.drop == nil || !selected(class) || !class.drop(c, layer, t, msgs) {
						continue
					}
					if drop[pr.Source.Document] == nil {
						drop[pr.Source.Document] = map[int]bool{}
					}
					drop[pr.Source.Document][n] = true
					used[class.Name] = true
				}
			}
		}
	}
	for _, lr := range res.Layers {
		mark(lr.Layer, lr.Policies)
		for _, lv := range lr.Levels {
			mark(lr.Layer, lv.Policies)
		}
	}
	if len(drop) == 0 {
		return Verdict{}, nil
	}
	for doc, idx := range drop {
		kept := doc.Statements[:0:0]
		for i, st := range doc.Statements {
			n := st.Index
			if n == 0 {
				n = i + 1
			}
			if !idx[n] {
				kept = append(kept, st)
			}
		}
		doc.Statements = kept
	}
	return policyVerdict(simulate.Evaluate(req, l, simulate.Options{})), sortedKeys(used)
}

// setAdds reports whether ours has exactly theirs' blockers plus extra.
func setAdds(ours, theirs Verdict, extra string) bool {
	want := append(append([]string(nil), theirs.Blockers...), extra)
	sort.Strings(want)
	return !slices.Contains(theirs.Blockers, extra) && slices.Equal(want, ours.Blockers)
}

// notPrincipalMissesCaller reports whether the resource policy has a
// Deny statement with a NotPrincipal that names the caller's role, user or
// account but not the caller's own ARN.
func notPrincipalMissesCaller(c *Case) bool {
	if c.ResourcePolicy == nil {
		return false
	}
	var d document
	if json.Unmarshal(c.ResourcePolicy.Document, &d) != nil {
		return false
	}
	for _, st := range d.Statement {
		if st.Effect == "Deny" && st.NotPrincipal != nil && npMissesCaller(awsPrincipals(st.NotPrincipal), c) {
			return true
		}
	}
	return false
}

// npMissesCaller reports whether NotPrincipal AWS values name the
// caller's role, user or account but not the caller's own ARN.
func npMissesCaller(vals []string, c *Case) bool {
	if slices.Contains(vals, c.Request.Principal) {
		return false
	}
	p := c.principal()
	for _, v := range vals {
		if v == p.IAMARN || v == p.Account || v == "arn:aws:iam::"+p.Account+":root" {
			return true
		}
	}
	return false
}

// notPrincipalMissesChain reports whether the resource policy has a
// Deny statement with a NotPrincipal that names the caller's own ARN but not
// its account, or, for a role session, not its role.
func notPrincipalMissesChain(c *Case) bool {
	if c.ResourcePolicy == nil {
		return false
	}
	var d document
	if json.Unmarshal(c.ResourcePolicy.Document, &d) != nil {
		return false
	}
	for _, st := range d.Statement {
		if st.Effect == "Deny" && st.NotPrincipal != nil && npMissesChain(awsPrincipals(st.NotPrincipal), c) {
			return true
		}
	}
	return false
}

// npMissesChain reports whether NotPrincipal AWS values name the
// caller's own ARN but not its account, or, for a role session, not its
// role.
func npMissesChain(vals []string, c *Case) bool {
	if !slices.Contains(vals, c.Request.Principal) {
		return false
	}
	p := c.principal()
	account := slices.Contains(vals, p.Account) || slices.Contains(vals, "arn:aws:iam::"+p.Account+":root")
	role := p.Type != "AssumedRole" || slices.Contains(vals, p.IAMARN)
	return !account || !role
}

// sessionBypass matches a same-account request that iamdiag allows
// through a resource-based Allow whose principal satisfies named, while
// iam-simulate denies it because the session policy allows nothing; or, when
// another layer denies anyway, where the two differ only in iam-simulate
// listing the session policy as a blocker too.
func sessionBypass(c *Case, ours, theirs Verdict, named func(string) bool) bool {
	if len(c.Session) == 0 || c.ResourcePolicy == nil || c.ResourceAccount != c.principal().Account {
		return false
	}
	if !slices.Contains(theirs.Blockers, "session-policy/implicit") {
		return false
	}
	switch {
	case ours.Decision == simulate.Allowed && theirs.Decision == simulate.ImplicitDeny:
		for _, b := range theirs.Blockers {
			if b != "session-policy/implicit" && b != "core/implicit" && b != "permissions-boundary/implicit" {
				return false
			}
		}
	case ours.Decision == theirs.Decision:
		if !setAdds(theirs, ours, "session-policy/implicit") {
			return false
		}
	default:
		return false
	}
	var d document
	if json.Unmarshal(c.ResourcePolicy.Document, &d) != nil {
		return false
	}
	for _, st := range d.Statement {
		if st.Effect != "Allow" {
			continue
		}
		if st.Principal == "*" && named("*") {
			return true
		}
		if slices.ContainsFunc(awsPrincipals(st.Principal), named) {
			return true
		}
	}
	return false
}

// awsPrincipals returns the AWS values of a generated Principal or
// NotPrincipal element.
func awsPrincipals(p any) []string {
	m, ok := p.(map[string]any)
	if !ok {
		return nil
	}
	switch v := m["AWS"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Classify names the class of a disagreement, "" when none explains
// it. A disagreement may also come from several statement-level classes at
// once, or from them and one other class: replaying the case without every
// statement those classes drop must then give iam-simulate's verdict, or a
// verdict that the other class explains; the name joins the classes with
// "+".
func Classify(c *Case, ours, theirs Verdict) string {
	known := Classes()
	for _, k := range known {
		if k.match != nil && k.match(c, ours, theirs) {
			return k.Name
		}
	}
	// A class that rewrites statements: iamdiag on the rewritten case
	// must give iam-simulate's verdict, or one that the other classes
	// explain (the rewritten case has no such statement left, so this
	// ends).
	for _, k := range known {
		if k.rewrite == nil {
			continue
		}
		d, ok := k.rewrite(c)
		if !ok {
			continue
		}
		v, err := evaluate(d)
		if err != nil {
			continue
		}
		if cmp.Equal(v, theirs) {
			return k.Name
		}
		if rest := Classify(d, v, theirs); rest != "" {
			return k.Name + "+" + rest
		}
	}
	v, used := replay(c, func(*Class) bool { return true })
	if used == nil {
		return ""
	}
	if cmp.Equal(v, theirs) {
		return strings.Join(used, "+")
	}
	for _, k := range known {
		if k.drop == nil && k.match != nil && k.match(c, v, theirs) {
			return strings.Join(append(used, k.Name), "+")
		}
	}
	return ""
}

// KnownClass reports whether name is a class of Classes or a combination
// of them joined by "+".
func KnownClass(name string) bool {
	known := Classes()
	for _, part := range strings.Split(name, "+") {
		if !slices.ContainsFunc(known, func(k Class) bool { return k.Name == part }) {
			return false
		}
	}
	return true
}

// notPrincipalAllowAsGrant returns the case with each resource-policy Allow
// statement that uses NotPrincipal read as iam-simulate reads it: a grant
// to the caller unless it names the caller (its ARN, role or account),
// which iamdiag then evaluates. ok is false when the case has no such
// statement.
func notPrincipalAllowAsGrant(c *Case) (*Case, bool) {
	if c.ResourcePolicy == nil {
		return nil, false
	}
	var d document
	if json.Unmarshal(c.ResourcePolicy.Document, &d) != nil {
		return nil, false
	}
	p := c.principal()
	names := []string{c.Request.Principal, p.IAMARN, p.Account, "arn:aws:iam::" + p.Account + ":root"}
	kept := d.Statement[:0:0]
	found := false
	for _, st := range d.Statement {
		if st.Effect != "Allow" || st.NotPrincipal == nil {
			kept = append(kept, st)
			continue
		}
		found = true
		if slices.ContainsFunc(awsPrincipals(st.NotPrincipal), func(v string) bool { return slices.Contains(names, v) }) {
			continue
		}
		st.NotPrincipal = nil
		st.Principal = map[string]any{"AWS": c.Request.Principal}
		kept = append(kept, st)
	}
	if !found {
		return nil, false
	}
	d.Statement = kept
	doc, err := json.Marshal(d)
	if err != nil {
		return nil, false
	}
	out := *c
	rp := *c.ResourcePolicy
	rp.Document = doc
	out.ResourcePolicy = &rp
	return &out, true
}

// evaluate returns iamdiag's verdict on the policies of c.
func evaluate(c *Case) (Verdict, error) {
	req, l, err := c.inputs()
	if err != nil {
		return Verdict{}, err
	}
	return policyVerdict(simulate.Evaluate(req, l, simulate.Options{})), nil
}
