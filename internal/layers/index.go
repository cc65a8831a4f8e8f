package layers

import (
	"fmt"
	"maps"
	"slices"
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
	// vpces are the VPC endpoints' policies by endpoint id; vpceRead
	// holds those that cannot be parsed.
	vpces    map[string]*policy.Source
	vpceRead map[string]policy.Readability
	org      *orgIndex
	noOrgSCP policy.Readability
	noOrgRCP policy.Readability
	// standalone: the snapshot's account is in no organization.
	standalone   bool
	snapshotDesc string // "account 123456789012 captured 2026-…" for messages

	// roleDups and userDups hold, by lower-cased name, the entities that
	// share a name (on different paths), when more than one does.
	roleDups, userDups map[nameKey][]*Entity
	// resourceRead and sessionRead are the resource and session policies
	// that cannot be parsed.
	resourceRead, sessionRead map[string]policy.Readability
	unreadable                []*DocumentError
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
	// TrustRead is unreadable when the role's trust policy cannot be
	// parsed.
	TrustRead policy.Readability
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

	// scpRead and rcpRead are unreadable when a policy attached along the
	// path cannot be parsed; scp or rcp is then nil.
	scpRead, rcpRead policy.Readability
}

type managedEntry struct {
	p   *ManagedPolicy
	doc *policy.Document
	// bad is set, and doc nil, when the default version cannot be parsed.
	bad *DocumentError
}

// Index validates the snapshot, parses every policy document and builds
// the indexes Layers uses. Load calls it; call it after building or changing
// a Snapshot in code. A document that cannot be parsed is no error: the
// layers that use it are unreadable and Unreadable lists it (a
// *DocumentError naming the policy and, through the parser's error, the
// position in it). An inconsistent snapshot (an invalid ARN, an entity
// listed twice, truncated authorization details) is an error.
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
	ix.roleDups, ix.userDups = map[nameKey][]*Entity{}, map[nameKey][]*Entity{}
	ix.resourceRead, ix.sessionRead = map[string]policy.Readability{}, map[string]policy.Readability{}
	ix.snapshotDesc = "account " + orUnknown(s.AccountID)
	if !s.CapturedAt.IsZero() {
		ix.snapshotDesc += " captured " + s.CapturedAt.UTC().Format("2006-01-02T15:04:05Z")
	}

	managed, err := indexManaged(d.Policies, &ix.unreadable)
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
		ge.bad = addInline(&ge.sources, g.GroupPolicyList, origin, g.Arn, &ix.unreadable)
		var bad []*DocumentError
		ge.missing, bad = addManaged(&ge.sources, g.AttachedManagedPolicies, origin, managed)
		ge.bad = append(ge.bad, bad...)
		k := nameKey{a.Account, g.GroupName}
		if _, dup := groups[k]; dup {
			return fmt.Errorf("%w: group %s is listed twice", errInvalid, g.Arn)
		}
		groups[k] = ge
	}
	for i := range d.RoleDetailList {
		r := &d.RoleDetailList[i]
		e, err := roleEntity(r, managed, &ix.unreadable)
		if err != nil {
			return err
		}
		if err := ix.addEntity(e, ix.roles, ix.roleNames, ix.roleNamesCI, ix.roleDups); err != nil {
			return err
		}
	}
	for i := range d.UserDetailList {
		e, err := userEntity(&d.UserDetailList[i], managed, groups, &ix.unreadable)
		if err != nil {
			return err
		}
		if err := ix.addEntity(e, ix.users, ix.userNames, ix.userNamesCI, ix.userDups); err != nil {
			return err
		}
	}
	for i := range s.ResourcePolicies {
		rp := &s.ResourcePolicies[i]
		if _, ok := policy.ParseARN(rp.ARN); !ok {
			return fmt.Errorf("%w: resource_policies[%d]: %q is not an ARN", errInvalid, i, rp.ARN)
		}
		_, dup := ix.resources[rp.ARN]
		if _, bad := ix.resourceRead[rp.ARN]; dup || bad {
			return fmt.Errorf("%w: resource_policies lists %s twice", errInvalid, rp.ARN)
		}
		if rp.Policy.IsZero() {
			// "policy": null: the snapshot captured that the resource
			// has no resource-based policy.
			ix.resources[rp.ARN] = nil
			continue
		}
		if err := rp.Policy.parse(); err != nil {
			de := &DocumentError{Document: "the resource policy of " + rp.ARN, Policy: rp.ARN, Owner: rp.ARN, Layer: policy.LayerResource, Err: err}
			ix.unreadable = append(ix.unreadable, de)
			ix.resourceRead[rp.ARN] = de.use()
			continue
		}
		ix.resources[rp.ARN] = &policy.Source{
			Layer: policy.LayerResource, ARN: rp.ARN,
			Origin: "resource policy of " + rp.ARN, Document: rp.Policy.doc,
		}
	}
	// In order of the session ARNs, so that Unreadable lists them in the
	// same order every time.
	for _, sess := range slices.Sorted(maps.Keys(s.SessionPolicies)) {
		raw := s.SessionPolicies[sess]
		if err := raw.parse(); err != nil {
			de := &DocumentError{Document: "the session policy of " + sess, Policy: sess, Owner: sess, Layer: policy.LayerSession, Err: err}
			ix.unreadable = append(ix.unreadable, de)
			ix.sessionRead[sess] = de.use()
			continue
		}
		ix.sessions[sess] = []policy.Source{{
			Layer: policy.LayerSession, Name: "session policy",
			Origin: "session policy of " + sess, Document: raw.doc,
		}}
		s.SessionPolicies[sess] = raw
	}
	ix.indexVPCEndpoints(s)
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
		org, err := indexOrganization(s.Organization, &ix.unreadable)
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

func (ix *index) addEntity(e *Entity, byARN map[string]*Entity, byName, byNameCI map[nameKey]*Entity, dups map[nameKey][]*Entity) error {
	if _, dup := byARN[e.ARN]; dup {
		return fmt.Errorf("%w: %s is listed twice", errInvalid, e.ARN)
	}
	byARN[e.ARN] = e
	byName[nameKey{e.Account, e.Name}] = e
	ci := nameKey{e.Account, strings.ToLower(e.Name)}
	if prev, ok := byNameCI[ci]; ok {
		// IAM names are unique in an account whatever the path and case
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names),
		// so this snapshot mixes captures: a name alone must not pick one.
		if dups[ci] == nil {
			dups[ci] = []*Entity{prev}
		}
		dups[ci] = append(dups[ci], e)
	}
	byNameCI[ci] = e
	return nil
}

type groupEntry struct {
	sources []policy.Source
	missing []string
	// bad are the group's policies that cannot be parsed.
	bad []*DocumentError
}

// useAll marks the documents as used and returns the readability of the
// layer that uses them.
func useAll(bad []*DocumentError) policy.Readability {
	var r policy.Readability
	for _, d := range bad {
		r = joinRead(r, d.use())
	}
	return r
}

// indexManaged parses every version of every managed policy and picks the
// default version. Versions that cannot be parsed are appended to bad; a
// default version among them makes the entry unreadable.
func indexManaged(list []ManagedPolicy, bad *[]*DocumentError) (map[string]managedEntry, error) {
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
		vbad := make(map[int]*DocumentError)
		for j := range p.PolicyVersionList {
			v := &p.PolicyVersionList[j]
			if err := v.Document.parse(); err != nil {
				de := &DocumentError{Document: "managed policy " + p.Arn + " version " + orUnknown(v.VersionID), Policy: p.Arn, Name: p.PolicyName,
					Version: v.VersionID, Layer: policy.LayerIdentity, Err: err}
				*bad = append(*bad, de)
				vbad[j] = de
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
		pickedV := byFlag
		switch {
		case byFlag >= 0:
		case byID >= 0:
			pickedV = byID
		default:
			return nil, fmt.Errorf("%w: managed policy %s has no default version in PolicyVersionList (DefaultVersionId %q)", errInvalid, p.Arn, p.DefaultVersionID)
		}
		// A version IAM does not evaluate is only worth a warning; the
		// default version's failure makes the policy unreadable where it
		// is attached.
		def = p.PolicyVersionList[pickedV].Document.doc
		m[p.Arn] = managedEntry{p: p, doc: def, bad: vbad[pickedV]}
	}
	return m, nil
}

// addInline appends the parsed inline policies to dst, and those that
// cannot be parsed to all; it returns the latter.
func addInline(dst *[]policy.Source, list []InlinePolicy, origin, owner string, all *[]*DocumentError) (bad []*DocumentError) {
	for i := range list {
		ip := &list[i]
		if err := ip.PolicyDocument.parse(); err != nil {
			de := &DocumentError{Document: fmt.Sprintf("inline policy %q of %s", ip.PolicyName, owner),
				Policy: origin + " (inline " + ip.PolicyName + ")", Name: ip.PolicyName, Owner: owner, Layer: policy.LayerIdentity, Err: err}
			*all = append(*all, de)
			bad = append(bad, de)
			continue
		}
		*dst = append(*dst, policy.Source{
			Layer: policy.LayerIdentity, Name: ip.PolicyName,
			Origin: origin + " (inline " + ip.PolicyName + ")", Document: ip.PolicyDocument.doc,
		})
	}
	return bad
}

// addManaged appends the attached managed policies found in the snapshot to
// dst and returns the ARNs of those it lacks and those whose default
// version cannot be parsed.
func addManaged(dst *[]policy.Source, list []AttachedPolicy, origin string, managed map[string]managedEntry) (missing []string, bad []*DocumentError) {
	for _, ap := range list {
		me, ok := managed[ap.PolicyArn]
		if !ok {
			missing = append(missing, ap.PolicyArn)
			continue
		}
		if me.bad != nil {
			bad = append(bad, me.bad)
			continue
		}
		*dst = append(*dst, policy.Source{
			Layer: policy.LayerIdentity, ARN: ap.PolicyArn, Name: me.p.PolicyName,
			Origin: origin, AWSManaged: IsAWSManaged(ap.PolicyArn), Document: me.doc,
		})
	}
	return missing, bad
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
	if me.bad != nil {
		return nil, me.bad.use()
	}
	return &policy.Source{
		Layer: policy.LayerBoundary, ARN: pb.PermissionsBoundaryArn, Name: me.p.PolicyName,
		Origin: origin + " (permissions boundary)", AWSManaged: IsAWSManaged(pb.PermissionsBoundaryArn), Document: me.doc,
	}, policy.Readability{}
}

func roleEntity(r *Role, managed map[string]managedEntry, all *[]*DocumentError) (*Entity, error) {
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
	bad := addInline(&e.Identity, r.RolePolicyList, origin, r.Arn, all)
	missing, badManaged := addManaged(&e.Identity, r.AttachedManagedPolicies, origin, managed)
	e.IdentityRead = joinRead(missingRead(missing, origin), useAll(append(bad, badManaged...)))
	e.Boundary, e.BoundaryRead = boundarySource(r.PermissionsBoundary, origin, managed)
	if !r.AssumeRolePolicyDocument.IsZero() {
		if err := r.AssumeRolePolicyDocument.parse(); err != nil {
			de := &DocumentError{Document: "the trust policy of " + r.Arn, Policy: origin + " (trust policy)", Owner: r.Arn, Layer: policy.LayerResource, Err: err}
			*all = append(*all, de)
			e.TrustRead = de.use()
			return e, nil
		}
		e.Trust = &policy.Source{
			Layer: policy.LayerResource, ARN: r.Arn, Name: "AssumeRolePolicyDocument",
			Origin: origin + " (trust policy)", Document: r.AssumeRolePolicyDocument.doc,
		}
	}
	return e, nil
}

func userEntity(u *User, managed map[string]managedEntry, groups map[nameKey]*groupEntry, all *[]*DocumentError) (*Entity, error) {
	a, ok := policy.ParseARN(u.Arn)
	if !ok || a.Service != "iam" || !strings.HasPrefix(a.Resource, "user/") || u.UserName == "" || lastSegment(a.Resource) != u.UserName {
		return nil, fmt.Errorf("%w: user %q has an invalid Arn %q", errInvalid, u.UserName, u.Arn)
	}
	origin := "user/" + u.UserName
	e := &Entity{ARN: u.Arn, Name: u.UserName, ID: u.UserID, Path: u.Path, Account: a.Account, Tags: tagMap(u.Tags)}
	bad := addInline(&e.Identity, u.UserPolicyList, origin, u.Arn, all)
	missing, badManaged := addManaged(&e.Identity, u.AttachedManagedPolicies, origin, managed)
	bad = append(bad, badManaged...)
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
		bad = append(bad, g.bad...)
	}
	e.IdentityRead = missingRead(missing, origin+" or its groups")
	if len(missingGroups) > 0 {
		e.IdentityRead = policy.Readability{Unreadable: true, Error: "GroupNotInSnapshot",
			Message: fmt.Sprintf("groups %s of %s are not in the snapshot's GroupDetailList: capture the authorization details again without a Filter", strings.Join(missingGroups, ", "), origin)}
	}
	e.IdentityRead = joinRead(e.IdentityRead, useAll(bad))
	e.Boundary, e.BoundaryRead = boundarySource(u.PermissionsBoundary, origin, managed)
	return e, nil
}

// indexOrganization validates the organization and computes, for every
// account, its SCP and RCP levels from the root down.
func indexOrganization(o *Organization, all *[]*DocumentError) (*orgIndex, error) {
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
	// scpBad and rcpBad hold, by target, the attached policies that cannot
	// be parsed.
	scpBad := map[string][]*DocumentError{}
	rcpBad := map[string][]*DocumentError{}
	oi := &orgIndex{id: o.ID, management: o.ManagementAccountID, accounts: map[string]*accountPath{}}
	for i := range o.Policies {
		p := &o.Policies[i]
		var (
			layer  policy.Layer
			target map[string][]policy.Source
			bad    map[string][]*DocumentError
		)
		switch p.Type {
		case PolicyTypeSCP:
			layer, target, bad = policy.LayerSCP, scp, scpBad
			oi.scpEnabled = true
		case PolicyTypeRCP:
			layer, target, bad = policy.LayerRCP, rcp, rcpBad
			oi.rcpEnabled = true
		default:
			continue // tag, backup … policies do not authorize
		}
		if err := p.Content.parse(); err != nil {
			id := p.ARN
			if id == "" {
				id = p.ID
			}
			de := &DocumentError{Document: fmt.Sprintf("%s %s (%s)", layer.Title(), p.Name, orUnknown(id)), Policy: id, Name: p.Name, Layer: layer, Err: err}
			*all = append(*all, de)
			for _, t := range p.Targets {
				bad[t] = append(bad[t], de)
			}
			continue
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
				ap.scpRead = joinRead(ap.scpRead, useAll(scpBad[c.ID]))
			}
			if oi.rcpEnabled {
				ap.rcp = append(ap.rcp, policy.OrgLevel{Target: c.ID, Type: c.Type, Name: c.Name, Policies: rcp[c.ID]})
				ap.rcpRead = joinRead(ap.rcpRead, useAll(rcpBad[c.ID]))
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
		// A policy that cannot be parsed leaves the whole layer unknown.
		if ap.scpRead.Unreadable {
			ap.scp = nil
		}
		if ap.rcpRead.Unreadable {
			ap.rcp = nil
		}
		oi.accounts[id] = ap
	}
	return oi, nil
}

// indexVPCEndpoints parses the snapshot's VPC endpoint policies, in order
// of their ids.
func (ix *index) indexVPCEndpoints(s *Snapshot) {
	ix.vpces, ix.vpceRead = make(map[string]*policy.Source, len(s.VPCEndpoints)), map[string]policy.Readability{}
	for _, id := range slices.Sorted(maps.Keys(s.VPCEndpoints)) {
		ep := s.VPCEndpoints[id]
		if err := ep.Policy.parse(); err != nil {
			de := &DocumentError{Document: "the policy of VPC endpoint " + id, Policy: id, Owner: id, Layer: policy.LayerVPCEndpoint, Err: err}
			ix.unreadable = append(ix.unreadable, de)
			ix.vpceRead[id] = de.use()
			continue
		}
		src := &policy.Source{Layer: policy.LayerVPCEndpoint, Name: id, Origin: "policy of VPC endpoint " + id, Document: ep.Policy.doc}
		if policy.IsAccountID(ep.OwnerID) && ep.Region != "" {
			src.ARN = "arn:aws:ec2:" + ep.Region + ":" + ep.OwnerID + ":vpc-endpoint/" + id
		}
		ix.vpces[id] = src
		s.VPCEndpoints[id] = ep
	}
}

// vpcEndpoint returns the policy of the VPC endpoint the request went
// through (aws:SourceVpce): nil and readable when it names none, unknown
// when the snapshot does not hold that endpoint.
func (ix *index) vpcEndpoint(req *policy.Request) (*policy.Source, policy.Readability) {
	v, ok := req.Context.Get("aws:SourceVpce")
	if !ok || len(v) == 0 || v[0] == "" {
		return nil, policy.Readability{}
	}
	id := v[0]
	if src, ok := ix.vpces[id]; ok {
		return src, policy.Readability{}
	}
	if r, ok := ix.vpceRead[id]; ok {
		return nil, r
	}
	return nil, policy.Readability{Unreadable: true, Error: "NotCaptured",
		Message: "the request went through VPC endpoint " + id + ", whose policy the snapshot of " + ix.snapshotDesc + " does not hold: add it under vpc_endpoints (aws ec2 describe-vpc-endpoints --vpc-endpoint-ids " + id + ", its PolicyDocument), or give it as a policy file"}
}
