package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func boolPtr(b bool) *bool { return &b }

// crossCheckAgreesCase: the simulator finds the same SCP deny; its matched
// statement's ARN holds underscores, which Markdown must escape.
func crossCheckAgreesCase() *Diagnosis {
	d := scpDenyCase()
	d.CrossCheck = &CrossCheck{
		PolicySourceARN:        roleARN,
		Decision:               "explicitDeny",
		AllowedByOrganizations: boolPtr(false),
		MatchedStatements:      []CrossCheckStatement{{PolicyID: scpARN, PolicyType: "none"}},
		MissingContextValues:   []string{"aws:SourceVpc"},
		Agrees:                 true,
		Detail:                 "iam:SimulatePrincipalPolicy says explicitDeny, SCPs allow: false, matched: " + scpARN,
	}
	return d
}

// crossCheckDisagreesCase: the simulator allows what the SCP denies
// locally; the local side is shown beside it.
func crossCheckDisagreesCase() *Diagnosis {
	d := scpDenyCase()
	d.CrossCheck = &CrossCheck{
		PolicySourceARN:              roleARN,
		Decision:                     "allowed",
		AllowedByOrganizations:       boolPtr(true),
		AllowedByPermissionsBoundary: boolPtr(true),
		Agrees:                       false,
		Detail:                       "iam:SimulatePrincipalPolicy says allowed, SCPs allow: true, boundary allows: true",
	}
	return d
}

// crossCheckSkippedCase: the credentials may not call the simulator.
func crossCheckSkippedCase() *Diagnosis {
	d := boundaryCase()
	d.CrossCheck = &CrossCheck{
		PolicySourceARN: roleARN,
		Detail:          "cross-check skipped: iam:SimulatePrincipalPolicy was denied (AccessDenied); allow iam:SimulatePrincipalPolicy to the credentials for AWS's own verdict beside iamdiag's",
		Skipped:         true,
	}
	return d
}

func TestCrossCheckFields(t *testing.T) {
	tests := []struct {
		name string
		d    *Diagnosis
		want []Field
	}{
		{"none", scpDenyCase(), nil},
		{"nil diagnosis", nil, nil},
		{"agrees", crossCheckAgreesCase(), []Field{
			{"simulated", roleARN},
			{"decision", "explicitDeny — agrees with the local verdict"},
			{"SCPs", "deny"},
			{"permissions boundary", "no boundary decision"},
			{"matched", scpARN + " (none)"},
			{"missing context", "aws:SourceVpc"},
			{"detail", "iam:SimulatePrincipalPolicy says explicitDeny, SCPs allow: false, matched: " + scpARN},
		}},
		{"disagrees", crossCheckDisagreesCase(), []Field{
			{"simulated", roleARN},
			{"decision", "allowed — DISAGREES with the local verdict"},
			{"SCPs", "allow"},
			{"permissions boundary", "allow"},
			{"detail", "iam:SimulatePrincipalPolicy says allowed, SCPs allow: true, boundary allows: true"},
			{"local verdict", "explicit-deny: scp explicit-deny in DenyEC2 statement NoEC2"},
		}},
		{"skipped", crossCheckSkippedCase(), []Field{
			{"skipped", "iam:SimulatePrincipalPolicy was denied (AccessDenied); allow iam:SimulatePrincipalPolicy to the credentials for AWS's own verdict beside iamdiag's"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, CrossCheckFields(tc.d)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestCrossCheckJSON: "crosscheck" is absent without a cross-check, and a
// skipped one has null decision and agreement.
func TestCrossCheckJSON(t *testing.T) {
	type ccJSON struct {
		PolicySourceARN      string  `json:"policy_source_arn"`
		Decision             *string `json:"decision"`
		AllowedByOrgs        *bool   `json:"allowed_by_organizations"`
		AllowedByBoundary    *bool   `json:"allowed_by_permissions_boundary"`
		MatchedStatements    []map[string]string
		MissingContextValues []string `json:"missing_context_values"`
		Agrees               *bool    `json:"agrees"`
		Skipped              bool     `json:"skipped"`
	}
	decode := func(t *testing.T, d *Diagnosis) (map[string]json.RawMessage, *ccJSON) {
		t.Helper()
		var b bytes.Buffer
		if err := JSON(&b, d); err != nil {
			t.Fatal(err)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(b.Bytes(), &top); err != nil {
			t.Fatal(err)
		}
		raw, ok := top["crosscheck"]
		if !ok {
			return top, nil
		}
		var cc ccJSON
		if err := json.Unmarshal(raw, &cc); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), `"matched_statements": [`) || !strings.Contains(string(raw), `"missing_context_values": [`) {
			t.Errorf("lists must be arrays, never null: %s", raw)
		}
		return top, &cc
	}
	if _, cc := decode(t, scpDenyCase()); cc != nil {
		t.Errorf("crosscheck present without a cross-check: %+v", cc)
	}
	_, skipped := decode(t, crossCheckSkippedCase())
	if skipped == nil || !skipped.Skipped || skipped.Decision != nil || skipped.Agrees != nil || skipped.PolicySourceARN != roleARN {
		t.Errorf("skipped cross-check: %+v", skipped)
	}
	_, dis := decode(t, crossCheckDisagreesCase())
	if dis == nil || dis.Agrees == nil || *dis.Agrees || dis.Decision == nil || *dis.Decision != "allowed" || dis.AllowedByOrgs == nil || !*dis.AllowedByOrgs {
		t.Errorf("disagreeing cross-check: %+v", dis)
	}
}
