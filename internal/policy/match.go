package policy

import (
	"strings"
	"unsafe"
)

// This file matches the Action/NotAction and Resource/NotResource elements.
//
// Action names are matched case-insensitively with the wildcards * (any run of
// characters) and ? (one character)
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html:
// "action names are not case sensitive").
//
// Resource ARNs are matched case-sensitively, segment by segment
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html): an
// ARN is arn:partition:service:region:account-id:resource, split on its first
// five colons, so that the resource part may itself hold colons and slashes.
// Wildcards "can be used within the individual segments of an ARN (the parts
// separated by colons)": in the first five segments they do not cross a colon;
// in the resource part they match anything, colons and slashes included. The
// same page says "If the * wildcard is the last character of a resource ARN
// segment, it can expand to match beyond the colon boundaries": a pattern with
// fewer than six segments whose last segment ends in * (e.g. "arn:aws:s3:*")
// matches every ARN whose leading segments match. A pattern that is neither
// "*" nor an ARN matches nothing (IAM rejects such a pattern when a policy is
// saved; Evaluate records it as an evaluation error).

// MatchAction reports whether the action pattern of a policy (e.g. "s3:Get*",
// "ec2:*", "*") matches the action of a request (e.g. "s3:GetObject"). Matching
// is case-insensitive; * matches any run of characters and ? exactly one.
func MatchAction(pattern, action string) bool {
	return matchActionPattern(pattern, hasWildcard(pattern), action)
}

// MatchARN reports whether the resource pattern of a policy matches the ARN of
// a request. "*" matches anything; any other pattern must be an ARN and is
// matched segment by segment, case-sensitively, as described at
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html.
// Policy variables are not expanded: use Evaluate for that.
func MatchARN(pattern, arn string) bool {
	p := compileResource(pattern, false)
	a := splitARN(arn)
	return p.match(&a)
}

func matchActionPattern(pattern string, wild bool, action string) bool {
	if pattern == "*" {
		return true
	}
	if !wild {
		return strings.EqualFold(pattern, action)
	}
	return wildcardMatch(pattern, action, true)
}

// match is matchActionPattern with the pattern's precomputed lower-case
// literal prefix: most patterns name another service or action, and a
// length or prefix check rejects them without folding the whole name.
// ascii says whether action is ASCII (the caller computes it once).
func (a *actionPattern) match(action string, ascii bool) bool {
	if a.lower != "" {
		if !a.wild {
			if len(action) != len(a.lower) {
				// Lengths differ: under simple folding an ASCII pattern
				// can only equal a value of its own length, unless the
				// value holds a non-ASCII rune that folds to ASCII
				// (the Kelvin sign folds to k).
				if ascii {
					return false
				}
				return strings.EqualFold(a.raw, action)
			}
		}
		if n := len(a.prefix); n > 0 {
			if len(action) < n && ascii {
				return false
			}
			if len(action) >= n {
				switch equalLowerPrefix(a.prefix, action) {
				case foldDiffer:
					return false
				case foldEqual:
					if !a.wild {
						return true
					}
				}
			}
		}
	}
	return matchActionPattern(a.raw, a.wild, action)
}

// Results of equalLowerPrefix.
const (
	foldDiffer  = iota // the prefix differs
	foldEqual          // the prefix matches
	foldUnknown        // a non-ASCII byte: compare the slow way
)

// equalLowerPrefix compares lower, lower-case ASCII, with the first
// len(lower) bytes of s under ASCII case folding.
func equalLowerPrefix(lower, s string) int {
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if c >= 0x80 {
			return foldUnknown
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return foldDiffer
		}
	}
	return foldEqual
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func hasWildcard(s string) bool {
	return strings.ContainsAny(s, "*?")
}

// arnParts is a request's resource ARN split into its six segments, the
// first being "arn", for the segment-by-segment matching of resource
// patterns. ok is false when the string is not an ARN (see ParseARN).
type arnParts struct {
	seg [6]string
	ok  bool
}

func splitARN(s string) (parts arnParts) {
	if !splitARNFields(s, (*[5]string)(parts.seg[1:])) {
		return arnParts{}
	}
	parts.seg[0], parts.ok = s[:3], true
	return parts
}

// Kinds of resource pattern.
const (
	patInvalid uint8 = iota // neither "*" nor an ARN: matches nothing
	patStar                 // "*"
	patARN                  // an ARN, possibly with wildcards
	patVars                 // an ARN whose resource part holds policy variables: expanded per request
)

// resourcePattern is one entry of a Resource or NotResource element, split
// once at parse time.
type resourcePattern struct {
	raw  string
	kind uint8
	// n is the number of segments of the pattern: 6, or fewer for a pattern
	// whose last segment ends in * and so spans the rest of the ARN.
	n   uint8
	seg [6]string
	// wild has bit i set when seg[i] holds a wildcard.
	wild uint8
}

// compileResource classifies and splits a resource pattern. vars says that
// policy variables apply (Version 2012-10-17): a pattern whose resource part
// holds "${" is then expanded for each request before matching. Only the
// resource part is: "You can use a policy variable in the Resource element,
// but only in the resource portion of the ARN. This portion of the ARN
// appears after the fifth colon (:). You can't use a variable to replace
// parts of the ARN before the fifth colon, such as the service or account"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-resourceelement).
// The first five colons are counted in the text as written, so "${" before
// the fifth colon (a variable name holds a colon itself) is literal text.
func compileResource(raw string, vars bool) resourcePattern {
	p := resourcePattern{raw: raw}
	if raw == "*" {
		p.kind = patStar
		return p
	}
	rest := raw
	n := 0
	for n < 5 {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			break
		}
		p.seg[n] = rest[:j]
		rest = rest[j+1:]
		n++
	}
	p.seg[n] = rest
	n++
	if p.seg[0] != "arn" {
		return resourcePattern{raw: raw, kind: patInvalid}
	}
	if n < 6 && !endsWithStar(p.seg[n-1]) {
		// A truncated pattern only makes sense when its last * spans the
		// rest of the ARN.
		return resourcePattern{raw: raw, kind: patInvalid}
	}
	p.n = uint8(n)
	for i := 0; i < n; i++ {
		if hasWildcard(p.seg[i]) || strings.IndexByte(p.seg[i], patEscape) >= 0 {
			p.wild |= 1 << i
		}
	}
	p.kind = patARN
	if vars && n == 6 && strings.Contains(p.seg[5], "${") {
		p.kind = patVars
	}
	return p
}

// endsWithStar reports whether s ends with a wildcard '*', not one made
// literal by patEscape.
func endsWithStar(s string) bool {
	if !strings.HasSuffix(s, "*") {
		return false
	}
	n := 0
	for i := len(s) - 2; i >= 0 && s[i] == patEscape; i-- {
		n++
	}
	return n%2 == 0
}

// match reports whether the pattern matches the request resource, already
// split into arn (a zero arnParts for "*" or a string that is not an ARN).
// A patVars pattern must have its resource part expanded first (see
// matchResource); here it matches nothing.
func (p *resourcePattern) match(arn *arnParts) bool {
	switch p.kind {
	case patStar:
		return true
	case patARN:
		return p.matchSegments(arn, int(p.n)) &&
			(p.n < 6 || p.matchSegment(5, p.seg[5], arn.seg[5]))
	default:
		return false
	}
}

// matchSegments matches the first n (at most five) segments of the pattern
// against arn; n is 5 for a pattern of six segments.
func (p *resourcePattern) matchSegments(arn *arnParts, n int) bool {
	if !arn.ok {
		return false
	}
	n = min(n, 5)
	for i := 0; i < n; i++ {
		if !p.matchSegment(i, p.seg[i], arn.seg[i]) {
			return false
		}
	}
	return true
}

// matchSegment matches pattern segment i, seg, against the value v.
func (p *resourcePattern) matchSegment(i int, seg, v string) bool {
	if p.wild&(1<<i) == 0 {
		return seg == v
	}
	return wildcardMatch(seg, v, false)
}

// matchResource matches one pattern against the request, expanding the
// policy variables of its resource part when it holds any.
func matchResource(p *resourcePattern, req *Request, arn *arnParts) bool {
	if p.kind != patVars {
		return p.match(arn)
	}
	if !p.matchSegments(arn, 5) {
		return false
	}
	// expandPattern escapes what the substitution produced, so that ${*}
	// or a tag value holding '*' matches literally (see variables.go).
	expanded, ok := expandPattern(p.seg[5], req)
	if !ok {
		// "If a variable that has no value in the authorization context
		// is used as part of the Resource or NotResource element of a
		// policy, the resource that includes a policy variable with no
		// value will not match any resource"
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value).
		return false
	}
	return wildcardMatch(expanded, arn.seg[5], false)
}

// actionPattern is one entry of an Action or NotAction element.
type actionPattern struct {
	raw  string
	wild bool
	// lower is raw in lower case when raw is ASCII, else "". prefix is
	// its literal part before the first wildcard (all of it when there
	// is none).
	lower, prefix string
}

// actionIndexMin is the number of patterns from which Parse indexes an
// Action or NotAction element (AWS managed policies list thousands).
const actionIndexMin = 16

// maxIndexedAction is the longest action looked up in an index; longer
// ones are matched pattern by pattern.
const maxIndexedAction = 256

// actionIndex finds the patterns of a long Action or NotAction list that
// can match an action without trying each: exact patterns by their
// lower-case text, wildcard patterns by their literal service prefix.
// Only ASCII actions are looked up (under simple case folding a non-ASCII
// rune may fold to ASCII); the others are matched pattern by pattern.
type actionIndex struct {
	// exact holds the ASCII patterns without wildcards, in lower case.
	exact map[string]struct{}
	// service maps the lower-case service of an ASCII pattern whose
	// "service:" part holds no wildcard to the indexes of such patterns
	// with wildcards.
	service map[string][]int32
	// rest are the other patterns ("*", "s3*", "?3:Get*", non-ASCII).
	rest []int32
}

func newActionIndex(list []actionPattern) *actionIndex {
	idx := &actionIndex{exact: map[string]struct{}{}, service: map[string][]int32{}}
	for i := range list {
		a := &list[i]
		colon := strings.IndexByte(a.lower, ':')
		switch {
		case a.lower != "" && !a.wild:
			idx.exact[a.lower] = struct{}{}
		case a.lower != "" && colon >= 0 && colon < len(a.prefix):
			svc := a.lower[:colon]
			idx.service[svc] = append(idx.service[svc], int32(i))
		default:
			idx.rest = append(idx.rest, int32(i))
		}
	}
	return idx
}

// matchActions reports whether some pattern of list matches the action,
// using idx when there is one.
func matchActions(list []actionPattern, idx *actionIndex, a *preparedAction) bool {
	action := a.raw
	if idx == nil || !a.indexed {
		for i := range list {
			if list[i].match(action, a.ascii) {
				return true
			}
		}
		return false
	}
	if _, ok := idx.exact[string(a.lower[:a.n])]; ok {
		return true
	}
	if a.colon >= 0 {
		for _, k := range idx.service[string(a.lower[:a.colon])] {
			if list[k].match(action, true) {
				return true
			}
		}
	}
	for _, k := range idx.rest {
		if list[k].match(action, true) {
			return true
		}
	}
	return false
}

func newActionPattern(raw string) actionPattern {
	a := actionPattern{raw: raw, wild: hasWildcard(raw)}
	if raw == "*" || !isASCII(raw) {
		return a
	}
	a.lower = strings.ToLower(raw)
	a.prefix = a.lower
	if i := strings.IndexAny(a.lower, "*?"); i >= 0 {
		a.prefix = a.lower[:i]
	}
	return a
}

// Shape bits of compiledStatement.shape: the element was written as a list.
const (
	shapeActionList uint8 = 1 << iota
	shapeNotActionList
	shapeResourceList
	shapeNotResourceList
)

// compiledStatement is what Parse precomputes for one statement: the
// author's shapes for marshalling, and split patterns for matching. The
// matchers are trusted only while the statement's patterns and the
// document's version are those they were compiled from (see matchers).
type compiledStatement struct {
	version string
	shape   uint8
	// principalList and notPrincipalList have one bit per principal type
	// (see principalTypeBit) written as a list.
	principalList    uint8
	notPrincipalList uint8

	actions    []actionPattern
	notActions []actionPattern
	// srcActions and srcNotActions are the slices the patterns were
	// compiled from (see fresh).
	srcActions, srcNotActions []string
	// actionIdx and notActionIdx index long lists (see actionIndex);
	// nil for short lists and for statements compiled on the fly.
	actionIdx, notActionIdx *actionIndex
	resources               []resourcePattern
	notResources            []resourcePattern
	// invalid is true when some Resource/NotResource pattern is neither "*"
	// nor an ARN; vars when some pattern holds policy variables (patVars).
	invalid, vars bool
	// conds are the statement's compiled conditions, one per condition;
	// nil for statements compiled on the fly (see conditionMatcher).
	conds []compiledCondition
}

// compileMatchers fills the matching part of c from st.
func (c *compiledStatement) compileMatchers(st *Statement, version string) {
	c.version = version
	vars := version == Version2012
	c.actions = compileActions(st.Action)
	c.notActions = compileActions(st.NotAction)
	c.srcActions, c.srcNotActions = st.Action, st.NotAction
	c.invalid, c.vars = false, false
	c.resources = c.compileResources(st.Resource, vars)
	c.notResources = c.compileResources(st.NotResource, vars)
}

func compileActions(list []string) []actionPattern {
	if list == nil {
		return nil
	}
	out := make([]actionPattern, len(list))
	for i, a := range list {
		out[i] = newActionPattern(a)
	}
	return out
}

func (c *compiledStatement) compileResources(list []string, vars bool) []resourcePattern {
	if list == nil {
		return nil
	}
	out := make([]resourcePattern, len(list))
	for i, r := range list {
		out[i] = compileResource(r, vars)
		switch out[i].kind {
		case patInvalid:
			c.invalid = true
		case patVars:
			c.vars = true
		}
	}
	return out
}

// fresh reports whether c was compiled from st's current patterns under
// version; a statement edited after Parse (e.g. by a fix generator) is then
// recompiled on the fly rather than matched against stale data. An edit is
// a new slice assigned to Action, NotAction, Resource or NotResource, or an
// element changed in place. In an Action or NotAction list of freshListMax
// entries or more only its first and last elements are compared with what
// was compiled (with the slice's array and length): checking every pattern
// of a managed policy's thousand-action list on each evaluation would cost
// more than matching it; edit such lists by assigning a new slice.
func (c *compiledStatement) fresh(st *Statement, version string) bool {
	if !sameString(c.version, version) ||
		len(c.actions) != len(st.Action) || len(c.notActions) != len(st.NotAction) ||
		len(c.resources) != len(st.Resource) || len(c.notResources) != len(st.NotResource) ||
		(c.actions == nil) != (st.Action == nil) || (c.notActions == nil) != (st.NotAction == nil) ||
		(c.resources == nil) != (st.Resource == nil) || (c.notResources == nil) != (st.NotResource == nil) {
		return false
	}
	return freshActions(c.actions, c.srcActions, st.Action) && freshActions(c.notActions, c.srcNotActions, st.NotAction) &&
		freshResources(c.resources, st.Resource) && freshResources(c.notResources, st.NotResource)
}

// freshListMax is the length from which fresh compares an action list by
// its array and its ends only.
const freshListMax = 16

// freshActions reports whether compiled patterns still match list; src is
// the slice they were compiled from.
func freshActions(compiled []actionPattern, src, list []string) bool {
	n := len(compiled)
	if n >= freshListMax {
		return unsafe.SliceData(src) == unsafe.SliceData(list) &&
			sameString(compiled[0].raw, list[0]) && sameString(compiled[n-1].raw, list[n-1])
	}
	for i := range compiled {
		if !sameString(compiled[i].raw, list[i]) {
			return false
		}
	}
	return true
}

func freshResources(compiled []resourcePattern, list []string) bool {
	for i := range compiled {
		if !sameString(compiled[i].raw, list[i]) {
			return false
		}
	}
	return true
}

// sameString is a == b, answered without a call when both share their
// bytes, as the patterns Parse compiled share them with the statement.
func sameString(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || unsafe.StringData(a) == unsafe.StringData(b) {
		return true
	}
	return a == b
}

// matchers returns the statement's compiled patterns for version, compiling
// them when the statement was built in Go or edited since Parse.
func (st *Statement) matchers(version string) *compiledStatement {
	if c := st.compiled; c != nil && c.fresh(st, version) {
		return c
	}
	c := &compiledStatement{}
	c.compileMatchers(st, version)
	return c
}

// index builds the action indexes of long lists; Parse calls it once, so
// that statements compiled on the fly for one evaluation do not pay for
// it.
func (c *compiledStatement) index() {
	c.actionIdx, c.notActionIdx = nil, nil
	if len(c.actions) >= actionIndexMin {
		c.actionIdx = newActionIndex(c.actions)
	}
	if len(c.notActions) >= actionIndexMin {
		c.notActionIdx = newActionIndex(c.notActions)
	}
}

// CoversAction reports whether the statement applies to action as far as
// its action part goes: some pattern of its Action element matches action,
// or, for a NotAction statement, none of its NotAction patterns does.
// Action names match case-insensitively, with * for any run of characters
// and ? for one (see MatchAction). It is the test Evaluate applies, on the
// patterns Parse compiled. Parse rejects a statement with both elements or
// with neither; for such a statement built in Go, Action wins over
// NotAction, and a statement with neither covers every action, as Evaluate
// reads it.
func (st *Statement) CoversAction(action string) bool {
	var a preparedAction
	a.prepare(action)
	if c := st.compiled; c != nil && c.fresh(st, c.version) {
		return c.actionMatched(&a)
	}
	c := compiledStatement{actions: compileActions(st.Action), notActions: compileActions(st.NotAction)}
	return c.actionMatched(&a)
}

// actionMatched reports whether the statement's Action matches (or its
// NotAction does not); the engine calls it with the request's action
// prepared once, and CoversAction with any action.
func (c *compiledStatement) actionMatched(action *preparedAction) bool {
	if c.actions != nil {
		return matchActions(c.actions, c.actionIdx, action)
	}
	return !matchActions(c.notActions, c.notActionIdx, action)
}

// resourceMatched reports whether the statement's Resource matches (or its
// NotResource does not). A statement with neither matches: only a role trust
// policy omits both, and it applies to the role it is attached to (Evaluate
// rejects the omission for the other kinds of policy).
func (c *compiledStatement) resourceMatched(req *Request, arn *arnParts) bool {
	if c.resources != nil {
		for i := range c.resources {
			if matchResource(&c.resources[i], req, arn) {
				return true
			}
		}
		return false
	}
	for i := range c.notResources {
		if matchResource(&c.notResources[i], req, arn) {
			return false
		}
	}
	return true
}
