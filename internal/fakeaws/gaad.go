package fakeaws

import (
	"strings"

	"github.com/iamdiag/iamdiag/internal/layers"
)

// The GetAccountAuthorizationDetails shapes
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html).

type xInline struct {
	PolicyName     string
	PolicyDocument string
}

type xUserDetail struct {
	Path                    string
	UserName                string
	UserId                  string
	Arn                     string
	CreateDate              string
	UserPolicyList          []xInline   `xml:"UserPolicyList>member"`
	GroupList               []string    `xml:"GroupList>member"`
	AttachedManagedPolicies []xAttached `xml:"AttachedManagedPolicies>member"`
	PermissionsBoundary     *xBoundary  `xml:",omitempty"`
	Tags                    []xTag      `xml:"Tags>member"`
}

type xGroupDetail struct {
	Path                    string
	GroupName               string
	GroupId                 string
	Arn                     string
	CreateDate              string
	GroupPolicyList         []xInline   `xml:"GroupPolicyList>member"`
	AttachedManagedPolicies []xAttached `xml:"AttachedManagedPolicies>member"`
}

type xInstanceProfile struct {
	Path                string
	InstanceProfileName string
	InstanceProfileId   string
	Arn                 string
	CreateDate          string
	Roles               []xRole `xml:"Roles>member"`
	Tags                []xTag  `xml:"Tags>member"`
}

type xRoleDetail struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               string
	AssumeRolePolicyDocument string             `xml:",omitempty"`
	InstanceProfileList      []xInstanceProfile `xml:"InstanceProfileList>member"`
	RolePolicyList           []xInline          `xml:"RolePolicyList>member"`
	AttachedManagedPolicies  []xAttached        `xml:"AttachedManagedPolicies>member"`
	PermissionsBoundary      *xBoundary         `xml:",omitempty"`
	Tags                     []xTag             `xml:"Tags>member"`
	RoleLastUsed             *xRoleLastUsed     `xml:",omitempty"`
}

type xPolicyDetail struct {
	xPolicy
	PolicyVersionList []xPolicyVersion `xml:"PolicyVersionList>member"`
}

type xAuthorizationDetails struct {
	UserDetailList  []xUserDetail   `xml:"UserDetailList>member"`
	GroupDetailList []xGroupDetail  `xml:"GroupDetailList>member"`
	RoleDetailList  []xRoleDetail   `xml:"RoleDetailList>member"`
	Policies        []xPolicyDetail `xml:"Policies>member"`
	IsTruncated     bool
	Marker          string `xml:",omitempty"`
}

func toInline(list []layers.InlinePolicy) []xInline {
	out := make([]xInline, len(list))
	for i := range list {
		out[i] = xInline{PolicyName: list[i].PolicyName, PolicyDocument: encodedDoc(list[i].PolicyDocument)}
	}
	return out
}

func toAttached(list []layers.AttachedPolicy) []xAttached {
	out := make([]xAttached, len(list))
	for i, ap := range list {
		out[i] = xAttached(ap)
	}
	return out
}

func toRoleDetail(r *layers.Role) xRoleDetail {
	x := toRole(r)
	d := xRoleDetail{
		Path: x.Path, RoleName: x.RoleName, RoleId: x.RoleId, Arn: x.Arn, CreateDate: x.CreateDate,
		AssumeRolePolicyDocument: x.AssumeRolePolicyDocument,
		RolePolicyList:           toInline(r.RolePolicyList),
		AttachedManagedPolicies:  toAttached(r.AttachedManagedPolicies),
		PermissionsBoundary:      x.PermissionsBoundary, Tags: x.Tags, RoleLastUsed: x.RoleLastUsed,
	}
	for _, ip := range r.InstanceProfileList {
		xp := xInstanceProfile{
			Path: orDefault(ip.Path, "/"), InstanceProfileName: ip.InstanceProfileName, InstanceProfileId: ip.InstanceProfileID,
			Arn: ip.Arn, CreateDate: isoDate(ip.CreateDate), Tags: toTags(ip.Tags),
		}
		for _, ir := range ip.Roles {
			xp.Roles = append(xp.Roles, xRole{
				Path: orDefault(ir.Path, "/"), RoleName: ir.RoleName, RoleId: ir.RoleID, Arn: ir.Arn,
				CreateDate: isoDate(ir.CreateDate), AssumeRolePolicyDocument: encodedDoc(ir.AssumeRolePolicyDocument),
				Description: ir.Description, MaxSessionDuration: ir.MaxSessionDuration, Tags: toTags(ir.Tags),
			})
		}
		d.InstanceProfileList = append(d.InstanceProfileList, xp)
	}
	return d
}

func toPolicyDetail(p *layers.ManagedPolicy) xPolicyDetail {
	d := xPolicyDetail{xPolicy: toPolicy(p)}
	for i := range p.PolicyVersionList {
		d.PolicyVersionList = append(d.PolicyVersionList, toVersion(&p.PolicyVersionList[i]))
	}
	return d
}

// gaadItem is one entry of the combined list GetAccountAuthorizationDetails
// pages through.
type gaadItem struct {
	user   *layers.User
	group  *layers.Group
	role   *layers.Role
	policy *layers.ManagedPolicy
}

// getAccountAuthorizationDetails pages through users, groups, roles and
// managed policies, in that order, MaxItems entities at a time, keeping
// those Filter.member.N selects (User, Role, Group, LocalManagedPolicy,
// AWSManagedPolicy; all when absent).
func (s *Server) getAccountAuthorizationDetails(rq *request) (any, *apiError) {
	want := map[string]bool{}
	for _, f := range formList(rq, "Filter") {
		switch f {
		case "User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy":
			want[f] = true
		default:
			return nil, &apiError{Code: "ValidationError", Message: "1 validation error detected: Value '[" + f + "]' at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [Role, AWSManagedPolicy, LocalManagedPolicy, Group, User]]"}
		}
	}
	all := len(want) == 0
	d := s.iam.details
	var items []gaadItem
	if all || want["User"] {
		for i := range d.UserDetailList {
			items = append(items, gaadItem{user: &d.UserDetailList[i]})
		}
	}
	if all || want["Group"] {
		for i := range d.GroupDetailList {
			items = append(items, gaadItem{group: &d.GroupDetailList[i]})
		}
	}
	if all || want["Role"] {
		for i := range d.RoleDetailList {
			items = append(items, gaadItem{role: &d.RoleDetailList[i]})
		}
	}
	for i := range d.Policies {
		p := &d.Policies[i]
		awsManaged := strings.Contains(p.Arn, ":iam::aws:policy/")
		if all || (awsManaged && want["AWSManagedPolicy"]) || (!awsManaged && want["LocalManagedPolicy"]) {
			items = append(items, gaadItem{policy: p})
		}
	}
	start, end, marker, e := s.iamPage(rq, len(items))
	if e != nil {
		return nil, e
	}
	out := xAuthorizationDetails{IsTruncated: marker != "", Marker: marker}
	for _, it := range items[start:end] {
		switch {
		case it.user != nil:
			u := it.user
			x := toUser(u)
			out.UserDetailList = append(out.UserDetailList, xUserDetail{
				Path: x.Path, UserName: x.UserName, UserId: x.UserId, Arn: x.Arn, CreateDate: x.CreateDate,
				UserPolicyList: toInline(u.UserPolicyList), GroupList: u.GroupList,
				AttachedManagedPolicies: toAttached(u.AttachedManagedPolicies),
				PermissionsBoundary:     x.PermissionsBoundary, Tags: x.Tags,
			})
		case it.group != nil:
			g := it.group
			x := toGroup(g)
			out.GroupDetailList = append(out.GroupDetailList, xGroupDetail{
				Path: x.Path, GroupName: x.GroupName, GroupId: x.GroupId, Arn: x.Arn, CreateDate: x.CreateDate,
				GroupPolicyList: toInline(g.GroupPolicyList), AttachedManagedPolicies: toAttached(g.AttachedManagedPolicies),
			})
		case it.role != nil:
			out.RoleDetailList = append(out.RoleDetailList, toRoleDetail(it.role))
		default:
			out.Policies = append(out.Policies, toPolicyDetail(it.policy))
		}
	}
	return out, nil
}
