package policy

import "testing"

func benchRequest() *Request {
	r := NewRequest("arn:aws:sts::123456789012:assumed-role/Dev/alice", "ec2:RunInstances", "*")
	r.Context.Set("aws:RequestedRegion", "eu-west-1")
	r.Context.Set("aws:SourceIp", "203.0.113.7")
	r.Context.Set("ec2:InstanceType", "t3.micro")
	r.Context.Set("aws:TagKeys", "Owner", "Project", "CostCenter")
	r.Context.Set("aws:username", "alice")
	r.Context.Set("s3:prefix", "home/alice/docs/")
	return r
}

func benchCondition(b *testing.B, c Condition, want bool) {
	req := benchRequest()
	if got := matchCondition(&c, req, "2012-10-17"); got != want {
		b.Fatalf("%s: matchCondition = %v, want %v", c.Operator, got, want)
	}
	b.ReportAllocs()
	for b.Loop() {
		matchCondition(&c, req, "2012-10-17")
	}
}

func BenchmarkMatchConditionStringEquals(b *testing.B) {
	benchCondition(b, Condition{Operator: "StringNotEquals", Key: "aws:RequestedRegion", Values: []string{"us-east-1", "us-west-2", "eu-west-1"}}, false)
}

func BenchmarkMatchConditionStringLike(b *testing.B) {
	benchCondition(b, Condition{Operator: "StringLike", Key: "ec2:InstanceType", Values: []string{"t2.*", "m5.*", "t3.*"}}, true)
}

func BenchmarkMatchConditionStringLikeVariable(b *testing.B) {
	benchCondition(b, Condition{Operator: "StringLike", Key: "s3:prefix", Values: []string{"home/${aws:username}/*"}}, true)
}

func BenchmarkMatchConditionIpAddress(b *testing.B) {
	benchCondition(b, Condition{Operator: "IpAddress", Key: "aws:SourceIp", Values: []string{"198.51.100.0/24", "2001:db8::/32", "203.0.113.0/24"}}, true)
}

func BenchmarkMatchConditionForAnyValue(b *testing.B) {
	benchCondition(b, Condition{Operator: "ForAnyValue:StringEquals", Key: "aws:TagKeys", Values: []string{"Team", "CostCenter"}}, true)
}

func BenchmarkEvalCondition(b *testing.B) {
	c := Condition{Operator: "ForAnyValue:StringEquals", Key: "aws:TagKeys", Values: []string{"Team", "CostCenter"}}
	req := benchRequest()
	b.ReportAllocs()
	for b.Loop() {
		evalCondition(&c, req, "2012-10-17")
	}
}
