package fakeaws

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/layers"
)

// entityView is what iamdiag reads of a role or user, with documents in
// canonical form.
type entityView struct {
	Arn, Path, ID string
	Tags          map[string]string
	Boundary      string
	Inline        map[string]any
	Attached      []string
	Groups        []string
	Trust         any
}

func tagMap(tags []layers.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

func sdkTags(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func attachedARNs(list []layers.AttachedPolicy) []string {
	out := []string{}
	for _, ap := range list {
		out = append(out, ap.PolicyArn)
	}
	sort.Strings(out)
	return out
}

func inlineDocs(t *testing.T, list []layers.InlinePolicy) map[string]any {
	m := map[string]any{}
	for i := range list {
		m[list[i].PolicyName] = rawCanonical(t, list[i].PolicyDocument)
	}
	return m
}

func boundaryARN(pb *layers.PermissionsBoundary) string {
	if pb == nil {
		return ""
	}
	return pb.PermissionsBoundaryArn
}

func sdkBoundary(pb *types.AttachedPermissionsBoundary) string {
	if pb == nil {
		return ""
	}
	return aws.ToString(pb.PermissionsBoundaryArn)
}

// TestIAMEntitiesRoundTrip reads every role, user and group of the
// realistic snapshot through the IAM client, one item per page, and
// compares what iamdiag would see with the snapshot.
func TestIAMEntitiesRoundTrip(t *testing.T) {
	snap := loadSnapshot(t, realisticPath)
	srv, u := serve(t, snap, Options{PageSize: 1})
	c := newClients(awsConfig(u)).iam
	ctx := context.Background()
	d := &snap.AuthorizationDetails

	for i := range d.RoleDetailList {
		r := &d.RoleDetailList[i]
		want := entityView{Arn: r.Arn, Path: r.Path, ID: r.RoleID, Tags: tagMap(r.Tags), Boundary: boundaryARN(r.PermissionsBoundary),
			Inline: inlineDocs(t, r.RolePolicyList), Attached: attachedARNs(r.AttachedManagedPolicies), Trust: rawCanonical(t, r.AssumeRolePolicyDocument)}
		got := entityView{Inline: map[string]any{}, Attached: []string{}, Tags: map[string]string{}}
		out, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: &r.RoleName})
		if err != nil {
			t.Fatalf("GetRole %s: %v", r.RoleName, err)
		}
		got.Arn, got.Path, got.ID = aws.ToString(out.Role.Arn), aws.ToString(out.Role.Path), aws.ToString(out.Role.RoleId)
		got.Boundary = sdkBoundary(out.Role.PermissionsBoundary)
		got.Trust = canonical(t, aws.ToString(out.Role.AssumeRolePolicyDocument))
		if out.Role.CreateDate == nil {
			t.Errorf("GetRole %s: no CreateDate", r.RoleName)
		}
		names := iam.NewListRolePoliciesPaginator(c, &iam.ListRolePoliciesInput{RoleName: &r.RoleName})
		for p := range allPages(t, ctx, names.HasMorePages, names.NextPage) {
			for _, n := range p.PolicyNames {
				doc, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &r.RoleName, PolicyName: aws.String(n)})
				if err != nil {
					t.Fatal(err)
				}
				got.Inline[n] = canonical(t, aws.ToString(doc.PolicyDocument))
			}
		}
		att := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: &r.RoleName})
		for p := range allPages(t, ctx, att.HasMorePages, att.NextPage) {
			for _, ap := range p.AttachedPolicies {
				got.Attached = append(got.Attached, aws.ToString(ap.PolicyArn))
			}
		}
		sort.Strings(got.Attached)
		tags := iam.NewListRoleTagsPaginator(c, &iam.ListRoleTagsInput{RoleName: &r.RoleName})
		for p := range allPages(t, ctx, tags.HasMorePages, tags.NextPage) {
			for k, v := range sdkTags(p.Tags) {
				got.Tags[k] = v
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("role %s (-snapshot +IAM):\n%s", r.RoleName, diff)
		}
		if tagsOut := sdkTags(out.Role.Tags); !cmp.Equal(tagsOut, want.Tags) {
			t.Errorf("GetRole %s tags = %v, want %v", r.RoleName, tagsOut, want.Tags)
		}
	}

	for i := range d.UserDetailList {
		us := &d.UserDetailList[i]
		groups := append([]string{}, us.GroupList...)
		sort.Strings(groups)
		want := entityView{Arn: us.Arn, Path: us.Path, ID: us.UserID, Tags: tagMap(us.Tags), Boundary: boundaryARN(us.PermissionsBoundary),
			Inline: inlineDocs(t, us.UserPolicyList), Attached: attachedARNs(us.AttachedManagedPolicies), Groups: groups}
		got := entityView{Inline: map[string]any{}, Attached: []string{}, Tags: map[string]string{}, Groups: []string{}}
		out, err := c.GetUser(ctx, &iam.GetUserInput{UserName: &us.UserName})
		if err != nil {
			t.Fatalf("GetUser %s: %v", us.UserName, err)
		}
		got.Arn, got.Path, got.ID = aws.ToString(out.User.Arn), aws.ToString(out.User.Path), aws.ToString(out.User.UserId)
		got.Boundary = sdkBoundary(out.User.PermissionsBoundary)
		names := iam.NewListUserPoliciesPaginator(c, &iam.ListUserPoliciesInput{UserName: &us.UserName})
		for p := range allPages(t, ctx, names.HasMorePages, names.NextPage) {
			for _, n := range p.PolicyNames {
				doc, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: &us.UserName, PolicyName: aws.String(n)})
				if err != nil {
					t.Fatal(err)
				}
				got.Inline[n] = canonical(t, aws.ToString(doc.PolicyDocument))
			}
		}
		att := iam.NewListAttachedUserPoliciesPaginator(c, &iam.ListAttachedUserPoliciesInput{UserName: &us.UserName})
		for p := range allPages(t, ctx, att.HasMorePages, att.NextPage) {
			for _, ap := range p.AttachedPolicies {
				got.Attached = append(got.Attached, aws.ToString(ap.PolicyArn))
			}
		}
		sort.Strings(got.Attached)
		gp := iam.NewListGroupsForUserPaginator(c, &iam.ListGroupsForUserInput{UserName: &us.UserName})
		for p := range allPages(t, ctx, gp.HasMorePages, gp.NextPage) {
			for _, g := range p.Groups {
				got.Groups = append(got.Groups, aws.ToString(g.GroupName))
			}
		}
		sort.Strings(got.Groups)
		tags := iam.NewListUserTagsPaginator(c, &iam.ListUserTagsInput{UserName: &us.UserName})
		for p := range allPages(t, ctx, tags.HasMorePages, tags.NextPage) {
			for k, v := range sdkTags(p.Tags) {
				got.Tags[k] = v
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("user %s (-snapshot +IAM):\n%s", us.UserName, diff)
		}
	}

	for i := range d.GroupDetailList {
		g := &d.GroupDetailList[i]
		want := entityView{Inline: inlineDocs(t, g.GroupPolicyList), Attached: attachedARNs(g.AttachedManagedPolicies)}
		got := entityView{Inline: map[string]any{}, Attached: []string{}}
		names := iam.NewListGroupPoliciesPaginator(c, &iam.ListGroupPoliciesInput{GroupName: &g.GroupName})
		for p := range allPages(t, ctx, names.HasMorePages, names.NextPage) {
			for _, n := range p.PolicyNames {
				doc, err := c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: &g.GroupName, PolicyName: aws.String(n)})
				if err != nil {
					t.Fatal(err)
				}
				got.Inline[n] = canonical(t, aws.ToString(doc.PolicyDocument))
			}
		}
		att := iam.NewListAttachedGroupPoliciesPaginator(c, &iam.ListAttachedGroupPoliciesInput{GroupName: &g.GroupName})
		for p := range allPages(t, ctx, att.HasMorePages, att.NextPage) {
			for _, ap := range p.AttachedPolicies {
				got.Attached = append(got.Attached, aws.ToString(ap.PolicyArn))
			}
		}
		sort.Strings(got.Attached)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("group %s (-snapshot +IAM):\n%s", g.GroupName, diff)
		}
	}

	for i := range d.Policies {
		p := &d.Policies[i]
		out, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: &p.Arn})
		if err != nil {
			t.Fatalf("GetPolicy %s: %v", p.Arn, err)
		}
		def := defaultVersion(p)
		if got := aws.ToString(out.Policy.DefaultVersionId); got != def.VersionID {
			t.Errorf("GetPolicy %s DefaultVersionId = %q, want %q", p.Arn, got, def.VersionID)
		}
		v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: &p.Arn, VersionId: out.Policy.DefaultVersionId})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(rawCanonical(t, def.Document), canonical(t, aws.ToString(v.PolicyVersion.Document))); diff != "" {
			t.Errorf("policy %s default version (-snapshot +IAM):\n%s", p.Arn, diff)
		}
		if !v.PolicyVersion.IsDefaultVersion {
			t.Errorf("policy %s: GetPolicyVersion of the default version says IsDefaultVersion false", p.Arn)
		}
	}
	if srv.Calls()["GetRole"] != len(d.RoleDetailList) {
		t.Errorf("GetRole calls = %d, want %d", srv.Calls()["GetRole"], len(d.RoleDetailList))
	}
}

// TestIAMDocumentsAreURLEncoded checks the raw wire form: documents are
// RFC 3986 encoded, so a '+' and a space survive both unescape functions.
func TestIAMDocumentsAreURLEncoded(t *testing.T) {
	snap := parseSnapshot(t, `{"format":"iamdiag-snapshot/v1","account_id":"111122223333","authorization_details":{
	 "RoleDetailList":[{"Path":"/","RoleName":"r","RoleId":"AROAR","Arn":"arn:aws:iam::111122223333:role/r",
	  "AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]},
	  "RolePolicyList":[{"PolicyName":"p","PolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/a+b c%"}]}}],
	  "AttachedManagedPolicies":[],"InstanceProfileList":[]}]}}`)
	_, u := serve(t, snap, Options{})
	c := newClients(awsConfig(u)).iam
	out, err := c.GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p")})
	if err != nil {
		t.Fatal(err)
	}
	enc := aws.ToString(out.PolicyDocument)
	for _, unescape := range []func(string) (string, error){url.PathUnescape, url.QueryUnescape} {
		dec, err := unescape(enc)
		if err != nil {
			t.Fatal(err)
		}
		if want := `"arn:aws:s3:::b/a+b c%"`; !strings.Contains(dec, want) {
			t.Errorf("decoded document %s lacks %s", dec, want)
		}
	}
}

// TestIAMErrors checks the error codes IAM callers branch on.
func TestIAMErrors(t *testing.T) {
	snap := loadSnapshot(t, realisticPath)
	_, u := serve(t, snap, Options{})
	c := newClients(awsConfig(u)).iam
	ctx := context.Background()
	role := snap.AuthorizationDetails.RoleDetailList[0].RoleName
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"unknown role", func() error {
			_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("no-such-role")})
			return err
		}, "NoSuchEntity"},
		{"unknown inline policy", func() error {
			_, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &role, PolicyName: aws.String("nope")})
			return err
		}, "NoSuchEntity"},
		{"unknown managed policy", func() error {
			_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/Nope")})
			return err
		}, "NoSuchEntity"},
		{"unknown policy version", func() error {
			p := snap.AuthorizationDetails.Policies[0].Arn
			_, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: &p, VersionId: aws.String("v999")})
			return err
		}, "NoSuchEntity"},
		{"unknown user", func() error {
			_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity"},
		{"GetUser as a role session", func() error {
			_, err := c.GetUser(ctx, &iam.GetUserInput{})
			return err
		}, "ValidationError"},
		{"forged marker", func() error {
			_, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: &role, Marker: aws.String("forged")})
			return err
		}, "ValidationError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not a smithy.APIError", err)
			}
			if ae.ErrorCode() != tc.code {
				t.Errorf("ErrorCode() = %q, want %q (%v)", ae.ErrorCode(), tc.code, err)
			}
		})
	}
	// The SDK's typed error for NoSuchEntity.
	_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("no-such-role")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("GetRole of an unknown role: %v is not a *types.NoSuchEntityException", err)
	}
}

// TestGetAccountAuthorizationDetails pages one entity at a time through
// every snapshot and rebuilds the snapshot from the answers: every
// principal must resolve to the same layers.
func TestGetAccountAuthorizationDetails(t *testing.T) {
	for _, path := range snapshotPaths(t) {
		t.Run(path, func(t *testing.T) {
			snap := loadSnapshot(t, path)
			srv, u := serve(t, snap, Options{PageSize: 1})
			c := newClients(awsConfig(u)).iam
			got, pages := fetchGAADPages(t, c, nil)
			// Pages the client received, and the server's successful
			// answers: a request retried after a connection hiccup is in
			// Calls() but is not a page.
			answered := 0
			for _, call := range srv.Log() {
				if call.Op == "GetAccountAuthorizationDetails" && call.Status == http.StatusOK {
					answered++
				}
			}
			d := &snap.AuthorizationDetails
			n := len(d.UserDetailList) + len(d.GroupDetailList) + len(d.RoleDetailList) + len(d.Policies)
			if pages != max(n, 1) {
				t.Errorf("pages = %d, want one per entity (%d)", pages, n)
			}
			if answered < pages {
				t.Errorf("the server answered %d pages, the client received %d", answered, pages)
			}
			// Only the IAM part comes from the fake here.
			rebuilt := &layers.Snapshot{Format: layers.Format, AccountID: snap.AccountID, AuthorizationDetails: *got,
				Organization: snap.Organization, ResourcePolicies: snap.ResourcePolicies, SessionPolicies: snap.SessionPolicies}
			b, err := rebuilt.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			live, err := layers.Load(bytesReader(b))
			if err != nil {
				t.Fatalf("loading the snapshot rebuilt from IAM: %v", err)
			}
			compareIdentity(t, snap, live)
		})
	}
}

// TestGetAccountAuthorizationDetailsFilter keeps only the entity types
// asked for.
func TestGetAccountAuthorizationDetailsFilter(t *testing.T) {
	snap := loadSnapshot(t, realisticPath)
	_, u := serve(t, snap, Options{PageSize: 7})
	c := newClients(awsConfig(u)).iam
	got := fetchGAAD(t, c, []types.EntityType{types.EntityTypeRole, types.EntityTypeAWSManagedPolicy})
	d := &snap.AuthorizationDetails
	aws := 0
	for _, p := range d.Policies {
		if isAWSManagedARN(p.Arn) {
			aws++
		}
	}
	if len(got.RoleDetailList) != len(d.RoleDetailList) || len(got.UserDetailList) != 0 || len(got.GroupDetailList) != 0 || len(got.Policies) != aws {
		t.Errorf("filtered GAAD has %d roles, %d users, %d groups, %d policies; want %d roles, 0, 0, %d AWS managed policies",
			len(got.RoleDetailList), len(got.UserDetailList), len(got.GroupDetailList), len(got.Policies), len(d.RoleDetailList), aws)
	}
}
