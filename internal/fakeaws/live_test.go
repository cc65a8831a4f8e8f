package fakeaws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// snapshotPaths are the snapshots offline examples and tests use.
func snapshotPaths(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no examples/*/snapshot.json")
	}
	return append(paths, realisticPath)
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func isAWSManagedARN(arn string) bool { return strings.Contains(arn, ":iam::aws:policy/") }

// rawString is a RawPolicy holding text as a JSON string, as a snapshot
// stores a document read from the raw API.
func rawString(t testing.TB, text string) layers.RawPolicy {
	t.Helper()
	b, err := json.Marshal(text)
	if err != nil {
		t.Fatal(err)
	}
	return layers.RawPolicy{JSON: b}
}

func fromInline(t testing.TB, list []iamtypes.PolicyDetail) []layers.InlinePolicy {
	out := []layers.InlinePolicy{}
	for _, p := range list {
		out = append(out, layers.InlinePolicy{PolicyName: aws.ToString(p.PolicyName), PolicyDocument: rawString(t, aws.ToString(p.PolicyDocument))})
	}
	return out
}

func fromAttached(list []iamtypes.AttachedPolicy) []layers.AttachedPolicy {
	out := []layers.AttachedPolicy{}
	for _, p := range list {
		out = append(out, layers.AttachedPolicy{PolicyName: aws.ToString(p.PolicyName), PolicyArn: aws.ToString(p.PolicyArn)})
	}
	return out
}

func fromBoundary(pb *iamtypes.AttachedPermissionsBoundary) *layers.PermissionsBoundary {
	if pb == nil {
		return nil
	}
	return &layers.PermissionsBoundary{PermissionsBoundaryType: string(pb.PermissionsBoundaryType), PermissionsBoundaryArn: aws.ToString(pb.PermissionsBoundaryArn)}
}

func fromTags(tags []iamtypes.Tag) []layers.Tag {
	var out []layers.Tag
	for _, t := range tags {
		out = append(out, layers.Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
	}
	return out
}

// fetchGAAD reads every page of GetAccountAuthorizationDetails into the
// snapshot's types, as `iamdiag snapshot` does.
func fetchGAAD(t testing.TB, c *iam.Client, filter []iamtypes.EntityType) *layers.AuthorizationDetails {
	t.Helper()
	d, _ := fetchGAADPages(t, c, filter)
	return d
}

// fetchGAADPages is fetchGAAD that also returns how many pages the client
// received: retries of a page (after a connection hiccup) are not counted.
func fetchGAADPages(t testing.TB, c *iam.Client, filter []iamtypes.EntityType) (*layers.AuthorizationDetails, int) {
	t.Helper()
	d := &layers.AuthorizationDetails{UserDetailList: []layers.User{}, GroupDetailList: []layers.Group{}, RoleDetailList: []layers.Role{}, Policies: []layers.ManagedPolicy{}}
	pg := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{Filter: filter})
	pages := 0
	for p := range allPages(t, context.Background(), pg.HasMorePages, pg.NextPage) {
		pages++
		for _, u := range p.UserDetailList {
			d.UserDetailList = append(d.UserDetailList, layers.User{
				Path: aws.ToString(u.Path), UserName: aws.ToString(u.UserName), UserID: aws.ToString(u.UserId), Arn: aws.ToString(u.Arn),
				UserPolicyList: fromInline(t, u.UserPolicyList), GroupList: append([]string{}, u.GroupList...),
				AttachedManagedPolicies: fromAttached(u.AttachedManagedPolicies), PermissionsBoundary: fromBoundary(u.PermissionsBoundary), Tags: fromTags(u.Tags),
			})
		}
		for _, g := range p.GroupDetailList {
			d.GroupDetailList = append(d.GroupDetailList, layers.Group{
				Path: aws.ToString(g.Path), GroupName: aws.ToString(g.GroupName), GroupID: aws.ToString(g.GroupId), Arn: aws.ToString(g.Arn),
				GroupPolicyList: fromInline(t, g.GroupPolicyList), AttachedManagedPolicies: fromAttached(g.AttachedManagedPolicies),
			})
		}
		for _, r := range p.RoleDetailList {
			d.RoleDetailList = append(d.RoleDetailList, layers.Role{
				Path: aws.ToString(r.Path), RoleName: aws.ToString(r.RoleName), RoleID: aws.ToString(r.RoleId), Arn: aws.ToString(r.Arn),
				AssumeRolePolicyDocument: rawString(t, aws.ToString(r.AssumeRolePolicyDocument)),
				InstanceProfileList:      []layers.InstanceProfile{},
				RolePolicyList:           fromInline(t, r.RolePolicyList), AttachedManagedPolicies: fromAttached(r.AttachedManagedPolicies),
				PermissionsBoundary: fromBoundary(r.PermissionsBoundary), Tags: fromTags(r.Tags),
			})
		}
		for _, mp := range p.Policies {
			m := layers.ManagedPolicy{
				PolicyName: aws.ToString(mp.PolicyName), PolicyID: aws.ToString(mp.PolicyId), Arn: aws.ToString(mp.Arn), Path: aws.ToString(mp.Path),
				DefaultVersionID: aws.ToString(mp.DefaultVersionId), AttachmentCount: int(aws.ToInt32(mp.AttachmentCount)), IsAttachable: mp.IsAttachable,
			}
			for _, v := range mp.PolicyVersionList {
				m.PolicyVersionList = append(m.PolicyVersionList, layers.PolicyVersion{
					Document: rawString(t, aws.ToString(v.Document)), VersionID: aws.ToString(v.VersionId), IsDefaultVersion: v.IsDefaultVersion,
				})
			}
			d.Policies = append(d.Policies, m)
		}
	}
	return d, pages
}

// fetchOrg walks the organization from its root with ListChildren, and
// reads every level's SCPs and RCPs with ListPoliciesForTarget and
// DescribePolicy.
func fetchOrg(t testing.TB, c *organizations.Client) *layers.Organization {
	t.Helper()
	ctx := context.Background()
	desc, err := c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	o := &layers.Organization{ID: aws.ToString(desc.Organization.Id), ManagementAccountID: aws.ToString(desc.Organization.MasterAccountId)}
	var roots []orgtypes.Root
	rp := organizations.NewListRootsPaginator(c, &organizations.ListRootsInput{})
	for p := range allPages(t, ctx, rp.HasMorePages, rp.NextPage) {
		roots = append(roots, p.Roots...)
	}
	enabled := map[orgtypes.PolicyType]bool{}
	var queue []layers.OrgNode
	for _, r := range roots {
		for _, pt := range r.PolicyTypes {
			enabled[pt.Type] = pt.Status == orgtypes.PolicyTypeStatusEnabled
		}
		queue = append(queue, layers.OrgNode{ID: aws.ToString(r.Id), Type: layers.NodeRoot, Name: aws.ToString(r.Name)})
	}
	policies := map[string]*layers.OrgPolicy{}
	var order []string
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		o.Nodes = append(o.Nodes, n)
		for _, typ := range []orgtypes.PolicyType{orgtypes.PolicyTypeServiceControlPolicy, orgtypes.PolicyTypeResourceControlPolicy} {
			if !enabled[typ] {
				continue
			}
			pp := organizations.NewListPoliciesForTargetPaginator(c, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(n.ID), Filter: typ})
			for p := range allPages(t, ctx, pp.HasMorePages, pp.NextPage) {
				for _, ps := range p.Policies {
					id := aws.ToString(ps.Id)
					if policies[id] == nil {
						dp, err := c.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: ps.Id})
						if err != nil {
							t.Fatal(err)
						}
						policies[id] = &layers.OrgPolicy{ID: id, ARN: aws.ToString(ps.Arn), Name: aws.ToString(ps.Name), Type: string(ps.Type),
							AWSManaged: ps.AwsManaged, Content: rawString(t, aws.ToString(dp.Policy.Content))}
						order = append(order, id)
					}
					policies[id].Targets = append(policies[id].Targets, n.ID)
				}
			}
		}
		if n.Type == layers.NodeAccount {
			continue
		}
		for _, ct := range []orgtypes.ChildType{orgtypes.ChildTypeOrganizationalUnit, orgtypes.ChildTypeAccount} {
			cp := organizations.NewListChildrenPaginator(c, &organizations.ListChildrenInput{ParentId: aws.String(n.ID), ChildType: ct})
			for p := range allPages(t, ctx, cp.HasMorePages, cp.NextPage) {
				for _, ch := range p.Children {
					child := layers.OrgNode{ID: aws.ToString(ch.Id), Type: string(ch.Type), Parent: n.ID}
					if ct == orgtypes.ChildTypeOrganizationalUnit {
						ou, err := c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: ch.Id})
						if err != nil {
							t.Fatal(err)
						}
						child.Name = aws.ToString(ou.OrganizationalUnit.Name)
					}
					queue = append(queue, child)
				}
			}
		}
	}
	for _, id := range order {
		o.Policies = append(o.Policies, *policies[id])
	}
	return o
}

// fetchResources reads the bucket and key policies of the snapshot's
// resource_policies through S3 and KMS.
func fetchResources(t testing.TB, cl clients, want []layers.ResourcePolicy) []layers.ResourcePolicy {
	t.Helper()
	ctx := context.Background()
	var out []layers.ResourcePolicy
	for _, rp := range want {
		switch {
		case strings.HasPrefix(rp.ARN, "arn:aws:s3:::"):
			p, err := cl.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(strings.TrimPrefix(rp.ARN, "arn:aws:s3:::"))})
			if rp.Policy.IsZero() {
				// Captured as having no policy: S3 says so.
				if err == nil {
					t.Errorf("GetBucketPolicy %s: a policy, want NoSuchBucketPolicy", rp.ARN)
				}
				out = append(out, layers.ResourcePolicy{ARN: rp.ARN})
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, layers.ResourcePolicy{ARN: rp.ARN, Policy: rawString(t, aws.ToString(p.Policy))})
		case strings.Contains(rp.ARN, ":kms:"):
			p, err := cl.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(rp.ARN)})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, layers.ResourcePolicy{ARN: rp.ARN, Policy: rawString(t, aws.ToString(p.Policy))})
		}
	}
	return out
}

// probeActions are requested of every principal when two snapshots are
// compared.
var probeActions = []struct{ action, resource string }{
	{"s3:GetObject", "*"}, {"s3:PutObject", "*"}, {"iam:PassRole", "*"}, {"ec2:RunInstances", "*"},
	{"sts:AssumeRole", "*"}, {"kms:Decrypt", "*"}, {"organizations:LeaveOrganization", "*"}, {"iam:CreateUser", "*"},
}

// compareIdentity checks that every role and user of want resolves, in
// got, to the same identity layer and boundary, and gets the same decision
// for every probe action.
func compareIdentity(t *testing.T, want, got *layers.Snapshot) {
	t.Helper()
	var principals []string
	for _, r := range want.AuthorizationDetails.RoleDetailList {
		principals = append(principals, r.Arn)
	}
	for _, u := range want.AuthorizationDetails.UserDetailList {
		principals = append(principals, u.Arn)
	}
	now := func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }
	for _, p := range principals {
		for _, pr := range probeActions {
			req := policy.NewRequest(p, pr.action, pr.resource)
			lw, errW := want.Layers(req)
			lg, errG := got.Layers(req)
			if (errW == nil) != (errG == nil) {
				t.Fatalf("%s: offline error %v, live error %v", p, errW, errG)
			}
			if errW != nil {
				continue
			}
			if len(lw.Identity) != len(lg.Identity) || (lw.Boundary == nil) != (lg.Boundary == nil) || lw.SCPRead.Unreadable != lg.SCPRead.Unreadable {
				t.Errorf("%s: offline has %d identity policies, boundary %v, SCPs unreadable %v; live %d, %v, %v",
					p, len(lw.Identity), lw.Boundary != nil, lw.SCPRead.Unreadable, len(lg.Identity), lg.Boundary != nil, lg.SCPRead.Unreadable)
			}
			dw := simulate.Evaluate(req, lw, simulate.Options{Now: now}).Decision
			dg := simulate.Evaluate(req, lg, simulate.Options{Now: now}).Decision
			if dw != dg {
				t.Errorf("%s %s: offline %s, live %s", p, pr.action, dw, dg)
			}
		}
	}
}

// TestLiveMatchesOffline reads each example snapshot back through every
// client (IAM, Organizations, S3, KMS), one item per page, and checks that
// the rebuilt snapshot gives every principal the same layers and decisions,
// SCPs included.
func TestLiveMatchesOffline(t *testing.T) {
	for _, path := range snapshotPaths(t) {
		t.Run(path, func(t *testing.T) {
			snap := loadSnapshot(t, path)
			_, u := serve(t, snap, Options{PageSize: 1})
			cl := newClients(awsConfig(u))
			rebuilt := &layers.Snapshot{Format: layers.Format, AccountID: snap.AccountID, AuthorizationDetails: *fetchGAAD(t, cl.iam, nil)}
			if snap.Organization != nil {
				rebuilt.Organization = fetchOrg(t, cl.org)
				wantIDs, gotIDs := nodeIDs(snap.Organization), nodeIDs(rebuilt.Organization)
				if !equalStrings(wantIDs, gotIDs) {
					t.Errorf("organization nodes: live %v, offline %v", gotIDs, wantIDs)
				}
			} else {
				// No organization section: unreadable, as from a member
				// account.
				_, err := cl.org.DescribeOrganization(context.Background(), &organizations.DescribeOrganizationInput{})
				var denied *orgtypes.AccessDeniedException
				if !errors.As(err, &denied) {
					t.Errorf("DescribeOrganization without an organization section: %v, want AccessDeniedException", err)
				}
			}
			rebuilt.ResourcePolicies = fetchResources(t, cl, snap.ResourcePolicies)
			b, err := rebuilt.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			live, err := layers.Load(bytesReader(b))
			if err != nil {
				t.Fatalf("loading the snapshot rebuilt from the fake: %v", err)
			}
			compareIdentity(t, snap, live)
		})
	}
}

func nodeIDs(o *layers.Organization) []string {
	var ids []string
	for _, n := range o.Nodes {
		ids = append(ids, n.Type+":"+n.ID+"<"+n.Parent)
	}
	sort.Strings(ids)
	return ids
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
