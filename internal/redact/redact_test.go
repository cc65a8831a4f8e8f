package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/iamdiag/iamdiag/internal/golden"
)

func TestRedactorString(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		// ARN forms, in every partition
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns).
		{"role", "arn:aws:iam::123456789012:role/MyFederatedRole", "arn:aws:iam::ACCOUNT-1:role/ROLE-1"},
		{"role in aws-cn", "arn:aws-cn:iam::123456789012:role/App", "arn:aws-cn:iam::ACCOUNT-1:role/ROLE-1"},
		{"user in aws-us-gov with a custom path", "arn:aws-us-gov:iam::123456789012:user/division_abc/subdivision_xyz/Bob",
			"arn:aws-us-gov:iam::ACCOUNT-1:user/PATH-1/PATH-2/USER-1"},
		{"group in aws-iso-b", "arn:aws-iso-b:iam::123456789012:group/Developers", "arn:aws-iso-b:iam::ACCOUNT-1:group/GROUP-1"},
		{"instance profile", "arn:aws:iam::123456789012:instance-profile/web", "arn:aws:iam::ACCOUNT-1:instance-profile/INSTANCE-PROFILE-1"},
		{"assumed role and session", "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane@example.com",
			"arn:aws:sts::ACCOUNT-1:assumed-role/ROLE-1/SESSION-1"},
		{"role and its session share the role placeholder",
			"arn:aws:iam::123456789012:role/App arn:aws:sts::123456789012:assumed-role/App/i-0a1b2c3d4e5f67890",
			"arn:aws:iam::ACCOUNT-1:role/ROLE-1 arn:aws:sts::ACCOUNT-1:assumed-role/ROLE-1/SESSION-1"},
		{"federated user", "arn:aws:sts::123456789012:federated-user/Bob", "arn:aws:sts::ACCOUNT-1:federated-user/USER-1"},
		{"root user kept", "arn:aws:iam::123456789012:root", "arn:aws:iam::ACCOUNT-1:root"},
		// IAM Identity Center roles live under /aws-reserved/sso.amazonaws.com/
		// (https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html).
		{"SSO role keeps the reserved path", "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef",
			"arn:aws:iam::ACCOUNT-1:role/aws-reserved/sso.amazonaws.com/eu-west-1/ROLE-1"},
		// Service-linked roles: /aws-service-role/SERVICE/ and an AWS-chosen
		// name, with an optional custom suffix
		// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceLinkedRole.html).
		{"service-linked role kept", "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
			"arn:aws:iam::ACCOUNT-1:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"},
		{"service-linked role custom suffix redacted", "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_payments",
			"arn:aws:iam::ACCOUNT-1:role/aws-service-role/autoscaling.amazonaws.com/ROLE-1"},
		{"service-role path kept", "arn:aws:iam::123456789012:role/service-role/MyLambda", "arn:aws:iam::ACCOUNT-1:role/service-role/ROLE-1"},
		{"customer policy name kept, path redacted", "arn:aws:iam::123456789012:policy/teams/payments/EC2Launch",
			"arn:aws:iam::ACCOUNT-1:policy/PATH-1/PATH-2/EC2Launch"},
		{"AWS managed policy kept", "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM", "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"},
		{"AWS managed SCP and RCP kept",
			"arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess FullAWSAccess arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess RCPFullAWSAccess",
			"arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess FullAWSAccess arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess RCPFullAWSAccess"},
		{"customer SCP", "arn:aws:organizations::999999999999:policy/o-a1b2c3d4e5/service_control_policy/p-denyec2xx",
			"arn:aws:organizations::ACCOUNT-1:policy/o-ORG-1/service_control_policy/p-POLICY-1"},
		{"OU and account ARNs", "arn:aws:organizations::999999999999:ou/o-a1b2c3d4e5/ou-ab12-cd34ef56 arn:aws:organizations::999999999999:account/o-a1b2c3d4e5/123456789012",
			"arn:aws:organizations::ACCOUNT-1:ou/o-ORG-1/ou-OU-1 arn:aws:organizations::ACCOUNT-1:account/o-ORG-1/ACCOUNT-2"},
		{"other service keeps partition, service, region", "arn:aws:ec2:us-east-1:123456789012:instance/*", "arn:aws:ec2:us-east-1:ACCOUNT-1:instance/*"},
		{"bucket without account", "arn:aws:s3:::reports-bucket/2026/q4.csv", "arn:aws:s3:::reports-bucket/2026/q4.csv"},
		// Masked and odd account fields.
		{"wildcard account kept", "arn:aws:iam::*:role/*", "arn:aws:iam::*:role/*"},
		{"masked account redacted", "arn:aws:iam::XXXXXXXXXXXX:role/App", "arn:aws:iam::ACCOUNT-1:role/ROLE-1"},
		{"partly masked account redacted", "arn:aws:iam::1234****9012:role/App", "arn:aws:iam::ACCOUNT-1:role/ROLE-1"},
		{"policy variable kept", "arn:aws:iam::123456789012:user/${aws:username}", "arn:aws:iam::ACCOUNT-1:user/${aws:username}"},
		{"wildcard name redacted", "arn:aws:iam::123456789012:role/payments-*", "arn:aws:iam::ACCOUNT-1:role/ROLE-1"},
		// Standalone values.
		{"account alone and with dashes", "account 123456789012 (1234-5678-9012)", "account ACCOUNT-1 (ACCOUNT-1)"},
		{"13 digits are not an account", "id 1234567890123", "id 1234567890123"},
		{"access keys and unique ids", "AKIAIOSFODNN7EXAMPLE ASIAEXAMPLEKEYID0001 AROAEXAMPLEFEDERATED1:jane",
			"ACCESS-KEY-1 ACCESS-KEY-2 UNIQUE-ID-1:jane"},
		{"IPv4 and IPv6", "from 203.0.113.24, 10.0.0.0/16 and 2001:db8::1; [::1]", "from IP-1, IP-2/16 and IP-3; [IP-4]"},
		{"not IPs", "aws-cli/2.22.0 at 2026-11-26T09:58:13Z, 999.1.1.1", "aws-cli/2.22.0 at 2026-11-26T09:58:13Z, 999.1.1.1"},
		{"e-mail", "mail jane.doe+ops@example.co.uk.", "mail EMAIL-1."},
		{"organization ids", "o-abc/r-ab12/ou-ab12-workloads/", "o-ORG-1/r-ROOT-1/ou-OU-1/"},
		// Kept AWS names.
		{"actions, condition keys, service principals, regions",
			"ec2:RunInstances aws:PrincipalTag/team=platform ec2.amazonaws.com us-east-1 iam:PassedToService",
			"ec2:RunInstances aws:PrincipalTag/team=platform ec2.amazonaws.com us-east-1 iam:PassedToService"},
		// Names learned from ARNs, elsewhere in the text.
		{"name alone before and after its ARN", "role/App (inline) said App. arn:aws:iam::123456789012:role/App; App, App!",
			"role/ROLE-1 (inline) said ROLE-1. arn:aws:iam::ACCOUNT-1:role/ROLE-1; ROLE-1, ROLE-1!"},
		{"no partial-word replacement", "arn:aws:iam::123456789012:role/Admin AdminRole Admin-Team XAdmin Admin_1 Admin",
			"arn:aws:iam::ACCOUNT-1:role/ROLE-1 AdminRole Admin-Team XAdmin Admin_1 ROLE-1"},
		{"longest name first", "arn:aws:iam::123456789012:role/Admin arn:aws:iam::123456789012:role/Admin-Prod Admin-Prod Admin",
			"arn:aws:iam::ACCOUNT-1:role/ROLE-1 arn:aws:iam::ACCOUNT-1:role/ROLE-2 ROLE-2 ROLE-1"},
		{"English-word name replaced only as a whole token", "arn:aws:sts::123456789012:assumed-role/deploy/build the deploy step deployed",
			"arn:aws:sts::ACCOUNT-1:assumed-role/ROLE-1/SESSION-1 the ROLE-1 step deployed"},
		{"name that is an action's service is kept inside the action", "arn:aws:iam::123456789012:role/ec2 ec2:RunInstances by ec2",
			"arn:aws:iam::ACCOUNT-1:role/ROLE-1 ec2:RunInstances by ROLE-1"},
		{"session prefix is not an action", "arn:aws:sts::123456789012:assumed-role/App/jane jane:x", "arn:aws:sts::ACCOUNT-1:assumed-role/ROLE-1/SESSION-1 SESSION-1:x"},
		{"ARN in quotes and parentheses", `"arn:aws:iam::123456789012:role/App" (arn:aws:iam::123456789012:role/App)`,
			`"arn:aws:iam::ACCOUNT-1:role/ROLE-1" (arn:aws:iam::ACCOUNT-1:role/ROLE-1)`},
		{"placeholders are kept", "arn:aws:iam::ACCOUNT-1:role/ROLE-1 o-ORG-1", "arn:aws:iam::ACCOUNT-1:role/ROLE-1 o-ORG-1"},
		{"ANSI colours", "\x1b[1;31marn:aws:iam::123456789012:role/App\x1b[0m App", "\x1b[1;31marn:aws:iam::ACCOUNT-1:role/ROLE-1\x1b[0m ROLE-1"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Redactor
			got := r.String(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("String(%q) (-want +got):\n%s", tc.in, diff)
			}
			if again := r.String(got); again != got {
				t.Errorf("redacting twice changed %q to %q", got, again)
			}
			if !strings.Contains(tc.in, "\x1b") {
				if back := Restore(got, r.Mapping()); back != tc.in && !strings.Contains(tc.in, "-5678-") {
					t.Errorf("Restore gave %q, want %q", back, tc.in)
				}
			}
		})
	}
}

// TestRedactorStable: one Redactor gives the same value the same
// placeholder across calls, and different values different ones.
func TestRedactorStable(t *testing.T) {
	var r Redactor
	a := r.String("arn:aws:sts::111122223333:assumed-role/A/s1 203.0.113.1")
	b := r.String("203.0.113.1 arn:aws:sts::444455556666:assumed-role/B/s2 111122223333 A")
	want := []string{
		"arn:aws:sts::ACCOUNT-1:assumed-role/ROLE-1/SESSION-1 IP-1",
		"IP-1 arn:aws:sts::ACCOUNT-2:assumed-role/ROLE-2/SESSION-2 ACCOUNT-1 ROLE-1",
	}
	if diff := cmp.Diff(want, []string{a, b}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	seenP, seenV := map[string]bool{}, map[string]bool{}
	for _, e := range r.Mapping() {
		if seenP[e.Placeholder] || seenV[e.Value] {
			t.Errorf("mapping repeats %+v", e)
		}
		seenP[e.Placeholder], seenV[e.Value] = true, true
	}
}

func TestRedactorJSON(t *testing.T) {
	in := `{
  "principal": "arn:aws:sts::123456789012:assumed-role/App/jane",
  "arn:aws:iam::123456789012:role/App": {"n": 1.5e3, "id": 123456789012, "big": 1234567890123},
  "html": "<jane@example.com> \u0026 App",
  "kept": ["ec2:RunInstances", true, null, "arn:aws:iam::aws:policy/ReadOnlyAccess"]
}
`
	want := `{
  "principal": "arn:aws:sts::ACCOUNT-1:assumed-role/ROLE-1/SESSION-1",
  "arn:aws:iam::ACCOUNT-1:role/ROLE-1": {"n": 1.5e3, "id": "ACCOUNT-1", "big": 1234567890123},
  "html": "\u003cEMAIL-1\u003e \u0026 ROLE-1",
  "kept": ["ec2:RunInstances", true, null, "arn:aws:iam::aws:policy/ReadOnlyAccess"]
}
`
	var r Redactor
	got, err := r.Bytes([]byte(in), SyntaxJSON)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !json.Valid(got) {
		t.Errorf("output is not valid JSON")
	}
	if _, err := r.Bytes([]byte(`{"a": "123456789012"`), SyntaxJSON); !errors.Is(err, errInvalidJSON) {
		t.Errorf("invalid JSON: err = %v, want errInvalidJSON", err)
	}
}

// TestRedactorMarkdown: Markdown escapes '_' in running text and not in
// code spans; both forms get the same placeholder.
func TestRedactorMarkdown(t *testing.T) {
	in := "- policy: `arn:aws:iam::123456789012:role/app_runner`\n" +
		"- the error text names arn:aws:iam::123456789012:role/app\\_runner and app\\_runner, not app\\_runner\\_x\n" +
		"- jane\\_doe@example.com wrote `jane_doe@example.com`\n"
	want := "- policy: `arn:aws:iam::ACCOUNT-1:role/ROLE-1`\n" +
		"- the error text names arn:aws:iam::ACCOUNT-1:role/ROLE-1 and ROLE-1, not app\\_runner\\_x\n" +
		"- EMAIL-1 wrote `EMAIL-1`\n"
	var r Redactor
	// The e-mail is learned where it is not escaped, as Redact does from the
	// diagnosis's JSON.
	r.String("jane_doe@example.com")
	got, err := r.Bytes([]byte(in), SyntaxMarkdown)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMappingRoundTrip(t *testing.T) {
	var r Redactor
	in := "arn:aws:sts::123456789012:assumed-role/App/jane@example.com from 203.0.113.24 with AKIAIOSFODNN7EXAMPLE in o-abc"
	red := r.String(in)
	var buf bytes.Buffer
	if err := r.WriteMapping(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMapping(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r.Mapping(), got); diff != "" {
		t.Errorf("mapping (-wrote +read):\n%s", diff)
	}
	if back := Restore(red, got); back != in {
		t.Errorf("Restore = %q, want %q", back, in)
	}

	for _, bad := range []struct{ name, in string }{
		{"not JSON", "{"},
		{"wrong format", `{"format": "x", "replacements": []}`},
		{"repeated placeholder", `{"format": "iamdiag-redaction-map/v1", "replacements": [{"placeholder": "IP-1", "value": "a"}, {"placeholder": "IP-1", "value": "b"}]}`},
		{"too large", `{"format": "` + strings.Repeat("x", maxMappingSize) + `"}`},
	} {
		t.Run(bad.name, func(t *testing.T) {
			if _, err := ReadMapping(strings.NewReader(bad.in)); err == nil {
				t.Error("ReadMapping accepted it")
			}
		})
	}
}

// TestRestoreLongestFirst: ACCOUNT-10 is not read as ACCOUNT-1 then "0".
func TestRestoreLongestFirst(t *testing.T) {
	var m []Replacement
	for i := 1; i <= 10; i++ {
		m = append(m, Replacement{Placeholder: placeholderPrefix[kindAccount] + strconv.Itoa(i), Kind: kindAccount, Value: strings.Repeat(string(rune('0'+i%10)), 12)})
	}
	if got, want := Restore("ACCOUNT-10 ACCOUNT-1", m), "000000000000 111111111111"; got != want {
		t.Errorf("Restore = %q, want %q", got, want)
	}
}

func FuzzRedactJSON(f *testing.F) {
	for _, s := range []string{
		`{"a": "arn:aws:iam::123456789012:role/App", "b": 123456789012}`,
		`["jane@example.com", "\u003c203.0.113.24\u003e", -1.5e10]`,
		`"arn:aws:sts::123456789012:assumed-role/A/B"`,
		`{"arn:aws:iam::123456789012:user/x\\_y": [null, true, {"o-abc": "ou-ab12-workloads"}]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var r Redactor
		_ = r.String(s)
		if !json.Valid([]byte(s)) {
			return
		}
		out, err := r.Bytes([]byte(s), SyntaxJSON)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(out) {
			t.Fatalf("redacting %q gave invalid JSON %q", s, out)
		}
	})
}

// TestRedactCorpus redacts each input under testdata (.txt as text,
// .json as JSON, .md as Markdown) and compares the output and the mapping
// with NAME.golden and NAME.map.json, rewritten with -update. The inputs are
// independent of the renderers, so their wording can change freely.
func TestRedactCorpus(t *testing.T) {
	syntaxes := map[string]Syntax{".txt": SyntaxText, ".json": SyntaxJSON, ".md": SyntaxMarkdown}
	paths, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range paths {
		name := filepath.Base(p)
		syntax, ok := syntaxes[filepath.Ext(name)]
		if !ok || strings.HasSuffix(name, ".map.json") {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var r Redactor
			out, err := r.Bytes(in, syntax)
			if err != nil {
				t.Fatal(err)
			}
			if syntax == SyntaxJSON && !json.Valid(out) {
				t.Error("redacted JSON is not valid")
			}
			var m bytes.Buffer
			if err := r.WriteMapping(&m); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", name+".golden"), out)
			golden.Check(t, filepath.Join("testdata", strings.TrimSuffix(name, filepath.Ext(name))+".map.json"), m.Bytes())
		})
	}
	if n == 0 {
		t.Fatal("no input in testdata")
	}
}

// FuzzRedactString: redacting never panics, and redacting the output again
// with the same Redactor changes nothing (placeholders are never matched).
func FuzzRedactString(f *testing.F) {
	for _, s := range []string{
		"arn:aws:sts::123456789012:assumed-role/App/jane@example.com from 203.0.113.24",
		"role/App (inline) o-abc/r-ab12/ou-ab12-workloads/ AKIAIOSFODNN7EXAMPLE 2001:db8::1",
		"arn:aws:iam::123456789012:user/a\\_b/c ec2:RunInstances aws:PrincipalTag/x=y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var r Redactor
		once := r.String(s)
		if twice := r.String(once); twice != once {
			t.Fatalf("String(%q) = %q, then %q", s, once, twice)
		}
	})
}
