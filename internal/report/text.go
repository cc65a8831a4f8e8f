package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/iamdiag/iamdiag/internal/simulate"
)

// TextOptions tunes the text report.
type TextOptions struct {
	// Color adds ANSI colours. The caller decides: only on a terminal and
	// never when NO_COLOR is set (https://no-color.org).
	Color bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[1;31m"
	ansiGreen  = "\x1b[1;32m"
	ansiYellow = "\x1b[1;33m"
	ansiDim    = "\x1b[2m"
)

// Text writes d for a person at a terminal: the verdict line first, then each
// blocker with its policy, statement, attachment point and conditions, then
// one line per other layer, then the fixes, missing context keys, warnings
// and, when AWS's simulator was asked, the cross-check. Every value is
// written through TerminalSafe: input cannot drive the terminal.
func Text(w io.Writer, d *Diagnosis, opt TextOptions) error {
	if d == nil || d.Result == nil {
		return fmt.Errorf("writing text report: %w", errNoResult)
	}
	v := newView(d)
	bw := bufio.NewWriter(w)
	paint := func(code, s string) string {
		if !opt.Color {
			return s
		}
		return code + s + ansiReset
	}

	verdictColor := ansiRed
	switch v.decision {
	case simulate.Allowed:
		verdictColor = ansiGreen
	case simulate.Inconclusive, simulate.AlwaysFails:
		verdictColor = ansiYellow
	}
	if d.Disagrees() {
		verdictColor = ansiYellow
	}
	fmt.Fprintln(bw, paint(verdictColor, TerminalSafe(v.verdict)))
	fmt.Fprintln(bw)
	writeFields(bw, "  ", v.request)

	if len(v.blockers) > 0 {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, paint(ansiBold, "Blocked by:"))
		for i, b := range v.blockers {
			fmt.Fprintf(bw, "  %d. %s\n", i+1, paint(ansiBold, TerminalSafe(b.title)))
			fields := b.fields
			for _, c := range b.conditions {
				fields = append(fields, field{"condition", c})
			}
			writeFields(bw, "     ", fields)
		}
	}
	if len(v.exception) > 0 {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, paint(ansiBold, "AWS's rule, whatever the policies say:"))
		writeFields(bw, "  ", v.exception)
	}
	if len(v.policyBlockers) > 0 {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, paint(ansiBold, "What the policies alone would block with:"))
		for i, b := range v.policyBlockers {
			fmt.Fprintf(bw, "  %d. %s\n", i+1, paint(ansiBold, b.title))
			fields := b.fields
			for _, c := range b.conditions {
				fields = append(fields, field{"condition", c})
			}
			writeFields(bw, "     ", fields)
		}
	}
	if len(v.others) > 0 {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, paint(ansiBold, "Other layers:"))
		writeFields(bw, "  ", v.others)
	}
	if v.hint != "" {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, "Input: "+TerminalSafe(v.hint)+".")
	}
	writeTextFixes(bw, d.fixes(), paint)
	writeList(bw, paint(ansiBold, "Missing context keys:"), v.missing)
	writeList(bw, paint(ansiYellow, "Warnings:"), v.warnings)
	if cc := CrossCheckFields(d); len(cc) > 0 {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, paint(ansiBold, crossCheckTitle+":"))
		for _, f := range cc {
			fmt.Fprintf(bw, "  %-21s %s\n", f.Name, TerminalSafe(f.Value))
		}
	}
	if rf := RecordFields(d); len(rf) > 0 {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, paint(ansiBold, recordTitle+":"))
		for _, f := range rf {
			fmt.Fprintf(bw, "  %-21s %s\n", f.Name, TerminalSafe(f.Value))
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing text report: %w", err)
	}
	return nil
}

// writeFields writes name/value pairs with the values aligned.
func writeFields(w io.Writer, indent string, fields []field) {
	width := 0
	for _, f := range fields {
		width = max(width, len(f.name))
	}
	for _, f := range fields {
		fmt.Fprintf(w, "%s%-*s  %s\n", indent, width, f.name, TerminalSafe(f.value))
	}
}

func writeList(w io.Writer, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, title)
	for _, it := range items {
		fmt.Fprintln(w, "  - "+terminalSafeLines(strings.TrimSpace(it)))
	}
}
