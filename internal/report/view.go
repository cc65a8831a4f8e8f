package report

import (
	"strconv"
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// view is what the text and Markdown reports show, in the order they show
// it: the verdict first, then each blocker, then why the other layers do not
// block.
type view struct {
	verdict  string
	decision simulate.Decision
	request  []field
	blockers []blockerView
	// exception is the rule of AWS that decides the call whatever the
	// policies say, and policyBlockers what the policies alone would
	// block with.
	exception      []field
	policyBlockers []blockerView
	others         []field // layer name → why it does not block
	hint           string
	missing        []string
	warnings       []string
}

type field struct{ name, value string }

// maxContextLines caps the context keys the request summary shows: a
// decoded message carries a dozen, and the blockers' conditions show the
// ones that mattered.
const maxContextLines = 6

type blockerView struct {
	title      string // "service control policy — explicit deny"
	fields     []field
	conditions []string
}

func newView(d *Diagnosis) *view {
	r := d.Result
	v := &view{decision: r.Decision, verdict: verdict(d)}
	// A warning that repeats a layer's note is said once, on the layer's line.
	notes := map[string]bool{}
	for _, l := range r.Layers {
		notes[l.Note] = true
	}
	for _, w := range d.warnings() {
		if !notes[w] {
			v.warnings = append(v.warnings, w)
		}
	}
	req := d.request()
	principal := orUnknown(req.Principal.ARN)
	if req.Principal.Type == "AssumedRole" && req.Principal.ARN == req.Principal.IAMARN {
		// A role's ARN given as the caller is read as one of its sessions.
		principal += " (read as a session of this role)"
	}
	v.request = append(v.request, field{"principal", principal})
	if req.Principal.IAMARN != "" && req.Principal.IAMARN != req.Principal.ARN {
		v.request = append(v.request, field{"role", req.Principal.IAMARN})
	}
	resource := orUnknown(req.Resource)
	if req.ResourceUnknown {
		resource = `(not given: evaluated as "*")`
	}
	v.request = append(v.request, field{"action", orUnknown(req.Action)}, field{"resource", resource})
	// Keys the engine inferred (aws:PrincipalArn …) are left out: the
	// conditions below show the values that mattered, and the JSON report
	// lists them.
	var given []string
	for _, k := range req.Context.Keys() {
		if !req.Context.Inferred(k) {
			given = append(given, k)
		}
	}
	for i, k := range given {
		if i == maxContextLines && len(given) > maxContextLines+1 {
			v.request = append(v.request, field{"context", "… " + strconv.Itoa(len(given)-i) + " more keys (the JSON report lists them)"})
			break
		}
		vals, _ := req.Context.Get(k)
		v.request = append(v.request, field{"context", k + "=" + strings.Join(vals, ",")})
	}

	blocking := map[policy.Layer]bool{}
	for _, b := range r.Blockers {
		blocking[b.Layer] = true
		v.blockers = append(v.blockers, blockerOf(d, b))
	}
	if ex := r.Exception; ex != nil {
		v.exception = append(v.exception, field{"rule", ex.Reason})
		if ex.Error != "" {
			v.exception = append(v.exception, field{"error", ex.Error})
		}
		v.exception = append(v.exception, field{"doc", ex.Page},
			field{"policies", "alone they decide: " + strings.ReplaceAll(ex.PolicyDecision.String(), "-", " ")})
		for _, b := range ex.PolicyBlockers {
			blocking[b.Layer] = true
			v.policyBlockers = append(v.policyBlockers, blockerOf(d, b))
		}
	}
	for i := range r.Layers {
		l := &r.Layers[i]
		if blocking[l.Layer] {
			continue
		}
		v.others = append(v.others, field{string(l.Layer), layerSummary(l)})
	}
	if d.Hint != nil && (d.Hint.Layer != "" || d.Hint.Kind != 0 || d.Hint.PolicyARN != "") && !d.Disagrees() {
		src := d.Hint.Source
		v.hint = sourcePhrase(src) + " says " + hintPhrase(d.Hint)
		switch agrees, _ := d.agrees(); {
		case agrees:
			v.hint += ": the evaluation agrees"
		case d.hintLayerFound():
			v.hint += ": the evaluation finds it too, but another layer decides the call (see the layers above)"
		default:
			v.hint += ": the evaluation does not find it (see warnings)"
		}
	}
	for _, m := range r.Missing {
		s := m.Key
		if m.Policy != "" {
			s += " (tested by " + m.Policy
			if m.Statement != "" {
				s += ", statement " + m.Statement
			}
			s += ")"
		}
		if m.Message != "" {
			s += ": " + m.Message
		}
		v.missing = append(v.missing, s)
	}
	return v
}

// verdict is the first line: what happened and which layer did it.
func verdict(d *Diagnosis) string {
	v := verdictOnly(d)
	if d.InputCaveat != "" {
		v += " — but " + d.InputCaveat
	}
	return v
}

// verdictOnly is the first line without the input's caveat.
func verdictOnly(d *Diagnosis) string {
	r := d.Result
	if ex := r.Exception; ex != nil {
		switch r.Decision {
		case simulate.Allowed:
			if ex.PolicyDecision == simulate.Allowed {
				return "ALLOWED — AWS needs no permission for this call"
			}
			return "ALLOWED — AWS needs no permission for this call: the policies would deny it, and AWS ignores them"
		case simulate.AlwaysFails:
			what := "FAILS WHATEVER THE POLICIES SAY — " + exceptionWhat(ex.Rule)
			if ex.Error != "" {
				what += " (" + ex.Error + ")"
			}
			return what
		}
	}
	if d.Disagrees() {
		// What AWS said is evidence: it comes first.
		own := ""
		switch r.Decision {
		case simulate.Allowed:
			own = "; the layers read allow the call"
		case simulate.ExplicitDeny, simulate.ImplicitDeny:
			own = "; the evaluation finds: " + strings.ToLower(ownVerdict(d))
		}
		how := "does not reproduce it"
		if lr := d.layerResult(policy.Layer(d.Hint.Layer)); lr != nil && lr.Decision == simulate.LayerUnknown {
			how = "cannot confirm it"
		}
		return "DENIED BY AWS — " + sourcePhrase(d.Hint.Source) + " says " + hintPhrase(d.Hint) +
			"; the source " + how + ": " + d.disagreement() + own
	}
	return ownVerdict(d)
}

// ownVerdict is the evaluation's verdict, whatever the input said.
func ownVerdict(d *Diagnosis) string {
	r := d.Result
	more := ""
	if n := len(r.Blockers) - 1; n == 1 {
		more = "; 1 more layer also blocks"
	} else if n > 1 {
		more = "; " + strconv.Itoa(n) + " more layers also block"
	}
	switch r.Decision {
	case simulate.Allowed:
		return "ALLOWED — every layer read allows this call"
	case simulate.Inconclusive:
		var s []string
		undecided := map[policy.Layer]bool{}
		for _, u := range r.Undecided {
			undecided[u.Layer] = true
		}
		for _, l := range r.Suspects {
			if lr := d.layerResult(l); lr != nil && lr.Readable && undecided[l] {
				continue
			}
			s = append(s, l.Title())
		}
		if u := undecidedSuspect(r); u != "" {
			if len(s) > 0 {
				u += "; unread: " + strings.Join(s, ", ")
			}
			return "INCONCLUSIVE — " + u
		}
		if len(s) == 0 {
			return "INCONCLUSIVE — the layers read do not explain the deny"
		}
		return "INCONCLUSIVE — the layers read do not explain the deny; unread: " + strings.Join(s, ", ")
	case simulate.ExplicitDeny, simulate.ImplicitDeny:
		if len(r.Blockers) == 0 {
			return "DENIED — " + strings.ReplaceAll(r.Decision.String(), "-", " ")
		}
		b := r.Blockers[0]
		title := b.Layer.Title()
		if b.Layer == policy.LayerS3PublicAccess {
			return "DENIED — S3 Block Public Access (RestrictPublicBuckets) refuses this caller, whatever the bucket policy grants" + more
		}
		rests := ""
		if keys := restsOnMissing(r); len(keys) > 0 {
			rests = "; this rests on " + keyList(keys) + ", absent from the request"
		}
		if b.Kind == simulate.BlockerExplicitDeny {
			return "DENIED — explicit deny in " + article(title) + more + rests
		}
		if b.Layer == policy.LayerIdentity || b.Layer == policy.LayerSession || b.Layer == policy.LayerResource {
			return "DENIED — no " + title + " allows this call (implicit deny)" + more + rests
		}
		return "DENIED — the " + title + " does not allow this call (implicit deny)" + more + rests
	}
	return strings.ToUpper(r.Decision.String())
}

// exceptionWhat says in a few words what a rule protects.
func exceptionWhat(rule string) string {
	switch rule {
	case "protected-role":
		return "the role is protected: only AWS can modify it"
	case "service-linked-role":
		return "a service-linked role is changed only through its service"
	case "aws-managed-policy":
		return "AWS managed policies cannot be changed"
	case "reserved-kms-alias":
		return "aliases under alias/aws/ are reserved for AWS managed keys"
	}
	return "a rule of AWS refuses this call"
}

func blockerOf(d *Diagnosis, b simulate.Blocker) blockerView {
	kind := strings.ReplaceAll(b.Kind.String(), "-", " ")
	bv := blockerView{title: b.Layer.Title() + " — " + kind}
	switch {
	case b.Policy != "" || b.PolicyName != "":
		label := blockerPolicy(b)
		if b.Kind != simulate.BlockerExplicitDeny && b.Statement == "" && b.Target == "" {
			if len(b.Conditions) > 0 {
				label += ": the conditions below fail"
			} else {
				label += ": no statement allows this call"
			}
		}
		bv.fields = append(bv.fields, field{"policy", label})
	case b.Target != "":
		// An SCP or RCP level where nothing allows: the level line says it.
	default:
		// No single policy is at fault: name the layer's policies, none of
		// which allows the call, or say that there are none.
		lr := d.layerResult(b.Layer)
		if lr == nil || len(lr.Policies) == 0 {
			bv.fields = append(bv.fields, field{"policy", "none: no " + b.Layer.Title() + " grants this action"})
			break
		}
		for _, p := range lr.Policies {
			if p.Source != nil {
				bv.fields = append(bv.fields, field{"policy", sourceLabel(p.Source) + ": no statement allows this call"})
			}
		}
	}
	if b.Statement != "" {
		bv.fields = append(bv.fields, field{"statement", b.Statement})
	}
	if b.Target != "" {
		name := b.Target
		if lr := d.layerResult(b.Layer); lr != nil {
			name = lr.LevelName(b.Target)
		}
		label := "attached"
		if b.Kind != simulate.BlockerExplicitDeny {
			label = "level"
			name += ": no policy attached here allows this call"
		}
		bv.fields = append(bv.fields, field{label, name})
	}
	var ctx *policy.Context
	if d.Result != nil && d.Result.Request != nil {
		ctx = d.Result.Request.Context
	}
	for _, c := range b.Conditions {
		bv.conditions = append(bv.conditions, conditionLine(c, ctx))
	}
	return bv
}

// conditionLine shows one condition with the request's values against the
// policy's, and says when iamdiag inferred the request's value (from the
// snapshot or the resource ARN) rather than reading it from the input.
func conditionLine(c policy.ConditionTrace, ctx *policy.Context) string {
	var b strings.Builder
	b.WriteString(c.Key + " " + c.Operator + " " + list(c.PolicyValues) + "; request: ")
	if c.KeyPresent {
		b.WriteString(list(c.RequestValues))
		if ctx.Inferred(c.Key) {
			b.WriteString(" (inferred)")
		}
	} else {
		b.WriteString("(absent)")
	}
	if c.Matched {
		b.WriteString(" → matched")
	} else {
		b.WriteString(" → failed")
	}
	if c.Err != "" {
		b.WriteString(" (error: " + c.Err + ")")
	}
	return b.String()
}

func list(vals []string) string {
	return "[" + strings.Join(vals, ", ") + "]"
}

// layerSummary says in one line why a layer does not block.
func layerSummary(l *simulate.LayerResult) string {
	switch l.Decision {
	case simulate.LayerAllow:
		if len(l.Levels) > 0 {
			var parts []string
			for i := range l.Levels {
				lv := &l.Levels[i]
				p, _ := allowingStatement(lv.Policies)
				name := l.LevelName(lv.Target)
				if p != nil {
					name += " by " + policy.Label(p.Name, "")
				}
				parts = append(parts, name)
			}
			return "allows at every level: " + strings.Join(parts, "; ")
		}
		if p, st := allowingStatement(l.Policies); p != nil {
			s := "allows (policy " + sourceLabel(p)
			if st != "" {
				s += ", statement " + st
			}
			return s + ")"
		}
		return withNote("allows", l.Note)
	case simulate.LayerNotApplicable:
		if l.Note != "" {
			return l.Note
		}
		switch l.Layer {
		case policy.LayerBoundary:
			return "none attached"
		case policy.LayerSession:
			return "no session policy"
		case policy.LayerResource:
			return "no resource-based policy"
		}
		return "not applicable"
	case simulate.LayerUnknown:
		s := "unknown"
		if l.Error != "" {
			s += " (" + l.Error + ")"
		}
		return withNote(s, l.Note)
	}
	return withNote(strings.ReplaceAll(l.Decision.String(), "-", " "), l.Note)
}

func withNote(s, note string) string {
	if note == "" {
		return s
	}
	return s + ": " + note
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// sourcePhrase names where the input came from, as the subject of a
// sentence.
func sourcePhrase(source string) string {
	switch source {
	case "error-text":
		return "the error text"
	case "cloudtrail":
		return "the CloudTrail event"
	case "decoded-message", "encoded-message":
		return "the authorization message"
	case "flags":
		return "the flags"
	case "":
		return "the input"
	}
	return "the " + source
}

// sourceLabel names a policy source for people: "Name (ARN)", or
// "Name, from ORIGIN" for a policy without an ARN (inline, file).
func sourceLabel(s *policy.Source) string {
	if s.ARN != "" || s.Origin == "" {
		return policy.Label(s.Name, s.ARN)
	}
	if s.Name == "" || strings.HasSuffix(s.Origin, s.Name) {
		return s.Origin
	}
	return s.Name + ", from " + s.Origin
}

// blockerPolicy names a blocker's policy: Blocker.Policy is an ARN or, for a
// policy without one, where it came from.
func blockerPolicy(b simulate.Blocker) string {
	if strings.HasPrefix(b.Policy, "arn:") {
		return policy.Label(b.PolicyName, b.Policy)
	}
	return sourceLabel(&policy.Source{Name: b.PolicyName, Origin: b.Policy})
}

// undecidedSuspect says why a suspect layer that was read cannot be
// decided: the first undecided statement of a suspect layer; "" when no
// suspect is undecided.
func undecidedSuspect(r *simulate.Result) string {
	for _, l := range r.Suspects {
		for _, u := range r.Undecided {
			if u.Layer != l {
				continue
			}
			if u.Reason == simulate.UndecidedOperator {
				return "the " + l.Title() + " uses the condition operator " + strconv.Quote(u.Detail) +
					", which AWS does not define: AWS would have rejected the document, so what the account holds is unknown (read the policy as AWS stores it)"
			}
			action := "this call"
			if r.Request != nil && r.Request.Action != "" {
				action = r.Request.Action
			}
			return "the input names no resource, and the " + l.Title() + " decides " + action + " only for " + u.Detail +
				": give the resource's ARN for a verdict"
		}
	}
	return ""
}

// restsOnMissing returns the condition keys, absent from the request, on
// which the blockers rest: a Deny's negated condition that matched because
// the key was absent, or an Allow's condition that failed for the same
// reason. AWS treats an absent key per operator
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
// had the request carried the key, the verdict could differ.
func restsOnMissing(r *simulate.Result) []string {
	var keys []string
	seen := map[string]bool{}
	for _, b := range r.Blockers {
		for _, c := range b.Conditions {
			if c.KeyPresent || len(c.RequestValues) > 0 || seen[c.Key] || c.Err != "" {
				continue
			}
			if strings.HasPrefix(c.Operator, "Null") {
				// Null tests presence itself: its verdict is exact.
				continue
			}
			seen[c.Key] = true
			keys = append(keys, c.Key)
		}
	}
	return keys
}

// keyList names condition keys in a sentence.
func keyList(keys []string) string {
	if len(keys) == 1 {
		return "the key " + keys[0]
	}
	return "the keys " + strings.Join(keys, ", ")
}
