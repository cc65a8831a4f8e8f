package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/iamdiag/iamdiag/internal/awserr"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// RoleReader is the IAM role calls a live resolution makes; *iam.Client
// implements it.
type RoleReader interface {
	GetRole(ctx context.Context, params *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	ListRolePolicies(ctx context.Context, params *iam.ListRolePoliciesInput, optFns ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
	GetRolePolicy(ctx context.Context, params *iam.GetRolePolicyInput, optFns ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	ListAttachedRolePolicies(ctx context.Context, params *iam.ListAttachedRolePoliciesInput, optFns ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
}

// UserReader is the IAM user and group calls a live resolution makes;
// *iam.Client implements it.
type UserReader interface {
	GetUser(ctx context.Context, params *iam.GetUserInput, optFns ...func(*iam.Options)) (*iam.GetUserOutput, error)
	ListUserPolicies(ctx context.Context, params *iam.ListUserPoliciesInput, optFns ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error)
	GetUserPolicy(ctx context.Context, params *iam.GetUserPolicyInput, optFns ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error)
	ListAttachedUserPolicies(ctx context.Context, params *iam.ListAttachedUserPoliciesInput, optFns ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error)
	ListGroupsForUser(ctx context.Context, params *iam.ListGroupsForUserInput, optFns ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error)
	ListGroupPolicies(ctx context.Context, params *iam.ListGroupPoliciesInput, optFns ...func(*iam.Options)) (*iam.ListGroupPoliciesOutput, error)
	GetGroupPolicy(ctx context.Context, params *iam.GetGroupPolicyInput, optFns ...func(*iam.Options)) (*iam.GetGroupPolicyOutput, error)
	ListAttachedGroupPolicies(ctx context.Context, params *iam.ListAttachedGroupPoliciesInput, optFns ...func(*iam.Options)) (*iam.ListAttachedGroupPoliciesOutput, error)
}

// ManagedPolicyReader reads managed policies (identity policies and
// permissions boundaries); *iam.Client implements it.
type ManagedPolicyReader interface {
	GetPolicy(ctx context.Context, params *iam.GetPolicyInput, optFns ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	GetPolicyVersion(ctx context.Context, params *iam.GetPolicyVersionInput, optFns ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
}

// IAMReader is every IAM call of a live resolution; *iam.Client implements
// it.
type IAMReader interface {
	RoleReader
	UserReader
	ManagedPolicyReader
}

// BucketPolicyReader reads S3 bucket policies; *s3.Client implements it.
type BucketPolicyReader interface {
	GetBucketPolicy(ctx context.Context, params *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
}

// KeyPolicyReader reads KMS key policies; *kms.Client implements it.
type KeyPolicyReader interface {
	GetKeyPolicy(ctx context.Context, params *kms.GetKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
}

// Clients are the AWS clients a Reader reads through. IAM is
// required; a nil Organizations, S3 or KMS client leaves the layers it
// would read unreadable (with error code "NotConfigured").
type Clients struct {
	IAM           IAMReader
	Organizations OrganizationsReader
	S3            BucketPolicyReader
	KMS           KeyPolicyReader
	// EC2 reads the policy of the VPC endpoint a request went through
	// (aws:SourceVpce); nil leaves that layer unreadable.
	EC2 VPCEndpointReader
}

// Options tunes a Reader. The zero value is ready to use.
type Options struct {
	// Concurrency bounds the AWS calls in flight (default 8).
	Concurrency int
	// Cache holds organization data and policy versions across
	// resolutions; nil gives the Reader its own with DefaultCacheTTL. A
	// daemon shares one Cache between its Readers.
	Cache *Cache
	// AccountID is the account whose S3 buckets the credentials read: S3
	// ARNs carry no account, and a bucket policy found is taken to belong to
	// it. Empty means the principal's account.
	AccountID string
	// OnCall, when set, is called after every AWS call with its
	// "service:Operation" and its AWS error code: "" when the call
	// succeeded, UnknownErrorCode when it failed without one (network,
	// malformed response, cancellation). A daemon counts calls by it; it
	// must be safe for concurrent use and quick.
	OnCall func(op, code string)
	// Accounts, when set, gives the clients of each account: the
	// principal's IAM entities are read with its account's, the resource's
	// policy with the resource account's (Clients' IAM, S3, KMS and EC2 are then
	// the credentials' own account's, Organizations stays as it is).
	Accounts Accounts
}

// UnknownErrorCode is the code OnCall reports for a failed call that
// carries no AWS error code.
const UnknownErrorCode = "Unknown"

// Reader gathers the layers of a request from the AWS account and
// organization, through the AWS SDK: for the same account data it returns
// exactly what Snapshot.Layers returns. Independent calls run concurrently;
// a Reader is safe for concurrent use.
type Reader struct {
	c     Clients
	opt   Options
	cache *Cache
	sem   chan struct{}
}

// New returns a Reader reading through c.
func New(c Clients, opt Options) *Reader {
	if opt.Concurrency <= 0 {
		opt.Concurrency = 8
	}
	cache := opt.Cache
	if cache == nil {
		cache = NewCache(DefaultCacheTTL)
	}
	return &Reader{c: c, opt: opt, cache: cache, sem: make(chan struct{}, opt.Concurrency)}
}

// walk is one resolution: its calls, its stats and its first fatal error.
type walk struct {
	l      *Reader
	ctx    context.Context
	cancel context.CancelFunc
	iam    IAMReader // the principal's account's: set before its reads start, read only by them

	mu    sync.Mutex
	stats Stats
	err   error
	wg    sync.WaitGroup
}

// goDo runs f concurrently; a non-nil error cancels the resolution.
func (w *walk) goDo(f func() error) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		if err := f(); err != nil {
			w.setErr(err)
		}
	}()
}

func (w *walk) setErr(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
		w.cancel()
	}
	w.mu.Unlock()
}

func (w *walk) hit() {
	w.mu.Lock()
	w.stats.CacheHits++
	w.mu.Unlock()
}

func (w *walk) miss() {
	w.mu.Lock()
	w.stats.CacheMisses++
	w.mu.Unlock()
}

// call makes one AWS call after round trip `after` and returns the round
// trip at which its answer is known.
func (w *walk) call(op string, after int, f func(ctx context.Context) error) (int, error) {
	select {
	case w.l.sem <- struct{}{}:
	case <-w.ctx.Done():
		return after, w.ctx.Err()
	}
	err := f(w.ctx)
	<-w.l.sem
	d := after + 1
	w.mu.Lock()
	w.stats.Calls[op]++
	if err != nil {
		w.stats.Errors[awserr.Code(err)]++
	}
	w.stats.RoundTrips = max(w.stats.RoundTrips, d)
	w.mu.Unlock()
	if on := w.l.opt.OnCall; on != nil {
		code := ""
		if err != nil {
			if code = awserr.Code(err); code == "" {
				code = UnknownErrorCode
			}
		}
		on(op, code)
	}
	return d, err
}

// Layers returns every policy layer that applies to req, read from AWS.
func (l *Reader) Layers(ctx context.Context, req *policy.Request) (*policy.Layers, error) {
	out, _, err := l.LayersStats(ctx, req)
	return out, err
}

// LayersStats is Layers that also returns the calls it made. The error
// wraps ErrCredentials when AWS rejects the credentials and
// ErrNoSuchPrincipal when the role or user does not exist; a layer that
// could not be read is marked unreadable with the AWS error code instead.
func (l *Reader) LayersStats(ctx context.Context, req *policy.Request) (*policy.Layers, *Stats, error) {
	start := time.Now()
	if req == nil || req.Principal.ARN == "" {
		return nil, nil, errors.New("resolving layers: the request has no principal ARN")
	}
	if l.c.IAM == nil {
		return nil, nil, errors.New("resolving layers: no IAM client")
	}
	pa, err := layers.ParseCaller(req.Principal.ARN)
	if err != nil {
		return nil, nil, fmt.Errorf("resolving principal: %w", err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &walk{l: l, iam: l.c.IAM, ctx: wctx, cancel: cancel, stats: Stats{Calls: map[string]int{}, Errors: map[string]int{}}}

	out := &policy.Layers{Principal: req.Principal}
	p := &out.Principal
	p.Account = pa.ARN.Account
	acct := pa.ARN.Account

	// Everything below starts at once; each part fills its own fields.
	var ent *layers.Entity
	// principal reads the role or user with its account's clients (beside
	// the other reads: assuming a role there takes a round trip); an
	// account that cannot be read leaves only its layers unknown.
	principal := func(read func() (*layers.Entity, error)) func() error {
		return func() error {
			c, r, err := w.accountClients(acct, "the identity policies and permissions boundary of "+req.Principal.ARN)
			switch {
			case err != nil:
				return err
			case r != nil:
				ent = unreadEntity(pa, *r)
				return nil
			}
			w.iam = c.IAM
			e, err := read()
			ent = e
			return err
		}
	}
	switch pa.Kind {
	case layers.KindAssumedRole, layers.KindRole:
		w.goDo(principal(func() (*layers.Entity, error) { return w.role(pa, 0) }))
	case layers.KindUser:
		w.goDo(principal(func() (*layers.Entity, error) { return w.user(pa) }))
	case layers.KindFederatedUser:
		p.Type = "FederatedUser"
		p.IAMARN = ""
		// aws:userid of a federated user is ACCOUNT:NAME
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable).
		p.UserID = acct + ":" + pa.Name
		r := federatedRead(req.Principal.ARN, pa)
		out.IdentityRead, out.BoundaryRead = r, r
		// Session policies cannot be read after the session was created.
		out.Session, out.SessionKnown = nil, false
	case layers.KindAnonymous, layers.KindService:
		// No identity to read: only the resource's policy and RCPs apply.
		layers.NonIAMPrincipal(p, pa)
		out.SessionKnown = true
	case layers.KindRoot:
		// The root user has no identity-based policies
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html).
		p.Type = "Account"
		p.IAMARN = req.Principal.ARN
		p.UserID = acct
		out.SessionKnown = true
	}

	// The account the credentials belong to: IAM reads roles and users by
	// name in it, so it is the principal's unless told otherwise.
	credAcct := l.opt.AccountID
	if credAcct == "" {
		credAcct = acct
	}
	var (
		res    resourceResult
		scpOrg orgResult
		vpce   vpceResult
	)
	w.goDo(func() error {
		var err error
		vpce, err = w.vpcEndpoint(req, pa)
		return err
	})
	resDone := make(chan struct{})
	w.goDo(func() error {
		defer close(resDone)
		var err error
		res, err = w.resource(req, pa)
		return err
	})
	nonIAM := pa.Kind == layers.KindAnonymous || pa.Kind == layers.KindService
	if !nonIAM {
		// SCPs restrict IAM principals of member accounts only.
		w.goDo(func() error {
			var err error
			scpOrg, err = w.org(acct, true, credAcct)
			return err
		})
	}
	// RCPs follow the resource's account, known once the resource is
	// resolved; most often it is the caller's, whose path is already on
	// its way (shared through the Cache).
	var rcpOrg orgResult
	w.goDo(func() error {
		select {
		case <-resDone:
		case <-w.ctx.Done():
			return nil
		}
		ra := res.account
		if ra == "" {
			ra = acct
		}
		if ra == "" {
			// A caller without an account (anonymous, a service) calls
			// a resource whose ARN names none: the credentials' account
			// holds what was read.
			ra = credAcct
		}
		var err error
		rcpOrg, err = w.org(ra, false, credAcct)
		return err
	})
	w.wg.Wait()
	w.stats.Elapsed = time.Since(start)
	if w.err != nil {
		return nil, &w.stats, fmt.Errorf("resolving layers of %s: %w", req.Principal.ARN, w.err)
	}
	if err := ctx.Err(); err != nil {
		return nil, &w.stats, fmt.Errorf("resolving layers of %s: %w", req.Principal.ARN, err)
	}

	if ent != nil {
		layers.FillEntity(out, ent)
		switch pa.Kind {
		case layers.KindAssumedRole:
			p.Type = "AssumedRole"
			p.SessionName = pa.Session
			if ent.ID != "" {
				// aws:userid of a role session is ROLEID:SESSION
				// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable).
				p.UserID = ent.ID + ":" + pa.Session
			}
			out.Session, out.SessionKnown = nil, false
		case layers.KindRole:
			p.Type = "AssumedRole"
			out.SessionKnown = true
		case layers.KindUser:
			p.Type = "User"
			p.UserID = ent.ID
			p.Username = ent.Name
			out.SessionKnown = true
		}
	}
	out.Resource, out.ResourceRead, out.ResourceAccount = res.src, res.read, res.account

	switch {
	case scpOrg.orgKnown:
		out.OrgID, out.ManagementAccount = scpOrg.id, scpOrg.management
	case nonIAM && rcpOrg.orgKnown:
		out.OrgID, out.ManagementAccount = rcpOrg.id, rcpOrg.management
	}
	out.SCP, out.SCPRead = scpOrg.scp, scpOrg.scpRead
	if !scpOrg.scpRead.Unreadable && scpOrg.inOrg {
		if p.OrgID == "" {
			p.OrgID = scpOrg.id
		}
		if p.OrgPaths == nil && scpOrg.id != "" {
			p.OrgPaths = []string{scpOrg.orgPath}
		}
	}
	out.RCP, out.RCPRead = rcpOrg.rcp, rcpOrg.rcpRead
	out.VPCEndpoint, out.VPCEndpointRead = vpce.src, vpce.read
	return out, &w.stats, nil
}

// federatedRead says why a federated user's identity layers are unknown.
func federatedRead(principal string, pa layers.Caller) policy.Readability {
	// The session carries the permissions of the IAM user that called
	// sts:GetFederationToken, intersected with the session policy
	// (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html);
	// the federated-user name is chosen by the caller and names no IAM user.
	acct := pa.ARN.Account
	msg := "a federated-user session (" + principal + ") has the permissions of the IAM user that called sts:GetFederationToken, which its ARN does not name: find that user in CloudTrail (the GetFederationToken event) and diagnose again with that user's ARN (arn:" + pa.Partition + ":iam::" + acct + ":user/NAME) as the principal and the session policy passed to GetFederationToken"
	return policy.Readability{Unreadable: true, Error: "FederatedUserSourceUnknown", Message: msg}
}

// parseDocument parses a document as AWS APIs return it: URL-encoded (IAM)
// or plain JSON text (Organizations, S3, KMS).
func parseDocument(s string) (*policy.Document, error) {
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") {
		return policy.Parse([]byte(t))
	}
	return policy.ParseEncoded(s)
}

// readState is the readability of a layer read by concurrent calls. Of
// several failed reads it keeps the first in readOrder (of the same call,
// the first message in byte order), not the first to fail, so that a
// report names the same read on every run.
type readState struct {
	mu   sync.Mutex
	rank int
	read policy.Readability
}

// fail records that op failed, x saying so.
func (r *readState) fail(op string, x policy.Readability) {
	rank := readRank(op)
	r.mu.Lock()
	if !r.read.Unreadable || rank < r.rank || (rank == r.rank && x.Message < r.read.Message) {
		r.read, r.rank = x, rank
	}
	r.mu.Unlock()
}

// readOrder is the order of the reads of a walk, the root of a chain of
// reads before the reads it leads to: the one a layer's failure names.
var readOrder = []string{
	"organizations:DescribeOrganization",
	"organizations:ListRoots",
	"organizations:ListParents",
	"organizations:ListPoliciesForTarget",
	"organizations:DescribePolicy",
	"organizations:Describe",
	"organizations:DescribeOrganizationalUnit",
	"organizations:DescribeAccount",
	"iam:GetRole",
	"iam:GetUser",
	"iam:ListGroupsForUser",
	"iam:ListRolePolicies",
	"iam:GetRolePolicy",
	"iam:ListUserPolicies",
	"iam:GetUserPolicy",
	"iam:ListGroupPolicies",
	"iam:GetGroupPolicy",
	"iam:ListAttachedRolePolicies",
	"iam:ListAttachedUserPolicies",
	"iam:ListAttachedGroupPolicies",
	"iam:GetPolicy",
	"iam:GetPolicyVersion",
}

// readRank is op's place in readOrder; an op not listed comes after.
func readRank(op string) int {
	if i := slices.Index(readOrder, op); i >= 0 {
		return i
	}
	return len(readOrder)
}

// role reads a role by name (the path is dropped from session ARNs:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns)
// and its identity policies and boundary; the identity reads start at once
// from the name, beside iam:GetRole.
func (w *walk) role(pa layers.Caller, after int) (*layers.Entity, error) {
	c := w.iam
	name := pa.Name
	origin := "role/" + name
	var (
		own    []policy.Source
		ownErr error
		idRead readState
		wg     sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		own, ownErr = w.ownPolicies(after, origin, roleReads(c, name), &idRead, "the identity policies of "+origin)
	}()

	var ro *iam.GetRoleOutput
	d, err := w.call("iam:GetRole", after, func(ctx context.Context) error {
		var err error
		ro, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
		return err
	})
	var (
		e    *layers.Entity
		bARN string
	)
	if err == nil {
		e, bARN, err = w.roleEntity(ro, pa)
	} else if ferr := fatal("iam:GetRole", err); ferr != nil {
		err = ferr
	} else if code := awserr.Code(err); code == "NoSuchEntity" {
		err = fmt.Errorf("%w: iam:GetRole says role %q (from %s) does not exist (NoSuchEntity): check the name, or the account the credentials belong to", ErrNoSuchPrincipal, name, pa.Raw)
	} else {
		// The role cannot be read: its path, tags and boundary are
		// unknown, yet its policies may still be listable.
		r := unreadable("role "+name, "iam:GetRole", err)
		e = &layers.Entity{Name: name, Account: pa.ARN.Account, Role: true, BoundaryRead: r}
		err = nil
	}
	if err == nil && bARN != "" {
		e.Boundary, err = w.boundary(d, bARN, origin, &e.BoundaryRead)
	}
	wg.Wait()
	if err == nil {
		err = ownErr
	}
	if err != nil {
		return nil, err
	}
	e.Identity = own
	e.IdentityRead = idRead.read
	return e, nil
}

// roleEntity builds the Entity of a role from iam:GetRole's answer; a role
// ARN with a path must name exactly that role.
func (w *walk) roleEntity(ro *iam.GetRoleOutput, pa layers.Caller) (e *layers.Entity, boundaryARN string, err error) {
	if ro == nil || ro.Role == nil || ro.Role.Arn == nil {
		return nil, "", fmt.Errorf("calling iam:GetRole for %s: the answer holds no role", pa.Name)
	}
	r := ro.Role
	e = &layers.Entity{
		ARN: aws.ToString(r.Arn), Name: aws.ToString(r.RoleName), ID: aws.ToString(r.RoleId),
		Path: aws.ToString(r.Path), Account: pa.ARN.Account, Role: true,
		// Service-linked roles live under /aws-service-role/
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html).
		ServiceLinked: strings.HasPrefix(aws.ToString(r.Path), "/aws-service-role/"),
	}
	if pa.Kind == layers.KindRole && pa.HasPath && e.ARN != pa.Raw {
		return nil, "", fmt.Errorf("%w: role %s does not exist: the role named %s is %s", ErrNoSuchPrincipal, pa.Raw, pa.Name, e.ARN)
	}
	if len(r.Tags) > 0 {
		e.Tags = make(map[string]string, len(r.Tags))
		for _, t := range r.Tags {
			e.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	if r.PermissionsBoundary != nil {
		boundaryARN = aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn)
	}
	if r.AssumeRolePolicyDocument != nil {
		doc, err := parseDocument(*r.AssumeRolePolicyDocument)
		if err != nil {
			return nil, "", fmt.Errorf("parsing the trust policy of %s: %w", e.ARN, err)
		}
		e.Trust = &policy.Source{Layer: policy.LayerResource, ARN: e.ARN, Name: "AssumeRolePolicyDocument",
			Origin: "role/" + e.Name + " (trust policy)", Document: doc}
	}
	return e, boundaryARN, nil
}

// user reads an IAM user, its policies, its groups' policies and its
// boundary. A user's permissions include its groups' policies
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups.html).
func (w *walk) user(pa layers.Caller) (*layers.Entity, error) {
	c := w.iam
	name := pa.Name
	origin := "user/" + name
	what := "the identity policies of " + origin
	var (
		own    []policy.Source
		groups [][]policy.Source
		idRead readState
		wg     sync.WaitGroup
		// errs are the goroutines' failures, in a fixed order.
		errs [2]error
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		own, errs[0] = w.ownPolicies(0, origin, userReads(c, name), &idRead, what)
	}()
	go func() {
		defer wg.Done()
		var err error
		groups, err = w.groups(name, &idRead, what)
		errs[1] = err
	}()

	var uo *iam.GetUserOutput
	d, err := w.call("iam:GetUser", 0, func(ctx context.Context) error {
		var err error
		uo, err = c.GetUser(ctx, &iam.GetUserInput{UserName: &name})
		return err
	})
	var (
		e    *layers.Entity
		bARN string
	)
	switch {
	case err == nil:
		if uo == nil || uo.User == nil || uo.User.Arn == nil {
			err = fmt.Errorf("calling iam:GetUser for %s: the answer holds no user", name)
			break
		}
		u := uo.User
		e = &layers.Entity{ARN: aws.ToString(u.Arn), Name: aws.ToString(u.UserName), ID: aws.ToString(u.UserId),
			Path: aws.ToString(u.Path), Account: pa.ARN.Account}
		if pa.HasPath && e.ARN != pa.Raw {
			err = fmt.Errorf("%w: user %s does not exist: the user named %s is %s", ErrNoSuchPrincipal, pa.Raw, pa.Name, e.ARN)
			break
		}
		if len(u.Tags) > 0 {
			e.Tags = make(map[string]string, len(u.Tags))
			for _, t := range u.Tags {
				e.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		}
		if u.PermissionsBoundary != nil {
			bARN = aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn)
		}
	case fatal("iam:GetUser", err) != nil:
		err = fatal("iam:GetUser", err)
	case awserr.Code(err) == "NoSuchEntity":
		err = fmt.Errorf("%w: iam:GetUser says user %q (from %s) does not exist (NoSuchEntity): check the name, or the account the credentials belong to", ErrNoSuchPrincipal, name, pa.Raw)
	default:
		e = &layers.Entity{Name: name, Account: pa.ARN.Account, BoundaryRead: unreadable("user "+name, "iam:GetUser", err)}
		err = nil
	}
	if err == nil && bARN != "" {
		e.Boundary, err = w.boundary(d, bARN, origin, &e.BoundaryRead)
	}
	wg.Wait()
	for _, e2 := range errs {
		if err == nil {
			err = e2
		}
	}
	if err != nil {
		return nil, err
	}
	e.Identity = own
	for _, g := range groups {
		e.Identity = append(e.Identity, g...)
	}
	e.IdentityRead = idRead.read
	return e, nil
}

// groups reads the policies of every group of a user, in the order IAM
// lists the groups.
func (w *walk) groups(user string, rs *readState, what string) ([][]policy.Source, error) {
	c := w.iam
	names, d, listed, err := listPages(w, 0, "iam:ListGroupsForUser",
		func(ctx context.Context, marker *string) ([]string, *string, error) {
			o, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: &user, Marker: marker})
			if err != nil {
				return nil, nil, err
			}
			names := make([]string, 0, len(o.Groups))
			for _, g := range o.Groups {
				names = append(names, aws.ToString(g.GroupName))
			}
			return names, nextMarker(o.IsTruncated, o.Marker), nil
		}, rs, what)
	if !listed {
		return nil, err
	}
	out := make([][]policy.Source, len(names))
	var wg sync.WaitGroup
	// errs are the groups' failures, in the groups' order.
	errs := make([]error, len(names))
	for i, g := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = w.ownPolicies(d, "group/"+g, groupReads(c, g), rs, what)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// nextMarker returns the marker of the next page, nil after the last.
func nextMarker(truncated bool, marker *string) *string {
	if !truncated || marker == nil || *marker == "" {
		return nil
	}
	return marker
}

// ownReads are the calls that read the policies of one role, user or group
// itself: the names and documents of its inline policies and its attached
// managed policies.
type ownReads struct {
	listInlineOp, getInlineOp, listAttachedOp string

	listInline   func(ctx context.Context, marker *string) ([]string, *string, error)
	getInline    func(ctx context.Context, name string) (*string, error)
	listAttached func(ctx context.Context, marker *string) ([]attached, *string, error)
}

// roleReads, userReads and groupReads are the reads of the named role's,
// user's or group's own policies.
func roleReads(c RoleReader, name string) ownReads {
	return ownReads{
		listInlineOp: "iam:ListRolePolicies", getInlineOp: "iam:GetRolePolicy", listAttachedOp: "iam:ListAttachedRolePolicies",
		listInline: func(ctx context.Context, marker *string) ([]string, *string, error) {
			o, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: &name, Marker: marker})
			if err != nil {
				return nil, nil, err
			}
			return o.PolicyNames, nextMarker(o.IsTruncated, o.Marker), nil
		},
		getInline: func(ctx context.Context, pn string) (*string, error) {
			o, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &name, PolicyName: &pn})
			if err != nil {
				return nil, err
			}
			return o.PolicyDocument, nil
		},
		listAttached: func(ctx context.Context, marker *string) ([]attached, *string, error) {
			o, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: &name, Marker: marker})
			if err != nil {
				return nil, nil, err
			}
			return attachedARNs(o.AttachedPolicies), nextMarker(o.IsTruncated, o.Marker), nil
		},
	}
}

func userReads(c UserReader, name string) ownReads {
	return ownReads{
		listInlineOp: "iam:ListUserPolicies", getInlineOp: "iam:GetUserPolicy", listAttachedOp: "iam:ListAttachedUserPolicies",
		listInline: func(ctx context.Context, marker *string) ([]string, *string, error) {
			o, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: &name, Marker: marker})
			if err != nil {
				return nil, nil, err
			}
			return o.PolicyNames, nextMarker(o.IsTruncated, o.Marker), nil
		},
		getInline: func(ctx context.Context, pn string) (*string, error) {
			o, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: &name, PolicyName: &pn})
			if err != nil {
				return nil, err
			}
			return o.PolicyDocument, nil
		},
		listAttached: func(ctx context.Context, marker *string) ([]attached, *string, error) {
			o, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: &name, Marker: marker})
			if err != nil {
				return nil, nil, err
			}
			return attachedARNs(o.AttachedPolicies), nextMarker(o.IsTruncated, o.Marker), nil
		},
	}
}

func groupReads(c UserReader, name string) ownReads {
	return ownReads{
		listInlineOp: "iam:ListGroupPolicies", getInlineOp: "iam:GetGroupPolicy", listAttachedOp: "iam:ListAttachedGroupPolicies",
		listInline: func(ctx context.Context, marker *string) ([]string, *string, error) {
			o, err := c.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: &name, Marker: marker})
			if err != nil {
				return nil, nil, err
			}
			return o.PolicyNames, nextMarker(o.IsTruncated, o.Marker), nil
		},
		getInline: func(ctx context.Context, pn string) (*string, error) {
			o, err := c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: &name, PolicyName: &pn})
			if err != nil {
				return nil, err
			}
			return o.PolicyDocument, nil
		},
		listAttached: func(ctx context.Context, marker *string) ([]attached, *string, error) {
			o, err := c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: &name, Marker: marker})
			if err != nil {
				return nil, nil, err
			}
			return attachedARNs(o.AttachedPolicies), nextMarker(o.IsTruncated, o.Marker), nil
		},
	}
}

// attachedARNs returns the ARNs of a page of attached managed policies.
func attachedARNs(aps []iamtypes.AttachedPolicy) []attached {
	out := make([]attached, 0, len(aps))
	for _, ap := range aps {
		out = append(out, attached{arn: aws.ToString(ap.PolicyArn)})
	}
	return out
}

// ownPolicies reads the inline and the attached managed policies of one
// role, user or group concurrently and returns them in that order. Of two
// failures, the inline read's is returned.
func (w *walk) ownPolicies(after int, origin string, r ownReads, rs *readState, what string) ([]policy.Source, error) {
	var (
		inline, managed []policy.Source
		wg              sync.WaitGroup
		// errs are the goroutines' failures, in a fixed order.
		errs [2]error
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		inline, errs[0] = w.inlinePolicies(after, origin, r, rs, what)
	}()
	go func() {
		defer wg.Done()
		managed, errs[1] = w.attachedPolicies(after, origin, r, rs, what)
	}()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return append(inline, managed...), nil
}

// listPages calls list for every page of listOp, from the first, and
// returns the items in the listed order and the round trip of the last
// page. A failure that stops the resolution is returned; any other marks rs
// and returns listed false with no error.
func listPages[T any](w *walk, after int, listOp string,
	list func(ctx context.Context, marker *string) ([]T, *string, error),
	rs *readState, what string) (items []T, d int, listed bool, err error) {
	d = after
	for marker := (*string)(nil); ; {
		var page []T
		var next *string
		d, err = w.call(listOp, d, func(ctx context.Context) error {
			page, next, err = list(ctx, marker)
			return err
		})
		if err != nil {
			if ferr := fatal(listOp, err); ferr != nil {
				return nil, d, false, ferr
			}
			rs.fail(listOp, unreadable(what, listOp, err))
			return nil, d, false, nil
		}
		items = append(items, page...)
		if marker = next; marker == nil {
			return items, d, true, nil
		}
	}
}

// inlinePolicies lists the inline policy names (all pages) and reads each
// document concurrently, keeping the listed order. A failed read marks rs.
func (w *walk) inlinePolicies(after int, origin string, r ownReads, rs *readState, what string) ([]policy.Source, error) {
	getOp, get := r.getInlineOp, r.getInline
	names, d, listed, err := listPages(w, after, r.listInlineOp, r.listInline, rs, what)
	if !listed {
		return nil, err
	}
	out := make([]policy.Source, len(names))
	ok := make([]bool, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, pn := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var doc *string
			_, err := w.call(getOp, d, func(ctx context.Context) error {
				var err error
				doc, err = get(ctx, pn)
				return err
			})
			if err != nil {
				if errs[i] = fatal(getOp, err); errs[i] == nil {
					rs.fail(getOp, unreadable(what, getOp, err))
				}
				return
			}
			parsed, err := parseDocument(aws.ToString(doc))
			if err != nil {
				errs[i] = fmt.Errorf("parsing inline policy %q of %s: %w", pn, origin, err)
				return
			}
			out[i] = policy.Source{Layer: policy.LayerIdentity, Name: pn,
				Origin: origin + " (inline " + pn + ")", Document: parsed}
			ok[i] = true
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return compact(out, ok), nil
}

type attached struct{ arn string }

// attachedPolicies lists the attached managed policies (all pages) and
// reads each one's default version concurrently, keeping the listed order.
func (w *walk) attachedPolicies(after int, origin string, r ownReads, rs *readState, what string) ([]policy.Source, error) {
	arns, d, listed, err := listPages(w, after, r.listAttachedOp, r.listAttached, rs, what)
	if !listed {
		return nil, err
	}
	out := make([]policy.Source, len(arns))
	ok := make([]bool, len(arns))
	errs := make([]error, len(arns))
	var wg sync.WaitGroup
	for i, a := range arns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mp, err := w.managedPolicy(d, a.arn, rs, what)
			if err != nil || mp == nil {
				errs[i] = err
				return
			}
			out[i] = policy.Source{Layer: policy.LayerIdentity, ARN: a.arn, Name: mp.name,
				Origin: origin, AWSManaged: layers.IsAWSManaged(a.arn), Document: mp.doc}
			ok[i] = true
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return compact(out, ok), nil
}

func compact(s []policy.Source, ok []bool) []policy.Source {
	out := s[:0]
	for i := range s {
		if ok[i] {
			out = append(out, s[i])
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// managed is a managed policy's default version.
type managed struct {
	name string
	doc  *policy.Document
}

// managedPolicy reads a managed policy's default version: iam:GetPolicy
// for the default version id, then iam:GetPolicyVersion (cached: a policy
// version never changes). The default version is the one IAM evaluates
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html).
// A failed read marks rs and returns nil.
func (w *walk) managedPolicy(after int, policyARN string, rs *readState, what string) (*managed, error) {
	c := w.iam
	var po *iam.GetPolicyOutput
	d, err := w.call("iam:GetPolicy", after, func(ctx context.Context) error {
		var err error
		po, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: &policyARN})
		return err
	})
	if err != nil {
		if ferr := fatal("iam:GetPolicy", err); ferr != nil {
			return nil, ferr
		}
		rs.fail("iam:GetPolicy", unreadable(what+" ("+policyARN+")", "iam:GetPolicy", err))
		return nil, nil
	}
	if po == nil || po.Policy == nil || po.Policy.DefaultVersionId == nil {
		return nil, fmt.Errorf("calling iam:GetPolicy for %s: the answer has no DefaultVersionId", policyARN)
	}
	name, version := aws.ToString(po.Policy.PolicyName), aws.ToString(po.Policy.DefaultVersionId)
	v, _, err := w.l.cache.do(w.ctx, w, "iam-policy-version/"+policyARN+"/"+version, d, true, func() (any, int, error) {
		var vo *iam.GetPolicyVersionOutput
		d2, err := w.call("iam:GetPolicyVersion", d, func(ctx context.Context) error {
			var err error
			vo, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: &policyARN, VersionId: &version})
			return err
		})
		if err != nil {
			return nil, d2, err
		}
		if vo == nil || vo.PolicyVersion == nil || vo.PolicyVersion.Document == nil {
			return nil, d2, fmt.Errorf("calling iam:GetPolicyVersion for %s %s: the answer has no Document", policyARN, version)
		}
		doc, err := parseDocument(*vo.PolicyVersion.Document)
		if err != nil {
			return nil, d2, fmt.Errorf("parsing managed policy %s version %s: %w", policyARN, version, err)
		}
		return doc, d2, nil
	})
	if err != nil {
		if ferr := fatal("iam:GetPolicyVersion", err); ferr != nil {
			return nil, ferr
		}
		rs.fail("iam:GetPolicyVersion", unreadable(what+" ("+policyARN+")", "iam:GetPolicyVersion", err))
		return nil, nil
	}
	return &managed{name: name, doc: v.(*policy.Document)}, nil
}

// boundary reads a permissions boundary.
func (w *walk) boundary(after int, policyARN, origin string, read *policy.Readability) (*policy.Source, error) {
	var rs readState
	mp, err := w.managedPolicy(after, policyARN, &rs, "the permissions boundary of "+origin)
	if err != nil {
		return nil, err
	}
	if mp == nil {
		*read = rs.read
		return nil, nil
	}
	return &policy.Source{Layer: policy.LayerBoundary, ARN: policyARN, Name: mp.name,
		Origin: origin + " (permissions boundary)", AWSManaged: layers.IsAWSManaged(policyARN), Document: mp.doc}, nil
}
