package fix

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// Options supplies what the fix suggestions need beyond the evaluation:
// facts about the account and organization that a Result does not carry.
// Every field may be nil; the fixes then say what they could not check.
type Options struct {
	// PolicyUsers returns the users, groups and roles a customer managed
	// policy is attached to (as a permissions policy), as ARNs.
	PolicyUsers func(policyARN string) []string
	// BoundaryUsers returns the users and roles that have policyARN as their
	// permissions boundary, as ARNs.
	BoundaryUsers func(policyARN string) []string
	// PolicyTargets returns every root, OU and account an SCP or RCP is
	// attached to.
	PolicyTargets func(policyARN string) []string
}

// Change says what a Fix does to its policy.
type Change string

// The changes a Fix can make.
const (
	// AppendStatement appends Allow statements to an existing policy.
	AppendStatement Change = "append-statement"
	// AddException adds an exception condition to a Deny statement (the
	// statement stays).
	AddException Change = "add-exception"
	// NewPolicy creates a policy that does not exist yet (a new inline
	// policy, a new SCP, a customer managed copy of an AWS managed
	// boundary).
	NewPolicy Change = "new-policy"
	// NewSession starts a new session with the session policy of the fix:
	// a session policy cannot be changed after the fact.
	NewSession Change = "new-session"
	// NoChange means no document can clear the blocker: the summary says
	// what to do instead.
	NoChange Change = "none"
)

// Fix is the smallest change to one policy that clears the blockers in it,
// the `fix` entries of the JSON contract.
type Fix struct {
	// Layer is the layer of the policy to change.
	Layer policy.Layer `json:"layer"`
	// Policy is the ARN of the policy to change or, for a policy without one
	// (inline, file), where it comes from; empty for a policy to create.
	Policy string `json:"policy"`
	// PolicyName names the policy to change or to create.
	PolicyName string `json:"policy_name"`
	// Summary says, for people, what the change does, who must make it and
	// what else it touches.
	Summary string `json:"summary"`
	// Document is the whole corrected policy document; null when no
	// document can clear the blocker (Change is NoChange).
	Document json.RawMessage `json:"document"`
	// Diff is a unified diff from the current document to Document.
	Diff string `json:"diff"`
	// Change says what kind of change this is.
	Change Change `json:"change"`
	// Statements are the Sids of the statements added or changed.
	Statements []string `json:"statements"`
	// AttachTo says where a new policy goes: the role or user ARN for an
	// inline policy, the root/OU/account id for an SCP.
	AttachTo string `json:"attach_to,omitempty"`
	// Who is who must make the change when the developer cannot alone.
	Who string `json:"who,omitempty"`
	// AlsoAffects lists what else the changed policy applies to: the OUs
	// and accounts an SCP or RCP is attached to, the principals that share
	// a managed policy or a permissions boundary.
	AlsoAffects []string `json:"also_affects,omitempty"`
	// AlsoAffectsPartial is true when AlsoAffects may be incomplete (the
	// source did not list every attachment).
	AlsoAffectsPartial bool `json:"also_affects_partial,omitempty"`
	// Companions are the permissions the action usually needs besides
	// itself, each marked included (in Document) or optional.
	Companions []Companion `json:"companions,omitempty"`
	// Notes are further remarks for people.
	Notes []string `json:"notes,omitempty"`

	// Blockers are the indexes in Result.Blockers this fix clears.
	Blockers []int `json:"-"`
	// doc is Document parsed; nil when Document is null.
	doc *policy.Document
	// target is, for a new SCP, the level it is to be attached to.
	target string
	// reach are the sentences of Summary that say who must act and what
	// else the change touches, which Who and AlsoAffects also hold.
	reach []string
}

// What is Summary without the sentences that Who and AlsoAffects repeat,
// for renderers that show those fields on lines of their own.
func (fx *Fix) What() string {
	s := fx.Summary
	for _, r := range fx.reach {
		s = strings.Replace(s, r, "", 1)
	}
	return s
}

// Companion is a permission an action usually needs besides itself: another
// resource type of the same action or another action.
type Companion struct {
	Action string `json:"action"`
	// ResourceType is set when the companion is another resource type of
	// the same action.
	ResourceType string `json:"resource_type,omitempty"`
	// Included is true when the fix's document grants it: the request
	// showed it is needed and iamdiag could name its resources.
	Included bool `json:"included"`
	// Why says when it is needed, and why it is left out when it is.
	Why string `json:"why"`
	// Doc is the AWS documentation page that says so.
	Doc string `json:"doc"`
}

// whoOrganizations is who can change an SCP or RCP.
const whoOrganizations = "an organization administrator: the management account or a delegated administrator for AWS Organizations"

// Fixes returns one fix per policy to change so that every blocker of res
// is cleared, or, for an inconclusive result, what to read. An allowed
// result has none.
func Suggest(res *simulate.Result, opt Options) []Fix {
	if res == nil || res.Request == nil {
		return nil
	}
	f := &fixer{res: res, opt: opt, req: res.Request, byKey: map[string]*Fix{}}
	if res.Decision == simulate.Inconclusive {
		return f.inconclusive()
	}
	for i, b := range res.Blockers {
		f.blocker(i, b)
	}
	for _, fx := range f.order {
		f.finish(fx)
	}
	out := make([]Fix, 0, len(f.order))
	for _, fx := range f.order {
		out = append(out, *fx)
	}
	return out
}

// fixer builds the fixes of one result.
type fixer struct {
	res   *simulate.Result
	opt   Options
	req   *policy.Request
	order []*Fix
	byKey map[string]*Fix
	// work holds the document being changed, per fix.
	work map[*Fix]*working
}

// working is a fix under construction: the current document and the copy
// being changed.
type working struct {
	old *policy.Document // nil for a new policy
	doc *policy.Document
}

func (f *fixer) get(key string, init func() (*Fix, *working)) (*Fix, *working) {
	if fx, ok := f.byKey[key]; ok {
		return fx, f.work[fx]
	}
	fx, w := init()
	f.byKey[key] = fx
	f.order = append(f.order, fx)
	if f.work == nil {
		f.work = map[*Fix]*working{}
	}
	f.work[fx] = w
	return fx, w
}

// blocker adds the change that clears blocker i.
func (f *fixer) blocker(i int, b simulate.Blocker) {
	switch {
	case b.Layer == policy.LayerS3PublicAccess:
		f.publicAccess(i, b)
	case b.Kind == simulate.BlockerImplicitDeny && absentPerimeterKey(b.Conditions, false) != "":
		f.perimeterAllow(i, b, absentPerimeterKey(b.Conditions, false))
	case b.Kind == simulate.BlockerExplicitDeny:
		f.explicitDeny(i, b)
	case b.Layer == policy.LayerIdentity:
		f.missingIdentity(i, b)
	case b.Layer == policy.LayerBoundary:
		f.missingBoundary(i, b)
	case b.Layer == policy.LayerSession:
		f.missingSession(i, b)
	case b.Layer == policy.LayerResource:
		f.missingResource(i, b)
	case b.Layer == policy.LayerSCP || b.Layer == policy.LayerRCP:
		f.missingOrg(i, b)
	case b.Layer == policy.LayerVPCEndpoint:
		f.missingVPCEndpoint(i, b)
	}
}

// publicAccess explains S3 Block Public Access, which no policy change
// can clear without removing a guardrail.
func (f *fixer) publicAccess(i int, b simulate.Blocker) {
	fx, _ := f.get(string(b.Layer), func() (*Fix, *working) {
		return &Fix{Layer: b.Layer, Change: NoChange}, nil
	})
	fx.Blockers = append(fx.Blockers, i)
	fx.Who = "the bucket owner's account administrator"
	fx.Summary = "S3 Block Public Access (RestrictPublicBuckets) refuses anonymous and cross-account callers while the bucket policy is public; keep it on, as AWS recommends: give the caller credentials of the bucket owner's account, a presigned URL, or a CDN with origin access control; or grant the caller by name (Principal with its ARN or account), which makes the grant non-public. Turning RestrictPublicBuckets off at the bucket and the account removes that guardrail for every object of the bucket (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html)"
}

// layer returns the evaluation of a layer, or nil.
func (f *fixer) layer(l policy.Layer) *simulate.LayerResult {
	for i := range f.res.Layers {
		if f.res.Layers[i].Layer == l {
			return &f.res.Layers[i]
		}
	}
	return nil
}

// findSource finds the source a blocker names in its layer (and level).
func (f *fixer) findSource(b simulate.Blocker) *policy.Source {
	lr := f.layer(b.Layer)
	if lr == nil {
		return nil
	}
	match := func(pols []simulate.PolicyResult) *policy.Source {
		for _, p := range pols {
			if p.Source != nil && p.Source.ID() == b.Policy {
				return p.Source
			}
		}
		return nil
	}
	for _, lv := range lr.Levels {
		if b.Target != "" && lv.Target != b.Target {
			continue
		}
		if s := match(lv.Policies); s != nil {
			return s
		}
	}
	return match(lr.Policies)
}

// principalARN is the value of aws:PrincipalArn for the request: the role
// or user ARN with its path.
func (f *fixer) principalARN() string {
	if f.req.Principal.IAMARN != "" {
		return f.req.Principal.IAMARN
	}
	if f.req.Context != nil {
		if v, ok := f.req.Context.Get("aws:PrincipalArn"); ok && len(v) == 1 {
			return v[0]
		}
	}
	return ""
}

// explicitDeny adds an exception for the caller to the Deny statement that
// matched, never deleting it.
func (f *fixer) explicitDeny(i int, b simulate.Blocker) {
	src := f.findSource(b)
	key := string(b.Layer) + "|" + b.Policy
	fx, w := f.get(key, func() (*Fix, *working) {
		fx := &Fix{Layer: b.Layer, Policy: b.Policy, PolicyName: b.PolicyName, Change: AddException}
		if src == nil || src.Document == nil {
			return fx, nil
		}
		return fx, &working{old: src.Document, doc: clone(src.Document)}
	})
	fx.Blockers = append(fx.Blockers, i)
	if b.Layer == policy.LayerSession {
		fx.Change = NoChange
		fx.Summary = joinSummary(fx.Summary, "the session policy "+QuoteName(b.PolicyName, b.Policy)+" denies this call (statement "+b.Statement+"), and a session policy cannot be changed after the fact: start a new session (sts:AssumeRole) without this session policy, or with one whose Deny does not cover "+f.req.Action)
		fx.Notes = appendUnique(fx.Notes, "session policies: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session")
		return
	}
	if w == nil || w.doc == nil {
		fx.Change = NoChange
		fx.Summary = joinSummary(fx.Summary, "the denying policy's document is not available: read "+QuoteName(b.PolicyName, b.Policy)+" and add an exception for this principal to statement "+b.Statement)
		return
	}
	arn := f.principalARN()
	st := statementByID(w.doc, b.Statement)
	switch {
	case st == nil:
		fx.Change = NoChange
		fx.Summary = joinSummary(fx.Summary, "statement "+b.Statement+" was not found in "+QuoteName(b.PolicyName, b.Policy))
		return
	case arn == "":
		fx.Change = NoChange
		fx.Summary = joinSummary(fx.Summary, "the caller's IAM ARN is unknown, so no aws:PrincipalArn exception can be written: give the caller's role or user ARN, then add the exception to statement "+b.Statement)
		return
	case absentPerimeterKey(b.Conditions, true) != "":
		key := absentPerimeterKey(b.Conditions, true)
		fx.Change = NoChange
		fx.Summary = joinSummary(fx.Summary, "statement "+b.Statement+" of "+QuoteName(b.PolicyName, b.Policy)+" is a network or data perimeter on "+key+
			", and the request as given carried no "+key+": make the call the way the perimeter expects (through the VPC endpoint, network or organization it names), or, if the call carried the key, diagnose again with its value; an exception would remove the perimeter for this principal")
		fx.Notes = appendUnique(fx.Notes, "data perimeters: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_data-perimeters.html")
		return
	case namesPrincipal(b.Conditions, arn):
		fx.Change = NoChange
		fx.Summary = joinSummary(fx.Summary, "statement "+b.Statement+" of "+QuoteName(b.PolicyName, b.Policy)+" denies this principal by name (aws:PrincipalArn): it is meant to; an exception would undo it. Ask the policy's owner why, rather than changing it")
		return
	}
	if (b.Layer == policy.LayerIdentity || b.Layer == policy.LayerBoundary) && f.onlyThisPrincipal(src) {
		// An aws:PrincipalArn exception for the only principal the
		// policy applies to would cancel the Deny for everyone it
		// guards: narrow it to this action on this resource instead.
		only := "statement " + b.Statement + " of " + QuoteName(b.PolicyName, b.Policy) + " applies only to " + arn + ", so an aws:PrincipalArn exception for it would cancel the Deny's guardrail for its only target"
		if sid, ok := f.narrowDeny(w.doc, st); ok {
			fx.Statements = appendUnique(fx.Statements, st.ID(), sid)
			fx.Summary = joinSummary(fx.Summary, only+". Narrower: the statement no longer denies "+f.req.Action+" on "+f.req.Resource+" (statement "+sid+" denies it on every other resource) and still denies everything else it did")
			return
		}
		fx.Notes = appendUnique(fx.Notes, only+"; the narrower change (this action on this resource only) cannot be written for this statement: consider deleting or rewriting it knowingly instead")
	}
	how := addPrincipalException(st, arn)
	fx.Statements = appendUnique(fx.Statements, st.ID())
	var s strings.Builder
	s.WriteString("keep the Deny in statement " + b.Statement + " of " + QuoteName(b.PolicyName, b.Policy) + " and " + how + " " + arn)
	s.WriteString(": the statement then no longer applies to this principal, for every action it denies (")
	s.WriteString(strings.Join(denied(st), ", "))
	s.WriteString("), and still applies to every other principal")
	if st.NotPrincipal != nil {
		fx.Notes = appendUnique(fx.Notes, "the statement uses NotPrincipal; AWS recommends Principal \"*\" with an aws:PrincipalArn condition instead, and a NotPrincipal Deny denies every principal with a permissions boundary whatever it lists (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html)")
	}
	fx.Summary = joinSummary(fx.Summary, s.String())
	if b.Layer == policy.LayerSCP || b.Layer == policy.LayerRCP {
		f.orgReach(fx, src, b)
	}
	if b.Layer == policy.LayerBoundary || b.Layer == policy.LayerIdentity {
		f.sharedReach(fx, src)
	}
	if b.Layer == policy.LayerVPCEndpoint {
		f.vpceReach(fx, src)
	}
}

// perimeterKeys are the condition keys of network and data perimeters
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_data-perimeters.html):
// a Deny on one of them is a guardrail, not a mistake to except a
// principal from.
var perimeterKeys = map[string]bool{
	"aws:sourcevpce": true, "aws:sourcevpc": true, "aws:sourceip": true, "aws:vpcsourceip": true,
	"aws:principalorgid": true, "aws:principalorgpaths": true, "aws:resourceorgid": true, "aws:resourceorgpaths": true,
	"aws:sourceorgid": true, "aws:sourceorgpaths": true, "aws:sourceaccount": true, "aws:principalisawsservice": true,
	"aws:calledvia": true, "aws:calledviafirst": true, "aws:calledvialast": true, "aws:viaawsservice": true,
	"aws:sourcevpcarn": true, "aws:ec2instancesourcevpc": true, "aws:ec2instancesourceprivateipv4": true,
}

// absentPerimeterKey returns the first perimeter key that a condition
// tested while the request lacked it, or "": with matched, a Deny's
// condition that matched (a negated operator); without, an Allow's that
// failed.
func absentPerimeterKey(cs []policy.ConditionTrace, matched bool) string {
	for _, c := range cs {
		if !c.KeyPresent && len(c.RequestValues) == 0 && c.Matched == matched && perimeterKeys[strings.ToLower(c.Key)] {
			return c.Key
		}
	}
	return ""
}

// perimeterAllow is the fix of an Allow that failed on a perimeter key the
// request lacked: an Allow without the condition would take the principal
// out of the perimeter, so the fix is to make the call inside it.
func (f *fixer) perimeterAllow(i int, b simulate.Blocker, key string) {
	fx, _ := f.get(string(b.Layer)+"|"+b.Policy, func() (*Fix, *working) {
		return &Fix{Layer: b.Layer, Policy: b.Policy, PolicyName: b.PolicyName, Change: NoChange}, nil
	})
	fx.Blockers = append(fx.Blockers, i)
	fx.Change = NoChange
	where := "the " + b.Layer.Title()
	if b.Policy != "" || b.PolicyName != "" {
		where = QuoteName(b.PolicyName, b.Policy)
	}
	fx.Summary = joinSummary(fx.Summary, where+" allows this call only with "+key+
		", and the request as given carried none: make the call the way the perimeter expects (through the VPC endpoint, network or organization it names), or, if the call carried the key, diagnose again with its value; an Allow without the condition would take this principal out of the perimeter")
	fx.Notes = appendUnique(fx.Notes, "data perimeters: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_data-perimeters.html")
}

// onlyThisPrincipal reports whether an identity policy or boundary applies
// to the caller alone: an inline policy of the caller's role or user, or a
// customer managed policy the source says is attached to no one else.
func (f *fixer) onlyThisPrincipal(src *policy.Source) bool {
	if src == nil || src.AWSManaged {
		return false
	}
	if src.ARN == "" {
		// layers names inline policies "role/NAME (inline POLICY)".
		return src.Layer == policy.LayerIdentity && strings.Contains(src.Origin, " (inline ") &&
			(strings.HasPrefix(src.Origin, "role/") || strings.HasPrefix(src.Origin, "user/"))
	}
	lookup := f.opt.PolicyUsers
	if src.Layer == policy.LayerBoundary {
		lookup = f.opt.BoundaryUsers
	}
	if lookup == nil {
		return false
	}
	self := f.principalARN()
	users := lookup(src.ARN)
	for _, u := range users {
		if u != self {
			return false
		}
	}
	return len(users) > 0
}

// narrowDeny rewrites a Deny statement on "*" that lists the request's action
// so that it no longer denies that action on the request's resource: the
// action leaves the statement, and a new Deny statement with the same
// conditions denies it on every other resource (NotResource). It returns the
// new statement's Sid, or false when the statement has another shape.
func (f *fixer) narrowDeny(doc *policy.Document, st *policy.Statement) (string, bool) {
	res := f.req.Resource
	if st.Effect != policy.Deny || st.NotAction != nil || st.NotResource != nil || len(st.Resource) != 1 || st.Resource[0] != "*" ||
		res == "*" || !strings.HasPrefix(res, "arn:") || strings.ContainsAny(res, "*?") {
		return "", false
	}
	i := slices.IndexFunc(st.Action, func(a string) bool { return strings.EqualFold(a, f.req.Action) })
	if i < 0 {
		return "", false
	}
	sid := st.Sid + "Except" + camel(strings.ReplaceAll(f.req.Action, ":", "-"))
	if st.Sid == "" {
		sid = "DenyElsewhere" + camel(strings.ReplaceAll(f.req.Action, ":", "-"))
	}
	ns := policy.Statement{Sid: sid, Effect: policy.Deny, Action: []string{st.Action[i]}, NotResource: []string{res},
		Conditions: slices.Clone(st.Conditions)}
	pos := slices.IndexFunc(doc.Statements, func(s policy.Statement) bool { return s.ID() == st.ID() })
	if len(st.Action) == 1 {
		ns.Sid = st.Sid
		if ns.Sid == "" {
			ns.Sid = sid
		}
		doc.Statements[pos] = ns
		return ns.Sid, true
	}
	st.Action = slices.Delete(slices.Clone(st.Action), i, i+1)
	doc.Statements = slices.Insert(doc.Statements, pos+1, ns)
	return ns.Sid, true
}

// namesPrincipal reports whether a matched condition singles out arn with
// a positive operator (the Deny targets the caller on purpose).
func namesPrincipal(cs []policy.ConditionTrace, arn string) bool {
	for _, c := range cs {
		if !strings.EqualFold(c.Key, "aws:PrincipalArn") {
			continue
		}
		op := strings.ToLower(c.Operator)
		if strings.Contains(op, "not") {
			continue
		}
		for _, v := range c.PolicyValues {
			if v == arn || (strings.ContainsAny(v, "*?") && policy.MatchARN(v, arn)) {
				return true
			}
		}
	}
	return false
}

// exceptionOps are the operators whose values list the principals a Deny
// does not apply to.
var exceptionOps = []string{"StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike",
	"StringNotEqualsIfExists", "StringNotLikeIfExists", "ArnNotEqualsIfExists", "ArnNotLikeIfExists"}

// addPrincipalException adds arn to the statement's aws:PrincipalArn
// exception, extending an existing one, and says what it did.
func addPrincipalException(st *policy.Statement, arn string) string {
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if !strings.EqualFold(c.Key, "aws:PrincipalArn") || !slices.Contains(exceptionOps, c.Operator) {
			continue
		}
		c.Values = append(slices.Clip(c.Values), arn)
		return "extend its " + c.Operator + " aws:PrincipalArn exception with"
	}
	// As AWS's example SCPs do: the Deny stays, the principal is
	// excepted by its ARN (aws:PrincipalArn carries the role's path).
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
	st.Conditions = append(slices.Clip(st.Conditions), policy.Condition{Operator: "StringNotEquals", Key: "aws:PrincipalArn", Values: []string{arn}})
	return "add the exception StringNotEquals aws:PrincipalArn ="
}

// denied lists what a Deny statement covers, for the summary.
func denied(st *policy.Statement) []string {
	if st.Action != nil {
		return st.Action
	}
	return []string{"everything except " + strings.Join(st.NotAction, ", ")}
}

// orgReach fills who must act on an SCP or RCP and every target it is
// attached to.
func (f *fixer) orgReach(fx *Fix, src *policy.Source, b simulate.Blocker) {
	fx.Who = whoOrganizations
	arn := b.Policy
	if src != nil && src.ARN != "" {
		arn = src.ARN
	}
	var targets []string
	if f.opt.PolicyTargets != nil && arn != "" {
		targets = f.opt.PolicyTargets(arn)
	}
	partial := false
	if len(targets) == 0 {
		// The result only shows the levels on this account's path.
		partial = true
		lr := f.layer(b.Layer)
		if lr != nil {
			for _, lv := range lr.Levels {
				for _, p := range lv.Policies {
					if p.Source != nil && p.Source.ID() == b.Policy {
						targets = appendUnique(targets, lv.Target)
					}
				}
			}
		}
		if len(targets) == 0 && b.Target != "" {
			targets = []string{b.Target}
		}
	}
	lr := f.layer(b.Layer)
	for _, t := range targets {
		name := t
		if lr != nil {
			name = lr.LevelName(t)
		}
		fx.AlsoAffects = appendUnique(fx.AlsoAffects, name)
	}
	fx.AlsoAffectsPartial = fx.AlsoAffectsPartial || partial
	var reach []string
	for _, a := range fx.AlsoAffects {
		reach = append(reach, under(a))
	}
	what := strings.Join(reach, ", ")
	if partial {
		what += " (the source lists only the levels above this account: the policy may be attached elsewhere too; aws organizations list-targets-for-policy lists them all)"
	}
	who := ". Who: " + whoOrganizations + ". The change applies to " + what
	fx.Summary += who
	fx.reach = append(fx.reach, who)
}

// sharedReach says which other principals a managed policy or boundary
// change reaches.
func (f *fixer) sharedReach(fx *Fix, src *policy.Source) {
	if src == nil || src.ARN == "" || src.AWSManaged {
		return
	}
	var users []string
	var lookup func(string) []string
	if src.Layer == policy.LayerBoundary {
		lookup = f.opt.BoundaryUsers
	} else {
		lookup = f.opt.PolicyUsers
	}
	if lookup == nil {
		fx.Notes = appendUnique(fx.Notes, src.ARN+" is a managed policy: the change reaches every principal it is attached to; the source does not say which (aws iam list-entities-for-policy)")
		fx.AlsoAffectsPartial = true
		return
	}
	self := f.principalARN()
	for _, u := range lookup(src.ARN) {
		if u != self {
			users = append(users, u)
		}
	}
	if len(users) > 0 {
		fx.AlsoAffects = appendUnique(fx.AlsoAffects, users...)
		reach := ". The policy is shared: the change also reaches " + strings.Join(users, ", ")
		fx.Summary += reach
		fx.reach = append(fx.reach, reach)
	}
}

// inconclusive says which layers to read.
func (f *fixer) inconclusive() []Fix {
	var out []Fix
	for _, l := range f.res.Suspects {
		fx := Fix{Layer: l, Change: NoChange, Statements: []string{}}
		lr := f.layer(l)
		why := ""
		if lr != nil && lr.Error != "" {
			why = " (" + lr.Error + ")"
		}
		fx.Summary = "no fix can be written before the " + l.Title() + " is read" + why + ": " + readAdvice(l)
		switch u := undecidedIn(f.res, l); {
		case u != nil && lr != nil && lr.Readable:
			fx.Policy = u.Policy
			fx.Summary = "no fix can be written while statement " + u.Statement + " of the " + l.Title() + " cannot be decided: " + undecidedAdvice(u)
		case lr != nil && l == policy.LayerVPCEndpoint && lr.Decision == simulate.LayerNotApplicable:
			// Not evaluated: the endpoint or its policy is missing,
			// not stale.
		case lr != nil && lr.Readable && lr.Decision != simulate.LayerUnknown:
			// AWS named this layer, and the source's copy does not deny.
			fx.Summary = "no fix can be written from the " + l.Title() + " as the source holds it, which does not deny this call while AWS says it does: read it again from the account (the source may be stale) and diagnose again"
		}
		out = append(out, fx)
	}
	return out
}

// undecidedIn returns the first statement of layer l that the request
// cannot decide, or nil.
func undecidedIn(res *simulate.Result, l policy.Layer) *simulate.Undecided {
	for i := range res.Undecided {
		if res.Undecided[i].Layer == l {
			return &res.Undecided[i]
		}
	}
	return nil
}

// undecidedAdvice says what decides an undecided statement.
func undecidedAdvice(u *simulate.Undecided) string {
	if u.Reason == simulate.UndecidedOperator {
		return "its condition operator " + u.Detail + " is not one AWS defines; read the policy as AWS stores it and diagnose again"
	}
	return "it applies only to " + u.Detail + ", and the input names no resource; give the resource's ARN and diagnose again"
}

// readAdvice says how to read a layer.
func readAdvice(l policy.Layer) string {
	switch l {
	case policy.LayerSCP, policy.LayerRCP:
		return "run iamdiag snapshot from the management account or a delegated administrator for AWS Organizations (organizations:ListPoliciesForTarget, DescribePolicy), then diagnose again from that snapshot"
	case policy.LayerSession:
		return "session policies cannot be read after the fact: ask whoever created the session (the Policy or PolicyArns of sts:AssumeRole / GetFederationToken), or start a new session without one and retry"
	case policy.LayerResource:
		return "read the resource's policy (for example aws s3api get-bucket-policy, aws kms get-key-policy) and give it as the resource policy"
	case policy.LayerBoundary:
		return "read the permissions boundary (aws iam get-role, then aws iam get-policy-version) and give it as the permissions boundary"
	case policy.LayerVPCEndpoint:
		return "read the policy of the endpoint the call went through (aws ec2 describe-vpc-endpoints --vpc-endpoint-ids VPCE_ID, its PolicyDocument; CloudTrail's vpcEndpointId names the endpoint) and give it as the VPC endpoint policy, with the endpoint's id as aws:SourceVpce"
	case policy.LayerS3PublicAccess:
		return "read the bucket's and the account's settings (aws s3api get-public-access-block --bucket BUCKET, aws s3control get-public-access-block --account-id ACCOUNT) and give the stricter as the S3 Block Public Access settings"
	}
	return "read the principal's policies (aws iam get-account-authorization-details) and diagnose again from a snapshot holding them"
}

// finish renders a fix's document and diff.
func (f *fixer) finish(fx *Fix) {
	if fx.Statements == nil {
		fx.Statements = []string{}
	}
	w := f.work[fx]
	if fx.Change == NoChange || w == nil || w.doc == nil {
		fx.Document = json.RawMessage("null")
		fx.doc = nil
		return
	}
	compact, err := w.doc.MarshalJSON()
	if err != nil {
		fx.Change, fx.Document = NoChange, json.RawMessage("null")
		return
	}
	parsed, err := policy.Parse(compact)
	if err != nil {
		fx.Change, fx.Document = NoChange, json.RawMessage("null")
		fx.Notes = append(fx.Notes, "the corrected document does not parse: "+err.Error())
		return
	}
	fx.doc = parsed
	pretty := indent(compact)
	fx.Document = json.RawMessage(pretty)
	var old []byte
	if w.old != nil {
		if b, err := w.old.MarshalJSON(); err == nil {
			old = indent(b)
		}
	}
	fx.Diff = unifiedDiff(fx, old, pretty)
	if limit, what := sizeLimit(fx); limit > 0 && len(compact) > limit {
		fx.Notes = appendUnique(fx.Notes, "the corrected document is "+strconv.Itoa(len(compact))+" characters, over the "+strconv.Itoa(limit)+" AWS allows for "+what+": put the new statements in a new policy instead (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)")
	}
}

// sizeLimit is AWS's size limit for the fix's policy type, without white
// space (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html,
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html).
func sizeLimit(fx *Fix) (int, string) {
	switch fx.Layer {
	case policy.LayerSCP, policy.LayerRCP:
		return 5120, "an SCP or RCP"
	case policy.LayerBoundary:
		return 6144, "a managed policy"
	case policy.LayerIdentity:
		if strings.HasPrefix(fx.Policy, "arn:") {
			return 6144, "a managed policy"
		}
		return 10240, "a role's inline policies together"
	case policy.LayerSession:
		return 2048, "a session policy (packed)"
	case policy.LayerVPCEndpoint:
		// https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
		return 20480, "a VPC endpoint policy"
	}
	return 0, ""
}

// unifiedDiff is the diff of the current document to the corrected one,
// in the write-up's style: whole JSON lines, the name of the policy as the
// file names.
func unifiedDiff(fx *Fix, old, new []byte) string {
	name := fx.PolicyName
	if name == "" {
		name = fx.Policy
	}
	if name == "" {
		name = "policy"
	}
	oldName := "a/" + name
	if old == nil {
		oldName = "/dev/null"
	}
	d := diff.Diff(oldName, old, "b/"+name, new)
	// Drop the "diff a b" line: the --- and +++ lines say it.
	if i := bytes.IndexByte(d, '\n'); i >= 0 && bytes.HasPrefix(d, []byte("diff ")) {
		d = d[i+1:]
	}
	return string(d)
}

// indent pretty-prints compact JSON with two spaces and a final newline.
func indent(compact []byte) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, compact, "", "  "); err != nil {
		return append(compact, '\n')
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// clone returns a deep copy of doc that can be changed freely.
func clone(doc *policy.Document) *policy.Document {
	b, err := doc.MarshalJSON()
	if err != nil {
		return nil
	}
	cp, err := policy.Parse(b)
	if err != nil {
		return nil
	}
	return cp
}

// statementByID finds a statement by Sid or "#N".
func statementByID(doc *policy.Document, id string) *policy.Statement {
	for i := range doc.Statements {
		if doc.Statements[i].ID() == id {
			return &doc.Statements[i]
		}
	}
	return nil
}

// QuoteName names a policy in a summary.
func QuoteName(name, id string) string {
	switch {
	case name != "" && id != "" && name != id:
		return name + " (" + id + ")"
	case name != "":
		return name
	case id != "":
		return id
	}
	return "the policy"
}

func appendUnique(list []string, vals ...string) []string {
	for _, v := range vals {
		if v != "" && !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

// joinSummary appends what a further blocker of the same policy needs.
func joinSummary(have, more string) string {
	if have == "" {
		return more
	}
	return have + "; then " + more
}

// orUnknown returns s, or "(unknown)" when it is empty.
func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// Parsed is the corrected document, parsed; nil when Document is null or
// not a policy.
func (f *Fix) Parsed() *policy.Document {
	if f.doc != nil || len(f.Document) == 0 || string(f.Document) == "null" {
		return f.doc
	}
	doc, err := policy.Parse(f.Document)
	if err != nil {
		return nil
	}
	return doc
}
