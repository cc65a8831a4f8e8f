package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/golden"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// The cases below are hand-built results, so that the reports are tested
// independently of the engine: one per kind of verdict.

const (
	roleARN    = "arn:aws:iam::123456789012:role/MyFederatedRole"
	sessionARN = "arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane"
	scpARN     = "arn:aws:organizations::999999999999:policy/o-abc/service_control_policy/p-denyec2"
	fullAccess = "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
)

func request(action, resource string, ctx map[string][]string) *policy.Request {
	r := policy.NewRequest(sessionARN, action, resource)
	r.Principal.IAMARN = roleARN
	r.Principal.Account = "123456789012"
	for k, v := range ctx {
		r.Context.Set(k, v...)
	}
	return r
}

func stmt(sid string, index int, effect policy.Effect, applies bool) policy.StatementTrace {
	return policy.StatementTrace{
		Statement: &policy.Statement{Sid: sid, Index: index, Effect: effect},
		Applies:   applies, ActionMatched: applies, ResourceMatched: applies, PrincipalMatched: true, ConditionsMatched: applies,
	}
}

func evaluation(d policy.Decision, sts ...policy.StatementTrace) *policy.Evaluation {
	return &policy.Evaluation{Decision: d, Statements: sts}
}

func fullAccessSource(target string) simulate.PolicyResult {
	return simulate.PolicyResult{
		Source:     &policy.Source{Layer: policy.LayerSCP, ARN: fullAccess, Name: "FullAWSAccess", Target: target, AWSManaged: true},
		Evaluation: evaluation(policy.Allowed, stmt("", 1, policy.Allow, true)),
	}
}

func identityAllow(sid string) simulate.LayerResult {
	return simulate.LayerResult{
		Layer: policy.LayerIdentity, Decision: simulate.LayerAllow, Readable: true,
		Policies: []simulate.PolicyResult{{
			Source:     &policy.Source{Layer: policy.LayerIdentity, Name: "ec2-launch", Origin: "role/MyFederatedRole (inline)"},
			Evaluation: evaluation(policy.Allowed, stmt(sid, 1, policy.Allow, true)),
		}},
	}
}

func notApplicable(l policy.Layer) simulate.LayerResult {
	return simulate.LayerResult{Layer: l, Decision: simulate.LayerNotApplicable, Readable: true}
}

func sessionUnknown() simulate.LayerResult {
	return simulate.LayerResult{Layer: policy.LayerSession, Decision: simulate.LayerUnknown, Readable: false,
		Note: "session policies cannot be read after the fact"}
}

func scpDenyCase() *Diagnosis {
	cond := policy.ConditionTrace{Operator: "StringNotEquals", Key: "aws:RequestedRegion",
		PolicyValues: []string{"us-east-1"}, RequestValues: []string{"eu-west-1"}, KeyPresent: true, Matched: true}
	deny := policy.StatementTrace{Statement: &policy.Statement{Sid: "NoEC2", Index: 1, Effect: policy.Deny},
		Applies: true, ActionMatched: true, ResourceMatched: true, PrincipalMatched: true, ConditionsMatched: true,
		Conditions: []policy.ConditionTrace{cond}}
	return &Diagnosis{
		Result: &simulate.Result{
			Request:  request("ec2:RunInstances", "arn:aws:ec2:eu-west-1:123456789012:instance/*", map[string][]string{"aws:RequestedRegion": {"eu-west-1"}}),
			Decision: simulate.ExplicitDeny,
			Blockers: []simulate.Blocker{{Layer: policy.LayerSCP, Kind: simulate.BlockerExplicitDeny, Policy: scpARN, PolicyName: "DenyEC2",
				Statement: "NoEC2", Target: "ou-ab12-workloads", Conditions: []policy.ConditionTrace{cond}}},
			Layers: []simulate.LayerResult{
				{Layer: policy.LayerSCP, Decision: simulate.LayerExplicitDeny, Readable: true, Levels: []simulate.LevelResult{
					{Target: "r-ab12", Type: "ROOT", Decision: simulate.LayerAllow, Policies: []simulate.PolicyResult{fullAccessSource("r-ab12")}},
					{Target: "ou-ab12-workloads", Type: "ORGANIZATIONAL_UNIT", Name: "Workloads", Decision: simulate.LayerExplicitDeny, Policies: []simulate.PolicyResult{
						fullAccessSource("ou-ab12-workloads"),
						{Source: &policy.Source{Layer: policy.LayerSCP, ARN: scpARN, Name: "DenyEC2", Target: "ou-ab12-workloads"},
							Evaluation: &policy.Evaluation{Decision: policy.Denied, Statements: []policy.StatementTrace{deny}}},
					}},
					{Target: "123456789012", Type: "ACCOUNT", Decision: simulate.LayerAllow, Policies: []simulate.PolicyResult{fullAccessSource("123456789012")}},
				}},
				{Layer: policy.LayerRCP, Decision: simulate.LayerNotApplicable, Readable: true, Note: "no custom RCP applies to ec2"},
				notApplicable(policy.LayerResource),
				identityAllow("AllowEC2Launch"),
				notApplicable(policy.LayerBoundary),
				sessionUnknown(),
			},
			Warnings: []string{"session policies cannot be read after the fact; if the session was created with one, it may deny too"},
		},
		Hint: &Hint{Source: "error-text", Layer: "scp", Kind: simulate.BlockerExplicitDeny},
	}
}

func boundaryCase() *Diagnosis {
	r := request("s3:PutObject", "arn:aws:s3:::reports/2026/q4.csv", nil)
	return &Diagnosis{
		Result: &simulate.Result{
			Request:  r,
			Decision: simulate.ImplicitDeny,
			// No single policy named: the report names the layer's policy.
			Blockers: []simulate.Blocker{{Layer: policy.LayerBoundary, Kind: simulate.BlockerImplicitDeny}},
			Layers: []simulate.LayerResult{
				{Layer: policy.LayerSCP, Decision: simulate.LayerUnknown, Readable: false, Error: "NoOrganizationData",
					Note: "the snapshot holds no organization data"},
				notApplicable(policy.LayerRCP),
				notApplicable(policy.LayerResource),
				identityAllow("WriteReports"),
				{Layer: policy.LayerBoundary, Decision: simulate.LayerImplicitDeny, Readable: true, Policies: []simulate.PolicyResult{{
					Source:     &policy.Source{Layer: policy.LayerBoundary, ARN: "arn:aws:iam::123456789012:policy/ReadOnlyBoundary", Name: "ReadOnlyBoundary"},
					Evaluation: evaluation(policy.NotApplicable, stmt("ReadOnly", 1, policy.Allow, false)),
				}}},
				{Layer: policy.LayerSession, Decision: simulate.LayerNotApplicable, Readable: true, Note: "the principal is a role: no session"},
			},
		},
		Hint: &Hint{Source: "error-text", Kind: simulate.BlockerImplicitDeny, Layer: "permissions-boundary"},
	}
}

func missingAllowCase() *Diagnosis {
	r := request("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orders", nil)
	r.Principal.ARN = roleARN
	r.Principal.IAMARN = roleARN
	return &Diagnosis{
		Result: &simulate.Result{
			Request:  r,
			Decision: simulate.ImplicitDeny,
			Blockers: []simulate.Blocker{{Layer: policy.LayerIdentity, Kind: simulate.BlockerImplicitDeny}},
			Layers: []simulate.LayerResult{
				{Layer: policy.LayerIdentity, Decision: simulate.LayerImplicitDeny, Readable: true},
			},
		},
	}
}

func conditionCase() *Diagnosis {
	cond := policy.ConditionTrace{Operator: "StringEquals", Key: "aws:RequestedRegion",
		PolicyValues: []string{"us-east-1"}, RequestValues: []string{"eu-west-1"}, KeyPresent: true}
	absent := policy.ConditionTrace{Operator: "StringEquals", Key: "ec2:InstanceType", PolicyValues: []string{"t3.medium", "t3.large"}}
	r := request("ec2:RunInstances", "*", map[string][]string{"aws:RequestedRegion": {"eu-west-1"}})
	r.Context.Infer("aws:PrincipalArn", roleARN)
	return &Diagnosis{
		Result: &simulate.Result{
			Request:  r,
			Decision: simulate.ImplicitDeny,
			Blockers: []simulate.Blocker{{Layer: policy.LayerIdentity, Kind: simulate.BlockerImplicitDeny, Policy: "role/MyFederatedRole (inline)",
				PolicyName: "scoped_launch", Conditions: []policy.ConditionTrace{cond, absent}}},
			Layers: []simulate.LayerResult{{Layer: policy.LayerIdentity, Decision: simulate.LayerImplicitDeny, Readable: true}},
			Missing: []simulate.MissingKey{{Key: "ec2:InstanceType", Policy: "role/MyFederatedRole (inline)", Statement: "ScopedLaunch",
				Message: "ec2:InstanceType was not in the request: give the context key ec2:InstanceType with its value, or the encoded message"}},
		},
		Hint:     &Hint{Source: "flags"},
		Warnings: []string{`the input names no resource: evaluated against "*"`},
	}
}

func severalCase() *Diagnosis {
	d := scpDenyCase()
	d.Result.Blockers = append(d.Result.Blockers, simulate.Blocker{Layer: policy.LayerIdentity, Kind: simulate.BlockerImplicitDeny},
		simulate.Blocker{Layer: policy.LayerSCP, Kind: simulate.BlockerImplicitDeny, Target: "123456789012"})
	d.Result.Layers[3] = simulate.LayerResult{Layer: policy.LayerIdentity, Decision: simulate.LayerImplicitDeny, Readable: true}
	d.Hint = &Hint{Source: "cloudtrail"}
	return d
}

func inconclusiveCase() *Diagnosis {
	d := scpDenyCase()
	d.Result.Decision = simulate.Inconclusive
	d.Result.Blockers = nil
	d.Result.Layers[0] = simulate.LayerResult{Layer: policy.LayerSCP, Decision: simulate.LayerUnknown, Readable: false, Error: "AccessDeniedException",
		Note: "organizations:ListParents was denied; run from the management account or diagnose from a snapshot"}
	d.Result.Suspects = []policy.Layer{policy.LayerSCP, policy.LayerSession}
	d.Result.Warnings = nil
	return d
}

func allowedCase() *Diagnosis {
	d := scpDenyCase()
	d.Result.Decision = simulate.Allowed
	d.Result.Blockers = nil
	lv := d.Result.Layers[0].Levels
	d.Result.Layers[0] = simulate.LayerResult{Layer: policy.LayerSCP, Decision: simulate.LayerAllow, Readable: true,
		Levels: []simulate.LevelResult{lv[0], {Target: lv[1].Target, Type: lv[1].Type, Name: lv[1].Name, Decision: simulate.LayerAllow, Policies: lv[1].Policies[:1]}, lv[2]}}
	d.Result.Layers[5] = notApplicable(policy.LayerSession)
	d.Result.Warnings = nil
	return d
}

var cases = []struct {
	name string
	d    func() *Diagnosis
}{
	{"scp-explicit-deny", scpDenyCase},
	{"boundary-implicit-deny", boundaryCase},
	{"missing-allow", missingAllowCase},
	{"condition-mismatch", conditionCase},
	{"inconclusive", inconclusiveCase},
	{"several-blockers", severalCase},
	{"allowed-hint-disagrees", allowedCase},
	{"crosscheck-agrees", crossCheckAgreesCase},
	{"crosscheck-disagrees", crossCheckDisagreesCase},
	{"crosscheck-skipped", crossCheckSkippedCase},
}

func TestGolden(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range []struct {
				ext    string
				render func(*bytes.Buffer, *Diagnosis) error
			}{
				{"txt", func(b *bytes.Buffer, d *Diagnosis) error { return Text(b, d, TextOptions{}) }},
				{"json", func(b *bytes.Buffer, d *Diagnosis) error { return JSON(b, d) }},
				{"md", func(b *bytes.Buffer, d *Diagnosis) error { return Markdown(b, d) }},
			} {
				var b bytes.Buffer
				if err := f.render(&b, tc.d()); err != nil {
					t.Fatalf("%s: %v", f.ext, err)
				}
				golden.Check(t, filepath.Join("testdata", tc.name+"."+f.ext), b.Bytes())
			}
		})
	}
}

// TestJSONContract checks the fields ARCHITECTURE.md promises, whatever the
// golden files say.
func TestJSONContract(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := JSON(&b, tc.d()); err != nil {
				t.Fatal(err)
			}
			var got map[string]json.RawMessage
			if err := json.Unmarshal(b.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"request", "decision", "blockers", "layers", "hint", "fix", "warnings"} {
				if _, ok := got[k]; !ok {
					t.Errorf("missing %q", k)
				}
			}
			for _, k := range []string{"blockers", "layers", "fix", "warnings"} {
				if s := string(got[k]); !strings.HasPrefix(s, "[") {
					t.Errorf("%s = %s, want a list", k, s)
				}
			}
			var req map[string]json.RawMessage
			if err := json.Unmarshal(got["request"], &req); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"principal", "role_arn", "account", "action", "resource", "context"} {
				if _, ok := req[k]; !ok {
					t.Errorf("request: missing %q", k)
				}
			}
			var blockers []map[string]json.RawMessage
			if err := json.Unmarshal(got["blockers"], &blockers); err != nil {
				t.Fatal(err)
			}
			for _, bl := range blockers {
				for _, k := range []string{"layer", "kind", "policy", "policy_name", "statement", "target", "conditions"} {
					if _, ok := bl[k]; !ok {
						t.Errorf("blocker: missing %q", k)
					}
				}
			}
		})
	}
}

func TestAgrees(t *testing.T) {
	tests := []struct {
		name      string
		hint      *Hint
		wantAgree bool
		wantKnown bool
	}{
		{"no hint", nil, false, false},
		{"source only", &Hint{Source: "cloudtrail"}, false, false},
		{"layer and kind", &Hint{Layer: "scp", Kind: simulate.BlockerExplicitDeny}, true, true},
		{"kind only", &Hint{Kind: simulate.BlockerExplicitDeny}, true, true},
		{"wrong layer", &Hint{Layer: "permissions-boundary", Kind: simulate.BlockerExplicitDeny}, false, true},
		{"wrong kind", &Hint{Layer: "scp", Kind: simulate.BlockerImplicitDeny}, false, true},
		{"same policy ARN", &Hint{Layer: "scp", PolicyARN: strings.ToUpper(scpARN)}, true, true},
		{"other policy ARN", &Hint{Layer: "scp", PolicyARN: scpARN + "x"}, false, true},
		{"layer not evaluated", &Hint{Layer: "vpc-endpoint-policy", Kind: simulate.BlockerExplicitDeny}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := scpDenyCase()
			d.Hint = tt.hint
			agree, known := d.agrees()
			if diff := cmp.Diff([2]bool{tt.wantAgree, tt.wantKnown}, [2]bool{agree, known}); diff != "" {
				t.Errorf("agrees() (-want +got):\n%s", diff)
			}
			// A disagreement is said once: in the first line when the
			// source does not reproduce the layer, else in a warning.
			w := d.hintWarning()
			if d.Disagrees() {
				if w != "" || !strings.HasPrefix(verdict(d), "DENIED BY AWS") {
					t.Errorf("hintWarning() = %q, verdict %q", w, verdict(d))
				}
			} else if (w != "") != (tt.wantKnown && !tt.wantAgree) {
				t.Errorf("hintWarning() = %q", w)
			}
		})
	}
}

func TestTextColor(t *testing.T) {
	for _, color := range []bool{false, true} {
		var b bytes.Buffer
		if err := Text(&b, scpDenyCase(), TextOptions{Color: color}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(b.String(), "\x1b["); got != color {
			t.Errorf("Color=%v: escape codes present = %v", color, got)
		}
	}
}

func TestNilResult(t *testing.T) {
	var b bytes.Buffer
	for name, err := range map[string]error{
		"text":     Text(&b, &Diagnosis{}, TextOptions{}),
		"json":     JSON(&b, nil),
		"markdown": Markdown(&b, &Diagnosis{}),
	} {
		if err == nil {
			t.Errorf("%s: no error for a diagnosis without a result", name)
		}
	}
}

func TestMarkdownEscaping(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a_b*c", `a\_b\*c`},
		{"x|y", `x|y`},
		{"<script>", "&lt;script&gt;"},
	}
	for _, tt := range tests {
		if got := mdText(tt.in); got != tt.want {
			t.Errorf("mdText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got, want := mdCell("x|y"), `x\|y`; got != want {
		t.Errorf("mdCell = %q, want %q", got, want)
	}
	if got, want := mdCode("a`b"), "``a`b``"; got != want {
		t.Errorf("mdCode = %q, want %q", got, want)
	}
}
