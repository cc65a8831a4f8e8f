package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamdiag/iamdiag/internal/awserr"
	"github.com/iamdiag/iamdiag/internal/layers"
)

// AuthorizationDetailsReader is the IAM call of Capture; *iam.Client
// implements it.
type AuthorizationDetailsReader interface {
	GetAccountAuthorizationDetails(ctx context.Context, params *iam.GetAccountAuthorizationDetailsInput, optFns ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error)
}

// CallerIdentityReader tells Capture which account it reads; *sts.Client
// implements it.
type CallerIdentityReader interface {
	GetCallerIdentity(ctx context.Context, params *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// OrganizationCaptureReader is the Organizations calls of Capture;
// *organizations.Client implements it.
type OrganizationCaptureReader interface {
	OrganizationsReader
	ListOrganizationalUnitsForParent(ctx context.Context, params *organizations.ListOrganizationalUnitsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
	ListChildren(ctx context.Context, params *organizations.ListChildrenInput, optFns ...func(*organizations.Options)) (*organizations.ListChildrenOutput, error)
	ListAccounts(ctx context.Context, params *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	ListPolicies(ctx context.Context, params *organizations.ListPoliciesInput, optFns ...func(*organizations.Options)) (*organizations.ListPoliciesOutput, error)
	ListTargetsForPolicy(ctx context.Context, params *organizations.ListTargetsForPolicyInput, optFns ...func(*organizations.Options)) (*organizations.ListTargetsForPolicyOutput, error)
}

// CaptureClients are the clients Capture reads through. IAM and STS are
// required; a nil Organizations leaves the organization out (unreadable).
type CaptureClients struct {
	IAM           AuthorizationDetailsReader
	STS           CallerIdentityReader
	Organizations OrganizationCaptureReader
}

// CaptureOptions tunes Capture. The zero value is ready to use.
type CaptureOptions struct {
	// Progress, when set, is called as the capture advances: stage is
	// "authorization details" (done = pages read, total 0 = unknown),
	// "organization tree" (done = nodes found) or "organization policies"
	// (done of total policies read). It is called from one goroutine at a
	// time.
	Progress func(stage string, done, total int)
	// Concurrency bounds the Organizations calls in flight (default 8).
	Concurrency int
	// Now gives the capture time (default time.Now).
	Now func() time.Time
}

// Capture reads the account's IAM authorization details (every page, every
// Entity type), its account id, and, where the credentials may read it, the
// organization: its tree from the root and every SCP and RCP with its
// content and targets. When the organization cannot be read the snapshot
// has none (its SCP and RCP layers are then unknown) and a warning says
// why; warnings are for people. An account in no organization gets a
// standalone Organization: no SCP or RCP applies to it. The snapshot is indexed, ready for Layers
// and Marshal.
func Capture(ctx context.Context, c CaptureClients, opt CaptureOptions) (*layers.Snapshot, []string, error) {
	if c.IAM == nil || c.STS == nil {
		return nil, nil, errors.New("capturing: the IAM and STS clients are required")
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 8
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	var pmu sync.Mutex
	progress := func(stage string, done, total int) {
		if opt.Progress != nil {
			pmu.Lock()
			opt.Progress(stage, done, total)
			pmu.Unlock()
		}
	}
	id, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, nil, captureErr("sts:GetCallerIdentity", err)
	}
	if id == nil || id.Account == nil {
		return nil, nil, errors.New("capturing: sts:GetCallerIdentity returned no account")
	}
	s := &layers.Snapshot{Format: layers.Format, CapturedAt: opt.Now().UTC().Truncate(time.Second), AccountID: aws.ToString(id.Account)}

	var (
		wg       sync.WaitGroup
		gaadErr  error
		orgErr   error
		org      *layers.Organization
		warnings []string
	)
	wg.Go(func() {
		s.AuthorizationDetails, gaadErr = captureAuthorization(ctx, c.IAM, progress)
	})
	if c.Organizations == nil {
		warnings = append(warnings, "no Organizations client: the snapshot has no organization, so its SCPs and RCPs are unknown")
	} else {
		wg.Go(func() {
			var warn string
			org, warn, orgErr = captureOrganization(ctx, c.Organizations, s.AccountID, opt.Concurrency, progress)
			if warn != "" {
				warnings = append(warnings, warn)
			}
		})
	}
	wg.Wait()
	if gaadErr != nil {
		return nil, nil, gaadErr
	}
	if orgErr != nil {
		return nil, nil, orgErr
	}
	s.Organization = org
	if err := s.Index(); err != nil {
		return nil, nil, fmt.Errorf("capturing: the captured snapshot does not index: %w", err)
	}
	return s, warnings, nil
}

// captureErr wraps a failed capture call; rejected credentials wrap
// ErrCredentials.
func captureErr(op string, err error) error {
	if f := fatal(op, err); f != nil {
		return fmt.Errorf("capturing: %w", f)
	}
	code := awserr.Code(err)
	if awserr.IsDenied(code) {
		return fmt.Errorf("capturing: %s was denied (%s): allow it to the credentials iamdiag runs with (see the README's minimal policy): %w", op, code, err)
	}
	return fmt.Errorf("capturing: %s failed (%s): %w", op, code, err)
}

// captureAuthorization reads every page of iam:GetAccountAuthorizationDetails.
func captureAuthorization(ctx context.Context, c AuthorizationDetailsReader, progress func(string, int, int)) (layers.AuthorizationDetails, error) {
	var d layers.AuthorizationDetails
	in := &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{
		iamtypes.EntityTypeUser, iamtypes.EntityTypeRole, iamtypes.EntityTypeGroup,
		iamtypes.EntityTypeLocalManagedPolicy, iamtypes.EntityTypeAWSManagedPolicy,
	}}
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c, in)
	pages := 0
	for p.HasMorePages() {
		o, err := p.NextPage(ctx)
		if err != nil {
			return d, captureErr("iam:GetAccountAuthorizationDetails", err)
		}
		pages++
		progress("authorization details", pages, 0)
		for i := range o.UserDetailList {
			d.UserDetailList = append(d.UserDetailList, captureUser(&o.UserDetailList[i]))
		}
		for i := range o.GroupDetailList {
			d.GroupDetailList = append(d.GroupDetailList, captureGroup(&o.GroupDetailList[i]))
		}
		for i := range o.RoleDetailList {
			d.RoleDetailList = append(d.RoleDetailList, captureRole(&o.RoleDetailList[i]))
		}
		for i := range o.Policies {
			d.Policies = append(d.Policies, captureManaged(&o.Policies[i]))
		}
	}
	// Keep the lists non-nil: the file then shows empty lists, as the AWS
	// CLI prints them.
	if d.UserDetailList == nil {
		d.UserDetailList = []layers.User{}
	}
	if d.GroupDetailList == nil {
		d.GroupDetailList = []layers.Group{}
	}
	if d.RoleDetailList == nil {
		d.RoleDetailList = []layers.Role{}
	}
	if d.Policies == nil {
		d.Policies = []layers.ManagedPolicy{}
	}
	return d, nil
}

// rawDocument stores a document the IAM API returned URL-encoded as the JSON
// object the AWS CLI prints; text that does not decode to a JSON object is
// kept as a string for Index to judge.
func rawDocument(s *string) layers.RawPolicy {
	if s == nil {
		return layers.RawPolicy{}
	}
	text := *s
	if dec, err := url.PathUnescape(text); err == nil {
		text = dec
	}
	if t := bytes.TrimSpace([]byte(text)); len(t) > 0 && t[0] == '{' && json.Valid(t) {
		var b bytes.Buffer
		if err := json.Compact(&b, t); err == nil {
			return layers.RawPolicy{JSON: b.Bytes()}
		}
	}
	js, _ := json.Marshal(*s)
	return layers.RawPolicy{JSON: js}
}

func date(t *time.Time) string {
	if t == nil {
		return ""
	}
	// The AWS CLI's form: 2023-03-09T10:41:45+00:00.
	return t.UTC().Format("2006-01-02T15:04:05+00:00")
}

func captureTags(tags []iamtypes.Tag) []layers.Tag {
	var out []layers.Tag
	for _, t := range tags {
		out = append(out, layers.Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
	}
	return out
}

func captureAttached(list []iamtypes.AttachedPolicy) []layers.AttachedPolicy {
	out := []layers.AttachedPolicy{}
	for _, a := range list {
		out = append(out, layers.AttachedPolicy{PolicyName: aws.ToString(a.PolicyName), PolicyArn: aws.ToString(a.PolicyArn)})
	}
	return out
}

func captureInline(list []iamtypes.PolicyDetail) []layers.InlinePolicy {
	var out []layers.InlinePolicy
	for _, p := range list {
		out = append(out, layers.InlinePolicy{PolicyName: aws.ToString(p.PolicyName), PolicyDocument: rawDocument(p.PolicyDocument)})
	}
	return out
}

func captureBoundary(b *iamtypes.AttachedPermissionsBoundary) *layers.PermissionsBoundary {
	if b == nil || b.PermissionsBoundaryArn == nil {
		return nil
	}
	return &layers.PermissionsBoundary{PermissionsBoundaryType: string(b.PermissionsBoundaryType), PermissionsBoundaryArn: aws.ToString(b.PermissionsBoundaryArn)}
}

func captureUser(u *iamtypes.UserDetail) layers.User {
	groups := append([]string{}, u.GroupList...)
	return layers.User{
		Path: aws.ToString(u.Path), UserName: aws.ToString(u.UserName), UserID: aws.ToString(u.UserId),
		Arn: aws.ToString(u.Arn), CreateDate: date(u.CreateDate), UserPolicyList: captureInline(u.UserPolicyList),
		GroupList: groups, AttachedManagedPolicies: captureAttached(u.AttachedManagedPolicies),
		PermissionsBoundary: captureBoundary(u.PermissionsBoundary), Tags: captureTags(u.Tags),
	}
}

func captureGroup(g *iamtypes.GroupDetail) layers.Group {
	inline := captureInline(g.GroupPolicyList)
	if inline == nil {
		inline = []layers.InlinePolicy{}
	}
	return layers.Group{
		Path: aws.ToString(g.Path), GroupName: aws.ToString(g.GroupName), GroupID: aws.ToString(g.GroupId),
		Arn: aws.ToString(g.Arn), CreateDate: date(g.CreateDate), GroupPolicyList: inline,
		AttachedManagedPolicies: captureAttached(g.AttachedManagedPolicies),
	}
}

func captureRole(r *iamtypes.RoleDetail) layers.Role {
	inline := captureInline(r.RolePolicyList)
	if inline == nil {
		inline = []layers.InlinePolicy{}
	}
	out := layers.Role{
		Path: aws.ToString(r.Path), RoleName: aws.ToString(r.RoleName), RoleID: aws.ToString(r.RoleId),
		Arn: aws.ToString(r.Arn), CreateDate: date(r.CreateDate), AssumeRolePolicyDocument: rawDocument(r.AssumeRolePolicyDocument),
		InstanceProfileList: []layers.InstanceProfile{}, RolePolicyList: inline,
		AttachedManagedPolicies: captureAttached(r.AttachedManagedPolicies),
		PermissionsBoundary:     captureBoundary(r.PermissionsBoundary), Tags: captureTags(r.Tags),
	}
	for _, ip := range r.InstanceProfileList {
		cip := layers.InstanceProfile{Path: aws.ToString(ip.Path), InstanceProfileName: aws.ToString(ip.InstanceProfileName),
			InstanceProfileID: aws.ToString(ip.InstanceProfileId), Arn: aws.ToString(ip.Arn), CreateDate: date(ip.CreateDate),
			Roles: []layers.InstanceProfileRole{}, Tags: captureTags(ip.Tags)}
		for _, ir := range ip.Roles {
			cip.Roles = append(cip.Roles, layers.InstanceProfileRole{Path: aws.ToString(ir.Path), RoleName: aws.ToString(ir.RoleName),
				RoleID: aws.ToString(ir.RoleId), Arn: aws.ToString(ir.Arn), CreateDate: date(ir.CreateDate),
				AssumeRolePolicyDocument: rawDocument(ir.AssumeRolePolicyDocument), Description: aws.ToString(ir.Description),
				MaxSessionDuration: int(aws.ToInt32(ir.MaxSessionDuration)), Tags: captureTags(ir.Tags)})
		}
		out.InstanceProfileList = append(out.InstanceProfileList, cip)
	}
	if r.RoleLastUsed != nil && (r.RoleLastUsed.LastUsedDate != nil || r.RoleLastUsed.Region != nil) {
		out.RoleLastUsed = &layers.RoleLastUsed{LastUsedDate: date(r.RoleLastUsed.LastUsedDate), Region: aws.ToString(r.RoleLastUsed.Region)}
	}
	return out
}

func captureManaged(p *iamtypes.ManagedPolicyDetail) layers.ManagedPolicy {
	out := layers.ManagedPolicy{
		PolicyName: aws.ToString(p.PolicyName), PolicyID: aws.ToString(p.PolicyId), Arn: aws.ToString(p.Arn),
		Path: aws.ToString(p.Path), DefaultVersionID: aws.ToString(p.DefaultVersionId),
		AttachmentCount: int(aws.ToInt32(p.AttachmentCount)), PermissionsBoundaryUsageCount: int(aws.ToInt32(p.PermissionsBoundaryUsageCount)),
		IsAttachable: p.IsAttachable, Description: aws.ToString(p.Description),
		CreateDate: date(p.CreateDate), UpdateDate: date(p.UpdateDate), PolicyVersionList: []layers.PolicyVersion{},
	}
	for _, v := range p.PolicyVersionList {
		out.PolicyVersionList = append(out.PolicyVersionList, layers.PolicyVersion{Document: rawDocument(v.Document),
			VersionID: aws.ToString(v.VersionId), IsDefaultVersion: v.IsDefaultVersion, CreateDate: date(v.CreateDate)})
	}
	return out
}

// captureOrganization reads the organization tree and its SCPs and RCPs.
// A read the credentials may not make leaves the organization out and
// returns a warning; only rejected credentials and failures without an AWS
// error code are errors.
func captureOrganization(ctx context.Context, c OrganizationCaptureReader, account string, concurrency int, progress func(string, int, int)) (*layers.Organization, string, error) {
	skip := func(op string, err error) (*layers.Organization, string, error) {
		if f := fatal(op, err); f != nil {
			return nil, "", fmt.Errorf("capturing the organization: %w", f)
		}
		r := orgUnreadable("SCPs and RCPs", op, err)
		return nil, r.Message + "; the snapshot has no organization, so its SCP and RCP layers are unknown", nil
	}
	do, err := c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if awserr.Code(err) == layers.CodeNotInUse {
		// The account is in no organization: no SCP or RCP applies, which
		// the snapshot says explicitly (an absent organization would mean
		// unknown).
		return &layers.Organization{Standalone: true}, "", nil
	}
	if err != nil {
		return skip("organizations:DescribeOrganization", err)
	}
	if do == nil || do.Organization == nil {
		return nil, "", errors.New("capturing the organization: organizations:DescribeOrganization returned no organization")
	}
	o := &layers.Organization{ID: aws.ToString(do.Organization.Id), ManagementAccountID: aws.ToString(do.Organization.MasterAccountId), Nodes: []layers.OrgNode{}, Policies: []layers.OrgPolicy{}}

	var pathOnly string
	nodes, op, err := captureTree(ctx, c, progress)
	if err != nil {
		if f := fatal(op, err); f != nil {
			return nil, "", fmt.Errorf("capturing the organization: %w", f)
		}
		if !awserr.IsDenied(awserr.Code(err)) {
			return skip(op, err)
		}
		// Listing the tree is denied: keep the account's own path, which
		// is all its SCPs and RCPs need.
		var perr error
		nodes, op, perr = capturePath(ctx, c, account)
		if perr != nil {
			return skip(op, perr)
		}
		pathOnly = fmt.Sprintf("%s was denied (%s): the snapshot holds only account %s's path to the root, so other accounts' SCPs and RCPs are unknown", op, awserr.Code(err), account)
	}
	o.Nodes = nodes

	sem := make(chan struct{}, concurrency)
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		first error
		fop   string
		done  int
	)
	for _, pt := range []orgtypes.PolicyType{orgtypes.PolicyTypeServiceControlPolicy, orgtypes.PolicyTypeResourceControlPolicy} {
		p := organizations.NewListPoliciesPaginator(c, &organizations.ListPoliciesInput{Filter: pt})
		var sums []orgtypes.PolicySummary
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				if awserr.Code(err) == "PolicyTypeNotEnabledException" {
					sums = nil
					break
				}
				return skip("organizations:ListPolicies", err)
			}
			sums = append(sums, page.Policies...)
		}
		for _, sum := range sums {
			o.Policies = append(o.Policies, layers.OrgPolicy{ID: aws.ToString(sum.Id), ARN: aws.ToString(sum.Arn), Name: aws.ToString(sum.Name),
				Type: string(pt), AWSManaged: sum.AwsManaged, Targets: []string{}})
		}
	}
	// o.Policies is complete: its elements no longer move.
	for i := range o.Policies {
		op := &o.Policies[i]
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			fail := func(name string, err error) {
				mu.Lock()
				if first == nil {
					first, fop = err, name
				}
				mu.Unlock()
			}
			dp, err := c.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: &op.ID})
			if err != nil {
				fail("organizations:DescribePolicy", err)
				return
			}
			if dp == nil || dp.Policy == nil || dp.Policy.Content == nil {
				fail("organizations:DescribePolicy", fmt.Errorf("policy %s has no content", op.ID))
				return
			}
			content := strings.TrimSpace(*dp.Policy.Content)
			if json.Valid([]byte(content)) && strings.HasPrefix(content, "{") {
				op.Content = layers.RawPolicy{JSON: json.RawMessage(content)}
			} else {
				js, _ := json.Marshal(content)
				op.Content = layers.RawPolicy{JSON: js}
			}
			tp := organizations.NewListTargetsForPolicyPaginator(c, &organizations.ListTargetsForPolicyInput{PolicyId: &op.ID})
			for tp.HasMorePages() {
				page, err := tp.NextPage(ctx)
				if err != nil {
					fail("organizations:ListTargetsForPolicy", err)
					return
				}
				for _, t := range page.Targets {
					op.Targets = append(op.Targets, aws.ToString(t.TargetId))
				}
			}
			mu.Lock()
			done++
			n := done
			mu.Unlock()
			progress("organization policies", n, len(o.Policies))
		})
	}
	wg.Wait()
	if first != nil {
		return skip(fop, first)
	}
	return o, pathOnly, nil
}

// captureTree lists the organization from its root down.
func captureTree(ctx context.Context, c OrganizationCaptureReader, progress func(string, int, int)) ([]layers.OrgNode, string, error) {
	var nodes []layers.OrgNode
	rp := organizations.NewListRootsPaginator(c, &organizations.ListRootsInput{})
	var queue []string
	for rp.HasMorePages() {
		page, err := rp.NextPage(ctx)
		if err != nil {
			return nil, "organizations:ListRoots", err
		}
		for _, r := range page.Roots {
			nodes = append(nodes, layers.OrgNode{ID: aws.ToString(r.Id), Type: layers.NodeRoot, Name: aws.ToString(r.Name)})
			queue = append(queue, aws.ToString(r.Id))
		}
	}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		op := organizations.NewListOrganizationalUnitsForParentPaginator(c, &organizations.ListOrganizationalUnitsForParentInput{ParentId: &parent})
		for op.HasMorePages() {
			page, err := op.NextPage(ctx)
			if err != nil {
				return nil, "organizations:ListOrganizationalUnitsForParent", err
			}
			for _, ou := range page.OrganizationalUnits {
				nodes = append(nodes, layers.OrgNode{ID: aws.ToString(ou.Id), Type: layers.NodeOU, Parent: parent, Name: aws.ToString(ou.Name)})
				queue = append(queue, aws.ToString(ou.Id))
			}
		}
		cp := organizations.NewListChildrenPaginator(c, &organizations.ListChildrenInput{ParentId: &parent, ChildType: orgtypes.ChildTypeAccount})
		for cp.HasMorePages() {
			page, err := cp.NextPage(ctx)
			if err != nil {
				return nil, "organizations:ListChildren", err
			}
			for _, ch := range page.Children {
				nodes = append(nodes, layers.OrgNode{ID: aws.ToString(ch.Id), Type: layers.NodeAccount, Parent: parent})
			}
		}
		progress("organization tree", len(nodes), 0)
	}
	// Account names, for people; the tree is complete without them.
	names := map[string]string{}
	ap := organizations.NewListAccountsPaginator(c, &organizations.ListAccountsInput{})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			if f := fatal("organizations:ListAccounts", err); f != nil {
				return nil, "organizations:ListAccounts", err
			}
			break
		}
		for _, a := range page.Accounts {
			names[aws.ToString(a.Id)] = aws.ToString(a.Name)
		}
	}
	for i := range nodes {
		if nodes[i].Type == layers.NodeAccount {
			nodes[i].Name = names[nodes[i].ID]
		}
	}
	return nodes, "", nil
}

// capturePath reads only the path from account up to the root.
func capturePath(ctx context.Context, c OrganizationCaptureReader, account string) ([]layers.OrgNode, string, error) {
	var chain []layers.OrgNode
	cur := layers.OrgNode{ID: account, Type: layers.NodeAccount}
	if o, err := c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: &account}); err == nil && o != nil && o.Account != nil {
		cur.Name = aws.ToString(o.Account.Name)
	}
	for range 8 {
		o, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: &cur.ID})
		if err != nil {
			return nil, "organizations:ListParents", err
		}
		if o == nil || len(o.Parents) != 1 {
			return nil, "organizations:ListParents", fmt.Errorf("organizations:ListParents of %s did not return exactly one parent", cur.ID)
		}
		p := o.Parents[0]
		cur.Parent = aws.ToString(p.Id)
		chain = append(chain, cur)
		if p.Type == orgtypes.ParentTypeRoot {
			root := layers.OrgNode{ID: cur.Parent, Type: layers.NodeRoot}
			if r, err := c.ListRoots(ctx, &organizations.ListRootsInput{}); err == nil && r != nil {
				for _, rt := range r.Roots {
					if aws.ToString(rt.Id) == root.ID {
						root.Name = aws.ToString(rt.Name)
					}
				}
			}
			chain = append(chain, root)
			slices.Reverse(chain)
			return chain, "", nil
		}
		cur = layers.OrgNode{ID: cur.Parent, Type: layers.NodeOU}
		if d, err := c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: &cur.ID}); err == nil && d != nil && d.OrganizationalUnit != nil {
			cur.Name = aws.ToString(d.OrganizationalUnit.Name)
		}
	}
	return nil, "organizations:ListParents", fmt.Errorf("the parents of %s do not reach a root", account)
}
