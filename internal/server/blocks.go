package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/iamdiag/iamdiag/internal/report"
)

// Block Kit limits (https://api.slack.com/reference/block-kit/blocks):
// 50 blocks per message, 3000 characters in a section's text, 2000 in each
// of at most 10 fields, 150 in a header.
const (
	maxBlocks       = 50
	maxSectionText  = 3000
	maxFieldText    = 2000
	maxHeaderText   = 150
	maxBlockersShow = 5
)

// slackMessage is a Slack message: the blocks and the plain-text fallback
// notifications show.
type slackMessage struct {
	ResponseType    string       `json:"response_type,omitempty"`
	ReplaceOriginal *bool        `json:"replace_original,omitempty"`
	Text            string       `json:"text"`
	Blocks          []slackBlock `json:"blocks,omitempty"`
}

// slackBlock is one Block Kit layout block.
type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

// slackText is a Block Kit text object.
type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func mrkdwn(s string, limit int) slackText {
	return slackText{Type: "mrkdwn", Text: truncate(s, limit)}
}

// diagnosisView is the part of the `diagnose --format json` contract the
// blocks show. Reading the contract rather than the engine's types keeps
// the blocks in step with what scripts see.
type diagnosisView struct {
	Request struct {
		Principal *string `json:"principal"`
		Action    *string `json:"action"`
		Resource  *string `json:"resource"`
	} `json:"request"`
	Decision string `json:"decision"`
	Blockers []struct {
		Layer      string  `json:"layer"`
		Kind       string  `json:"kind"`
		Policy     *string `json:"policy"`
		PolicyName *string `json:"policy_name"`
		Statement  *string `json:"statement"`
		Target     *string `json:"target"`
		TargetName *string `json:"target_name"`
		Conditions []struct {
			Key           string   `json:"key"`
			Operator      string   `json:"operator"`
			PolicyValues  []string `json:"policy_values"`
			RequestValues []string `json:"request_values"`
			Matched       bool     `json:"matched"`
		} `json:"conditions"`
	} `json:"blockers"`
	Fix      []json.RawMessage `json:"fix"`
	Warnings []string          `json:"warnings"`
	Suspects []string          `json:"suspects"`
}

// fixView is one entry of the contract's fix list.
type fixView struct {
	Layer      string `json:"layer"`
	PolicyName string `json:"policy_name"`
	Summary    string `json:"summary"`
	Diff       string `json:"diff"`
}

// layerTitles name the layers for people.
var layerTitles = map[string]string{
	"scp":                  "service control policy",
	"rcp":                  "resource control policy",
	"permissions-boundary": "permissions boundary",
	"session-policy":       "session policy",
	"identity-policy":      "identity-based policy",
	"resource-policy":      "resource-based policy",
}

func layerTitle(l string) string {
	if t, ok := layerTitles[l]; ok {
		return t
	}
	return l
}

// verdictLine says the decision and the first blocker in one line.
func verdictLine(v *diagnosisView) string {
	switch v.Decision {
	case "allowed":
		return "ALLOWED: the layers read allow the call"
	case "inconclusive":
		return "INCONCLUSIVE: the layers read do not explain the deny; unreadable: " + strings.Join(v.Suspects, ", ")
	}
	kind := strings.ReplaceAll(v.Decision, "-", " ")
	if len(v.Blockers) == 0 {
		return "DENIED: " + kind
	}
	b := v.Blockers[0]
	line := "DENIED: " + strings.ReplaceAll(b.Kind, "-", " ") + " in " + article(layerTitle(b.Layer))
	if n := len(v.Blockers) - 1; n > 0 {
		line += fmt.Sprintf(" (and %d more)", n)
	}
	return line
}

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiouAEIOU", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// slackBlocks renders d as a Block Kit message: the verdict, the request,
// each blocker with its policy, statement, attachment point and
// conditions, the fix diffs when the diagnosis has them, AWS's simulator's
// cross-check when it was asked, and the warnings.
func slackBlocks(d *report.Diagnosis) (*slackMessage, error) {
	var buf bytes.Buffer
	if err := report.JSON(&buf, d); err != nil {
		return nil, err
	}
	var v diagnosisView
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		return nil, fmt.Errorf("reading the JSON report: %w", err)
	}
	verdict := verdictLine(&v)
	msg := &slackMessage{Text: verdict}
	add := func(b slackBlock) {
		if len(msg.Blocks) < maxBlocks {
			msg.Blocks = append(msg.Blocks, b)
		}
	}
	add(slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: truncate(verdict, maxHeaderText)}})
	req := fmt.Sprintf("*Principal* %s\n*Action* %s\n*Resource* %s", code(deref(v.Request.Principal)), code(deref(v.Request.Action)), code(deref(v.Request.Resource)))
	add(slackBlock{Type: "section", Text: ptr(mrkdwn(req, maxSectionText))})
	for i, b := range v.Blockers {
		if i == maxBlockersShow {
			add(slackBlock{Type: "context", Elements: []slackText{mrkdwn(fmt.Sprintf("%d more blockers: see `iamdiag diagnose --format json`", len(v.Blockers)-i), maxSectionText)}})
			break
		}
		add(slackBlock{Type: "divider"})
		head := fmt.Sprintf("*%d. %s* (%s)", i+1, escapeMrkdwn(layerTitle(b.Layer)), strings.ReplaceAll(b.Kind, "-", " "))
		fields := []slackText{
			mrkdwn("*Policy*\n"+policyLabel(deref(b.PolicyName), deref(b.Policy)), maxFieldText),
			mrkdwn("*Statement*\n"+code(deref(b.Statement)), maxFieldText),
		}
		if t := deref(b.Target); t != "" {
			// target_name already carries the id: "OU Workloads (ou-…)".
			label := code(t)
			if n := deref(b.TargetName); n != "" {
				label = escapeMrkdwn(n)
			}
			fields = append(fields, mrkdwn("*Attached to*\n"+label, maxFieldText))
		}
		add(slackBlock{Type: "section", Text: ptr(mrkdwn(head, maxSectionText)), Fields: fields})
		if len(b.Conditions) > 0 {
			var lines []string
			for _, c := range b.Conditions {
				lines = append(lines, fmt.Sprintf("• `%s` %s %s, request: %s", c.Key, c.Operator, codeList(c.PolicyValues), codeList(c.RequestValues)))
			}
			add(slackBlock{Type: "section", Text: ptr(mrkdwn("*Conditions*\n"+strings.Join(lines, "\n"), maxSectionText))})
		}
	}
	for _, raw := range v.Fix {
		var f fixView
		if json.Unmarshal(raw, &f) != nil || (f.Summary == "" && f.Diff == "") {
			continue
		}
		add(slackBlock{Type: "divider"})
		text := "*Fix* (" + escapeMrkdwn(layerTitle(f.Layer)) + " " + escapeMrkdwn(f.PolicyName) + "): " + escapeMrkdwn(f.Summary)
		if f.Diff != "" {
			// The fence and the text around it take 12 characters.
			text += "\n```" + truncate(strings.ReplaceAll(f.Diff, "```", "ʼʼʼ"), maxSectionText-len(text)-12) + "```"
		}
		add(slackBlock{Type: "section", Text: ptr(mrkdwn(text, maxSectionText))})
	}
	if cc := report.CrossCheckFields(d); len(cc) > 0 {
		// The cross-check's lines, worded as in the text report.
		lines := []string{"*Cross-check* (iam:SimulatePrincipalPolicy)"}
		for _, f := range cc {
			lines = append(lines, "*"+escapeMrkdwn(f.Name)+"*: "+escapeMrkdwn(f.Value))
		}
		add(slackBlock{Type: "divider"})
		add(slackBlock{Type: "section", Text: ptr(mrkdwn(strings.Join(lines, "\n"), maxSectionText))})
	}
	if len(v.Warnings) > 0 {
		var ws []slackText
		for i, w := range v.Warnings {
			if i == 10 { // a context block holds at most 10 elements
				break
			}
			ws = append(ws, mrkdwn(":warning: "+escapeMrkdwn(w), maxSectionText))
		}
		add(slackBlock{Type: "context", Elements: ws})
	}
	return msg, nil
}

func policyLabel(name, arn string) string {
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

// code formats s as inline code; backticks cannot be escaped inside it.
func code(s string) string {
	if s == "" {
		return "(none)"
	}
	return "`" + strings.ReplaceAll(escapeMrkdwn(s), "`", "'") + "`"
}

// escapeMrkdwn escapes the three characters Slack requires escaped
// (https://api.slack.com/reference/surfaces/formatting#escaping).
func escapeMrkdwn(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
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
