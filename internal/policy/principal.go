package policy

import "strings"

// This file matches the Principal and NotPrincipal elements of resource-based
// policies against the caller, following
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
// and
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html:
//
//   - "*" names every principal, anonymous callers and AWS services
//     included. {"AWS": "*"} is "equivalent for anonymous users"; iamdiag
//     lets it name every principal except an AWS service principal, which
//     is named by "Service" or "*".
//   - An account, as "123456789012" or "arn:aws:iam::123456789012:root",
//     names every principal of that account: "Using the account ARN in the
//     Principal element does not limit permissions to only the root user of
//     the account."
//   - A role ARN names the role's sessions: callers with that role's ARN
//     (aws:PrincipalArn, Principal.IAMARN). When IAMARN is unknown, an
//     assumed-role session ARN names the role by account and name only,
//     since the session ARN drops the role's path.
//   - An assumed-role session ARN, a user ARN and a federated-user ARN name
//     exactly that principal. User names are case-sensitive ("the user name
//     part of the ARN is case sensitive"), so comparison is exact.
//   - A unique id (AROA…, AIDA…), which IAM shows once the role or user it
//     stood for was deleted, names the principal with that aws:userid.
//   - "Service" names the AWS service principal calling (Principal.Type
//     "Service"); "Federated" names the identity provider, compared with the
//     caller's ARN or IAMARN.
//   - "CanonicalUser" (an S3 canonical user id of an account or a CloudFront
//     origin access identity) names nothing: a Request carries no canonical
//     id, and aws:userid is a different identifier.
//   - "You cannot use a wildcard to match part of a principal name or ARN":
//     a value such as "arn:aws:iam::123456789012:role/app-*" is compared
//     literally and so names nothing.

// principalNames reports whether p names the caller.
func principalNames(p *Principals, c *Principal) bool {
	if p.Wildcard {
		return true
	}
	for _, t := range principalTypesOf(p) {
		for _, v := range p.Values[t] {
			if principalValueNames(t, v, c) {
				return true
			}
		}
	}
	return false
}

// principalTypesOf returns the principal types of p in a fixed order.
func principalTypesOf(p *Principals) []string {
	if len(p.typeOrder) == len(p.Values) {
		return p.typeOrder
	}
	return principalTypes
}

func principalValueNames(typ, v string, c *Principal) bool {
	switch typ {
	case "AWS":
		return awsValueNames(v, c)
	case "Service":
		return c.Type == "Service" && c.Service != "" && strings.EqualFold(v, c.Service)
	case "Federated":
		return v != "" && (v == c.ARN || v == c.IAMARN)
	default:
		return false
	}
}

func awsValueNames(v string, c *Principal) bool {
	if v == "*" {
		return c.Type != "Service"
	}
	if IsAccountID(v) {
		return c.Type != "Service" && c.Type != "Anonymous" && callerAccount(c) == v
	}
	if !strings.HasPrefix(v, "arn:") {
		// A unique principal id left behind by a deleted role or user.
		return c.UserID != "" && (c.UserID == v || strings.HasPrefix(c.UserID, v+":"))
	}
	a, ok := ParseARN(v)
	if !ok {
		return false
	}
	switch {
	case a.Service == "iam" && a.Resource == "root":
		return c.Type != "Service" && c.Type != "Anonymous" && callerAccount(c) == a.Account &&
			samePartition(a.Partition, c)
	case a.Service == "iam" && strings.HasPrefix(a.Resource, "role/"):
		if c.IAMARN != "" {
			return v == c.IAMARN
		}
		// The session ARN drops the role's path: compare account and name.
		s, ok := ParseARN(c.ARN)
		if !ok || s.Service != "sts" || !strings.HasPrefix(s.Resource, "assumed-role/") {
			return v == c.ARN
		}
		roleName := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
		rest := strings.TrimPrefix(s.Resource, "assumed-role/")
		sessionRole, _, _ := strings.Cut(rest, "/")
		return a.Partition == s.Partition && a.Account == s.Account && roleName == sessionRole
	default:
		return v == c.ARN || v == c.IAMARN
	}
}

// notPrincipalExcludes reports whether a NotPrincipal element exempts the
// caller. AWS may check the caller's account, then its role, then its
// session, so a caller is exempt only when every identity of that chain is
// named: "we strongly recommend that you explicitly include the ARN for a
// user's account, or include both the ARN for a role and the ARN for the
// account containing that role"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
func notPrincipalExcludes(p *Principals, c *Principal) bool {
	if p.Wildcard {
		return true
	}
	aws := p.Values["AWS"]
	for _, v := range aws {
		if v == "*" && c.Type != "Service" {
			return true
		}
	}
	switch c.Type {
	case "Service":
		for _, v := range p.Values["Service"] {
			if strings.EqualFold(v, c.Service) {
				return true
			}
		}
		return false
	case "Anonymous":
		return false
	}
	// The account must be named.
	acct := callerAccount(c)
	if acct == "" {
		return false
	}
	named := false
	for _, v := range aws {
		if v == acct {
			named = true
			break
		}
		if a, ok := ParseARN(v); ok && a.Service == "iam" && a.Resource == "root" && a.Account == acct && samePartition(a.Partition, c) {
			named = true
			break
		}
	}
	if !named {
		return false
	}
	s, sok := ParseARN(c.ARN)
	switch {
	case sok && s.Service == "iam" && s.Resource == "root":
		// The root user: its account is the whole chain.
		return true
	case sok && s.Service == "sts" && strings.HasPrefix(s.Resource, "assumed-role/"):
		// Account, role and session must all be named.
		if !contains(aws, c.ARN) {
			return false
		}
		for _, v := range aws {
			if a, ok := ParseARN(v); ok && a.Service == "iam" && strings.HasPrefix(a.Resource, "role/") && awsValueNames(v, c) {
				return true
			}
		}
		return false
	case c.ARN != "":
		return contains(aws, c.ARN)
	default:
		return c.IAMARN != "" && contains(aws, c.IAMARN)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// IsAccountID reports whether s is a 12-digit AWS account id.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// callerAccount returns the caller's account id, from Principal.Account or
// else from its ARN.
func callerAccount(c *Principal) string {
	if c.Account != "" {
		return c.Account
	}
	for _, s := range [...]string{c.ARN, c.IAMARN} {
		if a, ok := ParseARN(s); ok && a.Account != "" {
			return a.Account
		}
	}
	return ""
}

// samePartition reports whether partition is the caller's, when the caller's
// is known.
func samePartition(partition string, c *Principal) bool {
	for _, s := range [...]string{c.ARN, c.IAMARN} {
		if a, ok := ParseARN(s); ok && a.Partition != "" {
			return a.Partition == partition
		}
	}
	return true
}
