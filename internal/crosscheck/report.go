package crosscheck

import (
	"context"
	"errors"

	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/report"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// Report asks the simulator for its verdict on req, the request of the local
// result (with source, the role or user ARN the simulator accepts) and returns the
// report's cross-check: the comparison with the local verdict, or a skipped
// cross-check saying why the simulator could not be asked. called is false
// when no call was made (no IAM role or user to simulate).
func Report(ctx context.Context, api SimulatePrincipalPolicyAPI, local *simulate.Result, req *policy.Request, source string) (c *report.CrossCheck, called bool) {
	r, err := Check(ctx, api, req, source)
	var ce *Error
	called = !errors.As(err, &ce) || !errors.Is(ce, ErrNoSource)
	if err != nil {
		detail := "cross-check skipped: " + err.Error()
		if errors.As(err, &ce) && ce.Denied {
			detail += "; allow iam:SimulatePrincipalPolicy to the credentials for AWS's own verdict beside iamdiag's"
		}
		return &report.CrossCheck{PolicySourceARN: source, Detail: detail, Skipped: true}, called
	}
	agrees, detail := Explain(local, r)
	c = &report.CrossCheck{
		PolicySourceARN:              r.PolicySourceARN,
		Decision:                     r.EvalDecision,
		AllowedByOrganizations:       r.AllowedByOrganizations,
		AllowedByPermissionsBoundary: r.AllowedByPermissionsBoundary,
		MissingContextValues:         append([]string(nil), r.MissingContextValues...),
		Agrees:                       agrees,
		Detail:                       detail,
	}
	for _, st := range r.MatchedStatements {
		c.MatchedStatements = append(c.MatchedStatements, report.CrossCheckStatement{PolicyID: st.SourcePolicyID, PolicyType: st.SourcePolicyType})
	}
	return c, called
}
