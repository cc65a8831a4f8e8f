package policy

import (
	"testing"
)

func varReq() *Request {
	r := NewRequest("arn:aws:iam::123456789012:user/alice", "s3:GetObject", "*")
	r.Context.Set("aws:username", "alice")
	r.Context.Set("aws:PrincipalTag/team", "blue")
	r.Context.Set("aws:TagKeys", "a", "b")
	r.Context.Set("aws:userid", "AIDA:x*y?z")
	r.Context.Set("s3:empty")
	return r
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
func TestExpandVariables(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   string
		wantOK bool
	}{
		{"no variable", "home/alice/*", "home/alice/*", true},
		{"username", "home/${aws:username}/*", "home/alice/*", true},
		{"key is case-insensitive", "${AWS:UserName}", "alice", true},
		{"principal tag", "team-${aws:PrincipalTag/team}", "team-blue", true},
		{"tag key case-insensitive", "${aws:principaltag/TEAM}", "blue", true},
		{"two variables", "${aws:username}:${aws:PrincipalTag/team}", "alice:blue", true},
		{"adjacent variables", "${aws:username}${aws:username}", "alicealice", true},
		{"missing variable", "home/${aws:nothing}/", "", false},
		{"multivalued key cannot be a variable", "${aws:TagKeys}", "", false},
		{"key with no values", "${s3:empty}", "", false},
		{"default used when missing", "${aws:PrincipalTag/dept, 'none'}", "none", true},
		{"default ignored when present", "${aws:username, 'anonymous'}", "alice", true},
		{"default for multivalued key", "${aws:TagKeys, 'x'}", "x", true},
		{"empty default", "a${aws:nothing, ''}b", "ab", true},
		{"default without space is literal", "${aws:nothing,'d'}", "${aws:nothing,'d'}", true},
		{"default with two spaces is literal", "${aws:nothing,  'd'}", "${aws:nothing,  'd'}", true},
		{"default with space before brace is literal", "${aws:nothing, 'd' }", "${aws:nothing, 'd' }", true},
		{"default holding a quote is literal", "${aws:nothing, 'a'b'}", "${aws:nothing, 'a'b'}", true},
		{"default may hold braces and commas", "${aws:nothing, 'a,}b'}", "a,}b", true},
		{"default unquoted is not a variable", "${aws:nothing, d}", "${aws:nothing, d}", true},
		{"special star", "a${*}b", "a*b", true},
		{"special question mark", "${?}", "?", true},
		{"special dollar", "${$}{aws:username}", "${aws:username}", true},
		{"unterminated is literal", "a${aws:username", "a${aws:username", true},
		{"unterminated then variable", "${x ${aws:username}", "", false},
		{"lone dollar", "$5 ${aws:username}", "$5 alice", true},
		{"empty name", "${}", "", false},
		{"value with wildcards stays literal text", "${aws:userid}", "AIDA:x*y?z", true},
	}
	req := varReq()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := expandVariables(tc.in, req)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("expandVariables(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestExpandVariablesFromPrincipal(t *testing.T) {
	req := NewRequest("arn:aws:iam::123456789012:user/bob", "iam:ListUsers", "*")
	req.Principal.Username = "bob"
	req.Principal.UserID = "AIDAEXAMPLE"
	req.Principal.Tags = map[string]string{"CostCenter": "42"}
	for in, want := range map[string]string{
		"${aws:username}":                "bob",
		"${aws:userid}":                  "AIDAEXAMPLE",
		"${aws:PrincipalTag/costcenter}": "42",
	} {
		if got, ok := expandVariables(in, req); !ok || got != want {
			t.Errorf("expandVariables(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	// The context wins over the principal.
	req.Context.Set("aws:username", "carol")
	if got, _ := expandVariables("${aws:username}", req); got != "carol" {
		t.Errorf("context should win: got %q", got)
	}
	if _, ok := expandVariables("${aws:username}", nil); ok {
		t.Error("nil request resolved a variable")
	}
}

func TestExpandPattern(t *testing.T) {
	const e = "\xff"
	tests := []struct {
		name   string
		in     string
		want   string
		wantOK bool
	}{
		{"literal wildcards untouched", "home/*/?", "home/*/?", true},
		{"special star escaped", "a${*}", "a" + e + "*", true},
		{"special question escaped", "${?}", e + "?", true},
		{"special dollar not escaped", "${$}", "$", true},
		{"substituted wildcards escaped", "${aws:userid}/*", "AIDA:x" + e + "*y" + e + "?z/*", true},
		{"default wildcards escaped", "${aws:nothing, '*'}", e + "*", true},
		{"missing", "${aws:nothing}*", "", false},
	}
	req := varReq()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := expandPattern(tc.in, req)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("expandPattern(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.wantOK)
			}
		})
	}
	// An escaped 0xFF from a value matches only itself.
	req.Context.Set("weird", "a\xffb")
	p, _ := expandPattern("${weird}", req)
	if !wildcardMatch(p, "a\xffb", false) || wildcardMatch(p, "ab", false) {
		t.Errorf("pattern %q from a value holding 0xFF", p)
	}
}

func TestWildcardMatch(t *testing.T) {
	const e = "\xff"
	tests := []struct {
		pattern, value string
		fold           bool
		want           bool
	}{
		{"", "", false, true},
		{"", "a", false, false},
		{"*", "", false, true},
		{"*", "anything/at:all", false, true},
		{"?", "", false, false},
		{"?", "é", false, true},
		{"??", "é", false, false},
		{"a*b", "ab", false, true},
		{"a*b", "axxb", false, true},
		{"a*b", "axxbc", false, false},
		{"a*b*c", "abbbc", false, true},
		{"*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, false},
		{"ec2:Describe*", "ec2:DescribeInstances", false, true},
		{"ec2:describe*", "EC2:DescribeInstances", true, true},
		{"ec2:describe*", "EC2:DescribeInstances", false, false},
		{"straße", "STRASSE", true, false},
		{"ǅ", "ǆ", true, true},
		{"k", "\u212a", true, true},
		{"a" + e + "*", "a*", false, true},
		{"a" + e + "*", "ab", false, false},
		{e + "?", "?", false, true},
		{e + "?", "x", false, false},
		{"*" + e + "*", "abc*", false, true},
		{"*" + e + "*", "abc", false, false},
		{e + e, "\xff", false, true},
		{"a" + e, "a\xff", false, true},
		{"a\xfeb", "a\xfeb", false, true},
		{"?", "\xfe", false, true},
	}
	for _, tc := range tests {
		if got := wildcardMatch(tc.pattern, tc.value, tc.fold); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q, %v) = %v, want %v", tc.pattern, tc.value, tc.fold, got, tc.want)
		}
	}
}
