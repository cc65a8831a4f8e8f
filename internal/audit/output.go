package audit

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/iamdiag/iamdiag/internal/lint"
)

// MaxBaseline bounds the size of a baseline file.
const MaxBaseline = 256 << 20

// Baseline is the set of finding ids of a previous run.
type Baseline map[string]bool

// ReadBaseline reads a previous `iamdiag audit --format json` output (or
// the daemon's stored report, whose findings carry the same ids) and
// returns its finding ids.
func ReadBaseline(r io.Reader) (Baseline, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBaseline+1))
	if err != nil {
		return nil, fmt.Errorf("reading baseline: %w", err)
	}
	if len(data) > MaxBaseline {
		return nil, fmt.Errorf("reading baseline: larger than %d bytes", MaxBaseline)
	}
	var prev struct {
		Findings *[]struct {
			ID string `json:"id"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(data, &prev); err != nil {
		return nil, fmt.Errorf("reading baseline: not an audit JSON report: %w", err)
	}
	if prev.Findings == nil {
		return nil, errors.New("reading baseline: no \"findings\" list: give the JSON report of a previous audit")
	}
	b := Baseline{}
	for _, f := range *prev.Findings {
		if f.ID == "" {
			return nil, errors.New("reading baseline: a finding has no \"id\": give the JSON report of a previous audit")
		}
		b[f.ID] = true
	}
	return b, nil
}

// Since leaves in r only the findings whose ids are not in b, and records
// how many it left out.
func (r *Report) Since(b Baseline, file string) {
	kept := r.Findings[:0]
	known := 0
	for _, f := range r.Findings {
		if b[f.ID] {
			known++
			continue
		}
		kept = append(kept, f)
	}
	r.Findings = kept
	r.Baseline = &BaselineInfo{File: file, Known: known}
	r.recount()
}

// AtLeast leaves in r only the findings of severity min or above.
func (r *Report) AtLeast(min lint.Severity) {
	kept := r.Findings[:0]
	for _, f := range r.Findings {
		if f.Severity >= min {
			kept = append(kept, f)
		}
	}
	r.Findings = kept
	r.recount()
}

// Counts returns how many findings r has of each severity.
func (r *Report) Counts() (errs, warnings, infos int) {
	for _, f := range r.Findings {
		switch f.Severity {
		case lint.Error:
			errs++
		case lint.Warning:
			warnings++
		default:
			infos++
		}
	}
	return errs, warnings, infos
}

// JSON writes r as indented JSON. The findings are encoded one at a time,
// straight to w, so that an organization's hundreds of thousands of
// findings are never held twice in memory as one encoded document; the
// bytes are those of encoding r whole.
func JSON(w io.Writer, r *Report) error {
	if len(r.Findings) == 0 {
		return encodeIndented(w, r, "")
	}
	shell := *r
	shell.Findings = []Finding{}
	var head bytes.Buffer
	if err := encodeIndented(&head, &shell, ""); err != nil {
		return err
	}
	// The only `"findings": []` of the shell is its key: inside a string
	// value the quotes would be escaped.
	const empty = `"findings": []`
	before, after, ok := bytes.Cut(head.Bytes(), []byte(empty))
	if !ok {
		return errors.New("encoding the audit: no findings list in the report")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(before)
	bw.WriteString(`"findings": [` + "\n")
	var item bytes.Buffer
	for i := range r.Findings {
		item.Reset()
		item.WriteString("    ")
		if err := encodeIndented(&item, &r.Findings[i], "    "); err != nil {
			return err
		}
		b := bytes.TrimSuffix(item.Bytes(), []byte("\n"))
		if i < len(r.Findings)-1 {
			b = append(b, ',')
		}
		bw.Write(b)
		bw.WriteString("\n")
	}
	bw.WriteString("  ]")
	bw.Write(after)
	return bw.Flush()
}

// encodeIndented writes v as json.Encoder does with SetIndent(prefix, "  ")
// and no HTML escaping.
func encodeIndented(w io.Writer, v any, prefix string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent(prefix, "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Text writes r for a terminal: a summary, then one block per finding.
func Text(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	e, wn, in := r.Counts()
	ew.printf("audit of %s: %s, %s, %s\n", describe(r), count(r.Roles, "role"), count(r.Users, "user"), count(r.Policies, "policy"))
	ew.printf("%s: %s, %s, %d info", count(len(r.Findings), "finding"), count(e, "error"), count(wn, "warning"), in)
	if r.Baseline != nil {
		ew.printf(" (new since the baseline; %d known findings left out)", r.Baseline.Known)
	}
	ew.printf("\n")
	if sm := r.Summary; sm != nil {
		ew.printf("\nby account:\n")
		for _, a := range sm.Accounts {
			ew.printf("  %s: %s\n", accountLabel(a.Account, a.Name, a.OU), countsText(a.Counts))
			if a.Unreadable != "" {
				ew.printf("    not audited: %s\n", a.Unreadable)
			}
		}
		if sm.Organization.Findings > 0 {
			ew.printf("  organization policies (SCPs, RCPs): %s\n", countsText(sm.Organization))
		}
		ew.printf("by OU:\n")
		for _, o := range sm.OUs {
			ew.printf("  %s (%s): %s\n", cmp.Or(o.OU, "(not in the tree)"), count(o.Accounts, "account"), countsText(o.Counts))
		}
	}
	for _, f := range r.Findings {
		ew.printf("\n%s %s %s [%s]\n", strings.ToUpper(f.Severity.String()), f.Rule, f.Principal, f.ID)
		if f.Account != "" {
			ew.printf("  account: %s\n", accountLabel(f.Account, f.AccountName, f.OU))
		}
		if f.Policy != "" {
			loc := f.Policy
			if f.Statement != "" {
				loc += " statement " + f.Statement
			}
			ew.printf("  policy:  %s\n", loc)
		}
		if len(f.AttachedTo) > 1 {
			ew.printf("  applies: %s\n", strings.Join(f.AttachedTo, ", "))
		}
		ew.printf("  finding: %s\n", f.Message)
		ew.printf("  why:     %s\n", f.Why)
		ew.printf("  fix:     %s\n", f.Fix)
	}
	for _, wr := range r.Warnings {
		ew.printf("\nwarning: %s\n", wr)
	}
	return ew.err
}

// count writes n and the noun, in the plural unless n is 1.
func count(n int, noun string) string {
	switch {
	case n == 1:
		return "1 " + noun
	case strings.HasSuffix(noun, "y"):
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Markdown writes r as a Markdown document (for tickets and chat).
func Markdown(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	e, wn, in := r.Counts()
	ew.printf("# iamdiag audit: %s\n\n", mdEscape(describe(r)))
	ew.printf("%s, %s, %s. **%s**: %s, %s, %d info", count(r.Roles, "role"), count(r.Users, "user"), count(r.Policies, "policy"), count(len(r.Findings), "finding"), count(e, "error"), count(wn, "warning"), in)
	if r.Baseline != nil {
		ew.printf(" (new since the baseline; %d known findings left out)", r.Baseline.Known)
	}
	ew.printf(".\n")
	if sm := r.Summary; sm != nil {
		ew.printf("\n## Summary by account\n\n| account | name | OU | roles | users | error | warning | info | not audited |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, a := range sm.Accounts {
			ew.printf("| %s | %s | %s | %d | %d | %d | %d | %d | %s |\n", mdCode(a.Account), mdEscape(a.Name), mdEscape(a.OU), a.Roles, a.Users, a.Error, a.Warning, a.Info, mdEscape(a.Unreadable))
		}
		if o := sm.Organization; o.Findings > 0 {
			ew.printf("| (organization policies) | | | | | %d | %d | %d | |\n", o.Error, o.Warning, o.Info)
		}
		ew.printf("\n## Summary by OU\n\n| OU | accounts | error | warning | info |\n|---|---|---|---|---|\n")
		for _, o := range sm.OUs {
			ew.printf("| %s | %d | %d | %d | %d |\n", mdEscape(o.OU), o.Accounts, o.Error, o.Warning, o.Info)
		}
	}
	if len(r.Findings) > 0 {
		if r.Summary != nil {
			ew.printf("\n## Findings\n\n| severity | rule | account | principal | policy | statement | finding |\n|---|---|---|---|---|---|---|\n")
			for _, f := range r.Findings {
				ew.printf("| %s | %s | %s | %s | %s | %s | %s |\n", f.Severity, f.Rule, mdCode(f.Account), mdCode(f.Principal), mdCode(f.Policy), mdCode(f.Statement), mdEscape(f.Message))
			}
		} else {
			ew.printf("\n| severity | rule | principal | policy | statement | finding |\n|---|---|---|---|---|---|\n")
			for _, f := range r.Findings {
				ew.printf("| %s | %s | %s | %s | %s | %s |\n", f.Severity, f.Rule, mdCode(f.Principal), mdCode(f.Policy), mdCode(f.Statement), mdEscape(f.Message))
			}
		}
		for _, f := range r.Findings {
			ew.printf("\n## %s %s: %s\n\n", f.Rule, mdEscape(f.Severity.String()), mdEscape(f.Principal))
			ew.printf("- id: `%s`\n", f.ID)
			if f.Account != "" {
				ew.printf("- account: %s\n", mdEscape(accountLabel(f.Account, f.AccountName, f.OU)))
			}
			if f.Policy != "" {
				ew.printf("- policy: %s", mdCode(f.Policy))
				if f.Statement != "" {
					ew.printf(", statement %s", mdCode(f.Statement))
				}
				ew.printf("\n")
			}
			if len(f.AttachedTo) > 1 {
				ew.printf("- applies to: %s\n", mdEscape(strings.Join(f.AttachedTo, ", ")))
			}
			ew.printf("- finding: %s\n- why: %s\n- fix: %s\n", mdEscape(f.Message), mdEscape(f.Why), mdEscape(f.Fix))
		}
	}
	if len(r.Warnings) > 0 {
		ew.printf("\n## Warnings\n\n")
		for _, wr := range r.Warnings {
			ew.printf("- %s\n", mdEscape(wr))
		}
	}
	return ew.err
}

func describe(r *Report) string {
	s := r.Source
	if s == "" {
		s = "snapshot"
	}
	if r.Organization != "" {
		s += " (organization " + r.Organization
		if r.Summary != nil {
			s += fmt.Sprintf(", %d accounts", len(r.Summary.Accounts))
		}
		if r.CapturedAt != nil {
			s += ", captured " + r.CapturedAt.Format("2006-01-02T15:04:05Z")
		}
		s += ")"
	}
	if r.Account != "" {
		s += " (account " + r.Account
		if r.CapturedAt != nil {
			s += ", captured " + r.CapturedAt.Format("2006-01-02T15:04:05Z")
		}
		s += ")"
	}
	return s
}

// accountLabel names an account for people: "123456789012 (prod) in
// Root/Workloads".
func accountLabel(id, name, ou string) string {
	if name != "" {
		id += " (" + name + ")"
	}
	if ou != "" {
		id += " in " + ou
	}
	return id
}

func countsText(c Counts) string {
	return count(c.Findings, "finding") + ": " + count(c.Error, "error") + ", " + count(c.Warning, "warning") + ", " + strconv.Itoa(c.Info) + " info"
}

// mdEscape keeps text from breaking a Markdown table or turning into markup.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "`", "'")
	return r.Replace(s)
}

func mdCode(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.NewReplacer("`", "'", "|", `\|`, "\n", " ").Replace(s) + "`"
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}
