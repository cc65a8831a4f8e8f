package layers

import (
	"fmt"
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// nameKey finds an IAM Entity by account and name.
type nameKey struct{ account, name string }

// index is everything Layers needs, precomputed so that answering one
// request costs a few map lookups.
type index struct {
	roles       map[string]*Entity // by ARN (with path)
	roleNames   map[nameKey]*Entity
	roleNamesCI map[nameKey]*Entity // lower-cased name: IAM names are unique case-insensitively
	users       map[string]*Entity
	userNames   map[nameKey]*Entity
	userNamesCI map[nameKey]*Entity
	resources   map[string]*policy.Source
	sessions    map[string][]policy.Source
	org         *orgIndex
	noOrgSCP    policy.Readability
	noOrgRCP    policy.Readability
	// standalone: the snapshot's account is in no organization.
	standalone   bool
	snapshotDesc string // "account 123456789012 captured 2026-…" for messages
}

// Entity is a role or user with its layers resolved, as the snapshot and
// the live sources both build it.
type Entity struct {
	ARN, Name, ID, Path string
	Account             string
	Role                bool
	ServiceLinked       bool
	Tags                map[string]string
	Identity            []policy.Source
	IdentityRead        policy.Readability
	Boundary            *policy.Source
	BoundaryRead        policy.Readability
	Trust               *policy.Source // roles only
}

// orgIndex holds the organization's levels per account.
type orgIndex struct {
	id, management string
	accounts       map[string]*accountPath
	scpEnabled     bool
	rcpEnabled     bool
}

// accountPath is the path from the root to one account.
type accountPath struct {
	scp, rcp []policy.OrgLevel
	orgPaths []string
}

type managedEntry struct {
	p   *ManagedPolicy
	doc *policy.Document
}

// Index validates the snapshot, parses every policy document and builds
// the indexes Layers uses. Load calls it; call it after building or changing
// a Snapshot in code. A malformed document is an error naming the policy and,
// through the parser's error, the position in it.
func (s *Snapshot) Index() error {
	if s.Format != "" && s.Format != Format {
		return fmt.Errorf("%w: unknown format %q", errInvalid, s.Format)
	}
	if s.AccountID != "" && !policy.IsAccountID(s.AccountID) {
		return fmt.Errorf("%w: account_id %q is not a 12-digit account id", errInvalid, s.AccountID)
	}
	d := &s.AuthorizationDetails
	if d.IsTruncated {
		// The CLI follows Marker itself; a truncated page would silently
		// miss policies.
		return fmt.Errorf("%w: the authorization details are truncated (IsTruncated is true): capture all pages, e.g. with the AWS CLI, which follows Marker itself", errInvalid)
	}
	ix := &index{
		roles:       make(map[string]*Entity, len(d.RoleDetailList)),
		roleNames:   make(map[nameKey]*Entity, len(d.RoleDetailList)),
		roleNamesCI: make(map[nameKey]*Entity, len(d.RoleDetailList)),
		users:       make(map[string]*Entity, len(d.UserDetailList)),
		userNames:   make(map[nameKey]*Entity, len(d.UserDetailList)),
		userNamesCI: make(map[nameKey]*Entity, len(d.UserDetailList)),
		resources:   make(map[string]*policy.Source, len(s.ResourcePolicies)),
		sessions:    make(map[string][]policy.Source, len(s.SessionPolicies)),
	}
	ix.snapshotDesc = "account " + orUnknown(s.AccountID)
	if !s.CapturedAt.IsZero() {
		ix.snapshotDesc += " captured " + s.CapturedAt.UTC().Format("2006-01-02T15:04:05Z")
	}

	managed, err := indexManaged(d.Policies)
	if err != nil {
		return err
	}
	groups := make(map[nameKey]*groupEntry, len(d.GroupDetailList))
	for i := range d.GroupDetailList {
		g := &d.GroupDetailList[i]
		a, ok := policy.ParseARN(g.Arn)
		if !ok || g.GroupName == "" {
			return fmt.Errorf("%w: group %q has an invalid Arn %q", errInvalid, g.GroupName, g.Arn)
		}
		origin := "group/" + g.GroupName
		ge := &groupEntry{}
		if err := addInline(&ge.sources, g.GroupPolicyList, origin, g.Arn); err != nil {
			return err
		}
		ge.missing = addManaged(&ge.sources, g.AttachedManagedPolicies, origin, managed)
		k := nameKey{a.Account, g.GroupName}
		if _, dup := groups[k]; dup {
			return fmt.Errorf("%w: group %s is listed twice", errInvalid, g.Arn)
		}
		groups[k] = ge
	}
	for i := range d.RoleDetailList {
		r := &d.RoleDetailList[i]
		e, err := roleEntity(r, managed)
		if err != nil {
			return err
		}
		if err := ix.addEntity(e, ix.roles, ix.roleNames, ix.roleNamesCI); err != nil {
			return err
		}
	}
	for i := range d.UserDetailList {
		e, err := userEntity(&d.UserDetailList[i], managed, groups)
		if err != nil {
			return err
		}
		if err := ix.addEntity(e, ix.users, ix.userNames, ix.userNamesCI); err != nil {
			return err
		}
	}
	for i := range s.ResourcePolicies {
		rp := &s.ResourcePolicies[i]
		if _, ok := policy.ParseARN(rp.ARN); !ok {
			return fmt.Errorf("%w: resource_policies[%d]: %q is not an ARN", errInvalid, i, rp.ARN)
		}
		if _, dup := ix.resources[rp.ARN]; dup {
			return fmt.Errorf("%w: resource_policies lists %s twice", errInvalid, rp.ARN)
		}
		if err := rp.Policy.parse(); err != nil {
			return fmt.Errorf("%w: parsing the resource policy of %s: %w", errInvalid, rp.ARN, err)
		}
		ix.resources[rp.ARN] = &policy.Source{
			Layer: policy.LayerResource, ARN: rp.ARN,
			Origin: "resource policy of " + rp.ARN, Document: rp.Policy.doc,
		}
	}
	for sess, raw := range s.SessionPolicies {
		if err := raw.parse(); err != nil {
			return fmt.Errorf("%w: parsing the session policy of %s: %w", errInvalid, sess, err)
		}
		ix.sessions[sess] = []policy.Source{{
			Layer: policy.LayerSession, Name: "session policy",
			Origin: "session policy of " + sess, Document: raw.doc,
		}}
		s.SessionPolicies[sess] = raw
	}
	if s.Organization == nil {
		// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html:
		// reading SCPs needs the management account or a delegated
		// administrator; without them the layer is unknown, not empty.
		ix.noOrgSCP = policy.Readability{Unreadable: true, Error: "NoOrganizationData",
			Message: "the snapshot has no organization data, so the SCPs are unknown: capture it with `iamdiag snapshot` from the management account or a delegated administrator, or give the SCPs as policy files"}
		ix.noOrgRCP = policy.Readability{Unreadable: true, Error: "NoOrganizationData",
			Message: "the snapshot has no organization data, so the RCPs are unknown: capture it with `iamdiag snapshot` from the management account or a delegated administrator, or give the RCPs as policy files"}
	} else if s.Organization.Standalone {
		o := s.Organization
		if o.ID != "" || o.ManagementAccountID != "" || len(o.Nodes) > 0 || len(o.Policies) > 0 {
			return fmt.Errorf("%w: a standalone organization (the account is in none) has no id, management account, nodes or policies", errInvalid)
		}
		ix.standalone = true
	} else {
		org, err := indexOrganization(s.Organization)
		if err != nil {
			return err
		}
		ix.org = org
	}
	s.idx = ix
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func (ix *index) addEntity(e *Entity, byARN map[string]*Entity, byName, byNameCI map[nameKey]*Entity) error {
	if _, dup := byARN[e.ARN]; dup {
		return fmt.Errorf("%w: %s is listed twice", errInvalid, e.ARN)
	}
	byARN[e.ARN] = e
	byName[nameKey{e.Account, e.Name}] = e
	byNameCI[nameKey{e.Account, strings.ToLower(e.Name)}] = e
	return nil
}

type groupEntry struct {
	sources []policy.Source
	missing []string
}

// indexManaged parses every version of every managed policy and picks the
// default version.
func indexManaged(list []ManagedPolicy) (map[string]managedEntry, error) {
	m := make(map[string]managedEntry, len(list))
	for i := range list {
		p := &list[i]
		if _, ok := policy.ParseARN(p.Arn); !ok {
			return nil, fmt.Errorf("%w: managed policy %q has an invalid Arn %q", errInvalid, p.PolicyName, p.Arn)
		}
		if _, dup := m[p.Arn]; dup {
			return nil, fmt.Errorf("%w: managed policy %s is listed twice", errInvalid, p.Arn)
		}
		var def *policy.Document
		byFlag, byID := -1, -1
		for j := range p.PolicyVersionList {
			v := &p.PolicyVersionList[j]
			if err := v.Document.parse(); err != nil {
				return nil, fmt.Errorf("%w: parsing managed policy %s version %s: %w", errInvalid, p.Arn, v.VersionID, err)
			}
			if v.IsDefaultVersion {
				if byFlag >= 0 {
					return nil, fmt.Errorf("%w: managed policy %s has two default versions (%s and %s)", errInvalid, p.Arn, p.PolicyVersionList[byFlag].VersionID, v.VersionID)
				}
				byFlag = j
			}
			if v.VersionID != "" && v.VersionID == p.DefaultVersionID {
				byID = j
			}
		}
		// The default version is the one IAM evaluates
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html).
		switch {
		case byFlag >= 0:
			def = p.PolicyVersionList[byFlag].Document.doc
		case byID >= 0:
			def = p.PolicyVersionList[byID].Document.doc
		default:
			return nil, fmt.Errorf("%w: managed policy %s has no default version in PolicyVersionList (DefaultVersionId %q)", errInvalid, p.Arn, p.DefaultVersionID)
		}
		m[p.Arn] = managedEntry{p: p, doc: def}
	}
	return m, nil
}

// addInline appends the parsed inline policies to dst.
func addInline(dst *[]policy.Source, list []InlinePolicy, origin, owner string) error {
	for i := range list {
		ip := &list[i]
		if err := ip.PolicyDocument.parse(); err != nil {
			return fmt.Errorf("%w: parsing inline policy %q of %s: %w", errInvalid, ip.PolicyName, owner, err)
		}
		*dst = append(*dst, policy.Source{
			Layer: policy.LayerIdentity, Name: ip.PolicyName,
			Origin: origin + " (inline " + ip.PolicyName + ")", Document: ip.PolicyDocument.doc,
		})
	}
	return nil
}

// addManaged appends the attached managed policies found in the snapshot to
// dst and returns the ARNs of those it lacks.
func addManaged(dst *[]policy.Source, list []AttachedPolicy, origin string, managed map[string]managedEntry) (missing []string) {
	for _, ap := range list {
		me, ok := managed[ap.PolicyArn]
		if !ok {
			missing = append(missing, ap.PolicyArn)
			continue
		}
		*dst = append(*dst, policy.Source{
			Layer: policy.LayerIdentity, ARN: ap.PolicyArn, Name: me.p.PolicyName,
			Origin: origin, AWSManaged: IsAWSManaged(ap.PolicyArn), Document: me.doc,
		})
	}
	return missing
}

// IsAWSManaged reports whether arn names an AWS managed policy: its account
// field is "aws" (arn:aws:iam::aws:policy/…).
func IsAWSManaged(policyARN string) bool {
	a, ok := policy.ParseARN(policyARN)
	return ok && a.Account == "aws"
}

func missingRead(missing []string, what string) policy.Readability {
	if len(missing) == 0 {
		return policy.Readability{}
	}
	return policy.Readability{Unreadable: true, Error: "PolicyNotInSnapshot",
		Message: fmt.Sprintf("%s attached to %s are not in the snapshot's Policies list: capture the authorization details again without a Filter", strings.Join(missing, ", "), what)}
}

func tagMap(tags []Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// boundarySource resolves a permissions boundary.
func boundarySource(pb *PermissionsBoundary, origin string, managed map[string]managedEntry) (*policy.Source, policy.Readability) {
	if pb == nil || pb.PermissionsBoundaryArn == "" {
		return nil, policy.Readability{}
	}
	me, ok := managed[pb.PermissionsBoundaryArn]
	if !ok {
		return nil, policy.Readability{Unreadable: true, Error: "PolicyNotInSnapshot",
			Message: fmt.Sprintf("the permissions boundary %s of %s is not in the snapshot's Policies list: capture the authorization details again without a Filter", pb.PermissionsBoundaryArn, origin)}
	}
	return &policy.Source{
		Layer: policy.LayerBoundary, ARN: pb.PermissionsBoundaryArn, Name: me.p.PolicyName,
		Origin: origin + " (permissions boundary)", AWSManaged: IsAWSManaged(pb.PermissionsBoundaryArn), Document: me.doc,
	}, policy.Readability{}
}

func roleEntity(r *Role, managed map[string]managedEntry) (*Entity, error) {
	a, ok := policy.ParseARN(r.Arn)
	if !ok || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") || r.RoleName == "" || lastSegment(a.Resource) != r.RoleName {
		return nil, fmt.Errorf("%w: role %q has an invalid Arn %q", errInvalid, r.RoleName, r.Arn)
	}
	origin := "role/" + r.RoleName
	e := &Entity{
		ARN: r.Arn, Name: r.RoleName, ID: r.RoleID, Path: r.Path, Account: a.Account, Role: true,
		// Service-linked roles live under /aws-service-role/
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html);
		// SCPs and RCPs do not restrict them.
		ServiceLinked: strings.HasPrefix(r.Path, "/aws-service-role/"),
		Tags:          tagMap(r.Tags),
	}
	if err := addInline(&e.Identity, r.RolePolicyList, origin, r.Arn); err != nil {
		return nil, err
	}
	e.IdentityRead = missingRead(addManaged(&e.Identity, r.AttachedManagedPolicies, origin, managed), origin)
	e.Boundary, e.BoundaryRead = boundarySource(r.PermissionsBoundary, origin, managed)
	if !r.AssumeRolePolicyDocument.IsZero() {
		if err := r.AssumeRolePolicyDocument.parse(); err != nil {
			return nil, fmt.Errorf("%w: parsing the trust policy of %s: %w", errInvalid, r.Arn, err)
		}
		e.Trust = &policy.Source{
			Layer: policy.LayerResource, ARN: r.Arn, Name: "AssumeRolePolicyDocument",
			Origin: origin + " (trust policy)", Document: r.AssumeRolePolicyDocument.doc,
		}
	}
	return e, nil
}

func userEntity(u *User, managed map[string]managedEntry, groups map[nameKey]*groupEntry) (*Entity, error) {
	a, ok := policy.ParseARN(u.Arn)
	if !ok || a.Service != "iam" || !strings.HasPrefix(a.Resource, "user/") || u.UserName == "" || lastSegment(a.Resource) != u.UserName {
		return nil, fmt.Errorf("%w: user %q has an invalid Arn %q", errInvalid, u.UserName, u.Arn)
	}
	origin := "user/" + u.UserName
	e := &Entity{ARN: u.Arn, Name: u.UserName, ID: u.UserID, Path: u.Path, Account: a.Account, Tags: tagMap(u.Tags)}
	if err := addInline(&e.Identity, u.UserPolicyList, origin, u.Arn); err != nil {
		return nil, err
	}
	missing := addManaged(&e.Identity, u.AttachedManagedPolicies, origin, managed)
	// A user's permissions include its groups' policies
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups.html).
	var missingGroups []string
	for _, gn := range u.GroupList {
		g, ok := groups[nameKey{a.Account, gn}]
		if !ok {
			missingGroups = append(missingGroups, gn)
			continue
		}
		e.Identity = append(e.Identity, g.sources...)
		missing = append(missing, g.missing...)
	}
	e.IdentityRead = missingRead(missing, origin+" or its groups")
	if len(missingGroups) > 0 {
		e.IdentityRead = policy.Readability{Unreadable: true, Error: "GroupNotInSnapshot",
			Message: fmt.Sprintf("groups %s of %s are not in the snapshot's GroupDetailList: capture the authorization details again without a Filter", strings.Join(missingGroups, ", "), origin)}
	}
	e.Boundary, e.BoundaryRead = boundarySource(u.PermissionsBoundary, origin, managed)
	return e, nil
}

// indexOrganization validates the organization and computes, for every
// account, its SCP and RCP levels from the root down.
func indexOrganization(o *Organization) (*orgIndex, error) {
	nodes := make(map[string]*OrgNode, len(o.Nodes))
	for i := range o.Nodes {
		n := &o.Nodes[i]
		switch n.Type {
		case NodeRoot:
			if n.Parent != "" {
				return nil, fmt.Errorf("%w: organization root %s has a parent", errInvalid, n.ID)
			}
		case NodeOU, NodeAccount:
			if n.Parent == "" {
				return nil, fmt.Errorf("%w: organization node %s has no parent", errInvalid, n.ID)
			}
		default:
			return nil, fmt.Errorf("%w: organization node %q has type %q, not ROOT, ORGANIZATIONAL_UNIT or ACCOUNT", errInvalid, n.ID, n.Type)
		}
		if n.Type == NodeAccount && !policy.IsAccountID(n.ID) {
			return nil, fmt.Errorf("%w: organization account node %q is not a 12-digit account id", errInvalid, n.ID)
		}
		if _, dup := nodes[n.ID]; dup {
			return nil, fmt.Errorf("%w: organization node %s is listed twice", errInvalid, n.ID)
		}
		nodes[n.ID] = n
	}
	scp := map[string][]policy.Source{}
	rcp := map[string][]policy.Source{}
	oi := &orgIndex{id: o.ID, management: o.ManagementAccountID, accounts: map[string]*accountPath{}}
	for i := range o.Policies {
		p := &o.Policies[i]
		var (
			layer  policy.Layer
			target map[string][]policy.Source
		)
		switch p.Type {
		case PolicyTypeSCP:
			layer, target = policy.LayerSCP, scp
			oi.scpEnabled = true
		case PolicyTypeRCP:
			layer, target = policy.LayerRCP, rcp
			oi.rcpEnabled = true
		default:
			continue // tag, backup … policies do not authorize
		}
		if err := p.Content.parse(); err != nil {
			return nil, fmt.Errorf("%w: parsing %s %s (%s): %w", errInvalid, layer, p.Name, orUnknown(p.ARN), err)
		}
		for _, t := range p.Targets {
			// Targets outside the captured nodes (other branches of the
			// organization) are kept in the file but never reached.
			target[t] = append(target[t], policy.Source{
				Layer: layer, ARN: p.ARN, Name: p.Name, Origin: "attached to " + t,
				Target: t, AWSManaged: p.AWSManaged, Document: p.Content.doc,
			})
		}
	}
	for id, n := range nodes {
		if n.Type != NodeAccount {
			continue
		}
		// Walk up to the root; a chain longer than the node count is a
		// cycle.
		var chain []*OrgNode
		for cur := n; ; {
			chain = append(chain, cur)
			if len(chain) > len(nodes) {
				return nil, fmt.Errorf("%w: organization nodes above %s form a cycle", errInvalid, id)
			}
			if cur.Type == NodeRoot {
				break
			}
			parent, ok := nodes[cur.Parent]
			if !ok {
				return nil, fmt.Errorf("%w: organization node %s has parent %s, which is not in nodes", errInvalid, cur.ID, cur.Parent)
			}
			if parent.Type == NodeAccount {
				return nil, fmt.Errorf("%w: organization node %s has an account (%s) as parent", errInvalid, cur.ID, parent.ID)
			}
			cur = parent
		}
		ap := &accountPath{}
		path := o.ID + "/"
		for i := len(chain) - 1; i >= 0; i-- {
			c := chain[i]
			if oi.scpEnabled {
				ap.scp = append(ap.scp, policy.OrgLevel{Target: c.ID, Type: c.Type, Name: c.Name, Policies: scp[c.ID]})
			}
			if oi.rcpEnabled {
				ap.rcp = append(ap.rcp, policy.OrgLevel{Target: c.ID, Type: c.Type, Name: c.Name, Policies: rcp[c.ID]})
			}
			if c.Type != NodeAccount {
				path += c.ID + "/"
			}
		}
		// aws:PrincipalOrgPaths holds the path from the organization to
		// the account's parent, each id followed by "/"
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths).
		if o.ID != "" {
			ap.orgPaths = []string{path}
		}
		oi.accounts[id] = ap
	}
	return oi, nil
}
