package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/iamdiag/iamdiag/internal/catalog"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// allowAll stands in for the identity layer when only the SCPs are asked:
// with it, Decide answers "do the SCPs deny this?".
var allowAll = func() []policy.Source {
	doc, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	if err != nil {
		panic("audit: parsing the allow-all policy: " + err.Error())
	}
	return []policy.Source{{Layer: policy.LayerIdentity, Name: "allow-all", Origin: "iamdiag audit", Document: doc}}
}()

// scpKey caches an SCP verdict: per account, and per principal only when
// the account's SCPs read the principal (aws:PrincipalArn, principal tags,
// policy variables).
type scpKey struct{ account, principal, action, resource string }

// scpVerdict is what the SCP layer alone says about one action on one
// resource, with the empty request context.
type scpVerdict struct {
	denied bool
	// regardless: the deny does not depend on the request context (no
	// condition, or conditions only on the principal, whose keys the
	// snapshot knows).
	regardless bool
	explicit   bool
	policy     string
	name       string
	statement  string
	target     string
	// conditions renders the conditions the deny depends on.
	conditions string
}

var notDenied = &scpVerdict{}

// deadGrants reports, for every Allow statement of the principal's
// identity policies, the actions it allows that an SCP denies: allowed by
// the principal's layers without the SCPs (with the statement's own
// conditions taken as met), denied by the SCPs. SCPs are evaluated with an
// empty request context, so a deny is "regardless" only when its statement
// has no condition other than on the principal; other denies are "dead
// unless" and reported only with Options.Conditional.
func (a *auditor) deadGrants(p principal, l *policy.Layers) []Finding {
	switch {
	case l.SCPRead.Unreadable:
		if l.SCPRead.Error == "NoOrganizationData" {
			// The layer's message offers policy files, which audit
			// does not take: say what audit can do.
			a.warnf("SCPs are unknown (%s), so grants dead by an SCP were not looked for: the snapshot has no organization data; capture one with `iamdiag snapshot` from the management account or a delegated administrator, or audit the live account from there", l.SCPRead.Error)
			return nil
		}
		a.warnf("SCPs are unknown (%s), so grants dead by an SCP were not looked for: %s", l.SCPRead.Error, l.SCPRead.Message)
		return nil
	case len(l.SCP) == 0, l.Principal.ServiceLinked:
		// "SCPs do not affect service-linked roles"
		// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).
		return nil
	case l.ManagementAccount != "" && l.Principal.Account == l.ManagementAccount:
		// "SCPs don't affect users or roles in the management account"
		// (same page).
		return nil
	}
	acct := l.Principal.Account
	shape := a.scpShapeOf(acct, l.SCP)
	pkey := ""
	if shape.readsPrincipal {
		pkey = p.arn
	}
	noSCP := *l
	noSCP.SCP, noSCP.SCPRead = nil, policy.Readability{}

	type groupKey struct {
		src, stmt                            int
		policy, statement, target, condition string
		regardless                           bool
	}
	type group struct {
		v         *scpVerdict
		actions   []string
		truncated bool
	}
	groups := map[groupKey]*group{}
	var order []groupKey
	for si := range l.Identity {
		src := &l.Identity[si]
		if src.Document == nil {
			continue
		}
		for ti := range src.Document.Statements {
			st := &src.Document.Statements[ti]
			if st.Effect != policy.Allow || len(st.Action) == 0 {
				continue
			}
			cands := a.candidates(acct, pkey, shape, p.arn, l, st)
			if len(cands) == 0 {
				continue
			}
			without := &noSCP
			if len(st.Conditions) > 0 {
				without = a.withStripped(&noSCP, si, ti)
			}
			for i, c := range cands {
				v := c.v
				k := groupKey{si, ti, v.policy, v.statement, v.target, v.conditions, v.regardless}
				g := groups[k]
				if g == nil {
					g = &group{v: v}
					groups[k] = g
					order = append(order, k)
				}
				if i >= a.opt.MaxActions {
					g.truncated = true
					continue
				}
				req := &policy.Request{Principal: policy.Principal{ARN: p.arn}, Action: c.action, Resource: c.resource, Context: &policy.Context{}}
				if simulate.Decide(req, without, simulate.Options{}) != simulate.Allowed {
					continue
				}
				g.actions = append(g.actions, c.action)
			}
		}
	}
	var out []Finding
	for _, k := range order {
		g := groups[k]
		if len(g.actions) == 0 {
			continue
		}
		acts := sorted(g.actions)
		src := &l.Identity[k.src]
		st := &src.Document.Statements[k.stmt]
		out = append(out, deadFinding(p.arn, src, st, g.v, acts, g.truncated, a.snap.PolicyTargets(g.v.policy)))
	}
	return out
}

// candidate is an action on a resource that a statement allows and the
// SCPs deny.
type candidate struct {
	action, resource string
	v                *scpVerdict
}

// candKey caches the candidates of a statement by what decides them: the
// account (and principal, when the SCPs read it) and the statement's
// actions and resources. Many policies repeat the same statement.
type candKey struct{ account, principal, actions, resources string }

// candidates returns the actions (on the statement's resources) that the
// account's SCPs deny, keeping only denies that hold whatever the request
// unless Options.Conditional is set.
func (a *auditor) candidates(acct, pkey string, shape *scpShape, principalARN string, l *policy.Layers, st *policy.Statement) []candidate {
	resources := st.Resource
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	k := candKey{acct, pkey, strings.Join(st.Action, "\x00"), strings.Join(resources, "\x00")}
	if v, ok := a.candCache.Load(k); ok {
		return v.([]candidate)
	}
	var out []candidate
	compute := func() []candidate {
		return a.computeCandidates(acct, pkey, shape, principalARN, l, st.Action, resources)
	}
	if chain := a.scpChain(acct, l.SCP); chain >= 0 && pkey == "" && !a.opt.Conditional && !shape.readsResource && !strings.Contains(k.resources, accountMark) {
		// The verdicts then depend on the resource's account only by
		// whether it is the principal's (see verdict): the statement's
		// candidates are computed once per chain, each account reading
		// them with its own id in the resources.
		sk := candShareKey{chain: chain, actions: k.actions, resources: strings.ReplaceAll(k.resources, acct, accountMark)}
		out = a.shared.candidates(sk, acct, compute)
	} else {
		out = compute()
	}
	v, _ := a.candCache.LoadOrStore(k, out)
	return v.([]candidate)
}

// computeCandidates is candidates without the caches of statements.
func (a *auditor) computeCandidates(acct, pkey string, shape *scpShape, principalARN string, l *policy.Layers, actions, resources []string) []candidate {
	var out []candidate
	for _, act := range expandActions(actions) {
		for _, res := range resources {
			rk := res
			if !shape.readsResource {
				rk = resourceSummary(res)
			}
			v := a.verdict(scpKey{acct, pkey, act, rk}, principalARN, l, res)
			if !v.denied || (!v.regardless && !a.opt.Conditional) {
				continue
			}
			out = append(out, candidate{act, res, v})
		}
	}
	return out
}

// resourceSummary keeps of a resource ARN what SCP evaluation can read
// when no SCP names a resource: the region and account the engine infers
// aws:RequestedRegion and aws:ResourceAccount from.
func resourceSummary(res string) string {
	a, ok := policy.ParseARN(res)
	if !ok {
		return res
	}
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account
}

// deadFinding builds the IAMA002/IAMA003 finding of one identity statement
// and one SCP statement.
func deadFinding(principalARN string, src *policy.Source, st *policy.Statement, v *scpVerdict, acts []string, truncated bool, targets []string) Finding {
	rule := RuleSCPDead
	if !v.regardless {
		rule = RuleSCPDeadUnless
	}
	policyID := src.ARN
	if policyID == "" {
		policyID = src.Origin
	}
	what := acts[0]
	if len(acts) > 1 {
		show := acts[:min(len(acts), 8)]
		what = strings.Join(show, ", ")
		if len(acts) > len(show) {
			what += fmt.Sprintf(" and %d more", len(acts)-len(show))
		}
	}
	if truncated {
		what += " (the check stopped at the action cap)"
	}
	it := "it"
	if len(acts) > 1 {
		it = "them"
	}
	var by string
	if v.explicit {
		by = fmt.Sprintf("SCP %s (statement %s, attached to %s) denies %s", v.name, v.statement, v.target, it)
	} else {
		by = fmt.Sprintf("no SCP attached to %s allows %s", v.target, it)
	}
	msg := fmt.Sprintf("identity policy %s allows %s but %s", orName(src), what, by)
	switch {
	case v.regardless:
		msg += ": the grant is dead whatever the request"
	case v.explicit:
		msg += " unless the request escapes the Deny's condition: " + v.conditions
	default:
		msg += " unless the request meets the Allow's condition: " + v.conditions
	}
	also := ""
	if others := slices.DeleteFunc(slices.Clone(targets), func(t string) bool { return t == v.target }); len(others) > 0 {
		also = " and " + strings.Join(others, ", ")
	}
	fix := fmt.Sprintf("Widening the identity policy cannot help: an SCP applies to every principal of the accounts under %s%s and a Deny there wins. Either remove the dead grant from %s, or ask the organization administrator (the management account or a delegated administrator) to narrow SCP %s: an exception condition such as aws:PrincipalArn for this role, never deleting the Deny, and knowing that the change reaches every account under it.", v.target, also, orName(src), v.name)
	if v.policy == "" && !v.explicit {
		fix = fmt.Sprintf("Widening the identity policy cannot help: every level from the root to the account must allow the action. Either remove the dead grant from %s, or ask the organization administrator to allow the action in an SCP attached to %s (it then applies to every account under it).", orName(src), v.target)
	}
	f := Finding{Rule: rule, Severity: ruleSeverity(rule), Principal: principalARN, Policy: policyID, PolicyName: src.Name,
		Statement: st.ID(), Message: msg, Why: why[rule], Fix: fix, Actions: acts,
		subject: v.policy + "|" + v.statement + "|" + v.target}
	f.ID = findingID(f.Rule, f.Principal, f.Policy, f.Statement, f.subject)
	return f
}

func orName(src *policy.Source) string {
	switch {
	case src.Name != "" && src.ARN != "":
		return src.Name
	case src.Origin != "":
		return src.Origin
	case src.ARN != "":
		return src.ARN
	}
	return src.Name
}

// expandActions returns the actions an Action element names: every catalog
// action a pattern matches, and literal actions as written (an action the
// catalog does not know is still granted as written).
func expandActions(patterns []string) []string {
	var out []string
	for _, pat := range patterns {
		if !strings.ContainsAny(pat, "*?") {
			if act, ok := catalog.Lookup(pat); ok {
				out = append(out, act.FullName())
			} else {
				out = append(out, pat)
			}
			continue
		}
		for _, act := range catalog.Expand(pat) {
			out = append(out, act.FullName())
		}
	}
	if len(patterns) > 1 {
		slices.Sort(out)
		out = slices.Compact(out)
	}
	return out
}

// verdict returns, cached, what the SCPs alone say about one action on one
// resource for this principal's account.
func (a *auditor) verdict(k scpKey, principalARN string, l *policy.Layers, resource string) *scpVerdict {
	chain := a.scpChain(k.account, l.SCP)
	if chain < 0 {
		if v, ok := a.scpCache.Load(k); ok {
			return v.(*scpVerdict)
		}
		v, _ := a.scpCache.LoadOrStore(k, a.computeVerdict(k, principalARN, l, resource))
		return v.(*scpVerdict)
	}
	sk := sharedKey{chain: chain, principal: k.principal, action: k.action, resource: k.resource}
	if a.scpShapeOf(k.account, l.SCP).readsResource {
		res, _ := policy.ParseARN(resource)
		sk.sameAccount = res.Account == k.account
	} else if self := ":" + k.account; strings.HasSuffix(k.resource, self) {
		// k.resource is resourceSummary's: the resource's account
		// last.
		sk.sameAccount = true
		if k.principal == "" && !a.opt.Conditional {
			// The SCPs as evaluated then hold no condition (only
			// those on the principal would stay, and none reads it)
			// and no resource: of the resource's account only whether
			// it is the principal's counts.
			sk.resource = k.resource[:len(k.resource)-len(k.account)]
		}
	}
	return a.shared.verdict(sk, k.account, func() *scpVerdict { return a.computeVerdict(k, principalARN, l, resource) })
}

// scpChain returns the id of the account's SCP chain in a.shared; -1 when
// verdicts are not shared.
func (a *auditor) scpChain(acct string, levels []policy.OrgLevel) int {
	if a.shared == nil {
		return -1
	}
	if v, ok := a.chainIDs.Load(acct); ok {
		return v.(int)
	}
	v, _ := a.chainIDs.LoadOrStore(acct, a.shared.chain(acct, levels))
	return v.(int)
}

// computeVerdict evaluates the SCPs alone on one action and resource.
func (a *auditor) computeVerdict(k scpKey, principalARN string, l *policy.Layers, resource string) *scpVerdict {
	scp := l.SCP
	if !a.opt.Conditional {
		// Only denies that hold whatever the request are wanted: drop the
		// Denies whose conditions read the request and take such
		// conditions of Allows as met, so that what still denies does so
		// regardless.
		scp = a.relaxLevels(&a.regardlessSCP, l.Principal.Account, l.SCP, isPrincipalKey, &a.regardlessDoc)
	}
	only := &policy.Layers{Principal: l.Principal, OrgID: l.OrgID, ManagementAccount: l.ManagementAccount,
		SCP: scp, Identity: allowAll, SessionKnown: true}
	req := &policy.Request{Principal: policy.Principal{ARN: principalARN}, Action: k.action, Resource: resource, Context: &policy.Context{}}
	if simulate.Decide(req, only, simulate.Options{}) != simulate.Allowed {
		return classify(simulate.Evaluate(req, only, simulate.Options{}))
	}
	return notDenied
}

// classify picks the SCP blocker to report: one that denies whatever the
// request if there is one, else the first.
func classify(res *simulate.Result) *scpVerdict {
	var first *scpVerdict
	for _, b := range res.Blockers {
		if b.Layer != policy.LayerSCP {
			continue
		}
		v := &scpVerdict{denied: true, explicit: b.Kind == simulate.BlockerExplicitDeny, policy: b.Policy, name: b.PolicyName,
			statement: b.Statement, target: b.Target}
		v.regardless = true
		var conds []string
		for _, c := range b.Conditions {
			if !v.explicit || !isPrincipalKey(c.Key) {
				v.regardless = false
				conds = append(conds, c.Operator+" "+c.Key+" ["+strings.Join(c.PolicyValues, ", ")+"]")
			}
		}
		v.conditions = strings.Join(conds, "; ")
		if v.name == "" {
			v.name = v.policy
		}
		if v.regardless {
			return v
		}
		if first == nil {
			first = v
		}
	}
	if first == nil {
		// Denied, but not by an SCP (cannot happen with an allow-all
		// identity layer): report nothing rather than a wrong culprit.
		return notDenied
	}
	return first
}

// principalKeys are the global condition keys that describe the
// principal: the snapshot knows their values, so a condition on them does
// not depend on the request
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principal-properties).
var principalKeys = []string{"aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
	"aws:PrincipalType", "aws:userid", "aws:username", "aws:PrincipalIsAWSService", "aws:PrincipalServiceName"}

func isPrincipalKey(key string) bool {
	if len(key) > len("aws:PrincipalTag/") && strings.EqualFold(key[:len("aws:PrincipalTag/")], "aws:PrincipalTag/") {
		return true
	}
	for _, k := range principalKeys {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// scpShape says what an account's SCPs read beyond the action: the
// principal (a principal key or a policy variable), and resources other
// than "*". Verdicts are cached per principal and resource only when they
// do.
type scpShape struct{ readsPrincipal, readsResource bool }

func (a *auditor) scpShapeOf(acct string, levels []policy.OrgLevel) *scpShape {
	if v, ok := a.scpPrinc.Load(acct); ok {
		return v.(*scpShape)
	}
	sh := &scpShape{}
	for _, lv := range levels {
		for _, src := range lv.Policies {
			if src.Document == nil {
				continue
			}
			if docReadsPrincipal(src.Document) {
				sh.readsPrincipal = true
			}
			for i := range src.Document.Statements {
				st := &src.Document.Statements[i]
				if st.NotResource != nil || len(st.Resource) != 1 || st.Resource[0] != "*" {
					sh.readsResource = true
				}
			}
		}
	}
	v, _ := a.scpPrinc.LoadOrStore(acct, sh)
	return v.(*scpShape)
}

func docReadsPrincipal(doc *policy.Document) bool {
	hasVar := func(vals []string) bool {
		for _, v := range vals {
			if strings.Contains(v, "${") {
				return true
			}
		}
		return false
	}
	for i := range doc.Statements {
		st := &doc.Statements[i]
		if hasVar(st.Resource) || hasVar(st.NotResource) {
			return true
		}
		for _, c := range st.Conditions {
			if isPrincipalKey(c.Key) || hasVar(c.Values) {
				return true
			}
		}
	}
	return false
}

// stripKey names an identity document with one statement's conditions
// removed.
type stripKey struct {
	doc  *policy.Document
	stmt int
}

// withStripped returns l with statement ti of identity source si stripped
// of its conditions: "allowed when the statement's conditions hold".
func (a *auditor) withStripped(l *policy.Layers, si, ti int) *policy.Layers {
	src := l.Identity[si]
	k := stripKey{src.Document, ti}
	var doc *policy.Document
	if v, ok := a.stripCache.Load(k); ok {
		doc = v.(*policy.Document)
	} else {
		d := *src.Document
		d.Statements = slices.Clone(src.Document.Statements)
		d.Statements[ti].Conditions = nil
		v, _ := a.stripCache.LoadOrStore(k, &d)
		doc = v.(*policy.Document)
	}
	out := *l
	out.Identity = slices.Clone(l.Identity)
	out.Identity[si].Document = doc
	return &out
}
