package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/iamdiag/iamdiag/internal/awserr"
	"github.com/iamdiag/iamdiag/internal/crosscheck"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// AccountClients are the clients that read one account: its IAM entities,
// its resource policies and its policy simulator.
type AccountClients struct {
	IAM IAMReader
	S3  BucketPolicyReader
	KMS KeyPolicyReader
	// EC2 reads the VPC endpoints the account owns.
	EC2       VPCEndpointReader
	Simulator crosscheck.SimulatePrincipalPolicyAPI
	// Details reads the whole account for a capture; nil where only
	// diagnoses read.
	Details AuthorizationDetailsReader
}

// Accounts hands out the clients of each account of an organization. A
// Reader with Options.Accounts reads the principal's IAM entities with the
// principal account's clients and the resource's policy with the resource
// account's, so that a cross-account request is read on both sides.
type Accounts interface {
	// Clients returns the clients of account. An error that is an
	// *AssumeRoleError makes only that account's layers unreadable.
	Clients(ctx context.Context, account string) (*AccountClients, error)
}

// AssumeRoleError is a role that could not be assumed in an account.
type AssumeRoleError struct {
	Account string
	RoleARN string
	Err     error
}

// Error names the account, the role and AWS's error.
func (e *AssumeRoleError) Error() string {
	return fmt.Sprintf("assuming %s in account %s: %v", e.RoleARN, e.Account, e.Err)
}

// Unwrap returns AWS's error.
func (e *AssumeRoleError) Unwrap() error { return e.Err }

// Readability says that what (a layer of the account) could not be read
// because the role could not be assumed: the account, the role, AWS's
// error code and message, and what to do.
func (e *AssumeRoleError) Readability(what string) policy.Readability {
	code := awserr.Code(e.Err)
	detail := e.Err.Error()
	var ae smithy.APIError
	if errors.As(e.Err, &ae) {
		detail = ae.ErrorMessage()
	}
	if code == "" {
		code = "AssumeRoleFailed"
	}
	return policy.Readability{Unreadable: true, Error: code, Message: fmt.Sprintf(
		"cannot read %s: sts:AssumeRole of %s in account %s failed (%s: %s); deploy the reader role there (examples/org-reader), check that it trusts these credentials and the external id, or diagnose from a snapshot",
		what, e.RoleARN, e.Account, code, detail)}
}

// DefaultSessionName is the role session name iamdiag's assumed roles
// carry, so that CloudTrail shows who read the account.
const DefaultSessionName = "iamdiag"

// RoleOptions say which role RoleAccounts assumes in each account.
type RoleOptions struct {
	// Role is a role name, assumed as arn:PARTITION:iam::ACCOUNT:role/NAME,
	// or an ARN template in which {account} stands for the account id.
	Role string
	// Partition is the partition of role ARNs built from a name ("aws"
	// when empty).
	Partition string
	// ExternalID is passed to sts:AssumeRole when set
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html).
	ExternalID string
	// SessionName is the role session name; DefaultSessionName when empty.
	SessionName string
	// Home is the account of the base credentials, whose clients are Base:
	// no role is assumed there. Empty means ask sts:GetCallerIdentity on
	// first use.
	Home string
	// Base are the clients of the base credentials.
	Base *AccountClients
	// OnCall, when set, is called after every sts:AssumeRole with
	// "sts:AssumeRole" and its AWS error code, as Options.OnCall: a daemon
	// counts AssumeRole outcomes by it.
	OnCall func(op, code string)
}

// RoleARN returns the role to assume in account: role is a name or an ARN
// template with {account}.
func RoleARN(role, partition, account string) string {
	if strings.HasPrefix(role, "arn:") {
		return strings.ReplaceAll(role, "{account}", account)
	}
	if partition == "" {
		partition = "aws"
	}
	return "arn:" + partition + ":iam::" + account + ":role/" + strings.TrimPrefix(role, "/")
}

// RoleAccounts is Accounts through a role assumed in each account with the
// SDK's stscreds.AssumeRoleProvider behind an aws.CredentialsCache: one
// AssumeRole per account per credential lifetime, refreshed before expiry.
// It is safe for concurrent use.
type RoleAccounts struct {
	cfg    aws.Config
	sts    *sts.Client
	assume stscreds.AssumeRoleAPIClient
	opt    RoleOptions

	mu   sync.Mutex
	home string // the base credentials' account, once known
	accs map[string]*assumedAccount
}

type assumedAccount struct {
	role  string
	creds *aws.CredentialsCache
	c     *AccountClients
}

// NewRoleAccounts returns the accounts reached from cfg's credentials (its
// STS client calls AssumeRole; the clients of each account are built from
// a copy of cfg with the assumed credentials).
func NewRoleAccounts(cfg aws.Config, opt RoleOptions) *RoleAccounts {
	if opt.SessionName == "" {
		opt.SessionName = DefaultSessionName
	}
	c := sts.NewFromConfig(cfg)
	r := &RoleAccounts{cfg: cfg, sts: c, assume: c, opt: opt, accs: map[string]*assumedAccount{}}
	if opt.OnCall != nil {
		r.assume = observedAssume{c: c, on: opt.OnCall}
	}
	return r
}

// observedAssume reports every AssumeRole to on.
type observedAssume struct {
	c  stscreds.AssumeRoleAPIClient
	on func(op, code string)
}

// AssumeRole calls STS and reports the outcome.
func (o observedAssume) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	out, err := o.c.AssumeRole(ctx, in, optFns...)
	code := ""
	if err != nil {
		if code = awserr.Code(err); code == "" {
			code = UnknownErrorCode
		}
	}
	o.on("sts:AssumeRole", code)
	return out, err
}

// Clients returns account's clients, assuming its role on the first call
// (and again when the credentials near expiry). A failed AssumeRole is an
// *AssumeRoleError.
func (r *RoleAccounts) Clients(ctx context.Context, account string) (*AccountClients, error) {
	home := r.homeAccount(ctx)
	if account == "" || (account == home && r.opt.Base != nil) {
		if r.opt.Base == nil {
			return nil, errors.New("reading an account: no base clients")
		}
		return r.opt.Base, nil
	}
	r.mu.Lock()
	a := r.accs[account]
	if a == nil {
		role := RoleARN(r.opt.Role, r.opt.Partition, account)
		creds := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(r.assume, role, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = r.opt.SessionName
			if r.opt.ExternalID != "" {
				o.ExternalID = aws.String(r.opt.ExternalID)
			}
		}))
		cfg := r.cfg.Copy()
		cfg.Credentials = creds
		ic := iam.NewFromConfig(cfg)
		a = &assumedAccount{role: role, creds: creds, c: &AccountClients{IAM: ic, S3: s3.NewFromConfig(cfg), KMS: kms.NewFromConfig(cfg), EC2: ec2.NewFromConfig(cfg), Simulator: ic, Details: ic}}
		r.accs[account] = a
	}
	r.mu.Unlock()
	// Retrieve now, once per lifetime (the cache answers the calls that
	// follow): a role that cannot be assumed is then reported as such,
	// not as the first read's signing failure.
	if _, err := a.creds.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &AssumeRoleError{Account: account, RoleARN: a.role, Err: err}
	}
	return a.c, nil
}

// homeAccount is the base credentials' account: RoleOptions.Home, else
// what sts:GetCallerIdentity says, asked until it answers; "" while
// unknown (every account, the credentials' own included, is then read
// through the role).
func (r *RoleAccounts) homeAccount(ctx context.Context) string {
	r.mu.Lock()
	if r.home == "" {
		r.home = r.opt.Home
	}
	home := r.home
	r.mu.Unlock()
	if home != "" {
		return home
	}
	id, err := r.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return ""
	}
	r.mu.Lock()
	r.home = aws.ToString(id.Account)
	r.mu.Unlock()
	return aws.ToString(id.Account)
}

// accountClients returns the clients of acct for reading what: the
// Reader's own when it has no Accounts, else Accounts'. A role that could
// not be assumed gives the readability of what instead.
func (w *walk) accountClients(acct, what string) (*AccountClients, *policy.Readability, error) {
	if w.l.opt.Accounts == nil {
		return &AccountClients{IAM: w.l.c.IAM, S3: w.l.c.S3, KMS: w.l.c.KMS, EC2: w.l.c.EC2}, nil, nil
	}
	c, err := w.l.opt.Accounts.Clients(w.ctx, acct)
	if err != nil {
		var ae *AssumeRoleError
		if errors.As(err, &ae) {
			r := ae.Readability(what)
			return nil, &r, nil
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, nil, err
		}
		r := unreadable(what, "sts:AssumeRole", err)
		return nil, &r, nil
	}
	return c, nil, nil
}

// unreadEntity is a role or user whose account could not be read: its
// identity policies and boundary unknown.
func unreadEntity(pa layers.Caller, r policy.Readability) *layers.Entity {
	e := &layers.Entity{Name: pa.Name, Account: pa.ARN.Account, Role: pa.Kind != layers.KindUser, IdentityRead: r, BoundaryRead: r}
	kind := "role/"
	if pa.Kind == layers.KindUser {
		kind = "user/"
	}
	e.ARN = "arn:" + pa.Partition + ":iam::" + pa.ARN.Account + ":" + kind + pa.Name
	if pa.Kind != layers.KindAssumedRole && pa.HasPath {
		e.ARN = pa.Raw
	}
	return e
}

// bucketAccount is the account whose credentials read a bucket's policy:
// the request's aws:ResourceAccount when it says, else the credentials'
// account, else the principal's (S3 ARNs name no account).
func bucketAccount(req *policy.Request, credAcct, principal string) string {
	if req.Context != nil {
		if v, ok := req.Context.Get("aws:ResourceAccount"); ok && len(v) == 1 && v[0] != "" {
			return v[0]
		}
	}
	if credAcct != "" {
		return credAcct
	}
	return principal
}
