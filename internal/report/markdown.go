package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Markdown writes d as GitHub-flavoured Markdown, for a ticket or a chat
// thread: the verdict as a heading, the request, each blocker, a table of the
// other layers, then the fixes, missing context keys, warnings and the
// cross-check.
func Markdown(w io.Writer, d *Diagnosis) error {
	if d == nil || d.Result == nil {
		return fmt.Errorf("writing Markdown report: %w", errNoResult)
	}
	v := newView(d)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "## %s\n\n", mdText(v.verdict))
	fmt.Fprintln(bw, "| | |")
	fmt.Fprintln(bw, "|---|---|")
	for _, f := range v.request {
		fmt.Fprintf(bw, "| %s | %s |\n", f.name, strings.ReplaceAll(mdCode(f.value), "|", `\|`))
	}
	mdBlockers(bw, "Blocked by", v.blockers)
	if len(v.exception) > 0 {
		fmt.Fprint(bw, "\n### AWS's rule, whatever the policies say\n\n")
		for _, f := range v.exception {
			fmt.Fprintf(bw, "- %s: %s\n", f.name, mdText(f.value))
		}
	}
	mdBlockers(bw, "What the policies alone would block with", v.policyBlockers)
	if len(v.others) > 0 {
		fmt.Fprint(bw, "\n### Other layers\n\n")
		fmt.Fprintln(bw, "| layer | why it does not block |")
		fmt.Fprintln(bw, "|---|---|")
		for _, f := range v.others {
			fmt.Fprintf(bw, "| %s | %s |\n", f.name, mdCell(f.value))
		}
	}
	if v.hint != "" {
		fmt.Fprintf(bw, "\n**Input:** %s.\n", mdText(v.hint))
	}
	writeMarkdownFixes(bw, d.fixes())
	mdList(bw, "Missing context keys", v.missing)
	mdList(bw, "Warnings", v.warnings)
	if cc := CrossCheckFields(d); len(cc) > 0 {
		fmt.Fprintf(bw, "\n### %s\n\n", crossCheckTitle)
		for _, f := range cc {
			fmt.Fprintf(bw, "- %s: %s\n", f.Name, mdText(f.Value))
		}
	}
	if rf := RecordFields(d); len(rf) > 0 {
		fmt.Fprintf(bw, "\n### %s\n\n", recordTitle)
		for _, f := range rf {
			fmt.Fprintf(bw, "- %s: %s\n", f.Name, mdText(f.Value))
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing Markdown report: %w", err)
	}
	return nil
}

func mdList(w io.Writer, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(w, "\n### %s\n\n", title)
	for _, it := range items {
		fmt.Fprintf(w, "- %s\n", mdText(it))
	}
}

// mdCode puts s in a code span, long enough to hold any backquotes it has.
func mdCode(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + strings.ReplaceAll(s, "\n", " ") + pad + fence
}

// mdCell escapes s for a table cell.
func mdCell(s string) string {
	return strings.ReplaceAll(mdText(s), "|", `\|`)
}

// mdText escapes the characters that would start Markdown formatting in
// running text (policy names and ARNs may hold * and _).
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;", "\n", " ",
)

func mdText(s string) string { return mdEscaper.Replace(s) }

// EscapeMarkdown escapes s as the Markdown report escapes running text, so
// that a redactor finds a value in the report as it was written there.
func EscapeMarkdown(s string) string { return mdText(s) }

// mdBlockers writes a numbered list of blockers under a heading, nothing
// when there are none.
func mdBlockers(bw *bufio.Writer, title string, blockers []blockerView) {
	if len(blockers) == 0 {
		return
	}
	fmt.Fprintf(bw, "\n### %s\n\n", title)
	for i, b := range blockers {
		fmt.Fprintf(bw, "%d. **%s**\n", i+1, mdText(b.title))
		for _, f := range b.fields {
			fmt.Fprintf(bw, "   - %s: %s\n", f.name, mdCode(f.value))
		}
		for _, c := range b.conditions {
			fmt.Fprintf(bw, "   - condition: %s\n", mdCode(c))
		}
	}
}
