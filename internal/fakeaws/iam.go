package fakeaws

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// iamData indexes the snapshot's authorization details. IAM names are
// unique case-insensitively
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names),
// so lookups by name ignore case.
type iamData struct {
	details  *layers.AuthorizationDetails
	roles    map[string]*layers.Role
	users    map[string]*layers.User
	groups   map[string]*layers.Group
	policies map[string]*layers.ManagedPolicy
	captured string
}

func newIAMData(snap *layers.Snapshot) *iamData {
	d := &snap.AuthorizationDetails
	x := &iamData{
		details:  d,
		roles:    map[string]*layers.Role{},
		users:    map[string]*layers.User{},
		groups:   map[string]*layers.Group{},
		policies: map[string]*layers.ManagedPolicy{},
	}
	for i := range d.RoleDetailList {
		x.roles[strings.ToLower(d.RoleDetailList[i].RoleName)] = &d.RoleDetailList[i]
	}
	for i := range d.UserDetailList {
		x.users[strings.ToLower(d.UserDetailList[i].UserName)] = &d.UserDetailList[i]
	}
	for i := range d.GroupDetailList {
		x.groups[strings.ToLower(d.GroupDetailList[i].GroupName)] = &d.GroupDetailList[i]
	}
	for i := range d.Policies {
		x.policies[d.Policies[i].Arn] = &d.Policies[i]
	}
	return x
}

// iamOps are the IAM operations served.
var iamOps = map[string]opHandler{
	"GetRole":                        (*Server).getRole,
	"GetUser":                        (*Server).getUser,
	"ListRolePolicies":               (*Server).listRolePolicies,
	"GetRolePolicy":                  (*Server).getRolePolicy,
	"ListAttachedRolePolicies":       (*Server).listAttachedRolePolicies,
	"ListRoleTags":                   (*Server).listRoleTags,
	"ListUserPolicies":               (*Server).listUserPolicies,
	"GetUserPolicy":                  (*Server).getUserPolicy,
	"ListAttachedUserPolicies":       (*Server).listAttachedUserPolicies,
	"ListUserTags":                   (*Server).listUserTags,
	"ListGroupsForUser":              (*Server).listGroupsForUser,
	"ListGroupPolicies":              (*Server).listGroupPolicies,
	"GetGroupPolicy":                 (*Server).getGroupPolicy,
	"ListAttachedGroupPolicies":      (*Server).listAttachedGroupPolicies,
	"GetPolicy":                      (*Server).getPolicy,
	"GetPolicyVersion":               (*Server).getPolicyVersion,
	"GetAccountAuthorizationDetails": (*Server).getAccountAuthorizationDetails,
	"SimulatePrincipalPolicy":        (*Server).simulatePrincipalPolicy,
}

// The XML shapes, element for element as in the IAM API reference
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Types.html).

type xTag struct {
	Key   string
	Value string
}

type xBoundary struct {
	PermissionsBoundaryType string
	PermissionsBoundaryArn  string
}

type xRoleLastUsed struct {
	LastUsedDate string `xml:",omitempty"`
	Region       string `xml:",omitempty"`
}

type xRole struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               string
	AssumeRolePolicyDocument string         `xml:",omitempty"`
	Description              string         `xml:",omitempty"`
	MaxSessionDuration       int            `xml:",omitempty"`
	PermissionsBoundary      *xBoundary     `xml:",omitempty"`
	Tags                     []xTag         `xml:"Tags>member"`
	RoleLastUsed             *xRoleLastUsed `xml:",omitempty"`
}

type xUser struct {
	Path                string
	UserName            string
	UserId              string
	Arn                 string
	CreateDate          string
	PermissionsBoundary *xBoundary `xml:",omitempty"`
	Tags                []xTag     `xml:"Tags>member"`
}

type xGroup struct {
	Path       string
	GroupName  string
	GroupId    string
	Arn        string
	CreateDate string
}

type xAttached struct {
	PolicyName string
	PolicyArn  string
}

type xPolicy struct {
	PolicyName                    string
	PolicyId                      string
	Arn                           string
	Path                          string
	DefaultVersionId              string
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	Description                   string `xml:",omitempty"`
	CreateDate                    string
	UpdateDate                    string
}

type xPolicyVersion struct {
	Document         string
	VersionId        string
	IsDefaultVersion bool
	CreateDate       string
}

type xRoleResult struct{ Role xRole }
type xUserResult struct{ User xUser }
type xPolicyResult struct{ Policy xPolicy }
type xPolicyVersionResult struct{ PolicyVersion xPolicyVersion }

type xPolicyNames struct {
	PolicyNames []string `xml:"PolicyNames>member"`
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

type xAttachedPolicies struct {
	AttachedPolicies []xAttached `xml:"AttachedPolicies>member"`
	IsTruncated      bool
	Marker           string `xml:",omitempty"`
}

type xTags struct {
	Tags        []xTag `xml:"Tags>member"`
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

type xGroups struct {
	Groups      []xGroup `xml:"Groups>member"`
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

type xInlinePolicy struct {
	RoleName       string `xml:",omitempty"`
	UserName       string `xml:",omitempty"`
	GroupName      string `xml:",omitempty"`
	PolicyName     string
	PolicyDocument string
}

// Query parameters.

func param(rq *request, name string) string { return rq.form.Get(name) }

// required returns a required parameter, or IAM's validation error.
func required(rq *request, name string) (string, *apiError) {
	v := rq.form.Get(name)
	if v == "" {
		return "", &apiError{Code: "ValidationError", Message: fmt.Sprintf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(name))}
	}
	return v, nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// formList reads an awsquery list: NAME.member.1, NAME.member.2 …
func formList(rq *request, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := rq.form[name+".member."+strconv.Itoa(i)]
		if !ok || len(v) == 0 {
			return out
		}
		out = append(out, v[0])
	}
}

// maxItems reads MaxItems (1–1000).
func maxItems(rq *request) (int, *apiError) {
	v := rq.form.Get("MaxItems")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > iamMaxPage {
		return 0, &apiError{Code: "ValidationError", Message: fmt.Sprintf("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and %d", v, iamMaxPage)}
	}
	return n, nil
}

// iamPage windows n items by MaxItems and Marker.
func (s *Server) iamPage(rq *request, n int) (start, end int, marker string, e *apiError) {
	limit, e := maxItems(rq)
	if e != nil {
		return 0, 0, "", e
	}
	return s.page(rq, n, limit, iamDefaultPage, param(rq, "Marker"))
}

// Lookups.

func (s *Server) role(rq *request) (*layers.Role, *apiError) {
	name, e := required(rq, "RoleName")
	if e != nil {
		return nil, e
	}
	r := s.iam.roles[strings.ToLower(name)]
	if r == nil {
		return nil, noSuchEntity("The role with name %s cannot be found.", name)
	}
	return r, nil
}

func (s *Server) user(rq *request) (*layers.User, *apiError) {
	name, e := required(rq, "UserName")
	if e != nil {
		return nil, e
	}
	u := s.iam.users[strings.ToLower(name)]
	if u == nil {
		return nil, noSuchEntity("The user with name %s cannot be found.", name)
	}
	return u, nil
}

func (s *Server) group(rq *request) (*layers.Group, *apiError) {
	name, e := required(rq, "GroupName")
	if e != nil {
		return nil, e
	}
	g := s.iam.groups[strings.ToLower(name)]
	if g == nil {
		return nil, noSuchEntity("The group with name %s cannot be found.", name)
	}
	return g, nil
}

func noSuchEntity(format string, args ...any) *apiError {
	return &apiError{Code: "NoSuchEntity", Message: fmt.Sprintf(format, args...)}
}

// Shapes from snapshot entries.

func toTags(tags []layers.Tag) []xTag {
	out := make([]xTag, len(tags))
	for i, t := range tags {
		out[i] = xTag(t)
	}
	return out
}

func toBoundary(pb *layers.PermissionsBoundary) *xBoundary {
	if pb == nil || pb.PermissionsBoundaryArn == "" {
		return nil
	}
	return &xBoundary{PermissionsBoundaryType: orDefault(pb.PermissionsBoundaryType, "PermissionsBoundaryPolicy"), PermissionsBoundaryArn: pb.PermissionsBoundaryArn}
}

func toRole(r *layers.Role) xRole {
	x := xRole{
		Path: orDefault(r.Path, "/"), RoleName: r.RoleName, RoleId: r.RoleID, Arn: r.Arn,
		CreateDate:               isoDate(r.CreateDate),
		AssumeRolePolicyDocument: encodedDoc(r.AssumeRolePolicyDocument),
		MaxSessionDuration:       3600,
		PermissionsBoundary:      toBoundary(r.PermissionsBoundary),
		Tags:                     toTags(r.Tags),
	}
	if lu := r.RoleLastUsed; lu != nil && (lu.LastUsedDate != "" || lu.Region != "") {
		x.RoleLastUsed = &xRoleLastUsed{Region: lu.Region}
		if lu.LastUsedDate != "" {
			x.RoleLastUsed.LastUsedDate = isoDate(lu.LastUsedDate)
		}
	}
	return x
}

func toUser(u *layers.User) xUser {
	return xUser{
		Path: orDefault(u.Path, "/"), UserName: u.UserName, UserId: u.UserID, Arn: u.Arn,
		CreateDate: isoDate(u.CreateDate), PermissionsBoundary: toBoundary(u.PermissionsBoundary), Tags: toTags(u.Tags),
	}
}

func toGroup(g *layers.Group) xGroup {
	return xGroup{Path: orDefault(g.Path, "/"), GroupName: g.GroupName, GroupId: g.GroupID, Arn: g.Arn, CreateDate: isoDate(g.CreateDate)}
}

// defaultVersion returns the version IAM evaluates: the one flagged
// IsDefaultVersion, else the one DefaultVersionId names.
func defaultVersion(p *layers.ManagedPolicy) *layers.PolicyVersion {
	for i := range p.PolicyVersionList {
		if p.PolicyVersionList[i].IsDefaultVersion {
			return &p.PolicyVersionList[i]
		}
	}
	for i := range p.PolicyVersionList {
		if p.PolicyVersionList[i].VersionID == p.DefaultVersionID {
			return &p.PolicyVersionList[i]
		}
	}
	return nil
}

func toPolicy(p *layers.ManagedPolicy) xPolicy {
	def := p.DefaultVersionID
	if v := defaultVersion(p); v != nil && v.VersionID != "" {
		def = v.VersionID
	}
	return xPolicy{
		PolicyName: p.PolicyName, PolicyId: p.PolicyID, Arn: p.Arn, Path: orDefault(p.Path, "/"),
		DefaultVersionId: def, AttachmentCount: p.AttachmentCount,
		PermissionsBoundaryUsageCount: p.PermissionsBoundaryUsageCount, IsAttachable: p.IsAttachable,
		Description: p.Description, CreateDate: isoDate(p.CreateDate), UpdateDate: isoDate(orDefault(p.UpdateDate, p.CreateDate)),
	}
}

func toVersion(v *layers.PolicyVersion) xPolicyVersion {
	return xPolicyVersion{Document: encodedDoc(v.Document), VersionId: v.VersionID, IsDefaultVersion: v.IsDefaultVersion, CreateDate: isoDate(v.CreateDate)}
}

// Operations.

func (s *Server) getRole(rq *request) (any, *apiError) {
	r, e := s.role(rq)
	if e != nil {
		return nil, e
	}
	return xRoleResult{Role: toRole(r)}, nil
}

func (s *Server) getUser(rq *request) (any, *apiError) {
	if param(rq, "UserName") == "" {
		// Without UserName, GetUser describes the calling IAM user
		// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUser.html).
		name, ok := strings.CutPrefix(resourceOf(s.opts.CallerARN), "user/")
		if !ok {
			return nil, &apiError{Code: "ValidationError", Message: "Must specify userName when calling with non-User credentials"}
		}
		rq.form.Set("UserName", name[strings.LastIndexByte(name, '/')+1:])
	}
	u, e := s.user(rq)
	if e != nil {
		return nil, e
	}
	return xUserResult{User: toUser(u)}, nil
}

// resourceOf returns the resource part of an ARN
// (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE).
func resourceOf(arn string) string {
	a, _ := policy.ParseARN(arn)
	return a.Resource
}

func inlineNames(list []layers.InlinePolicy) []string {
	out := make([]string, len(list))
	for i := range list {
		out[i] = list[i].PolicyName
	}
	return out
}

func (s *Server) policyNames(rq *request, names []string) (any, *apiError) {
	start, end, marker, e := s.iamPage(rq, len(names))
	if e != nil {
		return nil, e
	}
	return xPolicyNames{PolicyNames: names[start:end], IsTruncated: marker != "", Marker: marker}, nil
}

func (s *Server) attached(rq *request, list []layers.AttachedPolicy) (any, *apiError) {
	prefix := param(rq, "PathPrefix")
	var out []xAttached
	for _, ap := range list {
		if prefix != "" {
			path := "/"
			if p := s.iam.policies[ap.PolicyArn]; p != nil {
				path = orDefault(p.Path, "/")
			}
			if !strings.HasPrefix(path, prefix) {
				continue
			}
		}
		out = append(out, xAttached(ap))
	}
	start, end, marker, e := s.iamPage(rq, len(out))
	if e != nil {
		return nil, e
	}
	return xAttachedPolicies{AttachedPolicies: out[start:end], IsTruncated: marker != "", Marker: marker}, nil
}

func (s *Server) tags(rq *request, tags []layers.Tag) (any, *apiError) {
	start, end, marker, e := s.iamPage(rq, len(tags))
	if e != nil {
		return nil, e
	}
	return xTags{Tags: toTags(tags[start:end]), IsTruncated: marker != "", Marker: marker}, nil
}

// inline finds the inline policy PolicyName in list.
func inline(rq *request, list []layers.InlinePolicy, kind string) (*layers.InlinePolicy, *apiError) {
	name, e := required(rq, "PolicyName")
	if e != nil {
		return nil, e
	}
	for i := range list {
		if strings.EqualFold(list[i].PolicyName, name) {
			return &list[i], nil
		}
	}
	return nil, noSuchEntity("The %s policy with name %s cannot be found.", kind, name)
}

func (s *Server) listRolePolicies(rq *request) (any, *apiError) {
	r, e := s.role(rq)
	if e != nil {
		return nil, e
	}
	return s.policyNames(rq, inlineNames(r.RolePolicyList))
}

func (s *Server) getRolePolicy(rq *request) (any, *apiError) {
	r, e := s.role(rq)
	if e != nil {
		return nil, e
	}
	p, e := inline(rq, r.RolePolicyList, "role")
	if e != nil {
		return nil, e
	}
	return xInlinePolicy{RoleName: r.RoleName, PolicyName: p.PolicyName, PolicyDocument: encodedDoc(p.PolicyDocument)}, nil
}

func (s *Server) listAttachedRolePolicies(rq *request) (any, *apiError) {
	r, e := s.role(rq)
	if e != nil {
		return nil, e
	}
	return s.attached(rq, r.AttachedManagedPolicies)
}

func (s *Server) listRoleTags(rq *request) (any, *apiError) {
	r, e := s.role(rq)
	if e != nil {
		return nil, e
	}
	return s.tags(rq, r.Tags)
}

func (s *Server) listUserPolicies(rq *request) (any, *apiError) {
	u, e := s.user(rq)
	if e != nil {
		return nil, e
	}
	return s.policyNames(rq, inlineNames(u.UserPolicyList))
}

func (s *Server) getUserPolicy(rq *request) (any, *apiError) {
	u, e := s.user(rq)
	if e != nil {
		return nil, e
	}
	p, e := inline(rq, u.UserPolicyList, "user")
	if e != nil {
		return nil, e
	}
	return xInlinePolicy{UserName: u.UserName, PolicyName: p.PolicyName, PolicyDocument: encodedDoc(p.PolicyDocument)}, nil
}

func (s *Server) listAttachedUserPolicies(rq *request) (any, *apiError) {
	u, e := s.user(rq)
	if e != nil {
		return nil, e
	}
	return s.attached(rq, u.AttachedManagedPolicies)
}

func (s *Server) listUserTags(rq *request) (any, *apiError) {
	u, e := s.user(rq)
	if e != nil {
		return nil, e
	}
	return s.tags(rq, u.Tags)
}

func (s *Server) listGroupsForUser(rq *request) (any, *apiError) {
	u, e := s.user(rq)
	if e != nil {
		return nil, e
	}
	var groups []xGroup
	for _, name := range u.GroupList {
		if g := s.iam.groups[strings.ToLower(name)]; g != nil {
			groups = append(groups, toGroup(g))
		}
	}
	start, end, marker, e := s.iamPage(rq, len(groups))
	if e != nil {
		return nil, e
	}
	return xGroups{Groups: groups[start:end], IsTruncated: marker != "", Marker: marker}, nil
}

func (s *Server) listGroupPolicies(rq *request) (any, *apiError) {
	g, e := s.group(rq)
	if e != nil {
		return nil, e
	}
	return s.policyNames(rq, inlineNames(g.GroupPolicyList))
}

func (s *Server) getGroupPolicy(rq *request) (any, *apiError) {
	g, e := s.group(rq)
	if e != nil {
		return nil, e
	}
	p, e := inline(rq, g.GroupPolicyList, "group")
	if e != nil {
		return nil, e
	}
	return xInlinePolicy{GroupName: g.GroupName, PolicyName: p.PolicyName, PolicyDocument: encodedDoc(p.PolicyDocument)}, nil
}

func (s *Server) listAttachedGroupPolicies(rq *request) (any, *apiError) {
	g, e := s.group(rq)
	if e != nil {
		return nil, e
	}
	return s.attached(rq, g.AttachedManagedPolicies)
}

func (s *Server) managed(rq *request) (*layers.ManagedPolicy, *apiError) {
	arn, e := required(rq, "PolicyArn")
	if e != nil {
		return nil, e
	}
	p := s.iam.policies[arn]
	if p == nil {
		return nil, noSuchEntity("Policy %s does not exist or is not attachable.", arn)
	}
	return p, nil
}

func (s *Server) getPolicy(rq *request) (any, *apiError) {
	p, e := s.managed(rq)
	if e != nil {
		return nil, e
	}
	return xPolicyResult{Policy: toPolicy(p)}, nil
}

func (s *Server) getPolicyVersion(rq *request) (any, *apiError) {
	p, e := s.managed(rq)
	if e != nil {
		return nil, e
	}
	id, e := required(rq, "VersionId")
	if e != nil {
		return nil, e
	}
	for i := range p.PolicyVersionList {
		if v := &p.PolicyVersionList[i]; v.VersionID == id {
			return xPolicyVersionResult{PolicyVersion: toVersion(v)}, nil
		}
	}
	return nil, noSuchEntity("Policy %s version %s does not exist or is not attachable.", p.Arn, id)
}
