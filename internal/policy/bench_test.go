package policy

import (
	"os"
	"path/filepath"
	"testing"
)

// benchPolicy is a realistic 10-statement identity policy: most statements
// fail on the action, as in real policies, two have conditions.
const benchPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReadLogs", "Effect": "Allow", "Action": ["logs:Describe*", "logs:Get*", "logs:FilterLogEvents"], "Resource": "arn:aws:logs:*:123456789012:log-group:/app/*"},
    {"Sid": "Dynamo", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"], "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"},
    {"Sid": "Queue", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:123456789012:orders-*"},
    {"Sid": "Secrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/*"},
    {"Sid": "KMS", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "arn:aws:kms:us-east-1:123456789012:key/*",
     "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}},
    {"Sid": "EC2Read", "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"},
    {"Sid": "Bucket", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::app-data/*", "arn:aws:s3:::app-logs/*"]},
    {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::app-data"},
    {"Sid": "NoDelete", "Effect": "Deny", "Action": ["s3:DeleteObject", "s3:DeleteBucket"], "Resource": "*"},
    {"Sid": "Region", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
     "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}
  ]
}`

func benchRequestS3() *Request {
	req := NewRequest(callerSession.ARN, "s3:GetObject", "arn:aws:s3:::app-data/orders/2026/11/26.json")
	req.Principal = callerSession
	req.Context.Set("aws:RequestedRegion", "us-east-1")
	req.Context.Set("aws:SecureTransport", "true")
	return req
}

func BenchmarkParse(b *testing.B) {
	data := []byte(benchPolicy)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseBucketPolicy(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "parse", "bucket-policy.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	doc := mustParse(b, benchPolicy)
	req := benchRequestS3()
	b.ReportAllocs()
	for b.Loop() {
		if ev := Evaluate(doc, req, IdentityBased); ev.Decision != Allowed {
			b.Fatalf("decision %v", ev.Decision)
		}
	}
}

func BenchmarkDecide(b *testing.B) {
	doc := mustParse(b, benchPolicy)
	req := benchRequestS3()
	b.ReportAllocs()
	for b.Loop() {
		if d := Decide(doc, req, IdentityBased); d != Allowed {
			b.Fatalf("decision %v", d)
		}
	}
}

// BenchmarkDecideNoMatch is the common case across layers: a policy that
// does not mention the action at all.
func BenchmarkDecideNoMatch(b *testing.B) {
	doc := mustParse(b, benchPolicy)
	req := benchRequestS3()
	req.Action = "iam:PassRole"
	req.Resource = "arn:aws:iam::123456789012:role/x"
	b.ReportAllocs()
	for b.Loop() {
		if d := Decide(doc, req, IdentityBased); d != NotApplicable {
			b.Fatalf("decision %v", d)
		}
	}
}

func BenchmarkMatchARN(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if !MatchARN("arn:aws:logs:*:123456789012:log-group:/app/*", "arn:aws:logs:us-east-1:123456789012:log-group:/app/api:log-stream:x") {
			b.Fatal("no match")
		}
	}
}

// TestDecideDoesNotAllocate guards the zero-allocation fast path.
func TestDecideDoesNotAllocate(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation count")
	}
	doc := mustParse(t, benchPolicy)
	req := benchRequestS3()
	for _, action := range []string{"s3:GetObject", "s3:DeleteObject", "iam:PassRole", "ec2:RunInstances"} {
		req.Action = action
		if n := testing.AllocsPerRun(100, func() { Decide(doc, req, IdentityBased) }); n != 0 {
			t.Errorf("Decide(%s) allocates %v times per call, want 0", action, n)
		}
	}
}
