package cases

import (
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

// Requests that AWS decides whatever the policies say, resources that no
// account owns, NotPrincipal with Allow, and a role's ARN given as the
// caller.

// Documentation pages of these cases.
const (
	docGetCallerIdentity = "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html"
	docGetSessionToken   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_getsessiontoken.html"
	docAWSManaged        = "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/about-managed-policy-reference.html"
	docManagedVsInline   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies"
	docIdentityCenterIAM = "https://docs.aws.amazon.com/singlesignon/latest/userguide/identity-center-and-iam-roles.html"
	docKMSCreateAlias    = "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html"
)

const (
	readOnlyAccess = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	ssoRole        = "arn:aws:iam::" + acct + ":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef"
	elbSLR         = "arn:aws:iam::" + acct + ":role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing"
)

// exempt expects the call allowed by a rule of AWS whatever the policies,
// which alone decide policyDecision.
func (c *Case) exempt(rule string, policyDecision simulate.Decision) *Case {
	c.allowed()
	c.Expect.Exception = str(rule)
	c.Expect.PolicyDecision = policyDecision.String()
	return c
}

// fails expects the call to fail by a rule of AWS whatever the policies,
// which alone decide policyDecision.
func (c *Case) fails(rule string, policyDecision simulate.Decision) *Case {
	c.Expect.Decision = simulate.AlwaysFails.String()
	c.Expect.Blockers = []Blocker{}
	c.Expect.Exception = str(rule)
	c.Expect.PolicyDecision = policyDecision.String()
	return c
}

// noException expects no rule of AWS to override the policies.
func (c *Case) noException() *Case { c.Expect.Exception = str(""); return c }

func exceptionCases(add adder) {
	iamAll := allowStmt("IAMAdmin", `"Action": "iam:*", "Resource": "*"`)

	// AWS managed policies: "aws" in the ARN is no account.
	managedRead := func(desc string) *Case {
		return roleSession(desc, docAWSManaged, docSingleAcct).call("iam:GetPolicyVersion", readOnlyAccess)
	}
	add("aws-managed-policy-read-identity-allows", managedRead("reading an AWS managed policy is not cross-account: the identity policy alone allows it").
		identity(allowStmt("ReadIAM", `"Action": ["iam:Get*", "iam:List*"], "Resource": "*"`)).
		allowed().layer(lResource, simulate.LayerNotApplicable).noException())
	add("aws-managed-policy-read-identity-silent", managedRead("reading an AWS managed policy: only the identity policy can allow it, and it does not").
		identity(allowStmt("S3Only", `"Action": "s3:*", "Resource": "*"`)).
		implicit(id(lIdentity)).layer(lResource, simulate.LayerNotApplicable))
	add("aws-managed-policy-edit-fails", roleSession("an AWS managed policy cannot be changed, even by an administrator", docManagedVsInline).
		call("iam:CreatePolicyVersion", readOnlyAccess).identity(iamAll).
		fails("aws-managed-policy", simulate.Allowed))
	add("aws-managed-policy-delete-fails-denied-too", roleSession("deleting an AWS managed policy fails; the policies would not allow it either", docManagedVsInline).
		call("iam:DeletePolicy", readOnlyAccess).
		fails("aws-managed-policy", simulate.ImplicitDeny))
	add("customer-managed-policy-edit-allowed", roleSession("a customer managed policy can be changed when the identity policy allows it", docManagedVsInline).
		call("iam:CreatePolicyVersion", managedARN("AppPolicy")).identity(iamAll).
		allowed().noException())

	// Calls that need no permission.
	gci := func(desc string, docs ...string) *Case {
		return roleSession(desc, docs...).call("sts:GetCallerIdentity", "*")
	}
	add("getcalleridentity-explicit-deny-ignored", gci("an explicit deny of sts:GetCallerIdentity has no effect", docGetCallerIdentity).
		identity(managed("DenyWhoAmI", doc(allowAllStmt, `{"Sid": "NoWhoAmI", "Effect": "Deny", "Action": "sts:GetCallerIdentity", "Resource": "*"}`))).
		exempt("no-permission-needed", simulate.ExplicitDeny))
	add("getcalleridentity-no-policy", gci("sts:GetCallerIdentity needs no permission", docGetCallerIdentity).
		exempt("no-permission-needed", simulate.ImplicitDeny))
	add("getsessiontoken-user-deny-ignored", iamUser("policies cannot control sts:GetSessionToken", docGetSessionToken).
		call("sts:GetSessionToken", "*").
		identity(managed("DenySessionToken", doc(`{"Sid": "NoTokens", "Effect": "Deny", "Action": "sts:GetSessionToken", "Resource": "*"}`))).
		exempt("no-permission-needed", simulate.ExplicitDeny))
	add("getcalleridentity-action-case", gci("action names are case-insensitive: STS:getcalleridentity needs no permission either", docGetCallerIdentity, docAction).
		call("STS:getcalleridentity", "*").
		exempt("no-permission-needed", simulate.ImplicitDeny))

	// Roles that no policy lets anyone change.
	add("aws-reserved-role-trust-fails", roleSession("an IAM Identity Center role under /aws-reserved/ is modifiable only by AWS", docIdentityCenterIAM).
		call("iam:UpdateAssumeRolePolicy", ssoRole).identity(iamAll).
		fails("protected-role", simulate.Allowed))
	add("aws-reserved-role-update-fails", roleSession("an IAM Identity Center role's settings (session duration) are set by its permission set, not in IAM", docIdentityCenterIAM).
		call("iam:UpdateRole", ssoRole).identity(iamAll).
		fails("protected-role", simulate.Allowed))
	add("service-linked-role-attach-fails", roleSession("the permissions of a service-linked role cannot be changed", docSLR).
		call("iam:AttachRolePolicy", elbSLR).identity(iamAll).
		fails("service-linked-role", simulate.Allowed))
	add("service-linked-role-delete-fails", roleSession("a service-linked role is not deleted with iam:DeleteRole", docSLR).
		call("iam:DeleteRole", elbSLR).identity(iamAll).
		fails("service-linked-role", simulate.Allowed))
	add("service-linked-role-read-allowed", roleSession("reading a service-linked role is an ordinary call", docSLR).
		call("iam:GetRole", elbSLR).identity(iamAll).
		allowed().noException())
	add("kms-reserved-alias-delete-fails", roleSession("aliases under alias/aws/ are reserved for AWS managed keys", docKMSCreateAlias).
		call("kms:DeleteAlias", "arn:aws:kms:us-east-1:"+acct+":alias/aws/s3").
		identity(allowStmt("KMSAdmin", `"Action": "kms:*", "Resource": "*"`)).
		fails("reserved-kms-alias", simulate.Allowed))

	// NotPrincipal with Allow grants nobody.
	npAllow := func(desc string, listed string) *Case {
		c := roleSession(desc, docNotPrincipal).call("s3:GetObject", object)
		c.ResourcePolicy = &Pol{Name: "example-bucket", ARN: bucket, Origin: "s3 bucket policy", Document: raw(doc(
			`{"Sid": "AllButListed", "Effect": "Allow", "NotPrincipal": {"AWS": ["` + listed + `"]}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/*"}`))}
		c.ResourceAccount = acct
		return c
	}
	add("notprincipal-allow-lists-caller", npAllow("an Allow whose NotPrincipal lists the caller (not its account) does not grant the caller", sessARN).
		implicit(idNone(lIdentity)))
	add("notprincipal-allow-unsupported", npAllow("NotPrincipal with Allow is not supported: it grants no one, not even those it does not list",
		"arn:aws:iam::"+other+":root").implicit(idNone(lIdentity)))

	// A role's ARN as the caller: a session of the role.
	roleCaller := func(desc string, docs ...string) *Case {
		c := &Case{Case: corpus.Case{
			Description: desc,
			Doc:         docs,
			Request:     Request{Principal: roleARN, Action: "s3:GetObject", Resource: object},
			Principal:   &Principal{IAMARN: roleARN, Account: acct, Type: "AssumedRole"},
		}}
		c.ResourcePolicy = &Pol{Name: "example-bucket", ARN: bucket, Origin: "s3 bucket policy", Document: raw(doc(
			`{"Sid": "GrantRole", "Effect": "Allow", "Principal": {"AWS": "` + roleARN + `"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/*"}`))}
		c.ResourceAccount = acct
		return c
	}
	rb := roleCaller("a bucket grant to the role ARN is limited by the role's permissions boundary", docBoundaries, docPolicies)
	rb.Boundary = &Pol{Name: "EC2Boundary", ARN: managedARN("EC2Boundary"), Document: raw(doc(`{"Sid": "EC2", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"}`))}
	rb.Expect.Warnings = boolp(true)
	add("role-arn-caller-boundary-limits-grant", rb.implicit(id(lBoundary)))
	add("role-arn-caller-grant-without-boundary", roleCaller("a bucket grant to the role ARN allows its sessions within the account", docPrincipal, docSingleAcct).
		allowed().layer(lResource, simulate.LayerAllow))
}

// Documentation pages of the S3 Block Public Access cases.
const (
	docBlockPublicAccess = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"
	docPublicAccessBlock = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PublicAccessBlockConfiguration.html"
	docAnonymous         = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous"
)

// publicAccessCases: anonymous and cross-account callers of a bucket whose
// policy is public, with S3 Block Public Access unknown, on and off.
func publicAccessCases(add adder) {
	site := "arn:aws:s3:::example-bucket/site/index.html"
	anon := func(desc string, grant string, docs ...string) *Case {
		c := &Case{Case: corpus.Case{
			Description: desc,
			Doc:         docs,
			Request:     Request{Principal: "anonymous", Action: "s3:GetObject", Resource: site},
			Principal:   &Principal{Type: "Anonymous", UserID: "anonymous"},
		}}
		c.ResourcePolicy = &Pol{Name: "example-bucket", ARN: bucket, Origin: "s3 bucket policy", Document: raw(doc(grant))}
		return c
	}
	public := `{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/site/*"}`
	bpa := func(restrict bool) *corpus.PublicAccess {
		return &corpus.PublicAccess{BlockPublicAcls: restrict, IgnorePublicAcls: restrict, BlockPublicPolicy: restrict, RestrictPublicBuckets: restrict}
	}
	u := anon("an anonymous read granted by a public bucket policy depends on S3 Block Public Access, which is unknown", public, docAnonymous, docBlockPublicAccess)
	u.Expect.Suspects = strs(string(policy.LayerS3PublicAccess))
	add("s3-bpa-anonymous-unknown", u.deny(simulate.Inconclusive))
	on := anon("with RestrictPublicBuckets on, a public bucket policy does not let an anonymous caller read", public, docBlockPublicAccess, docPublicAccessBlock)
	on.S3PublicAccess = bpa(true)
	add("s3-bpa-anonymous-restricted", on.explicit(Blocker{Layer: string(policy.LayerS3PublicAccess), Kind: simulate.BlockerExplicitDeny.String(),
		Policy: str("S3 Block Public Access"), Statement: str("RestrictPublicBuckets")}))
	off := anon("with S3 Block Public Access off, a public bucket policy lets an anonymous caller read", public, docAnonymous, docBlockPublicAccess)
	off.S3PublicAccess = bpa(false)
	add("s3-bpa-anonymous-off", off.allowed())
	add("s3-anonymous-no-grant", anon("an anonymous caller gets only what the bucket policy grants everyone", `{"Sid": "TeamRead", "Effect": "Allow", "Principal": {"AWS": "`+roleARN+`"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/*"}`, docAnonymous).
		implicit(id(lResource)))
	vpce := anon("a grant to everyone pinned to one VPC endpoint is not public: RestrictPublicBuckets does not apply",
		`{"Sid": "ThroughEndpoint", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/site/*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}`,
		docPublicAccessBlock).ctx("aws:SourceVpce", "vpce-1a2b3c4d")
	vpce.S3PublicAccess = bpa(true)
	add("s3-bpa-pinned-endpoint-not-public", vpce.allowed())
	// Principals of the bucket owner's account and AWS service principals
	// are not restricted.
	own := roleSession("RestrictPublicBuckets does not restrict principals of the bucket owner's account", docPublicAccessBlock).call("s3:GetObject", site)
	own.ResourcePolicy = &Pol{Name: "example-bucket", ARN: bucket, Origin: "s3 bucket policy", Document: raw(doc(public))}
	own.ResourceAccount = acct
	own.S3PublicAccess = bpa(true)
	add("s3-bpa-owner-account-allowed", own.allowed())
	svc := &Case{Case: corpus.Case{
		Description: "RestrictPublicBuckets does not restrict AWS service principals",
		Doc:         []string{docPublicAccessBlock},
		Request:     Request{Principal: "logging.s3.amazonaws.com", Action: "s3:GetObject", Resource: site},
		Principal:   &Principal{Type: "Service", Service: "logging.s3.amazonaws.com"},
	}}
	svc.ResourcePolicy = &Pol{Name: "example-bucket", ARN: bucket, Origin: "s3 bucket policy", Document: raw(doc(public))}
	svc.ResourceAccount = acct
	svc.S3PublicAccess = bpa(true)
	add("s3-bpa-service-principal-allowed", svc.allowed())
}

// serviceCases: an AWS service principal delivering to a resource whose
// policy checks where the call comes from.
func serviceCases(add adder) {
	topic := "arn:aws:sns:us-east-1:" + acct + ":alerts"
	rule := "arn:aws:events:us-east-1:" + acct + ":rule/nightly"
	deliver := func(desc, sourceArn string) *Case {
		c := &Case{Case: corpus.Case{
			Description: desc,
			Doc:         []string{docPrincipal, "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"},
			Request:     Request{Principal: "events.amazonaws.com", Action: "sns:Publish", Resource: topic},
			Principal:   &Principal{Type: "Service", Service: "events.amazonaws.com"},
		}}
		c.ResourcePolicy = &Pol{Name: "alerts", ARN: topic, Origin: "sns topic policy", Document: raw(doc(
			`{"Sid": "FromNightlyRule", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish", "Resource": "` + topic + `", "Condition": {"ArnEquals": {"aws:SourceArn": "` + rule + `"}}}`))}
		c.ResourceAccount = acct
		return c.ctx("aws:SourceArn", sourceArn)
	}
	add("service-principal-source-arn-matches", deliver("a service principal allowed by the topic policy for its source rule", rule).allowed())
	add("service-principal-source-arn-other", deliver("the topic policy allows the service only on behalf of another rule", "arn:aws:events:us-east-1:"+acct+":rule/other").
		implicit(idCond(lResource, "aws:SourceArn")))
	add("service-principal-no-identity-policy", deliver("a service principal has no identity-based policies: the resource's policy alone grants", rule).
		allowed().layer(lIdentity, simulate.LayerNotApplicable))
}
