// Package report renders a diagnosis for people and machines: the JSON
// contract of `iamdiag diagnose --format json`, a terminal summary that reads
// at a glance, and Markdown for tickets and chat.
//
// It imports the engine (simulate, policy) only, never the AWS SDK.
package report

import (
	"errors"
	"strings"

	"github.com/iamdiag/iamdiag/internal/fix"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// Hint is what the input said about the denial (an error message naming "an
// explicit deny in a service control policy", or a policy ARN), to be checked
// against the evaluation.
type Hint struct {
	// Source says where the input came from: "flags", "error-text",
	// "cloudtrail", "decoded-message", "encoded-message".
	Source string
	// Layer is the layer the message names ("scp", …, "vpc-endpoint-policy",
	// "role-trust-policy"), empty when it names none.
	Layer string
	// Kind is the kind of deny the message names, zero when not said.
	Kind simulate.BlockerKind
	// PolicyARN is the denying policy's ARN when the message names it.
	PolicyARN string
}

// Diagnosis is everything a report shows: the evaluation, the request as the
// input described it, and what the input said about the denial.
type Diagnosis struct {
	// Result is the evaluation; it must not be nil.
	Result *simulate.Result
	// Input is the request as the input described it, before the source
	// resolved the principal; nil when unknown. The report prefers
	// Result.Request, the effective request.
	Input *policy.Request
	// Hint is what the input said about the denial; nil when it said
	// nothing (flags input).
	Hint *Hint
	// Warnings are added to the evaluation's warnings, for problems met
	// before the evaluation (e.g. an encoded message left undecoded).
	Warnings []string
	// Fix supplies what the fix suggestions need beyond the evaluation
	// (which principals share a policy, where an SCP is attached).
	Fix fix.Options
	// CrossCheck is AWS's policy simulator's verdict beside the local one;
	// nil when it was not asked (an offline source).
	CrossCheck *CrossCheck
	// Record is AWS's record of the request when the diagnosis was made
	// from it; nil otherwise.
	Record *Record
	// InputCaveat, when set, is a problem of the input that the verdict
	// depends on (an action the catalog does not know): the first line
	// carries it, and the warnings too.
	InputCaveat string
}

// request returns the request to show: the effective one when known.
func (d *Diagnosis) request() *policy.Request {
	if d.Result != nil && d.Result.Request != nil {
		return d.Result.Request
	}
	if d.Input != nil {
		return d.Input
	}
	return &policy.Request{Context: &policy.Context{}}
}

// warnings returns the evaluation's warnings followed by the diagnosis's own
// and the hint's, without duplicates.
func (d *Diagnosis) warnings() []string {
	var out []string
	seen := map[string]bool{}
	add := func(ws ...string) {
		for _, w := range ws {
			if w != "" && !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	if d.Result != nil {
		add(d.Result.Warnings...)
	}
	add(d.Warnings...)
	add(d.hintWarning())
	return out
}

// evaluatedLayers are the layers the engine evaluates; a hint naming another
// layer (a role trust policy) cannot be confirmed.
var evaluatedLayers = map[string]bool{
	string(policy.LayerVPCEndpoint): true,
	string(policy.LayerSCP):         true,
	string(policy.LayerRCP):         true,
	string(policy.LayerResource):    true,
	string(policy.LayerIdentity):    true,
	string(policy.LayerBoundary):    true,
	string(policy.LayerSession):     true,
}

// agrees reports whether the evaluation's blockers match what the input said
// and whether there was anything to compare at all.
func (d *Diagnosis) agrees() (agrees, known bool) {
	h := d.Hint
	if h == nil || (h.Layer == "" && h.Kind == 0 && h.PolicyARN == "") {
		return false, false
	}
	if d.Result == nil {
		return false, true
	}
	for _, b := range d.Result.Blockers {
		if h.Layer != "" && string(b.Layer) != h.Layer {
			continue
		}
		if h.Kind != 0 && b.Kind != h.Kind {
			continue
		}
		if h.PolicyARN != "" && !strings.EqualFold(b.Policy, h.PolicyARN) {
			continue
		}
		return true, true
	}
	return false, true
}

// Disagrees reports whether the input named a layer the engine evaluates
// (an error text's "explicit deny in a resource control policy") that the
// evaluation neither blocks with nor finds denying: AWS's finding, which
// the source does not reproduce.
func (d *Diagnosis) Disagrees() bool {
	agrees, known := d.agrees()
	if !known || agrees || d.Hint.Layer == "" || !evaluatedLayers[d.Hint.Layer] {
		return false
	}
	if lr := d.layerResult(policy.Layer(d.Hint.Layer)); lr != nil &&
		(lr.Decision == simulate.LayerExplicitDeny || lr.Decision == simulate.LayerImplicitDeny) {
		// The layer denies as read, only not as the input says.
		return false
	}
	return true
}

// hintLayerFound reports whether the layer the hint names reaches the
// verdict the hint says, though it is not a blocker (an implicit deny of
// identity-based policies where the key policy decides).
func (d *Diagnosis) hintLayerFound() bool {
	h := d.Hint
	if h == nil || h.Layer == "" || h.PolicyARN != "" {
		return false
	}
	lr := d.layerResult(policy.Layer(h.Layer))
	if lr == nil {
		return false
	}
	switch h.Kind {
	case simulate.BlockerExplicitDeny:
		return lr.Decision == simulate.LayerExplicitDeny
	case simulate.BlockerImplicitDeny:
		return lr.Decision == simulate.LayerImplicitDeny
	}
	return lr.Decision == simulate.LayerExplicitDeny || lr.Decision == simulate.LayerImplicitDeny
}

// disagreement says why the source may not reproduce what AWS said: the
// layer AWS named unread, context keys the request lacks, other unread
// layers, a stale source.
func (d *Diagnosis) disagreement() string {
	r := d.Result
	l := policy.Layer(d.Hint.Layer)
	var why []string
	if lr := d.layerResult(l); lr != nil && lr.Decision == simulate.LayerUnknown {
		why = append(why, "the "+l.Title()+" could not be read")
	} else if lr != nil && l == policy.LayerVPCEndpoint && lr.Decision == simulate.LayerNotApplicable {
		// Not evaluated is not "does not deny": say why.
		why = append(why, lr.Note)
	} else {
		why = append(why, "the "+l.Title()+" as read does not deny it (the source may be stale)")
	}
	if len(r.Missing) > 0 {
		var keys []string
		for _, m := range r.Missing {
			keys = appendUniqueKey(keys, m.Key)
		}
		why = append(why, "the request lacks "+strings.Join(keys, ", ")+", which the policies test")
	}
	var unread []string
	for i := range r.Layers {
		if lr := &r.Layers[i]; lr.Layer != l && lr.Decision == simulate.LayerUnknown {
			unread = append(unread, lr.Layer.Title())
		}
	}
	if len(unread) > 0 {
		why = append(why, "unknown: "+strings.Join(unread, ", "))
	}
	return strings.Join(why, "; ")
}

func appendUniqueKey(keys []string, k string) []string {
	for _, have := range keys {
		if have == k {
			return keys
		}
	}
	return append(keys, k)
}

// hintWarning explains a disagreement between the input and the evaluation,
// the case where the person must look further than the layers read.
func (d *Diagnosis) hintWarning() string {
	agrees, known := d.agrees()
	if !known || agrees {
		return ""
	}
	said := hintPhrase(d.Hint)
	src := sourcePhrase(d.Hint.Source)
	if d.Hint.Layer != "" && !evaluatedLayers[d.Hint.Layer] {
		return src + " names " + said + ", which iamdiag does not evaluate: read that policy directly"
	}
	if d.hintLayerFound() || d.Disagrees() {
		// The layer line, or the first line, says it: one view of the
		// layer.
		return ""
	}
	if d.Result != nil && d.Result.Decision == simulate.Allowed {
		return src + " says " + said + " but the layers read allow the call: the snapshot may be stale, or the deny comes from a policy the source does not hold (session policy, VPC endpoint policy)"
	}
	return src + " says " + said + " but the evaluation does not find it: the snapshot may be stale or incomplete"
}

// hintPhrase says what the hint claims, in words.
func hintPhrase(h *Hint) string {
	var b strings.Builder
	switch h.Kind {
	case simulate.BlockerExplicitDeny:
		b.WriteString("an explicit deny")
	case simulate.BlockerImplicitDeny:
		b.WriteString("no allow (implicit deny)")
	default:
		b.WriteString("a deny")
	}
	if h.Layer != "" {
		b.WriteString(" in " + article(policy.Layer(h.Layer).Title()))
	}
	if h.PolicyARN != "" {
		b.WriteString(" (" + h.PolicyARN + ")")
	}
	return b.String()
}

// article prefixes a or an.
func article(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case 'a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U':
		return "an " + s
	}
	return "a " + s
}

// layerResult returns the evaluation of layer, or nil.
func (d *Diagnosis) layerResult(layer policy.Layer) *simulate.LayerResult {
	if d.Result == nil {
		return nil
	}
	for i := range d.Result.Layers {
		if d.Result.Layers[i].Layer == layer {
			return &d.Result.Layers[i]
		}
	}
	return nil
}

// allowingStatement finds the first policy and Allow statement that apply in
// policies.
func allowingStatement(policies []simulate.PolicyResult) (*policy.Source, string) {
	for _, p := range policies {
		if p.Evaluation == nil || p.Evaluation.Decision != policy.Allowed {
			continue
		}
		for _, st := range p.Evaluation.Statements {
			if st.Applies && st.Statement != nil && st.Statement.Effect == policy.Allow {
				return p.Source, st.Statement.ID()
			}
		}
		return p.Source, ""
	}
	return nil, ""
}

// errNoResult is returned when a report is asked for a diagnosis without an
// evaluation.
var errNoResult = errors.New("no evaluation result")

// fixes returns the diagnosis's fixes.
func (d *Diagnosis) fixes() []fix.Fix {
	if d == nil || d.Result == nil {
		return nil
	}
	return fix.Suggest(d.Result, d.Fix)
}
