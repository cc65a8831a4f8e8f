package catalog

import "strings"

// Expand returns the actions an action pattern matches, ordered by service
// prefix and then name. As in a policy's Action element, the comparison is
// case-insensitive, "*" matches any run of characters and "?" any one
// character, so "*" matches every action and "s3:Get*" every s3 action whose
// name starts with Get:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
func Expand(pattern string) []*Action {
	c := load()
	lp := asciiLower(pattern)
	prefix, name, ok := strings.Cut(lp, ":")
	if ok && !strings.ContainsAny(prefix, "*?") {
		s, found := c.byPrefix[prefix]
		if !found {
			return nil
		}
		var out []*Action
		for i, n := range s.names {
			if glob(name, n) {
				out = append(out, s.sorted[i])
			}
		}
		return out
	}
	var out []*Action
	for _, s := range c.services {
		for i, k := range s.keys {
			if glob(lp, k) {
				out = append(out, s.sorted[i])
			}
		}
	}
	return out
}

// glob reports whether s matches pattern, where "*" matches any run of bytes
// and "?" any one byte; action names are ASCII. It backtracks only to the
// last star, so it runs in O(len(pattern)*len(s)).
func glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
