package fakeaws

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/awserr"
)

// setFakeEnv points the SDK's default configuration at u, the way the live
// tests of cmd and layers do: AWS_ENDPOINT_URL for every service, static
// keys, a region, no instance metadata, no shared files from the machine.
func setFakeEnv(t *testing.T, u string) {
	for k, v := range Env(u, testKey, t.TempDir()) {
		t.Setenv(k, v)
	}
	t.Setenv("AWS_MAX_ATTEMPTS", "3")
}

// TestDefaultConfigThroughEnvironment drives every client built from
// config.LoadDefaultConfig with AWS_ENDPOINT_URL, S3 included without
// UsePathStyle: the SDK addresses buckets path-style on an IP endpoint.
func TestDefaultConfigThroughEnvironment(t *testing.T) {
	srv, u := serve(t, parseSnapshot(t, scenarioSnapshot(t)), Options{})
	setFakeEnv(t, u)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := clients{
		iam: iam.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg), org: organizations.NewFromConfig(cfg),
		s3: s3.NewFromConfig(cfg), kms: kms.NewFromConfig(cfg),
	}
	for _, oc := range oneOfEach {
		if err := oc.call(ctx, c); err != nil {
			t.Errorf("%s: %v", oc.op, err)
		}
	}
	for _, call := range srv.Log() {
		if call.AccessKeyID != testKey || call.Status != 200 {
			t.Errorf("%s %s: status %d, key %q", call.Service, call.Op, call.Status, call.AccessKeyID)
		}
	}
}

// TestPerServiceEndpoint: AWS_ENDPOINT_URL_<SERVICE> wins over
// AWS_ENDPOINT_URL, so one service can be sent to another fake.
func TestPerServiceEndpoint(t *testing.T) {
	main, u := serve(t, parseSnapshot(t, simSnapshot), Options{})
	other, u2 := serve(t, parseSnapshot(t, simSnapshot), Options{})
	setFakeEnv(t, u)
	t.Setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", u2)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := organizations.NewFromConfig(cfg).ListRoots(ctx, &organizations.ListRootsInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"GetCallerIdentity": 1}, main.Calls()); diff != "" {
		t.Errorf("main server calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"ListRoots": 1}, other.Calls()); diff != "" {
		t.Errorf("organizations server calls (-want +got):\n%s", diff)
	}
}

// TestResourcePolicyErrors: a bucket without a policy and an unknown key.
func TestResourcePolicyErrors(t *testing.T) {
	_, u := serve(t, parseSnapshot(t, scenarioSnapshot(t)), Options{})
	c := newClients(awsConfig(u))
	ctx := context.Background()
	_, err := c.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("no-policy")})
	if got := awserr.Code(err); got != "NoSuchBucketPolicy" || httpStatus(err) != 404 {
		t.Errorf("GetBucketPolicy without a policy: %v (code %q)", err, got)
	}
	_, err = c.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String("arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000")})
	var nf *kmstypes.NotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("GetKeyPolicy of an unknown key: %v, want *types.NotFoundException", err)
	}
	p, err := c.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(p.PolicyName) != "default" || canonical(t, aws.ToString(p.Policy)) == nil {
		t.Errorf("GetKeyPolicy by ARN: %q %q", aws.ToString(p.PolicyName), aws.ToString(p.Policy))
	}
}

// TestOrganizationsOperations lists and describes every entity one item
// per page and checks the answers against the snapshot.
func TestOrganizationsOperations(t *testing.T) {
	snap := parseSnapshot(t, simSnapshot)
	_, u := serve(t, snap, Options{PageSize: 1})
	c := newClients(awsConfig(u)).org
	ctx := context.Background()

	var accounts []string
	ap := organizations.NewListAccountsPaginator(c, &organizations.ListAccountsInput{})
	for p := range allPages(t, ctx, ap.HasMorePages, ap.NextPage) {
		for _, a := range p.Accounts {
			accounts = append(accounts, aws.ToString(a.Id)+" "+aws.ToString(a.Arn))
		}
	}
	if diff := cmp.Diff([]string{
		"111122223333 arn:aws:organizations::999999999999:account/o-abcdefghij/111122223333",
		"999999999999 arn:aws:organizations::999999999999:account/o-abcdefghij/999999999999",
	}, accounts); diff != "" {
		t.Errorf("ListAccounts (-want +got):\n%s", diff)
	}

	var ous []string
	op := organizations.NewListOrganizationalUnitsForParentPaginator(c, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String("r-ab12")})
	for p := range allPages(t, ctx, op.HasMorePages, op.NextPage) {
		for _, o := range p.OrganizationalUnits {
			ous = append(ous, aws.ToString(o.Id)+" "+aws.ToString(o.Name))
		}
	}
	if diff := cmp.Diff([]string{"ou-ab12-workload Workloads"}, ous); diff != "" {
		t.Errorf("ListOrganizationalUnitsForParent (-want +got):\n%s", diff)
	}

	parents, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("111122223333")})
	if err != nil {
		t.Fatal(err)
	}
	if len(parents.Parents) != 1 || aws.ToString(parents.Parents[0].Id) != "ou-ab12-workload" || parents.Parents[0].Type != orgtypes.ParentTypeOrganizationalUnit {
		t.Errorf("ListParents = %+v", parents.Parents)
	}

	var targets []string
	tp := organizations.NewListTargetsForPolicyPaginator(c, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String("p-FullAWSAccess")})
	for p := range allPages(t, ctx, tp.HasMorePages, tp.NextPage) {
		for _, tg := range p.Targets {
			targets = append(targets, aws.ToString(tg.TargetId)+" "+string(tg.Type))
		}
	}
	if diff := cmp.Diff([]string{"r-ab12 ROOT", "ou-ab12-workload ORGANIZATIONAL_UNIT", "111122223333 ACCOUNT", "999999999999 ACCOUNT"}, targets); diff != "" {
		t.Errorf("ListTargetsForPolicy (-want +got):\n%s", diff)
	}

	var scps []string
	pp := organizations.NewListPoliciesPaginator(c, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeServiceControlPolicy})
	for p := range allPages(t, ctx, pp.HasMorePages, pp.NextPage) {
		for _, s := range p.Policies {
			scps = append(scps, aws.ToString(s.Name))
		}
	}
	if diff := cmp.Diff([]string{"FullAWSAccess", "DenyEC2"}, scps); diff != "" {
		t.Errorf("ListPolicies (-want +got):\n%s", diff)
	}

	// Content is JSON text whether the snapshot holds an object or a
	// string.
	for _, id := range []string{"p-FullAWSAccess", "p-denyec2"} {
		d, err := c.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if canonical(t, aws.ToString(d.Policy.Content)) == nil || aws.ToString(d.Policy.PolicySummary.Id) != id {
			t.Errorf("DescribePolicy %s = %+v", id, d.Policy)
		}
	}

	acct, err := c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("111122223333")})
	if err != nil || acct.Account.Status != orgtypes.AccountStatusActive || acct.Account.JoinedTimestamp == nil {
		t.Errorf("DescribeAccount = %+v, %v", acct, err)
	}
	roots, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil || len(roots.Roots) != 1 || len(roots.Roots[0].PolicyTypes) != 1 || roots.Roots[0].PolicyTypes[0].Type != orgtypes.PolicyTypeServiceControlPolicy {
		t.Errorf("ListRoots = %+v, %v: want one root with SCPs (only) enabled", roots, err)
	}

	errs := []struct {
		name string
		call func() error
		code string
	}{
		{"ListParents of an unknown account", func() error {
			_, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("123456789012")})
			return err
		}, "ChildNotFoundException"},
		{"ListParents of the root", func() error {
			_, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("r-ab12")})
			return err
		}, "InvalidInputException"},
		{"ListPoliciesForTarget of an unknown target", func() error {
			_, err := c.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String("ou-ab12-nothere1"), Filter: orgtypes.PolicyTypeServiceControlPolicy})
			return err
		}, "TargetNotFoundException"},
		{"DescribePolicy of an unknown policy", func() error {
			_, err := c.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String("p-nothere1")})
			return err
		}, "PolicyNotFoundException"},
		{"ListChildren of an account", func() error {
			_, err := c.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String("111122223333"), ChildType: orgtypes.ChildTypeAccount})
			return err
		}, "InvalidInputException"},
		{"forged NextToken", func() error {
			_, err := c.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: aws.String("forged")})
			return err
		}, "InvalidInputException"},
		{"DescribeOrganizationalUnit of an unknown OU", func() error {
			_, err := c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String("ou-ab12-nothere1")})
			return err
		}, "OrganizationalUnitNotFoundException"},
		{"DescribeAccount of an unknown account", func() error {
			_, err := c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("123456789012")})
			return err
		}, "AccountNotFoundException"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			if got := awserr.Code(tc.call()); got != tc.code {
				t.Errorf("code %q, want %q", got, tc.code)
			}
		})
	}
}
