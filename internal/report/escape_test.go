package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestTerminalSafe(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain ARN", "arn:aws:sts::123456789012:assumed-role/R/jane", "arn:aws:sts::123456789012:assumed-role/R/jane"},
		{"unicode kept", "rôle/équipe", "rôle/équipe"},
		{"tab kept", "a\tb", "a\tb"},
		{"ESC sequence", "jane\x1b[2J\x1b]0;owned\x07", `jane\x1b[2J\x1b]0;owned\x07`},
		{"CR and newline", "jane\rroot\nforged", `jane\x0droot\x0aforged`},
		{"NUL and DEL", "a\x00b\x7f", `a\x00b\x7f`},
		{"C1 CSI", "a\u009b31m", `a\u009b31m`},
		{"invalid UTF-8", "a\x9b31m\xff", `a\x9b31m\xff`},
		{"bidi override", "jane\u202egpj.exe", `jane\u202egpj.exe`},
		{"every bidi control", "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c", `\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, TerminalSafe(tc.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSlackEscapes(t *testing.T) {
	mentions := []string{"<!channel>", "<!here>", "<!everyone>", "<@U024BE7LH>", "<#C024BE7LR>", "<!subteam^SAZ94GDB8>", "<https://evil.example|click>"}
	for _, m := range mentions {
		t.Run(m, func(t *testing.T) {
			if got := escapeMrkdwn("x " + m); strings.ContainsAny(got, "<>") {
				t.Errorf("escapeMrkdwn(%q) = %q", m, got)
			}
			if got := noMentions("x " + m); strings.Contains(got, "<!") || strings.Contains(got, "<@") || strings.Contains(got, "<#") {
				t.Errorf("noMentions(%q) = %q", m, got)
			}
		})
	}
}

// TestHostileInputRendered: a principal, session name and resource holding
// terminal controls and Slack mentions reach neither the terminal nor a
// Slack channel as such, in the request, the blockers, the conditions, the
// warnings and the fix's diff (a code block).
func TestHostileInputRendered(t *testing.T) {
	const hostile = "jane\x1b[2J\u202e<!channel><@U024BE7LH>"
	d := conditionCase()
	d.Result.Request.Principal.ARN = "arn:aws:sts::123456789012:assumed-role/R/" + hostile
	d.Result.Request.Resource = "arn:aws:s3:::b/" + hostile
	for i := range d.Result.Blockers {
		d.Result.Blockers[i].PolicyName = hostile
		for j := range d.Result.Blockers[i].Conditions {
			d.Result.Blockers[i].Conditions[j].Key = hostile
			d.Result.Blockers[i].Conditions[j].RequestValues = []string{hostile}
		}
	}
	d.Warnings = append(d.Warnings, "session "+hostile)
	var text bytes.Buffer
	if err := Text(&text, d, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), `jane\x1b[2J\u202e`) {
		t.Errorf("the principal is not shown escaped:\n%s", text.String())
	}
	assertTerminalSafe(t, text.String(), true)

	msg, err := SlackBlocks(d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			all = append(all, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	if !bytes.Contains(b, []byte(`\u0026lt;!channel\u0026gt;`)) {
		t.Errorf("the mention is not shown escaped: %s", b)
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		t.Fatal(err)
	}
	walk(tree)
	for _, s := range all {
		for _, m := range []string{"<!", "<@", "<#"} {
			if strings.Contains(s, m) {
				t.Errorf("Slack text holds %q: %q", m, s)
			}
		}
	}
}

// assertTerminalSafe fails when s holds a character TerminalSafe escapes
// (newlines allowed when lines).
func assertTerminalSafe(t *testing.T, s string, lines bool) {
	t.Helper()
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if terminalControl(r, size) && !(lines && r == '\n') {
			t.Fatalf("raw %q at byte %d of %q", s[i:i+size], i, s)
		}
		i += size
	}
}

// FuzzTerminalSafe: the output holds no control character, bidi control
// or invalid UTF-8, and is the input when there was nothing to escape.
func FuzzTerminalSafe(f *testing.F) {
	for _, s := range []string{"arn:aws:iam::1:role/r", "a\x1b[31m", "\u202e", "\xff\x9b", "\r\n\t", "é\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := TerminalSafe(s)
		assertTerminalSafe(t, got, false)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 %q", got)
		}
		clean := true
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			clean = clean && !terminalControl(r, size)
			i += size
		}
		if clean != (got == s) {
			t.Fatalf("TerminalSafe(%q) = %q", s, got)
		}
	})
}

// FuzzSlackEscape: no mention or link survives escapeMrkdwn, nor a
// mention noMentions.
func FuzzSlackEscape(f *testing.F) {
	for _, s := range []string{"<!channel>", "<@U1>", "<#C1|x>", "a & b", "<<!here>>", "&lt;!here&gt;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := escapeMrkdwn(s); strings.ContainsAny(got, "<>") {
			t.Fatalf("escapeMrkdwn(%q) = %q", s, got)
		}
		got := noMentions(s)
		for _, m := range []string{"<!", "<@", "<#"} {
			if strings.Contains(got, m) {
				t.Fatalf("noMentions(%q) = %q", s, got)
			}
		}
	})
}
