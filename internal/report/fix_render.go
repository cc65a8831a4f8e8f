package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/iamdiag/iamdiag/internal/fix"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// fixTitle names a fix for people: "service control policy DenyEC2 (ARN):
// add an exception".
func fixTitle(fx *fix.Fix) string {
	what := map[fix.Change]string{
		fix.AppendStatement: "append a statement",
		fix.AddException:    "add an exception to the Deny",
		fix.NewPolicy:       "create a policy",
		fix.NewSession:      "start a new session with this session policy",
		fix.NoChange:        "no document can fix this",
	}[fx.Change]
	if fx.PolicyName == "" && fx.Policy == "" {
		// No policy is known (a session policy that cannot be read):
		// the layer alone, not "session policy the policy".
		return fx.Layer.Title() + ": " + what
	}
	name := fix.QuoteName(fx.PolicyName, fx.Policy)
	if fx.Change == fix.NewPolicy && fx.Policy == "" {
		name = "new " + fx.PolicyName
	}
	return fx.Layer.Title() + " " + name + ": " + what
}

// fixFields are the lines shown under a fix's title.
func fixFields(fx *fix.Fix) []field {
	fields := []field{{"change", fx.What()}}
	if fx.Who != "" {
		fields = append(fields, field{"who", fx.Who})
	}
	if len(fx.AlsoAffects) > 0 {
		v := strings.Join(fx.AlsoAffects, ", ")
		if fx.AlsoAffectsPartial {
			v += " (may be partial: aws organizations list-targets-for-policy lists every target)"
		}
		fields = append(fields, field{"also affects", v})
	}
	var optional []string
	for _, c := range fx.Companions {
		name := c.Action
		if c.ResourceType != "" {
			name += " on " + c.ResourceType
		}
		if !c.Included {
			optional = append(optional, name)
			continue
		}
		fields = append(fields, field{"included", name + " — " + c.Why + " (" + c.Doc + ")"})
	}
	if len(optional) > 0 {
		fields = append(fields, field{"optional", strings.Join(optional, ", ") + " (not included; the JSON report says when each is needed, with its AWS page)"})
	}
	for _, n := range fx.Notes {
		fields = append(fields, field{"note", n})
	}
	return fields
}

// writeTextFixes writes the fixes section of the text report.
func writeTextFixes(w io.Writer, fixes []fix.Fix, paint func(code, s string) string) {
	if len(fixes) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, paint(ansiBold, "Fix:"))
	for i := range fixes {
		fx := &fixes[i]
		fmt.Fprintf(w, "  %d. %s\n", i+1, paint(ansiBold, TerminalSafe(fixTitle(fx))))
		writeFields(w, "     ", fixFields(fx))
		for _, line := range strings.SplitAfter(fx.Diff, "\n") {
			if line == "" {
				continue
			}
			code := ""
			switch {
			case strings.HasPrefix(line, "+") && !strings.HasPrefix(line, "+++"):
				code = ansiGreen
			case strings.HasPrefix(line, "-") && !strings.HasPrefix(line, "---"):
				code = ansiRed
			}
			text := TerminalSafe(strings.TrimSuffix(line, "\n"))
			if code != "" {
				text = paint(code, text)
			}
			fmt.Fprintln(w, "     "+text)
		}
	}
}

// writeMarkdownFixes writes the fixes section of the Markdown report.
func writeMarkdownFixes(w io.Writer, fixes []fix.Fix) {
	if len(fixes) == 0 {
		return
	}
	fmt.Fprint(w, "\n### Fix\n\n")
	for i := range fixes {
		fx := &fixes[i]
		fmt.Fprintf(w, "%d. **%s**\n", i+1, mdText(fixTitle(fx)))
		for _, f := range fixFields(fx) {
			fmt.Fprintf(w, "   - %s: %s\n", f.name, mdText(f.value))
		}
		if fx.Diff != "" {
			fence := "```"
			for strings.Contains(fx.Diff, fence) {
				fence += "`"
			}
			fmt.Fprintf(w, "\n   %sdiff\n", fence)
			for _, line := range strings.SplitAfter(fx.Diff, "\n") {
				if line != "" {
					fmt.Fprint(w, "   "+line)
				}
			}
			fmt.Fprintf(w, "   %s\n", fence)
		}
	}
}

// FixDiffs writes the unified diffs of the fixes, one after the other, each
// preceded by a comment line naming the policy and the change: what
// `iamdiag diagnose --fix-format diff` prints.
func FixDiffs(w io.Writer, fixes []fix.Fix) error {
	var b strings.Builder
	for i := range fixes {
		fx := &fixes[i]
		b.WriteString("# " + fixTitle(fx) + "\n")
		if fx.Diff == "" {
			b.WriteString("# " + fx.Summary + "\n")
			continue
		}
		b.WriteString(fx.Diff)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing fix diffs: %w", err)
	}
	return nil
}

// FixJSON writes the fixes as an indented JSON array: what `iamdiag
// diagnose --fix-format json` prints.
func FixJSON(w io.Writer, fixes []fix.Fix) error {
	if fixes == nil {
		fixes = []fix.Fix{}
	}
	b, err := json.MarshalIndent(fixes, "", "  ")
	if err != nil {
		return fmt.Errorf("writing fix JSON: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("writing fix JSON: %w", err)
	}
	return nil
}

// Terraform writes each fix's document as an aws_iam_policy_document data
// source, what Terraform users paste in place of their policy's JSON
// (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document).
// A fix without a document becomes a comment saying what to do.
func Terraform(w io.Writer, fixes []fix.Fix) error {
	var b strings.Builder
	for i := range fixes {
		fx := &fixes[i]
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("# " + fixTitle(fx) + "\n")
		for _, line := range wrapComment(fx.Summary) {
			b.WriteString("# " + line + "\n")
		}
		if fx.Parsed() == nil {
			continue
		}
		name := tfName(fx.PolicyName, i)
		b.WriteString("data \"aws_iam_policy_document\" \"" + name + "\" {\n")
		if fx.Parsed().Version != "" {
			b.WriteString("  version = " + tfString(fx.Parsed().Version) + "\n")
		}
		if fx.Parsed().ID != "" {
			b.WriteString("  policy_id = " + tfString(fx.Parsed().ID) + "\n")
		}
		for j := range fx.Parsed().Statements {
			tfStatement(&b, &fx.Parsed().Statements[j])
		}
		b.WriteString("}\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing Terraform: %w", err)
	}
	return nil
}

// tfStatement writes one statement block.
func tfStatement(b *strings.Builder, st *policy.Statement) {
	b.WriteString("\n  statement {\n")
	// Attributes aligned as terraform fmt aligns them.
	var attrs [][2]string
	if st.Sid != "" {
		attrs = append(attrs, [2]string{"sid", tfString(st.Sid)})
	}
	attrs = append(attrs, [2]string{"effect", tfString(string(st.Effect))})
	lists := []struct {
		name   string
		values []string
	}{
		{"actions", st.Action}, {"not_actions", st.NotAction},
		{"resources", st.Resource}, {"not_resources", st.NotResource},
	}
	for _, l := range lists {
		if l.values != nil {
			attrs = append(attrs, [2]string{l.name, tfList(l.values)})
		}
	}
	width := 0
	for _, a := range attrs {
		width = max(width, len(a[0]))
	}
	for _, a := range attrs {
		b.WriteString("    " + a[0] + strings.Repeat(" ", width-len(a[0])) + " = " + a[1] + "\n")
	}
	tfPrincipals(b, "principals", st.Principal)
	tfPrincipals(b, "not_principals", st.NotPrincipal)
	for _, c := range st.Conditions {
		b.WriteString("\n    condition {\n")
		b.WriteString("      test     = " + tfString(c.Operator) + "\n")
		b.WriteString("      variable = " + tfString(c.Key) + "\n")
		b.WriteString("      values   = " + tfList(c.Values) + "\n")
		b.WriteString("    }\n")
	}
	b.WriteString("  }\n")
}

// tfPrincipals writes principals blocks; "*" is type "*" with identifiers
// ["*"], as the provider documents.
func tfPrincipals(b *strings.Builder, block string, p *policy.Principals) {
	if p == nil {
		return
	}
	if p.Wildcard {
		b.WriteString("\n    " + block + " {\n      type        = \"*\"\n      identifiers = [\"*\"]\n    }\n")
		return
	}
	types := make([]string, 0, len(p.Values))
	for t := range p.Values {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		b.WriteString("\n    " + block + " {\n      type        = " + tfString(t) + "\n      identifiers = " + tfList(p.Values[t]) + "\n    }\n")
	}
}

// tfString quotes s for HCL: JSON escapes, plus ${ and %{ escaped so that
// IAM policy variables stay literal.
func tfString(s string) string {
	b, _ := json.Marshal(s)
	q := string(b)
	q = strings.ReplaceAll(q, "${", "$${")
	q = strings.ReplaceAll(q, "%{", "%%{")
	return q
}

func tfList(vals []string) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = tfString(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// tfName makes a Terraform identifier from a policy name.
func tfName(name string, i int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	s := strings.Trim(b.String(), "_")
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		s = "fix_" + strconv.Itoa(i+1) + "_" + s
	}
	return strings.TrimSuffix(s, "_")
}

// wrapComment splits s into lines of at most about 100 characters.
func wrapComment(s string) []string {
	var out []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > 100 {
			out = append(out, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}
