package audit

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/lint"
)

func TestRunUnreadableDocuments(t *testing.T) {
	const acct = "123456789012"
	var roles []string
	for i := range 500 {
		inline := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
		switch i {
		case 7:
			trust = `{"Version":"2012-10-17","Statement":[]}`
		case 100:
			inline = `{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}`
		}
		roles = append(roles, fmt.Sprintf(`{"Path":"/","RoleName":"r%03[1]d","RoleId":"AROAR%03[1]d","Arn":"arn:aws:iam::%[2]s:role/r%03[1]d","AssumeRolePolicyDocument":%[3]s,`+
			`"RolePolicyList":[{"PolicyName":"inline","PolicyDocument":%[4]s}],"AttachedManagedPolicies":[{"PolicyName":"Shared","PolicyArn":"arn:aws:iam::%[2]s:policy/Shared"}]}`, i, acct, trust, inline))
	}
	js := `{"format":"iamdiag-snapshot/v1","account_id":"` + acct + `","organization":{"standalone":true},"authorization_details":{"RoleDetailList":[` + strings.Join(roles, ",") + `],` +
		`"Policies":[{"PolicyName":"Shared","Arn":"arn:aws:iam::` + acct + `:policy/Shared","DefaultVersionId":"v1","PolicyVersionList":[` +
		`{"Document":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]},"VersionId":"v1","IsDefaultVersion":true},` +
		`{"Document":{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":"x"}},"VersionId":"v2","IsDefaultVersion":false}]},` +
		`{"PolicyName":"Orphan","Arn":"arn:aws:iam::` + acct + `:policy/Orphan","DefaultVersionId":"v1","PolicyVersionList":[{"Document":{"Statement":[]},"VersionId":"v1","IsDefaultVersion":true}]}]}}`
	snap, err := layers.Load(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), snap, Options{Workers: 2})
	if err != nil {
		t.Fatalf("audit of a snapshot with unreadable documents failed: %v", err)
	}
	type row struct {
		Severity            lint.Severity
		Principal, Policy   string
		AttachedToFirst     string
		MessageHasPosition  bool
		FixSaysNoEvaluation bool
	}
	var got []row
	for _, f := range rep.Findings {
		if f.Rule != RuleUnreadableDocument {
			continue
		}
		first := ""
		if len(f.AttachedTo) > 0 {
			first = f.AttachedTo[0]
		}
		got = append(got, row{f.Severity, f.Principal, f.Policy, first, strings.Contains(f.Message, "line "), strings.HasPrefix(f.Fix, "No evaluation")})
	}
	role := func(n string) string { return "arn:aws:iam::" + acct + ":role/" + n }
	want := []row{
		{lint.Error, role("r007"), "role/r007 (trust policy)", "", true, false},
		{lint.Error, role("r100"), "role/r100 (inline inline)", "", true, false},
		{lint.Warning, "", "arn:aws:iam::" + acct + ":policy/Orphan", "", true, true},
		{lint.Warning, role("r000"), "arn:aws:iam::" + acct + ":policy/Shared", role("r000"), true, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("IAMA005 findings (-want +got):\n%s", diff)
	}
}
