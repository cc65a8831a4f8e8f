// Package fakeaws is a fake AWS endpoint for tests: one HTTP server on
// 127.0.0.1 that answers the IAM, STS, Organizations, S3, KMS and EC2 calls
// iamdiag makes, from an iamdiag-snapshot/v1, speaking each service's real
// wire protocol so that the real AWS SDK for Go v2 clients talk to it
// unchanged:
//
//   - IAM and STS: awsquery, a form-encoded POST answered with XML
//     (https://docs.aws.amazon.com/IAM/latest/APIReference/iam-api.pdf,
//     "Making query requests"); policy documents come URL-encoded, as AWS
//     sends them.
//   - Organizations and KMS: awsJson1_1, a JSON POST naming the operation in
//     X-Amz-Target.
//   - S3 GetBucketPolicy: restXml, GET /BUCKET?policy answered with the bare
//     policy document; PutObject, GetObject and HeadObject (path-style
//     /BUCKET/KEY) on objects kept in memory, every bucket existing, the
//     ETag the quoted MD5 of the content (Server.PutObject places one).
//   - EC2 DescribeVpcEndpoints: ec2 query, a form-encoded POST with
//     Version=2016-11-15 answered with unwrapped XML, the endpoints coming
//     from the snapshot's vpc_endpoints and found only in their region.
//
// Point a client at Server.URL through AWS_ENDPOINT_URL (every service) or
// config.WithBaseEndpoint / the client's BaseEndpoint option; give it any
// static credentials. The server checks that a request carries an
// Authorization header, as AWS does, but never verifies the signature.
//
// Options inject what a live account does to a client: latency, throttling
// that the SDK's retryer must absorb, AccessDenied on chosen operations,
// arbitrary errors (NoSuchEntity, ExpiredToken …), garbled bodies, small
// pages, and a SimulatePrincipalPolicy answer that disagrees with the local
// engine. Calls, Log and RoundTrips report what the client did.
//
// Org serves an organization of such accounts behind one URL: each request
// is answered by the account whose credentials signed it, sts:AssumeRole
// issues credentials of the role's account, and Organizations answers only
// the management account and delegated administrators.
//
// The package is test infrastructure: it serves only loopback addresses
// and never makes an outbound connection.
package fakeaws
