package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// orgID is the audited snapshot's organization id; "" when it has none.
func (a *auditor) orgID() string {
	if a.snap.Organization == nil {
		return ""
	}
	return a.snap.Organization.ID
}

// trustOutsideOrg reports each account outside the organization (not in
// inOrg) that an Allow statement of the role's trust policy names as an AWS
// principal (IAMA006): an account id, its root ARN, or a role or user ARN
// in it. A statement that requires the caller to be in the organization
// (aws:PrincipalOrgID, aws:PrincipalOrgPaths) is not reported.
func trustOutsideOrg(r *layers.Role, inOrg map[string]bool, orgID string) []Finding {
	doc := r.AssumeRolePolicyDocument.Document()
	if doc == nil {
		return nil
	}
	var out []Finding
	for i := range doc.Statements {
		st := &doc.Statements[i]
		if st.Effect != policy.Allow || st.Principal == nil || requiresOrg(st, orgID) {
			continue
		}
		var outside []string
		for _, v := range st.Principal.Values["AWS"] {
			acct := principalAccount(v)
			if acct != "" && !inOrg[acct] && !slices.Contains(outside, acct) {
				outside = append(outside, acct)
			}
		}
		for _, acct := range outside {
			f := Finding{Rule: RuleTrustOutsideOrg, Severity: ruleSeverity(RuleTrustOutsideOrg), Principal: r.Arn,
				Policy: trustOrigin(r), Statement: st.ID(),
				Message: fmt.Sprintf("role %s can be assumed from account %s, which is not in organization %s", r.RoleName, acct, orgID),
				Why:     why[RuleTrustOutsideOrg],
				Fix:     fmt.Sprintf(`If account %s is a vendor's, require its external id ("Condition": {"StringEquals": {"sts:ExternalId": "…"}}); if it should be one of yours, bring it into the organization or, when the organization snapshot is only missing it, capture it again; otherwise remove it from the trust policy (aws iam update-assume-role-policy).`, acct),
				subject: acct}
			f.ID = findingID(f.Rule, f.Principal, f.Policy, f.Statement, f.subject)
			out = append(out, f)
		}
	}
	return out
}

// principalAccount is the account an AWS principal value names: a 12-digit
// id, or the account field of an ARN; "" for "*", a wildcard or anything
// else.
func principalAccount(v string) string {
	if policy.IsAccountID(v) {
		return v
	}
	if a, ok := policy.ParseARN(v); ok && policy.IsAccountID(a.Account) {
		return a.Account
	}
	return ""
}

// requiresOrg reports whether a statement lets in only callers of
// organization orgID: a positive condition on aws:PrincipalOrgID naming it
// or on aws:PrincipalOrgPaths under it
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid).
func requiresOrg(st *policy.Statement, orgID string) bool {
	if orgID == "" {
		return false
	}
	for _, c := range st.Conditions {
		if strings.Contains(c.Operator, "Not") {
			continue
		}
		for _, v := range c.Values {
			switch {
			case strings.EqualFold(c.Key, "aws:PrincipalOrgID") && v == orgID,
				strings.EqualFold(c.Key, "aws:PrincipalOrgPaths") && strings.HasPrefix(v, orgID+"/"):
				return true
			}
		}
	}
	return false
}
