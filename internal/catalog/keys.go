package catalog

import (
	"strings"
)

// ConditionKeyKnown reports whether key is a global condition key or a key
// some service defines. Condition key names are case-insensitive:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
// A templated key matches any value for its variable: aws:RequestTag/Env
// matches aws:RequestTag/${TagKey}, s3:ExistingObjectTag/team matches
// s3:ExistingObjectTag/<key>.
//
// Beyond the reference's list, a claim key of any OIDC identity provider
// (provider URL, colon, one of aud, sub, amr, azp, email, oaud, as in
// token.actions.githubusercontent.com:sub) is known: IAM names those keys
// after the provider, so no list can hold them all.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
func ConditionKeyKnown(key string) bool {
	_, ok := load().lookupKey(key)
	return ok
}

// KeyType returns the type of a known condition key: String, ARN, Bool,
// Date, IPAddress, Numeric, Binary, or one of those prefixed with ArrayOf
// (ArrayOfString, ArrayOfARN, ...). A key that several services list takes
// its type from the global list, else from the service whose prefix it has.
func KeyType(key string) (string, bool) {
	k, ok := load().lookupKey(key)
	if !ok {
		return "", false
	}
	return k.Type, true
}

// ActionSetsKey reports whether a request for action can carry the condition
// key: key is a global key, or the action lists it for itself, for one of its
// resource types, or its resource types list it. action may hold wildcards;
// then any matching action counts. An unknown action sets no key.
//
// The tag keys aws:RequestTag/*, aws:ResourceTag/* and aws:TagKeys are global
// keys that AWS includes only where a service supports tag-based
// authorization, so for them the action's own data decides.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
func ActionSetsKey(action, key string) bool {
	c := load()
	lk := asciiLower(key)
	if !isTagKey(lk) {
		if _, ok := c.global.lookup(lk); ok {
			return true
		}
	}
	if strings.ContainsAny(action, "*?") {
		for _, a := range Expand(action) {
			if c.actionSets(a, lk) {
				return true
			}
		}
		return false
	}
	a, ok := Lookup(action)
	if !ok {
		return false
	}
	if _, isOIDC := oidcKey(lk); isOIDC && a.Service.Prefix == "sts" && a.Name == "AssumeRoleWithWebIdentity" {
		return true
	}
	return c.actionSets(a, lk)
}

// oidcClaim stands for every OIDC provider claim key.
var oidcClaim = &ConditionKey{Name: "${ProviderURL}:${Claim}", Type: "String"}

// oidcKey reports whether the lower-case lk is an OIDC provider's claim key:
// a host name (with an optional path) and one of the claims IAM passes on.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
func oidcKey(lk string) (*ConditionKey, bool) {
	i := strings.LastIndexByte(lk, ':')
	if i <= 0 {
		return nil, false
	}
	host, _, _ := strings.Cut(lk[:i], "/")
	if !strings.Contains(host, ".") || strings.ContainsAny(host, " *?$") {
		return nil, false
	}
	switch lk[i+1:] {
	case "aud", "sub", "amr", "azp", "email", "oaud":
		return oidcClaim, true
	}
	return nil, false
}

// lookupKey finds a condition key in the catalog or as an OIDC claim key.
func (c *catalog) lookupKey(key string) (*ConditionKey, bool) {
	if k, ok := c.keys.lookup(key); ok {
		return k, true
	}
	return oidcKey(asciiLower(key))
}

func isTagKey(lk string) bool {
	return lk == "aws:tagkeys" || strings.HasPrefix(lk, "aws:requesttag/") || strings.HasPrefix(lk, "aws:resourcetag/")
}

// actionSets reports whether a's data lists the lower-case key lk.
func (c *catalog) actionSets(a *Action, lk string) bool {
	if c.keys.listed(a.ConditionKeys, lk) {
		return true
	}
	for _, r := range a.Resources {
		if c.keys.listed(r.ConditionKeys, lk) || c.keys.listed(r.Type.ConditionKeys, lk) {
			return true
		}
	}
	return false
}

// keyIndex finds condition keys by name, exact or through a template.
type keyIndex struct {
	// exact maps lower-case names, templates included, to keys; the first
	// key added under a name wins.
	exact map[string]*ConditionKey
	// templates maps a templated key's lower-case name to its pattern.
	templates map[string]*keyPattern
	// byPrefix holds the templates whose service prefix (before the first
	// colon) is literal, under that prefix; other holds the rest, such as
	// agent.${Domain}.buildkite.dev:pipeline_slug.
	byPrefix map[string][]*keyPattern
	other    []*keyPattern
}

// keyPattern is a templated key split at its variables: parts[0], a
// variable, parts[1], ... Each variable stands for at least one character.
type keyPattern struct {
	key   *ConditionKey
	parts []string
}

func newKeyIndex(n int) *keyIndex {
	return &keyIndex{
		exact:     make(map[string]*ConditionKey, n),
		templates: map[string]*keyPattern{},
		byPrefix:  map[string][]*keyPattern{},
	}
}

func (x *keyIndex) add(k *ConditionKey) {
	lk := asciiLower(k.Name)
	if _, dup := x.exact[lk]; dup {
		return
	}
	x.exact[lk] = k
	parts := splitTemplate(lk)
	if parts == nil {
		return
	}
	p := &keyPattern{key: k, parts: parts}
	x.templates[lk] = p
	if prefix, _, ok := strings.Cut(parts[0], ":"); ok {
		x.byPrefix[prefix] = append(x.byPrefix[prefix], p)
	} else {
		x.other = append(x.other, p)
	}
}

func (x *keyIndex) lookup(key string) (*ConditionKey, bool) {
	if k, ok := lookupFold(x.exact, key); ok {
		return k, true
	}
	lk := asciiLower(key)
	prefix, _, _ := strings.Cut(lk, ":")
	for _, p := range x.byPrefix[prefix] {
		if p.match(lk) {
			return p.key, true
		}
	}
	for _, p := range x.other {
		if p.match(lk) {
			return p.key, true
		}
	}
	return nil, false
}

// listed reports whether the lower-case key lk is one of names or matches a
// templated one.
func (x *keyIndex) listed(names []string, lk string) bool {
	for _, n := range names {
		if equalFoldASCII(n, lk) {
			return true
		}
		if p, ok := lookupFold(x.templates, n); ok && p.match(lk) {
			return true
		}
	}
	return false
}

// splitTemplate splits a lower-case key name at its variables, or returns
// nil for a plain key. The reference writes variables as ${TagKey} or <key>,
// and in a few keys as a trailing "tag-key" segment
// (secretsmanager:ResourceTag/tag-key) or a bare trailing slash
// (glacier:ResourceTag/).
func splitTemplate(lk string) []string {
	var parts []string
	rest := lk
	for {
		i := strings.IndexAny(rest, "$<")
		if i < 0 {
			break
		}
		closer := byte('>')
		open := 1
		if rest[i] == '$' {
			if !strings.HasPrefix(rest[i:], "${") {
				break
			}
			closer, open = '}', 2
		}
		j := strings.IndexByte(rest[i+open:], closer)
		if j < 0 {
			break
		}
		parts = append(parts, rest[:i])
		rest = rest[i+open+j+1:]
	}
	if parts == nil {
		switch {
		case strings.HasSuffix(rest, "/tag-key"):
			return []string{strings.TrimSuffix(rest, "tag-key"), ""}
		case strings.HasSuffix(rest, "/"):
			return []string{rest, ""}
		}
		return nil
	}
	return append(parts, rest)
}

// match reports whether s fits the pattern; key patterns and keys are both
// lower-cased by their callers.
func (p *keyPattern) match(s string) bool {
	first, last := p.parts[0], p.parts[len(p.parts)-1]
	if !strings.HasPrefix(s, first) {
		return false
	}
	rest := s[len(first):]
	for _, mid := range p.parts[1 : len(p.parts)-1] {
		// The variable before mid takes at least one character; the
		// leftmost occurrence after that leaves the most for the rest.
		if rest == "" {
			return false
		}
		i := strings.Index(rest[1:], mid)
		if i < 0 {
			return false
		}
		rest = rest[1+i+len(mid):]
	}
	return len(rest) > len(last) && strings.HasSuffix(rest, last)
}

// equalFoldASCII compares a, in any case, with the lower-case b.
func equalFoldASCII(a, lb string) bool {
	if len(a) != len(lb) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lb[i] {
			return false
		}
	}
	return true
}
