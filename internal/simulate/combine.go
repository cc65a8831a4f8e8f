package simulate

import "github.com/iamdiag/iamdiag/internal/policy"

// state is one layer's own verdict, before the layers are combined.
type state uint8

const (
	stNA       state = iota // the layer does not take part
	stExempt                // SCP/RCP that does not restrict this principal or resource
	stUnknown               // unreadable, or not knowable (session policies)
	stAllow                 // an Allow applies (at every level, for SCP/RCP)
	stImplicit              // no Allow applies (at some level, for SCP/RCP)
	stDeny                  // a Deny applies
)

// decision returns the LayerResult decision of s.
func (s state) decision() LayerDecision {
	switch s {
	case stExempt:
		return LayerExempt
	case stUnknown:
		return LayerUnknown
	case stAllow:
		return LayerAllow
	case stImplicit:
		return LayerImplicitDeny
	case stDeny:
		return LayerExplicitDeny
	}
	return LayerNotApplicable
}

// facts are the per-layer verdicts that decide the request. Evaluate and
// Decide both compute them, then share combine, so that both reach the
// same decision.
type facts struct {
	scp, rcp, resource, identity, boundary, session state
	// vpce is the VPC endpoint policy's state.
	vpce state
	// grant is how the resource-based policy grants access, when
	// resource is stAllow.
	grant grantClass
	// cross, required and resourceOnly come from env.
	cross        bool
	required     requiredKind
	resourceOnly bool
}

// state returns the state of layer.
func (f *facts) state(layer policy.Layer) state {
	switch layer {
	case policy.LayerSCP:
		return f.scp
	case policy.LayerRCP:
		return f.rcp
	case policy.LayerResource:
		return f.resource
	case policy.LayerIdentity:
		return f.identity
	case policy.LayerBoundary:
		return f.boundary
	case policy.LayerSession:
		return f.session
	case policy.LayerVPCEndpoint:
		return f.vpce
	}
	return stNA
}

// ok reports whether a layer that must allow (or be absent) lets the
// request through: unknown layers are taken as allowing, so that a deny is
// only ever explained by layers that were read.
func ok(s state) bool { return s != stImplicit && s != stDeny }

// layer bits for blocker sets.
const (
	bitRCP = 1 << iota
	bitSCP
	bitResource
	bitIdentity
	bitBoundary
	bitSession
	bitVPCE
)

// outcome is the result of combine.
type outcome struct {
	decision Decision
	// implicit has a bit per layer whose implicit deny blocks the
	// request, ignoring explicit denies (a fix must clear them too).
	implicit int
	// unknown has a bit per layer that is unknown.
	unknown int
}

// combine applies AWS's evaluation logic to the layer verdicts.
//
// Explicit denies in any layer win
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html,
// "Deny evaluation"). Then RCPs and SCPs must allow, and so must the policy
// of the VPC endpoint the request went through
// (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html),
// then the grant:
//
//   - cross-account, both the identity-based side (limited by the boundary
//     and session policies) and the resource-based policy must allow
//     (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html);
//   - KMS keys and role trust policies: the resource policy must allow; when
//     it allows through the account principal, the identity-based side must
//     allow as well (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html);
//   - otherwise, in one account, an Allow on either side suffices, with the
//     exceptions for role ARNs and IAM users that federated, which the
//     boundary and session policies still limit
//     (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html,
//     "Resource-based policies").
func combine(f *facts) outcome {
	var o outcome
	for i, s := range [...]state{f.rcp, f.scp, f.resource, f.identity, f.boundary, f.session, f.vpce} {
		if s == stUnknown {
			o.unknown |= 1 << i
		}
	}
	deny := f.rcp == stDeny || f.scp == stDeny || f.resource == stDeny ||
		f.identity == stDeny || f.boundary == stDeny || f.session == stDeny || f.vpce == stDeny

	if f.rcp == stImplicit {
		o.implicit |= bitRCP
	}
	if f.scp == stImplicit {
		o.implicit |= bitSCP
	}
	if f.vpce == stImplicit {
		// The endpoint policy must allow, as an SCP must, whatever grants
		// the request.
		o.implicit |= bitVPCE
	}
	o.implicit |= grantBlockers(f)

	switch {
	case deny:
		o.decision = ExplicitDeny
	case o.implicit != 0:
		o.decision = ImplicitDeny
	case o.unknown != 0:
		o.decision = Inconclusive
	default:
		o.decision = Allowed
	}
	return o
}

// grantBlockers returns the layers whose implicit deny keeps the identity-
// and resource-based policies from granting the request; 0 when they grant
// it.
func grantBlockers(f *facts) int {
	// identityPath is the set of layers that fail on the identity side:
	// identity-based policies ∩ boundary ∩ session policies
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html,
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session).
	var idFail, limitFail int
	if !ok(f.identity) {
		idFail |= bitIdentity
	}
	if !ok(f.boundary) {
		limitFail |= bitBoundary
	}
	if !ok(f.session) {
		limitFail |= bitSession
	}
	identityPath := idFail | limitFail
	// An unknown resource policy is taken as allowing only where it must
	// allow; it is never taken as an extra grant.
	rAllow := f.resource == stAllow || f.resource == stUnknown

	if f.resourceOnly {
		// Service principals and anonymous callers have no identity-based
		// policies: only the resource-based policy can grant.
		if rAllow {
			return 0
		}
		return bitResource
	}
	switch {
	case f.cross:
		b := identityPath
		if !rAllow {
			b |= bitResource
		}
		return b
	case f.required != requiredNone:
		switch {
		case !rAllow:
			// The key or trust policy must allow first. A boundary or
			// session policy that allows nothing blocks as well: the
			// usual fixes, a grant to the role or to the account, are
			// still capped by them
			// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html,
			// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session),
			// and a fix must clear every blocker.
			return bitResource | limitFail
		case f.resource == stUnknown || f.grant == grantAccount:
			return identityPath
		case f.grant == grantIdentity:
			return limitFail
		case f.grant == grantWildcard:
			return limitFail & bitSession
		}
		return 0
	}
	if identityPath == 0 {
		return 0
	}
	if f.resource == stAllow {
		switch f.grant {
		case grantDirect:
			return 0
		case grantIdentity:
			// The resource-based path needs only the boundary and the
			// session policies; fixing them is the smaller change.
			return limitFail
		case grantWildcard:
			// A grant to everyone is limited by session policies only
			// (see grantWildcard).
			return limitFail & bitSession
		}
	}
	return identityPath
}

// bitLayer maps a layer bit to its layer.
func bitLayer(bit int) policy.Layer {
	switch bit {
	case bitRCP:
		return policy.LayerRCP
	case bitSCP:
		return policy.LayerSCP
	case bitResource:
		return policy.LayerResource
	case bitIdentity:
		return policy.LayerIdentity
	case bitBoundary:
		return policy.LayerBoundary
	case bitVPCE:
		return policy.LayerVPCEndpoint
	}
	return policy.LayerSession
}
