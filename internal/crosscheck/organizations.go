package crosscheck

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/report"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// SimulatorSCPName is the policy name of an SCP blocker known only from
// AWS's simulator: the SCP layer could not be read, the simulator said the
// organization denies.
const SimulatorSCPName = "unknown SCP (AWS's simulator: AllowedByOrganizations false)"

// OrganizationsVerdict uses the simulator's OrganizationsDecisionDetail
// when the SCP layer could not be read: where AWS's simulator says the
// organization denies the request (AllowedByOrganizations false), the SCP
// layer becomes a blocker "according to AWS's simulator", its policy and
// statement unknown, instead of an unknown layer; the verdict is
// re-evaluated with it. The SCP layer stays unreadable in the report.
// Nothing else changes: an SCP layer the simulator says allows stays
// unknown (nothing becomes allowed because it could not be read). It
// reports whether it changed d.
func OrganizationsVerdict(d *report.Diagnosis, l *policy.Layers, c *report.CrossCheck) bool {
	if d == nil || d.Result == nil || l == nil || c == nil || c.Skipped || !l.SCPRead.Unreadable ||
		c.AllowedByOrganizations == nil || *c.AllowedByOrganizations {
		return false
	}
	req := d.Input
	if req == nil {
		req = d.Result.Request
	}
	if req == nil {
		return false
	}
	// The simulator says only whether the organization allows. With an
	// explicit deny and no identity statement that matched, the deny is
	// the organization's; otherwise nothing in the SCPs allows.
	explicit := c.Decision == DecisionExplicitDeny && len(c.MatchedStatements) == 0
	doc, err := simulatorSCP(req.Action, explicit)
	if err != nil {
		return false
	}
	acct := l.Principal.Account
	src := policy.Source{Layer: policy.LayerSCP, Name: SimulatorSCPName, Origin: "iam:SimulatePrincipalPolicy OrganizationsDecisionDetail", Target: acct, Document: doc}
	l2 := *l
	l2.SCP = []policy.OrgLevel{{Target: acct, Type: "ACCOUNT", Policies: []policy.Source{src}}}
	l2.SCPRead = policy.Readability{}
	res := simulate.Evaluate(req, &l2, simulate.Options{})
	for i := range res.Blockers {
		if b := &res.Blockers[i]; b.Layer == policy.LayerSCP {
			// The policy, statement and level are AWS's secret: say so.
			b.Policy, b.PolicyName, b.Statement, b.Target, b.Conditions = "", SimulatorSCPName, "(unknown)", "", nil
			if b.Kind == simulate.BlockerImplicitDeny {
				b.Statement, b.Target = "", "(unknown)"
			}
		}
	}
	for i := range res.Layers {
		if lr := &res.Layers[i]; lr.Layer == policy.LayerSCP {
			lr.Readable, lr.Error, lr.Policies, lr.Levels = false, l.SCPRead.Error, nil, nil
			lr.Note = "according to AWS's simulator (iam:SimulatePrincipalPolicy): the organization's SCPs deny the request (AllowedByOrganizations false); which SCP and statement is unknown: " + l.SCPRead.Message
		}
	}
	if d.Result.Request != nil {
		// The stand-in level is no organization path: the effective
		// request stays as inferred from what was read.
		res.Request = d.Result.Request
	}
	res.Suspects = slices.DeleteFunc(res.Suspects, func(x policy.Layer) bool { return x == policy.LayerSCP })
	d.Result = res
	d.Warnings = append(d.Warnings, "the SCPs could not be read, but AWS's simulator (iam:SimulatePrincipalPolicy) says the organization denies the request: the SCP blocker is its verdict, without the policy or statement; read the SCPs with Organizations credentials of the management account or a delegated administrator to see them")
	return true
}

// simulatorSCP is a stand-in SCP for the simulator's verdict: a Deny of
// the action beside an Allow of everything, or an Allow of everything but
// the action (nothing allows it).
func simulatorSCP(action string, explicit bool) (*policy.Document, error) {
	st := []map[string]any{{"Effect": "Allow", "NotAction": action, "Resource": "*"}}
	if explicit {
		st = []map[string]any{{"Effect": "Deny", "Action": action, "Resource": "*"},
			{"Effect": "Allow", "Action": "*", "Resource": "*"}}
	}
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": st})
	if err != nil {
		return nil, fmt.Errorf("building the simulator's SCP: %w", err)
	}
	return policy.Parse(b)
}
