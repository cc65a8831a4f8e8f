package audit

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/layers"
)

// sharedOrg writes a generated organization with several accounts per OU:
// six accounts of genAccount over two OUs; four of them (two per OU) have,
// at the account level, an SCP that allows only some services instead of
// FullAWSAccess, so that some grants are dead at the account level and
// the verdicts that name it must name each account.
func sharedOrg(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	genOrgFolder(t, dir, 6, 30)
	org, err := layers.LoadOrg(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := org.Organization
	var accts []string
	for i := range o.Nodes {
		n := &o.Nodes[i]
		if n.Type == layers.NodeAccount {
			n.Parent = []string{"ou-ab12-00000000", "ou-ab12-00000001"}[len(accts)%2]
			accts = append(accts, n.ID)
		}
	}
	narrow := accts[2:]
	for i := range o.Policies {
		if p := &o.Policies[i]; p.AWSManaged {
			p.Targets = slices.DeleteFunc(p.Targets, func(t string) bool { return slices.Contains(narrow, t) })
		}
	}
	o.Policies = append(o.Policies, layers.OrgPolicy{ID: "p-narrow", ARN: "arn:aws:organizations::999999999999:policy/o-abc/service_control_policy/p-narrow",
		Name: "OnlySomeServices", Type: layers.PolicyTypeSCP, Targets: narrow,
		Content: rawPolicy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","iam:*","sts:*","organizations:*","cloudtrail:*"],"Resource":"*"}]}`)})
	b, err := org.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, layers.OrgIndexFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSharedVerdicts checks that sharing SCP verdicts between the accounts
// of an organization changes no finding: each account audited with the
// verdicts of the accounts before it gives what it gives audited alone.
func TestSharedVerdicts(t *testing.T) {
	tests := []struct {
		name string
		dir  string
		// accountLevel: some dead grant must be dead at the account
		// level, in an account that is not the first of its chain.
		accountLevel bool
	}{
		{name: "test organization", dir: testOrg(t)},
		{name: "several accounts per OU", dir: sharedOrg(t), accountLevel: true},
	}
	for _, tt := range tests {
		for _, conditional := range []bool{false, true} {
			name := tt.name
			if conditional {
				name += ", conditional"
			}
			t.Run(name, func(t *testing.T) {
				org, err := layers.LoadOrg(tt.dir)
				if err != nil {
					t.Fatal(err)
				}
				opt := Options{Conditional: conditional}
				shared := newSCPShared()
				audited, accountLevel := 0, false
				for _, a := range org.Accounts {
					if a.File == "" {
						continue
					}
					snap, err := org.Account(a.ID)
					if err != nil {
						t.Fatal(err)
					}
					alone, err := Run(context.Background(), snap, opt)
					if err != nil {
						t.Fatal(err)
					}
					with, err := runSnapshot(context.Background(), snap, opt, nil, shared)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(alone.Findings, with.Findings, cmp.AllowUnexported(Finding{})); diff != "" {
						t.Errorf("account %s: findings with shared verdicts differ from the account's alone (-alone +shared):\n%s", a.ID, diff)
					}
					for _, f := range with.Findings {
						if f.Rule == RuleSCPDead && strings.Contains(f.Message, "no SCP attached to "+a.ID+" allows") && a.ID != org.Accounts[2].ID && a.ID != org.Accounts[3].ID {
							accountLevel = true
						}
					}
					audited++
				}
				if audited < 2 {
					t.Fatalf("audited %d accounts, want at least 2", audited)
				}
				if tt.accountLevel && !accountLevel {
					t.Error("no grant is dead at the account level in an account that reads shared verdicts: the test does not check that they name the account")
				}
			})
		}
	}
}

// TestSharedForAccount checks how a shared verdict or statement's
// candidates read for another account of the chain: what named the
// account that computed them names the reader.
func TestSharedForAccount(t *testing.T) {
	const a, b = "111111111111", "222222222222"
	atAccount := &scpVerdict{denied: true, regardless: true, target: a}
	atOU := &scpVerdict{denied: true, regardless: true, explicit: true, policy: "p-1", target: "ou-ab12-11111111"}
	e := sharedCands{account: a, cands: []candidate{
		{action: "dynamodb:GetItem", resource: "arn:aws:dynamodb:us-east-1:" + a + ":table/t", v: atAccount},
		{action: "sns:Publish", resource: "*", v: atOU},
	}}
	tests := []struct {
		name   string
		reader string
		want   []candidate
	}{
		{name: "the account that computed them", reader: a, want: e.cands},
		{name: "another account", reader: b, want: []candidate{
			{action: "dynamodb:GetItem", resource: "arn:aws:dynamodb:us-east-1:" + b + ":table/t", v: &scpVerdict{denied: true, regardless: true, target: b}},
			{action: "sns:Publish", resource: "*", v: atOU},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.forAccount(tt.reader)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(candidate{}, scpVerdict{})); diff != "" {
				t.Errorf("forAccount(%s) (-want +got):\n%s", tt.reader, diff)
			}
		})
	}
	if atAccount.target != a {
		t.Errorf("forAccount changed the shared verdict: target %s, want %s", atAccount.target, a)
	}
}
