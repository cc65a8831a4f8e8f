package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/iamdiag/iamdiag/internal/fix"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// Block Kit limits (https://api.slack.com/reference/block-kit/blocks):
// 50 blocks per message, 3000 characters in a section's text, 2000 in each
// of at most 10 fields, 150 in a header, 10 elements in a context block.
// The limits count characters; truncate counts bytes, which is never less.
const (
	slackMaxBlocks      = 50
	slackMaxSectionText = 3000
	slackMaxFieldText   = 2000
	slackMaxHeaderText  = 150
	slackMaxElements    = 10
	// slackMaxBlockersShow and slackMaxFixesShow keep a message far from
	// 50 blocks: 2 + 5×3 + 1 + 5×2 + 1 + 2 + 1 = 32 at most.
	slackMaxBlockersShow = 5
	slackMaxFixesShow    = 5
)

// SlackMessage is a Slack message in Block Kit: the blocks, and the plain
// text notifications show.
type SlackMessage struct {
	// Text is the fallback notifications and screen readers show.
	Text string `json:"text"`
	// Blocks are the message's layout blocks.
	Blocks []SlackBlock `json:"blocks,omitempty"`
}

// SlackBlock is one Block Kit layout block: a header, section, divider or
// context block.
type SlackBlock struct {
	// Type is "header", "section", "divider" or "context".
	Type string `json:"type"`
	// Text is the text of a header or section.
	Text *SlackText `json:"text,omitempty"`
	// Fields are a section's two-column fields.
	Fields []SlackText `json:"fields,omitempty"`
	// Elements are a context block's texts.
	Elements []SlackText `json:"elements,omitempty"`
}

// SlackText is a Block Kit text object.
type SlackText struct {
	// Type is "mrkdwn" or "plain_text".
	Type string `json:"type"`
	// Text is the text, escaped for mrkdwn when Type is "mrkdwn".
	Text string `json:"text"`
}

// Slack writes d as a Slack Block Kit message (what `iamdiag serve` posts
// for the slash command), indented JSON with a final newline: the verdict,
// the request, each blocker with its policy, statement, attachment point
// and conditions, the fix diffs, AWS's simulator's cross-check when it was
// asked, and the warnings.
func Slack(w io.Writer, d *Diagnosis) error {
	msg, err := SlackBlocks(d)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(msg, "", "  ")
	if err != nil {
		return fmt.Errorf("writing Slack report: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("writing Slack report: %w", err)
	}
	return nil
}

// SlackNotice is a message of one section showing text as it is (escaped
// for mrkdwn, cut to a section's limit): the daemon's answers that are not
// a diagnosis.
func SlackNotice(text string) *SlackMessage {
	return &SlackMessage{Text: noMentions(text), Blocks: []SlackBlock{{Type: "section", Text: ptr(mrkdwn(escapeMrkdwn(text), slackMaxSectionText))}}}
}

// SlackBlocks renders d as the message Slack writes: see Slack. It reads
// the JSON contract's values, so that the blocks say what scripts see; the
// blocks stay within Block Kit's limits, long texts cut with a mark.
func SlackBlocks(d *Diagnosis) (*SlackMessage, error) {
	if d == nil || d.Result == nil {
		return nil, fmt.Errorf("writing Slack report: %w", errNoResult)
	}
	v := toJSON(d)
	verdict := slackVerdict(&v)
	msg := &SlackMessage{Text: noMentions(verdict)}
	add := func(b SlackBlock) {
		// A safeguard: the caps below keep a message within the limit.
		if len(msg.Blocks) < slackMaxBlocks {
			msg.Blocks = append(msg.Blocks, b)
		}
	}
	add(SlackBlock{Type: "header", Text: &SlackText{Type: "plain_text", Text: truncate(verdict, slackMaxHeaderText)}})
	req := fmt.Sprintf("*Principal* %s\n*Action* %s\n*Resource* %s", code(deref(v.Request.Principal)), code(deref(v.Request.Action)), code(deref(v.Request.Resource)))
	add(SlackBlock{Type: "section", Text: ptr(mrkdwn(req, slackMaxSectionText))})
	for i, b := range v.Blockers {
		if i == slackMaxBlockersShow {
			add(SlackBlock{Type: "context", Elements: []SlackText{mrkdwn(fmt.Sprintf("%d more blockers: the JSON report lists them all", len(v.Blockers)-i), slackMaxSectionText)}})
			break
		}
		add(SlackBlock{Type: "divider"})
		head := fmt.Sprintf("*%d. %s* (%s)", i+1, escapeMrkdwn(b.Layer.Title()), strings.ReplaceAll(b.Kind.String(), "-", " "))
		fields := []SlackText{
			mrkdwn("*Policy*\n"+slackPolicyLabel(deref(b.PolicyName), deref(b.Policy)), slackMaxFieldText),
			mrkdwn("*Statement*\n"+code(deref(b.Statement)), slackMaxFieldText),
		}
		if t := deref(b.Target); t != "" {
			// target_name already carries the id: "OU Workloads (ou-…)".
			label := code(t)
			if n := deref(b.TargetName); n != "" {
				label = escapeMrkdwn(n)
			}
			fields = append(fields, mrkdwn("*Attached to*\n"+label, slackMaxFieldText))
		}
		add(SlackBlock{Type: "section", Text: ptr(mrkdwn(head, slackMaxSectionText)), Fields: fields})
		if len(b.Conditions) > 0 {
			var lines []string
			for _, c := range b.Conditions {
				lines = append(lines, fmt.Sprintf("• %s %s %s, request: %s", code(c.Key), escapeMrkdwn(c.Operator), codeList(c.PolicyValues), codeList(c.RequestValues)))
			}
			add(SlackBlock{Type: "section", Text: ptr(mrkdwn("*Conditions*\n"+strings.Join(lines, "\n"), slackMaxSectionText))})
		}
	}
	var fixes []fix.Fix
	for _, f := range d.fixes() {
		if f.Summary != "" || f.Diff != "" {
			fixes = append(fixes, f)
		}
	}
	for i := range fixes {
		if i == slackMaxFixesShow {
			add(SlackBlock{Type: "context", Elements: []SlackText{mrkdwn(fmt.Sprintf("%d more fixes: the JSON report holds each, with its diff", len(fixes)-i), slackMaxSectionText)}})
			break
		}
		add(SlackBlock{Type: "divider"})
		add(SlackBlock{Type: "section", Text: ptr(mrkdwn(slackFix(&fixes[i]), slackMaxSectionText))})
	}
	if cc := CrossCheckFields(d); len(cc) > 0 {
		// The cross-check's lines, worded as in the text report.
		lines := []string{"*Cross-check* (iam:SimulatePrincipalPolicy)"}
		for _, f := range cc {
			lines = append(lines, "*"+escapeMrkdwn(f.Name)+"*: "+escapeMrkdwn(f.Value))
		}
		add(SlackBlock{Type: "divider"})
		add(SlackBlock{Type: "section", Text: ptr(mrkdwn(strings.Join(lines, "\n"), slackMaxSectionText))})
	}
	if rf := RecordFields(d); len(rf) > 0 {
		lines := []string{"*" + escapeMrkdwn(recordTitle) + "*"}
		for _, f := range rf {
			lines = append(lines, "*"+escapeMrkdwn(f.Name)+"*: "+escapeMrkdwn(f.Value))
		}
		add(SlackBlock{Type: "divider"})
		add(SlackBlock{Type: "section", Text: ptr(mrkdwn(strings.Join(lines, "\n"), slackMaxSectionText))})
	}
	if len(v.Warnings) > 0 {
		var ws []SlackText
		for i, w := range v.Warnings {
			if i == slackMaxElements {
				break
			}
			ws = append(ws, mrkdwn(":warning: "+escapeMrkdwn(w), slackMaxSectionText))
		}
		add(SlackBlock{Type: "context", Elements: ws})
	}
	return msg, nil
}

// slackDiffCut follows a diff cut to fit a section.
const slackDiffCut = "\n_The diff is cut to fit Slack: the JSON report holds it whole._"

// slackFix is the text of a fix's section: what to change, and the diff in
// a code block, cut with a note when the section cannot hold it.
func slackFix(f *fix.Fix) string {
	text := "*Fix* (" + escapeMrkdwn(f.Layer.Title()) + " " + escapeMrkdwn(f.PolicyName) + "): " + escapeMrkdwn(f.Summary)
	if f.Diff == "" {
		return text
	}
	// A fence inside the diff would end the code block early; Slack reads
	// mentions (<!channel>, <@U…>) inside code blocks too.
	diff := escapeMrkdwn(strings.ReplaceAll(f.Diff, "```", "ʼʼʼ"))
	const fences = len("\n```") + len("```")
	if len(text)+fences+len(diff) <= slackMaxSectionText {
		return text + "\n```" + diff + "```"
	}
	room := slackMaxSectionText - len(text) - fences - len(slackDiffCut)
	if room < 1 {
		// The summary alone fills the section: the caller cuts it.
		return text
	}
	return text + "\n```" + truncate(diff, room) + "```" + slackDiffCut
}

// slackVerdict says the decision and the first blocker in one line.
func slackVerdict(v *jsonDiagnosis) string {
	if v.InputCaveat != "" {
		return slackVerdictOnly(v) + " — but " + v.InputCaveat
	}
	return slackVerdictOnly(v)
}

// slackVerdictOnly is the verdict line without the input's caveat.
func slackVerdictOnly(v *jsonDiagnosis) string {
	if ex := v.Exception; ex != nil {
		if v.Decision == simulate.AlwaysFails {
			return "FAILS whatever the policies say: " + ex.Reason
		}
		return "ALLOWED: " + ex.Reason
	}
	if h := v.Hint; h.Disagreement != "" && h.Layer != nil {
		return "DENIED BY AWS: " + sourcePhrase(h.Source) + " names " + policy.Layer(*h.Layer).Title() + "; the source does not reproduce it: " + escapeMrkdwn(h.Disagreement)
	}
	if u := undecidedSuspect(v.result); u != "" {
		return "INCONCLUSIVE: " + escapeMrkdwn(u)
	}
	switch v.Decision {
	case simulate.Allowed:
		return "ALLOWED: the layers read allow the call"
	case simulate.Inconclusive:
		s := make([]string, len(v.Suspects))
		for i, l := range v.Suspects {
			s[i] = string(l)
		}
		return "INCONCLUSIVE: the layers read do not explain the deny; unreadable: " + strings.Join(s, ", ")
	}
	kind := strings.ReplaceAll(v.Decision.String(), "-", " ")
	if len(v.Blockers) == 0 {
		return "DENIED: " + kind
	}
	b := v.Blockers[0]
	line := "DENIED: " + strings.ReplaceAll(b.Kind.String(), "-", " ") + " in " + article(b.Layer.Title())
	if n := len(v.Blockers) - 1; n > 0 {
		line += fmt.Sprintf(" (and %d more)", n)
	}
	if len(v.RestsOnMissingKeys) > 0 {
		line += "; rests on " + escapeMrkdwn(strings.Join(v.RestsOnMissingKeys, ", ")) + ", absent from the request"
	}
	return line
}

// slackPolicyLabel names a policy in a field: its name, its ARN below in
// code, or whichever is known.
func slackPolicyLabel(name, arn string) string {
	switch {
	case name != "" && arn != "" && name != arn:
		return escapeMrkdwn(name) + "\n" + code(arn)
	case arn != "":
		return code(arn)
	case name != "":
		return escapeMrkdwn(name)
	}
	return "(unknown)"
}

func mrkdwn(s string, limit int) SlackText {
	return SlackText{Type: "mrkdwn", Text: truncate(s, limit)}
}

func codeList(vs []string) string {
	if len(vs) == 0 {
		return "(none)"
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = code(v)
	}
	return strings.Join(out, ", ")
}

// code formats s as inline mrkdwn code; backticks cannot be escaped inside
// it.
func code(s string) string {
	if s == "" {
		return "(none)"
	}
	return "`" + strings.ReplaceAll(escapeMrkdwn(s), "`", "'") + "`"
}

// escapeMrkdwn escapes the three characters Slack requires escaped
// (https://api.slack.com/reference/surfaces/formatting#escaping), which
// neutralises every mention and link Slack reads, code blocks included:
// <!channel>, <!here>, <!everyone>, <@U…>, <#C…>, <!subteam^…>. Every text
// of a Slack message from the input or a policy goes through it.
func escapeMrkdwn(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// noMentions neutralises the mentions and channel links Slack reads in a
// message's top-level text (its notification), leaving other text as it
// is: "<!" (channel, here, everyone, subteam), "<@" (a user) and "<#" (a
// channel) lose their "<".
func noMentions(s string) string {
	return strings.NewReplacer("<!", "&lt;!", "<@", "&lt;@", "<#", "&lt;#").Replace(s)
}

// truncate cuts s to at most n bytes at a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:max(cut, 0)] + "…"
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
