package cases

// Policy variables and the Version element.

// allowGetOn lets the caller read objects matching resource; version is the
// document's Version ("" for none).
func allowGetOn(version, resource string) Pol {
	v := ""
	if version != "" {
		v = `"Version": "` + version + `", `
	}
	return managed("HomeFolder", `{`+v+`"Statement": [{"Sid": "Home", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "`+resource+`"}]}`)
}

func variableCases(add adder) {
	home := "arn:aws:s3:::example-bucket/home/${aws:username}/*"
	add("var-username-own-folder", iamUser("${aws:username} in Resource: alice reads her own folder", docVariables).
		call(get, "arn:aws:s3:::example-bucket/home/alice/notes.txt").ctx("aws:username", "alice").
		identity(allowGetOn("2012-10-17", home)).allowed())
	add("var-username-other-folder", iamUser("${aws:username} in Resource: alice cannot read bob's folder", docVariables).
		call(get, "arn:aws:s3:::example-bucket/home/bob/notes.txt").ctx("aws:username", "alice").
		identity(allowGetOn("2012-10-17", home)).implicit(id(lIdentity)))
	add("var-username-absent-for-role", roleSession("a role session has no aws:username: a variable without a value matches nothing", docVariables).
		call(get, "arn:aws:s3:::example-bucket/home/jane/notes.txt").
		identity(allowGetOn("2012-10-17", home)).implicit(id(lIdentity)))
	add("var-version-2008-literal", iamUser("Version 2008-10-17 does not support policy variables: ${aws:username} is literal text", docVersion, docVariables).
		call(get, "arn:aws:s3:::example-bucket/home/alice/notes.txt").ctx("aws:username", "alice").
		identity(allowGetOn("2008-10-17", home)).implicit(id(lIdentity)))
	add("var-no-version-literal", iamUser("without a Version element AWS uses 2008-10-17: ${aws:username} is literal text", docVersion, docVariables).
		call(get, "arn:aws:s3:::example-bucket/home/alice/notes.txt").ctx("aws:username", "alice").
		identity(allowGetOn("", home)).implicit(id(lIdentity)))
	add("var-version-2008-matches-literal-text", iamUser("Version 2008-10-17: the literal text ${aws:username} in a key matches", docVersion).
		call(get, "arn:aws:s3:::example-bucket/home/${aws:username}/notes.txt").ctx("aws:username", "alice").
		identity(allowGetOn("2008-10-17", home)).allowed())

	team := roleSession("${aws:PrincipalTag/team} in Resource, the tag coming from the role", docVariables, docTags).
		call(get, "arn:aws:s3:::example-bucket/platform/runbook.md").
		identity(allowGetOn("2012-10-17", "arn:aws:s3:::example-bucket/${aws:PrincipalTag/team}/*")).allowed()
	team.Principal.Tags = map[string]string{"team": "platform"}
	add("var-principaltag-resource", team.inferred("aws:PrincipalTag/team", "platform"))

	abac := func(desc, resTeam string) *Case {
		c := roleSession(desc, docVariables, docTags).call(get, object).ctx("aws:ResourceTag/team", resTeam).
			identity(managed("ABAC", doc(`{"Sid": "SameTeam", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
				"Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}`)))
		c.Principal.Tags = map[string]string{"team": "platform"}
		return c
	}
	add("var-principaltag-condition-match", abac("ABAC: the resource's team tag equals the principal's", "platform").allowed())
	add("var-principaltag-condition-mismatch", abac("ABAC: the resource belongs to another team", "payments").
		implicit(idCond(lIdentity, "aws:ResourceTag/team")))

	// "Policy variables with no value": the doc's own example, a Deny
	// with StringNotEquals s3:ExistingObjectTag/Team
	// ${aws:PrincipalTag/Team}, "Access is explicitly denied when
	// aws:principaltag/Team is not set"; and a NotResource pattern with
	// such a variable "will not match any resource", so it excludes
	// nothing.
	noTeam := func(desc string) *Case {
		return roleSession(desc, docVariablesNoValue).call(get, object).ctx("s3:ExistingObjectTag/Team", "platform").
			identity(managed("TeamObjects", doc(`{"Sid": "All", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}`,
				`{"Sid": "OtherTeams", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/*",
				"Condition": {"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}}`)))
	}
	add("var-no-value-negated-operator-matches", noTeam("a variable with no value: StringNotEquals matches the null value, the Deny applies").
		explicit(xd(lIdentity, managedARN("TeamObjects"), "OtherTeams")))
	sameTeam := noTeam("the variable has a value: StringNotEquals compares with it")
	sameTeam.Principal.Tags = map[string]string{"Team": "platform"}
	add("var-no-value-negated-operator-resolved", sameTeam.allowed())
	add("var-no-value-notresource-excludes-nothing", roleSession("a variable with no value in NotResource matches no resource, so it excludes nothing", docVariablesNoValue).
		call(get, "arn:aws:s3:::example-bucket/home/jane/notes.txt").
		identity(managed("AllButHome", doc(`{"Sid": "AllButHome", "Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::example-bucket/home/${aws:username}/*"}`))).
		allowed())

	add("var-literal-star", roleSession("${*} is a literal *, not a wildcard", docVariables).
		call(get, "arn:aws:s3:::example-bucket/file*name").
		identity(allowGetOn("2012-10-17", "arn:aws:s3:::example-bucket/file${*}name")).allowed())
	add("var-literal-star-not-wildcard", roleSession("${*} does not match other characters", docVariables).
		call(get, "arn:aws:s3:::example-bucket/fileXname").
		identity(allowGetOn("2012-10-17", "arn:aws:s3:::example-bucket/file${*}name")).implicit(id(lIdentity)))
	add("var-literal-question", roleSession("${?} is a literal ?", docVariables).
		call(get, "arn:aws:s3:::example-bucket/report-?").
		identity(allowGetOn("2012-10-17", "arn:aws:s3:::example-bucket/report-${?}")).allowed())
	add("var-literal-question-not-wildcard", roleSession("${?} does not match any single character", docVariables).
		call(get, "arn:aws:s3:::example-bucket/report-a").
		identity(allowGetOn("2012-10-17", "arn:aws:s3:::example-bucket/report-${?}")).implicit(id(lIdentity)))
	add("var-literal-dollar", roleSession("${$} is a literal $", docVariables).
		call(get, "arn:aws:s3:::example-bucket/price$list").
		identity(allowGetOn("2012-10-17", "arn:aws:s3:::example-bucket/price${$}list")).allowed())

	add("var-default-value-used", roleSession("a variable's default value is used when the key is absent", docVariables).
		call(get, "arn:aws:s3:::example-bucket/shared/handbook.pdf").
		identity(allowGetOn("2012-10-17", "arn:aws:s3:::example-bucket/${aws:PrincipalTag/team, 'shared'}/*")).allowed())
	withTag := roleSession("the default value is not used when the key has a value", docVariables).
		call(get, "arn:aws:s3:::example-bucket/shared/handbook.pdf").
		identity(allowGetOn("2012-10-17", "arn:aws:s3:::example-bucket/${aws:PrincipalTag/team, 'shared'}/*")).implicit(id(lIdentity))
	withTag.Principal.Tags = map[string]string{"team": "platform"}
	add("var-default-value-not-used", withTag)

	prefix := func(desc, p string) *Case {
		return iamUser(desc, docVariables).call("s3:ListBucket", bucket).ctx("aws:username", "alice", "s3:prefix", p).
			identity(managed("ListHome", doc(`{"Sid": "ListHome", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "`+bucket+`",
				"Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}}}`)))
	}
	add("var-in-condition-value-match", prefix("${aws:username} inside a StringLike condition value", "home/alice/docs/").allowed())
	add("var-in-condition-value-mismatch", prefix("${aws:username} inside a StringLike condition value: another prefix", "home/bob/").
		implicit(idCond(lIdentity, "s3:prefix")))
	// "You can use a policy variable in the Resource element, but only in
	// the resource portion of the ARN. This portion of the ARN appears
	// after the fifth colon (:). You can't use a variable to replace parts
	// of the ARN before the fifth colon, such as the service or account."
	// Before the fifth colon "${aws:PrincipalAccount}" is literal text and
	// matches no account.
	add("var-principalaccount-in-arn", roleSession("${aws:PrincipalAccount} in the account segment of a Resource ARN is literal text", docVariablesResource, docGlobalKeys).
		call("sqs:SendMessage", "arn:aws:sqs:us-east-1:"+acct+":orders").
		identity(managed("OwnQueues", doc(`{"Sid": "OwnQueues", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:*:${aws:PrincipalAccount}:*"}`))).
		implicit(id(lIdentity)))
	add("var-principalaccount-in-resource-part", roleSession("${aws:PrincipalAccount} after the fifth colon of a Resource ARN is substituted", docVariablesResource, docGlobalKeys).
		call("sqs:SendMessage", "arn:aws:sqs:us-east-1:"+acct+":orders-"+acct).
		identity(managed("OwnQueues", doc(`{"Sid": "OwnQueues", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:*:*:orders-${aws:PrincipalAccount}"}`))).
		allowed().inferred("aws:PrincipalAccount", acct))
	add("var-in-region-segment-literal", iamUser("${aws:RequestedRegion} in the region segment of a Resource ARN is literal text", docVariablesResource).
		call("sqs:SendMessage", "arn:aws:sqs:us-east-1:"+acct+":orders").ctx("aws:RequestedRegion", "us-east-1").
		identity(managed("RegionQueues", doc(`{"Sid": "RegionQueues", "Effect": "Deny", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:${aws:RequestedRegion}:*:*"}`,
			`{"Sid": "All", "Effect": "Allow", "Action": "sqs:*", "Resource": "*"}`))).
		allowed())
}
