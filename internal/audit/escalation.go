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
	rl := a.relaxed(l)
	var (
		out  []Finding
		mine *privileges
	)
	for _, pr := range a.profileRoles {
		if pr.role == p.arn || !anyMatch(patterns, pr.role) {
			continue
		}
		pass := passRequest(p.arn, pr.role)
		if simulate.Decide(pass, rl, simulate.Options{}) != simulate.Allowed {
			continue
		}
		if !canLaunch(p.arn, pr.profile, launch, rl) {
			continue
		}
		theirs := a.privileges(pr.role)
		if theirs == nil {
			continue
		}
		if mine == nil {
			mine = a.privileges(p.arn)
			if mine == nil {
				return out
			}
		}
		reason, sev := exceeds(pr.role, p.arn, theirs, mine)
		if reason == "" {
			continue
		}
		src, st := grantingStatement(l.Identity, rl.Identity, pass)
		f := Finding{Rule: RuleInstanceProfileEscalation, Severity: sev, Principal: p.arn,
			Message: fmt.Sprintf("%s can launch an EC2 instance with instance profile %s (role %s): ec2:RunInstances and iam:PassRole on the role are allowed, and %s",
				p.arn, pr.profileName, pr.role, reason),
			Why: why[RuleInstanceProfileEscalation],
			Fix: fmt.Sprintf(`Scope iam:PassRole to the roles this principal must pass (never "*"), with "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}, and constrain ec2:RunInstances with the ec2:InstanceProfile condition key to the profiles it may use; or, if launching with %s is intended, give %s no more than the principal may do.`, pr.profileName, pr.role),
			subject: pr.role + "|" + pr.profile}
		if src != nil {
			f.Policy, f.PolicyName = src.ARN, src.Name
			if f.Policy == "" {
				f.Policy = src.Origin
			}
			f.Statement = st
		}
		f.ID = findingID(f.Rule, f.Principal, f.Policy, f.Statement, f.subject)
		out = append(out, f)
	}
	return out
}

func passRequest(principalARN, role string) *policy.Request {
	ctx := &policy.Context{}
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService
	ctx.Set("iam:PassedToService", "ec2.amazonaws.com")
	return &policy.Request{Principal: policy.Principal{ARN: principalARN}, Action: "iam:PassRole", Resource: role, Context: ctx}
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
			if st.Effect != policy.Allow || !actionNamed(st, action) {
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

func actionNamed(st *policy.Statement, action string) bool {
	if st.NotAction != nil {
		for _, pat := range st.NotAction {
			if policy.MatchAction(pat, action) {
				return false
			}
		}
		return true
	}
	for _, pat := range st.Action {
		if policy.MatchAction(pat, action) {
			return true
		}
	}
	return false
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
	allowed := func(action string) bool {
		req := &policy.Request{Principal: policy.Principal{ARN: arn}, Action: action, Resource: "*", Context: &policy.Context{}}
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
