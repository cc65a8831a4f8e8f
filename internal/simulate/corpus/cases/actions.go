package cases

import (
	"github.com/iamdiag/iamdiag/internal/simulate"
	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

// Action, NotAction, Resource and NotResource matching, and Principal
// matching in resource-based policies.

// allowStmt is an identity policy with one Allow statement of the given
// action and resource elements (JSON fragments).
func allowStmt(name, elements string) Pol {
	return managed(name, doc(`{"Sid": "Grant", "Effect": "Allow", `+elements+`}`))
}

func actionResourceCases(add adder) {
	run := func(desc, actionElem string, docs ...string) *Case {
		return roleSession(desc, docs...).call("ec2:RunInstances", instance).
			identity(allowStmt("Launch", actionElem+`, "Resource": "*"`))
	}
	add("action-case-insensitive", run("action names are case-insensitive: EC2:runinstances", `"Action": "EC2:runinstances"`, docAction).allowed())
	add("action-wildcard-suffix", run("ec2:Run* matches ec2:RunInstances", `"Action": "ec2:Run*"`, docAction).allowed())
	add("action-wildcard-prefix", run("a wildcard may start the action name: ec2:*Instances", `"Action": "ec2:*Instances"`, docAction).allowed())
	add("action-question-mark", run("? matches one character of an action name", `"Action": "ec2:RunInstance?"`, docAction).allowed())
	add("action-star-all", run(`"Action": "*" matches every action of every service`, `"Action": "*"`, docAction).allowed())
	add("action-list-or", run("the actions of a list are ORed", `"Action": ["ec2:DescribeInstances", "ec2:RunInstances"]`, docAction).allowed())
	add("action-wildcard-no-match", run("ec2:Describe* does not cover ec2:RunInstances", `"Action": "ec2:Describe*"`, docAction).implicit(id(lIdentity)))
	add("action-other-service-prefix", roleSession("ec2:* does not cover ecs:RunTask: the service prefix must match", docAction).
		call("ecs:RunTask", "arn:aws:ecs:us-east-1:"+acct+":task-definition/web:3").
		identity(allowStmt("EC2Only", `"Action": "ec2:*", "Resource": "*"`)).implicit(id(lIdentity)))
	add("notaction-allow-other-service", run("Allow with NotAction iam:* allows EC2", `"NotAction": "iam:*"`, docNotAction).allowed())
	add("notaction-allow-excluded-action", roleSession("Allow with NotAction iam:* does not allow IAM", docNotAction).
		call("iam:CreateUser", "arn:aws:iam::"+acct+":user/bob").
		identity(allowStmt("AllButIAM", `"NotAction": "iam:*", "Resource": "*"`)).implicit(id(lIdentity)))

	regionDeny := func(desc, action, resource string) *Case {
		return roleSession(desc, docNotAction, docSCPExamples).call(action, resource).identity(managed("RegionGuard", doc(allowAllStmt,
			`{"Sid": "DenyOtherRegions", "Effect": "Deny", "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*"], "Resource": "*",
			  "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}`)))
	}
	add("notaction-deny-applies", regionDeny("Deny with NotAction: EC2 in ap-south-1 is outside the allowed regions",
		"ec2:RunInstances", "arn:aws:ec2:ap-south-1:"+acct+":instance/*").
		explicit(xd(lIdentity, managedARN("RegionGuard"), "DenyOtherRegions")))
	add("notaction-deny-excluded-action", regionDeny("Deny with NotAction does not deny the excluded global services",
		"iam:CreateRole", "arn:aws:iam::"+acct+":role/new-role").allowed())

	get := func(desc, resElem, resource string, docs ...string) *Case {
		return roleSession(desc, docs...).call("s3:GetObject", resource).
			identity(allowStmt("Read", `"Action": "s3:GetObject", `+resElem))
	}
	add("resource-object-wildcard", get("bucket/* covers every object, across slashes",
		`"Resource": "arn:aws:s3:::example-bucket/*"`, object, docResource, docS3Bucket).allowed())
	add("resource-bucket-arn-not-objects", get("the bucket ARN does not cover its objects",
		`"Resource": "arn:aws:s3:::example-bucket"`, object, docResource, docS3Bucket).implicit(id(lIdentity)))
	add("resource-objects-not-bucket", roleSession("bucket/* does not cover the bucket itself", docResource, docS3Bucket).
		call("s3:ListBucket", bucket).identity(allowStmt("List", `"Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example-bucket/*"`)).
		implicit(id(lIdentity)))
	add("resource-case-sensitive", get("resource ARNs are case-sensitive",
		`"Resource": "arn:aws:s3:::Example-Bucket/*"`, object, docResource, docARNs).implicit(id(lIdentity)))
	add("resource-question-mark", get("? in a resource matches one character",
		`"Resource": "arn:aws:s3:::example-bucket/reports/202?.csv"`, object, docResource).allowed())
	add("resource-list-or", get("the resources of a list are ORed",
		`"Resource": ["arn:aws:s3:::other-bucket/*", "arn:aws:s3:::example-bucket/*"]`, object, docResource).allowed())
	add("resource-star", get(`"Resource": "*" matches every resource`, `"Resource": "*"`, object, docResource).allowed())
	add("resource-partition-mismatch", get("arn:aws-cn is another partition than arn:aws",
		`"Resource": "arn:aws-cn:s3:::example-bucket/*"`, object, docARNs, docPartitions).implicit(id(lIdentity)))
	add("resource-partition-wildcard", get("a wildcard may stand for the partition segment",
		`"Resource": "arn:*:s3:::example-bucket/*"`, object, docResource, docARNs).allowed())

	ec2 := func(desc, resElem, resource string) *Case {
		return roleSession(desc, docResource).call("ec2:RunInstances", resource).
			identity(allowStmt("Launch", `"Action": "ec2:RunInstances", `+resElem))
	}
	add("resource-region-wildcard", ec2("* as the region segment of an EC2 ARN",
		`"Resource": "arn:aws:ec2:*:`+acct+`:instance/*"`, instance).allowed())
	add("resource-account-mismatch", ec2("an ARN of another account does not match",
		`"Resource": "arn:aws:ec2:us-east-1:`+other+`:instance/*"`, instance).implicit(id(lIdentity)))
	add("resource-region-mismatch", ec2("an ARN of another region does not match",
		`"Resource": "arn:aws:ec2:us-west-2:`+acct+`:instance/*"`, instance).implicit(id(lIdentity)))
	add("resource-colons-in-resource-part", roleSession("the resource part of a CloudWatch Logs ARN contains colons", docResource, docARNs).
		call("logs:PutLogEvents", "arn:aws:logs:us-east-1:"+acct+":log-group:/app/web:log-stream:i-0abc").
		identity(allowStmt("Logs", `"Action": "logs:PutLogEvents", "Resource": "arn:aws:logs:us-east-1:`+acct+`:log-group:/app/web:*"`)).allowed())

	gov := &Case{Case: corpus.Case{
		Description: "an AWS GovCloud (US) principal and resource: arn:aws-us-gov on both sides",
		Doc:         []string{docGovCloudARNs, docARNs},
		Request:     Request{Principal: "arn:aws-us-gov:sts::" + acct + ":assumed-role/AppRole/jane", Action: "s3:GetObject", Resource: "arn:aws-us-gov:s3:::example-bucket/data.csv"},
		Principal:   &Principal{IAMARN: "arn:aws-us-gov:iam::" + acct + ":role/AppRole", Account: acct, Type: "AssumedRole", SessionName: "jane"},
		Identity: []Pol{{Name: "GovRead", ARN: "arn:aws-us-gov:iam::" + acct + ":policy/GovRead", Origin: "role/AppRole",
			Document: raw(doc(`{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws-us-gov:s3:::example-bucket/*"}`))}},
	}}
	add("resource-govcloud-partition", gov.allowed())

	nr := func(desc, resource string) *Case {
		return roleSession(desc, docNotResource).call("s3:GetObject", resource).
			identity(allowStmt("AllButSecrets", `"Action": "s3:*", "NotResource": ["arn:aws:s3:::secret-bucket", "arn:aws:s3:::secret-bucket/*"]`))
	}
	add("notresource-allow-other-resource", nr("Allow with NotResource allows a resource outside the list", object).allowed())
	add("notresource-allow-excluded-resource", nr("Allow with NotResource does not allow the listed resource", "arn:aws:s3:::secret-bucket/keys.txt").implicit(id(lIdentity)))
	nrd := func(desc, resource string) *Case {
		return roleSession(desc, docNotResource).call("s3:GetObject", resource).identity(managed("OnlyExample", doc(allowAllStmt,
			`{"Sid": "DenyOtherBuckets", "Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/*"]}`)))
	}
	add("notresource-deny-outside", nrd("Deny with NotResource denies every other bucket", "arn:aws:s3:::other-bucket/x.csv").
		explicit(xd(lIdentity, managedARN("OnlyExample"), "DenyOtherBuckets")))
	add("notresource-deny-inside", nrd("Deny with NotResource leaves the listed bucket alone", object).allowed())

	add("statement-without-sid", roleSession("a statement without Sid is named by its 1-based position", docTroubleshoot, docPolicies).
		call("s3:DeleteObject", object).identity(managed("NoSids", doc(
		`{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}`,
		`{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}`))).
		explicit(xd(lIdentity, managedARN("NoSids"), "#2")))
	add("statement-single-object", roleSession("Statement may be a single object instead of a list", docPolicies, docResource).
		call(get2, object).identity(managed("Single", `{"Version": "2012-10-17", "Statement": {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}`)).
		allowed())
}

const get2 = "s3:GetObject"

func principalCases(add adder) {
	// Same-account bucket policies granting the role's session with no
	// identity policy at all.
	bucketPolicy := func(principal string) *Pol {
		return &Pol{Name: "example-bucket", ARN: bucket, Origin: "s3 bucket policy", Document: raw(doc(
			`{"Sid": "Grant", "Effect": "Allow", "Principal": ` + principal + `, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/*"}`))}
	}
	same := func(desc, principal string, docs ...string) *Case {
		c := roleSession(desc, docs...).call("s3:GetObject", object)
		c.ResourcePolicy = bucketPolicy(principal)
		c.ResourceAccount = acct
		return c
	}
	add("principal-role-arn-matches-session", same("a role ARN as Principal covers the role's sessions", `{"AWS": "`+roleARN+`"}`, docPrincipal, docSingleAcct).
		allowed().layer(lResource, simulate.LayerAllow))
	add("principal-session-arn", same("an assumed-role session ARN as Principal", `{"AWS": "`+sessARN+`"}`, docPrincipal).allowed())
	add("principal-other-session", same("another session of the same role does not match a session principal",
		`{"AWS": "arn:aws:sts::`+acct+`:assumed-role/AppRole/bob"}`, docPrincipal, docSingleAcct).implicit(idNone(lIdentity)))
	add("principal-wildcard", same(`"Principal": "*" is everyone`, `"*"`, docPrincipal).allowed())
	add("principal-aws-wildcard", same(`"Principal": {"AWS": "*"} is every AWS principal`, `{"AWS": "*"}`, docPrincipal).allowed())
	add("principal-list-or", same("the principals of a list are ORed", `{"AWS": ["arn:aws:iam::`+acct+`:role/Other", "`+roleARN+`"]}`, docPrincipal).allowed())
	add("principal-service-not-role", same("a service principal does not match a role session", `{"Service": "sns.amazonaws.com"}`, docPrincipal).
		implicit(idNone(lIdentity)))

	cross := func(desc, principal string, docs ...string) *Case {
		c := roleSession(desc, docs...).call("s3:GetObject", "arn:aws:s3:::partner-bucket/data.csv")
		c.ResourcePolicy = &Pol{Name: "partner-bucket", ARN: "arn:aws:s3:::partner-bucket", Origin: "s3 bucket policy", Document: raw(doc(
			`{"Sid": "Grant", "Effect": "Allow", "Principal": ` + principal + `, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::partner-bucket/*"}`))}
		c.ResourceAccount = other
		return c
	}
	readAll := allowStmt("ReadAll", `"Action": "s3:GetObject", "Resource": "*"`)
	add("principal-account-id", cross("cross-account: a 12-digit account id as Principal delegates to the account; its identity policy allows",
		`{"AWS": "`+acct+`"}`, docPrincipal, docCrossAcct).identity(readAll).allowed())
	add("principal-account-root-arn", cross("cross-account: the account root ARN as Principal delegates to the account",
		`{"AWS": "arn:aws:iam::`+acct+`:root"}`, docPrincipal, docCrossAcct).identity(readAll).allowed())
	add("principal-account-without-identity", cross("cross-account: delegation to the account still needs an identity policy",
		`{"AWS": "`+acct+`"}`, docPrincipal, docCrossAcct).implicit(idNone(lIdentity)))
	add("principal-wrong-account", cross("cross-account: the bucket trusts another account",
		`{"AWS": "arn:aws:iam::`+mgmt+`:root"}`, docPrincipal, docCrossAcct).identity(readAll).implicit(id(lResource)))

	// NotPrincipal with Deny.
	np := func(desc string, caller, callerRole string) *Case {
		c := &Case{Case: corpus.Case{Description: desc, Doc: []string{docNotPrincipal},
			Request:   Request{Principal: caller, Action: "s3:GetObject", Resource: object},
			Principal: &Principal{IAMARN: callerRole, Account: acct, Type: "AssumedRole"},
		}}
		c.identity(readAll)
		c.ResourcePolicy = &Pol{Name: "example-bucket", ARN: bucket, Origin: "s3 bucket policy", Document: raw(doc(
			`{"Sid": "OnlyAppRole", "Effect": "Deny", "NotPrincipal": {"AWS": ["` + sessARN + `", "` + roleARN + `", "arn:aws:iam::` + acct + `:root"]}, "Action": "s3:*", "Resource": ["` + bucket + `", "arn:aws:s3:::example-bucket/*"]}`))}
		c.ResourceAccount = acct
		return c
	}
	add("notprincipal-deny-excludes-listed", np("Deny with NotPrincipal listing the session, its role and its account (as AWS recommends) does not deny that session", sessARN, roleARN).allowed())
	add("notprincipal-deny-others", np("Deny with NotPrincipal denies every other principal",
		"arn:aws:sts::"+acct+":assumed-role/Other/bob", "arn:aws:iam::"+acct+":role/Other").
		explicit(xd(lResource, bucket, "OnlyAppRole")))
	q := np("Deny with NotPrincipal always denies a principal that has a permissions boundary, even a listed one", sessARN, roleARN)
	q.Doc = []string{docBoundaries, docNotPrincipal}
	q.Boundary = &Pol{Name: "S3Boundary", ARN: managedARN("S3Boundary"), Document: raw(doc(`{"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}`))}
	add("notprincipal-deny-with-boundary", q.explicit(xd(lResource, bucket, "OnlyAppRole")))
}
