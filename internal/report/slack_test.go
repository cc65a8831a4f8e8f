package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/iamdiag/iamdiag/internal/fix"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// checkBlockKit fails t unless b is a Block Kit message within Slack's
// limits (https://api.slack.com/reference/block-kit/blocks): a text, a
// blocks array of at most 50, each with a known type; header text plain
// and at most 150 characters; section text mrkdwn, 1 to 3000 characters,
// at most 10 fields of at most 2000; context elements 1 to 10.
func checkBlockKit(t *testing.T, b []byte) {
	t.Helper()
	var msg map[string]json.RawMessage
	if err := json.Unmarshal(b, &msg); err != nil {
		t.Fatalf("not a JSON object: %v", err)
	}
	var text string
	if err := json.Unmarshal(msg["text"], &text); err != nil || text == "" {
		t.Errorf("no fallback text: %s", msg["text"])
	}
	var blocks []map[string]json.RawMessage
	if err := json.Unmarshal(msg["blocks"], &blocks); err != nil {
		t.Fatalf("blocks is not an array of objects: %v", err)
	}
	if len(blocks) == 0 || len(blocks) > 50 {
		t.Errorf("%d blocks, want 1 to 50", len(blocks))
	}
	textObj := func(i int, what string, raw json.RawMessage, typ string, limit int) {
		var o struct{ Type, Text string }
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Errorf("block %d %s: %v", i, what, err)
			return
		}
		if typ != "" && o.Type != typ {
			t.Errorf("block %d %s type %q, want %q", i, what, o.Type, typ)
		}
		if o.Type != "mrkdwn" && o.Type != "plain_text" {
			t.Errorf("block %d %s type %q", i, what, o.Type)
		}
		if n := utf8.RuneCountInString(o.Text); n == 0 || n > limit {
			t.Errorf("block %d %s holds %d characters, want 1 to %d", i, what, n, limit)
		}
	}
	for i, bl := range blocks {
		var typ string
		if err := json.Unmarshal(bl["type"], &typ); err != nil {
			t.Errorf("block %d has no type", i)
			continue
		}
		switch typ {
		case "header":
			textObj(i, "header", bl["text"], "plain_text", 150)
		case "section":
			var fields []json.RawMessage
			if raw, ok := bl["fields"]; ok {
				if err := json.Unmarshal(raw, &fields); err != nil || len(fields) == 0 || len(fields) > 10 {
					t.Errorf("block %d: %d fields, want 1 to 10", i, len(fields))
				}
			}
			if raw, ok := bl["text"]; ok {
				textObj(i, "section text", raw, "mrkdwn", 3000)
			} else if len(fields) == 0 {
				t.Errorf("block %d: a section without text or fields", i)
			}
			for _, f := range fields {
				textObj(i, "field", f, "mrkdwn", 2000)
			}
		case "context":
			var els []json.RawMessage
			if err := json.Unmarshal(bl["elements"], &els); err != nil || len(els) == 0 || len(els) > 10 {
				t.Errorf("block %d: %d context elements, want 1 to 10", i, len(els))
			}
			for _, e := range els {
				textObj(i, "element", e, "", 3000)
			}
		case "divider":
			if len(bl) != 1 {
				t.Errorf("block %d: a divider with fields: %v", i, bl)
			}
		default:
			t.Errorf("block %d has type %q", i, typ)
		}
	}
}

// stressCase is a diagnosis past every limit: 12 blockers, each with
// long values, and 14 warnings.
func stressCase() *Diagnosis {
	d := severalCase()
	long := strings.Repeat("é<&>", 1500)
	var bs []simulate.Blocker
	for i := range 12 {
		b := d.Result.Blockers[i%len(d.Result.Blockers)]
		b.PolicyName = fmt.Sprintf("P%d-%s", i, long)
		b.Conditions = []policy.ConditionTrace{{Operator: "StringEquals", Key: "aws:PrincipalTag/team", PolicyValues: []string{long}, RequestValues: []string{long}}}
		bs = append(bs, b)
	}
	d.Result.Blockers = bs
	for i := range 14 {
		d.Warnings = append(d.Warnings, fmt.Sprintf("warning %d: %s", i, long))
	}
	return d
}

// TestSlackShape: every report case, and one past every limit, is a Block
// Kit message Slack accepts.
func TestSlackShape(t *testing.T) {
	all := append(cases[:len(cases):len(cases)], struct {
		name string
		d    func() *Diagnosis
	}{"stress", stressCase})
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Slack(&b, tc.d()); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(b.Bytes(), []byte("}\n")) {
				t.Errorf("no final newline")
			}
			checkBlockKit(t, b.Bytes())
		})
	}
}

// TestSlackBlockers: the first five blockers are shown, the rest counted.
func TestSlackBlockers(t *testing.T) {
	msg, err := SlackBlocks(stressCase())
	if err != nil {
		t.Fatal(err)
	}
	var heads []string
	more := ""
	for _, b := range msg.Blocks {
		if b.Type == "section" && len(b.Fields) > 0 {
			heads = append(heads, strings.SplitN(b.Text.Text, "*", 3)[1])
		}
		if b.Type == "context" && strings.Contains(b.Elements[0].Text, "more blockers") {
			more = b.Elements[0].Text
		}
	}
	if len(heads) != 5 || !strings.HasPrefix(heads[4], "5. ") {
		t.Errorf("blocker sections %q, want 5", heads)
	}
	if want := "7 more blockers: the JSON report lists them all"; more != want {
		t.Errorf("more: %q, want %q", more, want)
	}
	if msg.Text != "DENIED: explicit deny in a service control policy (and 11 more)" {
		t.Errorf("text %q", msg.Text)
	}
}

func TestSlackFixCut(t *testing.T) {
	head := "*Fix* (service control policy DenyEC2): add an exception"
	tests := []struct {
		name    string
		diff    string
		cut     bool
		wantLen int // 0: no bound beyond the section's
	}{
		{name: "fits", diff: "--- a\n+++ b\n-x\n+y\n"},
		{name: "exactly fits", diff: strings.Repeat("d", 3000-len(head)-7)},
		{name: "one over", diff: strings.Repeat("d", 3000-len(head)-6), cut: true},
		{name: "long", diff: strings.Repeat("+ \"arn:aws:s3:::bucket/é\",\n", 500), cut: true},
		{name: "fences", diff: "```\n" + strings.Repeat("x", 4000), cut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slackFix(&fix.Fix{Layer: policy.LayerSCP, PolicyName: "DenyEC2", Summary: "add an exception", Diff: tt.diff})
			if len(got) > 3000 || !utf8.ValidString(got) {
				t.Errorf("%d bytes (valid UTF-8: %v), want at most 3000", len(got), utf8.ValidString(got))
			}
			if !strings.HasPrefix(got, head+"\n```") {
				t.Errorf("does not start with the summary and a fence: %.80q", got)
			}
			body := strings.TrimPrefix(got, head+"\n```")
			if tt.cut {
				if !strings.HasSuffix(body, "…```"+slackDiffCut) {
					t.Errorf("a cut diff ends %q, want the mark, the fence and the note", body[max(len(body)-120, 0):])
				}
				if strings.Count(body, "```") != 1 {
					t.Errorf("the diff's own fences are kept: %d fences", strings.Count(body, "```"))
				}
				return
			}
			if diff := cmp.Diff(tt.diff+"```", body); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestSlackSeed: the daemon's answer for the SCP case, field by field.
func TestSlackSeed(t *testing.T) {
	msg, err := SlackBlocks(scpDenyCase())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range msg.Blocks {
		line := b.Type
		if b.Text != nil {
			line += ": " + b.Text.Text
		}
		for _, f := range b.Fields {
			line += " | " + f.Text
		}
		for _, e := range b.Elements {
			line += " | " + e.Text
		}
		got = append(got, line)
	}
	if len(got) < 4 {
		t.Fatalf("blocks %q", got)
	}
	want := []string{
		"header: DENIED: explicit deny in a service control policy",
		"section: *Principal* `arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane`\n*Action* `ec2:RunInstances`\n*Resource* `arn:aws:ec2:eu-west-1:123456789012:instance/*`",
		"divider",
		"section: *1. service control policy* (explicit deny) | *Policy*\nDenyEC2\n`" + scpARN + "` | *Statement*\n`NoEC2` | *Attached to*\nOU Workloads (ou-ab12-workloads)",
		"section: *Conditions*\n• `aws:RequestedRegion` StringNotEquals `us-east-1`, request: `eu-west-1`",
	}
	if diff := cmp.Diff(want, got[:len(want)]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if last := got[len(got)-1]; !strings.HasPrefix(last, "context | :warning: session policies cannot be read") {
		t.Errorf("last block %q, want the warnings", last)
	}
}

func TestSlackNotice(t *testing.T) {
	got := SlackNotice("a <b> & " + strings.Repeat("x", 4000))
	if got.Text[:8] != "a <b> & " || len(got.Blocks) != 1 || !strings.HasPrefix(got.Blocks[0].Text.Text, "a &lt;b&gt; &amp; ") || len(got.Blocks[0].Text.Text) > 3000 {
		t.Errorf("notice %+v", got.Blocks)
	}
}

func TestSlackNilResult(t *testing.T) {
	if err := Slack(new(bytes.Buffer), &Diagnosis{}); err == nil {
		t.Error("no error for a diagnosis without a result")
	}
}

func TestTruncate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcdef", 5, "ab…"},
		{"ééé", 5, "é…"},
		{"ééé", 4, "…"},
		{"ééé", 6, "ééé"},
		{"x", 0, ""},
	} {
		if got := truncate(tt.in, tt.n); got != tt.want || len(got) > max(tt.n, 0) {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
