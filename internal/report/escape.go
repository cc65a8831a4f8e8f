package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// TerminalSafe returns s with every character a terminal would act on
// instead of showing written as an escape (`\x1b`, `\u202e`): C0 controls
// but the tab (ESC starts colour and cursor sequences, CR rewrites the
// line, a newline would forge one), DEL, C1 controls, bytes that are not
// UTF-8 (an 8-bit terminal reads 0x9b as CSI), and the bidirectional
// overrides and isolates (U+202A–U+202E, U+2066–U+2069, and the marks
// U+200E, U+200F, U+061C) that make text read other than it is. Principal
// ARNs, session names, actions and resources come from the input: the text
// report and the CLI's errors show them through TerminalSafe.
func TerminalSafe(s string) string {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if terminalControl(r, size) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case !terminalControl(r, size):
			b.WriteString(s[i : i+size])
		case r == utf8.RuneError:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// terminalControl reports whether the rune r, read from size bytes, is one
// TerminalSafe escapes.
func terminalControl(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		return true
	case r < 0x20:
		return r != '\t'
	case r == 0x7f, 0x80 <= r && r <= 0x9f:
		return true
	case 0x202a <= r && r <= 0x202e, 0x2066 <= r && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// terminalSafeLines is TerminalSafe for text of several lines: each line
// escaped, the newlines kept.
func terminalSafeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = TerminalSafe(l)
	}
	return strings.Join(lines, "\n")
}
