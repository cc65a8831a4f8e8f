package layers

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// TestLoadGAAD loads the two cloudsplaining get-account-authorization-details
// fixtures as bare files (no organization).
func TestLoadGAAD(t *testing.T) {
	tests := []struct {
		file      string
		account   string
		roles     int
		principal string
		wantID    []string
	}{
		{"testdata/gaad/cloudsplaining-example.json", "200611803367", 78,
			"arn:aws:iam::200611803367:user/privesc-sre-user",
			[]string{"identity-policy|group/privesc-sre-group|arn:aws:iam::200611803367:policy/privesc-sre-admin-policy|privesc-sre-admin-policy"}},
		{"testdata/gaad/cloudsplaining-authz-details.json", "012345678901", 3,
			"arn:aws:iam::012345678901:user/biden",
			[]string{
				"identity-policy|user/biden (inline InsecureUserPolicy)||InsecureUserPolicy",
				"identity-policy|user/biden|arn:aws:iam::aws:policy/AWSLambdaFullAccess|AWSLambdaFullAccess",
				"identity-policy|group/biden (inline InlinePolicyForBidenGroup)||InlinePolicyForBidenGroup",
				"identity-policy|group/biden|arn:aws:iam::aws:policy/AmazonRDSFullAccess|AmazonRDSFullAccess",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s, err := LoadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if s.AccountID != tt.account || len(s.AuthorizationDetails.RoleDetailList) != tt.roles || s.Format != Format {
				t.Errorf("account %s, %d roles, format %q; want %s, %d, %q", s.AccountID, len(s.AuthorizationDetails.RoleDetailList), s.Format, tt.account, tt.roles, Format)
			}
			l, err := s.Layers(policy.NewRequest(tt.principal, "s3:GetObject", "*"))
			if err != nil {
				t.Fatal(err)
			}
			got := summarize(l)
			if diff := cmp.Diff(tt.wantID, got.Identity); diff != "" {
				t.Errorf("identity (-want +got):\n%s", diff)
			}
			if got.SCPRead != "unreadable:NoOrganizationData" || got.RCPRead != "unreadable:NoOrganizationData" {
				t.Errorf("SCP %q, RCP %q: want both unreadable with NoOrganizationData", got.SCPRead, got.RCPRead)
			}
			if !strings.Contains(l.SCPRead.Message, "give the SCPs as policy files") {
				t.Errorf("SCP message %q does not say the SCPs can be given as policy files", l.SCPRead.Message)
			}
		})
	}
}

// TestURLEncoded checks that URL-encoded documents, as the raw IAM API
// returns them, resolve exactly like the decoded ones
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html).
func TestURLEncoded(t *testing.T) {
	plain, err := LoadFile("testdata/gaad/cloudsplaining-authz-details.json")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := LoadFile("testdata/gaad/cloudsplaining-authz-details.urlencoded.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"arn:aws:iam::012345678901:user/obama",
		"arn:aws:iam::012345678901:user/userwithlotsofpermissions",
		"arn:aws:iam::012345678901:user/biden",
		"arn:aws:sts::012345678901:assumed-role/MyRole/s",
		"arn:aws:sts::012345678901:assumed-role/MyOtherRole/s",
		"arn:aws:iam::012345678901:role/OverprivilegedEC2",
	} {
		t.Run(p, func(t *testing.T) {
			req := policy.NewRequest(p, "sts:AssumeRole", "arn:aws:iam::012345678901:role/MyRole")
			a, err := plain.Layers(req)
			if err != nil {
				t.Fatal(err)
			}
			b, err := enc.Layers(req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(summarize(a), summarize(b)); diff != "" {
				t.Errorf("plain vs URL-encoded (-plain +encoded):\n%s", diff)
			}
			if len(a.Identity) == 0 || a.Resource == nil {
				t.Fatal("want identity policies and a trust policy")
			}
			for i := range a.Identity {
				if diff := cmp.Diff(docJSON(t, a.Identity[i].Document), docJSON(t, b.Identity[i].Document)); diff != "" {
					t.Errorf("document %s differs:\n%s", a.Identity[i].Name, diff)
				}
			}
			if diff := cmp.Diff(docJSON(t, a.Resource.Document), docJSON(t, b.Resource.Document)); diff != "" {
				t.Errorf("trust policy differs:\n%s", diff)
			}
		})
	}
}

func docJSON(t *testing.T, d *policy.Document) string {
	t.Helper()
	b, err := d.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadErrors(t *testing.T) {
	okDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	tests := []struct {
		name   string
		in     string
		wantIs error
		want   []string // substrings the message must hold
	}{
		{"not JSON", `{"format": `, ErrInvalid, []string{"line 1"}},
		{"JSON type error with position", "{\n\"format\": 7}", ErrInvalid, []string{"line 2"}},
		{"UTF-16", "\xff\xfe{\x00}\x00", ErrInvalid, []string{"UTF-16"}},
		{"neither format nor lists", `{"hello": 1}`, ErrInvalid, []string{"UserDetailList"}},
		{"unknown format", `{"format": "something/v1"}`, ErrInvalid, []string{`"something/v1"`}},
		{"future version", `{"format": "iamdiag-snapshot/v2"}`, ErrInvalid, []string{"iamdiag-snapshot/v2", "newer iamdiag"}},
		{"v1 with lists at top level", `{"format":"iamdiag-snapshot/v1","account_id":"123456789012","UserDetailList":[]}`, ErrInvalid, []string{"authorization_details"}},
		{"bad account id", `{"format":"iamdiag-snapshot/v1","account_id":"12345"}`, ErrInvalid, []string{"12345"}},
		{"truncated", `{"UserDetailList":[],"IsTruncated":true,"Marker":"abc"}`, ErrInvalid, []string{"truncated"}},
		{"role ARN does not match name", `{"RoleDetailList":[{"RoleName":"R","Arn":"arn:aws:iam::123456789012:role/Other"}]}`, ErrInvalid, []string{"Other"}},
		{"duplicate role", `{"RoleDetailList":[{"RoleName":"R","Arn":"arn:aws:iam::123456789012:role/R"},{"RoleName":"R","Arn":"arn:aws:iam::123456789012:role/R"}]}`, ErrInvalid, []string{"twice"}},
		{"organization cycle", `{"format":"iamdiag-snapshot/v1","account_id":"123456789012","authorization_details":{},
			"organization":{"id":"o-abcdefghij","nodes":[{"id":"r-ab12","type":"ROOT"},{"id":"ou-ab12-aaaaaaaa","type":"ORGANIZATIONAL_UNIT","parent":"ou-ab12-bbbbbbbb"},
			{"id":"ou-ab12-bbbbbbbb","type":"ORGANIZATIONAL_UNIT","parent":"ou-ab12-aaaaaaaa"},{"id":"123456789012","type":"ACCOUNT","parent":"ou-ab12-aaaaaaaa"}],"policies":[]}}`,
			ErrInvalid, []string{"cycle"}},
		{"organization parent missing", `{"format":"iamdiag-snapshot/v1","account_id":"123456789012","authorization_details":{},
			"organization":{"id":"o-abcdefghij","nodes":[{"id":"123456789012","type":"ACCOUNT","parent":"ou-ab12-aaaaaaaa"}],"policies":[]}}`,
			ErrInvalid, []string{"ou-ab12-aaaaaaaa"}},
		{"organization node type", `{"format":"iamdiag-snapshot/v1","account_id":"123456789012","authorization_details":{},
			"organization":{"id":"o-abcdefghij","nodes":[{"id":"r-ab12","type":"FOLDER"}],"policies":[]}}`,
			ErrInvalid, []string{"FOLDER"}},
		{"resource policy ARN", `{"format":"iamdiag-snapshot/v1","account_id":"123456789012","authorization_details":{},
			"resource_policies":[{"arn":"bucket","policy":` + okDoc + `}]}`, ErrInvalid, []string{"bucket"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.in))
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("Load error = %v, want %v", err, tt.wantIs)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestLoadByteOrderMark(t *testing.T) {
	s, err := Load(strings.NewReader("\xef\xbb\xbf" + `{"UserDetailList":[]}`))
	if err != nil || s.Format != Format {
		t.Fatalf("Load with a UTF-8 byte order mark: %v", err)
	}
}

func TestLoadLimit(t *testing.T) {
	b, err := os.ReadFile("testdata/gaad/cloudsplaining-authz-details.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadLimit(bytes.NewReader(b), int64(len(b))-1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("LoadLimit(len-1) error = %v, want ErrTooLarge", err)
	}
	if _, err := LoadLimit(bytes.NewReader(b), int64(len(b))); err != nil {
		t.Errorf("LoadLimit(len) error = %v, want nil", err)
	}
}

// TestMarshalRoundTrip writes the realistic snapshot and a bare file as v1
// and checks that loading the result answers the same.
func TestMarshalRoundTrip(t *testing.T) {
	for _, file := range []string{realisticPath, "testdata/gaad/cloudsplaining-authz-details.urlencoded.json"} {
		t.Run(file, func(t *testing.T) {
			s, err := LoadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			s2, err := Load(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			b2, err := s2.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, b2) {
				t.Error("Marshal(Load(Marshal(s))) differs from Marshal(s)")
			}
			if s2.AccountID != s.AccountID || s2.Format != Format || !s2.CapturedAt.Equal(s.CapturedAt) {
				t.Errorf("header %s/%s/%v, want %s/%s/%v", s2.Format, s2.AccountID, s2.CapturedAt, Format, s.AccountID, s.CapturedAt)
			}
			var principals []string
			for _, r := range s.AuthorizationDetails.RoleDetailList {
				principals = append(principals, r.Arn)
			}
			for _, u := range s.AuthorizationDetails.UserDetailList {
				principals = append(principals, u.Arn)
			}
			for _, p := range principals {
				req := policy.NewRequest(p, "sts:AssumeRole", p)
				a, errA := s.Layers(req)
				b, errB := s2.Layers(req)
				if errA != nil || errB != nil {
					t.Fatalf("%s: %v / %v", p, errA, errB)
				}
				if diff := cmp.Diff(summarize(a), summarize(b)); diff != "" {
					t.Errorf("%s (-before +after):\n%s", p, diff)
				}
			}
		})
	}
}

// TestOrganizationWithoutRCPs checks that an organization with no RCPs has
// no RCP levels (the policy type is not enabled) while its SCP levels are
// there.
func TestOrganizationWithoutRCPs(t *testing.T) {
	js := `{"format":"iamdiag-snapshot/v1","account_id":"123456789012",
		"authorization_details":{"RoleDetailList":[{"Path":"/","RoleName":"R","RoleId":"AROAEXAMPLE","Arn":"arn:aws:iam::123456789012:role/R"}]},
		"organization":{"id":"o-abcdefghij","management_account_id":"210987654321",
			"nodes":[{"id":"r-ab12","type":"ROOT"},{"id":"123456789012","type":"ACCOUNT","parent":"r-ab12"}],
			"policies":[{"id":"p-FullAWSAccess","arn":"arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess","name":"FullAWSAccess",
				"type":"SERVICE_CONTROL_POLICY","aws_managed":true,"targets":["r-ab12","123456789012","ou-ab12-elsewhere"],
				"content":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}]}}`
	s, err := Load(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.Layers(policy.NewRequest("arn:aws:sts::123456789012:assumed-role/R/s", "s3:GetObject", "arn:aws:s3:::b/k"))
	if err != nil {
		t.Fatal(err)
	}
	got := summarize(l)
	want := []string{"ROOT r-ab12: FullAWSAccess", "ACCOUNT 123456789012: FullAWSAccess"}
	if diff := cmp.Diff(want, got.SCP); diff != "" {
		t.Errorf("SCP (-want +got):\n%s", diff)
	}
	if got.RCP != nil || got.RCPRead != "" || got.SCPRead != "" {
		t.Errorf("RCP %v (%q), SCP read %q: want no RCP levels, both readable", got.RCP, got.RCPRead, got.SCPRead)
	}
	if !l.SCP[0].Policies[0].AWSManaged || l.SCP[0].Policies[0].Document == nil {
		t.Error("FullAWSAccess: want AWSManaged and a parsed document (from a JSON string content)")
	}
	if l.ManagementAccount != "210987654321" || l.Principal.OrgPaths[0] != "o-abcdefghij/r-ab12/" {
		t.Errorf("management %s, org paths %v", l.ManagementAccount, l.Principal.OrgPaths)
	}
}

// TestMissingManagedPolicy checks that an attached policy absent from
// Policies makes the identity layer unreadable instead of silently smaller.
func TestMissingManagedPolicy(t *testing.T) {
	js := `{"RoleDetailList":[{"Path":"/","RoleName":"R","RoleId":"AROAEXAMPLE","Arn":"arn:aws:iam::123456789012:role/R",
		"AttachedManagedPolicies":[{"PolicyName":"Gone","PolicyArn":"arn:aws:iam::123456789012:policy/Gone"}],
		"PermissionsBoundary":{"PermissionsBoundaryType":"Policy","PermissionsBoundaryArn":"arn:aws:iam::123456789012:policy/GoneToo"}}],
		"UserDetailList":[{"Path":"/","UserName":"u","UserId":"AIDAEXAMPLE","Arn":"arn:aws:iam::123456789012:user/u","GroupList":["nogroup"]}]}`
	s, err := Load(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ principal, identity, boundary string }{
		{"arn:aws:iam::123456789012:role/R", "unreadable:PolicyNotInSnapshot", "unreadable:PolicyNotInSnapshot"},
		{"arn:aws:iam::123456789012:user/u", "unreadable:GroupNotInSnapshot", ""},
	}
	for _, tt := range tests {
		l, err := s.Layers(policy.NewRequest(tt.principal, "s3:GetObject", "*"))
		if err != nil {
			t.Fatal(err)
		}
		if got := readability(l.IdentityRead); got != tt.identity {
			t.Errorf("%s identity %q, want %q", tt.principal, got, tt.identity)
		}
		if got := readability(l.BoundaryRead); got != tt.boundary {
			t.Errorf("%s boundary %q, want %q", tt.principal, got, tt.boundary)
		}
	}
}

func TestNewRawPolicy(t *testing.T) {
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a+b/*"}]}`
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"object", doc, false},
		{"URL-encoded string", `"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Aa%2Bb%2F*%22%7D%5D%7D"`, false},
		{"JSON text string keeps its plus sign", `"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::a+b/*\"}]}"`, false},
		{"number", `7`, true},
		{"invalid document", `{"Statement":[]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRawPolicy([]byte(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := docJSON(t, r.Document()); got != doc {
				t.Errorf("document %s, want %s", got, doc)
			}
			out, err := r.MarshalJSON()
			if err != nil || string(out) != tt.in {
				t.Errorf("MarshalJSON = %s, %v; want the input back", out, err)
			}
		})
	}
}
