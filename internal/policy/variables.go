package policy

// Policy variables, request-context lookup and wildcard patterns.
//
// Pattern and escaping convention (shared with match.go):
//
// A pattern is policy text in which '*' matches any run of characters,
// including none, and '?' matches exactly one character (one UTF-8 encoded
// rune; one byte where the value is not valid UTF-8). Every other character
// matches itself. The byte 0xFF (patEscape) makes the byte that follows it
// literal, compared exactly even when matching folds case: "\xff*" matches a
// literal '*', "\xff?" a literal '?' and
// "\xff\xff" a literal 0xFF byte; a 0xFF at the very end of a pattern matches
// a literal 0xFF. 0xFF never occurs in valid UTF-8, hence never in text
// decoded from JSON, so literal policy text needs no escaping: a value of a
// Version 2008-10-17 policy (no variables) may be passed to wildcardMatch as
// it is.
//
// expandPattern substitutes policy variables and escapes every '*', '?' and
// 0xFF that a substitution produced: the characters of ${*} and ${?}, of a
// context value, and of a default value. Those must match literally, since the
// special variables exist precisely to write a literal '*' or '?'
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-specialchars).
// expandVariables substitutes the same way without escaping, for operators
// that have no wildcards (StringEquals …) and for display.

import (
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// patEscape is the byte that makes the next pattern byte literal.
const patEscape = 0xFF

// versionVariables is the policy language version that introduced policy
// variables; in earlier versions (or with no Version element) "${…}" is
// literal text
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-using-variables).
const versionVariables = "2012-10-17"

// expandVariables replaces the policy variables of s with their values from
// req: ${key} with the single value of key in the request context (key
// matched case-insensitively), ${*}, ${?} and ${$} with a literal '*', '?' and
// '$', and ${key, 'default'} with default when key has no usable value.
// It returns false when a variable has no value and no default: a key absent
// from the context, or a multivalued key, which cannot be used as a variable
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
// The caller then treats the value as matching nothing. Text that is not a
// well-formed variable ("${" with no closing brace) is kept literally.
//
// The caller decides whether variables apply at all: only in policies with
// Version 2012-10-17.
func expandVariables(s string, req *Request) (string, bool) {
	return expand(s, req, false)
}

// expandPattern is expandVariables for wildcard patterns: every '*', '?' and
// 0xFF produced by a substitution is escaped with patEscape so that
// wildcardMatch matches it literally (see the convention at the top of this
// file). Literal text of s is returned unchanged.
func expandPattern(s string, req *Request) (pattern string, ok bool) {
	return expand(s, req, true)
}

func expand(s string, req *Request, pattern bool) (string, bool) {
	i := strings.Index(s, "${")
	if i < 0 {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i >= 0 {
		b.WriteString(s[:i])
		rest := s[i+2:]
		name, def, hasDef, n, ok := parseVariable(rest)
		if !ok {
			b.WriteString("${")
			s = rest
			i = strings.Index(s, "${")
			continue
		}
		s = rest[n:]
		val, found := variableValue(name, req)
		if !found {
			if !hasDef {
				return "", false
			}
			val = def
		}
		if pattern {
			writeEscaped(&b, val)
		} else {
			b.WriteString(val)
		}
		i = strings.Index(s, "${")
	}
	b.WriteString(s)
	return b.String(), true
}

// parseVariable parses what follows "${": a name up to ',' or '}', and an
// optional default. A default is written exactly as documented: the name, a
// comma and a space, and the default in single quotes, then the closing
// brace: ${aws:userid, 'anonymous'}
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-default-values).
// Any other spelling (no space, two spaces, a space before the brace) is not
// a variable and stays literal text; @cloud-copilot/iam-simulate is as
// strict. The name is taken exactly as written. n is the number of bytes
// consumed, including the closing brace.
func parseVariable(rest string) (name, def string, hasDef bool, n int, ok bool) {
	j := strings.IndexAny(rest, ",}")
	if j < 0 {
		return "", "", false, 0, false
	}
	name = rest[:j]
	if rest[j] == '}' {
		return name, "", false, j + 1, true
	}
	after, found := strings.CutPrefix(rest[j:], ", '")
	if !found {
		return "", "", false, 0, false
	}
	end := strings.Index(after, "'}")
	if end < 0 {
		return "", "", false, 0, false
	}
	def = after[:end]
	if strings.IndexByte(def, '\'') >= 0 {
		return "", "", false, 0, false
	}
	return name, def, true, j + len(", '") + end + len("'}"), true
}

// variableValue resolves one variable name.
func variableValue(name string, req *Request) (string, bool) {
	switch name {
	case "*", "?", "$":
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-specialchars
		return name, true
	}
	vals, ok := lookupKey(req, name)
	if !ok || len(vals) != 1 {
		// Absent, or multivalued: a multivalued context key cannot be used
		// as a policy variable
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
		return "", false
	}
	return vals[0], true
}

func writeEscaped(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '*' || c == '?' || c == patEscape {
			b.WriteByte(patEscape)
		}
		b.WriteByte(c)
	}
}

// lookupKey returns the values of a condition key for req: from its context
// (case-insensitive key), or else, for the keys that describe the caller,
// from req.Principal. Condition key names are case-insensitive
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html).
func lookupKey(req *Request, key string) ([]string, bool) {
	if req == nil {
		return nil, false
	}
	if v, ok := contextGet(req.Context, key); ok {
		return v, true
	}
	return principalKey(&req.Principal, key)
}

// lookupCompiled is lookupKey for the key of a compiled condition: its
// lower-cased spelling and principal key were computed at parse time.
func lookupCompiled(req *Request, cc *compiledCondition) ([]string, bool) {
	if req == nil {
		return nil, false
	}
	if c := req.Context; c != nil {
		c.resolve()
		if e, ok := c.m[cc.lower]; ok {
			return e.values, true
		}
	}
	if cc.pk == pkNone {
		return nil, false
	}
	return principalValue(&req.Principal, cc.pk, cc.tag)
}

// contextGet is Context.Get without an allocation for ASCII keys of usual
// length: the lower-cased key is built on the stack, and a map index with
// string(bytes) does not allocate.
func contextGet(c *Context, key string) ([]string, bool) {
	c.resolve()
	if c == nil || c.m == nil {
		return nil, false
	}
	var buf [128]byte
	if len(key) > len(buf) {
		return c.Get(key)
	}
	for i := 0; i < len(key); i++ {
		ch := key[i]
		if ch >= utf8.RuneSelf {
			return c.Get(key)
		}
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	e, ok := c.m[string(buf[:len(key)])]
	if !ok {
		return nil, false
	}
	return e.values, true
}

// principalKey answers the global condition keys that describe the principal
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
// from what is known of it, for requests whose context does not carry them.
func principalKey(p *Principal, key string) ([]string, bool) {
	id, tag := principalKeyID(key)
	return principalValue(p, id, tag)
}

// Principal keys answered by principalValue.
const (
	pkNone uint8 = iota
	pkTag
	pkUsername
	pkUserID
	pkPrincipalArn
	pkPrincipalAccount
	pkPrincipalType
	pkPrincipalOrgID
	pkPrincipalServiceName
	pkPrincipalOrgPaths
)

// principalKeyID classifies a condition key (matched case-insensitively)
// for principalValue; tag is the tag name of an aws:PrincipalTag/ key.
func principalKeyID(key string) (id uint8, tag string) {
	const tagPrefix = "aws:principaltag/"
	if len(key) > len(tagPrefix) && strings.EqualFold(key[:len(tagPrefix)], tagPrefix) {
		return pkTag, key[len(tagPrefix):]
	}
	switch {
	case strings.EqualFold(key, "aws:username"):
		return pkUsername, ""
	case strings.EqualFold(key, "aws:userid"):
		return pkUserID, ""
	case strings.EqualFold(key, "aws:PrincipalArn"):
		return pkPrincipalArn, ""
	case strings.EqualFold(key, "aws:PrincipalAccount"):
		return pkPrincipalAccount, ""
	case strings.EqualFold(key, "aws:PrincipalType"):
		return pkPrincipalType, ""
	case strings.EqualFold(key, "aws:PrincipalOrgID"):
		return pkPrincipalOrgID, ""
	case strings.EqualFold(key, "aws:PrincipalServiceName"):
		return pkPrincipalServiceName, ""
	case strings.EqualFold(key, "aws:PrincipalOrgPaths"):
		return pkPrincipalOrgPaths, ""
	}
	return pkNone, ""
}

// principalValue answers the principal key id (with tag, for pkTag) from p.
func principalValue(p *Principal, id uint8, tag string) ([]string, bool) {
	var v *string
	switch id {
	case pkTag:
		if v, ok := p.Tags[tag]; ok && len(p.Tags) == 1 {
			return []string{v}, true
		}
		// Tag keys in condition keys are matched case-insensitively, like
		// the rest of the key name. Of tags differing only in case, the
		// first in sorted order answers, as Context.InferPrincipal infers
		// it.
		best, val, found := "", "", false
		for k, v := range p.Tags {
			if strings.EqualFold(k, tag) && (!found || k < best) {
				best, val, found = k, v, true
			}
		}
		if !found {
			return nil, false
		}
		return []string{val}, true
	case pkUsername:
		v = &p.Username
	case pkUserID:
		v = &p.UserID
	case pkPrincipalArn:
		v = &p.IAMARN
	case pkPrincipalAccount:
		v = &p.Account
	case pkPrincipalType:
		v = &p.Type
	case pkPrincipalOrgID:
		v = &p.OrgID
	case pkPrincipalServiceName:
		if p.Type == "Service" {
			v = &p.Service
		}
	case pkPrincipalOrgPaths:
		if len(p.OrgPaths) == 0 {
			return nil, false
		}
		return p.OrgPaths, true
	}
	if v == nil || *v == "" {
		return nil, false
	}
	// A one-element view of the field, not a copy: lookups run for every
	// condition on the decision-only path, which must not allocate.
	// Callers only read values; its capacity of one makes an append copy.
	return unsafe.Slice(v, 1), true
}

// wildcardMatch reports whether value matches pattern, in which '*' matches
// any run of characters, '?' exactly one character, and patEscape makes the
// next byte literal (see the convention at the top of this file). With
// foldCase, letters match regardless of case (Unicode simple folding, as
// strings.EqualFold). It does not allocate.
func wildcardMatch(pattern, value string, foldCase bool) bool {
	p, v := 0, 0
	starP, starV := -1, 0
	for v < len(value) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				p++
				starP, starV = p, v
				continue
			case '?':
				_, w := utf8.DecodeRuneInString(value[v:])
				p++
				v += w
				continue
			case patEscape:
				lit := byte(patEscape)
				n := 1
				if p+1 < len(pattern) {
					lit = pattern[p+1]
					n = 2
				}
				if value[v] == lit {
					p += n
					v++
					continue
				}
			default:
				if n, w, ok := matchRune(pattern[p:], value[v:], foldCase); ok {
					p += n
					v += w
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last '*' absorb one more character and retry from there.
		_, w := utf8.DecodeRuneInString(value[starV:])
		starV += w
		p, v = starP, starV
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchRune compares the first character of pattern (not a wildcard) with
// the first of value and returns the bytes each used.
func matchRune(pattern, value string, foldCase bool) (int, int, bool) {
	pc, vc := pattern[0], value[0]
	if pc < utf8.RuneSelf && vc < utf8.RuneSelf {
		if pc == vc {
			return 1, 1, true
		}
		if foldCase && lowerASCII(pc) == lowerASCII(vc) && isASCIILetter(pc) {
			return 1, 1, true
		}
		return 0, 0, false
	}
	pr, pn := utf8.DecodeRuneInString(pattern)
	vr, vn := utf8.DecodeRuneInString(value)
	if pr == utf8.RuneError && pn == 1 || vr == utf8.RuneError && vn == 1 {
		// Invalid UTF-8 on either side compares byte for byte.
		return 1, 1, pc == vc
	}
	if pr == vr || foldCase && equalFoldRune(pr, vr) {
		return pn, vn, true
	}
	return 0, 0, false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isASCIILetter(c byte) bool {
	c = lowerASCII(c)
	return 'a' <= c && c <= 'z'
}

// equalFoldRune reports whether a and b are equal under Unicode simple case
// folding, as strings.EqualFold compares runes.
func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}
