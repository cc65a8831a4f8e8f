package simulate

import "github.com/iamdiag/iamdiag/internal/policy"

// rcpServices are the service prefixes whose actions RCPs apply to, as
// listed in "List of AWS services that support RCPs"
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html#rcp-supported-services,
// read 2026-09). For any other service, RCPs do not restrict the request.
var rcpServices = map[string]bool{
	"appstream": true, "dsql": true, "clouddirectory": true, "cloudfront": true,
	"cloudsearch": true, "logs": true, "networkmonitor": true,
	"cognito-identity": true, "cognito-idp": true, "comprehend": true,
	"comprehendmedical": true, "firehose": true, "dynamodb": true, "dax": true,
	"autoscaling": true, "ecr": true, "ecr-public": true, "gamelift": true,
	"inspector-scan": true, "kendra": true, "kinesisvideo": true, "memorydb": true,
	"aoss": true, "personalize": true, "polly": true, "s3": true, "swf": true,
	"sqs": true, "textract": true, "timestream-influxdb": true, "transcribe": true,
	"translate": true, "workspaces": true, "appconfig": true,
	"autoscaling-plans": true, "budgets": true, "servicediscovery": true,
	"cloudtrail-data": true, "codeartifact": true, "codebuild": true,
	"codecommit": true, "codepipeline": true, "compute-optimizer": true,
	"cost-optimization-hub": true, "events": true, "fms": true, "fis": true,
	"health": true, "rolesanywhere": true, "kms": true, "opensearch": true,
	"pricing": true, "pca-connector-ad": true, "resource-groups": true,
	"secretsmanager": true, "sts": true, "signin": true, "support": true,
	"transfer": true, "notifications": true, "wafv2": true, "xray": true,
}

// applicability is whether a layer takes part; when it does not, st and
// note say why.
type applicability struct {
	evaluate bool
	st       state
	note     string
}

// scpApplies decides whether SCPs restrict the principal.
func scpApplies(e *env) applicability {
	l := e.l
	switch {
	case e.resourceOnly:
		// "SCPs apply to principals of the account where the SCPs are
		// attached": IAM users and roles, not service principals or
		// anonymous callers
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html).
		return applicability{st: stNA, note: "SCPs restrict only IAM users and roles of member accounts, not " + describeType(e.p.Type)}
	case e.p.ServiceLinked:
		// "SCPs do not affect service-linked roles"
		// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).
		return applicability{st: stExempt, note: "SCPs do not restrict service-linked roles"}
	case l.ManagementAccount != "" && e.p.Account == l.ManagementAccount:
		// "SCPs don't affect users or roles in the management account"
		// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).
		return applicability{st: stExempt, note: "SCPs do not restrict principals of the management account " + l.ManagementAccount}
	case l.SCPRead.Unreadable:
		return applicability{st: stUnknown, note: unreadableNote("SCPs", l.SCPRead)}
	case len(l.SCP) == 0:
		return applicability{st: stNA, note: orOmitted(l.SCPRead, "no SCPs apply: the account is not in an organization with SCPs enabled", "service control policy")}
	}
	return applicability{evaluate: true}
}

// rcpApplies decides whether RCPs restrict the resource.
func rcpApplies(e *env) applicability {
	l := e.l
	switch {
	case e.p.ServiceLinked:
		// "RCPs do not impact the effective permissions of any
		// service-linked role"
		// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html#actions-not-restricted-by-rcps).
		return applicability{st: stExempt, note: "RCPs do not restrict service-linked roles"}
	case !rcpServices[e.service]:
		return applicability{st: stExempt, note: "RCPs do not apply to " + serviceName(e.service) + " actions"}
	case l.ManagementAccount != "" && e.resAccount == l.ManagementAccount:
		// "RCPs don't affect resources in the management account"
		// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
		return applicability{st: stExempt, note: "RCPs do not restrict resources of the management account " + l.ManagementAccount}
	case l.RCPRead.Unreadable:
		return applicability{st: stUnknown, note: unreadableNote("RCPs", l.RCPRead)}
	case len(l.RCP) == 0:
		return applicability{st: stNA, note: orOmitted(l.RCPRead, "no RCPs apply: the resource's account is not in an organization with RCPs enabled", "resource control policy")}
	}
	return applicability{evaluate: true}
}

// levelState combines the decisions of one level's policies: a Deny
// wins, then an Allow. For RCPs, a level without an Allow still allows:
// RCPFullAWSAccess is attached to every root, OU and account and cannot be
// detached
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html).
func levelState(denied, allowed, rcp bool) state {
	switch {
	case denied:
		return stDeny
	case allowed || rcp:
		return stAllow
	}
	return stImplicit
}

// orgState combines level states: a Deny at any level wins, then the
// first level without an Allow denies implicitly; every level must allow
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
func orgState(cur, level state) state {
	switch {
	case cur == stDeny || level == stDeny:
		return stDeny
	case cur == stImplicit || level == stImplicit:
		return stImplicit
	}
	return stAllow
}

func describeType(t string) string {
	switch t {
	case typeService:
		return "AWS service principals"
	case typeAnonymous:
		return "anonymous callers"
	}
	return "this principal"
}

func serviceName(s string) string {
	if s == "" {
		return "this service's"
	}
	return s
}

func unreadableNote(what string, r policy.Readability) string {
	s := what + " could not be read"
	if r.Error != "" {
		s += " (" + r.Error + ")"
	}
	if r.Message != "" {
		s += ": " + r.Message
	}
	return s
}
