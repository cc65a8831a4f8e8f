package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/catalog"
	"github.com/iamdiag/iamdiag/internal/crosscheck"
	"github.com/iamdiag/iamdiag/internal/decode"
	"github.com/iamdiag/iamdiag/internal/live"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// methods returns "prefix:Method" for every method of the interfaces.
func methods(prefix string, ifaces ...any) []string {
	var out []string
	for _, i := range ifaces {
		t := reflect.TypeOf(i).Elem()
		for m := range t.Methods() {
			out = append(out, prefix+":"+m.Name)
		}
	}
	return out
}

// policyActions reads a minimal-policy file: it must parse as a policy, and
// every action must be one the Service Authorization Reference lists,
// spelled as it spells it.
func policyActions(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "minimal-policy", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := policy.Parse(b); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var doc struct {
		Statement []struct {
			Action json.RawMessage
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, st := range doc.Statement {
		var one string
		var many []string
		if json.Unmarshal(st.Action, &one) == nil {
			many = []string{one}
		} else if err := json.Unmarshal(st.Action, &many); err != nil {
			t.Fatalf("%s: Action %s: %v", name, st.Action, err)
		}
		for _, a := range many {
			ca, ok := catalog.Lookup(a)
			switch {
			case !ok:
				t.Errorf("%s: %s is not an action of the Service Authorization Reference", name, a)
			case ca.FullName() != a:
				t.Errorf("%s: %s is spelled %s in the Service Authorization Reference", name, a, ca.FullName())
			}
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// TestMinimalPolicies checks the README's minimal IAM policies against the
// calls the code makes: each policy allows exactly the operations of the
// client interfaces its feature reads through, each a real action.
func TestMinimalPolicies(t *testing.T) {
	t.Run("diagnose-member", func(t *testing.T) {
		want := methods("iam", (*live.IAMReader)(nil), (*crosscheck.SimulatePrincipalPolicyAPI)(nil))
		want = append(want, methods("s3", (*live.BucketPolicyReader)(nil))...)
		want = append(want, methods("kms", (*live.KeyPolicyReader)(nil))...)
		want = append(want, methods("ec2", (*live.VPCEndpointReader)(nil))...)
		want = append(want, methods("sts", (*decode.Decoder)(nil))...)
		// A member account may describe its organization
		// (https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html):
		// its management account then exempts that account's principals.
		want = append(want, "organizations:DescribeOrganization")
		if diff := cmp.Diff(sorted(want), policyActions(t, "diagnose-member.json")); diff != "" {
			t.Errorf("(-code +policy):\n%s", diff)
		}
	})
	t.Run("diagnose-organization", func(t *testing.T) {
		want := methods("organizations", (*live.OrganizationsReader)(nil))
		if diff := cmp.Diff(sorted(want), policyActions(t, "diagnose-organization.json")); diff != "" {
			t.Errorf("(-code +policy):\n%s", diff)
		}
	})
	t.Run("snapshot", func(t *testing.T) {
		want := methods("iam", (*live.AuthorizationDetailsReader)(nil))
		for _, m := range methods("organizations", (*live.OrganizationCaptureReader)(nil)) {
			// Capture lists each policy's targets instead of each
			// target's policies.
			if m != "organizations:ListPoliciesForTarget" {
				want = append(want, m)
			}
		}
		// sts:GetCallerIdentity needs no permission
		// (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
		if got := methods("sts", (*live.CallerIdentityReader)(nil)); !slices.Equal(got, []string{"sts:GetCallerIdentity"}) {
			t.Errorf("Capture's STS calls are %v: add them to the policy", got)
		}
		if diff := cmp.Diff(sorted(want), policyActions(t, "snapshot.json")); diff != "" {
			t.Errorf("(-code +policy):\n%s", diff)
		}
	})
	t.Run("snapshot-s3", func(t *testing.T) {
		// snapshot -o s3:// writes with PutObject; --snapshot s3:// reads
		// with GetObject and the daemon checks with HeadObject, which
		// needs s3:GetObject
		// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
		if diff := cmp.Diff([]string{"s3:GetObject", "s3:HeadObject", "s3:PutObject"}, sorted(methods("s3", (*live.ObjectClient)(nil)))); diff != "" {
			t.Errorf("live.ObjectClient's calls changed: update the policies (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"s3:PutObject"}, policyActions(t, "snapshot-s3-write.json")); diff != "" {
			t.Errorf("write (-code +policy):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"s3:GetObject"}, policyActions(t, "snapshot-s3-read.json")); diff != "" {
			t.Errorf("read (-code +policy):\n%s", diff)
		}
	})
}
