package policy

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// fuzzOperators are the operator names FuzzCondition picks from (by index),
// so that the fuzzer explores every operator and not mostly unknown names.
var fuzzOperators = func() []string {
	bases := []string{
		"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
		"StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan",
		"NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals",
		"DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
		"Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals",
		"ArnNotLike", "Null",
	}
	var out []string
	for _, set := range []string{"", "ForAllValues:", "ForAnyValue:"} {
		for _, b := range bases {
			out = append(out, set+b, set+b+"IfExists")
		}
	}
	return out
}()

// FuzzCondition checks that evalCondition never panics, that matchCondition
// decides as it does, and the documented invariants: IfExists on a missing
// key is true, and a plain negated operator is the complement of its positive
// form.
func FuzzCondition(f *testing.F) {
	for i, tc := range condCases() {
		rv, present := tc.ctx["k"]
		f.Add(uint16(i%len(fuzzOperators)), tc.op, strings.Join(tc.values, "\n"), strings.Join(rv, "\n"), present, tc.version == "")
	}
	f.Fuzz(func(t *testing.T, opIndex uint16, rawOp, policyValues, requestValues string, present, v2012 bool) {
		op := rawOp
		if opIndex%4 != 0 { // three times in four, a real operator
			op = fuzzOperators[int(opIndex)%len(fuzzOperators)]
		}
		c := &Condition{Operator: op, Key: "k", Values: strings.Split(policyValues, "\n")}
		req := NewRequest("arn:aws:iam::123456789012:user/alice", "s3:GetObject", "*")
		req.Context.Set("v", "x*y")
		if present {
			if requestValues == "" {
				req.Context.Set("k")
			} else {
				req.Context.Set("k", strings.Split(requestValues, "\n")...)
			}
		}
		version := ""
		if v2012 {
			version = "2012-10-17"
		}
		tr := evalCondition(c, req, version)
		if got := matchCondition(c, req, version); got != tr.Matched {
			t.Fatalf("%s %q request %q present=%v: matchCondition = %v, evalCondition = %+v", op, c.Values, requestValues, present, got, tr)
		}
		// Parse's compiled form decides and traces alike.
		cc := compileCondition(c)
		if diff := cmp.Diff(tr, evalCompiled(c, &cc, req, version)); diff != "" {
			t.Fatalf("%s %q request %q: compiled trace differs (-plain +compiled):\n%s", op, c.Values, requestValues, diff)
		}
		if got := matchCompiled(c, &cc, req, version); got != tr.Matched {
			t.Fatalf("%s %q request %q: compiled match = %v, want %v", op, c.Values, requestValues, got, tr.Matched)
		}
		if tr.Err != "" && tr.Matched {
			t.Fatalf("matched with an error: %+v", tr)
		}
		if tr.KeyPresent != present {
			t.Fatalf("KeyPresent = %v, want %v", tr.KeyPresent, present)
		}
		if !present && tr.Err == "" && strings.HasSuffix(op, "IfExists") && !tr.Matched {
			t.Fatalf("%s on a missing key = false", op)
		}
		if pos, ok := strings.CutPrefix(op, "Not"); ok && op == "NotIpAddress" {
			checkComplement(t, c, req, version, pos, tr)
		} else if strings.Contains(op, "Not") && !strings.Contains(op, ":") && !strings.HasSuffix(op, "IfExists") {
			checkComplement(t, c, req, version, strings.Replace(op, "Not", "", 1), tr)
		}
	})
}

func checkComplement(t *testing.T, c *Condition, req *Request, version, pos string, neg ConditionTrace) {
	t.Helper()
	pc := *c
	pc.Operator = pos
	p := evalCondition(&pc, req, version)
	if neg.Err == "" && p.Err == "" && neg.Matched == p.Matched {
		t.Fatalf("%s = %v and %s = %v on %q, want complements", c.Operator, neg.Matched, pos, p.Matched, c.Values)
	}
}

// FuzzWildcard checks wildcardMatch against a regular expression built from
// the pattern. In the fuzz input a backslash stands for patEscape, so that
// escapes are explored too.
func FuzzWildcard(f *testing.F) {
	seeds := []struct {
		p, v string
		fold bool
	}{
		{"*", "", false}, {"a*b?c", "axxbyc", false}, {"*a*a*b", "aaaaaaaab", false}, {"\\*", "*", false},
		{"\\?x", "?x", false}, {"ec2:describe*", "EC2:DescribeInstances", true}, {"k", "\u212a", true},
		{"caf?", "café", false}, {"\\\\", "\xff", false}, {"a\\", "a\xff", false},
	}
	for _, s := range seeds {
		f.Add(s.p, s.v, s.fold)
	}
	f.Fuzz(func(t *testing.T, p, value string, fold bool) {
		if !utf8.ValidString(p) || !utf8.ValidString(value) {
			// regexp reads invalid UTF-8 as U+FFFD; wildcardMatch compares
			// such bytes exactly.
			return
		}
		if len(p) > 64 || len(value) > 256 {
			return
		}
		pattern, re := translateFuzzPattern(p, fold)
		got := wildcardMatch(pattern, value, fold)
		want := re.MatchString(value)
		if got != want {
			t.Fatalf("wildcardMatch(%q, %q, %v) = %v, regexp %s says %v", pattern, value, fold, got, re, want)
		}
	})
}

// translateFuzzPattern turns a fuzz pattern (backslash = patEscape) into the
// wildcardMatch pattern and an equivalent anchored regular expression.
func translateFuzzPattern(p string, fold bool) (string, *regexp.Regexp) {
	var pat, re strings.Builder
	re.WriteString(`(?s)`)
	if fold {
		re.WriteString(`(?i)`)
	}
	re.WriteString(`\A`)
	for i := 0; i < len(p); {
		switch c := p[i]; c {
		case '\\':
			pat.WriteByte(patEscape)
			if i+1 < len(p) && (p[i+1] == '*' || p[i+1] == '?') {
				pat.WriteByte(p[i+1])
				re.WriteString(regexp.QuoteMeta(p[i+1 : i+2]))
				i += 2
				continue
			}
			if i+1 < len(p) && p[i+1] != '\\' && p[i+1] < utf8.RuneSelf {
				// An escaped ordinary byte is that byte, compared exactly
				// even when folding case.
				pat.WriteByte(p[i+1])
				re.WriteString(`(?-i:` + regexp.QuoteMeta(p[i+1:i+2]) + `)`)
				i += 2
				continue
			}
			if i+1 < len(p) && p[i+1] == '\\' {
				i++
			}
			// A lone escape, or an escaped escape: a literal 0xFF byte,
			// which valid UTF-8 input never holds, so nothing matches it.
			pat.WriteByte(patEscape)
			re.WriteString(`[^\x00-\x{10FFFF}]`)
			i++
		case '*':
			pat.WriteByte(c)
			re.WriteString(`.*`)
			i++
		case '?':
			pat.WriteByte(c)
			re.WriteString(`.`)
			i++
		default:
			_, w := utf8.DecodeRuneInString(p[i:])
			pat.WriteString(p[i : i+w])
			re.WriteString(regexp.QuoteMeta(p[i : i+w]))
			i += w
		}
	}
	re.WriteString(`\z`)
	return pat.String(), regexp.MustCompile(re.String())
}
