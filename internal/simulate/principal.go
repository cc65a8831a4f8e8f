package simulate

import (
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// Principal types, the values of aws:PrincipalType
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltype),
// plus "Service" for an AWS service principal.
const (
	typeAssumedRole   = "AssumedRole"
	typeUser          = "User"
	typeFederatedUser = "FederatedUser"
	typeAccount       = "Account"
	typeAnonymous     = "Anonymous"
	typeService       = "Service"
)

// env is what the evaluation needs to know about a request beyond the
// policies: the effective principal and how the request relates to the
// organization and to the resource's account.
type env struct {
	l *policy.Layers
	// p is the effective principal: the request's, completed from
	// Layers.Principal and from its ARN.
	p policy.Principal
	// service is the action's service prefix, lower case.
	service string
	// res is the request's resource parsed as an ARN (zero when it is not
	// one): parsed once for every rule that reads it.
	res policy.ARN
	// resAccount is the resource's account, "" when unknown.
	resAccount string
	// cross is true when the principal's and the resource's accounts are
	// both known and differ.
	cross bool
	// required is set for the resources whose own policy must allow:
	// KMS keys and IAM role trust policies.
	required requiredKind
	// principalInOrg is true when the principal's account is known to be
	// in the organization.
	principalInOrg bool
	// resourceInOrg likewise for the resource's account.
	resourceInOrg bool
	// resourceOnly is true for callers that have no identity-based
	// policies: AWS service principals and anonymous callers.
	resourceOnly bool
	// awsOwned is true for a resource that AWS owns, whose ARN has "aws"
	// in place of an account (AWS managed policies): it has no
	// resource-based policy and belongs to no account.
	awsOwned bool
	// roleAsCaller is true when the principal given is a role's ARN, not
	// a session's: a role makes no request itself, so the request is
	// evaluated as one by a session of the role.
	roleAsCaller bool
	// vpce is the VPC endpoint the request went through (aws:SourceVpce),
	// "" when unknown.
	vpce string
}

// requiredKind names the resources whose resource-based policy must allow
// access even within one account.
type requiredKind uint8

const (
	requiredNone requiredKind = iota
	// requiredKMSKey: "Unless the key policy explicitly allows it, you
	// cannot use IAM policies to allow access to a KMS key"
	// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).
	requiredKMSKey
	// requiredRoleTrust: "IAM role trust policies and KMS key policies are
	// exceptions to this logic, because they must explicitly allow access
	// for principals"
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html).
	requiredRoleTrust
)

// newEnv merges the principal and works out the request's relations.
func newEnv(req *policy.Request, l *policy.Layers) env {
	e := env{l: l, p: mergePrincipal(req.Principal, l.Principal)}
	e.service = actionService(req.Action)
	e.res, _ = policy.ParseARN(req.Resource)
	res := e.res
	// The account the layers name wins over the ARN's (a source or the
	// user said it); an ARN field that is not an account id ("aws" in
	// AWS managed policies, nothing in S3 ARNs) names no account.
	e.awsOwned = res.Account == "aws"
	switch {
	case policy.IsAccountID(l.ResourceAccount):
		e.resAccount = l.ResourceAccount
	case policy.IsAccountID(res.Account):
		e.resAccount = res.Account
	case !e.awsOwned:
		e.resAccount = levelsAccount(l.RCP)
	}
	e.cross = e.p.Account != "" && e.resAccount != "" && e.p.Account != e.resAccount
	e.required = requiredFor(e.service, e.res)
	e.resourceOnly = e.p.Type == typeService || e.p.Type == typeAnonymous
	e.roleAsCaller = e.p.Type == typeAssumedRole && isRoleARN(e.p.ARN)
	// Context keys are matched case-insensitively; the key in lower case
	// spares Get an allocation on the hot path.
	if v, ok := req.Context.Get("aws:sourcevpce"); ok && len(v) > 0 {
		e.vpce = v[0]
	}
	e.principalInOrg = l.OrgID != "" && e.p.Account != "" && !e.resourceOnly &&
		(e.p.Account == l.ManagementAccount || levelsCover(l.SCP, e.p.Account))
	e.resourceInOrg = l.OrgID != "" && e.resAccount != "" &&
		(e.resAccount == l.ManagementAccount || levelsCover(l.RCP, e.resAccount) ||
			(e.principalInOrg && e.resAccount == e.p.Account))
	if e.p.OrgID == "" && e.principalInOrg {
		e.p.OrgID = l.OrgID
	}
	return e
}

// mergePrincipal takes every field of r that is empty from l, then derives
// what the ARN says.
func mergePrincipal(r, l policy.Principal) policy.Principal {
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&r.ARN, l.ARN)
	fill(&r.IAMARN, l.IAMARN)
	fill(&r.Account, l.Account)
	fill(&r.Type, l.Type)
	fill(&r.UserID, l.UserID)
	fill(&r.Username, l.Username)
	fill(&r.SessionName, l.SessionName)
	fill(&r.Service, l.Service)
	fill(&r.OrgID, l.OrgID)
	if r.Tags == nil {
		r.Tags = l.Tags
	}
	if r.OrgPaths == nil {
		r.OrgPaths = l.OrgPaths
	}
	r.ServiceLinked = r.ServiceLinked || l.ServiceLinked
	derivePrincipal(&r)
	return r
}

// roleAsCallerWarning says how a role ARN given as the principal is read.
const roleAsCallerWarning = "the principal is a role, not a session: a role makes no request itself, so the call was evaluated as made by a session of this role, limited by its permissions boundary, and with no session policy; give the session's ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION), and the session policy if it was created with one, for an exact answer"

// isRoleARN reports whether arn is an IAM role's ARN.
func isRoleARN(arn string) bool {
	a, ok := policy.ParseARN(arn)
	return ok && a.Service == "iam" && strings.HasPrefix(a.Resource, "role/")
}

// derivePrincipal fills the fields that the caller's ARN determines.
// ARN forms: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
func derivePrincipal(p *policy.Principal) {
	arn := p.ARN
	if arn == "" {
		arn = p.IAMARN
	}
	a, _ := policy.ParseARN(arn)
	if p.Account == "" {
		p.Account = a.Account
	}
	res := a.Resource
	if (p.Type == "" || p.Type == typeAssumedRole) && p.ARN != "" && isRoleARN(p.ARN) {
		// A role ARN as the caller stands for a session of the role: the
		// role is its aws:PrincipalArn.
		p.Type = typeAssumedRole
		if p.IAMARN == "" {
			p.IAMARN = p.ARN
		}
	}
	if p.Type == "" {
		switch {
		case strings.HasPrefix(res, "assumed-role/"):
			p.Type = typeAssumedRole
		case strings.HasPrefix(res, "user/"):
			p.Type = typeUser
		case strings.HasPrefix(res, "federated-user/"):
			p.Type = typeFederatedUser
		case res == "root":
			p.Type = typeAccount
		case p.Service != "":
			p.Type = typeService
		}
	}
	switch p.Type {
	case typeUser, typeAccount:
		// For users and the root user, aws:PrincipalArn is the caller's
		// own ARN.
		if own, _ := policy.ParseARN(p.ARN); p.IAMARN == "" && strings.HasPrefix(own.Service, "iam") {
			p.IAMARN = p.ARN
		}
		if p.Type == typeUser && p.Username == "" && strings.HasPrefix(res, "user/") {
			p.Username = res[strings.LastIndexByte(res, '/')+1:]
		}
	case typeAssumedRole:
		if p.SessionName == "" && strings.HasPrefix(res, "assumed-role/") {
			parts := strings.SplitN(res, "/", 3)
			if len(parts) == 3 {
				p.SessionName = parts[2]
			}
		}
	}
	// Service-linked roles live under the path /aws-service-role/
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html).
	if !p.ServiceLinked && strings.Contains(p.IAMARN, ":role/aws-service-role/") {
		p.ServiceLinked = true
	}
}

// isSession reports whether the principal is a session principal, the only
// kind session policies apply to
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session).
func isSession(p *policy.Principal) bool {
	return p.Type == typeAssumedRole || p.Type == typeFederatedUser
}

// requiredFor says whether the resource's own policy must allow.
func requiredFor(service string, a policy.ARN) requiredKind {
	switch {
	case service == "kms" && a.Service == "kms" && strings.HasPrefix(a.Resource, "key/"):
		return requiredKMSKey
	case service == "sts" && a.Service == "iam" && strings.HasPrefix(a.Resource, "role/"):
		return requiredRoleTrust
	}
	return requiredNone
}

// actionService returns the lower-cased service prefix of "svc:Action".
func actionService(action string) string {
	i := strings.IndexByte(action, ':')
	if i <= 0 {
		return ""
	}
	s := action[:i]
	for j := 0; j < len(s); j++ {
		if c := s[j]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// levelsAccount returns the account id at the bottom of the levels, "" when
// the last level is not an account.
func levelsAccount(levels []policy.OrgLevel) string {
	if n := len(levels); n > 0 && levels[n-1].Type == "ACCOUNT" {
		return levels[n-1].Target
	}
	return ""
}

// levelsCover reports whether levels describe account: they end with it,
// or they are non-empty and do not say which account they lead to.
func levelsCover(levels []policy.OrgLevel, account string) bool {
	if len(levels) == 0 {
		return false
	}
	a := levelsAccount(levels)
	return a == "" || a == account
}

// orgPath builds the aws:PrincipalOrgPaths / aws:ResourceOrgPaths value of
// an account from its levels: "o-id/r-id/ou-id/…/", the account itself not
// included
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths).
func orgPath(orgID string, levels []policy.OrgLevel) string {
	if orgID == "" || len(levels) == 0 {
		return ""
	}
	n := len(orgID) + 1
	for _, lv := range levels {
		if lv.Type == "ACCOUNT" {
			break
		}
		n += len(lv.Target) + 1
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(orgID)
	b.WriteByte('/')
	for _, lv := range levels {
		if lv.Type == "ACCOUNT" {
			break
		}
		b.WriteString(lv.Target)
		b.WriteByte('/')
	}
	return b.String()
}

// isOrgPath reports whether path is orgPath(orgID, levels), without
// building it.
func isOrgPath(path, orgID string, levels []policy.OrgLevel) bool {
	if orgID == "" || len(levels) == 0 {
		return path == ""
	}
	rest, ok := strings.CutPrefix(path, orgID)
	if !ok {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, "/"); !ok {
		return false
	}
	for _, lv := range levels {
		if lv.Type == "ACCOUNT" {
			break
		}
		if rest, ok = strings.CutPrefix(rest, lv.Target); !ok {
			return false
		}
		if rest, ok = strings.CutPrefix(rest, "/"); !ok {
			return false
		}
	}
	return rest == ""
}

// grantClass says how a resource-based policy grants access to the caller,
// which decides what else must allow
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html,
// "Resource-based policies").
type grantClass uint8

const (
	grantNone grantClass = iota
	// grantAccount: the statement names the caller's account, which
	// delegates authority to the account's identity-based policies
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts).
	grantAccount
	// grantIdentity: the statement names the IAM role behind a role
	// session, or the IAM user behind a federated user session; the
	// permissions boundary and session policies still limit it.
	grantIdentity
	// grantWildcard: the statement grants everyone ("*", {"AWS": "*"}) or
	// everyone but some (NotPrincipal), naming no principal. Within one
	// account the permissions boundary does not limit it, as for
	// grantDirect; session policies do. AWS documents that a grant
	// naming the role limits nothing beyond the session policy's limit,
	// and that a grant naming the session ARN is not limited by it
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session);
	// for federated user sessions the resource-based policy must
	// "explicitly name" the session
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_getfederationtoken.html).
	// Nothing says that "*" names the session, so iamdiag takes the
	// conservative reading: the session policy limits it, as it limits a
	// grant to the role. Evaluate warns when this decides the result.
	grantWildcard
	// grantDirect: the statement names the caller itself (role session
	// ARN, federated user ARN, IAM user ARN) or a service; implicit denies
	// in identity-based policies, boundaries and session policies do not
	// limit it within one account.
	grantDirect
)

// classify returns how an applying Allow statement of a resource-based
// policy grants access to p.
func classify(st *policy.Statement, p *policy.Principal) grantClass {
	switch {
	case st.NotPrincipal != nil || st.Principal != nil && st.Principal.Wildcard:
		// NotPrincipal that matched and "Principal": "*" grant without
		// naming the caller.
		return grantWildcard
	case st.Principal == nil:
		return grantDirect
	}
	best := grantNone
	up := func(g grantClass) {
		if g > best {
			best = g
		}
	}
	for typ, vals := range st.Principal.Values {
		switch typ {
		case "AWS":
			for _, v := range vals {
				up(classifyAWS(v, p))
			}
		case "Service":
			for _, v := range vals {
				if p.Type == typeService && strings.EqualFold(v, p.Service) {
					up(grantDirect)
				}
			}
		default:
			// Federated and CanonicalUser principals name the caller
			// directly.
			up(grantDirect)
		}
	}
	if best == grantNone {
		// The engine matched the statement by a form this package does
		// not recognise (a unique id …): take it as naming the caller.
		best = grantDirect
	}
	return best
}

// classifyAWS classifies one value of an "AWS" principal.
func classifyAWS(v string, p *policy.Principal) grantClass {
	switch {
	case v == "*":
		return grantWildcard
	case p.IAMARN != "" && v == p.IAMARN:
		// Checked before the caller's own ARN: when the caller given is a
		// role's ARN, both are the role's, and a grant to the role is
		// limited by the boundary and session policies
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
		if p.Type == typeUser || p.Type == typeAccount {
			return grantDirect
		}
		return grantIdentity
	case p.ARN != "" && v == p.ARN:
		return grantDirect
	case p.Account != "" && (v == p.Account || rootAccount(v) == p.Account):
		if p.Type == typeAccount {
			// The root user is the account.
			return grantDirect
		}
		return grantAccount
	case p.Type == typeAssumedRole && p.IAMARN == "" && roleMatchesSession(v, p.ARN):
		return grantIdentity
	case p.UserID != "" && v == p.UserID:
		// A unique id names the user (or, for a session, the session).
		return grantDirect
	case p.UserID != "" && strings.HasPrefix(p.UserID, v+":"):
		// A role's unique id (AROA…) names the role behind the session.
		return grantIdentity
	}
	return grantNone
}

// rootAccount returns the account of v when v is the ARN of an account's
// root user ("arn:aws:iam::111122223333:root"), else "".
func rootAccount(v string) string {
	if a, ok := policy.ParseARN(v); ok && a.Service == "iam" && a.Resource == "root" {
		return a.Account
	}
	return ""
}

// roleMatchesSession reports whether role ARN v is the role of session ARN
// s, comparing the account and the role name only: an assumed-role ARN
// drops the role's path.
func roleMatchesSession(v, s string) bool {
	va, _ := policy.ParseARN(v)
	sa, _ := policy.ParseARN(s)
	vr, sr := va.Resource, sa.Resource
	if !strings.HasPrefix(vr, "role/") || !strings.HasPrefix(sr, "assumed-role/") || va.Account != sa.Account {
		return false
	}
	name := vr[strings.LastIndexByte(vr, '/')+1:]
	parts := strings.SplitN(sr, "/", 3)
	return len(parts) == 3 && strings.EqualFold(parts[1], name)
}
