package audit

import (
	"strings"
	"testing"

	"github.com/iamdiag/iamdiag/internal/lint"
)

// TestAWSManagedFinding: a finding in an AWS managed policy says who can act;
// one in a service-linked role's policy is informational.
func TestAWSManagedFinding(t *testing.T) {
	tests := []struct {
		name, arn    string
		wantSeverity lint.Severity
		wantFix      string
	}{
		{"service-linked role policy", "arn:aws:iam::aws:policy/aws-service-role/AmazonSSMServiceRolePolicy", lint.Info, "only AWS can change them"},
		{"attached by the customer", "arn:aws:iam::aws:policy/AdministratorAccess", lint.Error, "Whoever manages IAM in the account can detach it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Finding{Rule: lint.RulePassRoleAny, Severity: lint.Error, Message: "m", Fix: "Name the roles."}
			awsManagedFinding(&f, tt.arn)
			if f.Severity != tt.wantSeverity {
				t.Errorf("severity = %v, want %v", f.Severity, tt.wantSeverity)
			}
			if !strings.Contains(f.Fix, tt.wantFix) {
				t.Errorf("fix %q lacks %q", f.Fix, tt.wantFix)
			}
			if !strings.Contains(f.Message, "AWS managed policy") {
				t.Errorf("message %q does not say the policy is AWS managed", f.Message)
			}
		})
	}
}
