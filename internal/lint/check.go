package lint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/iamdiag/iamdiag/internal/catalog"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// Check runs every rule for kind on a parsed document. raw is the text doc
// was parsed from (for positions and the size quota); file names it in the
// findings. Findings come in document order (by line, then rule id).
func Check(doc *policy.Document, raw []byte, kind Kind, file string) []Finding {
	return check(doc, raw, kind, file, newTreeLocator(raw))
}

// checker holds what every rule needs.
type checker struct {
	doc  *policy.Document
	raw  []byte
	kind Kind
	file string
	loc  locator
	out  []Finding
}

func check(doc *policy.Document, raw []byte, kind Kind, file string, loc locator) []Finding {
	if doc == nil {
		return nil
	}
	c := &checker{doc: doc, raw: raw, kind: kind, file: file, loc: loc}
	c.checkVersion()
	c.checkSize()
	c.checkSids()
	for i := range doc.Statements {
		st := &doc.Statements[i]
		c.checkElements(i, st)
		c.checkWildcards(i, st)
		c.checkNotElements(i, st)
		c.checkRunInstances(i, st)
		c.checkPassRole(i, st)
		c.checkARNs(i, st)
		c.checkPublic(i, st)
		c.checkExemption(i, st)
		c.checkBoundary(i, st)
		c.checkOperators(i, st)
		c.checkCatalog(i, st)
	}
	c.checkEscalation()
	sort.SliceStable(c.out, func(a, b int) bool {
		if c.out[a].Line != c.out[b].Line {
			return c.out[a].Line < c.out[b].Line
		}
		return c.out[a].Rule < c.out[b].Rule
	})
	return c.out
}

// finding builds a finding with the rule's reason.
func finding(file string, line, col int, rule string, sev Severity, kind Kind, stmt, msg, fix string) Finding {
	return Finding{File: file, Line: line, Column: col, Rule: rule, Severity: sev, Kind: kind,
		Statement: stmt, Message: msg, Why: ruleByID(rule).Why(), Fix: fix}
}

// add records a finding at (line, col) with the rule's default severity.
func (c *checker) add(line, col int, rule string, st *policy.Statement, msg, fix string) {
	c.addSev(line, col, rule, ruleByID(rule).Severity, st, msg, fix)
}

func (c *checker) addSev(line, col int, rule string, sev Severity, st *policy.Statement, msg, fix string) {
	id := ""
	if st != nil {
		id = st.ID()
	}
	c.out = append(c.out, finding(c.file, line, col, rule, sev, c.kind, id, msg, fix))
}

func hasCondition(st *policy.Statement) bool { return len(st.Conditions) > 0 }

// grants reports whether the policy type's Allow statements grant
// permissions (boundaries, SCPs and RCPs only cap what others grant).
func (c *checker) grants() bool {
	return c.kind == Identity || c.kind == Resource || c.kind == Trust
}

// checkVersion: IAMD016 and IAMD017.
func (c *checker) checkVersion() {
	line, col := c.loc.doc()
	if c.doc.Version == "" {
		c.add(line, col, RuleMissingVersion, nil,
			`the document has no Version element`,
			`Add "Version": "2012-10-17" as the first element.`)
	}
	if c.doc.Version == policy.Version2012 {
		return
	}
	for i := range c.doc.Statements {
		st := &c.doc.Statements[i]
		if v, where := firstVariable(st); v != "" {
			l, cl := c.loc.value(i, where, -1)
			version := c.doc.Version
			if version == "" {
				version = "none, read as " + policy.Version2008
			}
			c.add(l, cl, RuleVariablesVersion, st,
				fmt.Sprintf("%s uses the policy variable %s but the Version is %s: it is matched as literal text", where, v, version),
				`Set "Version": "2012-10-17".`)
			return
		}
	}
}

// firstVariable returns the first "${...}" in a statement's resources or
// condition values, and the element it is in.
func firstVariable(st *policy.Statement) (string, string) {
	find := func(vals []string) string {
		for _, v := range vals {
			if i := strings.Index(v, "${"); i >= 0 {
				if j := strings.IndexByte(v[i:], '}'); j > 0 {
					return v[i : i+j+1]
				}
			}
		}
		return ""
	}
	if v := find(st.Resource); v != "" {
		return v, "Resource"
	}
	if v := find(st.NotResource); v != "" {
		return v, "NotResource"
	}
	for _, cd := range st.Conditions {
		if v := find(cd.Values); v != "" {
			return v, "Condition"
		}
	}
	return "", ""
}

// Size quotas, in characters.
const (
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length:
	// "Managed policy size: 6,144 characters"; inline policies share a
	// per-entity total (user 2,048, role 10,240, group 5,120); role trust
	// policy length 2,048 by default (adjustable). "IAM doesn't count white
	// space when calculating the size of a policy against these quotas."
	managedPolicyMax = 6144
	inlineRoleMax    = 10240
	inlineGroupMax   = 5120
	inlineUserMax    = 2048
	trustPolicyMax   = 2048
	// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html:
	// "Maximum size of a policy document: Service control policies: 5,120
	// characters; Resource control policies: 5,120 characters", and the SCP
	// and RCP syntax pages: "All characters in your SCP count against its
	// maximum size" (white space included:
	// https://repost.aws/knowledge-center/organization-scp-size).
	orgPolicyMax = 5120
)

// checkSize: IAMD018. IAM quotas count characters without white space (the
// length of the minified JSON); Organizations counts every character.
// Resource policies have per-service quotas (S3 20 KB, SQS 8 KB, KMS 32 KB)
// and are not checked.
func (c *checker) checkSize() {
	line, col := c.loc.doc()
	switch c.kind {
	case Identity, Boundary, Trust:
		var b bytes.Buffer
		if err := json.Compact(&b, c.raw); err != nil {
			return
		}
		n := utf8.RuneCount(b.Bytes())
		switch {
		case c.kind == Trust && n > trustPolicyMax:
			c.addSev(line, col, RuleTooLarge, Warning, nil,
				fmt.Sprintf("the trust policy has %d characters without white space; the default quota is %d (it can be raised with Service Quotas)", n, trustPolicyMax),
				"Shorten the trust policy (one statement per principal type, lists instead of repeated statements) or request a higher \"Role trust policy length\" quota.")
		case c.kind != Trust && n > managedPolicyMax:
			c.add(line, col, RuleTooLarge, nil,
				fmt.Sprintf("the policy has %d characters without white space; a managed policy may have %d (inline policies share a per-entity total: role %d, group %d, user %d)", n, managedPolicyMax, inlineRoleMax, inlineGroupMax, inlineUserMax),
				"Split the policy into several managed policies, merge statements with the same Effect and Resource, and use action wildcards such as ec2:Describe* only where they grant nothing more.")
		}
	case SCP, RCP:
		n := utf8.RuneCount(c.raw)
		if n > orgPolicyMax {
			c.add(line, col, RuleTooLarge, nil,
				fmt.Sprintf("the %s has %d characters; Organizations allows %d, white space included", strings.ToUpper(string(c.kind)), n, orgPolicyMax),
				"Remove white space outside strings and Sids, merge statements with the same Effect and Resource, or split it into several policies (up to 5 per target).")
		}
	}
}

// checkSids: IAMD021, at the second and later uses of a Sid.
func (c *checker) checkSids() {
	seen := map[string]int{}
	for i := range c.doc.Statements {
		st := &c.doc.Statements[i]
		if st.Sid == "" {
			continue
		}
		if first, ok := seen[st.Sid]; ok {
			l, cl := c.loc.value(i, "Sid", -1)
			c.add(l, cl, RuleDuplicateSid, st,
				fmt.Sprintf("Sid %q is also the Sid of statement #%d", st.Sid, first),
				"Give every statement its own Sid.")
			continue
		}
		seen[st.Sid] = st.Index
	}
}

// checkElements: IAMD022, elements and effects the policy type does not
// support.
func (c *checker) checkElements(i int, st *policy.Statement) {
	sl, sc := c.loc.stmt(i)
	name := kindName(c.kind)
	switch c.kind {
	case Identity, Boundary, SCP:
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html:
		// "You cannot use the Principal element in an identity-based policy";
		// SCPs do not support Principal or NotPrincipal
		// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html).
		for _, el := range []struct {
			name string
			set  bool
		}{{"Principal", st.Principal != nil}, {"NotPrincipal", st.NotPrincipal != nil}} {
			if el.set {
				l, cl := c.loc.value(i, el.name, -1)
				c.add(l, cl, RuleElementNotAllowed, st,
					fmt.Sprintf("%s has a %s element", name, el.name),
					fmt.Sprintf("Remove %s: the policy applies to whoever it is attached to; scope principals with conditions such as aws:PrincipalArn.", el.name))
			}
		}
	case Resource, Trust:
		if st.Principal == nil && st.NotPrincipal == nil {
			c.add(sl, sc, RuleElementNotAllowed, st,
				fmt.Sprintf("a statement of %s has no Principal", name),
				`Add a Principal naming who the statement applies to, e.g. {"AWS": "arn:aws:iam::123456789012:role/Name"}.`)
		}
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html:
		// NotPrincipal "must be used with "Effect":"Deny"" and cannot be used
		// "in an IAM role trust policy".
		if st.NotPrincipal != nil && (st.Effect == policy.Allow || c.kind == Trust) {
			l, cl := c.loc.value(i, "NotPrincipal", -1)
			c.add(l, cl, RuleElementNotAllowed, st,
				fmt.Sprintf("NotPrincipal with Effect %s in %s", st.Effect, name),
				"Use Principal, and a Deny with the aws:PrincipalArn condition key to exclude principals.")
		}
	case RCP:
		// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html:
		// Allow only in RCPFullAWSAccess; Principal must be "*"; no
		// NotPrincipal.
		if st.Effect == policy.Allow && !isFullAccess(st) {
			l, cl := c.loc.value(i, "Effect", -1)
			c.add(l, cl, RuleElementNotAllowed, st,
				"an RCP statement has Effect Allow; only the AWS-managed RCPFullAWSAccess may allow",
				"Write the RCP as Deny statements with conditions naming what stays allowed.")
		}
		if st.NotPrincipal != nil {
			l, cl := c.loc.value(i, "NotPrincipal", -1)
			c.add(l, cl, RuleElementNotAllowed, st, "an RCP statement has a NotPrincipal element",
				`Use "Principal": "*" with a condition such as aws:PrincipalOrgID.`)
		}
		if st.Principal != nil && !st.Principal.Wildcard {
			l, cl := c.loc.value(i, "Principal", -1)
			c.add(l, cl, RuleElementNotAllowed, st, `an RCP statement's Principal is not "*"`,
				`Use "Principal": "*" and scope with conditions such as aws:PrincipalOrgID or aws:PrincipalArn.`)
		}
		if st.Principal == nil && st.NotPrincipal == nil {
			c.add(sl, sc, RuleElementNotAllowed, st, "an RCP statement has no Principal",
				`Add "Principal": "*".`)
		}
	}
}

// isFullAccess reports whether st is Allow "*" on "*" (FullAWSAccess,
// RCPFullAWSAccess).
func isFullAccess(st *policy.Statement) bool {
	return st.Effect == policy.Allow && len(st.Action) == 1 && st.Action[0] == "*" &&
		len(st.Resource) == 1 && st.Resource[0] == "*" && !hasCondition(st)
}

func kindName(k Kind) string {
	switch k {
	case Identity:
		return "an identity policy"
	case Boundary:
		return "a permissions boundary"
	case SCP:
		return "a service control policy"
	case RCP:
		return "a resource control policy"
	case Resource:
		return "a resource policy"
	default:
		return "a trust policy"
	}
}

// checkWildcards: IAMD002 and IAMD003 on Allow statements of policies that
// grant; a boundary that allows "*" caps nothing (IAMD002 as a warning).
func (c *checker) checkWildcards(i int, st *policy.Statement) {
	if st.Effect != policy.Allow || !(c.grants() || c.kind == Boundary) {
		return
	}
	for j, a := range st.Action {
		l, cl := c.loc.value(i, "Action", j)
		switch {
		case a == "*" || a == "*:*":
			if c.kind == Boundary {
				c.addSev(l, cl, RuleAllowAll, Warning, st,
					fmt.Sprintf("the boundary allows %q: it caps nothing", a),
					"List the services and actions the bounded principals may ever use.")
				continue
			}
			c.add(l, cl, RuleAllowAll, st,
				fmt.Sprintf("Allow %q grants every action of every service%s", a, onResources(st)),
				"List the actions the workload calls (CloudTrail or IAM Access Analyzer policy generation shows them) and the resources it uses.")
		case c.kind != Boundary && isServiceWildcard(a):
			svc := a[:strings.IndexByte(a, ':')]
			c.add(l, cl, RuleServiceWildcard, st,
				fmt.Sprintf("Allow %q grants every %s action%s", a, svc, onResources(st)),
				fmt.Sprintf("Replace %q with the %s actions the workload calls, on the resources it uses.", a, svc))
		}
	}
}

func onResources(st *policy.Statement) string {
	switch {
	case st.NotResource != nil:
		return " on every resource but those listed in NotResource"
	case hasBroad(st.Resource):
		return " on every resource"
	}
	return ""
}

// isServiceWildcard reports whether a is "svc:*".
func isServiceWildcard(a string) bool {
	svc, rest, ok := strings.Cut(a, ":")
	return ok && rest == "*" && svc != "" && !strings.ContainsAny(svc, "*?")
}

// checkNotElements: IAMD008 and IAMD009.
func (c *checker) checkNotElements(i int, st *policy.Statement) {
	if st.Effect != policy.Allow || !c.grants() {
		return
	}
	if st.NotAction != nil {
		l, cl := c.loc.value(i, "NotAction", -1)
		c.add(l, cl, RuleAllowNotAction, st,
			fmt.Sprintf("Allow with NotAction grants every action except %s%s", strings.Join(st.NotAction, ", "), onResources(st)),
			"Use Action with the actions to grant; to exclude actions from a broad grant, add a Deny statement.")
	}
	if st.NotResource != nil {
		l, cl := c.loc.value(i, "NotResource", -1)
		c.add(l, cl, RuleAllowNotResource, st,
			fmt.Sprintf("Allow with NotResource grants every resource except %s", strings.Join(st.NotResource, ", ")),
			"Use Resource with the ARNs to grant; to exclude resources, add a Deny statement.")
	}
}

// broad reports whether a resource pattern covers every resource of some
// resource type of its service: "*", an ARN whose resource part is "*", or
// one that is an ARN template of the service's authorization data with every
// variable replaced by "*" ("arn:aws:iam::*:role/*", "function:*", but not
// "arn:aws:s3:::bucket/*", which is one bucket's objects).
func broad(r string) bool {
	if r == "*" {
		return true
	}
	// The first segment is not checked (arnProblem reports a Resource that
	// is no ARN): read the others as those of an ARN.
	if _, rest, found := strings.Cut(r, ":"); found && !strings.HasPrefix(r, "arn:") {
		r = "arn:" + rest
	}
	a, ok := policy.ParseARN(r)
	if !ok {
		// "arn:aws:s3:*" and the like: the trailing * spans the rest.
		n := strings.Count(r, ":")
		return n >= 2 && r[strings.LastIndexByte(r, ':')+1:] == "*"
	}
	res := a.Resource
	if res == "*" {
		return true
	}
	svc, ok := catalog.LookupService(a.Service)
	if !ok {
		// Unknown or wildcard service: "type/*" with a literal type.
		for _, sep := range []string{"/", ":"} {
			if typ, rest, ok := strings.Cut(res, sep); ok && rest == "*" && !strings.ContainsAny(typ, "*?") {
				return true
			}
		}
		return false
	}
	for _, rt := range svc.ResourceTypes {
		for _, tmpl := range rt.ARNs {
			if t, ok := policy.ParseARN(tmpl); ok && wildTemplate(t.Resource) == res {
				return true
			}
		}
	}
	return false
}

// wildTemplate replaces every ${Variable} of an ARN template with "*".
func wildTemplate(t string) string {
	var b strings.Builder
	for {
		i := strings.Index(t, "${")
		if i < 0 {
			b.WriteString(t)
			return b.String()
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			b.WriteString(t)
			return b.String()
		}
		b.WriteString(t[:i])
		b.WriteByte('*')
		t = t[i+j+1:]
	}
}

func hasBroad(rs []string) bool {
	for _, r := range rs {
		if broad(r) {
			return true
		}
	}
	return false
}

// matchesSpecific returns the Action pattern of st that matches action,
// ignoring "*" (IAMD002 reports that one). It asks which pattern, not
// whether the statement covers action (Statement.CoversAction), because
// the finding points at that pattern.
func matchesSpecific(st *policy.Statement, action string) (pattern string, ok bool) {
	for _, p := range st.Action {
		if p != "*" && p != "*:*" && policy.MatchAction(p, action) {
			return p, true
		}
	}
	return "", false
}

// checkRunInstances: IAMD004, the write-up's rule, for identity policies:
// "Never grant ec2:RunInstances on Resource: * without conditions."
func (c *checker) checkRunInstances(i int, st *policy.Statement) {
	if c.kind != Identity || st.Effect != policy.Allow || hasCondition(st) {
		return
	}
	p, ok := matchesSpecific(st, "ec2:RunInstances")
	if !ok || !(hasBroad(st.Resource) || st.NotResource != nil) {
		return
	}
	j := indexOf(st.Action, p)
	l, cl := c.loc.value(i, "Action", j)
	c.add(l, cl, RuleRunInstances, st,
		fmt.Sprintf("%q allows ec2:RunInstances on every resource without a condition", p),
		"Name the instance, subnet, security-group, network-interface, volume and image ARNs the launch uses, and add conditions "+
			`such as "StringEquals": {"aws:RequestedRegion": "us-east-1", "ec2:InstanceType": ["t3.medium"]} and an ec2:Vpc ArnLike/StringLike condition.`)
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// checkPassRole: IAMD005 and IAMD006 for identity policies.
func (c *checker) checkPassRole(i int, st *policy.Statement) {
	if c.kind != Identity || st.Effect != policy.Allow {
		return
	}
	p, ok := matchesSpecific(st, "iam:PassRole")
	if !ok {
		return
	}
	l, cl := c.loc.value(i, "Action", indexOf(st.Action, p))
	service := conditionOn(st, "iam:PassedToService")
	if hasBroad(st.Resource) || st.NotResource != nil {
		msg := fmt.Sprintf("%q allows iam:PassRole on every role", p)
		if !service {
			msg += ", to any service"
		}
		c.add(l, cl, RulePassRoleAny, st, msg,
			`Name the roles the workload passes ("arn:aws:iam::ACCOUNT:role/NAME") and add "StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"} for the service that receives them.`)
		return
	}
	if !service {
		c.add(l, cl, RulePassRoleNoService, st,
			fmt.Sprintf("%q allows passing %s to any service", p, strings.Join(st.Resource, ", ")),
			`Add "StringEquals": {"iam:PassedToService": "SERVICE.amazonaws.com"} naming the service that receives the role.`)
	}
}

// conditionOn reports whether a statement has a condition on key
// (case-insensitive, as condition key names are).
func conditionOn(st *policy.Statement, key string) bool {
	for _, cd := range st.Conditions {
		if strings.EqualFold(cd.Key, key) {
			return true
		}
	}
	return false
}

// checkARNs: IAMD015.
func (c *checker) checkARNs(i int, st *policy.Statement) {
	for _, el := range []struct {
		name string
		vals []string
	}{{"Resource", st.Resource}, {"NotResource", st.NotResource}} {
		for j, r := range el.vals {
			if msg := arnProblem(r); msg != "" {
				l, cl := c.loc.value(i, el.name, j)
				c.add(l, cl, RuleInvalidARN, st, fmt.Sprintf("%s %q %s", el.name, r, msg),
					`Write "*" or a full ARN: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, e.g. "arn:aws:s3:::bucket/*" or "arn:aws:ec2:us-east-1:123456789012:instance/*".`)
			}
		}
	}
	for _, p := range principalValues(st.Principal, "AWS") {
		if msg := awsPrincipalProblem(p); msg != "" {
			l, cl := c.loc.value(i, "Principal", -1)
			c.add(l, cl, RuleInvalidARN, st, fmt.Sprintf("AWS principal %q %s", p, msg),
				`Write an account id ("123456789012"), an account root ARN, or a role/user ARN ("arn:aws:iam::123456789012:role/Name").`)
		}
	}
}

func principalValues(p *policy.Principals, typ string) []string {
	if p == nil {
		return nil
	}
	return p.Values[typ]
}

// partitions are AWS's partitions (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
var partitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}

// arnProblem says what is wrong with a Resource entry, "" when nothing is.
func arnProblem(r string) string {
	if r == "*" {
		return ""
	}
	if !strings.HasPrefix(r, "arn:") {
		return `is neither "*" nor an ARN (it must start with "arn:")`
	}
	a, ok := policy.ParseARN(r)
	if !ok {
		// A trailing * may span the remaining segments
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
		if strings.HasSuffix(r, "*") {
			return ""
		}
		return fmt.Sprintf("has %d colon-separated segments; an ARN has 6 (arn:partition:service:region:account:resource)", strings.Count(r, ":")+1)
	}
	part, svc, account, res := a.Partition, a.Service, a.Account, a.Resource
	if !wild(part) && !contains(partitions, part) {
		return fmt.Sprintf("has the unknown partition %q (want one of %s)", part, strings.Join(partitions, ", "))
	}
	if svc == "" {
		return "has no service segment"
	}
	if !wild(svc) && strings.ToLower(svc) != svc {
		return fmt.Sprintf("has the service %q in capitals; service prefixes are lower case", svc)
	}
	if account != "" && !wild(account) && account != "aws" && !allDigits(account) {
		return fmt.Sprintf("has the account %q; an account id is 12 digits", account)
	}
	if account != "" && allDigits(account) && len(account) != 12 {
		return fmt.Sprintf("has the account %q; an account id is 12 digits", account)
	}
	if res == "" {
		return "has an empty resource segment"
	}
	return ""
}

// awsPrincipalProblem says what is wrong with an AWS principal value.
func awsPrincipalProblem(p string) string {
	switch {
	case p == "*", allDigits(p) && len(p) == 12:
		return ""
	case allDigits(p):
		return "is not 12 digits"
	case strings.HasPrefix(p, "arn:"):
		if msg := arnProblem(p); msg != "" {
			return msg
		}
		if strings.ContainsAny(p, "*?") {
			// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html:
			// "You cannot use a wildcard to match part of a principal name or ARN."
			return "has a wildcard; the Principal element does not match wildcards (use the aws:PrincipalArn condition key with ArnLike)"
		}
		return ""
	}
	return `is neither "*", an account id nor an ARN`
}

func wild(s string) bool { return strings.ContainsAny(s, "*?") || strings.Contains(s, "${") }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkPublic: IAMD019.
func (c *checker) checkPublic(i int, st *policy.Statement) {
	if (c.kind != Resource && c.kind != Trust) || st.Effect != policy.Allow || st.Principal == nil || hasCondition(st) {
		return
	}
	if !st.Principal.Wildcard && !contains(st.Principal.Values["AWS"], "*") {
		return
	}
	l, cl := c.loc.value(i, "Principal", -1)
	who := "everyone, including anonymous callers,"
	if c.kind == Trust {
		who = "every AWS principal in every account"
	}
	c.add(l, cl, RulePublicPrincipal, st,
		fmt.Sprintf("Principal \"*\" without a condition allows %s", who),
		`Name the principals, or add a condition such as "StringEquals": {"aws:PrincipalOrgID": "o-xxxxxxxxxx"} or aws:SourceAccount / aws:SourceArn for a service.`)
}

// checkExemption: IAMD020 for SCP Deny statements without any condition on
// the principal.
func (c *checker) checkExemption(i int, st *policy.Statement) {
	if c.kind != SCP || st.Effect != policy.Deny {
		return
	}
	for _, cd := range st.Conditions {
		k := strings.ToLower(cd.Key)
		if strings.HasPrefix(k, "aws:principal") || k == "aws:userid" || k == "aws:username" {
			return
		}
	}
	sl, sc := c.loc.stmt(i)
	c.add(sl, sc, RuleDenyNoExemption, st,
		"the Deny applies to every principal, with no exemption for a break-glass or automation role",
		`If a role must stay able to act (break-glass, deployment), add "Condition": {"ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/BreakGlass"]}}.`)
}

// boundaryActions are the actions that change a permissions boundary.
var boundaryActions = []string{
	"iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary",
	"iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary",
}

// checkBoundary: IAMD023.
func (c *checker) checkBoundary(i int, st *policy.Statement) {
	if c.kind != Boundary || st.Effect != policy.Allow || hasCondition(st) || contains(st.Action, "*") {
		return // "*" is IAMD002's
	}
	for _, a := range boundaryActions {
		if st.CoversAction(a) && (hasBroad(st.Resource) || st.NotResource != nil) {
			sl, sc := c.loc.stmt(i)
			c.add(sl, sc, RuleBoundarySelfRemove, st,
				fmt.Sprintf("the boundary allows %s on every resource", a),
				`Add a Deny for iam:DeleteRolePermissionsBoundary, iam:PutRolePermissionsBoundary (and the User forms) on the bounded principals, or allow them only with "Condition": {"StringEquals": {"iam:PermissionsBoundary": "BOUNDARY-ARN"}}.`)
			return
		}
	}
}
