package lint

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// corpusFindings lints the whole corpus.
func corpusFindings(t *testing.T) []Finding {
	var all []Finding
	for _, c := range loadCorpus(t) {
		all = append(all, Lint(c.data, Options{File: "policies/" + c.name + "/" + c.file, Kind: c.kind})...)
	}
	Sort(all)
	return all
}

// TestSARIFSchema validates the SARIF output for the whole corpus, and for
// no findings, against the SARIF 2.1.0 JSON schema (testdata/sarif, see
// NOTICE there).
func TestSARIFSchema(t *testing.T) {
	schemaPath := filepath.Join("testdata", "sarif", "sarif-2.1.0-rtm.5.json")
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	comp := jsonschema.NewCompiler()
	if err := comp.AddResource("sarif-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := comp.Compile("sarif-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	all := corpusFindings(t)
	for _, tc := range []struct {
		name string
		fs   []Finding
	}{
		{"corpus", all},
		{"none", nil},
		{"stdin", []Finding{{File: "-", Line: 3, Rule: RuleAllowAll, Severity: Error, Message: "m", Why: "w", Fix: "f"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := SARIF(&b, tc.fs, "1.2.3"); err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Fatalf("SARIF output is not valid against the 2.1.0 schema: %v", err)
			}
			// The schema does not tie results to rules: check ruleIndex.
			var log struct {
				Runs []struct {
					Tool struct {
						Driver struct {
							Rules []struct{ ID string } `json:"rules"`
						} `json:"driver"`
					} `json:"tool"`
					Results []struct {
						RuleID    string `json:"ruleId"`
						RuleIndex int    `json:"ruleIndex"`
						Level     string `json:"level"`
					} `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(b.Bytes(), &log); err != nil {
				t.Fatal(err)
			}
			if len(log.Runs) != 1 || len(log.Runs[0].Results) != len(tc.fs) {
				t.Fatalf("want 1 run with %d results, got %+v", len(tc.fs), log.Runs)
			}
			for i, r := range log.Runs[0].Results {
				if got := log.Runs[0].Tool.Driver.Rules[r.RuleIndex].ID; got != r.RuleID {
					t.Errorf("result %d: ruleIndex %d names %s, ruleId is %s", i, r.RuleIndex, got, r.RuleID)
				}
				if want := sarifLevel(tc.fs[i].Severity); r.Level != want {
					t.Errorf("result %d: level %q, want %q", i, r.Level, want)
				}
			}
		})
	}
}

// TestSARIFSchemaRejects makes sure the schema check can fail: a log with a
// result level SARIF does not define is rejected.
func TestSARIFSchemaRejects(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "sarif", "sarif-2.1.0-rtm.5.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	comp := jsonschema.NewCompiler()
	if err := comp.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := comp.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := SARIF(&b, []Finding{{File: "a.json", Line: 1, Rule: RuleAllowAll, Severity: Error}}, ""); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(b.String(), `"level": "error"`, `"level": "fatal"`, 1)
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	if schema.Validate(inst) == nil {
		t.Fatal("the schema accepted a result with level \"fatal\"")
	}
}

// TestRules checks the rule table: unique ids and names, a default
// severity, a summary, a reason and an https help page for each, and every
// rule id the corpus produces listed.
func TestRules(t *testing.T) {
	ids, names := map[string]bool{}, map[string]bool{}
	for _, r := range Rules {
		if ids[r.ID] || names[r.Name] {
			t.Errorf("duplicate rule %s %s", r.ID, r.Name)
		}
		ids[r.ID], names[r.Name] = true, true
		if r.Summary == "" || r.Why() == "" || !strings.HasPrefix(r.Help, "https://") {
			t.Errorf("rule %s: incomplete metadata %+v", r.ID, r)
		}
	}
	seen := map[string]bool{}
	for _, f := range corpusFindings(t) {
		if !ids[f.Rule] {
			t.Errorf("finding with unlisted rule %s", f.Rule)
		}
		seen[f.Rule] = true
	}
	// Every rule but the size quota (TestSize) has a corpus case.
	for _, r := range Rules {
		if !seen[r.ID] && r.ID != RuleTooLarge {
			t.Errorf("rule %s (%s) has no corpus case", r.ID, r.Name)
		}
	}
}

// bigPolicy returns a policy with n statements, each granting one named
// bucket, indented with spaces.
func bigPolicy(kind Kind, n int) []byte {
	var b strings.Builder
	b.WriteString("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		switch kind {
		case SCP:
			b.WriteString(`    {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::bucket-00000000000` + strings.Repeat("x", 3) + `", "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}}}`)
		default:
			b.WriteString(`    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket-number-0000000000/*"}`)
		}
	}
	b.WriteString("\n  ]\n}\n")
	return []byte(b.String())
}

// TestSize checks the quotas: IAM counts characters without white space
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html),
// Organizations counts every character
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html).
func TestSize(t *testing.T) {
	compact := func(b []byte) int {
		var out bytes.Buffer
		if err := json.Compact(&out, b); err != nil {
			t.Fatal(err)
		}
		return out.Len()
	}
	// Find statement counts just under and over each quota.
	count := func(kind Kind, limit int, measure func([]byte) int) (under, over int) {
		for n := 1; ; n++ {
			if measure(bigPolicy(kind, n)) > limit {
				return n - 1, n
			}
		}
	}
	idUnder, idOver := count(Identity, managedPolicyMax, compact)
	scpUnder, scpOver := count(SCP, orgPolicyMax, func(b []byte) int { return len(b) })
	tests := []struct {
		name string
		kind Kind
		n    int
		want bool
	}{
		{"identity under 6144 without white space", Identity, idUnder, false},
		{"identity over 6144", Identity, idOver, true},
		// White space does not count for IAM: the SCP-sized text with
		// its spaces is over 5120 raw but under 6144 compact.
		{"boundary over", Boundary, idOver, true},
		{"scp under 5120 with white space", SCP, scpUnder, false},
		{"scp over 5120 with white space", SCP, scpOver, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := false
			for _, f := range Lint(bigPolicy(tc.kind, tc.n), Options{File: "p.json", Kind: tc.kind}) {
				if f.Rule == RuleTooLarge {
					got = true
				}
			}
			if got != tc.want {
				t.Errorf("n=%d: IAMD018 %v, want %v", tc.n, got, tc.want)
			}
		})
	}
	// The SCP that is over Organizations' quota is under IAM's once white
	// space is dropped: whitespace rules really differ.
	if b := bigPolicy(SCP, scpOver); compact(b) > managedPolicyMax {
		t.Skipf("SCP fixture is %d compact characters, not under %d", compact(b), managedPolicyMax)
	}
	for _, f := range Lint(bigPolicy(SCP, scpOver), Options{File: "p.json", Kind: Identity}) {
		if f.Rule == RuleTooLarge {
			t.Errorf("identity policy flagged over %d though its compact size is under", managedPolicyMax)
		}
	}
}

func TestGuess(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want Kind
	}{
		{"identity", `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`, Identity},
		{"resource", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}`, Resource},
		{"trust", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`, Trust},
		{"kms key policy", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`, Resource},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := Lint([]byte(tc.doc), Options{File: "x"})
			if len(fs) == 0 {
				t.Fatal("no findings (want at least missing Version)")
			}
			if fs[0].Kind != tc.want {
				t.Errorf("kind %s, want %s", fs[0].Kind, tc.want)
			}
		})
	}
}

func TestBroad(t *testing.T) {
	tests := []struct {
		r    string
		want bool
	}{
		{"*", true},
		{"arn:aws:iam::*:role/*", true},
		{"arn:aws:iam::123456789012:role/*", true},
		{"arn:aws:ec2:*:*:*", true},
		{"arn:aws:s3:*", true},
		{"arn:aws:lambda:us-east-1:123456789012:function:*", true},
		{"arn:aws:iam::123456789012:role/app-*", false},
		{"arn:aws:iam::123456789012:role/service-role/*", false},
		{"arn:aws:s3:::bucket/*", false},
		{"arn:aws:s3:::*/*", true},
		{"arn:aws:newsvc:us-east-1:123456789012:thing/*", true},
		{"arn:aws:ec2:us-east-1:123456789012:instance/i-1", false},
	}
	for _, tc := range tests {
		if got := broad(tc.r); got != tc.want {
			t.Errorf("broad(%q) = %v, want %v", tc.r, got, tc.want)
		}
	}
}

// TestOutput checks the text and JSON renderings of two findings.
func TestOutput(t *testing.T) {
	fs := Lint([]byte("{\"Version\": \"2012-10-17\",\n \"Statement\": {\"Sid\": \"S\", \"Effect\": \"Allow\",\n \"Action\": \"ec2:RunInstances\", \"Resource\": \"*\"}}\n"), Options{File: "dir/p.json"})
	var text bytes.Buffer
	if err := Text(&text, fs); err != nil {
		t.Fatal(err)
	}
	wantPrefix := "dir/p.json:3: error IAMD004 statement S: \"ec2:RunInstances\" allows ec2:RunInstances on every resource without a condition. Fix: Name the instance"
	if !strings.HasPrefix(text.String(), wantPrefix) || strings.Count(text.String(), "\n") != len(fs) {
		t.Errorf("text output:\n%s\nwant it to start with\n%s", text.String(), wantPrefix)
	}
	var js bytes.Buffer
	if err := JSON(&js, fs); err != nil {
		t.Fatal(err)
	}
	var back []Finding
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fs, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	if !strings.Contains(js.String(), `"severity": "error"`) {
		t.Errorf("JSON output names no severity: %s", js.String())
	}
	js.Reset()
	if err := JSON(&js, nil); err != nil || strings.TrimSpace(js.String()) != "[]" {
		t.Errorf("no findings: %q, %v; want []", js.String(), err)
	}
}

func TestParseKindAndSeverity(t *testing.T) {
	for _, k := range Kinds {
		got, err := ParseKind(strings.ToUpper(string(k)))
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %q, %v", k, got, err)
		}
	}
	if _, err := ParseKind("managed"); err == nil {
		t.Error("ParseKind accepted \"managed\"")
	}
	for _, s := range []Severity{Info, Warning, Error} {
		got, err := ParseSeverity(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSeverity(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseSeverity("fatal"); err == nil {
		t.Error("ParseSeverity accepted \"fatal\"")
	}
}

// FuzzLint feeds arbitrary input to Lint, which must not panic and must
// give findings with a rule from the table and a position.
func FuzzLint(f *testing.F) {
	for _, c := range loadCorpus(f) {
		f.Add(c.data)
	}
	ids := map[string]bool{}
	for _, r := range Rules {
		ids[r.ID] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fd := range Lint(data, Options{File: "f"}) {
			if !ids[fd.Rule] || fd.Line < 1 {
				t.Fatalf("bad finding %+v", fd)
			}
		}
	})
}
