// Package simulate owns AWS's cross-layer evaluation logic: given a request
// and every policy layer that applies to it, it decides whether AWS allows
// the call and, when it does not, which layers block it and why.
//
// It implements the documented order of evaluation
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html):
// an explicit Deny in any layer wins; then resource control policies and
// service control policies must allow at every level of the organization;
// then identity-based and resource-based policies grant access, limited by
// permissions boundaries and session policies as the documentation
// describes for each kind of principal, and cross-account requests need
// both sides to allow. Every layer is evaluated, none is short-circuited,
// so that the Result names every blocker.
//
// The package imports internal/policy only: it runs offline.
package simulate

import (
	"strings"
	"time"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// Options tunes an evaluation.
type Options struct {
	// Now returns the time of the request, for aws:CurrentTime and
	// aws:EpochTime; nil means those keys are not inferred.
	Now func() time.Time
}

// Result is the outcome of Evaluate: the decision with every layer's verdict
// and trace.
type Result struct {
	// Request is the effective request: the principal merged from
	// Layers.Principal, the context with inferred keys (Context.Inferred
	// marks them).
	Request  *policy.Request
	Decision Decision
	// Blockers lists every blocking layer, most decisive first: explicit
	// denies before implicit ones, each group in AWS's evaluation order.
	Blockers []Blocker
	// Layers has one entry per layer, in the order scp, rcp,
	// resource-policy, identity-policy, permissions-boundary,
	// session-policy, vpc-endpoint-policy.
	Layers []LayerResult
	// Suspects are, for Inconclusive, the unreadable or unknown layers
	// that could explain the deny.
	Suspects []policy.Layer
	// Missing lists the condition keys that policies test but that are
	// absent from the request and could not be inferred.
	Missing []MissingKey
	// Undecided lists the statements whose match the request cannot
	// decide (the input named no resource, an unknown condition operator);
	// a layer whose verdict they could change is LayerUnknown.
	Undecided []Undecided
	// Warnings are for people.
	Warnings []string
	// Exception is set when a rule of AWS decides the request whatever
	// its policies say: Decision is then Allowed (no permission is
	// needed) or AlwaysFails, and Blockers and Suspects are empty; the
	// policies' own verdict is in the Exception.
	Exception *Exception
}

// LayerResult is the verdict of one layer.
type LayerResult struct {
	Layer policy.Layer
	// Decision is any of the LayerDecision constants.
	Decision LayerDecision
	Readable bool
	// Error is the AWS error code when the layer is unreadable.
	Error string
	// Note says, in one sentence for people, why the layer blocks or does
	// not.
	Note     string
	Policies []PolicyResult
	// Levels holds, for SCPs and RCPs only, one entry per level from the
	// root down to the account.
	Levels []LevelResult
}

// LevelResult is the verdict of one level of the organization.
type LevelResult struct {
	// Target is the root, OU or account id; Type is "ROOT",
	// "ORGANIZATIONAL_UNIT" or "ACCOUNT"; Name is the OU's name.
	Target, Type, Name string
	// Decision is LayerAllow, LayerExplicitDeny or LayerImplicitDeny.
	Decision LayerDecision
	Policies []PolicyResult
}

// PolicyResult is one policy with its evaluation trace.
type PolicyResult struct {
	Source *policy.Source
	// Evaluation is nil when the source has no document.
	Evaluation *policy.Evaluation
}

// Blocker is one reason the request is denied.
type Blocker struct {
	Layer policy.Layer
	// Kind is BlockerExplicitDeny or BlockerImplicitDeny.
	Kind BlockerKind
	// Policy is the policy's ARN, or its Origin when it has no ARN; empty
	// when no single policy is at fault (e.g. the identity layer has no
	// policy at all).
	Policy     string
	PolicyName string
	// Statement is the Sid or "#N"; empty when no single statement is at
	// fault.
	Statement string
	// Target is, for SCPs and RCPs, the attachment point of a denying
	// policy, or the level at which nothing allows.
	Target string
	// Conditions are, for an explicit deny, the conditions that matched;
	// for an implicit deny, the conditions that failed in the Allow
	// statements that otherwise matched.
	Conditions []policy.ConditionTrace
}

// MissingKey is a condition key that a policy tests but the request lacks.
type MissingKey struct {
	Key string
	// Policy and Statement say where the key is tested.
	Policy    string
	Statement string
	Message   string
}

// layerOrder is the order of Result.Layers.
var layerOrder = [...]policy.Layer{
	policy.LayerSCP, policy.LayerRCP, policy.LayerResource,
	policy.LayerIdentity, policy.LayerBoundary, policy.LayerSession,
	policy.LayerVPCEndpoint,
}

// evalOrder is AWS's evaluation order, used to sort blockers
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html).
// The VPC endpoint policy, which AWS's page does not place, comes after the
// SCPs: like them it must allow and cannot grant.
var evalOrder = [...]policy.Layer{
	policy.LayerRCP, policy.LayerSCP, policy.LayerVPCEndpoint, policy.LayerResource,
	policy.LayerIdentity, policy.LayerBoundary, policy.LayerSession,
}

// LevelName describes the organization level target of an SCP or RCP layer: "OU Workloads (ou-ab12-workloads)".
func (lr *LayerResult) LevelName(target string) string {
	if target == "" {
		return ""
	}
	for _, lv := range lr.Levels {
		if lv.Target != target {
			continue
		}
		kind := levelType(lv.Type, target)
		switch {
		case lv.Name != "":
			return kind + " " + lv.Name + " (" + target + ")"
		case strings.EqualFold(target, kind):
			// A level named by its kind alone ("root" given for a policy
			// file): "the root", not "root root".
			return "the " + kind
		}
		return kind + " " + target
	}
	if kind := levelType("", target); !strings.EqualFold(target, kind) {
		return kind + " " + target
	}
	return "the " + strings.ToLower(target)
}

// levelType names an organization node type, guessing from the id when the
// type is unknown.
func levelType(typ, id string) string {
	switch {
	case typ == "ROOT" || (typ == "" && strings.HasPrefix(id, "r-")):
		return "root"
	case typ == "ORGANIZATIONAL_UNIT" || (typ == "" && strings.HasPrefix(id, "ou-")):
		return "OU"
	case typ == "ACCOUNT" || typ == "":
		return "account"
	}
	return strings.ToLower(typ)
}
