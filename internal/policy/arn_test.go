package policy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseARN(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ARN
		ok   bool
	}{
		{name: "role", in: "arn:aws:iam::123456789012:role/app", want: ARN{Partition: "aws", Service: "iam", Account: "123456789012", Resource: "role/app"}, ok: true},
		{name: "s3 bucket has no region nor account", in: "arn:aws:s3:::bucket", want: ARN{Partition: "aws", Service: "s3", Resource: "bucket"}, ok: true},
		{name: "s3 object", in: "arn:aws:s3:::bucket/a/b.txt", want: ARN{Partition: "aws", Service: "s3", Resource: "bucket/a/b.txt"}, ok: true},
		{name: "resource holds colons", in: "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s", want: ARN{Partition: "aws", Service: "logs", Region: "us-east-1", Account: "123456789012", Resource: "log-group:g:log-stream:s"}, ok: true},
		{name: "lambda version", in: "arn:aws-cn:lambda:cn-north-1:123456789012:function:f:1", want: ARN{Partition: "aws-cn", Service: "lambda", Region: "cn-north-1", Account: "123456789012", Resource: "function:f:1"}, ok: true},
		{name: "managed policy account aws kept as written", in: "arn:aws:iam::aws:policy/ReadOnlyAccess", want: ARN{Partition: "aws", Service: "iam", Account: "aws", Resource: "policy/ReadOnlyAccess"}, ok: true},
		{name: "wildcards are text", in: "arn:aws:iam::*:role/*", want: ARN{Partition: "aws", Service: "iam", Account: "*", Resource: "role/*"}, ok: true},
		{name: "all empty", in: "arn:::::", want: ARN{}, ok: true},
		{name: "empty resource", in: "arn:aws:sqs:us-east-1:123456789012:", want: ARN{Partition: "aws", Service: "sqs", Region: "us-east-1", Account: "123456789012"}, ok: true},
		{name: "trailing text after account is the resource", in: "arn:aws:iam::123456789012:root trailing", want: ARN{Partition: "aws", Service: "iam", Account: "123456789012", Resource: "root trailing"}, ok: true},
		{name: "four colons", in: "arn:aws:iam::123456789012", want: ARN{Partition: "aws", Service: "iam"}},
		{name: "truncated pattern", in: "arn:aws:s3:*", want: ARN{Partition: "aws", Service: "s3"}},
		{name: "partition only", in: "arn:aws", want: ARN{}},
		{name: "prefix only", in: "arn:", want: ARN{}},
		{name: "upper-case prefix", in: "ARN:aws:iam::123456789012:root"},
		{name: "other prefix", in: "urn:aws:iam::123456789012:root"},
		{name: "no prefix", in: "123456789012"},
		{name: "leading space", in: " arn:aws:s3:::b"},
		{name: "empty", in: ""},
		{name: "star", in: "*"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseARN(tc.in)
			if ok != tc.ok {
				t.Errorf("ParseARN(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseARN(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
			if ok && got.String() != tc.in {
				t.Errorf("ParseARN(%q).String() = %q", tc.in, got.String())
			}
		})
	}
}

func TestARNString(t *testing.T) {
	a := ARN{Partition: "aws", Service: "s3", Resource: "bucket/key"}
	if got, want := a.String(), "arn:aws:s3:::bucket/key"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// naiveParseARN is ParseARN written with strings.SplitN, the way the
// call sites split ARNs before ParseARN.
func naiveParseARN(s string) (ARN, bool) {
	if !strings.HasPrefix(s, "arn:") {
		return ARN{}, false
	}
	p := strings.SplitN(s, ":", 6)
	if len(p) == 6 {
		return ARN{Partition: p[1], Service: p[2], Region: p[3], Account: p[4], Resource: p[5]}, true
	}
	// Only the fields a colon ends are known.
	var f [3]string
	copy(f[:], p[1:len(p)-1])
	return ARN{Partition: f[0], Service: f[1], Region: f[2]}, false
}

func FuzzParseARN(f *testing.F) {
	for _, s := range []string{
		"arn:aws:iam::123456789012:role/app", "arn:aws:s3:::bucket/k", "arn:aws:logs:us-east-1:1:log-group:g:*",
		"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:s3:*", "arn:", "ARN:aws:s3:::b", "*", "", "arn:::::",
		"arn:aws:iam::123456789012", "arn:aws:sts::123456789012:assumed-role/r/s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseARN(s)
		want, wantOK := naiveParseARN(s)
		if ok != wantOK || got != want {
			t.Fatalf("ParseARN(%q) = %+v, %v; the SplitN reference gives %+v, %v", s, got, ok, want, wantOK)
		}
		if !ok {
			return
		}
		if got.String() != s {
			t.Fatalf("ParseARN(%q).String() = %q", s, got.String())
		}
		again, ok := ParseARN(got.String())
		if !ok || again != got {
			t.Fatalf("ParseARN(String()) = %+v, %v; want %+v", again, ok, got)
		}
	})
}
