package cases

import (
	"github.com/iamdiag/iamdiag/internal/simulate"
	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

// Resource-based vs identity-based policies, permissions boundaries, session
// policies and identity policies of users and roles.

func bucketGrant(name, arnBucket, principal, action string) *Pol {
	return &Pol{Name: name, ARN: "arn:aws:s3:::" + name, Origin: "s3 bucket policy", Document: raw(doc(
		`{"Sid": "Grant", "Effect": "Allow", "Principal": ` + principal + `, "Action": "` + action + `", "Resource": "` + arnBucket + `/*"}`))}
}

func resourceCases(add adder) {
	sameAcct := func(desc string, docs ...string) *Case {
		c := roleSession(desc, docs...).call("s3:GetObject", object)
		c.ResourceAccount = acct
		return c
	}
	read := allowStmt("Read", `"Action": "s3:GetObject", "Resource": "*"`)

	c := sameAcct("same account: the bucket policy alone allows the role", docSingleAcct, docIdVsRes)
	c.ResourcePolicy = bucketGrant("example-bucket", bucket, `{"AWS": "`+roleARN+`"}`, "s3:GetObject")
	add("res-same-account-resource-only", c.allowed().layer(lResource, simulate.LayerAllow))
	c = sameAcct("same account: the identity policy alone allows; the bucket policy names someone else", docSingleAcct, docIdVsRes).identity(read)
	c.ResourcePolicy = bucketGrant("example-bucket", bucket, `{"AWS": "arn:aws:iam::`+acct+`:role/Other"}`, "s3:GetObject")
	add("res-same-account-identity-only", c.allowed().layer(lIdentity, simulate.LayerAllow))
	c = sameAcct("same account: neither the identity policy nor the bucket policy allows", docSingleAcct)
	c.ResourcePolicy = bucketGrant("example-bucket", bucket, `{"AWS": "arn:aws:iam::`+acct+`:role/Other"}`, "s3:GetObject")
	add("res-same-account-neither", c.implicit(idNone(lIdentity)))
	c = sameAcct("same account: no resource policy and no identity policy", docSingleAcct)
	add("res-same-account-nothing", c.implicit(idNone(lIdentity)).layer(lResource, simulate.LayerNotApplicable))
	c = sameAcct("same account: a Deny in the bucket policy overrides the identity allow", docDenyAllow, docS3Bucket).identity(read).ctx("aws:SecureTransport", "false")
	c.ResourcePolicy = &Pol{Name: "example-bucket", ARN: bucket, Origin: "s3 bucket policy", Document: raw(doc(
		`{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["` + bucket + `", "arn:aws:s3:::example-bucket/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}`))}
	add("res-same-account-resource-deny", c.explicit(xd(lResource, bucket, "DenyInsecureTransport")))

	partner := "arn:aws:s3:::partner-bucket/data.csv"
	crossAcct := func(desc string, docs ...string) *Case {
		c := roleSession(desc, docs...).call("s3:GetObject", partner)
		c.ResourceAccount = other
		return c
	}
	c = crossAcct("cross-account: identity policy and bucket policy both allow", docCrossAcct).identity(read)
	c.ResourcePolicy = bucketGrant("partner-bucket", "arn:aws:s3:::partner-bucket", `{"AWS": "`+roleARN+`"}`, "s3:GetObject")
	add("res-cross-account-both-allow", c.allowed())
	add("res-cross-account-no-resource-policy", crossAcct("cross-account: the other account's bucket has no policy", docCrossAcct).identity(read).
		implicit(id(lResource)))
	c = crossAcct("cross-account: the bucket policy grants another principal", docCrossAcct).identity(read)
	c.ResourcePolicy = bucketGrant("partner-bucket", "arn:aws:s3:::partner-bucket", `{"AWS": "arn:aws:iam::`+acct+`:role/Other"}`, "s3:GetObject")
	add("res-cross-account-resource-no-match", c.implicit(id(lResource)))
	c = crossAcct("cross-account: the bucket policy allows but the role's identity policy does not", docCrossAcct)
	c.ResourcePolicy = bucketGrant("partner-bucket", "arn:aws:s3:::partner-bucket", `{"AWS": "`+roleARN+`"}`, "s3:GetObject")
	add("res-cross-account-identity-missing", c.implicit(idNone(lIdentity)))
	add("res-cross-account-both-missing", crossAcct("cross-account: neither side allows; both listed, resource policy first", docCrossAcct, docDenyAllow).
		implicit(id(lResource), idNone(lIdentity)))
	c = crossAcct("cross-account: a Deny in the other account's bucket policy", docCrossAcct).identity(read)
	c.ResourcePolicy = &Pol{Name: "partner-bucket", ARN: "arn:aws:s3:::partner-bucket", Origin: "s3 bucket policy", Document: raw(doc(
		`{"Sid": "Grant", "Effect": "Allow", "Principal": {"AWS": "`+acct+`"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::partner-bucket/*"}`,
		`{"Sid": "NoOutsiders", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::partner-bucket/*", "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "`+other+`"}}}`))}
	add("res-cross-account-resource-deny", c.explicit(xd(lResource, "arn:aws:s3:::partner-bucket", "NoOutsiders")).inferred("aws:PrincipalAccount", acct))
	c = crossAcct("cross-account: the bucket policy cannot be read; the identity policy allows", docCrossAcct)
	c.identity(read)
	c.ResourceUnreadable = "AccessDenied"
	add("res-cross-account-unreadable", c.deny(simulate.Inconclusive).suspects(lResource))

	key := "arn:aws:kms:us-east-1:" + acct + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	kms := func(desc string) *Case {
		c := roleSession(desc, docKMSKeyPolicy, docPrincipal).call("kms:Decrypt", key)
		c.ResourcePolicy = &Pol{Name: "key/1234abcd-12ab-34cd-56ef-1234567890ab", ARN: key, Origin: "kms key policy", Document: raw(doc(
			`{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::` + acct + `:root"}, "Action": "kms:*", "Resource": "*"}`))}
		c.ResourceAccount = acct
		return c
	}
	add("res-kms-default-key-policy-with-identity", kms("the default key policy delegates to IAM: the identity policy allows kms:Decrypt").
		identity(allowStmt("Decrypt", `"Action": "kms:Decrypt", "Resource": "`+key+`"`)).allowed())
	add("res-kms-default-key-policy-without-identity", kms("the default key policy names the account, not the role: without an identity policy the role is denied").
		implicit(idNone(lIdentity)))

	// Every blocker is listed (a fix must clear all of them): a key
	// policy that allows nothing and a boundary that allows nothing both
	// block; granting the role in the key policy alone would still leave
	// the boundary capping it
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
	noGrant := kms("the key policy allows nothing and the boundary allows nothing: both are listed").
		identity(allowStmt("Decrypt", `"Action": "kms:Decrypt", "Resource": "`+key+`"`))
	noGrant.ResourcePolicy.Document = raw(doc(`{"Sid": "AdminsOnly", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::` + acct + `:role/KeyAdmin"}, "Action": "kms:*", "Resource": "*"}`))
	noGrant.Boundary = boundaryPol("S3Boundary", `{"Sid": "S3Only", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}`)
	noGrant.Doc = append(noGrant.Doc, docBoundaries)
	add("res-kms-key-policy-and-boundary-missing", noGrant.implicit(id(lResource), id(lBoundary)))
}

func boundaryPol(name, stmts string) *Pol {
	return &Pol{Name: name, ARN: managedARN(name), Document: raw(doc(stmts))}
}

func boundaryCases(add adder) {
	ec2Boundary := boundaryPol("EC2Boundary", `{"Sid": "EC2Only", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"}`)
	s3Boundary := boundaryPol("S3Boundary", `{"Sid": "S3Only", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}`)
	launch := allowStmt("Launch", `"Action": "ec2:RunInstances", "Resource": "*"`)
	run := func(desc string, b *Pol, docs ...string) *Case {
		c := roleSession(desc, docs...).call("ec2:RunInstances", instance)
		c.Boundary = b
		return c
	}
	add("pb-allows", run("the boundary and the identity policy both allow", ec2Boundary, docBoundaries).identity(launch).allowed().layer(lBoundary, simulate.LayerAllow))
	add("pb-gap", run("the boundary does not include ec2:RunInstances: the identity allow is capped", s3Boundary, docBoundaries).identity(launch).
		implicit(Blocker{Layer: lBoundary, Kind: simulate.BlockerImplicitDeny.String(), Policy: str(managedARN("S3Boundary"))}).layer(lBoundary, simulate.LayerImplicitDeny))
	add("pb-explicit-deny", run("a Deny in the boundary", boundaryPol("GuardedBoundary",
		`{"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}, {"Sid": "NoLaunch", "Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*"}`), docBoundaries).
		identity(launch).explicit(xd(lBoundary, managedARN("GuardedBoundary"), "NoLaunch")))
	add("pb-does-not-grant", run("a boundary grants nothing: it allows, the identity policy does not", ec2Boundary, docBoundaries).
		identity(allowStmt("S3Read", `"Action": "s3:GetObject", "Resource": "*"`)).implicit(id(lIdentity)))
	add("pb-and-identity-missing", run("neither the identity policy nor the boundary allows: both listed, identity first", s3Boundary, docBoundaries, docDenyAllow).
		identity(allowStmt("Describe", `"Action": "ec2:Describe*", "Resource": "*"`)).implicit(id(lIdentity), id(lBoundary)))
	add("pb-none-attached", roleSession("no boundary attached: the layer does not apply", docBoundaries).call("ec2:RunInstances", instance).
		identity(launch).allowed().layer(lBoundary, simulate.LayerNotApplicable))
	cond := run("a boundary allowing EC2 only in us-east-1: eu-west-1 is outside it", boundaryPol("RegionBoundary",
		`{"Sid": "EC2InUSEast1", "Effect": "Allow", "Action": "ec2:*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}`), docBoundaries).
		call("ec2:RunInstances", "arn:aws:ec2:eu-west-1:"+acct+":instance/*").identity(launch)
	add("pb-condition-gap", cond.implicit(idCond(lBoundary, "aws:RequestedRegion")))
	unread := roleSession("the boundary cannot be read; identity allows: inconclusive", docBoundaries).call("ec2:RunInstances", instance).identity(launch)
	unread.BoundaryUnreadable = "AccessDenied"
	add("pb-unreadable", unread.deny(simulate.Inconclusive).suspects(lBoundary))

	// Boundaries and resource-based policies in the same account.
	s3 := func(desc, principal string, docs ...string) *Case {
		c := roleSession(desc, docs...).call("s3:GetObject", object)
		c.Boundary = ec2Boundary
		c.ResourcePolicy = bucketGrant("example-bucket", bucket, principal, "s3:GetObject")
		c.ResourceAccount = acct
		return c
	}
	add("pb-resource-policy-session-arn", s3("a bucket policy naming the role session is not limited by the boundary",
		`{"AWS": "`+sessARN+`"}`, docBoundaries, docDenyAllow, docPolicies).allowed())
	add("pb-resource-policy-role-arn", s3("a bucket policy naming the role ARN is limited by the boundary",
		`{"AWS": "`+roleARN+`"}`, docBoundaries, docDenyAllow).implicit(id(lBoundary)))
	u := iamUser("a bucket policy naming the IAM user is not limited by the user's boundary", docBoundaries, docDenyAllow).call("s3:GetObject", object)
	u.Boundary = ec2Boundary
	u.ResourcePolicy = bucketGrant("example-bucket", bucket, `{"AWS": "`+userARN+`"}`, "s3:GetObject")
	u.ResourceAccount = acct
	add("pb-resource-policy-user-arn", u.allowed())
	x := roleSession("cross-account: the boundary applies although the bucket policy allows", docBoundaries, docCrossAcct).
		call("s3:GetObject", "arn:aws:s3:::partner-bucket/data.csv").identity(allowStmt("Read", `"Action": "s3:GetObject", "Resource": "*"`))
	x.Boundary = ec2Boundary
	x.ResourcePolicy = bucketGrant("partner-bucket", "arn:aws:s3:::partner-bucket", `{"AWS": "`+roleARN+`"}`, "s3:GetObject")
	x.ResourceAccount = other
	add("pb-cross-account-gap", x.implicit(id(lBoundary)))
}

func sessionPol(name, stmts string) Pol {
	return Pol{Name: name, Origin: "sts:AssumeRole Policy parameter", Document: raw(doc(stmts))}
}

func sessionCases(add adder) {
	read := allowStmt("Read", `"Action": "s3:GetObject", "Resource": "*"`)
	sess := func(desc string, docs ...string) *Case {
		return roleSession(desc, docs...).call("s3:GetObject", object)
	}
	add("sess-allows", func() *Case {
		c := sess("the session policy and the identity policy both allow", docPolicies).identity(read)
		c.Session = pols(sessionPol("session", `{"Sid": "S3Read", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}`))
		return c.allowed().layer(lSession, simulate.LayerAllow)
	}())
	add("sess-gap", func() *Case {
		c := sess("the session policy does not include s3:GetObject: the session's permissions are the intersection", docPolicies, docAssumeRole).identity(read)
		c.Session = pols(sessionPol("session", `{"Sid": "ListOnly", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}`))
		return c.implicit(id(lSession)).layer(lSession, simulate.LayerImplicitDeny)
	}())
	add("sess-explicit-deny", func() *Case {
		c := sess("a Deny in the inline session policy; it has no ARN so its origin names it", docPolicies).identity(read)
		c.Session = pols(sessionPol("session", `{"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}, {"Sid": "NoRead", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}`))
		return c.explicit(xd(lSession, "sts:AssumeRole Policy parameter", "NoRead"))
	}())
	add("sess-inline-and-managed", func() *Case {
		c := sess("an inline and a managed session policy: the managed one allows the call", docPolicies, docAssumeRole).identity(read)
		c.Session = pols(sessionPol("session", `{"Sid": "ListOnly", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}`),
			Pol{Name: "ReadOnlySession", ARN: managedARN("ReadOnlySession"), Origin: "sts:AssumeRole PolicyArns", Document: raw(doc(
				`{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}`))})
		return c.allowed()
	}())
	add("sess-none-passed", sess("no session policy was passed: the layer does not apply", docPolicies).identity(read).
		allowed().layer(lSession, simulate.LayerNotApplicable))
	add("sess-unknown-else-allowed", func() *Case {
		c := sess("session policies cannot be known and every other layer allows: inconclusive with a warning", docPolicies, docAssumeRole).identity(read)
		c.SessionKnown = boolp(false)
		c.Expect.Warnings = boolp(true)
		return c.deny(simulate.Inconclusive).suspects(lSession).layer(lSession, simulate.LayerUnknown)
	}())
	add("sess-unknown-identity-missing", func() *Case {
		c := sess("session policies unknown, but the identity policy does not allow: that explains the deny", docPolicies)
		c.SessionKnown = boolp(false)
		return c.implicit(idNone(lIdentity))
	}())
	withBucket := func(desc, principal string, sp string, docs ...string) *Case {
		c := sess(desc, docs...)
		c.Session = pols(sessionPol("session", sp))
		c.ResourcePolicy = bucketGrant("example-bucket", bucket, principal, "s3:GetObject")
		c.ResourceAccount = acct
		return c
	}
	ec2Only := `{"Sid": "EC2Only", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"}`
	add("sess-resource-policy-session-arn", withBucket("a bucket policy naming the session ARN is not limited by the session policy",
		`{"AWS": "`+sessARN+`"}`, ec2Only, docPolicies).allowed())
	add("sess-resource-policy-role-arn-gap", withBucket("a bucket policy naming the role ARN is limited by the session policy",
		`{"AWS": "`+roleARN+`"}`, ec2Only, docPolicies).implicit(id(lSession)))
	// AWS distinguishes a grant naming the role (limited by the session
	// policy) from one naming the session ARN (not limited), and for
	// federated users requires the policy to "explicitly name" the session
	// (docFederationPerms); "*" names no one: iamdiag takes the
	// conservative reading, the session policy limits it (with a warning).
	wild := withBucket("a bucket policy granting \"*\" does not name the session: the session policy limits it (conservative reading, warned)",
		`"*"`, ec2Only, docPolicies, docFederationPerms)
	wild.Expect.Warnings = boolp(true)
	add("sess-resource-policy-wildcard-limited", wild.implicit(id(lSession)))
	add("sess-resource-policy-role-arn-session-allows", withBucket("a bucket policy naming the role ARN and a session policy allowing: allowed without identity policy",
		`{"AWS": "`+roleARN+`"}`, `{"Sid": "S3Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}`, docPolicies).allowed())

	three := func(desc string, boundary, session string) *Case {
		c := sess(desc, docBoundaries, docPolicies).identity(read)
		c.Boundary = boundaryPol("Boundary", boundary)
		c.Session = pols(sessionPol("session", session))
		return c
	}
	s3All := `{"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}`
	add("sess-boundary-identity-all-allow", three("identity, boundary and session policy all allow: the three-way intersection", s3All, s3All).allowed())
	add("sess-boundary-and-session-gap", three("both the boundary and the session policy leave the action out: both listed, boundary first",
		ec2Only, ec2Only).implicit(id(lBoundary), id(lSession)))

	fed := func(desc string, sp string) *Case {
		c := &Case{Case: corpus.Case{Description: desc, Doc: []string{docFederation, docPolicies},
			Request:   Request{Principal: "arn:aws:sts::" + acct + ":federated-user/bob", Action: "s3:GetObject", Resource: object},
			Principal: &Principal{IAMARN: userARN, Account: acct, Type: "FederatedUser"},
			Identity: []Pol{{Name: "AliceS3", ARN: managedARN("AliceS3"), Origin: "user/alice", Document: raw(doc(
				`{"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}`))}},
			Session: pols(Pol{Name: "federation", Origin: "sts:GetFederationToken Policy parameter", Document: raw(doc(sp))}),
		}}
		return c
	}
	add("sess-federated-user-allowed", fed("a federated user (GetFederationToken): the user's policy and the session policy allow",
		`{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}`).allowed())
	add("sess-federated-user-gap", fed("a federated user: the session policy passed to GetFederationToken does not allow",
		`{"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}`).implicit(id(lSession)))
}

func identityCases(add adder) {
	user := func(desc string, docs ...string) *Case { return iamUser(desc, docs...).call("s3:DeleteObject", object) }
	grp := func(name, stmts string) Pol {
		return Pol{Name: name, ARN: managedARN(name), Origin: "group/developers", Document: raw(doc(stmts))}
	}
	add("user-group-policy-allows", user("an IAM user gets permissions from a group policy", docGroups).
		identity(grp("DevS3", `{"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}`)).allowed())
	add("user-group-deny-overrides-user-allow", user("a group policy Deny overrides the user's inline allow", docGroups, docDenyAllow).
		identity(inline("UserS3", "user/alice (inline)", doc(`{"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}`)),
			grp("NoDeletes", `{"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}`)).
		explicit(xd(lIdentity, managedARN("NoDeletes"), "NoDelete")))
	add("user-no-policies", user("an IAM user without any policy", docEvalLogic).implicit(idNone(lIdentity)))
	add("identity-inline-deny-named-by-origin", roleSession("a Deny in an inline role policy: no ARN, so the blocker names its origin", docDenyAllow).
		call("s3:DeleteObject", object).
		identity(managed("S3Admin", doc(`{"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}`)),
			inline("NoDeletes", "role/AppRole (inline)", doc(`{"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}`))).
		explicit(xd(lIdentity, "role/AppRole (inline)", "NoDelete")))
	// A Deny that applies with no Allow anywhere: removing the Deny would
	// still leave the request implicitly denied, so the missing Allow is a
	// blocker too (a fix must clear every blocker).
	add("identity-deny-and-missing-allow", roleSession("a Deny applies and no Allow does: the explicit deny and the missing allow are both listed", docDenyAllow).
		call("s3:DeleteObject", object).
		identity(managed("NoDeletes", doc(`{"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}`,
			`{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}`))).
		explicit(xd(lIdentity, managedARN("NoDeletes"), "NoDelete"), id(lIdentity)))
	add("identity-one-of-several-allows", roleSession("several identity policies: one allowing is enough", docEvalLogic).call("s3:DeleteObject", object).
		identity(allowStmt("EC2", `"Action": "ec2:*", "Resource": "*"`),
			managed("S3Writer", doc(`{"Sid": "Write", "Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": "arn:aws:s3:::example-bucket/*"}`))).allowed())
	add("identity-two-denies", roleSession("two Deny statements of the same policy both apply: both listed in document order", docDenyAllow).
		call("s3:DeleteObject", object).identity(managed("Locked", doc(allowAllStmt,
		`{"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}`,
		`{"Sid": "ReadOnlyBucket", "Effect": "Deny", "NotAction": "s3:Get*", "Resource": "arn:aws:s3:::example-bucket/*"}`))).
		explicit(xd(lIdentity, managedARN("Locked"), "NoDelete"), xd(lIdentity, managedARN("Locked"), "ReadOnlyBucket")))

	rootUser := func(desc string, docs ...string) *Case {
		return &Case{Case: corpus.Case{Description: desc, Doc: docs,
			Request:   Request{Principal: "arn:aws:iam::" + acct + ":root", Action: "s3:DeleteObject", Resource: object},
			Principal: &Principal{IAMARN: "arn:aws:iam::" + acct + ":root", Account: acct, Type: "Account"}}}
	}
	add("root-user-allowed-without-policies", rootUser("the root user has full access to its own account's resources", docDenyAllow, docRoot).allowed())
	ru := rootUser("a bucket policy Deny with Principal * applies to the root user too", docDenyAllow, docS3Bucket)
	ru.ResourcePolicy = &Pol{Name: "example-bucket", ARN: bucket, Origin: "s3 bucket policy", Document: raw(doc(
		`{"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::example-bucket/*"}`))}
	ru.ResourceAccount = acct
	add("root-user-resource-policy-deny", ru.explicit(xd(lResource, bucket, "NoDeletes")))
	rc := rootUser("the root user accessing another account's bucket needs that bucket's policy", docCrossAcct, docRoot).
		call("s3:GetObject", "arn:aws:s3:::partner-bucket/data.csv")
	rc.ResourceAccount = other
	add("root-user-cross-account-no-resource-policy", rc.implicit(id(lResource)))
}
