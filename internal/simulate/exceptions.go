package simulate

import (
	"slices"
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// This file holds AWS's rules that decide a request whatever its policies
// say: calls that no policy can deny, and calls that fail even when every
// policy allows them. Evaluate still evaluates every layer, so that the
// report can show what the policies would have decided.

// Exception is a rule of AWS that decides the request whatever its policies
// say. Result.Exception is set when one applies.
type Exception struct {
	// Rule names the rule, for programs: "no-permission-needed",
	// "protected-role", "service-linked-role", "aws-managed-policy" or
	// "reserved-kms-alias".
	Rule string
	// Reason says, in one sentence for people, what AWS does and why.
	Reason string
	// Page is the AWS documentation page that states the rule.
	Page string
	// Error is, for a call that always fails, the error code AWS answers
	// with; empty when AWS documents none.
	Error string
	// PolicyDecision is the decision the policies alone reach.
	PolicyDecision Decision
	// PolicyBlockers are the blockers the policies alone have. AWS ignores
	// them for a call that needs no permission; for a call that always
	// fails, clearing them would not help.
	PolicyBlockers []Blocker
}

// exceptionRule is one rule of exceptionRules.
type exceptionRule struct {
	rule, reason, page, errorCode string
	// allowed is true for calls that no policy can deny, false for calls
	// that always fail.
	allowed bool
	// service is the action's service prefix; actions its action names
	// (lower case), all of them when empty.
	service string
	actions []string
	// applies reports, given the parsed resource ARN and the principal's
	// type,
	// whether the rule covers the request; nil covers every request.
	applies func(res policy.ARN, principalType string) bool
}

// exceptionRules are the rules, checked in order.
var exceptionRules = [...]exceptionRule{
	{
		rule:    "no-permission-needed",
		reason:  "AWS answers sts:GetCallerIdentity whatever the policies say: no permission is needed, and an explicit deny of it has no effect",
		page:    "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html",
		allowed: true,
		service: "sts", actions: []string{"getcalleridentity"},
	},
	{
		// A session cannot call GetSessionToken at all; only IAM users
		// and the root user, with long-term credentials, can
		// (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html).
		rule:    "no-permission-needed",
		reason:  "AWS answers sts:GetSessionToken for IAM users and the root user whatever the policies say: policies cannot control authentication operations",
		page:    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_getsessiontoken.html",
		allowed: true,
		service: "sts", actions: []string{"getsessiontoken"},
		applies: func(_ policy.ARN, typ string) bool { return typ == typeUser || typ == typeAccount },
	},
	{
		rule:      "protected-role",
		reason:    "roles under the path /aws-reserved/ (IAM Identity Center's AWSReservedSSO_ roles) are modifiable only by AWS: change the permission set in IAM Identity Center instead",
		page:      "https://docs.aws.amazon.com/singlesignon/latest/userguide/identity-center-and-iam-roles.html",
		errorCode: "UnmodifiableEntity",
		service:   "iam", actions: append([]string{"updaterole", "updateroledescription"}, roleChangeActions...),
		applies: func(res policy.ARN, _ string) bool { return rolePathIs(res, "/aws-reserved/") },
	},
	{
		rule:      "service-linked-role",
		reason:    "a service-linked role (path /aws-service-role/) is modified and deleted only through the service that owns it: its trust and permissions policies cannot be changed, and it is deleted with iam:DeleteServiceLinkedRole or from that service",
		page:      "https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html",
		errorCode: "UnmodifiableEntity",
		service:   "iam", actions: roleChangeActions,
		applies: func(res policy.ARN, _ string) bool { return rolePathIs(res, "/aws-service-role/") },
	},
	{
		rule:    "aws-managed-policy",
		reason:  "AWS managed policies (arn:aws:iam::aws:policy/…) are maintained by AWS and cannot be changed, tagged or deleted: create a customer managed policy instead",
		page:    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies",
		service: "iam", actions: []string{"createpolicyversion", "deletepolicyversion", "setdefaultpolicyversion", "deletepolicy", "tagpolicy", "untagpolicy"},
		applies: func(res policy.ARN, _ string) bool { return isAWSManagedPolicy(res) },
	},
	{
		rule:    "reserved-kms-alias",
		reason:  "aliases that begin with alias/aws/ are reserved for AWS managed keys: they cannot be created, changed or deleted",
		page:    "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
		service: "kms", actions: []string{"createalias", "updatealias", "deletealias"},
		applies: func(res policy.ARN, _ string) bool {
			return res.Service == "kms" && strings.HasPrefix(res.Resource, "alias/aws/")
		},
	},
}

// roleChangeActions are the IAM actions that change or delete a role's
// trust, permissions or boundary.
var roleChangeActions = []string{
	"attachrolepolicy", "detachrolepolicy", "putrolepolicy", "deleterolepolicy",
	"updateassumerolepolicy", "putrolepermissionsboundary", "deleterolepermissionsboundary", "deleterole",
}

// rolePathIs reports whether res is the ARN of an IAM role whose path
// starts with prefix ("/aws-reserved/").
func rolePathIs(res policy.ARN, prefix string) bool {
	return res.Service == "iam" && strings.HasPrefix(res.Resource, "role"+prefix)
}

// isAWSManagedPolicy reports whether res is the ARN of an AWS managed
// policy: its account field is "aws", which is no account
// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/about-managed-policy-reference.html).
func isAWSManagedPolicy(res policy.ARN) bool {
	return res.Service == "iam" && res.Account == "aws" && strings.HasPrefix(res.Resource, "policy/")
}

// exceptionFor returns the rule that decides the request whatever its
// policies say, or nil.
func exceptionFor(e *env, action string) *exceptionRule {
	switch e.service {
	case "sts", "iam", "kms":
	default:
		return nil
	}
	name := ""
	if i := strings.IndexByte(action, ':'); i >= 0 {
		name = strings.ToLower(action[i+1:])
	}
	for i := range exceptionRules {
		r := &exceptionRules[i]
		if r.service != e.service || !slices.Contains(r.actions, name) {
			continue
		}
		if r.applies != nil && !r.applies(e.res, e.p.Type) {
			continue
		}
		return r
	}
	return nil
}

// applyException makes r's decision the rule's, keeping what the policies
// decided in r.Exception.
func applyException(r *Result, rule *exceptionRule) {
	ex := &Exception{Rule: rule.rule, Reason: rule.reason, Page: rule.page, Error: rule.errorCode,
		PolicyDecision: r.Decision, PolicyBlockers: r.Blockers}
	r.Exception = ex
	r.Blockers = nil
	r.Suspects = nil
	if rule.allowed {
		r.Decision = Allowed
		return
	}
	r.Decision = AlwaysFails
}

// decideException is Decide's answer for a request a rule decides.
func decideException(rule *exceptionRule) Decision {
	if rule.allowed {
		return Allowed
	}
	return AlwaysFails
}
