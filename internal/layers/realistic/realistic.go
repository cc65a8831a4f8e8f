// Package realistic builds the realistic benchmark snapshot of
// internal/layers (testdata/realistic/snapshot.json there): the
// cloudsplaining example account (testdata/gaad/cloudsplaining-example.json)
// as authorization details, plus the incident's MyFederatedRole, a
// three-level organization with typical SCPs and RCPs, resource policies
// and a session policy. The committed snapshot is written by
//
//	go generate ./internal/layers/realistic
//
// (which runs ./gen), and TestCommittedMatchesGenerated checks that it is
// what Snapshot builds.
package realistic

//go:generate go run ./gen -gaad ../testdata/gaad/cloudsplaining-example.json -o ../testdata/realistic/snapshot.json

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/iamdiag/iamdiag/internal/layers"
)

const (
	account    = "200611803367" // the fixture's account
	management = "111122223333"
	security   = "444455556666"
	orgID      = "o-7k2p9x4m1q"
	root       = "r-7k2p"
	ouWork     = "ou-7k2p-w0rk1oad"
	ouProd     = "ou-7k2p-pr0dq4m8"
	ouSecurity = "ou-7k2p-5ecur1ty"
)

// Snapshot returns the snapshot file built from gaad, the output of
// aws iam get-account-authorization-details of the cloudsplaining example
// account. The output is deterministic.
func Snapshot(gaad []byte) ([]byte, error) {
	var d layers.AuthorizationDetails
	if err := json.Unmarshal(gaad, &d); err != nil {
		return nil, fmt.Errorf("decoding authorization details: %w", err)
	}
	addFederatedRole(&d)
	s := &layers.Snapshot{
		Format:               layers.Format,
		CapturedAt:           time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC),
		AccountID:            account,
		AuthorizationDetails: d,
		Organization:         organization(),
		ResourcePolicies: []layers.ResourcePolicy{
			{ARN: "arn:aws:s3:::example-prod-artifacts-" + account, Policy: raw(bucketPolicy)},
			{ARN: "arn:aws:kms:us-east-1:" + account + ":key/1234abcd-12ab-34cd-56ef-1234567890ab", Policy: raw(keyPolicy)},
		},
		SessionPolicies: map[string]layers.RawPolicy{
			"arn:aws:sts::" + account + ":assumed-role/MyFederatedRole/ci-deploy": raw(sessionPolicy),
		},
	}
	// Index validates every document before the file is written.
	if err := s.Index(); err != nil {
		return nil, fmt.Errorf("indexing the snapshot: %w", err)
	}
	return s.Marshal()
}

// raw returns a policy stored as a JSON object.
func raw(doc string) layers.RawPolicy {
	return layers.RawPolicy{JSON: json.RawMessage(compact(doc))}
}

// encoded returns a policy stored URL-encoded, as the raw IAM API returns it.
func encoded(doc string) layers.RawPolicy {
	s, _ := json.Marshal(strings.ReplaceAll(url.QueryEscape(compact(doc)), "+", "%20"))
	return layers.RawPolicy{JSON: s}
}

func compact(doc string) string {
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		panic(fmt.Sprintf("realistic: invalid built-in policy: %v\n%s", err, doc))
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func addFederatedRole(d *layers.AuthorizationDetails) {
	launchV1 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	launchV2 := `{"Version":"2012-10-17","Statement":[{"Sid":"LaunchInstances","Effect":"Allow","Action":["ec2:RunInstances","ec2:DescribeImages","ec2:DescribeSubnets","ec2:DescribeSecurityGroups","ec2:DescribeKeyPairs","ec2:CreateTags"],"Resource":"*"}]}`
	boundary := `{"Version":"2012-10-17","Statement":[
		{"Sid":"WorkloadServices","Effect":"Allow","Action":["ec2:*","s3:*","kms:Decrypt","kms:GenerateDataKey","logs:*","cloudwatch:*","ssm:Get*","sts:GetCallerIdentity"],"Resource":"*"},
		{"Sid":"NoIAMWrites","Effect":"Deny","Action":["iam:Create*","iam:Put*","iam:Attach*","iam:Delete*"],"Resource":"*"}]}`
	d.Policies = append(d.Policies,
		layers.ManagedPolicy{
			PolicyName: "federated-ec2-launch", PolicyID: "ANPAS5NLFGDTFEDLAUNCH", Arn: "arn:aws:iam::" + account + ":policy/federated-ec2-launch",
			Path: "/", DefaultVersionID: "v2", AttachmentCount: 1, IsAttachable: true,
			CreateDate: "2026-10-01 09:00:00+00:00", UpdateDate: "2026-11-20 16:30:00+00:00",
			PolicyVersionList: []layers.PolicyVersion{
				{Document: raw(launchV2), VersionID: "v2", IsDefaultVersion: true, CreateDate: "2026-11-20 16:30:00+00:00"},
				{Document: raw(launchV1), VersionID: "v1", CreateDate: "2026-10-01 09:00:00+00:00"},
			},
		},
		layers.ManagedPolicy{
			PolicyName: "workload-permissions-boundary", PolicyID: "ANPAS5NLFGDTWLBOUNDRY", Arn: "arn:aws:iam::" + account + ":policy/workload-permissions-boundary",
			Path: "/", DefaultVersionID: "v1", PermissionsBoundaryUsageCount: 1, IsAttachable: true,
			CreateDate: "2026-10-01 09:00:00+00:00", UpdateDate: "2026-10-01 09:00:00+00:00",
			PolicyVersionList: []layers.PolicyVersion{{Document: raw(boundary), VersionID: "v1", IsDefaultVersion: true, CreateDate: "2026-10-01 09:00:00+00:00"}},
		},
	)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::` + account + `:saml-provider/CorpIdP"},"Action":["sts:AssumeRoleWithSAML","sts:TagSession"],"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`
	inline := `{"Version":"2012-10-17","Statement":[{"Sid":"ReadArtifacts","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::example-prod-artifacts-` + account + `","arn:aws:s3:::example-prod-artifacts-` + account + `/*"]}]}`
	d.RoleDetailList = append(d.RoleDetailList, layers.Role{
		Path: "/", RoleName: "MyFederatedRole", RoleID: "AROAS5NLFGDTMYFEDROLE", Arn: "arn:aws:iam::" + account + ":role/MyFederatedRole",
		CreateDate:               "2026-10-01 09:00:00+00:00",
		AssumeRolePolicyDocument: encoded(trust),
		InstanceProfileList:      []layers.InstanceProfile{},
		RolePolicyList:           []layers.InlinePolicy{{PolicyName: "read-artifacts", PolicyDocument: encoded(inline)}},
		AttachedManagedPolicies: []layers.AttachedPolicy{
			{PolicyName: "federated-ec2-launch", PolicyArn: "arn:aws:iam::" + account + ":policy/federated-ec2-launch"},
			{PolicyName: "ReadOnlyAccess", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"},
		},
		PermissionsBoundary: &layers.PermissionsBoundary{PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: "arn:aws:iam::" + account + ":policy/workload-permissions-boundary"},
		Tags:                []layers.Tag{{Key: "team", Value: "platform"}, {Key: "access", Value: "federated"}},
		RoleLastUsed:        &layers.RoleLastUsed{LastUsedDate: "2026-11-26 09:58:12+00:00", Region: "us-east-1"},
	})
}

func scpARN(id string) string {
	return "arn:aws:organizations::" + management + ":policy/" + orgID + "/service_control_policy/" + id
}

func rcpARN(id string) string {
	return "arn:aws:organizations::" + management + ":policy/" + orgID + "/resource_control_policy/" + id
}

func organization() *layers.Organization {
	all := []string{root, ouWork, ouProd, ouSecurity, account, management, security}
	return &layers.Organization{
		ID: orgID, ManagementAccountID: management,
		Nodes: []layers.OrgNode{
			{ID: root, Type: layers.NodeRoot, Name: "Root"},
			{ID: management, Type: layers.NodeAccount, Parent: root, Name: "management"},
			{ID: ouSecurity, Type: layers.NodeOU, Parent: root, Name: "Security"},
			{ID: security, Type: layers.NodeAccount, Parent: ouSecurity, Name: "security-tooling"},
			{ID: ouWork, Type: layers.NodeOU, Parent: root, Name: "Workloads"},
			{ID: ouProd, Type: layers.NodeOU, Parent: ouWork, Name: "Prod"},
			{ID: account, Type: layers.NodeAccount, Parent: ouProd, Name: "prod-app"},
		},
		Policies: []layers.OrgPolicy{
			{ID: "p-FullAWSAccess", ARN: "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess", Name: "FullAWSAccess",
				Type: layers.PolicyTypeSCP, AWSManaged: true, Targets: all,
				Content: raw(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)},
			{ID: "p-denyleave01", ARN: scpARN("p-denyleave01"), Name: "DenyLeaveOrganization", Type: layers.PolicyTypeSCP, Targets: []string{root},
				Content: raw(`{"Version":"2012-10-17","Statement":[{"Sid":"DenyLeaveOrganization","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`)},
			{ID: "p-protectsec1", ARN: scpARN("p-protectsec1"), Name: "ProtectSecurityTooling", Type: layers.PolicyTypeSCP, Targets: []string{root},
				Content: raw(`{"Version":"2012-10-17","Statement":[
					{"Sid":"ProtectAuditServices","Effect":"Deny",
					 "Action":["cloudtrail:StopLogging","cloudtrail:DeleteTrail","cloudtrail:UpdateTrail","cloudtrail:PutEventSelectors",
					           "guardduty:DeleteDetector","guardduty:UpdateDetector","guardduty:DisassociateFromMasterAccount",
					           "config:DeleteConfigurationRecorder","config:StopConfigurationRecorder","securityhub:DisableSecurityHub"],
					 "Resource":"*",
					 "Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/security-tooling/*"}}},
					{"Sid":"ProtectSecurityRoles","Effect":"Deny","Action":"iam:*",
					 "Resource":"arn:aws:iam::*:role/security-tooling/*",
					 "Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/security-tooling/*"}}}]}`)},
			{ID: "p-regionguard", ARN: scpARN("p-regionguard"), Name: "DenyOutsideApprovedRegions", Type: layers.PolicyTypeSCP, Targets: []string{ouWork},
				Content: raw(`{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideApprovedRegions","Effect":"Deny",
					"NotAction":["iam:*","organizations:*","sts:*","support:*","route53:*","cloudfront:*","budgets:*","waf:*","health:*","account:*","sso:*","ce:*"],
					"Resource":"*",
					"Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]},
					             "ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/security-tooling/*"}}}]}`)},
			{ID: "p-denyec2prod", ARN: scpARN("p-denyec2prod"), Name: "DenyEC2", Type: layers.PolicyTypeSCP, Targets: []string{ouProd},
				Content: raw(`{"Version":"2012-10-17","Statement":[{"Sid":"NoEC2","Effect":"Deny","Action":"ec2:*","Resource":"*",
					"Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/platform-ec2-*"}}}]}`)},
			{ID: "p-RCPFullAWSAccess", ARN: "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess", Name: "RCPFullAWSAccess",
				Type: layers.PolicyTypeRCP, AWSManaged: true, Targets: all,
				Content: raw(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)},
			{ID: "p-rcporgident", ARN: rcpARN("p-rcporgident"), Name: "EnforceOrgIdentities", Type: layers.PolicyTypeRCP, Targets: []string{root},
				Content: raw(`{"Version":"2012-10-17","Statement":[{"Sid":"EnforceOrgIdentities","Effect":"Deny","Principal":"*",
					"Action":["s3:*","sqs:*","kms:*","secretsmanager:*","sts:AssumeRole"],"Resource":"*",
					"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"` + orgID + `"},
					             "BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`)},
			{ID: "p-rcptlsonly", ARN: rcpARN("p-rcptlsonly"), Name: "EnforceSecureTransport", Type: layers.PolicyTypeRCP, Targets: []string{ouWork},
				Content: raw(`{"Version":"2012-10-17","Statement":[{"Sid":"EnforceSecureTransport","Effect":"Deny","Principal":"*",
					"Action":["s3:*","sqs:*","kms:*","secretsmanager:*","sts:*"],"Resource":"*",
					"Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}]}`)},
			{ID: "p-tagpolicy01", ARN: "arn:aws:organizations::" + management + ":policy/" + orgID + "/tag_policy/p-tagpolicy01", Name: "CostCenterTags",
				Type: "TAG_POLICY", Targets: []string{root},
				Content: raw(`{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"}}}}`)},
		},
	}
}

const bucketPolicy = `{"Version":"2012-10-17","Statement":[
	{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",
	 "Resource":["arn:aws:s3:::example-prod-artifacts-` + account + `","arn:aws:s3:::example-prod-artifacts-` + account + `/*"],
	 "Condition":{"Bool":{"aws:SecureTransport":"false"}}},
	{"Sid":"AllowDeployRoleRead","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:role/MyFederatedRole"},
	 "Action":["s3:GetObject","s3:ListBucket"],
	 "Resource":["arn:aws:s3:::example-prod-artifacts-` + account + `","arn:aws:s3:::example-prod-artifacts-` + account + `/*"]}]}`

const keyPolicy = `{"Version":"2012-10-17","Id":"key-default-1","Statement":[
	{"Sid":"EnableIAMUserPermissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"kms:*","Resource":"*"},
	{"Sid":"AllowUseByFederatedRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:role/MyFederatedRole"},
	 "Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*",
	 "Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}]}`

const sessionPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"DeployOnly","Effect":"Allow","Action":["s3:GetObject","ec2:Describe*"],"Resource":"*"}]}`
