package fakeaws

import (
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/iamdiag/iamdiag/internal/layers"
)

// orgData indexes the snapshot's organization; nil when the snapshot has
// none (unreadable: every call answers AccessDeniedException, as from a
// member account that is not a delegated administrator) or a standalone one
// (every call answers AWSOrganizationsNotInUseException).
type orgData struct {
	org      *layers.Organization
	nodes    map[string]*layers.OrgNode
	children map[string][]*layers.OrgNode // in snapshot order
	policies map[string]*layers.OrgPolicy
	byTarget map[string][]*layers.OrgPolicy
	enabled  []string // policy types with at least one policy
	joined   float64  // epoch seconds
}

func newOrgData(snap *layers.Snapshot) *orgData {
	o := snap.Organization
	if o == nil || o.Standalone {
		return nil
	}
	d := &orgData{
		org:      o,
		nodes:    map[string]*layers.OrgNode{},
		children: map[string][]*layers.OrgNode{},
		policies: map[string]*layers.OrgPolicy{},
		byTarget: map[string][]*layers.OrgPolicy{},
		joined:   float64(defaultDate.Unix()),
	}
	if !snap.CapturedAt.IsZero() {
		d.joined = float64(snap.CapturedAt.Unix())
	}
	for i := range o.Nodes {
		n := &o.Nodes[i]
		d.nodes[n.ID] = n
		if n.Parent != "" {
			d.children[n.Parent] = append(d.children[n.Parent], n)
		}
	}
	seen := map[string]bool{}
	for i := range o.Policies {
		p := &o.Policies[i]
		d.policies[p.ID] = p
		for _, t := range p.Targets {
			d.byTarget[t] = append(d.byTarget[t], p)
		}
		if !seen[p.Type] {
			seen[p.Type] = true
			d.enabled = append(d.enabled, p.Type)
		}
	}
	return d
}

// orgOps are the Organizations operations served.
var orgOps = map[string]opHandler{
	"DescribeOrganization":             (*Server).describeOrganization,
	"ListRoots":                        (*Server).listRoots,
	"ListParents":                      (*Server).listParents,
	"ListChildren":                     (*Server).listChildren,
	"ListOrganizationalUnitsForParent": (*Server).listOUsForParent,
	"ListAccounts":                     (*Server).listAccounts,
	"ListPoliciesForTarget":            (*Server).listPoliciesForTarget,
	"DescribePolicy":                   (*Server).describePolicy,
	"ListTargetsForPolicy":             (*Server).listTargetsForPolicy,
	"ListPolicies":                     (*Server).listPolicies,
	"DescribeOrganizationalUnit":       (*Server).describeOU,
	"DescribeAccount":                  (*Server).describeAccount,
}

// orgInput holds every request member the served operations take.
type orgInput struct {
	ChildID              string `json:"ChildId"`
	ParentID             string `json:"ParentId"`
	ChildType            string `json:"ChildType"`
	TargetID             string `json:"TargetId"`
	PolicyID             string `json:"PolicyId"`
	OrganizationalUnitID string `json:"OrganizationalUnitId"`
	AccountID            string `json:"AccountId"`
	Filter               string `json:"Filter"`
	NextToken            string `json:"NextToken"`
	MaxResults           int    `json:"MaxResults"`
}

// The JSON shapes (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Types.html).

type jPolicyType struct {
	Type   string
	Status string
}

type jOrganization struct {
	ID                   string        `json:"Id"`
	Arn                  string        `json:"Arn"`
	FeatureSet           string        `json:"FeatureSet"`
	MasterAccountArn     string        `json:"MasterAccountArn"`
	MasterAccountID      string        `json:"MasterAccountId"`
	MasterAccountEmail   string        `json:"MasterAccountEmail"`
	AvailablePolicyTypes []jPolicyType `json:"AvailablePolicyTypes"`
}

type jRoot struct {
	ID          string        `json:"Id"`
	Arn         string        `json:"Arn"`
	Name        string        `json:"Name"`
	PolicyTypes []jPolicyType `json:"PolicyTypes"`
}

type jIDType struct {
	ID   string `json:"Id"`
	Type string `json:"Type"`
}

type jOU struct {
	ID   string `json:"Id"`
	Arn  string `json:"Arn"`
	Name string `json:"Name"`
}

type jAccount struct {
	ID              string  `json:"Id"`
	Arn             string  `json:"Arn"`
	Email           string  `json:"Email"`
	Name            string  `json:"Name"`
	Status          string  `json:"Status"`
	State           string  `json:"State"`
	JoinedMethod    string  `json:"JoinedMethod"`
	JoinedTimestamp float64 `json:"JoinedTimestamp"`
}

type jPolicySummary struct {
	ID          string `json:"Id"`
	Arn         string `json:"Arn"`
	Name        string `json:"Name"`
	Description string `json:"Description,omitempty"`
	Type        string `json:"Type"`
	AwsManaged  bool   `json:"AwsManaged"`
}

type jTarget struct {
	TargetID string `json:"TargetId"`
	Arn      string `json:"Arn"`
	Name     string `json:"Name"`
	Type     string `json:"Type"`
}

// orgIn decodes the request, failing when the account is in no
// organization
// (https://docs.aws.amazon.com/organizations/latest/APIReference/CommonErrors.html).
func (s *Server) orgIn(rq *request) (*orgData, orgInput, *apiError) {
	var in orgInput
	if e := decodeJSON(rq, &in); e != nil {
		return nil, in, e
	}
	if s.org == nil {
		if s.snap.Organization == nil {
			// The snapshot format: no organization section means the
			// organization could not be read, not that there is none.
			// DescribeOrganization is denied too: without the section
			// there is no organization to describe.
			return nil, in, &apiError{Code: "AccessDeniedException", Message: "You don't have permissions to access this resource."}
		}
		return nil, in, &apiError{Code: "AWSOrganizationsNotInUseException", Message: "Your account is not a member of an organization."}
	}
	if in.MaxResults < 0 || in.MaxResults > orgDefaultPage {
		return nil, in, &apiError{Code: "InvalidInputException", Message: fmt.Sprintf("You provided a value that does not match the required pattern (MaxResults must be between 1 and %d).", orgDefaultPage)}
	}
	return s.org, in, nil
}

// orgList answers an Organizations List* call with the page of items the
// request asks for under member (Roots, Children, Accounts …) and, when
// more follow, the NextToken of the next page.
func orgList[T any](s *Server, rq *request, in orgInput, member string, items []T) (any, *apiError) {
	start, end, next, e := s.page(rq, len(items), in.MaxResults, orgDefaultPage, in.NextToken)
	if e != nil {
		return nil, e
	}
	return orgListPage[T]{member: member, items: items[start:end], next: next}, nil
}

// orgListPage encodes as {"<member>":[items…],"NextToken":"…"}, the token
// left out when empty: what a struct with the field member and a NextToken
// tagged omitempty encodes as.
type orgListPage[T any] struct {
	member string
	items  []T
	next   string
}

// MarshalJSON implements json.Marshaler.
func (p orgListPage[T]) MarshalJSON() ([]byte, error) {
	member, err := json.Marshal(p.member)
	if err != nil {
		return nil, err
	}
	items, err := json.Marshal(p.items)
	if err != nil {
		return nil, err
	}
	b := append(append(append([]byte{'{'}, member...), ':'), items...)
	if p.next != "" {
		next, err := json.Marshal(p.next)
		if err != nil {
			return nil, err
		}
		b = append(append(b, `,"NextToken":`...), next...)
	}
	return append(b, '}'), nil
}

// ARNs of organization entities
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html#awsorganizations-resources-for-iam-policies).

func (d *orgData) arn(kind, id string) string {
	switch kind {
	case "organization":
		return fmt.Sprintf("arn:aws:organizations::%s:organization/%s", d.org.ManagementAccountID, d.org.ID)
	case layers.NodeRoot:
		return fmt.Sprintf("arn:aws:organizations::%s:root/%s/%s", d.org.ManagementAccountID, d.org.ID, id)
	case layers.NodeOU:
		return fmt.Sprintf("arn:aws:organizations::%s:ou/%s/%s", d.org.ManagementAccountID, d.org.ID, id)
	}
	return fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", d.org.ManagementAccountID, d.org.ID, id)
}

func (d *orgData) policyTypes() []jPolicyType {
	out := []jPolicyType{}
	for _, t := range d.enabled {
		out = append(out, jPolicyType{Type: t, Status: "ENABLED"})
	}
	return out
}

func (d *orgData) account(n *layers.OrgNode) jAccount {
	name := orDefault(n.Name, "account-"+n.ID)
	return jAccount{
		ID: n.ID, Arn: d.arn(layers.NodeAccount, n.ID), Email: "aws+" + n.ID + "@example.com", Name: name,
		Status: "ACTIVE", State: "ACTIVE", JoinedMethod: "CREATED", JoinedTimestamp: d.joined,
	}
}

func (d *orgData) summary(p *layers.OrgPolicy) jPolicySummary {
	arn := p.ARN
	if arn == "" {
		arn = fmt.Sprintf("arn:aws:organizations::%s:policy/%s/%s/%s", d.org.ManagementAccountID, d.org.ID, policyTypePath(p.Type), p.ID)
	}
	return jPolicySummary{ID: p.ID, Arn: arn, Name: p.Name, Type: p.Type, AwsManaged: p.AWSManaged}
}

func policyTypePath(t string) string {
	switch t {
	case layers.PolicyTypeRCP:
		return "resource_control_policy"
	case layers.PolicyTypeSCP:
		return "service_control_policy"
	}
	return "policy"
}

// Identifier patterns of the Organizations API reference
// (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListParents.html#API_ListParents_RequestSyntax).
var (
	childIDPattern  = regexp.MustCompile(`^(?:\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)
	parentIDPattern = regexp.MustCompile(`^(?:r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)
)

func (s *Server) describeOrganization(rq *request) (any, *apiError) {
	d, _, e := s.orgIn(rq)
	if e != nil {
		return nil, e
	}
	return map[string]jOrganization{"Organization": {
		ID: d.org.ID, Arn: d.arn("organization", ""), FeatureSet: "ALL",
		MasterAccountArn: d.arn(layers.NodeAccount, d.org.ManagementAccountID), MasterAccountID: d.org.ManagementAccountID,
		MasterAccountEmail: "aws+" + d.org.ManagementAccountID + "@example.com", AvailablePolicyTypes: d.policyTypes(),
	}}, nil
}

func (s *Server) listRoots(rq *request) (any, *apiError) {
	d, in, e := s.orgIn(rq)
	if e != nil {
		return nil, e
	}
	var roots []jRoot
	for i := range d.org.Nodes {
		if n := &d.org.Nodes[i]; n.Type == layers.NodeRoot {
			roots = append(roots, jRoot{ID: n.ID, Arn: d.arn(layers.NodeRoot, n.ID), Name: orDefault(n.Name, "Root"), PolicyTypes: d.policyTypes()})
		}
	}
	return orgList(s, rq, in, "Roots", roots)
}

func (s *Server) listParents(rq *request) (any, *apiError) {
	d, in, e := s.orgIn(rq)
	if e != nil {
		return nil, e
	}
	n := d.nodes[in.ChildID]
	if n == nil || n.Type == layers.NodeRoot {
		if !childIDPattern.MatchString(in.ChildID) {
			return nil, &apiError{Code: "InvalidInputException", Message: "You provided a value that does not match the required pattern (ChildId)."}
		}
		return nil, &apiError{Code: "ChildNotFoundException", Message: "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified."}
	}
	parents := []jIDType{}
	if p := d.nodes[n.Parent]; p != nil {
		parents = append(parents, jIDType{ID: p.ID, Type: p.Type})
	}
	return orgList(s, rq, in, "Parents", parents)
}

// parent finds ParentId, which must be the root or an OU.
func (d *orgData) parent(in orgInput) (*layers.OrgNode, *apiError) {
	n := d.nodes[in.ParentID]
	if n == nil || n.Type == layers.NodeAccount {
		if !parentIDPattern.MatchString(in.ParentID) {
			return nil, &apiError{Code: "InvalidInputException", Message: "You provided a value that does not match the required pattern (ParentId)."}
		}
		return nil, &apiError{Code: "ParentNotFoundException", Message: "We can't find a root or OU with the ParentId that you specified."}
	}
	return n, nil
}

func (s *Server) listChildren(rq *request) (any, *apiError) {
	d, in, e := s.orgIn(rq)
	if e != nil {
		return nil, e
	}
	if in.ChildType != layers.NodeAccount && in.ChildType != layers.NodeOU {
		return nil, &apiError{Code: "InvalidInputException", Message: "ChildType must be ACCOUNT or ORGANIZATIONAL_UNIT."}
	}
	p, e := d.parent(in)
	if e != nil {
		return nil, e
	}
	children := []jIDType{}
	for _, c := range d.children[p.ID] {
		if c.Type == in.ChildType {
			children = append(children, jIDType{ID: c.ID, Type: c.Type})
		}
	}
	return orgList(s, rq, in, "Children", children)
}

func (s *Server) listOUsForParent(rq *request) (any, *apiError) {
	d, in, e := s.orgIn(rq)
	if e != nil {
		return nil, e
	}
	p, e := d.parent(in)
	if e != nil {
		return nil, e
	}
	ous := []jOU{}
	for _, c := range d.children[p.ID] {
		if c.Type == layers.NodeOU {
			ous = append(ous, jOU{ID: c.ID, Arn: d.arn(layers.NodeOU, c.ID), Name: c.Name})
		}
	}
	return orgList(s, rq, in, "OrganizationalUnits", ous)
}

func (s *Server) listAccounts(rq *request) (any, *apiError) {
	d, in, e := s.orgIn(rq)
	if e != nil {
		return nil, e
	}
	accts := []jAccount{}
	for i := range d.org.Nodes {
		if n := &d.org.Nodes[i]; n.Type == layers.NodeAccount {
			accts = append(accts, d.account(n))
		}
	}
	return orgList(s, rq, in, "Accounts", accts)
}

// filterType validates a policy-type Filter
// (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListPoliciesForTarget.html#API_ListPoliciesForTarget_RequestSyntax).
func filterType(f string) *apiError {
	switch f {
	case "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "DECLARATIVE_POLICY_EC2", "BACKUP_POLICY", "TAG_POLICY",
		"CHATBOT_POLICY", "AISERVICES_OPT_OUT_POLICY", "SECURITYHUB_POLICY", "INSPECTOR_POLICY", "BEDROCK_POLICY",
		"S3_POLICY", "NETWORK_SECURITY_DIRECTOR_POLICY", "UPGRADE_ROLLOUT_POLICY", "CLOUDWATCH_OBSERVABILITY_POLICY":
		return nil
	}
	return &apiError{Code: "InvalidInputException", Message: fmt.Sprintf("You specified an invalid value for Filter: %q.", f)}
}

// listPoliciesForTarget lists the policies of one type attached directly
// to the target. A type not enabled in the organization lists nothing;
// ListRoots tells which types are enabled.
func (s *Server) listPoliciesForTarget(rq *request) (any, *apiError) {
	d, in, e := s.orgIn(rq)
	if e != nil {
		return nil, e
	}
	if e := filterType(in.Filter); e != nil {
		return nil, e
	}
	if d.nodes[in.TargetID] == nil {
		return nil, &apiError{Code: "TargetNotFoundException", Message: "We can't find a root, OU, account, or policy with the TargetId that you specified."}
	}
	pols := []jPolicySummary{}
	for _, p := range d.byTarget[in.TargetID] {
		if p.Type == in.Filter {
			pols = append(pols, d.summary(p))
		}
	}
	return orgList(s, rq, in, "Policies", pols)
}

func (s *Server) listPolicies(rq *request) (any, *apiError) {
	d, in, e := s.orgIn(rq)
	if e != nil {
		return nil, e
	}
	if e := filterType(in.Filter); e != nil {
		return nil, e
	}
	pols := []jPolicySummary{}
	for i := range d.org.Policies {
		if p := &d.org.Policies[i]; p.Type == in.Filter {
			pols = append(pols, d.summary(p))
		}
	}
	return orgList(s, rq, in, "Policies", pols)
}

func (d *orgData) policy(in orgInput) (*layers.OrgPolicy, *apiError) {
	p := d.policies[in.PolicyID]
	if p == nil {
		return nil, &apiError{Code: "PolicyNotFoundException", Message: "We can't find a policy with the PolicyId that you specified."}
	}
	return p, nil
}

// describePolicy returns the policy with its Content as JSON text
// (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Policy.html).
func (s *Server) describePolicy(rq *request) (any, *apiError) {
	d, in, e := s.orgIn(rq)
	if e != nil {
		return nil, e
	}
	p, e := d.policy(in)
	if e != nil {
		return nil, e
	}
	return map[string]any{"Policy": map[string]any{"PolicySummary": d.summary(p), "Content": docText(p.Content)}}, nil
}

func (s *Server) listTargetsForPolicy(rq *request) (any, *apiError) {
	d, in, e := s.orgIn(rq)
	if e != nil {
		return nil, e
	}
	p, e := d.policy(in)
	if e != nil {
		return nil, e
	}
	targets := []jTarget{}
	for _, t := range p.Targets {
		n := d.nodes[t]
		if n == nil {
			continue
		}
		name := n.Name
		if n.Type == layers.NodeRoot {
			name = orDefault(name, "Root")
		}
		targets = append(targets, jTarget{TargetID: n.ID, Arn: d.arn(n.Type, n.ID), Name: name, Type: n.Type})
	}
	return orgList(s, rq, in, "Targets", targets)
}

func (s *Server) describeOU(rq *request) (any, *apiError) {
	d, in, e := s.orgIn(rq)
	if e != nil {
		return nil, e
	}
	n := d.nodes[in.OrganizationalUnitID]
	if n == nil || n.Type != layers.NodeOU {
		return nil, &apiError{Code: "OrganizationalUnitNotFoundException", Message: "We can't find an OU with the OrganizationalUnitId that you specified."}
	}
	return map[string]jOU{"OrganizationalUnit": {ID: n.ID, Arn: d.arn(layers.NodeOU, n.ID), Name: n.Name}}, nil
}

func (s *Server) describeAccount(rq *request) (any, *apiError) {
	d, in, e := s.orgIn(rq)
	if e != nil {
		return nil, e
	}
	n := d.nodes[in.AccountID]
	if n == nil || n.Type != layers.NodeAccount {
		return nil, &apiError{Code: "AccountNotFoundException", Message: "We can't find an AWS account with the AccountId that you specified."}
	}
	return map[string]jAccount{"Account": d.account(n)}, nil
}

// OrganizationsReadsDenied is a Deny map for Options that denies every
// Organizations read but DescribeOrganization, as AWS does for a member
// account that is not a delegated administrator
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).
func OrganizationsReadsDenied() map[string]string {
	m := map[string]string{}
	for op := range orgOps {
		if op != "DescribeOrganization" {
			m["organizations:"+op] = "AccessDeniedException"
		}
	}
	return m
}
