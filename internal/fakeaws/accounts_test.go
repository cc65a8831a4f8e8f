package fakeaws

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/layers"
)

// The accounts of testdata/org: the seed incident's member account, the
// management account, a data account holding a bucket, and a sandbox
// without the reader role.
const (
	mgmtAcct     = "999999999999"
	workloadAcct = "123456789012"
	dataAcct     = "222233334444"
	sandboxAcct  = "333344445555"
	memberKey    = "AKIAWORKLOADONCALL01"
	memberCaller = "arn:aws:iam::123456789012:user/oncall"
)

// serveOrg serves testdata/org with the member key of an on-call user in
// the workloads account.
func serveOrg(t testing.TB, opts OrgOptions) (*Org, string) {
	t.Helper()
	var snaps []*layers.Snapshot
	for _, n := range []string{"management", "workloads", "data", "sandbox"} {
		snaps = append(snaps, loadSnapshot(t, filepath.Join("testdata", "org", n+".json")))
	}
	if opts.Keys == nil {
		opts.Keys = map[string]string{memberKey: memberCaller}
	}
	o := NewOrg(snaps, opts)
	u := o.Start()
	t.Cleanup(o.Close)
	return o, u
}

// orgConfig signs with key at u.
func orgConfig(u, key string) aws.Config {
	cfg := awsConfig(u)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(key, "fake-secret", "")
	return cfg
}

// assumed is cfg with the credentials of roleARN assumed through cfg.
func assumed(cfg aws.Config, roleARN, externalID string) aws.Config {
	c := cfg.Copy()
	c.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "iamdiag-test"
		if externalID != "" {
			o.ExternalID = aws.String(externalID)
		}
	}))
	return c
}

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return ""
}

func TestOrgAnswersFromTheSignersAccount(t *testing.T) {
	ctx := context.Background()
	o, u := serveOrg(t, OrgOptions{ExternalID: "iamdiag-test"})
	member := orgConfig(u, memberKey)
	reader := func(acct string) aws.Config {
		return assumed(member, "arn:aws:iam::"+acct+":role/iamdiag-reader", "iamdiag-test")
	}
	orgReader := assumed(member, "arn:aws:iam::"+mgmtAcct+":role/OrganizationsReader", "iamdiag-test")

	type check struct {
		name string
		call func() error
		want string // the error code, "" for success
	}
	getRole := func(cfg aws.Config, name string) func() error {
		return func() error {
			_, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
			return err
		}
	}
	bucketPolicy := func(cfg aws.Config) func() error {
		return func() error {
			_, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("data-prod-exports")})
			return err
		}
	}
	listAccounts := func(cfg aws.Config) func() error {
		return func() error {
			_, err := organizations.NewFromConfig(cfg).ListAccounts(ctx, &organizations.ListAccountsInput{})
			return err
		}
	}
	listAdmins := func(cfg aws.Config) func() error {
		return func() error {
			_, err := organizations.NewFromConfig(cfg).ListDelegatedAdministrators(ctx, &organizations.ListDelegatedAdministratorsInput{})
			return err
		}
	}
	tests := []check{
		{"member reads its own role", getRole(member, "MyFederatedRole"), ""},
		{"member's role unknown in the data account", getRole(reader(dataAcct), "MyFederatedRole"), "NoSuchEntity"},
		{"data account's reader role through AssumeRole", getRole(reader(dataAcct), "iamdiag-reader"), ""},
		{"another account's bucket is denied", bucketPolicy(member), "AccessDenied"},
		{"the bucket's own account reads its policy", bucketPolicy(reader(dataAcct)), ""},
		{"another account's key is denied", func() error {
			_, err := kms.NewFromConfig(member).GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String("arn:aws:kms:us-east-1:" + dataAcct + ":key/k1"), PolicyName: aws.String("default")})
			return err
		}, "AccessDeniedException"},
		{"Organizations denies a member", listAccounts(member), "AccessDeniedException"},
		{"a member may describe its organization", func() error {
			_, err := organizations.NewFromConfig(member).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
			return err
		}, ""},
		{"Organizations answers the management account", listAccounts(orgReader), ""},
		{"delegated administrators to the management account", listAdmins(orgReader), ""},
		{"delegated administrators denied to a member", listAdmins(member), "AccessDeniedException"},
		{"no reader role in the sandbox", getRole(reader(sandboxAcct), "iamdiag-reader"), "AccessDenied"},
		{"a wrong external id", getRole(assumed(member, "arn:aws:iam::"+dataAcct+":role/iamdiag-reader", "guess"), "iamdiag-reader"), "AccessDenied"},
		{"an unknown access key", getRole(orgConfig(u, "AKIANOBODY0000000001"), "MyFederatedRole"), "InvalidClientTokenId"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := errCode(tc.call()); got != tc.want {
				t.Errorf("error code %q, want %q", got, tc.want)
			}
		})
	}

	id, err := sts.NewFromConfig(reader(dataAcct)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(id.Arn), "arn:aws:sts::"+dataAcct+":assumed-role/iamdiag-reader/iamdiag-test"; got != want || aws.ToString(id.Account) != dataAcct {
		t.Errorf("GetCallerIdentity = %s in %s, want %s in %s", got, aws.ToString(id.Account), want, dataAcct)
	}
	for _, s := range o.Sessions() {
		if !strings.HasPrefix(s.AccessKeyID, "ASIA"+accountOf(s.RoleARN)) || s.Caller != memberCaller || s.SessionName != "iamdiag-test" {
			t.Errorf("session %+v: want a key of the role's account, issued to %s", s, memberCaller)
		}
	}
}

func TestOrgDelegatedAdministrator(t *testing.T) {
	ctx := context.Background()
	_, u := serveOrg(t, OrgOptions{DelegatedAdministrators: []string{workloadAcct}})
	out, err := organizations.NewFromConfig(orgConfig(u, memberKey)).ListDelegatedAdministrators(ctx, &organizations.ListDelegatedAdministratorsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range out.DelegatedAdministrators {
		got = append(got, aws.ToString(a.Id))
	}
	if diff := cmp.Diff([]string{workloadAcct}, got); diff != "" {
		t.Errorf("delegated administrators (-want +got):\n%s", diff)
	}
	if _, err := organizations.NewFromConfig(orgConfig(u, memberKey)).ListAccounts(ctx, &organizations.ListAccountsInput{}); err != nil {
		t.Errorf("a delegated administrator lists accounts: %v", err)
	}
}

func TestOrgAssumeRoleErrors(t *testing.T) {
	ctx := context.Background()
	role := "arn:aws:iam::" + dataAcct + ":role/iamdiag-reader"
	o, u := serveOrg(t, OrgOptions{AssumeErrors: map[string]Failure{role: {Code: "RegionDisabledException", Message: "STS is not activated in this region"}}})
	_, err := iam.NewFromConfig(assumed(orgConfig(u, memberKey), role, "")).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("iamdiag-reader")})
	if got := errCode(err); got != "RegionDisabledException" {
		t.Errorf("error code %q, want RegionDisabledException", got)
	}
	if n := o.Calls()["AssumeRole"]; n == 0 {
		t.Errorf("AssumeRole calls = %d, want some", n)
	}
	if len(o.Sessions()) != 0 {
		t.Errorf("sessions %v, want none granted", o.Sessions())
	}
}
