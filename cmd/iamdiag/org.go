package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/pflag"

	"github.com/iamdiag/iamdiag/internal/live"
)

// orgOptions are the flags that read an organization with credentials per
// account: Organizations through the management account (or a delegated
// administrator), each account's IAM entities and resource policies
// through a reader role assumed in it.
type orgOptions struct {
	OrgProfile  string
	OrgRoleARN  string
	AccountRole string
	ExternalID  string
}

func (o *orgOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.OrgProfile, "org-profile", "", "AWS shared config `PROFILE` used only for Organizations reads (SCPs, RCPs, the tree): the management account or a delegated administrator")
	fs.StringVar(&o.OrgRoleARN, "org-role-arn", "", "role `ARN` assumed for Organizations reads only (in the management account or a delegated administrator)")
	fs.StringVar(&o.AccountRole, "account-role", "", "role `NAME` assumed in the principal's and the resource's account to read them (arn:PARTITION:iam::ACCOUNT:role/NAME), or an ARN template with {account}")
	fs.StringVar(&o.ExternalID, "external-id", "", "external `ID` passed to sts:AssumeRole for --org-role-arn and --account-role")
}

// validate checks the flags' forms.
func (o *orgOptions) validate() error {
	if o.OrgProfile != "" && o.OrgRoleARN != "" {
		return usageErrorf("--org-profile and --org-role-arn: give one")
	}
	if o.OrgRoleARN != "" && !strings.HasPrefix(o.OrgRoleARN, "arn:") {
		return usageErrorf("--org-role-arn %q: want a role ARN (arn:aws:iam::ACCOUNT:role/NAME)", o.OrgRoleARN)
	}
	if r := o.AccountRole; strings.HasPrefix(r, "arn:") && !strings.Contains(r, "{account}") {
		return usageErrorf("--account-role %q: an ARN must hold {account} where the account id goes (arn:aws:iam::{account}:role/NAME), or give the role's name", r)
	}
	return nil
}

// set reports whether any flag asks for credentials per account.
func (o *orgOptions) set() bool {
	return o.OrgProfile != "" || o.OrgRoleARN != "" || o.AccountRole != ""
}

// apply points c's Organizations client at the Organizations credentials
// and returns the reader options' Accounts (nil without --account-role).
// home is the base credentials' account.
func (o *orgOptions) apply(ctx context.Context, cfg aws.Config, region string, c *awsClients, home string) (live.Accounts, error) {
	switch {
	case o.OrgProfile != "":
		oc, err := loadAWSConfig(ctx, o.OrgProfile, region)
		if err != nil {
			return nil, fmt.Errorf("--org-profile %s: %w", o.OrgProfile, err)
		}
		c.org = organizations.NewFromConfig(oc)
	case o.OrgRoleARN != "":
		oc := cfg.Copy()
		oc.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), o.OrgRoleARN, o.assumeOptions))
		c.org = organizations.NewFromConfig(oc)
	}
	if o.AccountRole == "" {
		return nil, nil
	}
	base := &live.AccountClients{IAM: c.iam, S3: c.s3, KMS: c.kms, Simulator: c.iam}
	return live.NewRoleAccounts(cfg, live.RoleOptions{Role: o.AccountRole, ExternalID: o.ExternalID, Home: home, Base: base}), nil
}

func (o *orgOptions) assumeOptions(ao *stscreds.AssumeRoleOptions) {
	ao.RoleSessionName = live.DefaultSessionName
	if o.ExternalID != "" {
		ao.ExternalID = aws.String(o.ExternalID)
	}
}
