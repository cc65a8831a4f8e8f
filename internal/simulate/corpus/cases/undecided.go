package cases

import "github.com/iamdiag/iamdiag/internal/simulate"

// Statements the request cannot decide: the input named no resource ("*"
// stands in for it), or a condition uses an operator AWS does not define.
// Such a statement can neither be said to apply nor not to apply, so a
// layer whose verdict it could change is unknown and the decision, when
// nothing else denies, inconclusive.

const (
	// docInvalidOperator: AWS rejects a policy with an unknown condition
	// operator when it is written, so a document holding one is not what
	// AWS evaluates.
	docInvalidOperator = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-error-invalid-condition-operator"
	put                = "s3:PutObject"
)

// unknownResource marks the request's resource as not given.
func (c *Case) unknownResource() *Case {
	c.Request.Resource, c.Request.ResourceUnknown = "*", true
	return c
}

func undecidedCases(add adder) {
	scopedPut := managed("DataWriter", doc(`{"Sid": "WriteData", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data-bucket/*"}`))
	add("undecided-resource-allow-specific", roleSession("the input names no resource and the only Allow names specific objects: whether it applies is unknown",
		docResource).call(put, "").unknownResource().identity(scopedPut).
		deny(simulate.Inconclusive).suspects(lIdentity).layer(lIdentity, simulate.LayerUnknown))
	add("undecided-resource-allow-star", roleSession("the input names no resource, but an Allow on \"*\" applies to any resource: allowed",
		docResource).call(put, "").unknownResource().identity(managed("Writer", doc(`{"Sid": "Write", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}`))).
		allowed())
	add("undecided-resource-deny-specific", roleSession("the input names no resource; an Allow on \"*\" applies but a Deny names a specific bucket: whether it denies is unknown",
		docResource).call(put, "").unknownResource().identity(managed("Guarded", doc(allowAllStmt,
		`{"Sid": "ProtectAudit", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::audit-bucket/*"}`))).
		deny(simulate.Inconclusive).suspects(lIdentity))
	add("undecided-resource-no-allow-for-action", roleSession("the input names no resource, but no statement allows the action on any resource: denied whatever the resource",
		docResource).call(put, "").unknownResource().identity(managed("Reader", doc(`{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-bucket/*"}`))).
		implicit(id(lIdentity)))
	add("undecided-resource-unconditional-deny-star", roleSession("the input names no resource; a Deny on \"*\" applies to any resource: explicitly denied",
		docResource).call(put, "").unknownResource().identity(managed("Frozen", doc(
		`{"Sid": "WriteData", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data-bucket/*"}`,
		`{"Sid": "Freeze", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}`))).
		explicit(xd(lIdentity, managedARN("Frozen"), "Freeze")))
	add("undecided-operator-deny", roleSession("a Deny whose condition uses an operator AWS does not define cannot be evaluated: inconclusive, never allowed",
		docInvalidOperator, docCondOps).call(get, object).identity(managed("Guarded", doc(allowAllStmt,
		`{"Sid": "Guard", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringNotEqualz": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}`))).
		deny(simulate.Inconclusive).suspects(lIdentity).layer(lIdentity, simulate.LayerUnknown))
	add("undecided-operator-allow", roleSession("an Allow whose condition uses an operator AWS does not define cannot be counted as granting: inconclusive",
		docInvalidOperator, docCondOps).call(get, object).identity(managed("Scoped", doc(
		`{"Sid": "Scoped", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEqualz": {"aws:ResourceTag/project": "apollo"}}}`))).
		ctx("aws:ResourceTag/project", "apollo").
		deny(simulate.Inconclusive).suspects(lIdentity))
	add("undecided-operator-allow-other-condition-fails", roleSession("an Allow with an unknown operator whose other condition fails does not apply whatever the operator means",
		docInvalidOperator, docCondOps).call(get, object).identity(managed("Scoped", doc(
		`{"Sid": "Scoped", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEqualz": {"aws:ResourceTag/project": "apollo"}, "StringEquals": {"aws:RequestedRegion": "us-east-1"}}}`))).
		ctx("aws:RequestedRegion", "eu-west-1").
		implicit(id(lIdentity)))
	scp := roleSession("an SCP Deny with an unknown operator makes the SCP layer unknown",
		docInvalidOperator, docSCPEval).inOrg().call(get, object).identity(managed("Reader", doc(allowAllStmt)))
	scp.SCP[1].Policies = append(scp.SCP[1].Policies, scpPol("p-guard", "Guard", doc(`{"Sid": "Guard", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringNotEqualz": {"aws:RequestedRegion": "us-east-1"}}}`)))
	add("undecided-operator-scp-deny", scp.
		deny(simulate.Inconclusive).suspects(lSCP).layer(lSCP, simulate.LayerUnknown))
}
