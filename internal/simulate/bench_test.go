package simulate

import (
	"testing"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// seedScenario is the incident's shape: a federated role session calling
// ec2:RunInstances in a member account of a 3-level organization with 4
// SCPs, 5 identity policies and a permissions boundary.
func seedScenario(b testing.TB) (*policy.Request, *policy.Layers) {
	regionDeny := `{"Version":"2012-10-17","Statement":[{"Sid":"DenyOtherRegions","Effect":"Deny","NotAction":["iam:*","sts:*","organizations:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","us-west-2"]},"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/BreakGlass"}}}]}`
	gpuDeny := `{"Version":"2012-10-17","Statement":[{"Sid":"NoGPU","Effect":"Deny","Action":"ec2:RunInstances","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringLike":{"ec2:InstanceType":["p4*","p5*"]}}}]}`
	l := base(b,
		allow("s3:GetObject", "arn:aws:s3:::app-*/*"),
		`{"Version":"2012-10-17","Statement":[{"Sid":"EC2","Effect":"Allow","Action":["ec2:RunInstances","ec2:Describe*","ec2:CreateTags"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"platform"}}}]}`,
		allow("logs:*", "*"),
		allow("cloudwatch:PutMetricData", "*"),
		deny("iam:*", "*"),
	)
	l.SCP = scpLevels(b, acct, map[string][]string{"r-root": {regionDeny}, "ou-work": {gpuDeny}}, map[string]bool{"r-root": true, "ou-work": true})
	l.SCP[2].Policies = append(l.SCP[2].Policies, orgPolicy(b, policy.LayerSCP, "AccountAllow", acct, allow("*", "*")))
	l.Boundary = boundary(b, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*","s3:*","logs:*","cloudwatch:*"],"Resource":"*"}]}`)
	l.Principal.Tags = map[string]string{"team": "platform"}
	l.Principal.UserID = "AROAEXAMPLE:jane"
	req := policy.NewRequest(sessARN, "ec2:RunInstances", "arn:aws:ec2:us-east-1:111111111111:instance/*")
	req.Context.Set("ec2:InstanceType", "t3.micro")
	return req, l
}

func TestSeedScenario(t *testing.T) {
	req, l := seedScenario(t)
	if d := Evaluate(req, l, Options{}).Decision; d != Allowed {
		t.Fatalf("Evaluate = %s, want allowed", d)
	}
	if d := Decide(req, l, Options{}); d != Allowed {
		t.Fatalf("Decide = %s, want allowed", d)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	req, l := seedScenario(b)
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(req, l, Options{})
	}
}

func BenchmarkDecide(b *testing.B) {
	req, l := seedScenario(b)
	b.ReportAllocs()
	for b.Loop() {
		Decide(req, l, Options{})
	}
}
