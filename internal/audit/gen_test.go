package audit

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/iamdiag/iamdiag/internal/layers"
)

// genAccount builds an indexed snapshot of one account with roles roles,
// 2*roles customer managed policies, roles/20 users and an organization,
// in a realistic mix: most policies scoped to a few buckets, tables and
// queues; some with ec2:RunInstances, iam:PassRole or service wildcards; a
// few admin-like; trust policies for services, SAML and OIDC federation and
// other accounts; boundaries on some roles; instance profiles on 5%; SCPs
// with an unconditional deny, a region restriction and a guard-rail list.
// The same seed gives the same account.
func genAccount(tb testing.TB, roles int, seed uint64) *layers.Snapshot {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	const acct = "123456789012"
	raw := func(js string) layers.RawPolicy {
		r, err := layers.NewRawPolicy([]byte(js))
		if err != nil {
			tb.Fatalf("generated policy does not parse: %v\n%s", err, js)
		}
		return r
	}
	buckets := func(n int) string {
		var out []string
		for range n {
			b := fmt.Sprintf("data-%04d", rng.IntN(5000))
			out = append(out, fmt.Sprintf(`"arn:aws:s3:::%s","arn:aws:s3:::%s/*"`, b, b))
		}
		return strings.Join(out, ",")
	}
	statement := func(i int) string {
		switch k := rng.IntN(100); {
		case k < 35:
			return fmt.Sprintf(`{"Sid":"S3Data%d","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],"Resource":[%s]}`, i, buckets(1+rng.IntN(3)))
		case k < 50:
			return fmt.Sprintf(`{"Sid":"Table%d","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:Query","dynamodb:UpdateItem"],"Resource":"arn:aws:dynamodb:us-east-1:%s:table/t-%d"}`, i, acct, rng.IntN(3000))
		case k < 60:
			return fmt.Sprintf(`{"Effect":"Allow","Action":["sqs:SendMessage","sqs:ReceiveMessage","sqs:DeleteMessage"],"Resource":"arn:aws:sqs:us-east-1:%s:q-%d"}`, acct, rng.IntN(3000))
		case k < 68:
			return `{"Effect":"Allow","Action":["ec2:Describe*","cloudwatch:GetMetricData","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}`
		case k < 74:
			return fmt.Sprintf(`{"Sid":"Launch%d","Effect":"Allow","Action":["ec2:RunInstances","ec2:CreateTags"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1","ec2:InstanceType":["t3.medium","t3.large"]}}}`, i)
		case k < 78:
			return `{"Effect":"Allow","Action":["ec2:RunInstances","ec2:DescribeImages","ec2:DescribeSubnets"],"Resource":"*"}`
		case k < 83:
			return fmt.Sprintf(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::%s:role/app-*","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}`, acct)
		case k < 86:
			return `{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}`
		case k < 91:
			svc := []string{"lambda", "sns", "kms", "ecr", "cloudformation"}[rng.IntN(5)]
			return fmt.Sprintf(`{"Effect":"Allow","Action":"%s:*","Resource":"*"}`, svc)
		case k < 94:
			return `{"Effect":"Allow","Action":["iam:GetRole","iam:ListRoles","iam:PutRolePolicy","iam:AttachRolePolicy"],"Resource":"*"}`
		case k < 95:
			return `{"Effect":"Allow","Action":"*","Resource":"*"}`
		case k < 97:
			return `{"Effect":"Allow","Action":"ec2:*","Resource":"*"}`
		default:
			return `{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}`
		}
	}
	document := func() string {
		n := 1 + rng.IntN(4)
		sts := make([]string, n)
		for i := range sts {
			sts[i] = statement(i)
		}
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(sts, ",") + `]}`
	}
	s := &layers.Snapshot{Format: layers.Format, AccountID: acct}
	d := &s.AuthorizationDetails
	npol := 2 * roles
	boundaries := []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","dynamodb:*","sqs:*","logs:*","ec2:Describe*","cloudwatch:*"],"Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":["iam:CreateUser","iam:PutRolePermissionsBoundary","iam:DeleteRolePermissionsBoundary"],"Resource":"*"}]}`,
	}
	policyARN := func(i int) string { return fmt.Sprintf("arn:aws:iam::%s:policy/p-%05d", acct, i) }
	for i := range npol {
		js := document()
		if i < len(boundaries) {
			js = boundaries[i]
		}
		d.Policies = append(d.Policies, layers.ManagedPolicy{
			PolicyName: fmt.Sprintf("p-%05d", i), PolicyID: fmt.Sprintf("ANPA%016d", i), Arn: policyARN(i), Path: "/",
			DefaultVersionID: "v1", IsAttachable: true,
			PolicyVersionList: []layers.PolicyVersion{{Document: raw(js), VersionID: "v1", IsDefaultVersion: true}},
		})
	}
	trusts := []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/CorpIdP"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"sts:AssumeRole"}]}`,
	}
	for i := range roles {
		name := fmt.Sprintf("role-%05d", i)
		if i%7 == 0 {
			name = fmt.Sprintf("app-%05d", i)
		}
		arn := fmt.Sprintf("arn:aws:iam::%s:role/%s", acct, name)
		r := layers.Role{Path: "/", RoleName: name, RoleID: fmt.Sprintf("AROA%016d", i), Arn: arn,
			AssumeRolePolicyDocument: raw(trusts[rng.IntN(len(trusts))])}
		for range 1 + rng.IntN(3) {
			j := len(boundaries) + rng.IntN(npol-len(boundaries))
			r.AttachedManagedPolicies = append(r.AttachedManagedPolicies, layers.AttachedPolicy{PolicyName: fmt.Sprintf("p-%05d", j), PolicyArn: policyARN(j)})
		}
		if rng.IntN(10) < 3 {
			r.RolePolicyList = []layers.InlinePolicy{{PolicyName: "inline", PolicyDocument: raw(document())}}
		}
		if rng.IntN(10) < 2 {
			b := rng.IntN(len(boundaries))
			r.PermissionsBoundary = &layers.PermissionsBoundary{PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: policyARN(b)}
		}
		if rng.IntN(100) < 5 {
			r.InstanceProfileList = []layers.InstanceProfile{{Path: "/", InstanceProfileName: name + "-profile",
				InstanceProfileID: fmt.Sprintf("AIPA%016d", i), Arn: fmt.Sprintf("arn:aws:iam::%s:instance-profile/%s-profile", acct, name),
				Roles: []layers.InstanceProfileRole{{Path: "/", RoleName: name, RoleID: r.RoleID, Arn: arn}}}}
		}
		d.RoleDetailList = append(d.RoleDetailList, r)
	}
	for i := range roles / 20 {
		name := fmt.Sprintf("user-%04d", i)
		u := layers.User{Path: "/", UserName: name, UserID: fmt.Sprintf("AIDA%016d", i), Arn: fmt.Sprintf("arn:aws:iam::%s:user/%s", acct, name)}
		j := len(boundaries) + rng.IntN(npol-len(boundaries))
		u.AttachedManagedPolicies = []layers.AttachedPolicy{{PolicyName: fmt.Sprintf("p-%05d", j), PolicyArn: policyARN(j)}}
		d.UserDetailList = append(d.UserDetailList, u)
	}
	s.Organization = &layers.Organization{ID: "o-abc", ManagementAccountID: "999999999999",
		Nodes: []layers.OrgNode{{ID: "r-ab12", Type: layers.NodeRoot}, {ID: "ou-ab12-workloads", Type: layers.NodeOU, Parent: "r-ab12", Name: "Workloads"},
			{ID: acct, Type: layers.NodeAccount, Parent: "ou-ab12-workloads"}},
		Policies: []layers.OrgPolicy{
			{ID: "p-FullAWSAccess", ARN: "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess", Name: "FullAWSAccess",
				Type: layers.PolicyTypeSCP, AWSManaged: true, Targets: []string{"r-ab12", "ou-ab12-workloads", acct},
				Content: raw(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)},
			{ID: "p-guardrails", ARN: "arn:aws:organizations::999999999999:policy/o-abc/service_control_policy/p-guardrails", Name: "Guardrails",
				Type: layers.PolicyTypeSCP, Targets: []string{"r-ab12"},
				Content: raw(`{"Version":"2012-10-17","Statement":[{"Sid":"NoLeaving","Effect":"Deny","Action":["organizations:LeaveOrganization","cloudtrail:StopLogging","cloudtrail:DeleteTrail"],"Resource":"*"},{"Sid":"RegionLock","Effect":"Deny","NotAction":["iam:*","sts:*","organizations:*","cloudfront:*","route53:*","support:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}}]}`)},
			{ID: "p-noecs", ARN: "arn:aws:organizations::999999999999:policy/o-abc/service_control_policy/p-nosns", Name: "DenySNSAndKMSDelete",
				Type: layers.PolicyTypeSCP, Targets: []string{"ou-ab12-workloads"},
				Content: raw(`{"Version":"2012-10-17","Statement":[{"Sid":"NoSNS","Effect":"Deny","Action":"sns:*","Resource":"*"},{"Sid":"NoKeyDeletion","Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*"}]}`)},
		}}
	if err := s.Index(); err != nil {
		tb.Fatalf("indexing the generated account: %v", err)
	}
	return s
}
