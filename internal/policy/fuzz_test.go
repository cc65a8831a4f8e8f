package policy

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParse checks that Parse never panics and that parse → marshal → parse
// gives an equal document and a stable encoding.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "parse", "*.json"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		`{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["1","2"]},"NotAction":"s3:*","NotResource":["arn:aws:s3:::b"]}]}`,
		`{"Statement":{"Effect":"Allow","Action":"*","Condition":{"NumericEquals":{"k":[1e400,-0,true,"x"]}}}}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`,
		`{"Statement":{"Effect":"Allow","Action":"\u0000\ud800","Resource":"arn:aws:s3:::\u2028"}}`,
		`[]`, `{}`, `{"Statement":[]}`, `%7B%7D`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d1, err := Parse(data)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			_ = err.Error()
			return
		}
		out1, err := d1.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		d2, err := Parse(out1)
		if err != nil {
			t.Fatalf("reparsing %s: %v", out1, err)
		}
		if diff := cmp.Diff(d1, d2, allUnexported); diff != "" {
			t.Fatalf("round trip changed the document (-first +second):\n%s\ninput:  %q\noutput: %s", diff, data, out1)
		}
		out2, err := d2.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		if !bytes.Equal(out1, out2) {
			t.Fatalf("marshalling is not stable:\n%s\n%s", out1, out2)
		}
		// Evaluation of any parsed document must not panic either.
		for _, k := range []Kind{IdentityBased, ResourceBased, ServiceControl, ResourceControl} {
			req := NewRequest(callerSession.ARN, "s3:GetObject", "arn:aws:s3:::b/k")
			req.Principal = callerSession
			ev := Evaluate(d1, req, k)
			if got := Decide(d1, req, k); got != ev.Decision {
				t.Fatalf("kind %d: Decide = %v, Evaluate = %v", k, got, ev.Decision)
			}
			// What Parse compiles changes nothing: the same statements
			// built in Go, compiled on the fly, evaluate alike.
			plain := &Document{Version: d1.Version, Statements: append([]Statement(nil), d1.Statements...)}
			for i := range plain.Statements {
				plain.Statements[i].compiled = nil
			}
			if diff := cmp.Diff(ev, Evaluate(plain, req, k), cmpopts.IgnoreFields(StatementTrace{}, "Statement")); diff != "" {
				t.Fatalf("kind %d: compiled and plain evaluations differ (-compiled +plain):\n%s", k, diff)
			}
		}
	})
}

// refWildcard translates a policy wildcard pattern to a regular expression:
// * and ? become any (other than colon when inSegment) run or character.
func refWildcard(p string, inSegment bool) string {
	star, one := ".*", "."
	if inSegment {
		star, one = "[^:]*", "[^:]"
	}
	var b strings.Builder
	for _, r := range p {
		switch r {
		case '*':
			b.WriteString(star)
		case '?':
			b.WriteString(one)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return b.String()
}

// refMatchAction is the naive reference for MatchAction.
func refMatchAction(pattern, action string) bool {
	return regexp.MustCompile(`(?is)^` + refWildcard(pattern, false) + `$`).MatchString(action)
}

// refMatchARN is the naive reference for MatchARN, written from the AWS
// page's words rather than from match.go: the first five segments match
// within themselves, the resource part matches across colons, and a pattern
// with fewer segments must end in a * that spans the rest.
func refMatchARN(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	if !strings.HasPrefix(pattern, "arn:") || !strings.HasPrefix(arn, "arn:") || strings.Count(arn, ":") < 5 {
		return false
	}
	parts := strings.SplitN(pattern, ":", 6)
	var re strings.Builder
	re.WriteString(`(?s)^`)
	for i, part := range parts {
		if i > 0 {
			re.WriteString(":")
		}
		last := i == len(parts)-1
		switch {
		case i == 5:
			re.WriteString(refWildcard(part, false))
		case last:
			if !strings.HasSuffix(part, "*") {
				return false
			}
			re.WriteString(refWildcard(part[:len(part)-1], true))
			re.WriteString(".*")
		default:
			re.WriteString(refWildcard(part, true))
		}
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String()).MatchString(arn)
}

// fuzzable reports whether both strings can go through the regexp reference:
// valid UTF-8 of bounded length.
func fuzzable(a, b string) bool {
	return utf8.ValidString(a) && utf8.ValidString(b) && len(a) <= 200 && len(b) <= 400
}

func FuzzMatchAction(f *testing.F) {
	for _, s := range [][2]string{
		{"*", "s3:GetObject"}, {"s3:Get*", "S3:GETOBJECT"}, {"iam:?etRole", "iam:GetRole"},
		{"ec2:*Instances", "ec2:RunInstance"}, {"k", "\u212a"}, {"*a*b?", "xaxbyb"}, {"", ""},
	} {
		f.Add(s[0], s[1])
	}
	for _, s := range [][2]string{{"s3:getobject", "S3:GetObjec\u212a"}, {"s3:Get*", "S\u212a"}, {"ab", "\u212a"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, action string) {
		// The compiled pattern (prefix and length checks) must decide as
		// MatchAction does.
		ap := newActionPattern(pattern)
		if got, want := ap.match(action, isASCII(action)), MatchAction(pattern, action); got != want {
			t.Fatalf("compiled %q matches %q: %v, MatchAction says %v", pattern, action, got, want)
		}
		// So must an indexed list holding the pattern among others.
		raw := []string{pattern, "s3:Get*", "S3:PutObject", "ec2:Describe?nstances", "*:List*", "iam:*", "kms:Decrypt"}
		for i := len(raw); i < actionIndexMin; i++ {
			raw = append(raw, "svc"+strconv.Itoa(i)+":Action*")
		}
		list := compileActions(raw)
		want := false
		for _, r := range raw {
			want = want || MatchAction(r, action)
		}
		var pa preparedAction
		pa.prepare(action)
		if got := matchActions(list, newActionIndex(list), &pa); got != want {
			t.Fatalf("indexed list with %q matches %q: %v, MatchAction says %v", pattern, action, got, want)
		}
		if !fuzzable(pattern, action) {
			return
		}
		if got, want := MatchAction(pattern, action), refMatchAction(pattern, action); got != want {
			t.Fatalf("MatchAction(%q, %q) = %v, reference says %v", pattern, action, got, want)
		}
	})
}

func FuzzMatchARN(f *testing.F) {
	for _, s := range [][2]string{
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/k"},
		{"arn:aws:ec2:*:123456789012:instance/*", "arn:aws:ec2:eu-west-1:123456789012:instance/i-1"},
		{"arn:aws:logs:*:*:*", "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s"},
		{"arn:aws:s3:*", "arn:aws:s3:::b"},
		{"arn:aws:sqs:*:queue1", "arn:aws:sqs:us-east-1:123456789012:queue1"},
		{"arn:aws-us-gov:iam::*:role/?", "arn:aws-us-gov:iam::1:role/x"},
		{"*", "anything"}, {"arn:*", "arn:a:b:c:d:e"}, {"arn:a?:*:", "arn:ab:c:::"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, arn string) {
		if !fuzzable(pattern, arn) {
			MatchARN(pattern, arn) // must not panic
			return
		}
		if got, want := MatchARN(pattern, arn), refMatchARN(pattern, arn); got != want {
			t.Fatalf("MatchARN(%q, %q) = %v, reference says %v", pattern, arn, got, want)
		}
	})
}
