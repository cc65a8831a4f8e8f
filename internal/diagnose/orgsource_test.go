package diagnose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// orgFolder writes internal/fakeaws/testdata/org as a multi-account
// snapshot folder: every account but the sandbox, recorded unreadable.
func orgFolder(t *testing.T) *layers.OrgSnapshot {
	t.Helper()
	src := filepath.Join("..", "fakeaws", "testdata", "org")
	dir := t.TempDir()
	idx := &layers.OrgSnapshot{}
	for _, n := range []string{"management", "workloads", "data"} {
		s, err := layers.LoadFile(filepath.Join(src, n+".json"))
		if err != nil {
			t.Fatal(err)
		}
		idx.Organization = s.Organization
		a := layers.OrgAccount{ID: s.AccountID, File: layers.AccountFile(s.AccountID)}
		for _, rp := range s.ResourcePolicies {
			a.Resources = append(a.Resources, rp.ARN)
		}
		idx.Accounts = append(idx.Accounts, a)
		s.Organization = nil
		b, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(a.File))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	idx.Accounts = append(idx.Accounts, layers.OrgAccount{ID: "333344445555", Error: "sts:AssumeRole was denied", ErrorCode: "AccessDenied"})
	b, err := idx.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, layers.OrgIndexFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := layers.LoadOrg(dir)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestOrgSnapshotSource(t *testing.T) {
	g := OrgSnapshot(orgFolder(t))
	tests := []struct {
		name, principal, action, arn string
		// identity is the number of identity policies, or -1 for unknown.
		identity     int
		resource     string // the resource policy read, "" none
		resourceAcct string
		scpLevels    int
	}{
		{"a bucket found by its account's resources", "arn:aws:sts::123456789012:assumed-role/Analytics/job", "s3:PutObject", "arn:aws:s3:::data-prod-exports/x",
			1, "arn:aws:s3:::data-prod-exports", "222233334444", 3},
		{"the seed role in its own account", "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/s", "ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:instance/*",
			1, "", "123456789012", 3},
		{"an account recorded unreadable", "arn:aws:iam::333344445555:role/Builder", "s3:GetObject", "arn:aws:s3:::data-prod-exports/x",
			-1, "arn:aws:s3:::data-prod-exports", "222233334444", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := g.Gather(context.Background(), &policy.Request{Principal: policy.Principal{ARN: tc.principal}, Action: tc.action, Resource: tc.arn, Context: &policy.Context{}})
			if err != nil {
				t.Fatal(err)
			}
			l := got.Layers
			identity := len(l.Identity)
			if l.IdentityRead.Unreadable {
				identity = -1
			}
			res := ""
			if l.Resource != nil {
				res = l.Resource.ARN
			}
			if diff := cmp.Diff([]any{tc.identity, tc.resource, tc.resourceAcct, tc.scpLevels, false}, []any{identity, res, l.ResourceAccount, len(l.SCP), l.SCPRead.Unreadable}); diff != "" {
				t.Errorf("identity policies, resource policy, resource account, SCP levels, SCPs unreadable (-want +got):\n%s", diff)
			}
		})
	}
	_, err := g.Gather(context.Background(), &policy.Request{Principal: policy.Principal{ARN: "arn:aws:iam::444455556666:role/X"}, Action: "s3:GetObject", Context: &policy.Context{}})
	var de *Error
	if !errors.As(err, &de) || de.Kind != PrincipalNotFound {
		t.Errorf("an account outside the snapshot: %v, want a PrincipalNotFound error", err)
	}
}
