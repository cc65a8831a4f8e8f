package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/crosscheck"
	"github.com/iamdiag/iamdiag/internal/live"
)

// orgReaderDir is examples/org-reader, relative to testdata/minimal-policy
// (where policyActions reads).
var orgReaderDir = filepath.Join("..", "..", "..", "..", "examples", "org-reader")

// yamlAction is one item of an Action list in a CloudFormation template.
var yamlAction = regexp.MustCompile(`(?m)^\s+- ([a-z0-9-]+:[A-Za-z*]+)\s*$`)

// TestOrgReaderPolicies checks examples/org-reader: each policy allows
// exactly the operations of the client interfaces its role is read
// through, each a real action spelled as AWS spells it, and the
// CloudFormation templates and the Terraform module grant those policies.
func TestOrgReaderPolicies(t *testing.T) {
	tests := []struct {
		name     string
		policy   string
		template string
		want     []string
	}{
		{
			name: "member reader", policy: "member-reader.json", template: "member-reader-stackset.yaml",
			want: append(append(append(
				methods("iam", (*live.IAMReader)(nil), (*crosscheck.SimulatePrincipalPolicyAPI)(nil), (*live.AuthorizationDetailsReader)(nil)),
				methods("s3", (*live.BucketPolicyReader)(nil))...),
				methods("kms", (*live.KeyPolicyReader)(nil))...),
				methods("ec2", (*live.VPCEndpointReader)(nil))...),
		},
		{
			name: "organizations reader", policy: "organizations-reader.json", template: "organizations-reader.yaml",
			want: methods("organizations", (*live.OrganizationsReader)(nil), (*live.OrganizationCaptureReader)(nil)),
		},
	}
	tf, err := os.ReadFile(filepath.Join("..", "..", "examples", "org-reader", "terraform", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := policyActions(t, filepath.Join(orgReaderDir, "policies", tc.policy))
			if diff := cmp.Diff(sorted(tc.want), got); diff != "" {
				t.Errorf("policies/%s (-code +policy):\n%s", tc.policy, diff)
			}
			b, err := os.ReadFile(filepath.Join("..", "..", "examples", "org-reader", tc.template))
			if err != nil {
				t.Fatal(err)
			}
			var inTemplate []string
			for _, m := range yamlAction.FindAllStringSubmatch(string(b), -1) {
				inTemplate = append(inTemplate, m[1])
			}
			if diff := cmp.Diff(got, sorted(inTemplate)); diff != "" {
				t.Errorf("%s grants other actions than policies/%s (-policy +template):\n%s", tc.template, tc.policy, diff)
			}
			if !strings.Contains(string(tf), `file("${path.module}/../policies/`+tc.policy+`")`) {
				t.Errorf("terraform/main.tf does not use policies/%s", tc.policy)
			}
		})
	}
}
