package audit

import (
	"slices"
	"strings"
	"sync"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/lint"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// lintUnit is one policy document to lint, with everything a finding about
// it must say.
type lintUnit struct {
	doc  *policy.Document
	raw  string // the document as the snapshot holds it: the cache key
	kind lint.Kind
	// policy is the ARN, or the origin of an inline or trust policy.
	policy, name string
	// attachedTo lists who the policy applies to; owner is the one
	// principal of an inline or trust policy ("" for shared policies, so
	// that their ids do not change as attachments do).
	attachedTo []string
	owner      string
	shared     bool
	awsManaged bool
	cache      *sync.Map
}

// lintUnits lists every policy the snapshot holds, each once: managed
// policies (as a permissions policy, and as a boundary where one is used
// so), inline and trust policies, SCPs and RCPs.
func (a *auditor) lintUnits() []*lintUnit {
	d := &a.snap.AuthorizationDetails
	cache := &sync.Map{}
	attached := map[string][]string{}
	boundaryOf := map[string][]string{}
	attach := func(list []layers.AttachedPolicy, who string) {
		for _, ap := range list {
			attached[ap.PolicyArn] = append(attached[ap.PolicyArn], who)
		}
	}
	bound := func(pb *layers.PermissionsBoundary, who string) {
		if pb != nil && pb.PermissionsBoundaryArn != "" {
			boundaryOf[pb.PermissionsBoundaryArn] = append(boundaryOf[pb.PermissionsBoundaryArn], who)
		}
	}
	var units []*lintUnit
	add := func(u *lintUnit) {
		if u.doc == nil {
			return
		}
		u.cache = cache
		units = append(units, u)
	}
	inline := func(list []layers.InlinePolicy, origin, owner string) {
		for i := range list {
			ip := &list[i]
			add(&lintUnit{doc: ip.PolicyDocument.Document(), raw: string(ip.PolicyDocument.JSON), kind: lint.Identity,
				policy: origin + " (inline " + ip.PolicyName + ")", name: ip.PolicyName, owner: owner, attachedTo: []string{owner}})
		}
	}
	for i := range d.RoleDetailList {
		r := &d.RoleDetailList[i]
		attach(r.AttachedManagedPolicies, r.Arn)
		bound(r.PermissionsBoundary, r.Arn)
		inline(r.RolePolicyList, "role/"+r.RoleName, r.Arn)
		if !r.AssumeRolePolicyDocument.IsZero() {
			add(&lintUnit{doc: r.AssumeRolePolicyDocument.Document(), raw: string(r.AssumeRolePolicyDocument.JSON), kind: lint.Trust,
				policy: trustOrigin(r), owner: r.Arn, attachedTo: []string{r.Arn}})
		}
	}
	for i := range d.UserDetailList {
		u := &d.UserDetailList[i]
		attach(u.AttachedManagedPolicies, u.Arn)
		bound(u.PermissionsBoundary, u.Arn)
		inline(u.UserPolicyList, "user/"+u.UserName, u.Arn)
	}
	for i := range d.GroupDetailList {
		g := &d.GroupDetailList[i]
		attach(g.AttachedManagedPolicies, g.Arn)
		inline(g.GroupPolicyList, "group/"+g.GroupName, g.Arn)
	}
	for i := range d.Policies {
		p := &d.Policies[i]
		v := defaultVersion(p)
		if v == nil {
			continue
		}
		aws := isAWSManaged(p.Arn)
		base := lintUnit{doc: v.Document.Document(), raw: string(v.Document.JSON), policy: p.Arn, name: p.PolicyName, shared: true, awsManaged: aws}
		att, bnd := sorted(attached[p.Arn]), sorted(boundaryOf[p.Arn])
		if len(att) > 0 || len(bnd) == 0 {
			u := base
			u.kind, u.attachedTo = lint.Identity, att
			add(&u)
		}
		if len(bnd) > 0 {
			u := base
			u.kind, u.attachedTo = lint.Boundary, bnd
			add(&u)
		}
	}
	if org := a.snap.Organization; org != nil {
		for i := range org.Policies {
			p := &org.Policies[i]
			var kind lint.Kind
			switch p.Type {
			case layers.PolicyTypeSCP:
				kind = lint.SCP
			case layers.PolicyTypeRCP:
				kind = lint.RCP
			default:
				continue
			}
			id := p.ARN
			if id == "" {
				id = p.ID
			}
			add(&lintUnit{doc: p.Content.Document(), raw: string(p.Content.JSON), kind: kind, policy: id, name: p.Name,
				shared: true, awsManaged: p.AWSManaged, attachedTo: sorted(p.Targets)})
		}
	}
	return units
}

func trustOrigin(r *layers.Role) string { return "role/" + r.RoleName + " (trust policy)" }

// defaultVersion returns the version IAM evaluates
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html),
// chosen as layers.Snapshot.Index does.
func defaultVersion(p *layers.ManagedPolicy) *layers.PolicyVersion {
	for j := range p.PolicyVersionList {
		if p.PolicyVersionList[j].IsDefaultVersion {
			return &p.PolicyVersionList[j]
		}
	}
	for j := range p.PolicyVersionList {
		if v := &p.PolicyVersionList[j]; v.VersionID != "" && v.VersionID == p.DefaultVersionID {
			return v
		}
	}
	return nil
}

// isAWSManaged reports whether a policy ARN names an AWS managed policy
// (account field "aws").
func isAWSManaged(arn string) bool {
	return strings.Contains(arn, ":iam::aws:policy/")
}

// awsManagedFinding says who can act on a finding in an AWS managed policy,
// which no customer can edit
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies).
// The policy of a service-linked role is AWS's alone, as is the role: the
// finding is informational
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html).
// Any other AWS managed policy was attached by someone in the account, who
// can detach it and attach a narrower customer managed policy instead.
func awsManagedFinding(f *Finding, arn string) {
	if strings.Contains(arn, ":policy/aws-service-role/") {
		f.Severity = lint.Info
		f.Message += " (AWS managed policy of a service-linked role)"
		f.Fix = "Nothing to change here: AWS maintains both the service-linked role and this policy, and only AWS can change them; the service assumes the role for its own work. To be rid of it, stop using the service and delete the service-linked role."
		return
	}
	f.Message += " (AWS managed policy: only AWS can change it)"
	f.Fix = "AWS maintains this policy; you cannot edit it. Whoever manages IAM in the account can detach it from the principals above and attach a customer managed policy that grants only what they need: " + f.Fix
}

func sorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// catalogRules are the lint rules about the action catalog: on an AWS
// managed policy, which its owner cannot change and AWS keeps current, they
// report the catalog's age rather than a problem.
var catalogRules = map[string]bool{lint.RuleUnknownAction: true, lint.RuleUnknownKey: true, lint.RuleKeyNotSet: true}

// check lints the unit's document once per distinct text and kind, and
// turns the findings into audit findings. Positions are not kept: inside a
// snapshot they point nowhere useful, and a nil text lets lint skip
// re-reading the document (the size quotas were enforced by AWS when the
// policy was stored).
func (u *lintUnit) check() []Finding {
	key := string(u.kind) + "\x00" + u.raw
	var lfs []lint.Finding
	if v, ok := u.cache.Load(key); ok {
		lfs = v.([]lint.Finding)
	} else {
		lfs = lint.Check(u.doc, nil, u.kind, u.policy)
		u.cache.Store(key, lfs)
	}
	if len(lfs) == 0 {
		return nil
	}
	out := make([]Finding, 0, len(lfs))
	for _, lf := range lfs {
		if u.awsManaged && catalogRules[lf.Rule] {
			continue
		}
		f := Finding{Rule: lf.Rule, Severity: lf.Severity, Policy: u.policy, PolicyName: u.name,
			Statement: lf.Statement, Message: lf.Message, Why: lf.Why, Fix: lf.Fix, subject: string(u.kind) + ":" + lf.Message}
		if len(u.attachedTo) > 0 {
			f.Principal = u.attachedTo[0]
		}
		if u.shared {
			f.AttachedTo = u.attachedTo
			if len(u.attachedTo) == 0 {
				// It grants nothing today; it matters when someone
				// attaches it.
				f.Severity = lint.Info
				f.Message += " (the policy is attached to nothing)"
			}
		}
		if u.awsManaged {
			awsManagedFinding(&f, u.policy)
		}
		f.ID = findingID(f.Rule, u.owner, f.Policy, f.Statement, f.subject)
		switch {
		case u.kind == lint.SCP || u.kind == lint.RCP:
			f.scope = scopeOrganization
		case u.awsManaged:
			f.scope = scopeShared
		}
		out = append(out, f)
	}
	return out
}
