package layers

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const orgIndexJSON = `{"format":"iamdiag-org-snapshot/v1","organization":{"id":"o-abc","management_account_id":"999999999999",
 "nodes":[{"id":"r-ab12","type":"ROOT"},{"id":"123456789012","type":"ACCOUNT","parent":"r-ab12"},{"id":"222233334444","type":"ACCOUNT","parent":"r-ab12"}],
 "policies":[]},
 "accounts":[{"id":"123456789012","file":"accounts/123456789012.json","resources":["arn:aws:s3:::logs"]},
             {"id":"222233334444","error":"sts:AssumeRole was denied","error_code":"AccessDenied"},
             {"id":"333344445555","file":"accounts/333344445555.json"}]}`

// writeOrg writes an organization snapshot folder of files.
func writeOrg(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadOrgInvalid(t *testing.T) {
	tests := []struct {
		name, index, want string
	}{
		{"another format", `{"format":"iamdiag-snapshot/v1","organization":{"id":"o-abc"},"accounts":[]}`, `format "iamdiag-snapshot/v1"`},
		{"no organization", `{"format":"iamdiag-org-snapshot/v1","accounts":[]}`, "holds no organization"},
		{"a bad account id", `{"format":"iamdiag-org-snapshot/v1","organization":{"id":"o-abc"},"accounts":[{"id":"12"}]}`, `account id "12"`},
		{"a file outside the folder", `{"format":"iamdiag-org-snapshot/v1","organization":{"id":"o-abc"},"accounts":[{"id":"123456789012","file":"../x.json"}]}`, "outside the folder"},
		{"not JSON", `{`, "unexpected end"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeOrg(t, map[string]string{OrgIndexFile: tc.index})
			_, err := LoadOrg(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadOrg: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestOrgSnapshotAccounts(t *testing.T) {
	dir := writeOrg(t, map[string]string{
		OrgIndexFile:                     orgIndexJSON,
		"accounts/123456789012.json":     `{"format":"iamdiag-snapshot/v1","account_id":"123456789012","authorization_details":{"RoleDetailList":[{"RoleName":"App","RoleId":"AROAAPP","Arn":"arn:aws:iam::123456789012:role/App","Path":"/"}]}}`,
		"accounts/333344445555.json":     `{"format":"iamdiag-snapshot/v1","account_id":"123456789012","authorization_details":{}}`,
		"accounts/not-in-the-index.json": `{}`,
	})
	for _, path := range []string{dir, filepath.Join(dir, OrgIndexFile)} {
		if !IsOrgSnapshot(path) {
			t.Errorf("IsOrgSnapshot(%s) = false", path)
		}
	}
	if IsOrgSnapshot(filepath.Join(dir, "accounts")) {
		t.Error("IsOrgSnapshot(accounts/) = true")
	}
	o, err := LoadOrg(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := o.Account("123456789012")
	if err != nil {
		t.Fatal(err)
	}
	if s.Organization == nil || s.Organization.ID != "o-abc" || len(s.AuthorizationDetails.RoleDetailList) != 1 {
		t.Errorf("account 123456789012: organization %+v, %d roles; want o-abc and 1 role", s.Organization, len(s.AuthorizationDetails.RoleDetailList))
	}
	tests := []struct {
		name, id string
		is       error
		text     string
	}{
		{"recorded unreadable", "222233334444", ErrAccountUnreadable, "sts:AssumeRole was denied"},
		{"not captured", "444455556666", ErrAccountNotInSnapshot, "444455556666"},
		{"a file of another account", "333344445555", ErrInvalid, `holds account "123456789012"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := o.Account(tc.id)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("Account(%s): %v, want %v with %q", tc.id, err, tc.is, tc.text)
			}
		})
	}
	for arn, want := range map[string]string{"arn:aws:s3:::logs/2026/x": "123456789012", "arn:aws:s3:::other": "", "arn:aws:sqs:us-east-1:1:q": ""} {
		if got := o.BucketAccount(arn); got != want {
			t.Errorf("BucketAccount(%s) = %q, want %q", arn, got, want)
		}
	}
}

// TestOrgSnapshotWithLoader: the loader reads the accounts that have a
// file; the index still answers for unreadable and absent accounts.
func TestOrgSnapshotWithLoader(t *testing.T) {
	dir := writeOrg(t, map[string]string{OrgIndexFile: orgIndexJSON})
	o, err := LoadOrg(dir)
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	cached := &Snapshot{AccountID: "123456789012"}
	c := o.WithLoader(func(id string) (*Snapshot, error) {
		asked = append(asked, id)
		return cached, nil
	})
	tests := []struct {
		name, id string
		wantErr  error
		wantPath string
	}{
		{name: "readable", id: "123456789012", wantPath: filepath.Join(dir, "accounts", "123456789012.json")},
		{name: "recorded unreadable", id: "222233334444", wantErr: ErrAccountUnreadable},
		{name: "not in the index", id: "444455556666", wantErr: ErrAccountNotInSnapshot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked = nil
			s, err := c.Account(tt.id)
			switch {
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("Account(%s) = %v, want %v", tt.id, err, tt.wantErr)
			case tt.wantErr == nil && (err != nil || s != cached || len(asked) != 1):
				t.Errorf("Account(%s) = %p, %v after asking %v; want the loader's snapshot", tt.id, s, err, asked)
			case tt.wantErr != nil && len(asked) != 0:
				t.Errorf("Account(%s) asked the loader for %v", tt.id, asked)
			}
			if got := o.AccountPath(tt.id); got != tt.wantPath {
				t.Errorf("AccountPath(%s) = %q, want %q", tt.id, got, tt.wantPath)
			}
		})
	}
	if _, err := o.Account("123456789012"); err == nil {
		t.Error("the index itself used the loader: its missing file was not read")
	}
}
