package report

import (
	"testing"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// TestConditionLineMarksInferred checks that a condition shown to a person
// says when iamdiag inferred the request's value rather than reading it from
// the input: an engineer must know which values to double-check.
func TestConditionLineMarksInferred(t *testing.T) {
	ctx := &policy.Context{}
	ctx.Set("ec2:InstanceType", "t3.micro")
	ctx.Infer("aws:RequestedRegion", "eu-west-1")
	tests := []struct {
		name string
		c    policy.ConditionTrace
		want string
	}{
		{"given", policy.ConditionTrace{Key: "ec2:InstanceType", Operator: "StringEquals", PolicyValues: []string{"t3.large"},
			RequestValues: []string{"t3.micro"}, KeyPresent: true},
			"ec2:InstanceType StringEquals [t3.large]; request: [t3.micro] → failed"},
		{"inferred", policy.ConditionTrace{Key: "aws:requestedregion", Operator: "StringNotEquals", PolicyValues: []string{"us-east-1"},
			RequestValues: []string{"eu-west-1"}, KeyPresent: true, Matched: true},
			"aws:requestedregion StringNotEquals [us-east-1]; request: [eu-west-1] (inferred) → matched"},
		{"absent", policy.ConditionTrace{Key: "aws:SourceIp", Operator: "IpAddress", PolicyValues: []string{"10.0.0.0/8"}},
			"aws:SourceIp IpAddress [10.0.0.0/8]; request: (absent) → failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := conditionLine(tc.c, ctx); got != tc.want {
				t.Errorf("conditionLine() = %q, want %q", got, tc.want)
			}
			if tc.name != "inferred" {
				return
			}
			if got := conditionLine(tc.c, nil); got == tc.want {
				t.Errorf("without a context the value cannot be known to be inferred: %q", got)
			}
		})
	}
}
