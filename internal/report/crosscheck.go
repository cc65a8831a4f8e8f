package report

import (
	"strings"

	"github.com/iamdiag/iamdiag/internal/simulate"
)

// CrossCheck is AWS's own verdict on the request, from its policy simulator
// (iam:SimulatePrincipalPolicy), beside the local one. The caller asks AWS
// and fills it: report never calls AWS. The simulator does not evaluate
// session policies, RCPs or the resource's own policy, so a disagreement
// is a lead, not a verdict
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html).
type CrossCheck struct {
	// PolicySourceARN is the role or user simulated (never a session ARN).
	PolicySourceARN string
	// Decision is the simulator's EvalDecision: "allowed", "explicitDeny"
	// or "implicitDeny"; empty when Skipped.
	Decision string
	// AllowedByOrganizations is its OrganizationsDecisionDetail; nil when it
	// gave none.
	AllowedByOrganizations *bool
	// AllowedByPermissionsBoundary is its PermissionsBoundaryDecisionDetail;
	// nil when no boundary is attached.
	AllowedByPermissionsBoundary *bool
	// MatchedStatements are the statements the simulator says decided.
	MatchedStatements []CrossCheckStatement
	// MissingContextValues are the context keys the policies test but the
	// request did not give the simulator.
	MissingContextValues []string
	// Agrees says whether the simulator's verdict agrees with the local
	// one; meaningless when Skipped.
	Agrees bool
	// Detail describes the simulator's side, or, when Skipped, why the
	// cross-check could not run ("cross-check skipped: …").
	Detail string
	// Skipped is true when the simulator could not be asked (denied,
	// failed, no role or user to simulate); the diagnosis stands alone.
	Skipped bool
}

// CrossCheckStatement is a statement the simulator matched.
type CrossCheckStatement struct {
	// PolicyID is the simulator's SourcePolicyId: a managed policy's ARN or
	// an inline policy's name.
	PolicyID string
	// PolicyType is its SourcePolicyType: "role", "user", "group",
	// "aws-managed", "user-managed", "resource", "none".
	PolicyType string
}

// Field is one name and value of a report section.
type Field struct {
	Name, Value string
}

// crossCheckTitle heads the cross-check section.
const crossCheckTitle = "Cross-check (iam:SimulatePrincipalPolicy)"

// skippedPrefix starts the Detail of a skipped cross-check; the section's
// "skipped" line leaves it out.
const skippedPrefix = "cross-check skipped: "

// CrossCheckFields are the lines of the cross-check section, as the text,
// Markdown and chat reports show them; nil when d has no cross-check.
func CrossCheckFields(d *Diagnosis) []Field {
	if d == nil || d.CrossCheck == nil {
		return nil
	}
	cc := d.CrossCheck
	if cc.Skipped {
		return []Field{{"skipped", strings.TrimPrefix(cc.Detail, skippedPrefix)}}
	}
	verdict := "agrees with the local verdict"
	if !cc.Agrees {
		verdict = "DISAGREES with the local verdict"
	}
	out := []Field{
		{"simulated", cc.PolicySourceARN},
		{"decision", cc.Decision + " — " + verdict},
		{"SCPs", allowedWord(cc.AllowedByOrganizations, "no organization decision")},
		{"permissions boundary", allowedWord(cc.AllowedByPermissionsBoundary, "no boundary decision")},
	}
	if len(cc.MatchedStatements) > 0 {
		ids := make([]string, 0, len(cc.MatchedStatements))
		for _, st := range cc.MatchedStatements {
			ids = append(ids, st.PolicyID+" ("+st.PolicyType+")")
		}
		out = append(out, Field{"matched", strings.Join(ids, ", ")})
	}
	if len(cc.MissingContextValues) > 0 {
		out = append(out, Field{"missing context", strings.Join(cc.MissingContextValues, ", ")})
	}
	out = append(out, Field{"detail", cc.Detail})
	if !cc.Agrees && d.Result != nil {
		out = append(out, Field{"local verdict", localSide(d.Result)})
	}
	return out
}

func allowedWord(b *bool, none string) string {
	switch {
	case b == nil:
		return none
	case *b:
		return "allow"
	}
	return "deny"
}

// localSide describes the local verdict and its blockers in one line.
func localSide(r *simulate.Result) string {
	s := r.Decision.String()
	for i, bl := range r.Blockers {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		s += sep + string(bl.Layer) + " " + bl.Kind.String()
		if bl.PolicyName != "" || bl.Policy != "" {
			name := bl.PolicyName
			if name == "" {
				name = bl.Policy
			}
			s += " in " + name
		}
		if bl.Statement != "" {
			s += " statement " + bl.Statement
		}
	}
	return s
}

// jsonCrossCheck is the "crosscheck" field of the JSON report.
type jsonCrossCheck struct {
	PolicySourceARN              string                 `json:"policy_source_arn"`
	Decision                     *string                `json:"decision"`
	AllowedByOrganizations       *bool                  `json:"allowed_by_organizations"`
	AllowedByPermissionsBoundary *bool                  `json:"allowed_by_permissions_boundary"`
	MatchedStatements            []jsonMatchedStatement `json:"matched_statements"`
	MissingContextValues         []string               `json:"missing_context_values"`
	// Agrees is null when the cross-check was skipped.
	Agrees  *bool  `json:"agrees"`
	Detail  string `json:"detail"`
	Skipped bool   `json:"skipped"`
}

type jsonMatchedStatement struct {
	PolicyID   string `json:"source_policy_id"`
	PolicyType string `json:"source_policy_type"`
}

func crossCheckJSON(cc *CrossCheck) *jsonCrossCheck {
	if cc == nil {
		return nil
	}
	out := &jsonCrossCheck{
		PolicySourceARN:      cc.PolicySourceARN,
		MatchedStatements:    []jsonMatchedStatement{},
		MissingContextValues: append([]string{}, cc.MissingContextValues...),
		Detail:               cc.Detail,
		Skipped:              cc.Skipped,
	}
	if cc.Skipped {
		return out
	}
	out.Decision = strOrNil(cc.Decision)
	out.AllowedByOrganizations = cc.AllowedByOrganizations
	out.AllowedByPermissionsBoundary = cc.AllowedByPermissionsBoundary
	agrees := cc.Agrees
	out.Agrees = &agrees
	for _, st := range cc.MatchedStatements {
		out.MatchedStatements = append(out.MatchedStatements, jsonMatchedStatement{PolicyID: st.PolicyID, PolicyType: st.PolicyType})
	}
	return out
}
