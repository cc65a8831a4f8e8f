package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// The types below are the `iamdiag diagnose --format json` contract
// (ARCHITECTURE.md). Fields may be added; none may be renamed or removed.

type jsonDiagnosis struct {
	Request             jsonRequest       `json:"request"`
	Decision            simulate.Decision `json:"decision"`
	Blockers            []jsonBlocker     `json:"blockers"`
	Layers              []jsonLayer       `json:"layers"`
	Hint                jsonHint          `json:"hint"`
	Fix                 []any             `json:"fix"`
	Warnings            []string          `json:"warnings"`
	InferredContextKeys []string          `json:"inferred_context_keys"`
	MissingContextKeys  []jsonMissing     `json:"missing_context_keys"`
	Suspects            []policy.Layer    `json:"suspects"`
	// RestsOnMissingKeys are the condition keys absent from the request on
	// which the blockers rest; omitted when none.
	RestsOnMissingKeys []string `json:"rests_on_missing_keys,omitempty"`
	// Undecided are the statements the request cannot decide (no
	// resource given, an unknown condition operator); omitted when none.
	Undecided []jsonUndecided `json:"undecided,omitempty"`
	// CrossCheck is omitted when the diagnosis has none.
	CrossCheck *jsonCrossCheck `json:"crosscheck,omitempty"`
	// Record is AWS's record of the request the diagnosis was made from;
	// omitted otherwise.
	Record *jsonRecord `json:"authorization_record,omitempty"`
	// Exception is set when a rule of AWS decides the call whatever the
	// policies say; omitted otherwise.
	Exception *jsonException `json:"exception,omitempty"`
	// InputCaveat is a problem of the input the verdict depends on (an
	// action unknown to the catalog); omitted when there is none.
	InputCaveat string `json:"input_caveat,omitempty"`

	// result is the evaluation, for renderers built on this view (Slack).
	result *simulate.Result
}

// jsonException is a rule of AWS that decides the call whatever the
// policies say, with what the policies alone decide.
type jsonException struct {
	Rule           string            `json:"rule"`
	Reason         string            `json:"reason"`
	Doc            string            `json:"doc"`
	Error          *string           `json:"error"`
	PolicyDecision simulate.Decision `json:"policy_decision"`
	PolicyBlockers []jsonBlocker     `json:"policy_blockers"`
}

type jsonRequest struct {
	Principal *string         `json:"principal"`
	RoleARN   *string         `json:"role_arn"`
	Account   *string         `json:"account"`
	Action    *string         `json:"action"`
	Resource  *string         `json:"resource"`
	Context   *policy.Context `json:"context"`
}

type jsonBlocker struct {
	Layer      policy.Layer         `json:"layer"`
	Kind       simulate.BlockerKind `json:"kind"`
	Policy     *string              `json:"policy"`
	PolicyName *string              `json:"policy_name"`
	Statement  *string              `json:"statement"`
	Target     *string              `json:"target"`
	TargetName *string              `json:"target_name,omitempty"`
	Conditions []jsonCondition      `json:"conditions"`
}

type jsonCondition struct {
	Key           string   `json:"key"`
	Operator      string   `json:"operator"`
	PolicyValues  []string `json:"policy_values"`
	RequestValues []string `json:"request_values"`
	KeyPresent    bool     `json:"key_present"`
	Matched       bool     `json:"matched"`
	Error         string   `json:"error,omitempty"`
}

type jsonLayer struct {
	Layer    policy.Layer           `json:"layer"`
	Decision simulate.LayerDecision `json:"decision"`
	Readable bool                   `json:"readable"`
	Error    string                 `json:"error,omitempty"`
	Note     string                 `json:"note,omitempty"`
	Policies []jsonPolicy           `json:"policies"`
	Levels   []jsonLevel            `json:"levels,omitempty"`
}

type jsonLevel struct {
	Target   string                 `json:"target"`
	Type     string                 `json:"type"`
	Name     string                 `json:"name,omitempty"`
	Decision simulate.LayerDecision `json:"decision"`
	Policies []jsonPolicy           `json:"policies"`
}

type jsonPolicy struct {
	Policy     string   `json:"policy"`
	PolicyName string   `json:"policy_name"`
	Origin     string   `json:"origin,omitempty"`
	Target     string   `json:"target,omitempty"`
	AWSManaged bool     `json:"aws_managed"`
	Decision   string   `json:"decision"`
	Allowing   []string `json:"allowing_statements"`
	Denying    []string `json:"denying_statements"`
	Errors     []string `json:"errors,omitempty"`
}

type jsonHint struct {
	Source    string  `json:"source"`
	Layer     *string `json:"layer"`
	Kind      *string `json:"kind"`
	PolicyARN *string `json:"policy_arn"`
	Agrees    *bool   `json:"agrees"`
	// Disagreement says, when the input named a layer the source does
	// not reproduce, why the source may differ from AWS; omitted
	// otherwise.
	Disagreement string `json:"disagreement,omitempty"`
}

// jsonUndecided is a statement whose match the request cannot decide.
type jsonUndecided struct {
	Layer     policy.Layer  `json:"layer"`
	Policy    string        `json:"policy"`
	Statement string        `json:"statement"`
	Effect    policy.Effect `json:"effect"`
	Reason    string        `json:"reason"`
	Detail    string        `json:"detail"`
}

type jsonMissing struct {
	Key       string `json:"key"`
	Policy    string `json:"policy"`
	Statement string `json:"statement"`
	Message   string `json:"message"`
}

// JSON writes d as the `iamdiag diagnose --format json` contract, indented,
// with a final newline.
func JSON(w io.Writer, d *Diagnosis) error {
	if d == nil || d.Result == nil {
		return fmt.Errorf("writing JSON report: %w", errNoResult)
	}
	b, err := json.MarshalIndent(toJSON(d), "", "  ")
	if err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	return nil
}

func toJSON(d *Diagnosis) jsonDiagnosis {
	r := d.Result
	req := d.request()
	ctx := req.Context
	if ctx == nil {
		ctx = &policy.Context{}
	}
	out := jsonDiagnosis{
		Request: jsonRequest{
			Principal: strOrNil(req.Principal.ARN),
			RoleARN:   strOrNil(req.Principal.IAMARN),
			Account:   strOrNil(req.Principal.Account),
			Action:    strOrNil(req.Action),
			Resource:  strOrNil(req.Resource),
			Context:   ctx,
		},
		Decision:            r.Decision,
		Blockers:            []jsonBlocker{},
		Layers:              []jsonLayer{},
		Hint:                hintJSON(d),
		Fix:                 []any{},
		Warnings:            d.warnings(),
		InferredContextKeys: ctx.InferredKeys(),
		MissingContextKeys:  []jsonMissing{},
		Suspects:            r.Suspects,
		RestsOnMissingKeys:  restsOnMissing(r),
		result:              r,
		CrossCheck:          crossCheckJSON(d.CrossCheck),
		InputCaveat:         d.InputCaveat,
		Record:              recordJSON(d.Record),
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	if out.InferredContextKeys == nil {
		out.InferredContextKeys = []string{}
	}
	for _, u := range r.Undecided {
		out.Undecided = append(out.Undecided, jsonUndecided{Layer: u.Layer, Policy: u.Policy, Statement: u.Statement,
			Effect: u.Effect, Reason: u.Reason, Detail: u.Detail})
	}
	if out.Suspects == nil {
		out.Suspects = []policy.Layer{}
	}
	for _, b := range r.Blockers {
		out.Blockers = append(out.Blockers, blockerJSON(d, b))
	}
	if ex := r.Exception; ex != nil {
		je := &jsonException{Rule: ex.Rule, Reason: ex.Reason, Doc: ex.Page, Error: strOrNil(ex.Error),
			PolicyDecision: ex.PolicyDecision, PolicyBlockers: []jsonBlocker{}}
		for _, b := range ex.PolicyBlockers {
			je.PolicyBlockers = append(je.PolicyBlockers, blockerJSON(d, b))
		}
		out.Exception = je
	}
	for _, l := range r.Layers {
		jl := jsonLayer{
			Layer:    l.Layer,
			Decision: l.Decision,
			Readable: l.Readable,
			Error:    l.Error,
			Note:     l.Note,
			Policies: policiesJSON(l.Policies),
		}
		for _, lv := range l.Levels {
			jl.Levels = append(jl.Levels, jsonLevel{
				Target:   lv.Target,
				Type:     lv.Type,
				Name:     lv.Name,
				Decision: lv.Decision,
				Policies: policiesJSON(lv.Policies),
			})
		}
		out.Layers = append(out.Layers, jl)
	}
	for _, fx := range d.fixes() {
		out.Fix = append(out.Fix, fx)
	}
	for _, m := range r.Missing {
		out.MissingContextKeys = append(out.MissingContextKeys, jsonMissing{Key: m.Key, Policy: m.Policy, Statement: m.Statement, Message: m.Message})
	}
	return out
}

func blockerJSON(d *Diagnosis, b simulate.Blocker) jsonBlocker {
	jb := jsonBlocker{
		Layer:      b.Layer,
		Kind:       b.Kind,
		Policy:     strOrNil(b.Policy),
		PolicyName: strOrNil(b.PolicyName),
		Statement:  strOrNil(b.Statement),
		Target:     strOrNil(b.Target),
		Conditions: conditionsJSON(b.Conditions),
	}
	if lr := d.layerResult(b.Layer); lr != nil && b.Target != "" {
		jb.TargetName = strOrNil(lr.LevelName(b.Target))
	}
	return jb
}

func hintJSON(d *Diagnosis) jsonHint {
	if d.Hint == nil {
		return jsonHint{Source: "flags"}
	}
	h := jsonHint{
		Source:    d.Hint.Source,
		Layer:     strOrNil(d.Hint.Layer),
		Kind:      kindOrNil(d.Hint.Kind),
		PolicyARN: strOrNil(d.Hint.PolicyARN),
	}
	if agrees, known := d.agrees(); known {
		h.Agrees = &agrees
	}
	if d.Disagrees() {
		h.Disagreement = d.disagreement()
	}
	return h
}

// kindOrNil returns nil for the zero kind, "not said".
func kindOrNil(k simulate.BlockerKind) *string {
	if k == 0 {
		return nil
	}
	return strOrNil(k.String())
}

func conditionsJSON(cs []policy.ConditionTrace) []jsonCondition {
	out := make([]jsonCondition, 0, len(cs))
	for _, c := range cs {
		out = append(out, jsonCondition{
			Key:           c.Key,
			Operator:      c.Operator,
			PolicyValues:  nonNil(c.PolicyValues),
			RequestValues: nonNil(c.RequestValues),
			KeyPresent:    c.KeyPresent,
			Matched:       c.Matched,
			Error:         c.Err,
		})
	}
	return out
}

func policiesJSON(ps []simulate.PolicyResult) []jsonPolicy {
	out := make([]jsonPolicy, 0, len(ps))
	for _, p := range ps {
		jp := jsonPolicy{Allowing: []string{}, Denying: []string{}, Decision: policy.NotApplicable.String()}
		if s := p.Source; s != nil {
			jp.Policy = s.ID()
			jp.PolicyName = s.Name
			jp.Origin = s.Origin
			jp.Target = s.Target
			jp.AWSManaged = s.AWSManaged
		}
		if e := p.Evaluation; e != nil {
			jp.Decision = e.Decision.String()
			for _, st := range e.Statements {
				if !st.Applies || st.Statement == nil {
					continue
				}
				if st.Statement.Effect == policy.Deny {
					jp.Denying = append(jp.Denying, st.Statement.ID())
				} else {
					jp.Allowing = append(jp.Allowing, st.Statement.ID())
				}
			}
			for _, err := range e.Errors {
				jp.Errors = append(jp.Errors, err.Error())
			}
		}
		out = append(out, jp)
	}
	return out
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
