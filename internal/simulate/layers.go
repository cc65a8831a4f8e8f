package simulate

import "github.com/iamdiag/iamdiag/internal/policy"

// This file decides, for the layers other than SCPs and RCPs, whether the
// layer takes part (…Applies) and what its policies' decisions mean for it
// (…State). Evaluate and Decide share these functions.

// resourceApplies decides whether the resource-based policy is evaluated.
func resourceApplies(e *env) applicability {
	l := e.l
	switch {
	case l.ResourceRead.Unreadable && l.ResourceRead.Error == "NotCaptured":
		// The source never read it (a snapshot holds only the resource
		// policies it lists): unknown, not absent.
		return applicability{st: stUnknown, note: l.ResourceRead.Message}
	case l.ResourceRead.Unreadable:
		return applicability{st: stUnknown, note: unreadableNote("the resource-based policy", l.ResourceRead)}
	case e.awsOwned && (l.Resource == nil || l.Resource.Document == nil):
		// AWS managed policies belong to no account and have no
		// resource-based policy: the caller's own policies decide
		// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/about-managed-policy-reference.html).
		return applicability{st: stNA, note: "AWS owns this resource (its ARN has \"aws\" for the account): it has no resource-based policy, and the caller's identity-based policies decide"}
	case l.Resource == nil || l.Resource.Document == nil:
		switch {
		case e.required == requiredKMSKey:
			// Every KMS key has a key policy: a missing one was not
			// gathered, not absent
			// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).
			return applicability{st: stUnknown, note: "the key policy was not provided; every KMS key has one and it must allow the request"}
		case e.required == requiredRoleTrust:
			return applicability{st: stUnknown, note: "the role trust policy was not provided; every role has one and it must allow the request"}
		case e.cross:
			// Cross-account access needs the resource-based policy to
			// allow (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
			return applicability{st: stImplicit, note: orOmitted(l.ResourceRead, "the resource has no resource-based policy", "resource-based policy") + ", and cross-account access needs one that allows the request"}
		case e.resourceOnly:
			return applicability{st: stImplicit, note: orOmitted(l.ResourceRead, "the resource has no resource-based policy", "resource-based policy") + ", the only policy that can grant access to " + describeType(e.p.Type)}
		}
		return applicability{st: stNA, note: orOmitted(l.ResourceRead, "the resource has no resource-based policy", "resource-based policy")}
	}
	return applicability{evaluate: true}
}

// resourceState maps the resource-based policy's decision to its state.
// Within one account, a resource-based policy that does not allow is no
// blocker unless it must allow (KMS key, role trust policy).
func resourceState(e *env, d policy.Decision) (state, string) {
	switch d {
	case policy.Denied:
		return stDeny, "a Deny statement of the resource-based policy applies"
	case policy.Allowed:
		return stAllow, ""
	}
	switch {
	case e.required == requiredKMSKey:
		return stImplicit, "no statement of the key policy allows the request; KMS requires the key policy to allow, or to delegate to IAM through the account principal"
	case e.required == requiredRoleTrust:
		return stImplicit, "no statement of the role trust policy allows the request; the trust policy must allow it"
	case e.cross:
		return stImplicit, "no statement of the resource-based policy allows the request, and cross-account access needs one"
	case e.resourceOnly:
		return stImplicit, "no statement of the resource-based policy allows the request"
	}
	return stNA, "no statement of the resource-based policy applies; within one account the identity-based policies can grant access alone"
}

// identityApplies decides whether the identity-based policies are
// evaluated.
func identityApplies(e *env) applicability {
	switch {
	case e.resourceOnly:
		return applicability{st: stNA, note: describeType(e.p.Type) + " have no identity-based policies"}
	case e.l.IdentityRead.Unreadable && e.p.Type != typeAccount:
		return applicability{st: stUnknown, note: unreadableNote("the identity-based policies", e.l.IdentityRead)}
	}
	return applicability{evaluate: true}
}

// identityState maps the identity-based policies' decision to a state.
func identityState(e *env, d policy.Decision) (state, string) {
	switch {
	case d == policy.Denied:
		return stDeny, "a Deny statement of an identity-based policy applies"
	case e.p.Type == typeAccount:
		// "all requests are implicitly denied with the exception of the
		// AWS account root user, which has full access"
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html).
		return stAllow, "the root user has full access in its account"
	case d == policy.Allowed:
		return stAllow, ""
	case len(e.l.Identity) == 0:
		return stImplicit, "no identity-based policy is attached to the principal"
	}
	return stImplicit, "no identity-based policy allows the request"
}

// boundaryApplies decides whether the permissions boundary is evaluated.
func boundaryApplies(e *env) applicability {
	l := e.l
	switch {
	case e.resourceOnly:
		return applicability{st: stNA, note: "permissions boundaries apply to IAM users and roles only"}
	case l.BoundaryRead.Unreadable:
		return applicability{st: stUnknown, note: unreadableNote("the permissions boundary", l.BoundaryRead)}
	case l.Boundary == nil:
		return applicability{st: stNA, note: orOmitted(e.l.BoundaryRead, "no permissions boundary is attached", "permissions boundary")}
	case l.Boundary.Document == nil:
		return applicability{st: stUnknown, note: "the permissions boundary's document was not provided"}
	}
	return applicability{evaluate: true}
}

// boundaryState maps the boundary's decision to a state: the identity-based
// permissions are the intersection with the boundary
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
func boundaryState(d policy.Decision) (state, string) {
	switch d {
	case policy.Denied:
		return stDeny, "a Deny statement of the permissions boundary applies"
	case policy.Allowed:
		return stAllow, ""
	}
	return stImplicit, "the permissions boundary does not allow the request, which caps what the identity-based policies grant"
}

// sessionApplies decides whether session policies are evaluated.
func sessionApplies(e *env) applicability {
	l := e.l
	switch {
	case !isSession(&e.p):
		// Session policies exist for role sessions and federated user
		// sessions only
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session).
		return applicability{st: stNA, note: "session policies apply only to role sessions and federated user sessions"}
	case l.SessionRead.Unreadable:
		return applicability{st: stUnknown, note: unreadableNote("the session policy", l.SessionRead)}
	case !l.SessionKnown:
		return applicability{st: stUnknown, note: sessionUnknownWarning}
	case len(l.Session) == 0:
		if e.p.Type == typeFederatedUser {
			// "If there is no session policy, the code checks whether the
			// principal is a role session. If the principal is a role
			// session, then the request is Allowed. Otherwise, the request
			// is implicitly denied"
			// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html).
			return applicability{st: stImplicit, note: "a federated user session (GetFederationToken) without a session policy gets no permissions from identity-based policies"}
		}
		return applicability{st: stNA, note: orOmitted(e.l.SessionRead, "no session policy was passed when the session was created", "session policy")}
	}
	return applicability{evaluate: true}
}

// sessionState maps the session policies' combined decision to a state:
// the session's permissions are the intersection of the identity-based
// policies and the session policies (the inline one and the managed ones
// passed together, any of which may allow)
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session).
func sessionState(d policy.Decision) (state, string) {
	switch d {
	case policy.Denied:
		return stDeny, "a Deny statement of a session policy applies"
	case policy.Allowed:
		return stAllow, ""
	}
	return stImplicit, "no session policy allows the request, which caps what the identity-based policies grant"
}

// sessionUnknownWarning is the warning for a session whose session
// policies could not be known.
const sessionUnknownWarning = "session policies cannot be read after the fact; if the session was created with a session policy (AssumeRole or GetFederationToken with Policy or PolicyArns), it may limit this request"

// vpceApplies decides whether the VPC endpoint policy is evaluated: it
// takes part in every request that went through an endpoint, and in no
// other
// (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html).
func vpceApplies(e *env) applicability {
	l := e.l
	switch {
	case l.VPCEndpointRead.Unreadable && l.VPCEndpointRead.Message != "" && (l.VPCEndpointRead.Error == "NotCaptured" || l.VPCEndpointRead.Error == "NotRead"):
		// The source never read it: its message says why and what to do.
		return applicability{st: stUnknown, note: l.VPCEndpointRead.Message}
	case l.VPCEndpointRead.Unreadable:
		return applicability{st: stUnknown, note: unreadableNote("the VPC endpoint policy", l.VPCEndpointRead)}
	case l.VPCEndpoint != nil && l.VPCEndpoint.Document == nil:
		return applicability{st: stUnknown, note: "the VPC endpoint policy's document was not provided; an endpoint policy must allow every request through the endpoint"}
	case l.VPCEndpoint != nil:
		return applicability{evaluate: true}
	case l.VPCEndpointRead.Omitted:
		return applicability{st: stNA, note: orOmitted(l.VPCEndpointRead, "", "VPC endpoint policy")}
	case l.NoVPCEndpoint:
		return applicability{st: stNA, note: "the request did not go through a VPC endpoint"}
	case e.vpce != "":
		return applicability{st: stNA, note: "no policy was given for VPC endpoint " + e.vpce + " the request went through: it was not evaluated"}
	}
	return applicability{st: stNA, note: "the request's VPC endpoint is unknown (no aws:SourceVpce): if it went through one, its policy was not evaluated"}
}

// vpceState maps the endpoint policy's decision to a state: like an SCP,
// it must allow and cannot grant
// (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html:
// it "does not override or replace identity-based policies or
// resource-based policies").
func vpceState(d policy.Decision) (state, string) {
	switch d {
	case policy.Denied:
		return stDeny, "a Deny statement of the VPC endpoint policy applies"
	case policy.Allowed:
		return stAllow, ""
	}
	return stImplicit, "no statement of the VPC endpoint policy allows the request; it must allow every request that goes through the endpoint"
}

// orOmitted returns note, or, when the source was not asked about the
// layer (policy files without one), that the layer is not part of the
// question.
func orOmitted(r policy.Readability, note, what string) string {
	if r.Omitted {
		return "not part of the question: no " + what + " was given"
	}
	return note
}
