package layers

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// writePolicies writes name → document files into a temporary directory and
// returns their paths by name.
func writePolicies(t *testing.T, docs map[string]string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{}
	for name, doc := range docs {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

func TestFromFiles(t *testing.T) {
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`
	deny := `{"Version":"2012-10-17","Statement":[{"Sid":"NoEC2","Effect":"Deny","Action":"ec2:*","Resource":"*"}]}`
	p := writePolicies(t, map[string]string{
		"id.json": allow, "id2.json": allow, "boundary.json": allow, "session.json": allow, "bucket.json": allow,
		"root.json": deny, "ou1.json": deny, "ou2.json": deny, "acct.json": deny, "rcp.json": deny,
	})
	const session = "arn:aws:sts::123456789012:assumed-role/Deploy/jane"
	tests := []struct {
		name     string
		files    Files
		resource string
		want     summary
	}{
		{
			name:  "no files: nothing is part of the question, all readable",
			files: Files{},
			want: summary{
				Principal:    policy.Principal{ARN: session, IAMARN: "arn:aws:iam::123456789012:role/Deploy", Account: "123456789012", Type: "AssumedRole", SessionName: "jane"},
				SessionKnown: true,
			},
		},
		{
			name: "identity, boundary, session and resource files",
			files: Files{Identity: []string{p["id.json"], p["id2.json"]}, Boundary: p["boundary.json"], Session: []string{p["session.json"]},
				Resource: p["bucket.json"], PrincipalARN: "arn:aws:iam::123456789012:role/ci/Deploy"},
			resource: "arn:aws:s3:::bucket/key",
			want: summary{
				Principal: policy.Principal{ARN: session, IAMARN: "arn:aws:iam::123456789012:role/ci/Deploy", Account: "123456789012", Type: "AssumedRole", SessionName: "jane"},
				Identity: []string{
					"identity-policy|file:" + p["id.json"] + "||id.json",
					"identity-policy|file:" + p["id2.json"] + "||id2.json",
				},
				Boundary:     "permissions-boundary|file:" + p["boundary.json"] + "||boundary.json",
				Session:      []string{"session-policy|file:" + p["session.json"] + "||session.json"},
				SessionKnown: true,
				Resource:     "resource-policy|file:" + p["bucket.json"] + "|arn:aws:s3:::bucket|bucket.json",
			},
		},
		{
			name: "SCP targets ordered root, OUs in flag order, account, each with FullAWSAccess",
			files: Files{SCP: []string{p["acct.json"], "ou-ab12-22222222=" + p["ou2.json"], "root=" + p["root.json"],
				"ou-ab12-11111111=" + p["ou1.json"], "r-ab12=" + p["ou1.json"], "123456789012=" + p["root.json"]},
				OrgID: "o-abcdefghij", ManagementAccount: "210987654321"},
			want: summary{
				Principal: policy.Principal{ARN: session, IAMARN: "arn:aws:iam::123456789012:role/Deploy", Account: "123456789012", Type: "AssumedRole", SessionName: "jane", OrgID: "o-abcdefghij"},
				OrgID:     "o-abcdefghij", Mgmt: "210987654321", SessionKnown: true,
				SCP: []string{
					"ROOT r-ab12: FullAWSAccess,root.json,ou1.json",
					"ORGANIZATIONAL_UNIT ou-ab12-22222222: FullAWSAccess,ou2.json",
					"ORGANIZATIONAL_UNIT ou-ab12-11111111: FullAWSAccess,ou1.json",
					"ACCOUNT 123456789012: FullAWSAccess,acct.json,root.json",
				},
			},
		},
		{
			name:     "no default SCP; RCP always gets RCPFullAWSAccess at the resource's account",
			files:    Files{SCP: []string{"root=" + p["root.json"]}, RCP: []string{p["rcp.json"], "ou-ab12-11111111=" + p["rcp.json"]}, NoDefaultSCP: true},
			resource: "arn:aws:sqs:us-east-1:444455556666:queue",
			want: summary{
				Principal:    policy.Principal{ARN: session, IAMARN: "arn:aws:iam::123456789012:role/Deploy", Account: "123456789012", Type: "AssumedRole", SessionName: "jane"},
				SessionKnown: true,
				SCP:          []string{"ROOT root: root.json"},
				RCP: []string{
					"ORGANIZATIONAL_UNIT ou-ab12-11111111: RCPFullAWSAccess,rcp.json",
					"ACCOUNT 444455556666: RCPFullAWSAccess,rcp.json",
				},
				ResourceAccount: "444455556666",
			},
		},
		{
			name:     "explicit resource account",
			files:    Files{RCP: []string{"account=" + p["rcp.json"]}, ResourceAccount: "555566667777"},
			resource: "arn:aws:s3:::bucket",
			want: summary{
				Principal:       policy.Principal{ARN: session, IAMARN: "arn:aws:iam::123456789012:role/Deploy", Account: "123456789012", Type: "AssumedRole", SessionName: "jane"},
				SessionKnown:    true,
				RCP:             []string{"ACCOUNT 555566667777: RCPFullAWSAccess,rcp.json"},
				ResourceAccount: "555566667777",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.resource
			if res == "" {
				res = "*"
			}
			l, err := FromFiles(tt.files, policy.NewRequest(session, "ec2:RunInstances", res))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(l)); diff != "" {
				t.Errorf("FromFiles (-want +got):\n%s", diff)
			}
			for _, lv := range append(append([]policy.OrgLevel(nil), l.SCP...), l.RCP...) {
				for _, src := range lv.Policies {
					if src.Document == nil {
						t.Errorf("%s at %s has no document", src.Name, lv.Target)
					}
					if src.AWSManaged != strings.HasSuffix(src.Name, "FullAWSAccess") {
						t.Errorf("%s AWSManaged = %v", src.Name, src.AWSManaged)
					}
				}
			}
		})
	}
}

func TestFromFilesPrincipals(t *testing.T) {
	tests := []struct {
		name, principal, Caller string
		want                    policy.Principal
	}{
		{"user", "arn:aws:iam::123456789012:user/ops/alice", "",
			policy.Principal{ARN: "arn:aws:iam::123456789012:user/ops/alice", IAMARN: "arn:aws:iam::123456789012:user/ops/alice", Account: "123456789012", Type: "User", Username: "alice"}},
		{"role ARN of a service-linked role", "arn:aws:iam::123456789012:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport", "",
			policy.Principal{ARN: "arn:aws:iam::123456789012:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport",
				IAMARN: "arn:aws:iam::123456789012:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport", Account: "123456789012", Type: "AssumedRole", ServiceLinked: true}},
		{"federated user with its IAM user", "arn:aws:sts::123456789012:federated-user/bob", "arn:aws:iam::123456789012:user/broker",
			policy.Principal{ARN: "arn:aws:sts::123456789012:federated-user/bob", IAMARN: "arn:aws:iam::123456789012:user/broker", Account: "123456789012", Type: "FederatedUser", UserID: "123456789012:bob"}},
		{"root", "arn:aws-us-gov:iam::123456789012:root", "",
			policy.Principal{ARN: "arn:aws-us-gov:iam::123456789012:root", IAMARN: "arn:aws-us-gov:iam::123456789012:root", Account: "123456789012", Type: "Account", UserID: "123456789012"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := FromFiles(Files{PrincipalARN: tt.Caller}, policy.NewRequest(tt.principal, "s3:GetObject", "*"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, l.Principal); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromFilesDefaultPolicies(t *testing.T) {
	p := writePolicies(t, map[string]string{"d.json": `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`})
	l, err := FromFiles(Files{SCP: []string{p["d.json"]}, RCP: []string{p["d.json"]}}, policy.NewRequest("arn:aws-cn:iam::123456789012:user/u", "s3:GetObject", "*"))
	if err != nil {
		t.Fatal(err)
	}
	scp, rcp := l.SCP[0].Policies[0], l.RCP[0].Policies[0]
	got := []string{scp.ARN, scp.Origin, docJSON(t, scp.Document), rcp.ARN, docJSON(t, rcp.Document)}
	want := []string{
		"arn:aws-cn:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
		"implicit (attached by default at every level the given SCPs name, unless omitted)",
		fullAWSAccessJSON,
		"arn:aws-cn:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess",
		rcpFullAWSAccessJSON,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFromFilesErrors(t *testing.T) {
	p := writePolicies(t, map[string]string{
		"ok.json":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
		"bad.json": "{\"Version\":\"2012-10-17\",\n\"Statement\":[{\"Effect\":\"Permit\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
		"big.json": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}` + strings.Repeat(" ", 100),
	})
	const principal = "arn:aws:sts::123456789012:assumed-role/Deploy/jane"
	tests := []struct {
		name      string
		files     Files
		principal string
		wantIs    error
		want      []string
	}{
		{"parse error names file and position", Files{Identity: []string{p["bad.json"]}}, principal, ErrInvalidPolicyFile, []string{"bad.json", "line 2"}},
		{"missing file", Files{Boundary: filepath.Join(t.TempDir(), "none.json")}, principal, os.ErrNotExist, nil},
		{"too large", Files{Resource: p["big.json"], MaxBytes: 90}, principal, ErrTooLarge, []string{"big.json"}},
		{"SCP for another account", Files{SCP: []string{"999999999999=" + p["ok.json"]}}, principal, ErrInvalidPolicyFile, []string{"999999999999", "123456789012"}},
		{"two roots", Files{SCP: []string{"r-ab12=" + p["ok.json"], "r-cd34=" + p["ok.json"]}}, principal, ErrInvalidPolicyFile, []string{"r-ab12", "r-cd34"}},
		{"target without a file", Files{RCP: []string{"root="}}, principal, ErrInvalidPolicyFile, nil},
		{"no principal", Files{}, "", nil, []string{"no principal ARN", "the caller's ARN"}},
		{"unsupported principal", Files{}, "arn:aws:iam::123456789012:group/g", errUnsupportedPrincipal, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromFiles(tt.files, policy.NewRequest(tt.principal, "s3:GetObject", "*"))
			if err == nil {
				t.Fatal("FromFiles: want an error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error = %v, want %v", err, tt.wantIs)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestParseTarget checks that a file name containing "=" is not mistaken
// for a target.
func TestParseTarget(t *testing.T) {
	tests := []struct {
		in   string
		want fileTarget
	}{
		{"deny.json", fileTarget{NodeAccount, "123456789012", "deny.json"}},
		{"a=b.json", fileTarget{NodeAccount, "123456789012", "a=b.json"}},
		{"root=x=y.json", fileTarget{NodeRoot, "", "x=y.json"}},
		{"ou-ab12-11111111=p.json", fileTarget{NodeOU, "ou-ab12-11111111", "p.json"}},
		{"account=p.json", fileTarget{NodeAccount, "123456789012", "p.json"}},
		{"123456789012=p.json", fileTarget{NodeAccount, "123456789012", "p.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTarget(tt.in, "123456789012", policy.LayerSCP)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(fileTarget{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
