package differential

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// Answer is iam-simulate's answer to one case: one line of run.mjs's
// output.
type Answer struct {
	ID                 string   `json:"id"`
	ResultType         string   `json:"resultType"`
	Overall            string   `json:"overall"`
	Error              string   `json:"error"`
	ErrorDetail        any      `json:"errorDetail"`
	SameAccount        bool     `json:"sameAccount"`
	BlockedBy          []string `json:"blockedBy"`
	IgnoredContextKeys []string `json:"ignoredContextKeys"`
	Layers             struct {
		Session  *LayerAnswer `json:"session"`
		Identity *LayerAnswer `json:"identity"`
		Boundary *LayerAnswer `json:"boundary"`
		Resource *LayerAnswer `json:"resource"`
		SCP      *OrgAnswer   `json:"scp"`
		RCP      *OrgAnswer   `json:"rcp"`
		Endpoint *LayerAnswer `json:"endpoint"`
	} `json:"layers"`
}

// LayerAnswer is iam-simulate's analysis of an identity-like or
// resource-based layer: the statements that allow and deny.
type LayerAnswer struct {
	Result              string   `json:"result"`
	Deny                []string `json:"deny"`
	Allow               []string `json:"allow"`
	AllowPrincipalMatch []string `json:"allowPrincipalMatch"`
	DenyPrincipalMatch  []string `json:"denyPrincipalMatch"`
}

// OrgAnswer is iam-simulate's analysis of the SCPs or RCPs, level by level.
type OrgAnswer struct {
	Result string `json:"result"`
	Levels []struct {
		Org    string   `json:"org"`
		Result string   `json:"result"`
		Deny   []string `json:"deny"`
		Allow  []string `json:"allow"`
	} `json:"levels"`
}

// Verdict is a decision and its blocking layers in a form both engines map
// to: "layer/explicit" for every layer with an applicable Deny;
// "layer/implicit" for a guardrail layer (SCP, RCP, boundary, session
// policy) that allows nothing and denies nothing; "core/implicit" when
// neither the identity nor the resource-based policy grants what the request
// needs.
type Verdict struct {
	Decision simulate.Decision
	Blockers []string
}

// blocker is what a verdict looks at in a blocker.
type blocker struct {
	Layer policy.Layer
	Kind  string
}

// Ours maps iamdiag's Result.
func Ours(r *simulate.Result) Verdict {
	bs := make([]blocker, len(r.Blockers))
	for i, b := range r.Blockers {
		bs[i] = blocker{b.Layer, b.Kind.String()}
	}
	return verdict(r.Decision, bs)
}

// policyVerdict maps what the policies alone decide in r: Ours, except for
// a request that a rule of AWS decides whatever the policies say
// (Result.Exception), where it maps the exception's PolicyDecision and
// PolicyBlockers. iam-simulate knows no such rule, so this is what it is
// compared with.
func policyVerdict(r *simulate.Result) Verdict {
	if r.Exception == nil {
		return Ours(r)
	}
	bs := make([]blocker, len(r.Exception.PolicyBlockers))
	for i, b := range r.Exception.PolicyBlockers {
		bs[i] = blocker{b.Layer, b.Kind.String()}
	}
	return verdict(r.Exception.PolicyDecision, bs)
}

// Expected maps the expectation of a case file (a kept disagreement) as
// Ours maps iamdiag's Result.
func Expected(c *Case) Verdict {
	bs := make([]blocker, len(c.Expect.Blockers))
	for i, b := range c.Expect.Blockers {
		bs[i] = blocker{policy.Layer(b.Layer), b.Kind}
	}
	var d simulate.Decision
	// An unknown name leaves d zero, which no verdict equals.
	_ = d.UnmarshalText([]byte(c.Expect.Decision))
	return verdict(d, bs)
}

func verdict(d simulate.Decision, blockers []blocker) Verdict {
	set := map[string]bool{}
	explicit := map[policy.Layer]bool{}
	for _, b := range blockers {
		if b.Kind == "explicit-deny" {
			explicit[b.Layer] = true
		}
	}
	for _, b := range blockers {
		switch {
		case b.Kind == "explicit-deny":
			set[string(b.Layer)+"/explicit"] = true
		case b.Layer == policy.LayerIdentity || b.Layer == policy.LayerResource:
			set["core/implicit"] = true
		case !explicit[b.Layer]:
			set[string(b.Layer)+"/implicit"] = true
		}
	}
	return Verdict{Decision: d, Blockers: sortedKeys(set)}
}

// Theirs maps iam-simulate's per-layer analysis. It also returns the
// decision those blockers imply, which must equal iam-simulate's own overall
// result (a check of this mapping).
func Theirs(c *Case, s *Answer) (Verdict, simulate.Decision) {
	set := map[string]bool{}
	L := s.Layers
	explicitL := func(l *LayerAnswer) bool { return l != nil && len(l.Deny) > 0 }
	if explicitL(L.Session) {
		set["session-policy/explicit"] = true
	}
	if explicitL(L.Identity) {
		set["identity-policy/explicit"] = true
	}
	if explicitL(L.Boundary) {
		set["permissions-boundary/explicit"] = true
	}
	if explicitL(L.Resource) {
		set["resource-policy/explicit"] = true
	}
	// The VPC endpoint policy must allow, as iamdiag's layer does.
	if explicitL(L.Endpoint) {
		set["vpc-endpoint-policy/explicit"] = true
	} else if L.Endpoint != nil && len(L.Endpoint.Allow) == 0 {
		set["vpc-endpoint-policy/implicit"] = true
	}
	org := func(o *OrgAnswer, layer string) {
		if o == nil {
			return
		}
		deny, noAllow := false, false
		for _, lv := range o.Levels {
			deny = deny || len(lv.Deny) > 0
			noAllow = noAllow || len(lv.Allow) == 0
		}
		if deny {
			set[layer+"/explicit"] = true
		} else if noAllow {
			set[layer+"/implicit"] = true
		}
	}
	org(L.SCP, "scp")
	org(L.RCP, "rcp")

	identityAllows := L.Identity != nil && len(L.Identity.Allow) > 0
	direct, account := false, false
	if L.Resource != nil {
		for _, m := range L.Resource.AllowPrincipalMatch {
			switch m {
			case "Match", "SessionRoleMatch", "SessionUserMatch":
				direct = true
			case "AccountLevelMatch":
				account = true
			}
		}
	}
	svc, _, _ := strings.Cut(strings.ToLower(c.Request.Action), ":")
	// Services whose resource policy must trust the account even for a
	// same-account caller: KMS key policies and role trust policies.
	explicitTrust := svc == "kms" && c.Request.Resource != "*" || svc == "sts" && c.ResourcePolicy != nil
	var core bool
	switch {
	case s.SameAccount && explicitTrust:
		core = direct || identityAllows && account
	case s.SameAccount:
		core = direct || identityAllows
	default:
		core = identityAllows && (direct || account)
	}
	if !core {
		set["core/implicit"] = true
	}
	if L.Session != nil && !explicitL(L.Session) && len(L.Session.Allow) == 0 {
		set["session-policy/implicit"] = true
	}
	if L.Boundary != nil && !explicitL(L.Boundary) && len(L.Boundary.Allow) == 0 {
		bypass := false
		if s.SameAccount && L.Resource != nil {
			bypass = slices.Contains(L.Resource.AllowPrincipalMatch, "Match")
			// For a role's ARN as the principal, iam-simulate lets only a
			// grant to everyone ("*") pass the boundary: a grant naming
			// the role is limited by it, as for the role's sessions.
			if bypass && isRoleARN(c.Request.Principal) {
				bypass = wildcardGrantMatched(c, L.Resource)
			}
		}
		if !bypass {
			set["permissions-boundary/implicit"] = true
		}
	}
	v := Verdict{Decision: simDecision(s.Overall), Blockers: sortedKeys(set)}
	implied := simulate.Allowed
	for k := range set {
		if strings.HasSuffix(k, "/explicit") {
			implied = simulate.ExplicitDeny
			break
		}
		implied = simulate.ImplicitDeny
	}
	return v, implied
}

func simDecision(s string) simulate.Decision {
	switch s {
	case "Allowed":
		return simulate.Allowed
	case "ExplicitlyDenied":
		return simulate.ExplicitDeny
	case "ImplicitlyDenied":
		return simulate.ImplicitDeny
	}
	return 0
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Outcome is the comparison of one case.
type Outcome struct {
	// Ours is iamdiag's verdict as compared: when a rule of AWS decides
	// the request whatever the policies say (Exception), the policies'
	// own verdict; Result holds the final one.
	Ours, Theirs Verdict
	// Exception is the rule of Result.Exception, "" when none applies.
	// Such a case is compared twice: the policies' verdict (Ours) with the
	// one iam-simulate's per-layer analysis implies (Theirs), and the final
	// decisions (Final) — iam-simulate applies some of these rules itself
	// (docs/DISAGREEMENTS.md, "Rules beyond the policies").
	Exception string
	// Final holds, for a case with an Exception, iamdiag's final decision
	// and iam-simulate's overall result.
	Final [2]simulate.Decision
	// Result is iamdiag's result for the case as compared: without the
	// context keys iam-simulate ignores for the action.
	Result *simulate.Result
	// Detail shows both engines' raw answers, for people.
	Detail string
	// Class is the accepted class of a disagreement, "" when unexplained
	// (or when they agree).
	Class string
	Agree bool
	// Skip says why the case could not be compared; the other fields are
	// then empty.
	Skip string
}

// Compare evaluates the case with iamdiag and compares the verdict with
// iam-simulate's answer s. An error means the case cannot be evaluated.
func Compare(c *Case, s *Answer) (Outcome, error) {
	if s.ResultType != "single" {
		return Outcome{Skip: fmt.Sprintf("iam-simulate %s: %s %v", s.ResultType, s.Error, s.ErrorDetail)}, nil
	}
	// Keys iam-simulate drops as not applying to the action would not be in
	// AWS's request context either: drop them on our side too.
	cc := *c
	cc.Request.Context = map[string][]string{}
	for k, v := range c.Request.Context {
		if !slices.ContainsFunc(s.IgnoredContextKeys, func(i string) bool { return strings.EqualFold(i, k) }) {
			cc.Request.Context[k] = v
		}
	}
	req, l, err := cc.inputs()
	if err != nil {
		return Outcome{}, err
	}
	res := simulate.Evaluate(req, l, simulate.Options{})
	o := Outcome{Ours: policyVerdict(res), Result: res}
	if res.Exception != nil {
		o.Exception = res.Exception.Rule
	}
	var sb strings.Builder
	for _, b := range res.Blockers {
		fmt.Fprintf(&sb, "  iamdiag blocker: %s %s policy=%q statement=%q target=%q\n", b.Layer, b.Kind, b.Policy, b.Statement, b.Target)
	}
	for _, lr := range res.Layers {
		fmt.Fprintf(&sb, "  iamdiag layer: %s %s (%s)\n", lr.Layer, lr.Decision, lr.Note)
	}
	if res.Exception != nil {
		fmt.Fprintf(&sb, "  iamdiag exception: %s, %s whatever the policies say; the policies alone: %s\n", res.Exception.Rule, res.Decision, res.Exception.PolicyDecision)
	}
	raw, _ := json.Marshal(s)
	fmt.Fprintf(&sb, "  iam-simulate: %s\n", raw)
	o.Detail = sb.String()
	var implied simulate.Decision
	o.Theirs, implied = Theirs(c, s)
	if o.Theirs.Decision == 0 {
		return Outcome{Skip: fmt.Sprintf("iam-simulate's overall result %q is none of Allowed, ExplicitlyDenied, ImplicitlyDenied", s.Overall)}, nil
	}
	if res.Exception != nil {
		return compareException(&cc, s, o, implied), nil
	}
	if implied != o.Theirs.Decision {
		return Outcome{Skip: fmt.Sprintf("mapping of iam-simulate's analysis implies %s, it said %s (blockers %v)", implied, o.Theirs.Decision, o.Theirs.Blockers)}, nil
	}
	o.Agree = cmp.Equal(o.Ours, o.Theirs)
	if !o.Agree {
		o.Class = Classify(&cc, o.Ours, o.Theirs)
	}
	return o, nil
}

// compareException compares a case that a rule of AWS decides whatever
// the policies say (o.Result.Exception). iam-simulate has rules of its own,
// applied after its per-layer analysis: it allows sts:GetCallerIdentity
// without analysing any layer, and answers ImplicitlyDenied to a change of
// an AWS managed policy whatever the layers decide. So the policies'
// verdicts are compared where iam-simulate analysed the layers (its
// analysis implies the decision implied), and the final decisions always:
// iamdiag's Allowed with iam-simulate's Allowed, and AlwaysFails with
// ImplicitlyDenied, iam-simulate's answer to a call that cannot succeed.
func compareException(c *Case, s *Answer, o Outcome, implied simulate.Decision) Outcome {
	L := s.Layers
	analysed := L.Session != nil || L.Identity != nil || L.Boundary != nil || L.Resource != nil || L.SCP != nil || L.RCP != nil
	o.Final = [2]simulate.Decision{o.Result.Decision, o.Theirs.Decision}
	if !analysed {
		o.Theirs = Verdict{}
	} else {
		o.Theirs.Decision = implied
	}
	finalAgree := o.Final[0] == o.Final[1] || o.Final[0] == simulate.AlwaysFails && o.Final[1] == simulate.ImplicitDeny
	policyAgree := !analysed || cmp.Equal(o.Ours, o.Theirs)
	o.Agree = finalAgree && policyAgree
	switch {
	case o.Agree:
	case !policyAgree:
		// The policies disagree: the ordinary classes apply, and the
		// final decisions must then correspond, or be explained by a
		// class about the rule.
		o.Class = Classify(c, o.Ours, o.Theirs)
		if o.Class != "" && !finalAgree {
			if k := classifyFinal(c, o.Exception, o.Final); k != "" {
				o.Class += "+" + k
			} else {
				o.Class = ""
			}
		}
	default:
		o.Class = classifyFinal(c, o.Exception, o.Final)
	}
	return o
}

// isRoleARN reports whether arn is an IAM role's ARN.
func isRoleARN(arn string) bool {
	a, ok := policy.ParseARN(arn)
	return ok && a.Service == "iam" && strings.HasPrefix(a.Resource, "role/")
}

// wildcardGrantMatched reports whether one of the resource policy's Allow
// statements that iam-simulate matched as "Match" has the Principal "*" or
// names "*" among its AWS values. iam-simulate names a statement
// "/Sid", or "/N" (1-based) when it has no Sid.
func wildcardGrantMatched(c *Case, l *LayerAnswer) bool {
	if c.ResourcePolicy == nil {
		return false
	}
	var d document
	if json.Unmarshal(c.ResourcePolicy.Document, &d) != nil {
		return false
	}
	for i, id := range l.Allow {
		if i >= len(l.AllowPrincipalMatch) || l.AllowPrincipalMatch[i] != "Match" {
			continue
		}
		for n, st := range d.Statement {
			name := st.Sid
			if name == "" {
				name = strconv.Itoa(n + 1)
			}
			if "/"+name == id && st.Effect == "Allow" && (st.Principal == "*" || slices.Contains(awsPrincipals(st.Principal), "*")) {
				return true
			}
		}
	}
	return false
}
