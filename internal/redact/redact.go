package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/report"
)

// Redaction for sharing (`iamdiag diagnose --redact`).
//
// Design: the Redactor works on the rendered bytes of a report, not on the
// Diagnosis data. Every byte a format writes passes through it, so a field
// added later (the fix, a Slack payload) cannot slip past a walker that does
// not know it, and error values, whose text is only reachable through
// Error(), are covered too. Rendering escapes some characters (Markdown's
// `\_`, JSON's `\u003c`), so the Redactor knows each syntax: JSON is
// redacted string by string (decoded, replaced, re-encoded, the layout
// kept), Markdown with its escaped forms recognised, text around ANSI colour
// codes. Before redacting, Redact learns every identifier of the Diagnosis
// from its JSON form, where nothing is escaped, so a name that appears alone
// ("role/MyRole (inline)", a session name in a message) is known even when
// the report shows it before, or without, the ARN it came from.
//
// What is replaced, each value by a stable placeholder (the same value, the
// same placeholder, within one Redactor):
//   - account ids: 12 digits, or 1234-5678-9012 as the console shows them,
//     alone or in ARNs, and any other account field of an ARN except "aws"
//     (AWS managed) and wildcards → ACCOUNT-n;
//   - from IAM and STS ARNs: role, user, group, instance profile names, the
//     session of an assumed role and the name of a federated user → ROLE-n,
//     USER-n, GROUP-n, INSTANCE-PROFILE-n, SESSION-n; the custom segments of
//     a path → PATH-n, keeping the segments AWS reserves (aws-reserved,
//     sso.amazonaws.com and its region, aws-service-role and the service
//     principal, service-role), which say what kind of role it is and name
//     nobody; service-linked role names (AWSServiceRoleForECS), which AWS
//     chooses, are kept unless they carry a custom suffix;
//   - the same names wherever else they appear as a whole token: bounded by
//     characters that are not letters, digits, '_' or '-', longest first, so
//     role "Admin" is not replaced inside "AdminRole" or "Admin-Team";
//   - access key ids (AKIA…, ASIA…) → ACCESS-KEY-n, and the other IAM unique
//     ids (AROA…, AIDA…) → UNIQUE-ID-n;
//   - IPv4 and IPv6 addresses → IP-n; e-mail addresses → EMAIL-n;
//   - Organizations ids: o-… → o-ORG-n, ou-… → ou-OU-n, r-… → r-ROOT-n, the
//     p-… id of a customer SCP or RCP in its ARN → p-POLICY-n; account names
//     of the organization levels → ACCOUNT-NAME-n.
//
// What is kept: AWS managed policy ARNs (account "aws", as
// arn:aws:iam::aws:policy/… and arn:aws:organizations::aws:policy/…/p-FullAWSAccess),
// service principals (ec2.amazonaws.com), action names and condition keys
// (ec2:RunInstances, aws:PrincipalTag/team), partitions, services and
// regions, customer managed policy names, statement ids and OU names. A
// policy name and a Sid are what the diagnosis is about: the reader needs
// them to follow the blocker and the fix, and they describe intent rather
// than identify a person, an account or a network; a path in a policy ARN is
// still redacted. Organizations ids are matched more loosely than AWS issues
// them (o- with 3 or more characters, not 10), because hand-written snapshots
// and documentation use short ones: a missed id is a leak, a false match only
// costs readability.
//
// Formats: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
// (names [\w+=,.@-], paths, unique id prefixes),
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_Parent.html
// (r-, ou- ids), https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html
// (o- ids), https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceLinkedRole.html
// (service-linked names and custom suffixes),
// https://docs.aws.amazon.com/singlesignon/latest/userguide/using-service-linked-roles.html
// and https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html
// (IAM Identity Center roles under /aws-reserved/sso.amazonaws.com/).

// Syntax is how a rendered report encodes its text, which decides how it is
// redacted.
type Syntax int

const (
	// SyntaxText is plain text; ANSI colour sequences are left intact.
	SyntaxText Syntax = iota
	// SyntaxJSON is one JSON document: every string and object key is
	// redacted, the rest of the bytes (layout, numbers) kept, except a
	// 12-digit number, which becomes the string of its account placeholder.
	SyntaxJSON
	// SyntaxMarkdown is Markdown as this package writes it: names are found
	// in code spans as they are and in running text with their escapes.
	SyntaxMarkdown
)

// Replacement is one entry of a redaction mapping: the placeholder a report
// shows and the value it hides.
type Replacement struct {
	// Placeholder is what the redacted report shows: "ACCOUNT-1".
	Placeholder string `json:"placeholder"`
	// Kind says what the value is: "account", "role", "user", "group",
	// "session", "instance-profile", "path", "access-key", "unique-id",
	// "ip", "email", "organization", "ou", "root", "policy-id",
	// "account-name".
	Kind string `json:"kind"`
	// Value is the original value.
	Value string `json:"value"`
}

// mappingFormat identifies a mapping file.
const mappingFormat = "iamdiag-redaction-map/v1"

// maxMappingSize bounds a mapping file read back.
const maxMappingSize = 16 << 20

const (
	kindAccount         = "account"
	kindAccountName     = "account-name"
	kindRole            = "role"
	kindUser            = "user"
	kindGroup           = "group"
	kindSession         = "session"
	kindInstanceProfile = "instance-profile"
	kindPath            = "path"
	kindAccessKey       = "access-key"
	kindUniqueID        = "unique-id"
	kindIP              = "ip"
	kindEmail           = "email"
	kindOrg             = "organization"
	kindOU              = "ou"
	kindRoot            = "root"
	kindPolicyID        = "policy-id"
)

// placeholderPrefix is the placeholder of each kind, before its number.
var placeholderPrefix = map[string]string{
	kindAccount:         "ACCOUNT-",
	kindAccountName:     "ACCOUNT-NAME-",
	kindRole:            "ROLE-",
	kindUser:            "USER-",
	kindGroup:           "GROUP-",
	kindSession:         "SESSION-",
	kindInstanceProfile: "INSTANCE-PROFILE-",
	kindPath:            "PATH-",
	kindAccessKey:       "ACCESS-KEY-",
	kindUniqueID:        "UNIQUE-ID-",
	kindIP:              "IP-",
	kindEmail:           "EMAIL-",
	kindOrg:             "o-ORG-",
	kindOU:              "ou-OU-",
	kindRoot:            "r-ROOT-",
	kindPolicyID:        "p-POLICY-",
}

// errInvalidJSON is returned when SyntaxJSON output is not valid JSON: it is
// not redacted, rather than guessed at.
var errInvalidJSON = errors.New("not valid JSON")

// Redactor replaces identifiers in reports with stable placeholders and
// remembers the mapping. The zero value is ready to use; one Redactor per
// report keeps placeholders stable across everything it redacts. It is safe
// for concurrent use.
type Redactor struct {
	mu       sync.Mutex
	byValue  map[string]string // original (and escaped forms) → placeholder
	entries  []Replacement
	count    map[string]int
	literals []literal
	index    map[byte][]literal // by first byte, longest first
}

// literal is a known value, or an escaped form of it, and its placeholder.
type literal struct{ text, placeholder string }

// Redact learns the identifiers of d, renders d with render, and writes the
// rendered bytes redacted for syntax to w. Nothing is written when rendering
// or redaction fails.
func (r *Redactor) Redact(w io.Writer, d *report.Diagnosis, syntax Syntax, render func(io.Writer) error) error {
	r.Learn(d)
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	out, err := r.Bytes(buf.Bytes(), syntax)
	if err != nil {
		return err
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("writing redacted report: %w", err)
	}
	return nil
}

// Learn records the identifiers of d as its JSON report shows them
// (organization account names included), assigning their placeholders in
// the order the JSON report shows them.
func (r *Redactor) Learn(d *report.Diagnosis) {
	if d == nil || d.Result == nil {
		return
	}
	var b bytes.Buffer
	if report.JSON(&b, d) == nil {
		// A rendered JSON report is valid JSON: learning cannot fail.
		_ = r.learnJSON(b.Bytes())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.init()
	if in := d.Input; in != nil {
		r.scan(in.Principal.ARN, false, nil)
		r.scan(in.Resource, false, nil)
	}
}

// Bytes redacts b, a rendered report of the given syntax.
func (r *Redactor) Bytes(b []byte, syntax Syntax) ([]byte, error) {
	switch syntax {
	case SyntaxJSON:
		if err := r.learnJSON(b); err != nil {
			return nil, err
		}
		return r.rewriteJSON(b), nil
	case SyntaxMarkdown:
		return []byte(r.text(string(b), true)), nil
	}
	return []byte(r.String(string(b))), nil
}

// String redacts plain text s: it learns the names in the ARNs of s first,
// so that a name appearing alone before its ARN is replaced too.
func (r *Redactor) String(s string) string {
	return r.text(s, false)
}

// ansiRe matches the colour sequences the text report writes.
var ansiRe = regexp.MustCompile("\x1b\\[[0-9;]*m")

// text redacts s around ANSI sequences, as Markdown when md is set.
func (r *Redactor) text(s string, md bool) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.init()
	var pieces []string
	last := 0
	for _, m := range ansiRe.FindAllStringIndex(s, -1) {
		pieces = append(pieces, s[last:m[0]], s[m[0]:m[1]])
		last = m[1]
	}
	pieces = append(pieces, s[last:])
	for i := 0; i < len(pieces); i += 2 {
		r.scan(pieces[i], md, nil)
	}
	var out strings.Builder
	out.Grow(len(s))
	for i, p := range pieces {
		if i%2 == 1 {
			out.WriteString(p)
			continue
		}
		r.scan(p, md, &out)
	}
	return out.String()
}

// Mapping returns every replacement assigned so far, in the order the
// placeholders were assigned.
func (r *Redactor) Mapping() []Replacement {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Replacement(nil), r.entries...)
}

// mappingFile is the JSON form of a mapping.
type mappingFile struct {
	Format       string        `json:"format"`
	Replacements []Replacement `json:"replacements"`
}

// WriteMapping writes the mapping as indented JSON, for the person who owns
// the account: it holds every original value, so it belongs in a private
// file, never next to the report.
func (r *Redactor) WriteMapping(w io.Writer) error {
	m := mappingFile{Format: mappingFormat, Replacements: r.Mapping()}
	if m.Replacements == nil {
		m.Replacements = []Replacement{}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("writing redaction mapping: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("writing redaction mapping: %w", err)
	}
	return nil
}

// ReadMapping reads a mapping written by WriteMapping.
func ReadMapping(rd io.Reader) ([]Replacement, error) {
	b, err := io.ReadAll(io.LimitReader(rd, maxMappingSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading redaction mapping: %w", err)
	}
	if len(b) > maxMappingSize {
		return nil, fmt.Errorf("reading redaction mapping: larger than %d bytes", maxMappingSize)
	}
	var m mappingFile
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading redaction mapping: %w", err)
	}
	if m.Format != mappingFormat {
		return nil, fmt.Errorf("reading redaction mapping: format %q, want %q", m.Format, mappingFormat)
	}
	seen := map[string]bool{}
	for _, e := range m.Replacements {
		if e.Placeholder == "" || seen[e.Placeholder] {
			return nil, fmt.Errorf("reading redaction mapping: empty or repeated placeholder %q", e.Placeholder)
		}
		seen[e.Placeholder] = true
	}
	return m.Replacements, nil
}

// Restore puts the original values of m back into a redacted text. It is
// exact for text and JSON reports; in Markdown running text, a value that
// Markdown escapes comes back unescaped, and an account id written with
// dashes comes back without them.
func Restore(s string, m []Replacement) string {
	ps := append([]Replacement(nil), m...)
	// Longest placeholder first: ACCOUNT-10 before ACCOUNT-1.
	sort.SliceStable(ps, func(i, j int) bool { return len(ps[i].Placeholder) > len(ps[j].Placeholder) })
	args := make([]string, 0, 2*len(ps))
	for _, e := range ps {
		args = append(args, e.Placeholder, e.Value)
	}
	return strings.NewReplacer(args...).Replace(s)
}

func (r *Redactor) init() {
	if r.byValue == nil {
		r.byValue = map[string]string{}
		r.count = map[string]int{}
	}
}

// assign returns the placeholder of value, giving it the next one of kind
// when it has none. Called with r.mu held.
func (r *Redactor) assign(kind, value string) string {
	if p, ok := r.byValue[value]; ok {
		return p
	}
	r.count[kind]++
	p := placeholderPrefix[kind] + strconv.Itoa(r.count[kind])
	r.byValue[value] = p
	r.entries = append(r.entries, Replacement{Placeholder: p, Kind: kind, Value: value})
	if byShape[kind] && (kind != kindAccount || policy.IsAccountID(value)) {
		// Found by its shape wherever it is, with the boundaries of its
		// shape ("123456789012.5" is not an account).
		return p
	}
	r.literals = append(r.literals, literal{value, p})
	if esc := report.EscapeMarkdown(value); esc != value {
		r.byValue[esc] = p
		r.literals = append(r.literals, literal{esc, p})
	}
	r.index = nil
	return p
}

// byShape are the kinds found by their pattern, not as known values.
var byShape = map[string]bool{
	kindAccount: true, kindIP: true, kindAccessKey: true, kindUniqueID: true,
	kindOrg: true, kindOU: true, kindRoot: true,
}

// lookup returns the literals that start with c, longest first.
func (r *Redactor) lookup(c byte) []literal {
	if r.index == nil {
		r.index = map[byte][]literal{}
		for _, l := range r.literals {
			r.index[l.text[0]] = append(r.index[l.text[0]], l)
		}
		for _, ls := range r.index {
			sort.SliceStable(ls, func(i, j int) bool { return len(ls[i].text) > len(ls[j].text) })
		}
	}
	return r.index[c]
}

// scan redacts s into out, or only learns its identifiers when out is nil.
// At each position it tries, in order: an ARN (redacted part by part), an
// AWS name that is kept (action, condition key, service principal), a known
// value, then the patterns of values recognised by their shape. Called with
// r.mu held.
func (r *Redactor) scan(s string, md bool, out *strings.Builder) {
	for i := 0; i < len(s); {
		n, repl := r.matchAt(s, i, md)
		if n > 0 {
			if out != nil {
				out.WriteString(repl)
			}
			i += n
			continue
		}
		if out != nil {
			out.WriteByte(s[i])
		}
		i++
	}
}

// matchAt returns the length of the match at s[i:] and its replacement, or
// 0.
func (r *Redactor) matchAt(s string, i int, md bool) (int, string) {
	c := s[i]
	var prev byte
	if i > 0 {
		prev = s[i-1]
	}
	rest := s[i:]
	if c == 'a' && !isAlnum(prev) && strings.HasPrefix(rest, "arn:") {
		if n, repl := r.arn(rest, md); n > 0 {
			return n, repl
		}
	}
	if c >= 'a' && c <= 'z' && !isWord(prev) && maybeKept(rest) {
		if m := keptRe.FindString(rest); m != "" && r.kept(m) {
			return len(m), m
		}
	}
	// An e-mail address before the names: a session "jane" must not split
	// jane@example.com.
	if n, repl := r.email(rest, prev); n > 0 {
		return n, repl
	}
	if !isWord(prev) {
		for _, l := range r.lookup(c) {
			if strings.HasPrefix(rest, l.text) && endsToken(rest, len(l.text), md) {
				return len(l.text), l.placeholder
			}
		}
	}
	return r.pattern(rest, prev)
}

// endsToken reports whether a token of s ends at n: the next byte does not
// continue a name, nor does an escaped one in Markdown ("app\_x").
func endsToken(s string, n int, md bool) bool {
	if n == len(s) {
		return true
	}
	if md && s[n] == '\\' && n+1 < len(s) && isWord(s[n+1]) {
		return false
	}
	return !isWord(s[n]) && s[n] != '@'
}

// kept reports whether a name shaped as an action or condition key is kept.
// When its service prefix is a known value ("jane:x" after a session named
// jane), only an action or key name starting with a capital is kept
// (ec2:RunInstances, after a role named ec2).
func (r *Redactor) kept(m string) bool {
	svc, name, ok := strings.Cut(m, ":")
	if !ok {
		return true
	}
	if _, found := r.byValue[svc]; !found {
		return true
	}
	return name != "" && name[0] >= 'A' && name[0] <= 'Z'
}

// email matches an e-mail address at the start of s; prev is the byte
// before s.
func (r *Redactor) email(s string, prev byte) (int, string) {
	c := s[0]
	if strings.IndexByte("._%+-", prev) >= 0 || isAlnum(prev) || !(isAlnum(c) || strings.IndexByte("._%+-", c) >= 0) {
		return 0, ""
	}
	// Cheap test first: the local part's characters, then '@'.
	j := 0
	for j < len(s) && (isAlnum(s[j]) || strings.IndexByte("._%+-", s[j]) >= 0) {
		j++
	}
	if j == len(s) || s[j] != '@' {
		return 0, ""
	}
	m := emailRe.FindString(s)
	if n := len(m); m == "" || (n < len(s) && (isWord(s[n]) || s[n] == '@')) || (n+1 < len(s) && s[n] == '.' && isAlnum(s[n+1])) {
		return 0, ""
	}
	return len(m), r.assign(kindEmail, m)
}

// maybeKept is a cheap test before keptRe: a service prefix followed by ':',
// or a host name holding ".amazonaws.com".
func maybeKept(s string) bool {
	j := 0
	for j < len(s) && (isAlnum(s[j]) || s[j] == '-' || s[j] == '.') {
		j++
	}
	return (j < len(s) && s[j] == ':') || strings.Contains(s[:j], ".amazonaws.com")
}

// keptRe matches what is kept as it is: a service principal, or an action
// name or condition key (service:Name, and /tag-key after a *Tag key).
var keptRe = regexp.MustCompile(`^(?:[a-z0-9][a-z0-9.-]*\.amazonaws\.com(?:\.cn)?|[a-z][a-z0-9-]*:[A-Za-z*?][A-Za-z0-9_.*?-]*(?:Tag/[A-Za-z0-9_.:/=+@*?${}-]*[A-Za-z0-9_*?}])?)`)

var (
	keyIDRe = regexp.MustCompile(`^(?:AKIA|ASIA|AROA|AIDA|AGPA|AIPA|ANPA|ANVA|APKA|ASCA|ACCA|ABIA)[A-Z0-9]{12,124}`)
	emailRe = regexp.MustCompile(`^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	acctRe  = regexp.MustCompile(`^(?:\d{12}|\d{4}-\d{4}-\d{4})`)
	ipv4Re  = regexp.MustCompile(`^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}`)
	ipv6Re  = regexp.MustCompile(`^[0-9A-Fa-f:.]+`)
	ouRe    = regexp.MustCompile(`^ou-[a-z0-9]{4,32}-[a-z0-9]{3,32}`)
	orgRe   = regexp.MustCompile(`^o-[a-z0-9]{3,32}`)
	rootRe  = regexp.MustCompile(`^r-[a-z0-9]{4,32}`)
)

// pattern matches the values recognised by their shape at the start of s;
// prev is the byte before s (0 at the start).
func (r *Redactor) pattern(s string, prev byte) (int, string) {
	c := s[0]
	after := func(n int) byte {
		if n < len(s) {
			return s[n]
		}
		return 0
	}
	switch {
	case c >= 'A' && c <= 'Z' && !isAlnum(prev):
		if m := keyIDRe.FindString(s); m != "" && !isAlnum(after(len(m))) {
			kind := kindUniqueID
			if strings.HasPrefix(m, "AKIA") || strings.HasPrefix(m, "ASIA") {
				kind = kindAccessKey
			}
			return len(m), r.assign(kind, m)
		}
	case c == 'o' && !isWord(prev):
		for _, re := range []*regexp.Regexp{ouRe, orgRe} {
			if m := re.FindString(s); m != "" && !isWord(after(len(m))) {
				kind := kindOrg
				if re == ouRe {
					kind = kindOU
				}
				return len(m), r.assign(kind, m)
			}
		}
	case c == 'r' && !isWord(prev):
		if m := rootRe.FindString(s); m != "" && !isWord(after(len(m))) {
			return len(m), r.assign(kindRoot, m)
		}
	}
	if isHex(c) || c == ':' {
		if n, repl := r.ipv6(s, prev); n > 0 {
			return n, repl
		}
	}
	if c >= '0' && c <= '9' && !isAlnum(prev) {
		if m := ipv4Re.FindString(s); m != "" && prev != '.' && !isWord(prev) && !isAlnum(after(len(m))) && !(after(len(m)) == '.' && isDigit(after(len(m)+1))) {
			if a, err := netip.ParseAddr(m); err == nil && a.Is4() {
				return len(m), r.assign(kindIP, a.String())
			}
		}
		if m := acctRe.FindString(s); m != "" && !isAlnum(after(len(m))) && !((after(len(m)) == '-' || after(len(m)) == '.') && isDigit(after(len(m)+1))) {
			return len(m), r.assign(kindAccount, strings.ReplaceAll(m, "-", ""))
		}
	}
	return 0, ""
}

// ipv6 matches an IPv6 address at the start of s.
func (r *Redactor) ipv6(s string, prev byte) (int, string) {
	if isWord(prev) || prev == ':' || prev == '.' {
		return 0, ""
	}
	m := ipv6Re.FindString(s)
	m = strings.TrimRight(m, ".")
	if strings.Count(m, ":") < 2 || len(m) < 3 {
		return 0, ""
	}
	if n := len(m); n < len(s) && isAlnum(s[n]) {
		return 0, ""
	}
	a, err := netip.ParseAddr(m)
	if err != nil || !a.Is6() {
		return 0, ""
	}
	return len(m), r.assign(kindIP, a.String())
}

// arnRe matches an ARN: partition, service, region, account, resource. The
// resource runs to a space, a quote or a bracket; it may hold backslashes
// (Markdown escapes) and policy variables (${aws:username}).
var arnRe = regexp.MustCompile("^arn:(aws(?:-[a-z]+)*):([a-z0-9*?-]*):([a-z0-9*?-]*):([^:\\s\"'`<>()\\[\\]{}|\\\\,;]*):([^\\s\"'`<>()\\[\\]|]*)")

// arn redacts the ARN at the start of s, returning its length and its
// redacted form, or 0 when s does not start with one.
func (r *Redactor) arn(s string, md bool) (int, string) {
	m := arnRe.FindStringSubmatch(s)
	if m == nil {
		return 0, ""
	}
	partition, service, region, account, resource := m[1], m[2], m[3], m[4], m[5]
	// Trailing punctuation ends the sentence, not the ARN.
	trimmed := strings.TrimRight(resource, ".,;:")
	if !strings.Contains(trimmed, "${") {
		trimmed = strings.TrimRight(trimmed, "}.,;:")
	}
	n := len(m[0]) - (len(resource) - len(trimmed))
	resource = trimmed
	if account == "aws" {
		// AWS managed (arn:aws:iam::aws:policy/…): names nobody.
		return n, s[:n]
	}
	var b strings.Builder
	b.WriteString("arn:" + partition + ":" + service + ":" + region + ":")
	switch {
	case account == "" || strings.Trim(account, "*?") == "" || isPlaceholder(account):
		b.WriteString(account)
	default:
		v := unescape(account, md)
		if acctRe.MatchString(v) && len(v) <= 14 {
			v = strings.ReplaceAll(v, "-", "")
		}
		b.WriteString(r.assign(kindAccount, v))
	}
	b.WriteString(":")
	b.WriteString(r.arnResource(service, resource, md))
	return n, b.String()
}

// nameKinds are the IAM resource types whose last segment is a name to
// redact, the segments between being the path.
var nameKinds = map[string]string{
	"role":             kindRole,
	"user":             kindUser,
	"group":            kindGroup,
	"instance-profile": kindInstanceProfile,
}

// arnResource redacts the resource part of an ARN of service.
func (r *Redactor) arnResource(service, resource string, md bool) string {
	typ, rest, hasSlash := strings.Cut(resource, "/")
	switch {
	case service == "iam" && hasSlash && (nameKinds[typ] != "" || typ == "policy"):
		segs := strings.Split(rest, "/")
		for i := range segs[:len(segs)-1] {
			segs[i] = r.pathSegment(segs[i], md)
		}
		last := len(segs) - 1
		if typ == "policy" {
			// Customer managed policy names are kept (see the package
			// comment), unless they are a known value.
			segs[last] = r.free(segs[last], md)
		} else {
			segs[last] = r.name(nameKinds[typ], segs[last], md)
		}
		return typ + "/" + strings.Join(segs, "/")
	case service == "sts" && hasSlash && typ == "assumed-role":
		segs := strings.Split(rest, "/")
		segs[0] = r.name(kindRole, segs[0], md)
		for i := 1; i < len(segs); i++ {
			segs[i] = r.name(kindSession, segs[i], md)
		}
		return typ + "/" + strings.Join(segs, "/")
	case service == "sts" && hasSlash && typ == "federated-user":
		return typ + "/" + r.name(kindUser, rest, md)
	case service == "organizations":
		segs := strings.Split(resource, "/")
		for i, seg := range segs {
			v := unescape(seg, md)
			switch {
			case isPlaceholder(v):
			case strings.HasPrefix(v, "p-") && len(v) > 2:
				segs[i] = r.assign(kindPolicyID, v)
			default:
				segs[i] = r.free(seg, md)
			}
		}
		return strings.Join(segs, "/")
	}
	return r.free(resource, md)
}

// free redacts a part of an ARN with the known values and patterns.
func (r *Redactor) free(s string, md bool) string {
	var b strings.Builder
	r.scan(s, md, &b)
	return b.String()
}

// name redacts the name of an IAM or STS entity.
func (r *Redactor) name(kind, seg string, md bool) string {
	v := unescape(seg, md)
	switch {
	case v == "" || strings.Trim(v, "*?") == "" || strings.Contains(v, "${") || isPlaceholder(v):
		return seg
	case kind == kindRole && serviceLinkedRe.MatchString(v):
		return seg
	}
	return r.assign(kind, v)
}

// serviceLinkedRe matches a service-linked role name AWS chose, without a
// custom suffix (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceLinkedRole.html).
var serviceLinkedRe = regexp.MustCompile(`^AWSServiceRoleFor[A-Za-z0-9]+$`)

// regionRe matches a region name in an IAM Identity Center role path.
var regionRe = regexp.MustCompile(`^[a-z]{2}(?:-[a-z]+)+-\d+$`)

// pathSegment redacts a segment of an IAM path, keeping AWS's own.
func (r *Redactor) pathSegment(seg string, md bool) string {
	v := unescape(seg, md)
	switch {
	case v == "" || v == "aws-reserved" || v == "aws-service-role" || v == "service-role",
		strings.HasSuffix(v, ".amazonaws.com") || strings.HasSuffix(v, ".amazonaws.com.cn"),
		regionRe.MatchString(v), strings.Trim(v, "*?") == "", isPlaceholder(v):
		return seg
	}
	return r.assign(kindPath, v)
}

// learnJSON assigns placeholders to the identifiers in the strings of b.
func (r *Redactor) learnJSON(b []byte) error {
	if !json.Valid(b) {
		return fmt.Errorf("redacting JSON output: %w", errInvalidJSON)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.init()
	walkJSON(b, func(s string) { r.scan(s, false, nil) }, func(num string) {
		if policy.IsAccountID(num) {
			r.assign(kindAccount, num)
		}
	})
	var doc any
	if json.Unmarshal(b, &doc) == nil {
		r.learnAccountNames(doc)
	}
	return nil
}

// learnAccountNames assigns placeholders to the names of organization
// accounts in a decoded JSON document: the objects with "type": "ACCOUNT"
// and a "name" (a snapshot's nodes, a report's levels). Called with r.mu
// held.
func (r *Redactor) learnAccountNames(v any) {
	switch v := v.(type) {
	case map[string]any:
		if v["type"] == "ACCOUNT" {
			if n, ok := v["name"].(string); ok && n != "" && !isPlaceholder(n) {
				r.assign(kindAccountName, n)
			}
		}
		for _, e := range v {
			r.learnAccountNames(e)
		}
	case []any:
		for _, e := range v {
			r.learnAccountNames(e)
		}
	}
}

// rewriteJSON redacts the strings of b, a valid JSON document, keeping its
// layout: an unchanged string keeps its bytes.
func (r *Redactor) rewriteJSON(b []byte) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]byte, 0, len(b))
	i := 0
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			end := stringEnd(b, i)
			s, ok := jsonString(b[i:end])
			if !ok {
				out = append(out, b[i:end]...)
				i = end
				continue
			}
			var sb strings.Builder
			r.scan(s, false, &sb)
			if red := sb.String(); red != s {
				enc, _ := json.Marshal(red)
				out = append(out, enc...)
			} else {
				out = append(out, b[i:end]...)
			}
			i = end
		case c == '-' || isDigit(c):
			end := numberEnd(b, i)
			if num := string(b[i:end]); policy.IsAccountID(num) {
				enc, _ := json.Marshal(r.assign(kindAccount, num))
				out = append(out, enc...)
			} else {
				out = append(out, b[i:end]...)
			}
			i = end
		default:
			out = append(out, c)
			i++
		}
	}
	return out
}

// walkJSON calls str with every decoded string of b (keys included) and num
// with every number token; b must be valid JSON.
func walkJSON(b []byte, str func(string), num func(string)) {
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == '"':
			end := stringEnd(b, i)
			if s, ok := jsonString(b[i:end]); ok {
				str(s)
			}
			i = end
		case c == '-' || isDigit(c):
			end := numberEnd(b, i)
			num(string(b[i:end]))
			i = end
		default:
			i++
		}
	}
}

// jsonString decodes a JSON string token of a valid document; one without
// escapes is its bytes between the quotes.
func jsonString(tok []byte) (string, bool) {
	if len(tok) >= 2 && bytes.IndexByte(tok, '\\') < 0 {
		return string(tok[1 : len(tok)-1]), true
	}
	var s string
	err := json.Unmarshal(tok, &s)
	return s, err == nil
}

// stringEnd returns the index after the JSON string starting at b[i].
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// numberEnd returns the index after the JSON number starting at b[i].
func numberEnd(b []byte, i int) int {
	j := i
	for j < len(b) && strings.IndexByte("+-.eE0123456789", b[j]) >= 0 {
		j++
	}
	return j
}

// placeholderRe matches the placeholders a Redactor writes, so that
// redacting twice changes nothing.
var placeholderRe = regexp.MustCompile(`^(?:[a-z]{1,2}-)?[A-Z]+(?:-[A-Z]+)*-\d+$`)

func isPlaceholder(s string) bool { return placeholderRe.MatchString(s) }

// unescape removes Markdown's backslash escapes from s when md is set.
func unescape(s string, md bool) string {
	if !md || !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && isPunct(s[i+1]) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// isWord reports whether c continues a name token: letters, digits, '_',
// '-', and any byte of a multi-byte UTF-8 character.
func isWord(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

func isPunct(c byte) bool {
	return c > ' ' && c < 0x7f && !isAlnum(c)
}
