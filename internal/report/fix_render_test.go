package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/iamdiag/iamdiag/internal/fix"
	"github.com/iamdiag/iamdiag/internal/policy"
)

func TestTerraform(t *testing.T) {
	docJSON := `{"Version":"2012-10-17","Statement":[{"Sid":"Home","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*","Condition":{"StringLike":{"s3:prefix":"%{x}"}}}]}`
	var b bytes.Buffer
	if err := Terraform(&b, []fix.Fix{{Layer: policy.LayerIdentity, PolicyName: "9 lives", Change: fix.AppendStatement, Summary: "s", Document: json.RawMessage(docJSON)}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`data "aws_iam_policy_document" "fix_1_9_lives" {`,
		`resources = ["arn:aws:s3:::b/home/$${aws:username}/*"]`,
		`values   = ["%%{x}"]`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in:\n%s", want, b.String())
		}
	}
}
