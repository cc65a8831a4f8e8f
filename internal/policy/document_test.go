package policy

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// allUnexported lets go-cmp look inside every type of a parsed document.
var allUnexported = cmp.AllowUnexported(Document{}, Statement{}, Principals{}, Condition{},
	compiledStatement{}, actionPattern{}, resourcePattern{}, compiledCondition{}, operator{})

func mustParse(t testing.TB, s string) *Document {
	t.Helper()
	d, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, s)
	}
	return d
}

func TestParseGood(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want *Document
	}{
		{
			name: "single statement object, scalars, no version",
			doc:  `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
			want: &Document{statementObject: true, Statements: []Statement{{
				Index: 1, Effect: Allow, Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/*"},
			}}},
		},
		{
			name: "lists, Id, Sid, NotAction, NotResource, 2008 version",
			doc: `{"Version":"2008-10-17","Id":"P1","Statement":[
				{"Sid":"A","Effect":"Deny","NotAction":["iam:*","sts:*"],"NotResource":["arn:aws:iam::1:role/x"]},
				{"Effect":"Allow","Action":["ec2:Describe*"],"Resource":"*"}]}`,
			want: &Document{Version: "2008-10-17", ID: "P1", Statements: []Statement{
				{Index: 1, Sid: "A", Effect: Deny, NotAction: []string{"iam:*", "sts:*"}, NotResource: []string{"arn:aws:iam::1:role/x"}},
				{Index: 2, Effect: Allow, Action: []string{"ec2:Describe*"}, Resource: []string{"*"}},
			}},
		},
		{
			name: "principal forms",
			doc: `{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},
				{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs.amazonaws.com"],"AWS":"123456789012"},"Action":"sts:AssumeRole"},
				{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:root"],"CanonicalUser":"79a5"},"Action":"s3:*","Resource":"*"},
				{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`,
			want: &Document{Version: "2012-10-17", Statements: []Statement{
				{Index: 1, Effect: Allow, Principal: &Principals{Wildcard: true}, Action: []string{"s3:GetObject"}, Resource: []string{"*"}},
				{Index: 2, Effect: Allow, Principal: &Principals{
					Values:    map[string][]string{"Service": {"ec2.amazonaws.com", "ecs.amazonaws.com"}, "AWS": {"123456789012"}},
					typeOrder: []string{"Service", "AWS"},
				}, Action: []string{"sts:AssumeRole"}},
				{Index: 3, Effect: Deny, NotPrincipal: &Principals{
					Values:    map[string][]string{"AWS": {"arn:aws:iam::123456789012:root"}, "CanonicalUser": {"79a5"}},
					typeOrder: []string{"AWS", "CanonicalUser"},
				}, Action: []string{"s3:*"}, Resource: []string{"*"}},
				{Index: 4, Effect: Allow, Principal: &Principals{
					Values:    map[string][]string{"Federated": {"cognito-identity.amazonaws.com"}},
					typeOrder: []string{"Federated"},
				}, Action: []string{"sts:AssumeRoleWithWebIdentity"}},
			}},
		},
		{
			name: "conditions keep order, JSON types and shapes",
			doc: `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{
				"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"],"aws:PrincipalTag/team":"ops"},
				"Bool":{"aws:SecureTransport":false},
				"NumericGreaterThan":{"s3:max-keys":[10, "20"]}}}}`,
			want: &Document{Version: "2012-10-17", statementObject: true, Statements: []Statement{{
				Index: 1, Effect: Deny, Action: []string{"*"}, Resource: []string{"*"},
				Conditions: []Condition{
					{Operator: "StringNotEquals", Key: "aws:RequestedRegion", Values: []string{"us-east-1", "eu-west-1"}, kinds: []byte("ss")},
					{Operator: "StringNotEquals", Key: "aws:PrincipalTag/team", Values: []string{"ops"}, scalar: true, kinds: []byte("s")},
					{Operator: "Bool", Key: "aws:SecureTransport", Values: []string{"false"}, scalar: true, kinds: []byte("b")},
					{Operator: "NumericGreaterThan", Key: "s3:max-keys", Values: []string{"10", "20"}, kinds: []byte("ns")},
				},
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.doc)
			// Compare the exported shape and the condition details; the
			// compiled matchers are checked by the round trip below.
			opts := []cmp.Option{cmp.AllowUnexported(Document{}, Principals{}, Condition{}),
				cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".compiled" }, cmp.Ignore())}
			if diff := cmp.Diff(tt.want, got, opts...); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
			for i := range got.Statements {
				if got.Statements[i].compiled == nil {
					t.Errorf("statement %d not compiled", i+1)
				}
			}
		})
	}
}

func TestParseKeepsShapes(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"S","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root"],"Service":"s3.amazonaws.com"},"Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceAccount":["123456789012"]},"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":[true]}}}]}`
	d := mustParse(t, doc)
	out, err := d.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != doc {
		t.Errorf("MarshalJSON changed the author's shapes:\n got %s\nwant %s", out, doc)
	}
}

func TestParseBad(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string // fragments of the error text
		stmt int
	}{
		{"not JSON", `{"Statement": [`, []string{"invalid JSON"}, 0},
		{"syntax error position", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": x\n}", []string{"invalid JSON", "line 3"}, 0},
		{"not an object", `["Statement"]`, []string{"must be a JSON object", "got a list"}, 0},
		{"trailing data", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}} {}`, []string{"unexpected data after"}, 0},
		{"duplicate key", `{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}`, []string{`statement #1: duplicate key "Effect"`}, 1},
		{"unknown top-level element", `{"Version":"2012-10-17","Statements":[]}`, []string{`unknown policy element "Statements"`}, 0},
		{"element case", `{"version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, []string{`unknown policy element "version"`, `did you mean "Version"`}, 0},
		{"bad version", `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, []string{`Version must be "2012-10-17" or "2008-10-17", got "2012-10-18"`}, 0},
		{"version not string", `{"Version":2012,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, []string{"Version must be a string, got a number"}, 0},
		{"no statement", `{"Version":"2012-10-17"}`, []string{"has no Statement"}, 0},
		{"empty statement list", `{"Statement":[]}`, []string{"Statement must not be an empty list"}, 0},
		{"statement not object", `{"Statement":["x"]}`, []string{"statement #1", "statement must be an object, got a string"}, 1},
		{"effect case", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"X","Effect":"allow","Action":"*","Resource":"*"}]}`,
			[]string{`statement #2 (Sid "X"): Effect must be "Allow" or "Deny", got "allow"`, "line 1"}, 2},
		{"sid named even when after the error", `{"Statement":{"Effect":"Maybe","Action":"*","Resource":"*","Sid":"Late"}}`, []string{`(Sid "Late")`, `got "Maybe"`}, 1},
		{"no effect", `{"Statement":{"Action":"*","Resource":"*"}}`, []string{"has no Effect"}, 1},
		{"unknown statement element", `{"Statement":{"Effect":"Allow","Action":"*","Resources":"*"}}`, []string{`unknown statement element "Resources"`}, 1},
		{"both action forms", `{"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}}`, []string{"both Action and NotAction"}, 1},
		{"no action", `{"Statement":{"Effect":"Allow","Resource":"*"}}`, []string{"neither Action nor NotAction"}, 1},
		{"both resource forms", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"arn:aws:s3:::b"}}`, []string{"both Resource and NotResource"}, 1},
		{"both principal forms", `{"Statement":{"Effect":"Deny","Principal":"*","NotPrincipal":"*","Action":"*","Resource":"*"}}`, []string{"both Principal and NotPrincipal"}, 1},
		{"empty action list", `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, []string{"Action must not be an empty list"}, 1},
		{"empty resource string", `{"Statement":{"Effect":"Allow","Action":"*","Resource":""}}`, []string{"Resource must not be an empty string"}, 1},
		{"action not string", `{"Statement":{"Effect":"Allow","Action":[1],"Resource":"*"}}`, []string{"Action entries must be strings, got a number"}, 1},
		{"action object", `{"Statement":{"Effect":"Allow","Action":{},"Resource":"*"}}`, []string{"Action must be a string or a list of strings, got an object"}, 1},
		{"principal string", `{"Statement":{"Effect":"Allow","Principal":"123456789012","Action":"*","Resource":"*"}}`, []string{`Principal must be "*" or an object`}, 1},
		{"principal empty object", `{"Statement":{"Effect":"Allow","Principal":{},"Action":"*","Resource":"*"}}`, []string{"Principal must not be an empty object"}, 1},
		{"principal type", `{"Statement":{"Effect":"Allow","Principal":{"aws":"*"},"Action":"*","Resource":"*"}}`, []string{`unknown Principal element "aws"`, `did you mean "AWS"`}, 1},
		{"principal empty list", `{"Statement":{"Effect":"Allow","Principal":{"AWS":[]},"Action":"*","Resource":"*"}}`, []string{"Principal.AWS must not be an empty list"}, 1},
		{"condition not object", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":[]}}`, []string{"Condition must be an object of operators"}, 1},
		{"condition empty", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}}`, []string{"Condition must not be an empty object"}, 1},
		{"condition operator not object", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"x"}}}`, []string{"condition operator StringEquals must map to an object"}, 1},
		{"condition empty values", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:x":[]}}}}`, []string{"condition StringEquals aws:x must not be an empty list"}, 1},
		{"condition null", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:x":null}}}}`, []string{"got null"}, 1},
		{"condition nested list", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:x":[["a"]]}}}}`, []string{"values must be strings, numbers or booleans, got a list"}, 1},
		{"condition duplicate key", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:x":"a","aws:x":"b"}}}}`, []string{`duplicate key "aws:x"`}, 1},
		{"duplicate key in second statement", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Action":"*","Resource":"*"}]}`, []string{`statement #2: duplicate key "Action"`}, 2},
		{"duplicate top-level key", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"},"Statement":[]}`, []string{`duplicate key "Statement"`}, 0},
		{"url-encoded", url.PathEscape(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`), []string{"URL-encoded", "decode it first"}, 0},
		{"too large", `{"Id":"` + strings.Repeat("x", MaxDocumentSize) + `"}`, []string{"larger than 1048576 bytes"}, 0},
		{"too deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), []string{"nested too deeply"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse succeeded, want error; got %+v", d)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			for _, frag := range tt.want {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("error %q lacks %q", err, frag)
				}
			}
			if pe.Statement != tt.stmt {
				t.Errorf("ParseError.Statement = %d, want %d (%v)", pe.Statement, tt.stmt, err)
			}
		})
	}
}

func TestParseErrorPosition(t *testing.T) {
	doc := "{\n  \"Statement\": [\n    {\"Sid\": \"X\",\n     \"Effect\": \"allow\", \"Action\": \"*\", \"Resource\": \"*\"}\n  ]\n}"
	_, err := Parse([]byte(doc))
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want *ParseError", err)
	}
	want := ParseError{Offset: int64(strings.Index(doc, `"allow"`)), Line: 4, Column: 16, Statement: 1, Sid: "X", Field: "Effect",
		Msg: `Effect must be "Allow" or "Deny", got "allow"`}
	if diff := cmp.Diff(want, *pe); diff != "" {
		t.Errorf("ParseError mismatch (-want +got):\n%s", diff)
	}
	if got, wantText := pe.Error(), `statement #1 (Sid "X"): Effect must be "Allow" or "Deny", got "allow" (line 4, column 16)`; got != wantText {
		t.Errorf("Error() = %q, want %q", got, wantText)
	}
}

func TestParseEncoded(t *testing.T) {
	plain := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::a+b/*","Condition":{"StringLike":{"s3:prefix":"home/ x"}}}}`
	want := mustParse(t, plain)
	tests := []struct {
		name, in string
	}{
		{"plain JSON", plain},
		{"byte order mark", "\ufeff" + plain},
		{"RFC 3986 encoded, as the IAM API returns it", strings.ReplaceAll(url.QueryEscape(plain), "+", "%20")},
		{"lower-case escapes", strings.ToLower(url.PathEscape(plain)[:3]) + url.PathEscape(plain)[3:]},
		// url.QueryEscape is form encoding: '+' for a space, %2B for a
		// literal '+'.
		{"form-encoded", url.QueryEscape(plain)},
		{"form-encoded, lower-case escapes", strings.ToLower(url.QueryEscape(plain))[:3] + url.QueryEscape(plain)[3:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEncoded(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, allUnexported); diff != "" {
				t.Errorf("ParseEncoded mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// '+' in a document that is not form-encoded stays a plus sign,
	// space or no space elsewhere in it.
	compact := `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a+b/*"}}`
	for _, in := range []string{compact, url.PathEscape(compact), url.PathEscape(plain)} {
		d, err := ParseEncoded(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Statements[0].Resource; len(got) != 1 || !strings.Contains(got[0], "a+b") {
			t.Errorf("ParseEncoded(%q): resource %q, want the '+' kept", in, got)
		}
	}
	if _, err := ParseEncoded("%7B%zz"); err == nil || !strings.Contains(err.Error(), "decoding URL-encoded") {
		t.Errorf("bad escape: got %v", err)
	}
}

// TestRoundTrip checks parse → marshal → parse on every good document of
// testdata/parse.
func TestRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "parse", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/parse files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			d1 := mustParse(t, string(data))
			out, err := d1.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			d2 := mustParse(t, string(out))
			if diff := cmp.Diff(d1, d2, allUnexported); diff != "" {
				t.Errorf("round trip changed the document (-first +second):\n%s\n%s", diff, out)
			}
		})
	}
}

func TestMarshalBuiltInGo(t *testing.T) {
	d := &Document{Version: Version2012, Statements: []Statement{{
		Effect: Deny, Action: []string{"s3:*"}, Resource: []string{"arn:aws:s3:::b", "arn:aws:s3:::b/*"},
		Principal: &Principals{Values: map[string][]string{"Service": {"x.amazonaws.com"}, "AWS": {"*"}}},
		Conditions: []Condition{
			{Operator: "Bool", Key: "aws:SecureTransport", Values: []string{"false"}},
			{Operator: "StringLike", Key: "s3:prefix", Values: []string{"<a&b>"}},
		},
	}}}
	out, err := d.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"*","Service":"x.amazonaws.com"},"Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":["false"]},"StringLike":{"s3:prefix":["<a&b>"]}}}]}`
	if string(out) != want {
		t.Errorf("MarshalJSON:\n got %s\nwant %s", out, want)
	}
	mustParse(t, string(out))
}
