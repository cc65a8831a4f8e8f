package cases

import (
	"github.com/iamdiag/iamdiag/internal/simulate"
	"github.com/iamdiag/iamdiag/internal/simulate/corpus"
)

// VPC endpoint policies: a resource-based policy with a Principal, attached
// to the endpoint, that must allow every request through it, whoever makes
// it and whatever the other policies grant; without one, AWS attaches the
// default policy, which allows everything; it "does not override or replace
// identity-based policies or resource-based policies"
// (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html).

const (
	docVPCEndpoint = "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html"
	lVPCEndpoint   = "vpc-endpoint-policy"
	vpceID         = "vpce-0a1b2c3d4e5f67890"
	vpceARN        = "arn:aws:ec2:us-east-1:" + acct + ":vpc-endpoint/" + vpceID
)

// vpcePol is the policy of endpoint vpceID.
func vpcePol(stmts ...string) *Pol {
	return &Pol{Name: vpceID, ARN: vpceARN, Origin: "VPC endpoint policy", Document: raw(doc(stmts...))}
}

func vpceCases(add adder) {
	read := allowStmt("Read", `"Action": "s3:GetObject", "Resource": "*"`)
	through := func(desc string, docs ...string) *Case {
		c := roleSession(desc, append([]string{docVPCEndpoint}, docs...)...).call("s3:GetObject", object).ctx("aws:SourceVpce", vpceID)
		c.ResourceAccount = acct
		return c
	}
	ourBuckets := `{"Sid": "OurBuckets", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::our-*", "arn:aws:s3:::our-*/*"]}`

	c := through("the default endpoint policy allows full access: the identity policy decides").identity(read)
	c.VPCEndpointPolicy = vpcePol(`{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}`)
	add("vpce-default-full-access", c.allowed().layer(lVPCEndpoint, simulate.LayerAllow))

	c = through("a Deny of the endpoint policy denies, whatever the identity policy allows", docDenyAllow).identity(read)
	c.VPCEndpointPolicy = vpcePol(`{"Sid": "All", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}`,
		`{"Sid": "OnlyOurBuckets", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "NotResource": ["arn:aws:s3:::our-*", "arn:aws:s3:::our-*/*"]}`)
	add("vpce-explicit-deny", c.explicit(xd(lVPCEndpoint, vpceARN, "OnlyOurBuckets")).layer(lVPCEndpoint, simulate.LayerExplicitDeny))

	c = through("an endpoint policy that allows only other buckets: no statement allows, an implicit deny though the identity policy allows").identity(read)
	c.VPCEndpointPolicy = vpcePol(ourBuckets)
	add("vpce-implicit-deny", c.implicit(Blocker{Layer: lVPCEndpoint, Kind: simulate.BlockerImplicitDeny.String(), Policy: str(vpceARN)}).
		layer(lVPCEndpoint, simulate.LayerImplicitDeny))

	c = through("the endpoint policy allows only a named role (aws:PrincipalArn): another principal is denied through it").identity(read)
	c.VPCEndpointPolicy = vpcePol(`{"Sid": "OnlyAdmin", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::` + acct + `:role/Admin"}}}`)
	add("vpce-principal-condition", c.implicit(Blocker{Layer: lVPCEndpoint, Kind: simulate.BlockerImplicitDeny.String(), Policy: str(vpceARN),
		Statement: str("OnlyAdmin"), Conditions: strs("aws:PrincipalArn")}))

	c = through("the endpoint policy cannot grant: it allows, but no identity policy does", docDenyAllow)
	c.VPCEndpointPolicy = vpcePol(`{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}`)
	add("vpce-does-not-grant", c.implicit(idNone(lIdentity)).layer(lVPCEndpoint, simulate.LayerAllow))

	c = through("the endpoint policy applies to a cross-account grant by a bucket policy too", docCrossAcct).identity(read)
	c.Request.Resource = "arn:aws:s3:::partner-bucket/data.csv"
	c.ResourceAccount = other
	c.ResourcePolicy = bucketGrant("partner-bucket", "arn:aws:s3:::partner-bucket", `{"AWS": "`+roleARN+`"}`, "s3:GetObject")
	c.VPCEndpointPolicy = vpcePol(ourBuckets)
	add("vpce-cross-account-implicit-deny", c.implicit(Blocker{Layer: lVPCEndpoint, Kind: simulate.BlockerImplicitDeny.String(), Policy: str(vpceARN)}))

	c = roleSession("the request did not go through an endpoint (no aws:SourceVpce, no endpoint policy): the layer does not apply", docVPCEndpoint).
		call("s3:GetObject", object).identity(read)
	c.ResourceAccount = acct
	add("vpce-not-through-endpoint", c.allowed().layer(lVPCEndpoint, simulate.LayerNotApplicable))

	c = through("the request went through an endpoint whose policy could not be read: inconclusive, the endpoint policy is the suspect").identity(read)
	c.VPCEndpointUnreadable = "NotCaptured"
	add("vpce-unknown-policy", c.deny(simulate.Inconclusive).suspects(lVPCEndpoint).layer(lVPCEndpoint, simulate.LayerUnknown))

	c = through("an unreadable endpoint policy does not hide an identity policy's Deny", docDenyAllow).
		identity(managed("NoS3", doc(`{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}`,
			`{"Sid": "NoS3", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}`)))
	c.VPCEndpointUnreadable = "NotCaptured"
	add("vpce-unknown-policy-identity-deny", c.explicit(xd(lIdentity, managedARN("NoS3"), "NoS3")))

	anon := &Case{}
	anon.Description = "an anonymous request through the endpoint: a Principal \"*\" statement of the endpoint policy covers it, and the bucket policy grants it"
	anon.Doc = []string{docVPCEndpoint, docPrincipal}
	anon.Request = Request{Principal: "anonymous"}
	anon.Principal = &Principal{Type: "Anonymous", UserID: "anonymous"}
	anon.call("s3:GetObject", "arn:aws:s3:::example-bucket/site/index.html").ctx("aws:SourceVpce", vpceID)
	anon.ResourcePolicy = &Pol{Name: "example-bucket", ARN: bucket, Origin: "s3 bucket policy", Document: raw(doc(
		`{"Sid": "ThroughEndpoint", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/site/*", "Condition": {"StringEquals": {"aws:SourceVpce": "` + vpceID + `"}}}`))}
	anon.VPCEndpointPolicy = vpcePol(`{"Sid": "Site", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/site/*"}`)
	anon.S3PublicAccess = &corpus.PublicAccess{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	add("vpce-anonymous-allowed", anon.allowed().layer(lVPCEndpoint, simulate.LayerAllow))
}
