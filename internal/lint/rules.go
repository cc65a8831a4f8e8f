package lint

// Rule describes one check: its id, default severity, one-line summary and
// the page that explains it. SARIF output carries this as rule metadata.
type Rule struct {
	// ID is stable ("IAMD004"): suppressions and baselines refer to it.
	ID string
	// Name is a short kebab-case name ("run-instances-unscoped").
	Name string
	// Severity is the default; a finding may carry another.
	Severity Severity
	// Summary says in one sentence what the rule finds.
	Summary string
	// Help is the AWS documentation page (or write-up) behind the rule.
	Help string
}

// Why says in one sentence why the rule matters, with the AWS page or the
// incident behind it; findings carry it.
func (r Rule) Why() string { return ruleWhy[r.ID] }

// The rule ids, one per check.
const (
	RuleParse              = "IAMD001"
	RuleAllowAll           = "IAMD002"
	RuleServiceWildcard    = "IAMD003"
	RuleRunInstances       = "IAMD004"
	RulePassRoleAny        = "IAMD005"
	RulePassRoleNoService  = "IAMD006"
	RuleEscalation         = "IAMD007"
	RuleAllowNotAction     = "IAMD008"
	RuleAllowNotResource   = "IAMD009"
	RuleUnknownAction      = "IAMD010"
	RuleUnknownKey         = "IAMD011"
	RuleKeyNotSet          = "IAMD012"
	RuleOperatorType       = "IAMD013"
	RuleUnknownOperator    = "IAMD014"
	RuleInvalidARN         = "IAMD015"
	RuleMissingVersion     = "IAMD016"
	RuleVariablesVersion   = "IAMD017"
	RuleTooLarge           = "IAMD018"
	RulePublicPrincipal    = "IAMD019"
	RuleDenyNoExemption    = "IAMD020"
	RuleDuplicateSid       = "IAMD021"
	RuleElementNotAllowed  = "IAMD022"
	RuleBoundarySelfRemove = "IAMD023"
)

// Rules lists every rule, in id order.
var Rules = []Rule{
	{RuleParse, "parse-error", Error,
		"The document is not a valid IAM policy: IAM rejects it.",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html"},
	{RuleAllowAll, "allow-all-actions", Error,
		`An Allow grants every action ("*").`,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"},
	{RuleServiceWildcard, "service-wildcard-action", Warning,
		`An Allow grants every action of a service ("ec2:*").`,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"},
	{RuleRunInstances, "run-instances-unscoped", Error,
		"ec2:RunInstances is allowed on every resource without a condition.",
		"https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ExamplePolicies_EC2.html#iam-example-runinstances"},
	{RulePassRoleAny, "passrole-any-role", Error,
		"iam:PassRole is allowed on every role.",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"},
	{RulePassRoleNoService, "passrole-no-service", Warning,
		"iam:PassRole is allowed without an iam:PassedToService condition.",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService"},
	{RuleEscalation, "privilege-escalation", Error,
		"The policy grants a known privilege-escalation path.",
		"https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/"},
	{RuleAllowNotAction, "allow-not-action", Warning,
		"An Allow uses NotAction: it grants every action not listed, including future ones.",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html"},
	{RuleAllowNotResource, "allow-not-resource", Warning,
		"An Allow uses NotResource: it grants every resource not listed, including new ones.",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html"},
	{RuleUnknownAction, "unknown-action", Error,
		"An action (or action pattern) names nothing in AWS's service authorization reference.",
		"https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html"},
	{RuleUnknownKey, "unknown-condition-key", Warning,
		"A condition key is neither a global key nor one any service defines.",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"},
	{RuleKeyNotSet, "condition-key-not-set", Warning,
		"A condition key is never set by the actions of its statement.",
		"https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html"},
	{RuleOperatorType, "condition-operator-type", Warning,
		"A condition operator does not fit the type of its key (e.g. StringEquals on a date).",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"},
	{RuleUnknownOperator, "unknown-condition-operator", Error,
		"A condition operator is not one IAM knows.",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"},
	{RuleInvalidARN, "invalid-arn", Error,
		`A Resource or NotResource entry is neither "*" nor a well-formed ARN.`,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html"},
	{RuleMissingVersion, "missing-version", Warning,
		`The document has no Version element (AWS then reads it as "2008-10-17").`,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html"},
	{RuleVariablesVersion, "variables-need-2012-10-17", Error,
		`The document uses policy variables but is not Version "2012-10-17", so they are literal text.`,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"},
	{RuleTooLarge, "policy-too-large", Error,
		"The document is larger than AWS's quota for its policy type.",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"},
	{RulePublicPrincipal, "public-principal", Error,
		`A resource or trust policy allows Principal "*" without a condition.`,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous"},
	{RuleDenyNoExemption, "scp-deny-no-exemption", Info,
		"An SCP Deny has no condition exempting a break-glass or automation principal.",
		"https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html"},
	{RuleDuplicateSid, "duplicate-sid", Error,
		"Two statements share a Sid.",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html"},
	{RuleElementNotAllowed, "element-not-allowed", Error,
		"A statement uses an element or effect this policy type does not support.",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html"},
	{RuleBoundarySelfRemove, "boundary-self-removal", Warning,
		"A permissions boundary allows changing or deleting permissions boundaries, so it can be lifted by whoever it bounds.",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html#access_policies_boundaries-delegate"},
}

// ruleWhy holds each rule's reason, with the AWS page behind it.
var ruleWhy = map[string]string{
	RuleParse: "IAM rejects a document that does not follow the policy grammar, so the change fails at deploy time " +
		"(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).",
	RuleAllowAll: "Allowing every action on a role hands anyone holding one of its sessions the whole account; " +
		"AWS advises granting least privilege (https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege).",
	RuleServiceWildcard: "A service wildcard grants every present and future action of the service: ec2:* given to fix an " +
		"access denied lets a stolen session launch instances anywhere; AWS advises granting only the actions a task needs " +
		"(https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege).",
	RuleRunInstances: "ec2:RunInstances on every resource without conditions lets a stolen session launch any instance type " +
		"in any region and VPC; AWS's examples name the resources and add conditions (" +
		"https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ExamplePolicies_EC2.html#iam-example-runinstances).",
	RulePassRoleAny: "iam:PassRole on every role lets the holder give any role, including administrators, to a service it " +
		"controls and act with that role's permissions (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).",
	RulePassRoleNoService: "Without iam:PassedToService the role can be passed to any service, not only the one that needs it " +
		"(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService).",
	RuleEscalation: "These permissions together let the holder grant itself more than the policy says (Rhino Security Labs' " +
		"privilege-escalation methods; with ec2:RunInstances and iam:PassRole an instance can run as any role passed to it: " +
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).",
	RuleAllowNotAction: "Allow with NotAction grants every action not listed, in every service, including actions AWS adds later " +
		"(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html).",
	RuleAllowNotResource: "Allow with NotResource grants every resource not listed, including resources created later " +
		"(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html).",
	RuleUnknownAction: "IAM saves a policy with an unknown action but it matches nothing, so the permission the author meant " +
		"is missing (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).",
	RuleUnknownKey: "A condition on a key no request carries never matches (or, negated, always matches), so the condition " +
		"does not do what it says (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).",
	RuleKeyNotSet: "A key that none of the statement's actions set is absent from their requests: a positive condition on it " +
		"never matches and a negated one always does (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).",
	RuleOperatorType: "An operator of the wrong type compares the key's value as the wrong kind of data and does not " +
		"match what the author meant (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).",
	RuleUnknownOperator: "IAM rejects a condition operator it does not know " +
		"(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).",
	RuleInvalidARN: "A resource that is neither \"*\" nor an ARN matches nothing, and IAM rejects most malformed ARNs " +
		"(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).",
	RuleMissingVersion: "Without Version the document is read as 2008-10-17, where policy variables are literal text and newer " +
		"features do not work (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).",
	RuleVariablesVersion: "Policy variables such as ${aws:username} are only replaced in Version 2012-10-17 documents; " +
		"elsewhere they are matched as literal text (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).",
	RuleTooLarge: "AWS rejects a policy larger than its quota, so the deploy fails " +
		"(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html, " +
		"https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html).",
	RulePublicPrincipal: "Principal \"*\" without conditions allows everyone, including anonymous callers and every AWS account " +
		"(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous).",
	RuleDenyNoExemption: "An SCP Deny with no exemption also blocks the break-glass and automation roles you need during an " +
		"outage; AWS's example SCPs exempt an administrator role with an aws:PrincipalARN condition (" +
		"https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html).",
	RuleDuplicateSid: "IAM requires Sid values to be unique within a policy " +
		"(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html).",
	RuleElementNotAllowed: "Each policy type supports its own subset of elements and effects, and AWS rejects or ignores the rest " +
		"(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html).",
	RuleBoundarySelfRemove: "A boundary that allows iam:DeleteRolePermissionsBoundary or iam:PutRolePermissionsBoundary lets the " +
		"bounded principal remove or replace its own boundary " +
		"(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html#access_policies_boundaries-delegate).",
}

// ruleByID returns the rule with id; every id used by the checks is in Rules
// (TestRulesComplete guards this).
func ruleByID(id string) Rule {
	for _, r := range Rules {
		if r.ID == id {
			return r
		}
	}
	return Rule{ID: id}
}
