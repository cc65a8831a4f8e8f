package layers

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// The realistic snapshot's organization, as testdata/realistic/README.md
// describes it.
const (
	acct   = "200611803367"
	orgID  = "o-7k2p9x4m1q"
	mgmt   = "111122223333"
	rootID = "r-7k2p"
)

var (
	prodSCP = []string{
		"ROOT r-7k2p: FullAWSAccess,DenyLeaveOrganization,ProtectSecurityTooling",
		"ORGANIZATIONAL_UNIT ou-7k2p-w0rk1oad: FullAWSAccess,DenyOutsideApprovedRegions",
		"ORGANIZATIONAL_UNIT ou-7k2p-pr0dq4m8: FullAWSAccess,DenyEC2",
		"ACCOUNT 200611803367: FullAWSAccess",
	}
	prodRCP = []string{
		"ROOT r-7k2p: RCPFullAWSAccess,EnforceOrgIdentities",
		"ORGANIZATIONAL_UNIT ou-7k2p-w0rk1oad: RCPFullAWSAccess,EnforceSecureTransport",
		"ORGANIZATIONAL_UNIT ou-7k2p-pr0dq4m8: RCPFullAWSAccess",
		"ACCOUNT 200611803367: RCPFullAWSAccess",
	}
	prodPaths = []string{"o-7k2p9x4m1q/r-7k2p/ou-7k2p-w0rk1oad/ou-7k2p-pr0dq4m8/"}
	fedRole   = "arn:aws:iam::" + acct + ":role/MyFederatedRole"
	fedID     = []string{
		"identity-policy|role/MyFederatedRole (inline read-artifacts)||read-artifacts",
		"identity-policy|role/MyFederatedRole|arn:aws:iam::200611803367:policy/federated-ec2-launch|federated-ec2-launch",
		"identity-policy|role/MyFederatedRole|arn:aws:iam::aws:policy/ReadOnlyAccess|ReadOnlyAccess",
	}
	fedBoundary = "permissions-boundary|role/MyFederatedRole (permissions boundary)|arn:aws:iam::200611803367:policy/workload-permissions-boundary|workload-permissions-boundary"
	fedTags     = map[string]string{"team": "platform", "access": "federated"}
)

// TestLayersPrincipal covers every principal ARN form against the realistic
// snapshot. ARN forms: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns.
func TestLayersPrincipal(t *testing.T) {
	s := loadRealistic(t)
	sso := "arn:aws:iam::" + acct + ":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ViewOnlyAccess_0ace44bbc7092ea8"
	tests := []struct {
		name      string
		principal string
		tags      map[string]string
		want      summary
	}{
		{
			name:      "assumed-role session of the incident's role",
			principal: "arn:aws:sts::" + acct + ":assumed-role/MyFederatedRole/jane",
			want: summary{
				Principal: policy.Principal{ARN: "arn:aws:sts::" + acct + ":assumed-role/MyFederatedRole/jane", IAMARN: fedRole, Account: acct,
					Type: "AssumedRole", UserID: "AROAS5NLFGDTMYFEDROLE:jane", SessionName: "jane", Tags: fedTags, OrgID: orgID, OrgPaths: prodPaths},
				OrgID: orgID, Mgmt: mgmt, Identity: fedID, Boundary: fedBoundary,
				SCP: prodSCP, RCP: prodRCP,
			},
		},
		{
			name:      "session with a known session policy",
			principal: "arn:aws:sts::" + acct + ":assumed-role/MyFederatedRole/ci-deploy",
			want: summary{
				Principal: policy.Principal{ARN: "arn:aws:sts::" + acct + ":assumed-role/MyFederatedRole/ci-deploy", IAMARN: fedRole, Account: acct,
					Type: "AssumedRole", UserID: "AROAS5NLFGDTMYFEDROLE:ci-deploy", SessionName: "ci-deploy", Tags: fedTags, OrgID: orgID, OrgPaths: prodPaths},
				OrgID: orgID, Mgmt: mgmt, Identity: fedID, Boundary: fedBoundary,
				Session:      []string{"session-policy|session policy of arn:aws:sts::200611803367:assumed-role/MyFederatedRole/ci-deploy||session policy"},
				SessionKnown: true, SCP: prodSCP, RCP: prodRCP,
			},
		},
		{
			name:      "session tags override role tags",
			principal: "arn:aws:sts::" + acct + ":assumed-role/MyFederatedRole/jane",
			tags:      map[string]string{"team": "data", "project": "x"},
			want: summary{
				Principal: policy.Principal{ARN: "arn:aws:sts::" + acct + ":assumed-role/MyFederatedRole/jane", IAMARN: fedRole, Account: acct,
					Type: "AssumedRole", UserID: "AROAS5NLFGDTMYFEDROLE:jane", SessionName: "jane",
					Tags: map[string]string{"team": "data", "access": "federated", "project": "x"}, OrgID: orgID, OrgPaths: prodPaths},
				OrgID: orgID, Mgmt: mgmt, Identity: fedID, Boundary: fedBoundary,
				SCP: prodSCP, RCP: prodRCP,
			},
		},
		{
			name:      "role name differs in case",
			principal: "arn:aws:sts::" + acct + ":assumed-role/myfederatedrole/jane",
			want: summary{
				Principal: policy.Principal{ARN: "arn:aws:sts::" + acct + ":assumed-role/myfederatedrole/jane", IAMARN: fedRole, Account: acct,
					Type: "AssumedRole", UserID: "AROAS5NLFGDTMYFEDROLE:jane", SessionName: "jane", Tags: fedTags, OrgID: orgID, OrgPaths: prodPaths},
				OrgID: orgID, Mgmt: mgmt, Identity: fedID, Boundary: fedBoundary,
				SCP: prodSCP, RCP: prodRCP,
			},
		},
		{
			name:      "role ARN is not a session",
			principal: fedRole,
			want: summary{
				Principal: policy.Principal{ARN: fedRole, IAMARN: fedRole, Account: acct, Type: "AssumedRole", Tags: fedTags, OrgID: orgID, OrgPaths: prodPaths},
				OrgID:     orgID, Mgmt: mgmt, Identity: fedID, Boundary: fedBoundary, SessionKnown: true,
				SCP: prodSCP, RCP: prodRCP,
			},
		},
		{
			name:      "SSO session: the ARN drops the role's path",
			principal: "arn:aws:sts::" + acct + ":assumed-role/AWSReservedSSO_ViewOnlyAccess_0ace44bbc7092ea8/jane@example.com",
			want: summary{
				Principal: policy.Principal{ARN: "arn:aws:sts::" + acct + ":assumed-role/AWSReservedSSO_ViewOnlyAccess_0ace44bbc7092ea8/jane@example.com",
					IAMARN: sso, Account: acct, Type: "AssumedRole", UserID: "AROAS5NLFGDT5GAZHTZAS:jane@example.com", SessionName: "jane@example.com",
					OrgID: orgID, OrgPaths: prodPaths},
				OrgID: orgID, Mgmt: mgmt,
				Identity: []string{
					"identity-policy|role/AWSReservedSSO_ViewOnlyAccess_0ace44bbc7092ea8|arn:aws:iam::aws:policy/ReadOnlyAccess|ReadOnlyAccess",
					"identity-policy|role/AWSReservedSSO_ViewOnlyAccess_0ace44bbc7092ea8|arn:aws:iam::aws:policy/job-function/ViewOnlyAccess|ViewOnlyAccess",
				},
				SCP: prodSCP, RCP: prodRCP,
			},
		},
		{
			name:      "SSO role ARN with its path",
			principal: sso,
			want: summary{
				Principal: policy.Principal{ARN: sso, IAMARN: sso, Account: acct, Type: "AssumedRole", OrgID: orgID, OrgPaths: prodPaths},
				OrgID:     orgID, Mgmt: mgmt,
				Identity: []string{
					"identity-policy|role/AWSReservedSSO_ViewOnlyAccess_0ace44bbc7092ea8|arn:aws:iam::aws:policy/ReadOnlyAccess|ReadOnlyAccess",
					"identity-policy|role/AWSReservedSSO_ViewOnlyAccess_0ace44bbc7092ea8|arn:aws:iam::aws:policy/job-function/ViewOnlyAccess|ViewOnlyAccess",
				},
				SessionKnown: true, SCP: prodSCP, RCP: prodRCP,
			},
		},
		{
			name:      "service-linked role session",
			principal: "arn:aws:sts::" + acct + ":assumed-role/AWSServiceRoleForSupport/support",
			want: summary{
				Principal: policy.Principal{ARN: "arn:aws:sts::" + acct + ":assumed-role/AWSServiceRoleForSupport/support",
					IAMARN: "arn:aws:iam::" + acct + ":role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport", Account: acct,
					Type: "AssumedRole", UserID: "AROAS5NLFGDTQR3AGRZFJ:support", SessionName: "support", ServiceLinked: true, OrgID: orgID, OrgPaths: prodPaths},
				OrgID: orgID, Mgmt: mgmt,
				Identity: []string{"identity-policy|role/AWSServiceRoleForSupport|arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy|AWSSupportServiceRolePolicy"},
				SCP:      prodSCP, RCP: prodRCP,
			},
		},
		{
			name:      "user with a group",
			principal: "arn:aws:iam::" + acct + ":user/privesc-sre-user",
			want: summary{
				Principal: policy.Principal{ARN: "arn:aws:iam::" + acct + ":user/privesc-sre-user", IAMARN: "arn:aws:iam::" + acct + ":user/privesc-sre-user",
					Account: acct, Type: "User", UserID: userID(t, s, "privesc-sre-user"), Username: "privesc-sre-user", OrgID: orgID, OrgPaths: prodPaths},
				OrgID: orgID, Mgmt: mgmt,
				Identity:     []string{"identity-policy|group/privesc-sre-group|arn:aws:iam::200611803367:policy/privesc-sre-admin-policy|privesc-sre-admin-policy"},
				SessionKnown: true, SCP: prodSCP, RCP: prodRCP,
			},
		},
		{
			name:      "federated user: the calling IAM user is unknown",
			principal: "arn:aws:sts::" + acct + ":federated-user/bob",
			want: summary{
				Principal: policy.Principal{ARN: "arn:aws:sts::" + acct + ":federated-user/bob", Account: acct, Type: "FederatedUser", UserID: acct + ":bob", OrgID: orgID, OrgPaths: prodPaths},
				OrgID:     orgID, Mgmt: mgmt,
				IdentityRead: "unreadable:FederatedUserSourceUnknown", BoundaryRead: "unreadable:FederatedUserSourceUnknown",
				SCP: prodSCP, RCP: prodRCP,
			},
		},
		{
			name:      "root user",
			principal: "arn:aws:iam::" + acct + ":root",
			want: summary{
				Principal: policy.Principal{ARN: "arn:aws:iam::" + acct + ":root", IAMARN: "arn:aws:iam::" + acct + ":root", Account: acct, Type: "Account", UserID: acct, OrgID: orgID, OrgPaths: prodPaths},
				OrgID:     orgID, Mgmt: mgmt, SessionKnown: true, SCP: prodSCP, RCP: prodRCP,
			},
		},
		{
			name:      "role of an account outside the organization",
			principal: "arn:aws:sts::012345678901:assumed-role/MyRole/x",
			want: summary{
				Principal: policy.Principal{ARN: "arn:aws:sts::012345678901:assumed-role/MyRole/x", IAMARN: "arn:aws:iam::012345678901:role/MyRole",
					Account: "012345678901", Type: "AssumedRole", UserID: "MyRole:x", SessionName: "x"},
				OrgID: orgID, Mgmt: mgmt,
				Identity: []string{"identity-policy|role/MyRole (inline EC2-IAM-example)||EC2-IAM-example"},
				SCPRead:  "unreadable:AccountNotInOrganization", RCPRead: "unreadable:AccountNotInOrganization",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := policy.NewRequest(tt.principal, "ec2:DescribeInstances", "*")
			req.Principal.Tags = tt.tags
			l, err := s.Layers(req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(l)); diff != "" {
				t.Errorf("Layers(%s) (-want +got):\n%s", tt.principal, diff)
			}
		})
	}
}

func userID(t *testing.T, s *Snapshot, name string) string {
	t.Helper()
	for _, u := range s.AuthorizationDetails.UserDetailList {
		if u.UserName == name {
			return u.UserID
		}
	}
	t.Fatalf("no user %s", name)
	return ""
}

func TestLayersPrincipalErrors(t *testing.T) {
	s := loadRealistic(t)
	tests := []struct {
		name      string
		principal string
		wantIs    error
		wantText  []string
	}{
		{"role not in snapshot", "arn:aws:sts::" + acct + ":assumed-role/NoSuchRole/jane", ErrPrincipalNotFound,
			[]string{"NoSuchRole", "capture the snapshot again"}},
		{"other account", "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane", ErrPrincipalNotFound,
			[]string{"123456789012", "snapshot covers account " + acct}},
		{"user not in snapshot", "arn:aws:iam::" + acct + ":user/nobody", ErrPrincipalNotFound, []string{"nobody"}},
		{"role ARN with a wrong path", "arn:aws:iam::" + acct + ":role/wrong/MyFederatedRole", ErrPrincipalNotFound, []string{"MyFederatedRole"}},
		{"not an ARN", "MyFederatedRole", errUnsupportedPrincipal, nil},
		{"group ARN", "arn:aws:iam::" + acct + ":group/admin", errUnsupportedPrincipal, nil},
		{"session without a name", "arn:aws:sts::" + acct + ":assumed-role/MyFederatedRole", errUnsupportedPrincipal, nil},
		{"no account", "arn:aws:sts:::assumed-role/MyFederatedRole/x", errUnsupportedPrincipal, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Layers(policy.NewRequest(tt.principal, "s3:GetObject", "*"))
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("Layers(%s) error = %v, want %v", tt.principal, err, tt.wantIs)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if _, err := s.Layers(policy.NewRequest("", "s3:GetObject", "*")); err == nil {
		t.Error("Layers with no principal: want an error")
	}
	if _, err := (&Snapshot{}).Layers(policy.NewRequest(fedRole, "s3:GetObject", "*")); err == nil {
		t.Error("Layers on an unindexed snapshot: want an error")
	}
}

func TestLayersResource(t *testing.T) {
	s := loadRealistic(t)
	const (
		bucket = "arn:aws:s3:::example-prod-artifacts-200611803367"
		key    = "arn:aws:kms:us-east-1:200611803367:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	)
	tests := []struct {
		name, action, resource         string
		wantResource, wantRead, wantAc string
		wantRCP                        []string
		wantRCPRead                    string
	}{
		{name: "bucket by exact ARN", action: "s3:ListBucket", resource: bucket,
			wantResource: "resource-policy|resource policy of " + bucket + "|" + bucket + "|", wantAc: acct, wantRCP: prodRCP},
		{name: "object ARN uses its bucket's policy", action: "s3:GetObject", resource: bucket + "/builds/app.tar.gz",
			wantResource: "resource-policy|resource policy of " + bucket + "|" + bucket + "|", wantAc: acct, wantRCP: prodRCP},
		{name: "unknown bucket: policy not captured, account unknown", action: "s3:GetObject", resource: "arn:aws:s3:::someone-elses-bucket/x",
			wantRead: "unreadable:" + CodeNotCaptured, wantRCP: prodRCP},
		{name: "KMS key policy", action: "kms:Decrypt", resource: key,
			wantResource: "resource-policy|resource policy of " + key + "|" + key + "|", wantAc: acct, wantRCP: prodRCP},
		{name: "KMS key not captured is unknown", action: "kms:Decrypt", resource: "arn:aws:kms:us-east-1:200611803367:key/00000000-0000-0000-0000-000000000000",
			wantRead: "unreadable:NotInSnapshot", wantAc: acct, wantRCP: prodRCP},
		{name: "trust policy for sts:AssumeRole", action: "sts:AssumeRole", resource: fedRole,
			wantResource: "resource-policy|role/MyFederatedRole (trust policy)|" + fedRole + "|AssumeRolePolicyDocument", wantAc: acct, wantRCP: prodRCP},
		{name: "trust policy for a role with a path, action in other case", action: "STS:assumeRoleWithSAML",
			resource:     "arn:aws:iam::200611803367:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ViewOnlyAccess_0ace44bbc7092ea8",
			wantResource: "resource-policy|role/AWSReservedSSO_ViewOnlyAccess_0ace44bbc7092ea8 (trust policy)|arn:aws:iam::200611803367:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ViewOnlyAccess_0ace44bbc7092ea8|AssumeRolePolicyDocument",
			wantAc:       acct, wantRCP: prodRCP},
		{name: "trust policy of a role not in the snapshot", action: "sts:AssumeRole", resource: "arn:aws:iam::200611803367:role/Nope",
			wantRead: "unreadable:NoSuchEntity", wantAc: acct, wantRCP: prodRCP},
		{name: "iam:GetRole on a role reads no trust policy", action: "iam:GetRole", resource: fedRole, wantAc: acct, wantRCP: prodRCP},
		{name: "cross-account resource not captured", action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-1:444455556666:queue",
			wantRead: "unreadable:NotInSnapshot", wantAc: "444455556666",
			wantRCP: []string{"ROOT r-7k2p: RCPFullAWSAccess,EnforceOrgIdentities", "ORGANIZATIONAL_UNIT ou-7k2p-5ecur1ty: RCPFullAWSAccess", "ACCOUNT 444455556666: RCPFullAWSAccess"}},
		{name: "resource in an account outside the organization", action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-1:999988887777:queue",
			wantRead: "unreadable:NotInSnapshot", wantAc: "999988887777", wantRCPRead: "unreadable:AccountNotInOrganization"},
		{name: "same-account resource without a policy", action: "ec2:RunInstances", resource: "arn:aws:ec2:us-east-1:200611803367:instance/*",
			wantAc: acct, wantRCP: prodRCP},
		{name: "no resource", action: "ec2:DescribeInstances", resource: "*", wantRCP: prodRCP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := s.Layers(policy.NewRequest("arn:aws:sts::"+acct+":assumed-role/MyFederatedRole/jane", tt.action, tt.resource))
			if err != nil {
				t.Fatal(err)
			}
			got := summarize(l)
			want := struct {
				Resource, Read, Account, RCPRead string
				RCP                              []string
			}{tt.wantResource, tt.wantRead, tt.wantAc, tt.wantRCPRead, tt.wantRCP}
			gotR := struct {
				Resource, Read, Account, RCPRead string
				RCP                              []string
			}{got.Resource, got.ResourceRead, got.ResourceAccount, got.RCPRead, got.RCP}
			if diff := cmp.Diff(want, gotR); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if l.Resource != nil && l.Resource.Document == nil {
				t.Error("resource source has no document")
			}
		})
	}
}

// TestDefaultVersion checks that the default version, not the first or
// latest listed, is the one used
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html).
func TestDefaultVersion(t *testing.T) {
	s := loadRealistic(t)
	l, err := s.Layers(policy.NewRequest(fedRole, "ec2:RunInstances", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, src := range l.Identity {
		if src.Name == "federated-ec2-launch" {
			got = src.Document.Statements[0].ID()
		}
	}
	if got != "LaunchInstances" {
		t.Errorf("federated-ec2-launch first statement = %q, want LaunchInstances (v2, the default)", got)
	}

	tests := []struct {
		name     string
		versions string
		wantSid  string
		wantErr  bool
	}{
		{"flag wins over list order", `[{"Document":{"Version":"2012-10-17","Statement":[{"Sid":"Old","Effect":"Allow","Action":"s3:*","Resource":"*"}]},"VersionId":"v1","IsDefaultVersion":false},
			{"Document":{"Version":"2012-10-17","Statement":[{"Sid":"New","Effect":"Allow","Action":"s3:*","Resource":"*"}]},"VersionId":"v2","IsDefaultVersion":true}]`, "New", false},
		{"DefaultVersionId when no flag is set", `[{"Document":{"Version":"2012-10-17","Statement":[{"Sid":"Old","Effect":"Allow","Action":"s3:*","Resource":"*"}]},"VersionId":"v1"},
			{"Document":{"Version":"2012-10-17","Statement":[{"Sid":"New","Effect":"Allow","Action":"s3:*","Resource":"*"}]},"VersionId":"v2"}]`, "New", false},
		{"no default version", `[{"Document":{"Version":"2012-10-17","Statement":[{"Sid":"Old","Effect":"Allow","Action":"s3:*","Resource":"*"}]},"VersionId":"v1"}]`, "", true},
		{"two default versions", `[{"Document":{"Version":"2012-10-17","Statement":[{"Sid":"Old","Effect":"Allow","Action":"s3:*","Resource":"*"}]},"VersionId":"v1","IsDefaultVersion":true},
			{"Document":{"Version":"2012-10-17","Statement":[{"Sid":"New","Effect":"Allow","Action":"s3:*","Resource":"*"}]},"VersionId":"v2","IsDefaultVersion":true}]`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js := `{"RoleDetailList":[{"Path":"/","RoleName":"R","RoleId":"AROAEXAMPLE","Arn":"arn:aws:iam::123456789012:role/R",
				"AttachedManagedPolicies":[{"PolicyName":"P","PolicyArn":"arn:aws:iam::123456789012:policy/P"}]}],
				"Policies":[{"PolicyName":"P","Arn":"arn:aws:iam::123456789012:policy/P","DefaultVersionId":"v2","PolicyVersionList":` + tt.versions + `}]}`
			s, err := Load(strings.NewReader(js))
			if tt.wantErr {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "arn:aws:iam::123456789012:policy/P") {
					t.Fatalf("Load error = %v, want ErrInvalid naming the policy", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			l, err := s.Layers(policy.NewRequest("arn:aws:iam::123456789012:role/R", "s3:GetObject", "*"))
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Identity[0].Document.Statements[0].Sid; got != tt.wantSid {
				t.Errorf("Sid = %q, want %q", got, tt.wantSid)
			}
		})
	}
}
