package audit

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"

	"github.com/iamdiag/iamdiag/internal/lint"
)

// The audit's own rule ids; lint findings keep their IAMD ids.
const (
	// RuleFederatedNoBoundary: a role that people or CI assume through
	// SAML, OIDC or IAM Identity Center has no permissions boundary.
	RuleFederatedNoBoundary = "IAMA001"
	// RuleSCPDead: an identity policy allows what an SCP denies whatever the
	// request context, so the grant does nothing.
	RuleSCPDead = "IAMA002"
	// RuleSCPDeadUnless: an identity policy allows what an SCP denies unless
	// the request meets the SCP's condition (reported with
	// Options.Conditional).
	RuleSCPDeadUnless = "IAMA003"
	// RuleInstanceProfileEscalation: the principal can launch an instance
	// with an instance profile whose role has more permissions than the
	// principal.
	RuleInstanceProfileEscalation = "IAMA004"
	// RuleUnreadableDocument: a policy document of the snapshot cannot be
	// parsed, so the layers that use it are unknown to every diagnosis.
	RuleUnreadableDocument = "IAMA005"
	// RuleTrustOutsideOrg: a role's trust policy names an account that is
	// not in the organization (audits of a multi-account snapshot only).
	RuleTrustOutsideOrg = "IAMA006"
	// RuleUnreadableAccount: an account of a multi-account snapshot could
	// not be read, so nothing in it was audited.
	RuleUnreadableAccount = "IAMA007"
)

// Rule describes one audit rule.
type Rule struct {
	// ID is stable: baselines refer to it.
	ID string
	// Name is a short kebab-case name.
	Name string
	// Severity is the default; a finding may carry another.
	Severity lint.Severity
	// Summary says in one sentence what the rule finds.
	Summary string
	// Help is the AWS documentation page (or write-up) behind the rule.
	Help string
}

// Rules lists the audit's own rules, in id order; the lint rules
// (lint.Rules) apply to every policy as well.
var Rules = []Rule{
	{RuleFederatedNoBoundary, "federated-role-without-boundary", lint.Warning,
		"A role assumed through SAML, OIDC (web identity) or IAM Identity Center has no permissions boundary.",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"},
	{RuleSCPDead, "grant-dead-by-scp", lint.Warning,
		"An identity policy allows an action that a service control policy denies whatever the request: the grant does nothing.",
		"https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html"},
	{RuleSCPDeadUnless, "grant-dead-by-scp-unless", lint.Info,
		"An identity policy allows an action that a service control policy denies unless the request meets the SCP's condition.",
		"https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html"},
	{RuleInstanceProfileEscalation, "instance-profile-escalation", lint.Error,
		"The principal can launch an instance with an instance profile whose role has more permissions than the principal.",
		"https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/permission-to-pass-iam-roles.html"},
	{RuleUnreadableDocument, "unreadable-policy-document", lint.Error,
		"A policy document of the snapshot cannot be parsed: the layers that use it are unknown, and diagnoses of the principals they apply to are inconclusive.",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html"},
	{RuleTrustOutsideOrg, "trust-outside-organization", lint.Warning,
		"A role's trust policy lets an account outside the organization assume it.",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"},
	{RuleUnreadableAccount, "unreadable-account", lint.Error,
		"An account of the organization snapshot could not be read: none of its roles, users and policies were audited.",
		"https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html"},
}

// why says why each audit rule matters; findings carry it.
var why = map[string]string{
	RuleFederatedNoBoundary:       "Federated roles are assumed by people through SSO and by CI through OIDC; when someone \"fixes\" an access denied by attaching ec2:* or AmazonEC2FullAccess, a boundary is what still caps a stolen session, since the effective permissions are only those both the boundary and the identity policies allow (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).",
	RuleSCPDead:                   "An SCP Deny wins over any Allow in the account (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html): the grant looks correct in the role's policy but every call is denied, which sends whoever debugs an access denied to the wrong policy; a dead grant also invites widening the role's policy, which cannot help.",
	RuleSCPDeadUnless:             "An SCP Deny wins over any Allow in the account (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html): calls that do not meet the SCP's condition are denied although the role's policy allows them.",
	RuleUnreadableDocument:        "IAM rejects a document that breaks the policy grammar (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html), so this one was changed or damaged after the capture; iamdiag cannot evaluate it, so every diagnosis that needs it is inconclusive and the audit's other rules skip it.",
	RuleTrustOutsideOrg:           "Whoever controls the trusted account can assume the role: a vendor's account is a confused-deputy risk unless the trust requires sts:ExternalId (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html), and an account that left the organization, or a mistyped id, hands the role to someone the organization's SCPs do not govern (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html).",
	RuleUnreadableAccount:         "The account's roles, users and policies are unknown: a dangerous grant there is neither found by the audit nor explained by a diagnosis, which is then inconclusive (docs/org-snapshot.md).",
	RuleInstanceProfileEscalation: "A stolen session with ec2:RunInstances and iam:PassRole can launch an instance with a privileged instance profile and read that role's credentials from the instance metadata service: a full account compromise (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/permission-to-pass-iam-roles.html).",
}

func ruleSeverity(id string) lint.Severity {
	for _, r := range Rules {
		if r.ID == id {
			return r.Severity
		}
	}
	return lint.Info
}

// Finding is one problem found by the audit.
type Finding struct {
	// ID is stable across runs: a hash of the rule, principal, policy,
	// statement and subject (the passed role, the SCP statement, the lint
	// message), prefixed with the rule id.
	ID string `json:"id"`
	// Rule is the rule id: IAMDnnn for the lint rules, IAMAnnn for the
	// audit's own.
	Rule string `json:"rule"`
	// Severity is "error", "warning" or "info".
	Severity lint.Severity `json:"severity"`
	// Principal is the role or user (ARN) the finding is about; for a
	// managed policy or an SCP/RCP finding, the first principal or target
	// it is attached to; empty for a policy attached to nothing.
	Principal string `json:"principal"`
	// AttachedTo lists every role, user, group, or organization target a
	// policy finding concerns, when there are several or the policy is
	// shared (managed policies, SCPs and RCPs are linted once).
	AttachedTo []string `json:"attached_to,omitempty"`
	// Policy is the policy's ARN, or its origin ("role/NAME (inline P)",
	// "role/NAME (trust policy)") when it has none.
	Policy string `json:"policy,omitempty"`
	// PolicyName is the policy's name, where it has one.
	PolicyName string `json:"policy_name,omitempty"`
	// Statement is the statement's Sid, or "#N" (1-based position).
	Statement string `json:"statement,omitempty"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Why says why it matters, with the AWS page or incident behind it.
	Why string `json:"why"`
	// Fix says what to change, and who must act.
	Fix string `json:"fix"`
	// Actions lists the actions concerned (dead grants), in full.
	Actions []string `json:"actions,omitempty"`
	// Roles lists the more privileged roles the principal can launch an
	// instance with (escalation), most privileged first.
	Roles []string `json:"roles,omitempty"`
	// Account is the account the finding is about, in an audit of a
	// multi-account snapshot; empty for a single account and for the
	// organization's own policies (SCPs, RCPs).
	Account string `json:"account,omitempty"`
	// AccountName is the account's name, where the snapshot has it.
	AccountName string `json:"account_name,omitempty"`
	// OU is the path of the account in the organization, root first
	// ("Root/Workloads/Prod"), in an audit of a multi-account snapshot.
	OU string `json:"ou,omitempty"`
	// subject disambiguates findings of one rule on one statement; it is
	// part of the id.
	subject string
	// scope says whether the id names the account; see findingScope.
	scope findingScope
}

// findingScope says what a finding's id hashes besides the rule: an
// audit of several accounts relies on it to keep ids distinct.
type findingScope uint8

const (
	// scopeAccount: the id hashes a principal, or a policy ARN, that
	// names the account.
	scopeAccount findingScope = iota
	// scopeShared: the id hashes only an AWS managed policy's ARN, the
	// same in every account.
	scopeShared
	// scopeOrganization: the finding is about an SCP or RCP, the same
	// in every account of the organization.
	scopeOrganization
)

// Report is the result of one audit.
type Report struct {
	// Source says what was audited.
	Source string `json:"source"`
	// Account is the audited account id, where known.
	Account string `json:"account,omitempty"`
	// CapturedAt is when the snapshot was taken, where known.
	CapturedAt *time.Time `json:"captured_at,omitempty"`
	// Roles, Users and Policies count what was audited: the roles and
	// users, and the distinct policy documents linted.
	Roles    int `json:"roles"`
	Users    int `json:"users"`
	Policies int `json:"policies"`
	// Findings, sorted by severity (most severe first), then principal,
	// policy, statement and rule.
	Findings []Finding `json:"findings"`
	// Baseline is set when findings already in a baseline were left out.
	Baseline *BaselineInfo `json:"baseline,omitempty"`
	// Warnings are for people: parts of the audit that could not run.
	Warnings []string `json:"warnings,omitempty"`
	// Organization is the organization's id, in an audit of a
	// multi-account snapshot.
	Organization string `json:"organization,omitempty"`
	// Summary counts the findings by account, OU and severity, in an
	// audit of a multi-account snapshot.
	Summary *Summary `json:"summary,omitempty"`
}

// BaselineInfo says how a baseline filtered the report.
type BaselineInfo struct {
	// File is the baseline file, as given.
	File string `json:"file,omitempty"`
	// Known is how many findings were left out because the baseline has
	// them.
	Known int `json:"known"`
}

// findingID hashes what identifies a finding across runs.
func findingID(rule, principal, policyID, statement, subject string) string {
	h := sha256.New()
	for _, s := range [...]string{rule, principal, policyID, statement, subject} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return rule + "-" + hex.EncodeToString(h.Sum(nil)[:8])
}

// sortFindings orders findings by severity (most severe first), then
// principal, policy, statement, rule and id.
func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.Principal, b.Principal),
			cmp.Compare(a.Policy, b.Policy),
			cmp.Compare(a.Statement, b.Statement),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.ID, b.ID),
		)
	})
}
