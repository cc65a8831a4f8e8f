package audit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/lint"
)

// The test organization: the management account at the root, the prod and
// sandbox accounts under Workloads, the data account under Data.
const (
	testMgmt    = "999999999999"
	testProd    = "111111111111"
	testSandbox = "222222222222"
	testData    = "333333333333"
	testOutside = "444455556666"
)

// writeOrgFolder writes a multi-account snapshot folder as `snapshot --org`
// does: the index, and one file per readable account (without the
// organization); an account of unreadable is recorded with its error.
func writeOrgFolder(t *testing.T, org *layers.Organization, accounts []*layers.Snapshot, unreadable map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "accounts"), 0o755); err != nil {
		t.Fatal(err)
	}
	idx := &layers.OrgSnapshot{Organization: org}
	for _, n := range org.Nodes {
		if n.Type != layers.NodeAccount {
			continue
		}
		a := layers.OrgAccount{ID: n.ID, Name: n.Name}
		if msg, ok := unreadable[n.ID]; ok {
			a.Error, a.ErrorCode = msg, "AccessDenied"
		}
		for _, s := range accounts {
			if s.AccountID != n.ID {
				continue
			}
			b, err := s.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			a.File = layers.AccountFile(n.ID)
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(a.File)), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		idx.Accounts = append(idx.Accounts, a)
	}
	b, err := idx.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, layers.OrgIndexFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func rawPolicy(t *testing.T, js string) layers.RawPolicy {
	t.Helper()
	r, err := layers.NewRawPolicy([]byte(js))
	if err != nil {
		t.Fatalf("%v: %s", err, js)
	}
	return r
}

// testOrg writes the test organization: prod's Vendor role trusts an
// account outside the organization, its Peer role the data account, its
// Gated role an outside account but only for callers of the organization;
// prod and data both use the AWS managed AdministratorAccess; the sandbox
// could not be read.
func testOrg(t *testing.T) string {
	t.Helper()
	org := &layers.Organization{ID: "o-test", ManagementAccountID: testMgmt,
		Nodes: []layers.OrgNode{
			{ID: "r-test", Type: layers.NodeRoot, Name: "Root"},
			{ID: testMgmt, Type: layers.NodeAccount, Parent: "r-test", Name: "management"},
			{ID: "ou-test-workloads", Type: layers.NodeOU, Parent: "r-test", Name: "Workloads"},
			{ID: "ou-test-data", Type: layers.NodeOU, Parent: "r-test", Name: "Data"},
			{ID: testProd, Type: layers.NodeAccount, Parent: "ou-test-workloads", Name: "prod"},
			{ID: testSandbox, Type: layers.NodeAccount, Parent: "ou-test-workloads", Name: "sandbox"},
			{ID: testData, Type: layers.NodeAccount, Parent: "ou-test-data", Name: "data"},
		},
		Policies: []layers.OrgPolicy{{ID: "p-wide", ARN: "arn:aws:organizations::999999999999:policy/o-test/service_control_policy/p-wide",
			Name: "Wide", Type: layers.PolicyTypeSCP, Targets: []string{"r-test", "ou-test-workloads", "ou-test-data", testMgmt, testProd, testSandbox, testData},
			Content: rawPolicy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"NoLeaving","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`)}},
	}
	admin := layers.ManagedPolicy{PolicyName: "AdministratorAccess", PolicyID: "ANPAADMIN", Arn: "arn:aws:iam::aws:policy/AdministratorAccess", Path: "/",
		DefaultVersionID: "v1", IsAttachable: true,
		PolicyVersionList: []layers.PolicyVersion{{VersionID: "v1", IsDefaultVersion: true, Document: rawPolicy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}}}
	role := func(acct, name, trust string, admin bool) layers.Role {
		r := layers.Role{Path: "/", RoleName: name, RoleID: "AROA" + acct + name, Arn: "arn:aws:iam::" + acct + ":role/" + name,
			AssumeRolePolicyDocument: rawPolicy(t, trust)}
		if admin {
			r.AttachedManagedPolicies = []layers.AttachedPolicy{{PolicyName: "AdministratorAccess", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"}}
		}
		return r
	}
	trust := func(principal, cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Sid":"Trust","Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":"sts:AssumeRole"` + cond + `}]}`
	}
	account := func(id string, roles ...layers.Role) *layers.Snapshot {
		s := &layers.Snapshot{Format: layers.Format, AccountID: id}
		s.AuthorizationDetails.RoleDetailList = roles
		if len(roles) > 0 && len(roles[len(roles)-1].AttachedManagedPolicies) > 0 {
			s.AuthorizationDetails.Policies = []layers.ManagedPolicy{admin}
		}
		return s
	}
	return writeOrgFolder(t, org, []*layers.Snapshot{
		account(testMgmt),
		account(testProd,
			role(testProd, "Vendor", trust("arn:aws:iam::"+testOutside+":root", ""), false),
			role(testProd, "Peer", trust("arn:aws:iam::"+testData+":role/Deployer", ""), false),
			role(testProd, "Gated", trust(testOutside, `,"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-test"}}`), false),
			role(testProd, "Admin", trust("arn:aws:iam::"+testMgmt+":root", ""), true)),
		account(testData, role(testData, "Admin", trust("arn:aws:iam::"+testMgmt+":root", ""), true)),
	}, map[string]string{testSandbox: "cannot read the account: sts:AssumeRole of arn:aws:iam::222222222222:role/iamdiag-reader in account 222222222222 failed (AccessDenied: denied)"})
}

func runOrg(t *testing.T, dir string, opt OrgOptions) (*Report, error) {
	t.Helper()
	org, err := layers.LoadOrg(dir)
	if err != nil {
		t.Fatal(err)
	}
	return RunOrg(context.Background(), org, opt)
}

// orgLine is what the table compares of a finding.
type orgLine struct{ Rule, Account, OU, Principal, Subject string }

func TestRunOrg(t *testing.T) {
	dir := testOrg(t)
	tests := []struct {
		name         string
		opt          OrgOptions
		wantAccounts []string
		// wantLines are the IAMA006 and IAMA007 findings.
		wantLines []orgLine
		wantErr   error
	}{
		{name: "every account", wantAccounts: []string{testMgmt, testProd, testSandbox, testData},
			wantLines: []orgLine{
				{RuleUnreadableAccount, testSandbox, "Root/Workloads", "", testSandbox},
				{RuleTrustOutsideOrg, testProd, "Root/Workloads", "arn:aws:iam::111111111111:role/Vendor", testOutside},
			}},
		{name: "an OU", opt: OrgOptions{OUs: []string{"ou-test-data"}}, wantAccounts: []string{testData}},
		{name: "the root is every account", opt: OrgOptions{OUs: []string{"r-test"}}, wantAccounts: []string{testMgmt, testProd, testSandbox, testData},
			wantLines: []orgLine{
				{RuleUnreadableAccount, testSandbox, "Root/Workloads", "", testSandbox},
				{RuleTrustOutsideOrg, testProd, "Root/Workloads", "arn:aws:iam::111111111111:role/Vendor", testOutside},
			}},
		{name: "accounts", opt: OrgOptions{Accounts: []string{testSandbox}}, wantAccounts: []string{testSandbox},
			wantLines: []orgLine{{RuleUnreadableAccount, testSandbox, "Root/Workloads", "", testSandbox}}},
		{name: "an account outside the organization", opt: OrgOptions{Accounts: []string{testOutside}}, wantErr: ErrNotInOrganization},
		{name: "an OU outside the organization", opt: OrgOptions{OUs: []string{"ou-test-nope"}}, wantErr: ErrNotInOrganization},
		{name: "an account is no OU", opt: OrgOptions{OUs: []string{testProd}}, wantErr: ErrNotInOrganization},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := runOrg(t, dir, tc.opt)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("RunOrg: %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			var accounts []string
			for _, a := range r.Summary.Accounts {
				accounts = append(accounts, a.Account)
			}
			if diff := cmp.Diff(tc.wantAccounts, accounts); diff != "" {
				t.Errorf("audited accounts (-want +got):\n%s", diff)
			}
			var lines []orgLine
			for _, f := range r.Findings {
				switch f.Rule {
				case RuleUnreadableAccount:
					if !strings.Contains(f.Message, "(AccessDenied: denied)") {
						t.Errorf("IAMA007 message %q lacks the recorded error", f.Message)
					}
					fallthrough
				case RuleTrustOutsideOrg:
					lines = append(lines, orgLine{f.Rule, f.Account, f.OU, f.Principal, f.subject})
				}
			}
			if diff := cmp.Diff(tc.wantLines, lines); diff != "" {
				t.Errorf("IAMA006/IAMA007 findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunOrgFindings: every account finding names its account and OU, ids
// are unique (the AWS managed policy's finding once per account, the
// SCP's once for the organization), stable from run to run, and the
// summary adds up, also after filtering.
func TestRunOrgFindings(t *testing.T) {
	dir := testOrg(t)
	r, err := runOrg(t, dir, OrgOptions{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := runOrg(t, dir, OrgOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(r *Report) []string {
		var out []string
		for _, f := range r.Findings {
			out = append(out, f.ID)
		}
		return out
	}
	if diff := cmp.Diff(ids(r), ids(again)); diff != "" {
		t.Errorf("ids change from run to run (-first +second):\n%s", diff)
	}
	if got := slices.Compact(slices.Sorted(slices.Values(ids(r)))); len(got) != len(r.Findings) {
		t.Errorf("%d distinct ids for %d findings", len(got), len(r.Findings))
	}
	adminAccounts := map[string]int{}
	scp := 0
	for _, f := range r.Findings {
		switch {
		case f.Policy == "arn:aws:iam::aws:policy/AdministratorAccess" && strings.HasPrefix(f.Rule, "IAMD"):
			adminAccounts[f.Account]++
		case strings.Contains(f.Policy, ":policy/o-test/service_control_policy/"):
			scp++
			if f.Account != "" || f.OU != "" {
				t.Errorf("SCP finding %s carries account %q, OU %q", f.ID, f.Account, f.OU)
			}
			continue
		}
		if f.Account == "" || f.OU == "" {
			t.Errorf("finding %s %s %s has account %q, OU %q", f.ID, f.Rule, f.Principal, f.Account, f.OU)
		}
	}
	if diff := cmp.Diff(map[string]int{testProd: 1, testData: 1}, adminAccounts); diff != "" {
		t.Errorf("AdministratorAccess findings per account (-want +got):\n%s", diff)
	}
	if scp == 0 {
		t.Errorf("no finding about the SCP Wide in %v", ids(r))
	}
	check := func(when string) {
		t.Helper()
		s := r.Summary
		sum := s.Organization.Findings
		for _, a := range s.Accounts {
			sum += a.Findings
		}
		ous := 0
		for _, o := range s.OUs {
			ous += o.Findings
		}
		if sum != len(r.Findings) || s.Severity.Findings != len(r.Findings) || ous+s.Organization.Findings != len(r.Findings) {
			t.Errorf("%s: summary counts %d by account, %d by OU, %d in all; want %d", when, sum, ous+s.Organization.Findings, s.Severity.Findings, len(r.Findings))
		}
		org := 0
		for _, f := range r.Findings {
			if f.Account == "" {
				org++
			}
		}
		if s.Organization.Findings != org {
			t.Errorf("%s: organization findings %d, want %d", when, s.Organization.Findings, org)
		}
	}
	check("unfiltered")
	wantOUs := []OUSummary{{OU: "Root", Accounts: 1}, {OU: "Root/Data", Accounts: 1}, {OU: "Root/Workloads", Accounts: 2}}
	var gotOUs []OUSummary
	for _, o := range r.Summary.OUs {
		gotOUs = append(gotOUs, OUSummary{OU: o.OU, Accounts: o.Accounts})
	}
	if diff := cmp.Diff(wantOUs, gotOUs); diff != "" {
		t.Errorf("OUs (-want +got):\n%s", diff)
	}
	r.AtLeast(lint.Error)
	check("errors only")
	if r.Summary.Severity.Warning != 0 || r.Summary.Severity.Error != len(r.Findings) {
		t.Errorf("after AtLeast(error): %+v for %d findings", r.Summary.Severity, len(r.Findings))
	}
	r.Since(Baseline{r.Findings[0].ID: true}, "base.json")
	check("since a baseline")
}

// TestRunOrgBrokenAccountFile: an account whose file cannot be loaded is
// an IAMA007 finding; the others are audited.
func TestRunOrgBrokenAccountFile(t *testing.T) {
	dir := testOrg(t)
	if err := os.WriteFile(filepath.Join(dir, "accounts", testData+".json"), []byte(`{"format":`), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := runOrg(t, dir, OrgOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var unreadable []string
	for _, a := range r.Summary.Accounts {
		if a.Unreadable != "" {
			unreadable = append(unreadable, a.Account)
		}
	}
	if diff := cmp.Diff([]string{testSandbox, testData}, unreadable); diff != "" {
		t.Errorf("unreadable accounts (-want +got):\n%s", diff)
	}
	if r.Roles != 4 {
		t.Errorf("%d roles audited, want 4 (prod's, nothing of data)", r.Roles)
	}
}

func TestOrgOutput(t *testing.T) {
	r, err := runOrg(t, testOrg(t), OrgOptions{Options: Options{Source: "organization snapshot org"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		write func(*strings.Builder) error
		want  []string
	}{
		{"text", func(b *strings.Builder) error { return Text(b, r) }, []string{
			"audit of organization snapshot org (organization o-test, 4 accounts)",
			"\nby account:\n  999999999999 (management) in Root: 0 findings",
			"\n  222222222222 (sandbox) in Root/Workloads: 1 finding: 1 error, 0 warnings, 0 info\n    not audited: cannot read the account",
			"\nby OU:\n  Root (1 account): 0 findings",
			"\n  account: 111111111111 (prod) in Root/Workloads\n",
		}},
		{"markdown", func(b *strings.Builder) error { return Markdown(b, r) }, []string{
			"## Summary by account\n",
			"| `222222222222` | sandbox | Root/Workloads | 0 | 0 | 1 | 0 | 0 | cannot read the account",
			"## Summary by OU\n",
			"| Root/Workloads | 2 |",
			"| severity | rule | account | principal |",
			"- account: 111111111111 (prod) in Root/Workloads\n",
		}},
		{"json", func(b *strings.Builder) error { return JSON(b, r) }, []string{
			`"organization": "o-test"`,
			`"summary": {`,
			`"account": "111111111111",`,
			`"account_name": "prod",`,
			`"ou": "Root/Workloads"`,
			`"unreadable": "cannot read the account`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}

// TestJSONStreamed: the findings written one at a time give the bytes of
// encoding the report whole, for a single account and an organization.
func TestJSONStreamed(t *testing.T) {
	single := run(t, loadExample(t, "seed"), Options{Source: "snapshot <seed> & \"quoted\""})
	single.Warnings = []string{`a warning with "findings": [] in it`}
	org, err := runOrg(t, testOrg(t), OrgOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		r    *Report
	}{
		{"single account", single},
		{"organization", org},
		{"no findings", &Report{Source: "empty", Findings: []Finding{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var whole, streamed strings.Builder
			if err := encodeIndented(&whole, tc.r, ""); err != nil {
				t.Fatal(err)
			}
			if err := JSON(&streamed, tc.r); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(whole.String(), streamed.String()); diff != "" {
				t.Errorf("streamed JSON differs (-whole +streamed):\n%s", diff)
			}
		})
	}
}
