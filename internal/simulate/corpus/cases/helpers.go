package cases

import (
	"encoding/json"
	"strings"

	"github.com/iamdiag/iamdiag/internal/simulate"
	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

// The accounts, organization and principals the cases share.
const (
	acct     = "111122223333" // the caller's account, a member account
	other    = "444455556666" // another account, outside the organization
	mgmt     = "999988887777" // the organization's management account
	orgID    = "o-a1b2c3d4e5"
	rootID   = "r-ab12"
	ouID     = "ou-ab12-workloads"
	roleARN  = "arn:aws:iam::" + acct + ":role/AppRole"
	sessARN  = "arn:aws:sts::" + acct + ":assumed-role/AppRole/jane"
	userARN  = "arn:aws:iam::" + acct + ":user/alice"
	bucket   = "arn:aws:s3:::example-bucket"
	object   = "arn:aws:s3:::example-bucket/reports/2026.csv"
	instance = "arn:aws:ec2:us-east-1:" + acct + ":instance/*"
)

// Documentation pages cited by the cases.
const (
	docCondOps           = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
	docCondition         = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html"
	docMultiValue        = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html"
	docSetOps            = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html"
	docMultiExample      = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html"
	docGlobalKeys        = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"
	docVariables         = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"
	docFederationPerms   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_getfederationtoken.html"
	docVariablesNoValue  = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value"
	docVariablesResource = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-resourceelement"
	docVersion           = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html"
	docAction            = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html"
	docNotAction         = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html"
	docResource          = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html"
	docNotResource       = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html"
	docPrincipal         = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
	docNotPrincipal      = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"
	docARNs              = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html"
	docEvalLogic         = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
	docDenyAllow         = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html"
	docSingleAcct        = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html"
	docCrossAcct         = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"
	docIdVsRes           = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_identity-vs-resource.html"
	docBoundaries        = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"
	docPolicies          = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session"
	docSCPs              = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html"
	docSCPEval           = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html"
	docSCPSyntax         = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html"
	docSCPExamples       = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html"
	docRCPs              = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html"
	docRCPEval           = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_evaluation.html"
	docRCPSyntax         = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html"
	docOrgsAccess        = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_permissions_overview.html"
	docSLR               = "https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html"
	docRoot              = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html"
	docGroups            = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups.html"
	docFederation        = "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html"
	docAssumeRole        = "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html"
	docDecode            = "https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html"
	docTroubleshoot      = "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html"
	docEC2Keys           = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html"
	docS3Keys            = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html"
	docS3Bucket          = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html"
	docKMSKeyPolicy      = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
	docKMSRCP            = "https://docs.aws.amazon.com/kms/latest/developerguide/resource-control-policies.html"
	docTags              = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_iam-tags.html"
	docMFA               = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html"
	docRevoke            = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html"
	docPartitions        = "https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html"
	docGovCloudARNs      = "https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html"
)

// Well-known organization policies.
const (
	fullAWSAccessARN    = "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
	rcpFullAWSAccessARN = "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess"
)

// str returns a pointer, for optional expectation fields.
func str(s string) *string { return &s }

func strs(s ...string) *[]string {
	if s == nil {
		s = []string{}
	}
	return &s
}

func boolp(b bool) *bool { return &b }

// raw checks that s is JSON and returns it as a raw message; a document
// that is not JSON is a bug of this package, so it panics.
func raw(s string) json.RawMessage {
	if !json.Valid([]byte(s)) {
		panic("cases: invalid JSON document: " + s)
	}
	return json.RawMessage(s)
}

// doc builds a 2012-10-17 document from statements written as JSON.
func doc(stmts ...string) string {
	return `{"Version": "2012-10-17", "Statement": [` + strings.Join(stmts, ",") + `]}`
}

// managed is a customer managed policy of the caller's account.
func managed(name, document string) Pol {
	return Pol{Name: name, ARN: "arn:aws:iam::" + acct + ":policy/" + name, Origin: "role/AppRole", Document: raw(document)}
}

// managedARN is the ARN managed(name, …) gets.
func managedARN(name string) string { return "arn:aws:iam::" + acct + ":policy/" + name }

// inline is an inline policy of the role; it has no ARN, so blockers name
// its origin.
func inline(name, origin, document string) Pol {
	return Pol{Name: name, Origin: origin, Document: raw(document)}
}

// scpPol is a custom SCP.
func scpPol(id, name, document string) Pol {
	return Pol{Name: name, ARN: scpARN(id), Document: raw(document)}
}

func scpARN(id string) string {
	return "arn:aws:organizations::" + mgmt + ":policy/" + orgID + "/service_control_policy/" + id
}

// rcpPol is a custom RCP.
func rcpPol(id, name, document string) Pol {
	return Pol{Name: name, ARN: rcpARN(id), Document: raw(document)}
}

func rcpARN(id string) string {
	return "arn:aws:organizations::" + mgmt + ":policy/" + orgID + "/resource_control_policy/" + id
}

func fullAWSAccess() Pol {
	return Pol{Name: "FullAWSAccess", ARN: fullAWSAccessARN, AWSManaged: true,
		Document: raw(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}`)}
}

func rcpFullAWSAccess() Pol {
	return Pol{Name: "RCPFullAWSAccess", ARN: rcpFullAWSAccessARN, AWSManaged: true,
		Document: raw(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}`)}
}

// levels builds root → OU → account with the given policies at each level.
func levels(root, ou, account []Pol) []Level {
	return []Level{
		{Target: rootID, Type: "ROOT", Name: "Root", Policies: root},
		{Target: ouID, Type: "ORGANIZATIONAL_UNIT", Name: "Workloads", Policies: ou},
		{Target: acct, Type: "ACCOUNT", Policies: account},
	}
}

func pols(p ...Pol) []Pol { return p }

// defaultSCPs is FullAWSAccess at every level, as AWS attaches it.
func defaultSCPs() []Level {
	return levels(pols(fullAWSAccess()), pols(fullAWSAccess()), pols(fullAWSAccess()))
}

func defaultRCPs() []Level {
	return levels(pols(rcpFullAWSAccess()), pols(rcpFullAWSAccess()), pols(rcpFullAWSAccess()))
}

// roleSession returns a case for the session jane of role AppRole in a
// standalone account (no organization, so no SCP or RCP applies).
func roleSession(desc string, docs ...string) *Case {
	return &Case{Case: corpus.Case{
		Description: desc,
		Doc:         docs,
		Request:     Request{Principal: sessARN},
		Principal:   &Principal{IAMARN: roleARN, Account: acct, Type: "AssumedRole", SessionName: "jane"},
	}}
}

// iamUser returns a case for IAM user alice in a standalone account.
func iamUser(desc string, docs ...string) *Case {
	return &Case{Case: corpus.Case{
		Description: desc,
		Doc:         docs,
		Request:     Request{Principal: userARN},
		Principal:   &Principal{IAMARN: userARN, Account: acct, Type: "User", Username: "alice"},
	}}
}

// inOrg puts the case's account in the organization with FullAWSAccess at
// every level.
func (c *Case) inOrg() *Case {
	c.Org = &Org{ID: orgID, ManagementAccount: mgmt}
	c.SCP = defaultSCPs()
	return c
}

func (c *Case) call(action, resource string) *Case {
	c.Request.Action, c.Request.Resource = action, resource
	return c
}

func (c *Case) ctx(kv ...string) *Case {
	if len(kv)%2 != 0 {
		panic("cases: ctx needs key/value pairs")
	}
	if c.Request.Context == nil {
		c.Request.Context = map[string][]string{}
	}
	for i := 0; i < len(kv); i += 2 {
		c.Request.Context[kv[i]] = append(c.Request.Context[kv[i]], kv[i+1])
	}
	return c
}

// ctxList sets a key to a list of values (possibly empty).
func (c *Case) ctxList(key string, values ...string) *Case {
	if c.Request.Context == nil {
		c.Request.Context = map[string][]string{}
	}
	if values == nil {
		values = []string{}
	}
	c.Request.Context[key] = values
	return c
}

func (c *Case) identity(p ...Pol) *Case { c.Identity = append(c.Identity, p...); return c }

func (c *Case) allowed() *Case { c.Expect.Decision = simulate.Allowed.String(); return c }

func (c *Case) deny(d simulate.Decision, b ...Blocker) *Case {
	c.Expect.Decision = d.String()
	c.Expect.Blockers = append(c.Expect.Blockers, b...)
	return c
}

func (c *Case) explicit(b ...Blocker) *Case { return c.deny(simulate.ExplicitDeny, b...) }
func (c *Case) implicit(b ...Blocker) *Case { return c.deny(simulate.ImplicitDeny, b...) }

func (c *Case) missing(keys ...string) *Case { c.Expect.Missing = strs(keys...); return c }

func (c *Case) layer(l string, d simulate.LayerDecision) *Case {
	if c.Expect.Layers == nil {
		c.Expect.Layers = map[string]string{}
	}
	c.Expect.Layers[l] = d.String()
	return c
}

func (c *Case) inferred(key string, values ...string) *Case {
	if c.Expect.Inferred == nil {
		c.Expect.Inferred = map[string][]string{}
	}
	c.Expect.Inferred[key] = values
	return c
}

// xd is an explicit deny by a statement of a policy (target for SCP/RCP).
func xd(layer, policy, stmt string) Blocker {
	return Blocker{Layer: layer, Kind: simulate.BlockerExplicitDeny.String(), Policy: str(policy), Statement: str(stmt)}
}

func xdAt(layer, policy, stmt, target string) Blocker {
	b := xd(layer, policy, stmt)
	b.Target = str(target)
	return b
}

// id is an implicit deny of a layer, policy and statement unchecked.
func id(layer string) Blocker {
	return Blocker{Layer: layer, Kind: simulate.BlockerImplicitDeny.String()}
}

// idAt is an implicit deny of an SCP or RCP level.
func idAt(layer, target string) Blocker {
	return Blocker{Layer: layer, Kind: simulate.BlockerImplicitDeny.String(), Target: str(target)}
}

// idCond is an implicit deny whose failed conditions are checked by key.
func idCond(layer string, keys ...string) Blocker {
	b := id(layer)
	b.Conditions = strs(keys...)
	return b
}

// idNone is an implicit deny of a layer that has no policy at all.
func idNone(layer string) Blocker {
	return Blocker{Layer: layer, Kind: simulate.BlockerImplicitDeny.String(), Policy: str(""), Statement: str("")}
}

const (
	lSCP      = "scp"
	lRCP      = "rcp"
	lResource = "resource-policy"
	lIdentity = "identity-policy"
	lBoundary = "permissions-boundary"
	lSession  = "session-policy"
)
