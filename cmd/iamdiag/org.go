package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/layers"
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
// onCall, when set, counts the AssumeRole calls of --account-role.
func (o *orgOptions) apply(ctx context.Context, cfg aws.Config, region string, c *awsClients, home string, onCall func(op, code string)) (live.Accounts, error) {
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
	base := &live.AccountClients{IAM: c.iam, S3: c.s3, KMS: c.kms, EC2: c.ec2, Simulator: c.iam, Details: c.iam}
	return live.NewRoleAccounts(cfg, live.RoleOptions{Role: o.AccountRole, ExternalID: o.ExternalID, Home: home, Base: base, OnCall: onCall}), nil
}

func (o *orgOptions) assumeOptions(ao *stscreds.AssumeRoleOptions) {
	ao.RoleSessionName = live.DefaultSessionName
	if o.ExternalID != "" {
		ao.ExternalID = aws.String(o.ExternalID)
	}
}

// orgCaptureOptions are the flags of `iamdiag snapshot --org`.
type orgCaptureOptions struct {
	Org         bool
	Concurrency int
	Accounts    []string
	OUs         []string
	org         orgOptions
}

func (o *orgCaptureOptions) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Org, "org", false, "capture the whole organization into the folder -o DIR: the tree, SCPs and RCPs once, then every account through --account-role")
	fs.IntVar(&o.Concurrency, "concurrency", 8, "with --org: accounts read at once (`N`)")
	fs.StringSliceVar(&o.Accounts, "accounts", nil, "with --org: capture only these account `IDS` (repeat, or separate with commas)")
	fs.StringSliceVar(&o.OUs, "ou", nil, "with --org: capture only the accounts under these OU `IDS` (at any depth)")
	o.org.addFlags(fs)
}

// runOrgSnapshot captures the organization into the folder opts.Output.
func runOrgSnapshot(ctx context.Context, opts *snapshotOptions, stderr io.Writer) error {
	o := &opts.orgCapture
	if err := o.org.validate(); err != nil {
		return err
	}
	if o.org.AccountRole == "" {
		return usageErrorf("--org needs --account-role NAME: the role each account is read through")
	}
	if o.Concurrency < 1 {
		return usageErrorf("--concurrency %d: want 1 or more", o.Concurrency)
	}
	if fi, err := os.Stat(opts.Output); err == nil && !fi.IsDir() {
		return usageErrorf("-o %s: with --org the snapshot is a folder, and %s is a file", opts.Output, opts.Output)
	}
	ctx, cancel := liveContext(ctx, opts.aws.Timeout)
	defer cancel()
	var p *progressLine
	if opts.progress {
		p = &progressLine{w: stderr}
	}
	start := time.Now()
	snap, warnings, err := captureOrgFolder(ctx, opts.Profile, opts.Region, o.org, live.OrgCaptureOptions{
		Concurrency: o.Concurrency, Accounts: o.Accounts, OUs: o.OUs, Progress: p.update,
	}, opts.Output)
	p.clear()
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(stderr, "iamdiag: warning: "+w)
	}
	read := 0
	for _, a := range snap.Accounts {
		if a.File != "" {
			read++
		}
	}
	opts.log.Info("organization captured", zap.Int("accounts", len(snap.Accounts)), zap.Duration("duration", time.Since(start)))
	fmt.Fprintf(stderr, "iamdiag: wrote %s: organization %s, %s read of %d, %s\n", opts.Output, snap.Organization.ID,
		plural(read, "account"), len(snap.Accounts), plural(len(snap.Organization.Policies), "organization policy"))
	return nil
}

// captureOrgFolder captures the organization into the folder dir with the
// organization and account credentials of org, and returns the capture's
// warnings. Errors say what to pass.
func captureOrgFolder(ctx context.Context, profile, region string, org orgOptions, opt live.OrgCaptureOptions, dir string) (*layers.OrgSnapshot, []string, error) {
	cfg, err := loadAWSConfig(ctx, profile, region)
	if err != nil {
		return nil, nil, &exitError{code: exitFailure, err: err}
	}
	c := newAWSClients(cfg)
	accounts, err := org.apply(ctx, cfg, region, c, "", nil)
	if err != nil {
		return nil, nil, &exitError{code: exitFailure, err: err}
	}
	snap, warnings, err := live.CaptureOrg(ctx, c.org, accounts, dir, opt)
	if errors.Is(err, live.ErrOrganizationUnreadable) {
		return nil, nil, &exitError{code: exitFailure, err: fmt.Errorf("%w; pass --org-role-arn or --org-profile with credentials of the management account or a delegated administrator", err)}
	}
	if err != nil {
		return nil, nil, explainAWSError(err, profile)
	}
	return snap, warnings, nil
}
