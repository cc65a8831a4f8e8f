package cases

import (
	"github.com/iamdiag/iamdiag/internal/simulate"
	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

// SCP and RCP cases.

const denyEC2 = `{"Sid": "NoEC2", "Effect": "Deny", "Action": "ec2:*", "Resource": "*"}`

func denyEC2SCP() Pol { return scpPol("p-denyec2", "DenyEC2", doc(denyEC2)) }

func allowS3OnlySCP() Pol {
	return scpPol("p-s3only", "AllowS3Only", doc(`{"Sid": "S3Only", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}`))
}

// launcher is the role session in the organization with an identity policy
// allowing ec2:RunInstances, calling it in us-east-1.
func launcher(desc string, docs ...string) *Case {
	return roleSession(desc, docs...).inOrg().call("ec2:RunInstances", instance).
		identity(allowStmt("Launch", `"Action": "ec2:RunInstances", "Resource": "*"`))
}

func scpCases(add adder) {
	add("scp-fullawsaccess-every-level", launcher("FullAWSAccess at root, OU and account lets the identity policy decide", docSCPEval).
		allowed().layer(lSCP, simulate.LayerAllow))
	root := launcher("an SCP Deny attached to the root applies to every account", docSCPEval)
	root.SCP[0].Policies = append(root.SCP[0].Policies, denyEC2SCP())
	add("scp-deny-at-root", root.explicit(xdAt(lSCP, scpARN("p-denyec2"), "NoEC2", rootID)).layer(lSCP, simulate.LayerExplicitDeny))
	ou := launcher("an SCP Deny attached to the OU above the account", docSCPEval)
	ou.SCP[1].Policies = append(ou.SCP[1].Policies, denyEC2SCP())
	add("scp-deny-at-ou", ou.explicit(xdAt(lSCP, scpARN("p-denyec2"), "NoEC2", ouID)))
	ac := launcher("an SCP Deny attached directly to the account", docSCPEval)
	ac.SCP[2].Policies = append(ac.SCP[2].Policies, denyEC2SCP())
	add("scp-deny-at-account", ac.explicit(xdAt(lSCP, scpARN("p-denyec2"), "NoEC2", acct)))
	nosid := launcher("an SCP statement without Sid is named #N", docSCPEval, docSCPSyntax)
	nosid.SCP[1].Policies = append(nosid.SCP[1].Policies, scpPol("p-nosid", "DenyEC2NoSid", doc(
		`{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}`, `{"Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*"}`)))
	add("scp-deny-without-sid", nosid.explicit(xdAt(lSCP, scpARN("p-nosid"), "#2", ouID)))

	for i, lv := range []struct{ name, target string }{{"root", rootID}, {"ou", ouID}, {"account", acct}} {
		c := launcher("every level must allow: the "+lv.name+" level allows only S3", docSCPEval)
		c.SCP[i].Policies = pols(allowS3OnlySCP())
		add("scp-missing-allow-at-"+lv.name, c.implicit(idAt(lSCP, lv.target)).layer(lSCP, simulate.LayerImplicitDeny))
	}
	list := launcher("an allow-list SCP at the OU that includes EC2", docSCPEval)
	list.SCP[1].Policies = pols(scpPol("p-allowlist", "AllowEC2AndS3", doc(`{"Sid": "AllowList", "Effect": "Allow", "Action": ["ec2:*", "s3:*"], "Resource": "*"}`)))
	add("scp-allow-list-includes-action", list.allowed())
	two := launcher("at one level, one SCP allowing is enough", docSCPEval)
	two.SCP[2].Policies = pols(allowS3OnlySCP(), scpPol("p-allowec2", "AllowEC2", doc(`{"Sid": "EC2", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"}`)))
	add("scp-two-policies-one-allows", two.allowed())

	regionAllow := func(desc, resource string) *Case {
		c := launcher(desc, docSCPSyntax, docSCPEval).call("ec2:RunInstances", resource)
		c.SCP[1].Policies = pols(allowS3OnlySCP(), scpPol("p-ec2region", "AllowEC2InUSEast1", doc(
			`{"Sid": "EC2InUSEast1", "Effect": "Allow", "Action": "ec2:*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}`)))
		return c
	}
	add("scp-allow-with-condition-match", regionAllow("SCPs support conditions in Allow statements: us-east-1 is allowed", instance).allowed())
	add("scp-allow-with-condition-mismatch", regionAllow("SCPs support conditions in Allow statements: eu-west-1 is not allowed at the OU",
		"arn:aws:ec2:eu-west-1:"+acct+":instance/*").implicit(idAt(lSCP, ouID)))
	na := launcher("SCPs support NotAction in Allow statements: everything but EC2", docSCPSyntax)
	na.SCP[1].Policies = pols(scpPol("p-notec2", "AllButEC2", doc(`{"Sid": "AllButEC2", "Effect": "Allow", "NotAction": "ec2:*", "Resource": "*"}`)))
	add("scp-allow-notaction-excludes", na.implicit(idAt(lSCP, ouID)))

	multi := launcher("Deny at the root and at the account: both are blockers, root first", docSCPEval)
	multi.SCP[0].Policies = append(multi.SCP[0].Policies, denyEC2SCP())
	multi.SCP[2].Policies = append(multi.SCP[2].Policies, scpPol("p-denyrun", "DenyRunInstances", doc(
		`{"Sid": "NoLaunch", "Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*"}`)))
	add("scp-deny-at-two-levels", multi.explicit(
		xdAt(lSCP, scpARN("p-denyec2"), "NoEC2", rootID), xdAt(lSCP, scpARN("p-denyrun"), "NoLaunch", acct)))
	mixed := launcher("an SCP Deny at the OU and no SCP allow at the account: the explicit deny comes first", docSCPEval)
	mixed.SCP[1].Policies = append(mixed.SCP[1].Policies, denyEC2SCP())
	mixed.SCP[2].Policies = pols(allowS3OnlySCP())
	add("scp-deny-and-missing-allow", mixed.explicit(xdAt(lSCP, scpARN("p-denyec2"), "NoEC2", ouID), idAt(lSCP, acct)))

	nested := launcher("nested OUs: the Deny is attached to the child OU", docSCPEval)
	nested.SCP = []Level{
		{Target: rootID, Type: "ROOT", Name: "Root", Policies: pols(fullAWSAccess())},
		{Target: "ou-ab12-parent", Type: "ORGANIZATIONAL_UNIT", Name: "Parent", Policies: pols(fullAWSAccess())},
		{Target: "ou-ab12-child", Type: "ORGANIZATIONAL_UNIT", Name: "Child", Policies: pols(fullAWSAccess(), denyEC2SCP())},
		{Target: acct, Type: "ACCOUNT", Policies: pols(fullAWSAccess())},
	}
	add("scp-nested-ou-deny", nested.explicit(xdAt(lSCP, scpARN("p-denyec2"), "NoEC2", "ou-ab12-child")))

	// Exemptions.
	mg := &Case{Case: corpus.Case{
		Description: "SCPs do not affect users or roles in the management account",
		Doc:         []string{docSCPs},
		Request:     Request{Principal: "arn:aws:sts::" + mgmt + ":assumed-role/AppRole/jane", Action: "ec2:RunInstances", Resource: "arn:aws:ec2:us-east-1:" + mgmt + ":instance/*"},
		Principal:   &Principal{IAMARN: "arn:aws:iam::" + mgmt + ":role/AppRole", Account: mgmt, Type: "AssumedRole", SessionName: "jane"},
		Org:         &Org{ID: orgID, ManagementAccount: mgmt},
		SCP: []Level{
			{Target: rootID, Type: "ROOT", Name: "Root", Policies: pols(fullAWSAccess(), denyEC2SCP())},
			{Target: mgmt, Type: "ACCOUNT", Policies: pols(fullAWSAccess())},
		},
		Identity: []Pol{{Name: "Launch", ARN: "arn:aws:iam::" + mgmt + ":policy/Launch", Origin: "role/AppRole",
			Document: raw(doc(`{"Sid": "Grant", "Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}`))}},
	}}
	add("scp-management-account-exempt", mg.allowed().layer(lSCP, simulate.LayerExempt))
	mgRoot := &Case{Case: corpus.Case{
		Description: "the management account's root user is not restricted by SCPs",
		Doc:         []string{docSCPs, docRoot},
		Request:     Request{Principal: "arn:aws:iam::" + mgmt + ":root", Action: "ec2:RunInstances", Resource: "arn:aws:ec2:us-east-1:" + mgmt + ":instance/*"},
		Principal:   &Principal{IAMARN: "arn:aws:iam::" + mgmt + ":root", Account: mgmt, Type: "Account"},
		Org:         mg.Org,
		SCP:         mg.SCP,
	}}
	add("scp-management-account-root-user", mgRoot.allowed().layer(lSCP, simulate.LayerExempt))
	slr := &Case{Case: corpus.Case{
		Description: "SCPs do not restrict service-linked roles",
		Doc:         []string{docSCPs, docSLR},
		Request: Request{Principal: "arn:aws:sts::" + acct + ":assumed-role/AWSServiceRoleForAutoScaling/AutoScaling",
			Action: "ec2:RunInstances", Resource: instance},
		Principal: &Principal{IAMARN: "arn:aws:iam::" + acct + ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
			Account: acct, Type: "AssumedRole", ServiceLinked: true, SessionName: "AutoScaling"},
		Identity: []Pol{{Name: "AutoScalingServiceRolePolicy", ARN: "arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy", AWSManaged: true,
			Origin: "role/AWSServiceRoleForAutoScaling", Document: raw(doc(`{"Sid": "EC2InstanceManagement", "Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:TerminateInstances"], "Resource": "*"}`))}},
	}}
	slr.inOrg()
	slr.SCP[1].Policies = append(slr.SCP[1].Policies, denyEC2SCP())
	add("scp-service-linked-role-exempt", slr.allowed().layer(lSCP, simulate.LayerExempt))

	memberRoot := func(desc string) *Case {
		c := &Case{Case: corpus.Case{Description: desc, Doc: []string{docSCPs, docRoot, docDenyAllow},
			Request:   Request{Principal: "arn:aws:iam::" + acct + ":root", Action: "ec2:RunInstances", Resource: instance},
			Principal: &Principal{IAMARN: "arn:aws:iam::" + acct + ":root", Account: acct, Type: "Account"}}}
		return c.inOrg()
	}
	mr := memberRoot("SCPs restrict the root user of a member account")
	mr.SCP[1].Policies = append(mr.SCP[1].Policies, denyEC2SCP())
	add("scp-member-root-user-denied", mr.explicit(xdAt(lSCP, scpARN("p-denyec2"), "NoEC2", ouID)))
	add("scp-member-root-user-allowed", memberRoot("the root user needs no identity policy in its own account").allowed())
	add("standalone-account-no-scp", launcher("an account outside any organization: no SCP applies", docSCPs).allowed())

	// Conditions in SCP denies.
	exc := func(desc, principal, role string) *Case {
		c := launcher(desc, docSCPExamples, docGlobalKeys)
		c.Request.Principal, c.Principal.IAMARN = principal, role
		c.SCP[1].Policies = append(c.SCP[1].Policies, scpPol("p-denyec2x", "DenyEC2ExceptDeployer", doc(
			`{"Sid": "NoEC2", "Effect": "Deny", "Action": "ec2:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalARN": ["`+roleARN+`"]}}}`)))
		return c
	}
	add("scp-deny-principalarn-exception", exc("an SCP Deny with an aws:PrincipalArn exception spares the listed role", sessARN, roleARN).
		allowed().inferred("aws:PrincipalArn", roleARN))
	add("scp-deny-principalarn-other-role", exc("an SCP Deny with an aws:PrincipalArn exception still denies other roles",
		"arn:aws:sts::"+acct+":assumed-role/Other/bob", "arn:aws:iam::"+acct+":role/Other").
		explicit(xdAt(lSCP, scpARN("p-denyec2x"), "NoEC2", ouID)))
	sso := launcher("an SCP exception by ArnNotLike on the IAM Identity Center role path", docSCPExamples, docGlobalKeys)
	ssoRole := "AWSReservedSSO_AdministratorAccess_0123456789abcdef"
	sso.Request.Principal = "arn:aws:sts::" + acct + ":assumed-role/" + ssoRole + "/jane@example.com"
	sso.Principal.IAMARN = "arn:aws:iam::" + acct + ":role/aws-reserved/sso.amazonaws.com/" + ssoRole
	sso.SCP[0].Policies = append(sso.SCP[0].Policies, scpPol("p-denyec2sso", "DenyEC2ExceptAdmins", doc(
		`{"Sid": "NoEC2", "Effect": "Deny", "Action": "ec2:*", "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_*"}}}`)))
	add("scp-deny-sso-admin-exception", sso.allowed().inferred("aws:PrincipalArn", sso.Principal.IAMARN))

	region := func(desc, action, resource string) *Case {
		c := launcher(desc, docSCPExamples).call(action, resource)
		c.Identity = pols(allowStmt("Broad", `"Action": ["ec2:*", "iam:*"], "Resource": "*"`))
		c.SCP[0].Policies = append(c.SCP[0].Policies, scpPol("p-regions", "DenyOtherRegions", doc(
			`{"Sid": "DenyAllOutsideRequestedRegions", "Effect": "Deny", "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*"], "Resource": "*",
			  "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}`)))
		return c
	}
	add("scp-region-deny-outside", region("the region-restriction SCP denies EC2 in ap-south-1 (region from the resource ARN)",
		"ec2:RunInstances", "arn:aws:ec2:ap-south-1:"+acct+":instance/*").
		explicit(xdAt(lSCP, scpARN("p-regions"), "DenyAllOutsideRequestedRegions", rootID)).inferred("aws:RequestedRegion", "ap-south-1"))
	add("scp-region-deny-allowed-region", region("the region-restriction SCP allows EC2 in eu-west-1",
		"ec2:RunInstances", "arn:aws:ec2:eu-west-1:"+acct+":instance/*").allowed())
	add("scp-region-deny-global-service", region("the region-restriction SCP exempts IAM through NotAction",
		"iam:CreateRole", "arn:aws:iam::"+acct+":role/new-role").allowed())

	itype := func(desc string) *Case {
		c := launcher(desc, docSCPExamples, docEC2Keys)
		c.SCP[1].Policies = append(c.SCP[1].Policies, scpPol("p-t3only", "OnlyT3", doc(
			`{"Sid": "OnlyT3", "Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "arn:aws:ec2:*:*:instance/*", "Condition": {"StringNotLike": {"ec2:InstanceType": "t3.*"}}}`)))
		return c
	}
	add("scp-deny-instance-type-allowed", itype("an SCP limiting instance types: t3.micro passes").ctx("ec2:InstanceType", "t3.micro").allowed())
	add("scp-deny-instance-type-denied", itype("an SCP limiting instance types: p4d.24xlarge is denied").ctx("ec2:InstanceType", "p4d.24xlarge").
		explicit(xdAt(lSCP, scpARN("p-t3only"), "OnlyT3", ouID)))
	add("scp-deny-instance-type-missing", itype("an SCP limiting instance types: without ec2:InstanceType the negated condition is true").
		explicit(xdAt(lSCP, scpARN("p-t3only"), "OnlyT3", ouID)).missing("ec2:InstanceType"))

	// SCPs grant nothing; several blockers.
	add("scp-does-not-grant", launcher("SCPs grant nothing: FullAWSAccess without an identity allow is an implicit deny", docSCPs, docSCPEval).
		call("s3:GetObject", object).implicit(id(lIdentity)))
	both := launcher("an SCP Deny and a missing identity allow: both listed, the explicit deny first", docSCPEval, docDenyAllow)
	both.Identity = pols(allowStmt("S3Only", `"Action": "s3:GetObject", "Resource": "*"`))
	both.SCP[1].Policies = append(both.SCP[1].Policies, denyEC2SCP())
	add("scp-deny-and-identity-missing", both.explicit(xdAt(lSCP, scpARN("p-denyec2"), "NoEC2", ouID), id(lIdentity)))
	twoX := launcher("an SCP Deny and an identity Deny: both listed in AWS's evaluation order", docDenyAllow)
	twoX.Identity = pols(managed("Launch", doc(`{"Sid": "Grant", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"}`,
		`{"Sid": "NoRun", "Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*"}`)))
	twoX.SCP[2].Policies = append(twoX.SCP[2].Policies, denyEC2SCP())
	add("scp-deny-and-identity-deny", twoX.explicit(xdAt(lSCP, scpARN("p-denyec2"), "NoEC2", acct), xd(lIdentity, managedARN("Launch"), "NoRun")))

	// Unreadable SCPs.
	unread := func(desc string) *Case {
		c := roleSession(desc, docSCPs, docOrgsAccess).call("ec2:RunInstances", instance)
		c.Org = &Org{ID: orgID, ManagementAccount: mgmt}
		c.SCPUnreadable = "AccessDeniedException"
		return c
	}
	add("scp-unreadable-identity-allows", unread("SCPs unreadable and every readable layer allows: inconclusive, SCPs suspected").
		identity(allowStmt("Launch", `"Action": "ec2:RunInstances", "Resource": "*"`)).
		deny(simulate.Inconclusive).layer(lSCP, simulate.LayerUnknown).suspects(lSCP))
	add("scp-unreadable-identity-deny", unread("SCPs unreadable but an identity Deny applies: explicit deny all the same").
		identity(managed("NoRun", doc(allowAllStmt, `{"Sid": "NoRun", "Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*"}`))).
		explicit(xd(lIdentity, managedARN("NoRun"), "NoRun")))
	add("scp-unreadable-identity-missing", unread("SCPs unreadable and no identity allow: the missing allow explains the deny").
		identity(allowStmt("S3Only", `"Action": "s3:GetObject", "Resource": "*"`)).implicit(id(lIdentity)))
}

func (c *Case) suspects(layers ...string) *Case { c.Expect.Suspects = strs(layers...); return c }

// RCP cases: an S3 bucket (or KMS key, role) in the member account.

const perimeter = `{"Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*", "Action": ["s3:*", "kms:*", "sts:AssumeRole"], "Resource": "*",
  "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "` + orgID + `"}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}`

func perimeterRCP() Pol { return rcpPol("p-perimeter", "DataPerimeter", doc(perimeter)) }

// external is a caller from another organization reading the member
// account's bucket, which the bucket policy allows.
func external(desc string, docs ...string) *Case {
	c := &Case{Case: corpus.Case{
		Description: desc, Doc: docs,
		Request:   Request{Principal: "arn:aws:sts::" + other + ":assumed-role/Partner/etl", Action: "s3:GetObject", Resource: object},
		Principal: &Principal{IAMARN: "arn:aws:iam::" + other + ":role/Partner", Account: other, Type: "AssumedRole", OrgID: "o-zz9988xx77"},
		Org:       &Org{ID: orgID, ManagementAccount: mgmt},
		Identity: []Pol{{Name: "PartnerRead", ARN: "arn:aws:iam::" + other + ":policy/PartnerRead", Origin: "role/Partner",
			Document: raw(doc(`{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}`))}},
		ResourcePolicy: &Pol{Name: "example-bucket", ARN: bucket, Origin: "s3 bucket policy", Document: raw(doc(
			`{"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::` + other + `:role/Partner"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/*"}`))},
		ResourceAccount: acct,
		RCP:             defaultRCPs(),
	}}
	return c
}

func rcpCases(add adder) {
	ext := external("an RCP data perimeter denies a principal from another organization although the bucket policy allows it", docRCPs, docRCPSyntax)
	ext.RCP[1].Policies = append(ext.RCP[1].Policies, perimeterRCP())
	add("rcp-deny-external-principal", ext.explicit(xdAt(lRCP, rcpARN("p-perimeter"), "EnforceOrgIdentities", ouID)).layer(lRCP, simulate.LayerExplicitDeny))
	add("rcp-external-without-custom-rcp", external("RCPFullAWSAccess alone: the external principal is allowed by bucket and identity policies", docRCPs, docCrossAcct).
		allowed().layer(lRCP, simulate.LayerAllow))
	extNoOrg := external("an RCP data perimeter: a caller from an account outside the organization has no aws:PrincipalOrgID of ours", docRCPs, docGlobalKeys)
	extNoOrg.Principal.OrgID = ""
	extNoOrg.RCP[2].Policies = append(extNoOrg.RCP[2].Policies, perimeterRCP())
	add("rcp-deny-external-no-org-info", extNoOrg.explicit(xdAt(lRCP, rcpARN("p-perimeter"), "EnforceOrgIdentities", acct)))

	inside := roleSession("an RCP data perimeter lets a principal of the organization through (aws:PrincipalOrgID inferred)", docRCPs, docGlobalKeys).
		inOrg().call("s3:GetObject", object).identity(allowStmt("Read", `"Action": "s3:GetObject", "Resource": "*"`))
	inside.RCP = defaultRCPs()
	inside.RCP[1].Policies = append(inside.RCP[1].Policies, perimeterRCP())
	inside.ResourceAccount = acct
	add("rcp-perimeter-org-principal", inside.allowed().inferred("aws:PrincipalOrgID", orgID))

	same := func(desc string, docs ...string) *Case {
		c := roleSession(desc, docs...).inOrg().call("s3:DeleteBucket", bucket).
			identity(allowStmt("S3Admin", `"Action": "s3:*", "Resource": "*"`))
		c.RCP = defaultRCPs()
		c.ResourceAccount = acct
		return c
	}
	noDel := same("an RCP applies to principals of the same account too", docRCPs, docRCPEval)
	noDel.RCP[2].Policies = append(noDel.RCP[2].Policies, rcpPol("p-nodelete", "ProtectBuckets", doc(
		`{"Sid": "NoBucketDeletion", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "*"}`)))
	add("rcp-deny-same-account-principal", noDel.explicit(xdAt(lRCP, rcpARN("p-nodelete"), "NoBucketDeletion", acct)))
	tls := same("an RCP requiring TLS denies a plain-HTTP request", docRCPs).call("s3:GetObject", object).ctx("aws:SecureTransport", "false")
	tls.RCP[0].Policies = append(tls.RCP[0].Policies, rcpPol("p-tls", "EnforceTLS", doc(
		`{"Sid": "EnforceSecureTransport", "Effect": "Deny", "Principal": "*", "Action": ["s3:*", "sqs:*", "kms:*", "secretsmanager:*", "sts:*"], "Resource": "*", "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}`)))
	add("rcp-deny-insecure-transport", tls.explicit(xdAt(lRCP, rcpARN("p-tls"), "EnforceSecureTransport", rootID)))

	unsupported := roleSession("RCPs apply only to the services that support them: EC2 is not one", docRCPs).
		inOrg().call("ec2:RunInstances", instance).identity(allowStmt("Launch", `"Action": "ec2:RunInstances", "Resource": "*"`))
	unsupported.RCP = defaultRCPs()
	unsupported.RCP[1].Policies = append(unsupported.RCP[1].Policies, rcpPol("p-denyall", "DenyEverything", doc(
		`{"Sid": "DenyAll", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}`)))
	add("rcp-unsupported-service-exempt", unsupported.allowed().layer(lRCP, simulate.LayerExempt))

	mgRes := &Case{Case: corpus.Case{
		Description: "RCPs do not affect resources in the management account",
		Doc:         []string{docRCPs},
		Request:     Request{Principal: "arn:aws:sts::" + mgmt + ":assumed-role/AppRole/jane", Action: "s3:GetObject", Resource: "arn:aws:s3:::mgmt-bucket/x.csv"},
		Principal:   &Principal{IAMARN: "arn:aws:iam::" + mgmt + ":role/AppRole", Account: mgmt, Type: "AssumedRole", SessionName: "jane"},
		Org:         &Org{ID: orgID, ManagementAccount: mgmt},
		SCP: []Level{{Target: rootID, Type: "ROOT", Name: "Root", Policies: pols(fullAWSAccess())},
			{Target: mgmt, Type: "ACCOUNT", Policies: pols(fullAWSAccess())}},
		RCP: []Level{{Target: rootID, Type: "ROOT", Name: "Root", Policies: pols(rcpFullAWSAccess(), rcpPol("p-denyall", "DenyEverything", doc(
			`{"Sid": "DenyAll", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}`)))},
			{Target: mgmt, Type: "ACCOUNT", Policies: pols(rcpFullAWSAccess())}},
		Identity: []Pol{{Name: "Read", ARN: "arn:aws:iam::" + mgmt + ":policy/Read", Origin: "role/AppRole",
			Document: raw(doc(`{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}`))}},
		ResourceAccount: mgmt,
	}}
	add("rcp-management-account-resource-exempt", mgRes.allowed().layer(lRCP, simulate.LayerExempt))

	slr := &Case{Case: corpus.Case{
		Description: "RCPs do not restrict service-linked roles",
		Doc:         []string{docRCPs, docSLR},
		Request: Request{Principal: "arn:aws:sts::" + acct + ":assumed-role/AWSServiceRoleForAutoScaling/AutoScaling",
			Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:" + acct + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		Principal: &Principal{IAMARN: "arn:aws:iam::" + acct + ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
			Account: acct, Type: "AssumedRole", ServiceLinked: true, SessionName: "AutoScaling"},
		ResourcePolicy: &Pol{Name: "key/1234abcd-12ab-34cd-56ef-1234567890ab", ARN: "arn:aws:kms:us-east-1:" + acct + ":key/1234abcd-12ab-34cd-56ef-1234567890ab",
			Origin: "kms key policy", Document: raw(doc(
				`{"Sid": "AllowAutoScaling", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::` + acct + `:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"}, "Action": "kms:Decrypt", "Resource": "*"}`))},
		ResourceAccount: acct,
	}}
	slr.inOrg()
	slr.RCP = defaultRCPs()
	slr.RCP[1].Policies = append(slr.RCP[1].Policies, rcpPol("p-nokms", "DenyKMS", doc(
		`{"Sid": "NoKMS", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}`)))
	add("rcp-service-linked-role-exempt", slr.allowed().layer(lRCP, simulate.LayerExempt))

	ru := same("RCPs unreadable and every readable layer allows: inconclusive, RCPs suspected", docRCPs).call("s3:GetObject", object)
	ru.RCP = nil
	ru.RCPUnreadable = "AccessDeniedException"
	add("rcp-unreadable", ru.deny(simulate.Inconclusive).layer(lRCP, simulate.LayerUnknown).suspects(lRCP))

	kms := external("the KMS data perimeter RCP denies a principal of another organization", docKMSRCP, docRCPs).
		call("kms:Decrypt", "arn:aws:kms:us-east-1:"+acct+":key/1234abcd-12ab-34cd-56ef-1234567890ab")
	kms.Identity[0].Document = raw(doc(`{"Sid": "Decrypt", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}`))
	kms.ResourcePolicy = &Pol{Name: "key/1234abcd-12ab-34cd-56ef-1234567890ab", ARN: "arn:aws:kms:us-east-1:" + acct + ":key/1234abcd-12ab-34cd-56ef-1234567890ab",
		Origin: "kms key policy", Document: raw(doc(`{"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::` + other + `:root"}, "Action": "kms:Decrypt", "Resource": "*"}`))}
	kms.RCP[0].Policies = append(kms.RCP[0].Policies, rcpPol("p-kmsperimeter", "KMSPerimeter", doc(
		`{"Sid": "RCPEnforceIdentityPerimeter", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
		  "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "`+orgID+`"}, "Bool": {"aws:PrincipalIsAWSService": "false"}}}`)))
	kms.ctx("aws:PrincipalIsAWSService", "false")
	add("rcp-kms-perimeter-external", kms.explicit(xdAt(lRCP, rcpARN("p-kmsperimeter"), "RCPEnforceIdentityPerimeter", rootID)))

	sts := external("an RCP on sts:AssumeRole denies a role trust that lets another organization in", docRCPs, docAssumeRole).
		call("sts:AssumeRole", "arn:aws:iam::"+acct+":role/CrossAccountReader")
	sts.Identity[0].Document = raw(doc(`{"Sid": "Assume", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}`))
	sts.ResourcePolicy = &Pol{Name: "CrossAccountReader", ARN: "arn:aws:iam::" + acct + ":role/CrossAccountReader", Origin: "role trust policy",
		Document: raw(doc(`{"Sid": "TrustPartner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::` + other + `:root"}, "Action": "sts:AssumeRole"}`))}
	sts.RCP[1].Policies = append(sts.RCP[1].Policies, perimeterRCP())
	add("rcp-sts-assumerole-external", sts.explicit(xdAt(lRCP, rcpARN("p-perimeter"), "EnforceOrgIdentities", ouID)))

	rs := same("an RCP Deny and an SCP Deny: both listed, RCP first as in AWS's evaluation order", docDenyAllow, docRCPEval)
	rs.RCP[1].Policies = append(rs.RCP[1].Policies, rcpPol("p-nodelete", "ProtectBuckets", doc(
		`{"Sid": "NoBucketDeletion", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "*"}`)))
	rs.SCP[1].Policies = append(rs.SCP[1].Policies, scpPol("p-nodelete", "NoBucketDeletion", doc(
		`{"Sid": "NoDeleteBucket", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}`)))
	add("rcp-and-scp-both-deny", rs.explicit(xdAt(lRCP, rcpARN("p-nodelete"), "NoBucketDeletion", ouID), xdAt(lSCP, scpARN("p-nodelete"), "NoDeleteBucket", ouID)))
}
