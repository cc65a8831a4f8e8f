package audit

import (
	"fmt"
	"strings"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// ssoPath is where IAM Identity Center creates the roles of its permission
// sets
// (https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html).
const ssoPath = "/aws-reserved/sso.amazonaws.com/"

// federationActions are the STS calls through which an identity provider's
// users assume a role: SAML 2.0 and OIDC (web identity)
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers.html).
var federationActions = []string{"sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"}

// federatedNoBoundary reports a role that people or CI reach through
// federation (its trust policy allows AssumeRoleWithSAML or
// AssumeRoleWithWebIdentity, or names a Federated principal) or through
// IAM Identity Center (its path), when it has no permissions boundary.
func federatedNoBoundary(r *layers.Role) []Finding {
	if r.PermissionsBoundary != nil && r.PermissionsBoundary.PermissionsBoundaryArn != "" {
		return nil
	}
	how, stmt := federation(r)
	if how == "" {
		return nil
	}
	policyID := trustOrigin(r)
	fix := `Attach a permissions boundary that caps what the role can ever do (no iam:* on roles and policies, no iam:PassRole on "*", ec2:RunInstances only with conditions), e.g. in Terraform: permissions_boundary = aws_iam_policy.boundary.arn on the aws_iam_role; then no later "fix" that attaches ec2:* or AmazonEC2FullAccess can hand a stolen session more than the boundary allows.`
	if strings.HasPrefix(r.Path, ssoPath) {
		// IAM Identity Center owns these roles: the boundary is set on the
		// permission set
		// (https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_PutPermissionsBoundaryToPermissionSet.html).
		fix = `Set a permissions boundary on the IAM Identity Center permission set that created this role (aws sso-admin put-permissions-boundary-to-permission-set, or aws_ssoadmin_permissions_boundary_attachment in Terraform); the role itself is managed by Identity Center and cannot be changed in IAM.`
	}
	f := Finding{Rule: RuleFederatedNoBoundary, Severity: ruleSeverity(RuleFederatedNoBoundary), Principal: r.Arn,
		Policy: policyID, Statement: stmt,
		Message: fmt.Sprintf("role %s is assumed %s and has no permissions boundary", r.RoleName, how),
		Why:     why[RuleFederatedNoBoundary], Fix: fix}
	f.ID = findingID(f.Rule, f.Principal, f.Policy, "", "")
	return []Finding{f}
}

// federation says how the role is federated ("" when it is not) and the
// trust statement that makes it so.
func federation(r *layers.Role) (how, stmt string) {
	if doc := r.AssumeRolePolicyDocument.Document(); doc != nil {
		for i := range doc.Statements {
			st := &doc.Statements[i]
			if st.Effect != policy.Allow {
				continue
			}
			var providers []string
			if st.Principal != nil {
				providers = st.Principal.Values["Federated"]
			}
			var actions []string
			for _, fa := range federationActions {
				// Only an Action element names the federation actions: a
				// NotAction statement covers them without naming them.
				if st.Action != nil && st.CoversAction(fa) {
					actions = append(actions, fa)
				}
			}
			if len(providers) == 0 && len(actions) == 0 {
				continue
			}
			switch {
			case len(providers) > 0 && len(actions) > 0:
				how = "through " + strings.Join(actions, "/") + " from " + strings.Join(providers, ", ")
			case len(providers) > 0:
				how = "by the federated principal " + strings.Join(providers, ", ")
			default:
				how = "through " + strings.Join(actions, "/")
			}
			return how, st.ID()
		}
	}
	if strings.HasPrefix(r.Path, ssoPath) {
		return "through IAM Identity Center (path " + r.Path + ")", ""
	}
	return "", ""
}
