package cases

// The condition operator matrix. Each case isolates one operator in a
// standalone account: either an identity policy that allows only under the
// condition (allowIf) or one that allows everything and denies under the
// condition (denyIf).

const allowAllStmt = `{"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"}`

// allowIf: the role may call action on resource only when cond holds.
func allowIf(desc, action, resource, cond string, docs ...string) *Case {
	return roleSession(desc, docs...).call(action, resource).identity(managed("Scoped", doc(
		`{"Sid": "Scoped", "Effect": "Allow", "Action": "`+action+`", "Resource": "*", "Condition": `+cond+`}`)))
}

// denyIf: the role may do anything, except action when cond holds.
func denyIf(desc, action, resource, cond string, docs ...string) *Case {
	return roleSession(desc, docs...).call(action, resource).identity(managed("Guarded", doc(allowAllStmt,
		`{"Sid": "Guard", "Effect": "Deny", "Action": "`+action+`", "Resource": "*", "Condition": `+cond+`}`)))
}

// guardDenied is the blocker of a denyIf case whose condition holds.
func guardDenied() Blocker { return xd(lIdentity, managedARN("Guarded"), "Guard") }

const get = "s3:GetObject"

func conditionCases(add adder) {
	// String operators.
	add("cond-stringequals-match", allowIf("StringEquals matches an identical value",
		get, object, `{"StringEquals": {"aws:ResourceTag/project": "apollo"}}`, docCondOps).
		ctx("aws:ResourceTag/project", "apollo").allowed())
	add("cond-stringequals-case-sensitive-value", allowIf("StringEquals compares values case-sensitively: Apollo is not apollo",
		get, object, `{"StringEquals": {"aws:ResourceTag/project": "apollo"}}`, docCondOps).
		ctx("aws:ResourceTag/project", "Apollo").implicit(idCond(lIdentity, "aws:ResourceTag/project")))
	add("cond-stringequals-multiple-values-or", allowIf("several values of one key are ORed",
		get, object, `{"StringEquals": {"aws:ResourceTag/project": ["apollo", "gemini"]}}`, docMultiValue).
		ctx("aws:ResourceTag/project", "gemini").allowed())
	add("cond-stringequals-missing-key", allowIf("a key absent from the request does not match StringEquals; the key is reported missing",
		get, object, `{"StringEquals": {"aws:ResourceTag/project": "apollo"}}`, docCondOps).
		implicit(idCond(lIdentity, "aws:ResourceTag/project")).missing("aws:ResourceTag/project"))
	add("cond-stringnotequals-nor-deny", denyIf("StringNotEquals with several values is a NOR: a region in neither value is denied",
		get, object, `{"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}`, docMultiValue).
		ctx("aws:RequestedRegion", "ap-southeast-2").explicit(guardDenied()))
	add("cond-stringnotequals-listed-value", denyIf("StringNotEquals is false when the value is one of the listed ones",
		get, object, `{"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}`, docMultiValue).
		ctx("aws:RequestedRegion", "eu-west-1").allowed())
	add("cond-stringnotequals-missing-key", denyIf("a negated operator is true when the key is absent, so the Deny applies",
		get, object, `{"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}`, docCondOps).
		explicit(guardDenied()).missing("aws:RequestedRegion"))
	add("cond-stringequalsignorecase-match", allowIf("StringEqualsIgnoreCase matches APOLLO to Apollo",
		get, object, `{"StringEqualsIgnoreCase": {"aws:ResourceTag/project": "Apollo"}}`, docCondOps).
		ctx("aws:ResourceTag/project", "APOLLO").allowed())
	add("cond-stringequalsignorecase-different", allowIf("StringEqualsIgnoreCase still needs the same letters",
		get, object, `{"StringEqualsIgnoreCase": {"aws:ResourceTag/project": "Apollo"}}`, docCondOps).
		ctx("aws:ResourceTag/project", "Apollo-2").implicit(idCond(lIdentity, "aws:ResourceTag/project")))
	add("cond-stringnotequalsignorecase-same-letters", denyIf("StringNotEqualsIgnoreCase is false for PROD against prod",
		get, object, `{"StringNotEqualsIgnoreCase": {"aws:ResourceTag/env": "prod"}}`, docCondOps).
		ctx("aws:ResourceTag/env", "PROD").allowed())
	add("cond-stringnotequalsignorecase-other", denyIf("StringNotEqualsIgnoreCase is true for dev against prod",
		get, object, `{"StringNotEqualsIgnoreCase": {"aws:ResourceTag/env": "prod"}}`, docCondOps).
		ctx("aws:ResourceTag/env", "dev").explicit(guardDenied()))
	add("cond-stringlike-star", allowIf("StringLike * matches any run of characters",
		get, object, `{"StringLike": {"aws:userid": "AROAEXAMPLEID:*"}}`, docCondOps).
		ctx("aws:userid", "AROAEXAMPLEID:jane").allowed())
	add("cond-stringlike-question-mark", allowIf("StringLike ? matches exactly one character",
		get, object, `{"StringLike": {"aws:ResourceTag/project": "gemini-?"}}`, docCondOps).
		ctx("aws:ResourceTag/project", "gemini-7").allowed())
	add("cond-stringlike-question-mark-two-chars", allowIf("StringLike ? does not match two characters",
		get, object, `{"StringLike": {"aws:ResourceTag/project": "gemini-?"}}`, docCondOps).
		ctx("aws:ResourceTag/project", "gemini-12").implicit(idCond(lIdentity, "aws:ResourceTag/project")))
	add("cond-stringlike-case-sensitive", allowIf("StringLike is case-sensitive",
		get, object, `{"StringLike": {"aws:ResourceTag/project": "apo*"}}`, docCondOps).
		ctx("aws:ResourceTag/project", "Apollo").implicit(idCond(lIdentity, "aws:ResourceTag/project")))
	add("cond-stringlike-no-wildcard-is-exact", allowIf("StringLike without a wildcard needs the whole string: partial matches need *",
		get, object, `{"StringLike": {"aws:ResourceTag/project": "apollo"}}`, docCondOps).
		ctx("aws:ResourceTag/project", "apollo-2").implicit(idCond(lIdentity, "aws:ResourceTag/project")))
	add("cond-stringlike-multiple-patterns", allowIf("StringLike patterns of one key are ORed",
		get, object, `{"StringLike": {"aws:ResourceTag/env": ["dev-*", "test-*"]}}`, docMultiValue).
		ctx("aws:ResourceTag/env", "test-3").allowed())
	add("cond-stringnotlike-deny", denyIf("StringNotLike denies a caller whose user id does not fit the pattern",
		get, object, `{"StringNotLike": {"aws:userid": "AROAEXAMPLEID:*"}}`, docCondOps).
		ctx("aws:userid", "AIDAOTHERUSER").explicit(guardDenied()))
	add("cond-stringnotlike-missing-key", denyIf("StringNotLike is true when the key is absent",
		get, object, `{"StringNotLike": {"aws:ResourceTag/owner": "team-*"}}`, docCondOps).
		explicit(guardDenied()).missing("aws:ResourceTag/owner"))
	add("cond-stringequals-json-number-value", allowIf("a JSON number as a condition value compares as its text",
		"s3:ListBucket", bucket, `{"StringEquals": {"s3:max-keys": 10}}`, docCondition).
		ctx("s3:max-keys", "10").allowed())
	add("cond-multiple-keys-and", allowIf("several keys under one operator are ANDed: env fails",
		get, object, `{"StringEquals": {"aws:ResourceTag/project": "apollo", "aws:ResourceTag/env": "prod"}}`, docMultiValue).
		ctx("aws:ResourceTag/project", "apollo", "aws:ResourceTag/env", "dev").implicit(idCond(lIdentity, "aws:ResourceTag/env")))
	add("cond-multiple-keys-all-match", allowIf("several keys under one operator, all matching",
		get, object, `{"StringEquals": {"aws:ResourceTag/project": "apollo", "aws:ResourceTag/env": "prod"}}`, docMultiValue).
		ctx("aws:ResourceTag/project", "apollo", "aws:ResourceTag/env", "prod").allowed())
	add("cond-multiple-operators-and", allowIf("several operators are ANDed: the source IP fails",
		get, object, `{"StringEquals": {"aws:ResourceTag/project": "apollo"}, "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}`, docMultiValue).
		ctx("aws:ResourceTag/project", "apollo", "aws:SourceIp", "198.51.100.7").implicit(idCond(lIdentity, "aws:SourceIp")))
	add("cond-key-name-case-insensitive", allowIf("condition key names are case-insensitive: aws:requestedregion is aws:RequestedRegion",
		get, object, `{"StringEquals": {"aws:requestedregion": "eu-west-1"}}`, docCondition).
		ctx("aws:RequestedRegion", "eu-west-1").allowed())

	// Numeric operators.
	add("cond-numericequals-match", allowIf("NumericEquals matches the same number",
		"s3:ListBucket", bucket, `{"NumericEquals": {"s3:max-keys": "10"}}`, docCondOps).
		ctx("s3:max-keys", "10").allowed())
	add("cond-numericequals-decimal", allowIf("numeric operators compare values as numbers: 10.0 equals 10",
		"s3:ListBucket", bucket, `{"NumericEquals": {"s3:max-keys": "10"}}`, docCondOps).
		ctx("s3:max-keys", "10.0").allowed())
	add("cond-numericnotequals-deny", denyIf("NumericNotEquals denies another number",
		"s3:ListBucket", bucket, `{"NumericNotEquals": {"s3:max-keys": "10"}}`, docCondOps).
		ctx("s3:max-keys", "20").explicit(guardDenied()))
	add("cond-numericlessthan-match", allowIf("NumericLessThan: MFA 20 minutes ago is within the hour",
		get, object, `{"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}`, docCondOps, docMFA).
		ctx("aws:MultiFactorAuthAge", "1200").allowed())
	add("cond-numericlessthan-equal-fails", allowIf("NumericLessThan is strict: 3600 is not less than 3600",
		get, object, `{"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}`, docCondOps).
		ctx("aws:MultiFactorAuthAge", "3600").implicit(idCond(lIdentity, "aws:MultiFactorAuthAge")))
	add("cond-numericlessthanequals-equal", allowIf("NumericLessThanEquals accepts the bound itself",
		get, object, `{"NumericLessThanEquals": {"aws:MultiFactorAuthAge": "3600"}}`, docCondOps).
		ctx("aws:MultiFactorAuthAge", "3600").allowed())
	add("cond-numericgreaterthan-deny", denyIf("NumericGreaterThan denies an MFA older than an hour",
		get, object, `{"NumericGreaterThan": {"aws:MultiFactorAuthAge": "3600"}}`, docCondOps, docMFA).
		ctx("aws:MultiFactorAuthAge", "7200").explicit(guardDenied()))
	add("cond-numericgreaterthanequals-below", denyIf("NumericGreaterThanEquals is false below the bound",
		get, object, `{"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": "3600"}}`, docCondOps).
		ctx("aws:MultiFactorAuthAge", "100").allowed())
	add("cond-numeric-missing-key", allowIf("without MFA the request has no aws:MultiFactorAuthAge, so NumericLessThan is false",
		get, object, `{"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}`, docGlobalKeys, docCondOps).
		implicit(idCond(lIdentity, "aws:MultiFactorAuthAge")).missing("aws:MultiFactorAuthAge"))
	add("cond-numeric-json-number-policy-value", allowIf("a JSON number as a numeric condition value",
		"s3:ListBucket", bucket, `{"NumericLessThanEquals": {"s3:max-keys": 100}}`, docCondOps).
		ctx("s3:max-keys", "50").allowed())

	// Date operators.
	add("cond-datelessthan-iso", allowIf("DateLessThan with ISO 8601 dates",
		get, object, `{"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}`, docCondOps).
		ctx("aws:CurrentTime", "2026-11-26T10:00:00Z").allowed())
	add("cond-dategreaterthan-iso-fails", allowIf("DateGreaterThan is false before the date",
		get, object, `{"DateGreaterThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}`, docCondOps).
		ctx("aws:CurrentTime", "2026-11-26T10:00:00Z").implicit(idCond(lIdentity, "aws:CurrentTime")))
	add("cond-dateequals-epoch", allowIf("DateEquals with epoch (UNIX) times",
		get, object, `{"DateEquals": {"aws:EpochTime": "1795687200"}}`, docCondOps).
		ctx("aws:EpochTime", "1795687200").allowed())
	add("cond-datelessthan-epoch-policy-iso-request", allowIf("a date may be written as epoch time in the policy and compared with an ISO 8601 request value",
		get, object, `{"DateLessThan": {"aws:CurrentTime": "1798761600"}}`, docCondOps).
		ctx("aws:CurrentTime", "2026-11-26T10:00:00Z").allowed())
	add("cond-datenotequals-same-instant-other-offset", denyIf("dates compare as instants: 12:00+02:00 is 10:00Z, so DateNotEquals is false",
		get, object, `{"DateNotEquals": {"aws:CurrentTime": "2026-11-26T10:00:00Z"}}`, docCondOps).
		ctx("aws:CurrentTime", "2026-11-26T12:00:00+02:00").allowed())
	add("cond-datelessthanequals-same-instant", allowIf("DateLessThanEquals accepts the same instant written as epoch",
		get, object, `{"DateLessThanEquals": {"aws:CurrentTime": "1795687200"}}`, docCondOps).
		ctx("aws:CurrentTime", "2026-11-26T10:00:00Z").allowed())
	add("cond-dategreaterthanequals-after", allowIf("DateGreaterThanEquals after the date",
		get, object, `{"DateGreaterThanEquals": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}`, docCondOps).
		ctx("aws:CurrentTime", "2026-11-26T10:00:00Z").allowed())
	add("cond-date-tokenissuetime-revoked", denyIf("revoking older sessions: a token issued before the cut-off is denied",
		"*", object, `{"DateLessThan": {"aws:TokenIssueTime": "2026-11-26T09:00:00Z"}}`, docRevoke, docCondOps).
		call(get, object).ctx("aws:TokenIssueTime", "2026-11-26T08:30:00Z").explicit(guardDenied()))
	add("cond-date-tokenissuetime-newer", denyIf("revoking older sessions: a token issued after the cut-off is not denied",
		"*", object, `{"DateLessThan": {"aws:TokenIssueTime": "2026-11-26T09:00:00Z"}}`, docRevoke, docCondOps).
		call(get, object).ctx("aws:TokenIssueTime", "2026-11-26T09:30:00Z").allowed())
	c := allowIf("aws:CurrentTime comes from the time of the request when the engine is given it",
		get, object, `{"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}`, docGlobalKeys, docCondOps).allowed()
	c.Now = "2026-11-26T10:00:00Z"
	c.inferred("aws:CurrentTime")
	add("cond-date-currenttime-inferred", c)
	add("cond-date-currenttime-unknown", allowIf("without the request time, aws:CurrentTime is missing and the date condition fails",
		get, object, `{"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}`, docCondOps).
		implicit(idCond(lIdentity, "aws:CurrentTime")).missing("aws:CurrentTime"))

	// Bool.
	add("cond-bool-securetransport-false-denied", denyIf("the bucket-policy pattern: Bool aws:SecureTransport false denies plain HTTP",
		get, object, `{"Bool": {"aws:SecureTransport": "false"}}`, docCondOps, docGlobalKeys).
		ctx("aws:SecureTransport", "false").explicit(guardDenied()))
	add("cond-bool-securetransport-true", denyIf("Bool aws:SecureTransport false does not deny HTTPS requests",
		get, object, `{"Bool": {"aws:SecureTransport": "false"}}`, docCondOps).
		ctx("aws:SecureTransport", "true").allowed())
	add("cond-bool-missing-key", denyIf("Bool is false when the key is absent, so the Deny does not apply; the key is reported missing",
		get, object, `{"Bool": {"aws:SecureTransport": "false"}}`, docCondOps).
		allowed().missing("aws:SecureTransport"))
	add("cond-boolifexists-mfa-missing-denied", denyIf("BoolIfExists aws:MultiFactorAuthPresent false denies long-term credentials, which have no MFA key",
		get, object, `{"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}`, docCondOps, docMFA).
		explicit(guardDenied()))
	add("cond-boolifexists-mfa-true", denyIf("BoolIfExists aws:MultiFactorAuthPresent false does not deny an MFA session",
		get, object, `{"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}`, docCondOps).
		ctx("aws:MultiFactorAuthPresent", "true").allowed())
	add("cond-bool-json-boolean", allowIf("a JSON boolean as a Bool value",
		get, object, `{"Bool": {"aws:MultiFactorAuthPresent": true}}`, docCondOps).
		ctx("aws:MultiFactorAuthPresent", "true").allowed())
	add("cond-bool-mfa-missing-allow-fails", allowIf("Allow only with MFA: no MFA key, no allow",
		get, object, `{"Bool": {"aws:MultiFactorAuthPresent": "true"}}`, docCondOps, docMFA).
		implicit(idCond(lIdentity, "aws:MultiFactorAuthPresent")).missing("aws:MultiFactorAuthPresent"))

	// Binary.
	add("cond-binaryequals-match", allowIf("BinaryEquals compares base-64 encoded values",
		get, object, `{"BinaryEquals": {"aws:ResourceTag/fingerprint": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, docCondOps).
		ctx("aws:ResourceTag/fingerprint", "QmluYXJ5VmFsdWVJbkJhc2U2NA==").allowed())
	add("cond-binaryequals-mismatch", allowIf("BinaryEquals with different bytes",
		get, object, `{"BinaryEquals": {"aws:ResourceTag/fingerprint": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, docCondOps).
		ctx("aws:ResourceTag/fingerprint", "T3RoZXJWYWx1ZQ==").implicit(idCond(lIdentity, "aws:ResourceTag/fingerprint")))

	// IP addresses.
	add("cond-ipaddress-v4-match", allowIf("IpAddress matches an address inside the CIDR range",
		get, object, `{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}`, docCondOps).
		ctx("aws:SourceIp", "203.0.113.25").allowed())
	add("cond-ipaddress-v4-outside", allowIf("IpAddress does not match an address outside the range",
		get, object, `{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}`, docCondOps).
		ctx("aws:SourceIp", "198.51.100.7").implicit(idCond(lIdentity, "aws:SourceIp")))
	add("cond-notipaddress-deny", denyIf("NotIpAddress denies an address in none of the ranges",
		get, object, `{"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}}`, docCondOps, docMultiValue).
		ctx("aws:SourceIp", "198.51.100.7").explicit(guardDenied()))
	add("cond-notipaddress-inside", denyIf("NotIpAddress is false inside one of the ranges",
		get, object, `{"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}}`, docCondOps).
		ctx("aws:SourceIp", "192.0.2.9").allowed())
	add("cond-notipaddress-missing-key", denyIf("NotIpAddress is a negated operator: true when aws:SourceIp is absent",
		get, object, `{"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}`, docCondOps).
		explicit(guardDenied()).missing("aws:SourceIp"))
	add("cond-ipaddress-v6-match", allowIf("IpAddress with an IPv6 range, hex digits in any case",
		get, object, `{"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}`, docCondOps).
		ctx("aws:SourceIp", "2001:db8:1234:5678::abcd").allowed())
	add("cond-ipaddress-v6-outside", allowIf("IpAddress with an IPv6 address outside the /64",
		get, object, `{"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}`, docCondOps).
		ctx("aws:SourceIp", "2001:db8:1234:9999::1").implicit(idCond(lIdentity, "aws:SourceIp")))
	add("cond-ipaddress-mixed-v4-v6", allowIf("IPv4 and IPv6 ranges in one condition are ORed",
		get, object, `{"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}`, docCondOps).
		ctx("aws:SourceIp", "2001:db8:1234:5678::1").allowed())
	add("cond-ipaddress-v4-request-v6-range", allowIf("an IPv4 address is not in an IPv6 range",
		get, object, `{"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}`, docCondOps).
		ctx("aws:SourceIp", "203.0.113.25").implicit(idCond(lIdentity, "aws:SourceIp")))
	add("cond-ipaddress-single-host", allowIf("a /32 range matches exactly one address",
		get, object, `{"IpAddress": {"aws:SourceIp": "203.0.113.25/32"}}`, docCondOps).
		ctx("aws:SourceIp", "203.0.113.25").allowed())

	// ARN operators.
	const topic = "arn:aws:sns:us-east-1:" + acct + ":alerts"
	add("cond-arnequals-exact", allowIf("ArnEquals matches the same ARN",
		get, object, `{"ArnEquals": {"aws:SourceArn": "`+topic+`"}}`, docCondOps).
		ctx("aws:SourceArn", topic).allowed())
	add("cond-arnequals-wildcard", allowIf("ArnEquals, like ArnLike, accepts wildcards in each segment",
		get, object, `{"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:`+acct+`:*"}}`, docCondOps).
		ctx("aws:SourceArn", topic).allowed())
	add("cond-arnlike-region-wildcard", allowIf("ArnLike with * as the region segment",
		get, object, `{"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:`+acct+`:alerts"}}`, docCondOps).
		ctx("aws:SourceArn", "arn:aws:sns:eu-west-1:"+acct+":alerts").allowed())
	add("cond-arnlike-region-mismatch", allowIf("ArnLike compares segment by segment: the region differs",
		get, object, `{"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:`+acct+`:*"}}`, docCondOps).
		ctx("aws:SourceArn", "arn:aws:sns:eu-west-1:"+acct+":alerts").implicit(idCond(lIdentity, "aws:SourceArn")))
	add("cond-arnnotequals-deny", denyIf("ArnNotEquals denies another topic",
		get, object, `{"ArnNotEquals": {"aws:SourceArn": "`+topic+`"}}`, docCondOps).
		ctx("aws:SourceArn", "arn:aws:sns:us-east-1:"+acct+":other").explicit(guardDenied()))
	add("cond-arnnotlike-missing-key", denyIf("ArnNotLike is true when the key is absent",
		get, object, `{"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:`+acct+`:*"}}`, docCondOps).
		explicit(guardDenied()).missing("aws:SourceArn"))
	add("cond-arnlike-case-sensitive", allowIf("ArnLike is case-sensitive",
		get, object, `{"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:`+acct+`:Alerts"}}`, docCondOps).
		ctx("aws:SourceArn", topic).implicit(idCond(lIdentity, "aws:SourceArn")))
	add("cond-arnlike-resource-segment-spans-path", allowIf("a * in the resource segment spans the role path",
		get, object, `{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::`+acct+`:role/*"}}`, docCondOps).
		ctx("aws:PrincipalArn", "arn:aws:iam::"+acct+":role/teams/platform/Deployer").allowed())
	add("cond-arnlike-not-an-arn", allowIf("a request value that is not an ARN does not match ArnLike",
		get, object, `{"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"}}`, docCondOps).
		ctx("aws:SourceArn", "alerts").implicit(idCond(lIdentity, "aws:SourceArn")))

	// Null.
	add("cond-null-true-key-absent", allowIf("Null true holds when the key is absent (no temporary credentials)",
		get, object, `{"Null": {"aws:TokenIssueTime": "true"}}`, docCondOps).allowed())
	add("cond-null-true-key-present", allowIf("Null true fails when the key is present",
		get, object, `{"Null": {"aws:TokenIssueTime": "true"}}`, docCondOps).
		ctx("aws:TokenIssueTime", "2026-11-26T08:30:00Z").implicit(idCond(lIdentity, "aws:TokenIssueTime")))
	add("cond-null-require-tag-denied", denyIf("require a tag: Null aws:RequestTag/owner true denies a request without it",
		"ec2:CreateVolume", "arn:aws:ec2:us-east-1:"+acct+":volume/*", `{"Null": {"aws:RequestTag/owner": "true"}}`, docCondOps, docTags).
		explicit(guardDenied()))
	add("cond-null-require-tag-present", denyIf("require a tag: the request carries it",
		"ec2:CreateVolume", "arn:aws:ec2:us-east-1:"+acct+":volume/*", `{"Null": {"aws:RequestTag/owner": "true"}}`, docCondOps, docTags).
		ctx("aws:RequestTag/owner", "jane").allowed())
	add("cond-null-false-present", allowIf("Null false holds when the key is present",
		get, object, `{"Null": {"aws:ResourceTag/project": "false"}}`, docCondOps).
		ctx("aws:ResourceTag/project", "apollo").allowed())
	add("cond-null-false-absent", allowIf("Null false fails when the key is absent",
		get, object, `{"Null": {"aws:ResourceTag/project": "false"}}`, docCondOps).
		implicit(idCond(lIdentity, "aws:ResourceTag/project")))

	// ...IfExists.
	add("cond-stringequalsifexists-missing", allowIf("StringEqualsIfExists holds when the key is absent",
		"ec2:RunInstances", instance, `{"StringEqualsIfExists": {"ec2:InstanceType": ["t3.micro", "t3.small"]}}`, docCondOps).allowed())
	add("cond-stringequalsifexists-present-mismatch", allowIf("StringEqualsIfExists compares normally when the key is present",
		"ec2:RunInstances", instance, `{"StringEqualsIfExists": {"ec2:InstanceType": ["t3.micro", "t3.small"]}}`, docCondOps).
		ctx("ec2:InstanceType", "p4d.24xlarge").implicit(idCond(lIdentity, "ec2:InstanceType")))
	add("cond-stringnotequalsifexists-missing", denyIf("StringNotEqualsIfExists is true when the key is absent",
		get, object, `{"StringNotEqualsIfExists": {"aws:ResourceTag/env": "prod"}}`, docCondOps).
		explicit(guardDenied()))
	add("cond-stringnotequalsifexists-equal", denyIf("StringNotEqualsIfExists is false for the listed value",
		get, object, `{"StringNotEqualsIfExists": {"aws:ResourceTag/env": "prod"}}`, docCondOps).
		ctx("aws:ResourceTag/env", "prod").allowed())
	add("cond-numericlessthanifexists-missing", allowIf("NumericLessThanIfExists holds when the key is absent",
		get, object, `{"NumericLessThanIfExists": {"aws:MultiFactorAuthAge": "3600"}}`, docCondOps).allowed())
	add("cond-arnlikeifexists-present-mismatch", allowIf("ArnLikeIfExists with a present, different ARN",
		get, object, `{"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:sns:us-east-1:`+acct+`:*"}}`, docCondOps).
		ctx("aws:SourceArn", "arn:aws:sns:us-east-1:"+other+":alerts").implicit(idCond(lIdentity, "aws:SourceArn")))

	// Set operators on multivalued keys.
	const tag = "ec2:CreateTags"
	vol := "arn:aws:ec2:us-east-1:" + acct + ":volume/vol-0abc"
	add("cond-forallvalues-subset", allowIf("ForAllValues holds when every request value is in the set",
		tag, vol, `{"ForAllValues:StringEquals": {"aws:TagKeys": ["project", "env"]}}`, docSetOps).
		ctx("aws:TagKeys", "env").allowed())
	add("cond-forallvalues-extra-value", allowIf("ForAllValues fails when one request value is outside the set",
		tag, vol, `{"ForAllValues:StringEquals": {"aws:TagKeys": ["project", "env"]}}`, docSetOps).
		ctx("aws:TagKeys", "env", "aws:TagKeys", "owner").implicit(idCond(lIdentity, "aws:TagKeys")))
	add("cond-forallvalues-missing-key", allowIf("ForAllValues holds when the key is absent: an Allow with it can be too broad",
		tag, vol, `{"ForAllValues:StringEquals": {"aws:TagKeys": ["project", "env"]}}`, docSetOps, docMultiExample).allowed())
	add("cond-forallvalues-empty-list", allowIf("ForAllValues holds for an empty set of values",
		tag, vol, `{"ForAllValues:StringEquals": {"aws:TagKeys": ["project", "env"]}}`, docSetOps).
		ctxList("aws:TagKeys").allowed())
	add("cond-forallvalues-with-null-guard", allowIf("ForAllValues with Null false: the key must be present",
		tag, vol, `{"ForAllValues:StringEquals": {"aws:TagKeys": ["project", "env"]}, "Null": {"aws:TagKeys": "false"}}`, docMultiExample, docCondOps).
		implicit(idCond(lIdentity, "aws:TagKeys")))
	add("cond-foranyvalue-one-match", allowIf("ForAnyValue holds when one request value is in the set",
		tag, vol, `{"ForAnyValue:StringEquals": {"aws:TagKeys": ["project"]}}`, docSetOps).
		ctx("aws:TagKeys", "env", "aws:TagKeys", "project").allowed())
	add("cond-foranyvalue-none", allowIf("ForAnyValue fails when no request value is in the set",
		tag, vol, `{"ForAnyValue:StringEquals": {"aws:TagKeys": ["project"]}}`, docSetOps).
		ctx("aws:TagKeys", "env").implicit(idCond(lIdentity, "aws:TagKeys")))
	add("cond-foranyvalue-missing-key", allowIf("ForAnyValue fails when the key is absent",
		tag, vol, `{"ForAnyValue:StringEquals": {"aws:TagKeys": ["project"]}}`, docSetOps).
		implicit(idCond(lIdentity, "aws:TagKeys")).missing("aws:TagKeys"))
	add("cond-foranyvalue-empty-list", allowIf("ForAnyValue fails for an empty set of values",
		tag, vol, `{"ForAnyValue:StringEquals": {"aws:TagKeys": ["project"]}}`, docSetOps).
		ctxList("aws:TagKeys").implicit(idCond(lIdentity, "aws:TagKeys")))
	add("cond-forallvalues-stringnotlike-deny-match", denyIf("the documented Deny ForAllValues:StringNotLike key1*: key2:audit is denied",
		"iam:TagRole", roleARN, `{"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}`, docMultiExample).
		ctx("aws:TagKeys", "key2:audit").explicit(guardDenied()))
	add("cond-forallvalues-stringnotlike-deny-no-match", denyIf("the documented Deny ForAllValues:StringNotLike key1*: key1:hr and key1:personnel are not denied",
		"iam:TagRole", roleARN, `{"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}`, docMultiExample).
		ctx("aws:TagKeys", "key1:hr", "aws:TagKeys", "key1:personnel").allowed())
	add("cond-forallvalues-stringnotlike-deny-missing", denyIf("the documented Deny ForAllValues:StringNotLike key1*: no aws:TagKeys at all is denied",
		"iam:TagRole", roleARN, `{"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}`, docMultiExample).
		explicit(guardDenied()))
	add("cond-foranyvalue-stringlike", allowIf("ForAnyValue:StringLike with a wildcard",
		tag, vol, `{"ForAnyValue:StringLike": {"aws:TagKeys": "cost-*"}}`, docSetOps).
		ctx("aws:TagKeys", "owner", "aws:TagKeys", "cost-center").allowed())
	add("cond-foranyvalue-stringnotequals-deny", denyIf("ForAnyValue:StringNotEquals is true when one request value is outside the set",
		tag, vol, `{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["project", "env"]}}`, docMultiValue, docSetOps).
		ctx("aws:TagKeys", "project", "aws:TagKeys", "owner").explicit(guardDenied()))
	add("cond-foranyvalue-stringnotequals-all-listed", denyIf("ForAnyValue:StringNotEquals is false when every request value is in the set",
		tag, vol, `{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["project", "env"]}}`, docMultiValue, docSetOps).
		ctx("aws:TagKeys", "project", "aws:TagKeys", "env").allowed())
}
