package audit

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/iamdiag/iamdiag/internal/catalog"
	"github.com/iamdiag/iamdiag/internal/lint"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// profileRole is a role in an instance profile: what an instance launched
// with that profile runs as.
type profileRole struct{ role, profile, profileName string }

// Probe actions: no AWS action has these names, so only a pattern that
// matches every action ("*"), or every IAM action ("iam:*"), allows them.
const (
	probeAny = "iamdiagprobe:AnyAction"
	probeIAM = "iam:IamdiagProbeAnyAction"
)

// pmActions are IAM's "Permissions management" actions
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html):
// the measure of how much a principal can change who may do what.
var pmActions = sync.OnceValue(func() []string {
	var out []string
	for _, act := range catalog.Expand("iam:*") {
		if act.AccessLevel == "Permissions management" {
			out = append(out, act.FullName())
		}
	}
	return out
})

// privileges is a principal's power, measured simply: everything, every IAM
// action, and which permission-management actions (on every resource).
type privileges struct {
	admin, iamAll bool
	pm            []bool // indexed like pmActions()
}

// escalationKeys are the keys whose values the escalation checks set; with
// the principal's keys, conditions on them are evaluated, conditions on any
// other key are taken as met (an Allow) or avoidable (a Deny): the caller
// chooses the instance type, region, tags … of the launch.
var escalationKeys = []string{"iam:PassedToService", "ec2:InstanceProfile"}

func escalationKnown(key string) bool {
	if isPrincipalKey(key) {
		return true
	}
	for _, k := range escalationKeys {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// escalation reports the instance-profile roles the principal can launch an
// instance with (iam:PassRole on the role to ec2.amazonaws.com, and
// ec2:RunInstances with its instance profile) whose permissions exceed the
// principal's: an admin-like role, a role with every IAM action, or one
// with a strict superset of the principal's permission-management actions.
// One finding per principal lists every such role, most privileged first.
func (a *auditor) escalation(p principal, l *policy.Layers) []Finding {
	if len(a.profileRoles) == 0 {
		return nil
	}
	patterns := statementResources(l.Identity, "iam:PassRole")
	if len(patterns) == 0 {
		return nil
	}
	launch := statementResources(l.Identity, "ec2:RunInstances")
	if len(launch) == 0 {
		return nil
	}
	mine := a.privileges(p.arn)
	if mine == nil {
		return nil
	}
	rl := a.relaxed(l)
	passCtx := &policy.Context{}
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService
	passCtx.Set("iam:PassedToService", "ec2.amazonaws.com")
	// Whether the launch is allowed depends on the profile only when a
	// policy tests ec2:InstanceProfile.
	perProfile := layersRead(rl, "ec2:InstanceProfile")
	launchKnown, launchOK := false, false
	type hit struct {
		pr     profileRole
		reason string
		sev    lint.Severity
	}
	var hits []hit
	for _, pr := range a.profileRoles {
		if pr.role == p.arn || !anyMatch(patterns, pr.role) {
			continue
		}
		theirs := a.privileges(pr.role)
		if theirs == nil {
			continue
		}
		reason, sev := exceeds(pr.role, p.arn, theirs, mine)
		if reason == "" {
			continue
		}
		pass := &policy.Request{Principal: policy.Principal{ARN: p.arn}, Action: "iam:PassRole", Resource: pr.role, Context: passCtx}
		if simulate.Decide(pass, rl, simulate.Options{}) != simulate.Allowed {
			continue
		}
		ok := launchOK
		if perProfile || !launchKnown {
			ok = canLaunch(p.arn, pr.profile, launch, rl)
			launchKnown, launchOK = true, ok
		}
		if !ok {
			continue
		}
		hits = append(hits, hit{pr, reason, sev})
	}
	if len(hits) == 0 {
		return nil
	}
	slices.SortStableFunc(hits, func(x, y hit) int { return int(y.sev) - int(x.sev) })
	roles := make([]string, len(hits))
	var reasons []string
	for i, h := range hits {
		roles[i] = h.pr.role
		if i < 3 {
			reasons = append(reasons, fmt.Sprintf("instance profile %s (role %s): %s", h.pr.profileName, h.pr.role, h.reason))
		}
	}
	msg := fmt.Sprintf("%s can launch an EC2 instance with a more privileged instance profile (ec2:RunInstances and iam:PassRole to ec2.amazonaws.com are allowed): %s", p.arn, strings.Join(reasons, "; "))
	if len(hits) > 3 {
		msg += fmt.Sprintf("; and %d more roles", len(hits)-3)
	}
	first := hits[0]
	src, st := grantingStatement(l.Identity, rl.Identity,
		&policy.Request{Principal: policy.Principal{ARN: p.arn}, Action: "iam:PassRole", Resource: first.pr.role, Context: passCtx})
	f := Finding{Rule: RuleInstanceProfileEscalation, Severity: first.sev, Principal: p.arn, Message: msg,
		Why:   why[RuleInstanceProfileEscalation],
		Fix:   fmt.Sprintf(`Scope iam:PassRole to the roles this principal must pass (never "*"), with "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}, and constrain ec2:RunInstances with the ec2:InstanceProfile condition key to the profiles it may use; or, where launching with %s is intended, give that role no more than the principal may do.`, first.pr.profileName),
		Roles: roles}
	if src != nil {
		f.Policy, f.PolicyName = src.ARN, src.Name
		if f.Policy == "" {
			f.Policy = src.Origin
		}
		f.Statement = st
	}
	f.ID = findingID(f.Rule, f.Principal, f.Policy, f.Statement, "")
	return []Finding{f}
}

// layersRead reports whether a policy of l tests key.
func layersRead(l *policy.Layers, key string) bool {
	reads := func(doc *policy.Document) bool {
		if doc == nil {
			return false
		}
		for i := range doc.Statements {
			for _, c := range doc.Statements[i].Conditions {
				if strings.EqualFold(c.Key, key) {
					return true
				}
			}
		}
		return false
	}
	for i := range l.Identity {
		if reads(l.Identity[i].Document) {
			return true
		}
	}
	if l.Boundary != nil && reads(l.Boundary.Document) {
		return true
	}
	for _, lv := range l.SCP {
		for i := range lv.Policies {
			if reads(lv.Policies[i].Document) {
				return true
			}
		}
	}
	return false
}

// canLaunch reports whether ec2:RunInstances with the instance profile is
// allowed on one of the resources the principal's statements name for it.
func canLaunch(principalARN, profile string, resources []string, rl *policy.Layers) bool {
	ctx := &policy.Context{}
	// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html#amazonec2-ec2_InstanceProfile
	ctx.Set("ec2:InstanceProfile", profile)
	for _, res := range resources {
		req := &policy.Request{Principal: policy.Principal{ARN: principalARN}, Action: "ec2:RunInstances", Resource: res, Context: ctx}
		if simulate.Decide(req, rl, simulate.Options{}) == simulate.Allowed {
			return true
		}
	}
	return false
}

// statementResources returns the resource patterns of the identity Allow
// statements whose Action names action ("*" for NotResource); nil when none
// does.
func statementResources(srcs []policy.Source, action string) []string {
	var out []string
	for i := range srcs {
		doc := srcs[i].Document
		if doc == nil {
			continue
		}
		for j := range doc.Statements {
			st := &doc.Statements[j]
			if st.Effect != policy.Allow || !st.CoversAction(action) {
				continue
			}
			if st.Resource == nil {
				out = append(out, "*")
			}
			out = append(out, st.Resource...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func anyMatch(patterns []string, arn string) bool {
	for _, p := range patterns {
		if policy.MatchARN(p, arn) {
			return true
		}
	}
	return false
}

// grantingStatement finds the identity statement that allows req: the
// first Allow that applies, in the relaxed documents, reported with the
// original source.
func grantingStatement(orig, relaxed []policy.Source, req *policy.Request) (*policy.Source, string) {
	for i := range relaxed {
		if relaxed[i].Document == nil {
			continue
		}
		ev := policy.Evaluate(relaxed[i].Document, req, policy.IdentityBased)
		for _, t := range ev.Statements {
			if t.Applies && t.Statement.Effect == policy.Allow {
				return &orig[i], t.Statement.ID()
			}
		}
	}
	return nil, ""
}

// exceeds says how the passed role's privileges exceed the principal's,
// and how severe that is; "" when they do not.
func exceeds(role, who string, theirs, mine *privileges) (string, lint.Severity) {
	switch {
	case theirs.admin && !mine.admin:
		return fmt.Sprintf("%s is admin-like (every action on every resource) while %s is not", role, who), lint.Error
	case theirs.iamAll && !mine.iamAll && !mine.admin:
		return fmt.Sprintf("%s may call every IAM action (iam:*) while %s may not", role, who), lint.Error
	}
	acts := pmActions()
	var extra []string
	for i := range acts {
		switch {
		case mine.pm[i] && !theirs.pm[i]:
			return "", 0
		case theirs.pm[i] && !mine.pm[i]:
			extra = append(extra, acts[i])
		}
	}
	if len(extra) == 0 {
		return "", 0
	}
	show := strings.Join(extra[:min(len(extra), 6)], ", ")
	if len(extra) > 6 {
		show += fmt.Sprintf(" and %d more", len(extra)-6)
	}
	return fmt.Sprintf("%s has every permission-management action %s has, and more: %s", role, who, show), lint.Warning
}

// privileges measures a role's or user's power, cached; nil when the
// principal cannot be resolved.
func (a *auditor) privileges(arn string) *privileges {
	if v, ok := a.privCache.Load(arn); ok {
		return v.(*privileges)
	}
	l, err := a.snap.Layers(&policy.Request{Principal: policy.Principal{ARN: arn}})
	if err != nil {
		a.warnf("measuring the permissions of %s: %v", arn, err)
		return nil
	}
	rl := a.relaxed(l)
	empty := &policy.Context{}
	allowed := func(action string) bool {
		req := &policy.Request{Principal: policy.Principal{ARN: arn}, Action: action, Resource: "*", Context: empty}
		return simulate.Decide(req, rl, simulate.Options{}) == simulate.Allowed
	}
	acts := pmActions()
	pv := &privileges{admin: allowed(probeAny), iamAll: allowed(probeIAM), pm: make([]bool, len(acts))}
	for i, act := range acts {
		pv.pm[i] = pv.admin || pv.iamAll || allowed(act)
	}
	v, _ := a.privCache.LoadOrStore(arn, pv)
	return v.(*privileges)
}
