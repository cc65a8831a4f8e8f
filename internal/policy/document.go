package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The two policy language versions
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).
// Policy variables exist only in 2012-10-17; a document without a Version is
// read with 2008-10-17 rules.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// MaxDocumentSize bounds the input of Parse. AWS's own limits are far lower
// (6,144 characters for a managed policy, 20 KiB for a bucket policy), so
// anything larger is not a policy.
const MaxDocumentSize = 1 << 20

// maxDepth bounds JSON nesting: a valid policy nests five levels deep
// (document, Statement list, statement, Condition, operator, values).
const maxDepth = 16

// ParseError says what is wrong in a policy document and where.
type ParseError struct {
	// Offset is the byte offset of the offending value in the input, -1 when
	// the error is not tied to a position.
	Offset int64
	// Line and Column (1-based, column in bytes) locate Offset; 0 when
	// unknown.
	Line, Column int
	// Statement is the 1-based index of the statement involved, 0 for the
	// document itself.
	Statement int
	// Sid is the statement's Sid, when it has one.
	Sid string
	// Field names the element, e.g. "Effect" or "Condition.StringEquals".
	Field string
	// Msg says what is wrong.
	Msg string
	// Err is the underlying error (e.g. a *json.SyntaxError), if any.
	Err error
}

// Error returns e.g. `statement #2 (Sid "X"): Effect must be "Allow" or
// "Deny", got "allow" (line 5, column 17)`.
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Statement > 0 {
		b.WriteString("statement #")
		b.WriteString(strconv.Itoa(e.Statement))
		if e.Sid != "" {
			b.WriteString(" (Sid ")
			b.WriteString(strconv.Quote(e.Sid))
			b.WriteString(")")
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d, column %d)", e.Line, e.Column)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// ParseEncoded parses a policy document as the IAM API returns it: URL-encoded
// (RFC 3986) when it starts with "%7B", plain JSON otherwise
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyVersion.html:
// "The policy document returned in this structure is URL-encoded compliant with
// RFC 3986").
func ParseEncoded(s string) (*Document, error) {
	t := strings.TrimSpace(s)
	if len(t) >= 3 && strings.EqualFold(t[:3], "%7B") {
		if len(t) > 3*MaxDocumentSize {
			return nil, &ParseError{Offset: -1, Msg: fmt.Sprintf("policy document is larger than %d bytes", MaxDocumentSize)}
		}
		dec, err := urlDecode(t)
		if err != nil {
			return nil, &ParseError{Offset: -1, Msg: "decoding URL-encoded policy document: " + err.Error(), Err: err}
		}
		return Parse([]byte(dec))
	}
	return Parse([]byte(s))
}

// urlDecode decodes a URL-encoded document. RFC 3986 encoding, as the IAM
// API writes it, escapes every byte but the unreserved ones (a space is
// %20, a '+' is %2B), and encoders that leave some bytes as they are (Go's
// url.PathEscape) keep a '+' literal: PathUnescape decodes both. Form
// encoding (application/x-www-form-urlencoded: Python's quote_plus, Java's
// URLEncoder, Ruby's encode_www_form_component, as some tools export
// documents) writes a space as '+', never as %20, and escapes every ':'
// (which any JSON object holds): such a document is decoded with
// QueryUnescape, a literal '+' being %2B there.
func urlDecode(t string) (string, error) {
	if strings.Contains(t, "+") && !strings.Contains(t, "%20") && !strings.Contains(t, ":") {
		return url.QueryUnescape(t)
	}
	return url.PathUnescape(t)
}

// Parse parses a JSON policy document: Version 2012-10-17, 2008-10-17 or
// absent; Statement as one object or a list; Action, Resource and their Not
// forms as a string or a list; Principal as "*" or an object of principal
// types; Condition as operator → key → value(s). It rejects what IAM rejects:
// invalid JSON, unknown elements, duplicate keys, an Effect other than
// "Allow"/"Deny", both Action and NotAction (or neither), both Resource and
// NotResource, empty lists, and input larger than MaxDocumentSize. The error
// is a *ParseError.
//
// A statement may omit both Resource and NotResource: role trust policies do
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy);
// Evaluate reports the omission for the kinds of policy that need a Resource.
func Parse(data []byte) (*Document, error) {
	if len(data) > MaxDocumentSize {
		return nil, &ParseError{Offset: -1, Msg: fmt.Sprintf("policy document is larger than %d bytes", MaxDocumentSize)}
	}
	// A UTF-8 byte order mark, as some editors write, is not JSON; skip it.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	p := &parser{data: data}
	root, err := p.tree()
	if err != nil {
		return nil, err
	}
	doc, perr := p.document(root)
	if perr != nil {
		return nil, perr
	}
	return doc, nil
}

// jnode is a JSON value with the offset where it starts.
type jnode struct {
	kind    jkind
	off     int64
	str     string // string value, number text, "true"/"false"
	members []jmember
	elems   []*jnode
}

type jmember struct {
	key string
	off int64
	val *jnode
}

type jkind uint8

const (
	jString jkind = iota + 1
	jNumber
	jBool
	jNull
	jObject
	jArray
)

func (k jkind) String() string {
	switch k {
	case jString:
		return "a string"
	case jNumber:
		return "a number"
	case jBool:
		return "a boolean"
	case jNull:
		return "null"
	case jObject:
		return "an object"
	default:
		return "a list"
	}
}

type parser struct {
	data []byte
	dec  *json.Decoder
	// stmt and sid label errors inside a statement.
	stmt int
	sid  string
}

func (p *parser) errAt(off int64, field, format string, args ...any) *ParseError {
	e := &ParseError{Offset: off, Statement: p.stmt, Sid: p.sid, Field: field, Msg: fmt.Sprintf(format, args...)}
	if off >= 0 && off <= int64(len(p.data)) {
		e.Line, e.Column = lineColumn(p.data, off)
	}
	return e
}

func lineColumn(data []byte, off int64) (line, col int) {
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// tree reads the whole input into a jnode tree, rejecting invalid JSON,
// duplicate keys and trailing data.
func (p *parser) tree() (*jnode, error) {
	if bytes.HasPrefix(bytes.TrimSpace(p.data), []byte("%7B")) || bytes.HasPrefix(bytes.TrimSpace(p.data), []byte("%7b")) {
		return nil, p.errAt(0, "", "policy document is URL-encoded (as the IAM API returns it); decode it first")
	}
	if root, ok := fastTree(p.data); ok {
		return root, nil
	}
	p.dec = json.NewDecoder(bytes.NewReader(p.data))
	p.dec.UseNumber()
	root, err := p.value(0, roleRoot)
	if err != nil {
		return nil, err
	}
	off := p.start()
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, p.errAt(off, "", "unexpected data after the policy document")
	}
	return root, nil
}

// start returns the offset where the next token begins: the decoder's offset
// past whitespace and the separators it consumes lazily.
func (p *parser) start() int64 {
	off := p.dec.InputOffset()
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (p *parser) token() (json.Token, int64, error) {
	off := p.start()
	tok, err := p.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, se.Offset, &ParseError{Offset: se.Offset, Msg: "invalid JSON: " + se.Error(), Err: err}
		case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
			e := p.errAt(int64(len(p.data)), "", "invalid JSON: unexpected end of input")
			e.Err = io.ErrUnexpectedEOF
			return nil, off, e
		default:
			return nil, off, &ParseError{Offset: off, Msg: "invalid JSON: " + err.Error(), Err: err}
		}
	}
	return tok, off, nil
}

func (p *parser) fixPos(err error) error {
	var pe *ParseError
	if errors.As(err, &pe) && pe.Line == 0 && pe.Offset >= 0 && pe.Offset <= int64(len(p.data)) {
		pe.Line, pe.Column = lineColumn(p.data, pe.Offset)
	}
	return err
}

// Roles of a JSON value in the tree, so that structural errors met while
// reading it (duplicate keys) can name their statement.
const (
	roleOther      = 0
	roleRoot       = -1
	roleStatements = -2 // the value of the Statement element
	// A positive role is the 1-based index of a statement object.
)

func (p *parser) value(depth, role int) (*jnode, error) {
	tok, off, err := p.token()
	if err != nil {
		return nil, p.fixPos(err)
	}
	switch t := tok.(type) {
	case string:
		return &jnode{kind: jString, off: off, str: t}, nil
	case json.Number:
		return &jnode{kind: jNumber, off: off, str: string(t)}, nil
	case bool:
		return &jnode{kind: jBool, off: off, str: strconv.FormatBool(t)}, nil
	case nil:
		return &jnode{kind: jNull, off: off}, nil
	case json.Delim:
		if depth >= maxDepth {
			return nil, p.errAt(off, "", "JSON nested too deeply for a policy document")
		}
		switch t {
		case '{':
			n := &jnode{kind: jObject, off: off}
			if role == roleStatements {
				role = 1
			}
			if role > 0 {
				p.stmt = role
				defer func() { p.stmt = 0 }()
			}
			for p.dec.More() {
				ktok, koff, err := p.token()
				if err != nil {
					return nil, p.fixPos(err)
				}
				key, ok := ktok.(string)
				if !ok {
					return nil, p.errAt(koff, "", "invalid JSON: object key is not a string")
				}
				for _, m := range n.members {
					if m.key == key {
						return nil, p.errAt(koff, key, "duplicate key %q", key)
					}
				}
				childRole := roleOther
				if role == roleRoot && key == "Statement" {
					childRole = roleStatements
				}
				v, err := p.value(depth+1, childRole)
				if err != nil {
					return nil, err
				}
				n.members = append(n.members, jmember{key: key, off: koff, val: v})
			}
			if _, _, err := p.token(); err != nil {
				return nil, p.fixPos(err)
			}
			return n, nil
		case '[':
			n := &jnode{kind: jArray, off: off}
			for p.dec.More() {
				childRole := roleOther
				if role == roleStatements {
					childRole = len(n.elems) + 1
				}
				v, err := p.value(depth+1, childRole)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, v)
			}
			if _, _, err := p.token(); err != nil {
				return nil, p.fixPos(err)
			}
			return n, nil
		}
	}
	return nil, p.errAt(off, "", "invalid JSON: unexpected %v", tok)
}

// unknownElement builds the error for an element IAM does not know, with a
// hint when only the case differs.
func (p *parser) unknownElement(m jmember, where string, known []string) *ParseError {
	for _, k := range known {
		if strings.EqualFold(k, m.key) {
			return p.errAt(m.off, m.key, "unknown %s element %q (element names are case-sensitive: did you mean %q?)", where, m.key, k)
		}
	}
	return p.errAt(m.off, m.key, "unknown %s element %q (allowed: %s)", where, m.key, strings.Join(known, ", "))
}

var (
	documentElements  = []string{"Version", "Id", "Statement"}
	statementElements = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
	principalTypes    = []string{"AWS", "Service", "Federated", "CanonicalUser"}
)

// principalTypeBit returns the shape bit of a principal type.
func principalTypeBit(t string) uint8 {
	for i, k := range principalTypes {
		if k == t {
			return 1 << i
		}
	}
	return 0
}

func (p *parser) document(root *jnode) (*Document, error) {
	if root.kind != jObject {
		return nil, p.errAt(root.off, "", "policy document must be a JSON object, got %s", root.kind)
	}
	doc := &Document{}
	var stmts *jnode
	for _, m := range root.members {
		switch m.key {
		case "Version":
			if m.val.kind != jString {
				return nil, p.errAt(m.val.off, "Version", "Version must be a string, got %s", m.val.kind)
			}
			if m.val.str != Version2012 && m.val.str != Version2008 {
				return nil, p.errAt(m.val.off, "Version", "Version must be %q or %q, got %q", Version2012, Version2008, m.val.str)
			}
			doc.Version = m.val.str
		case "Id":
			if m.val.kind != jString {
				return nil, p.errAt(m.val.off, "Id", "Id must be a string, got %s", m.val.kind)
			}
			doc.ID = m.val.str
		case "Statement":
			stmts = m.val
		default:
			return nil, p.unknownElement(m, "policy", documentElements)
		}
	}
	if stmts == nil {
		return nil, p.errAt(root.off, "Statement", "policy document has no Statement")
	}
	switch stmts.kind {
	case jObject:
		doc.statementObject = true
		st, err := p.statement(stmts, 1, doc.Version)
		if err != nil {
			return nil, err
		}
		doc.Statements = []Statement{st}
	case jArray:
		if len(stmts.elems) == 0 {
			return nil, p.errAt(stmts.off, "Statement", "Statement must not be an empty list")
		}
		doc.Statements = make([]Statement, 0, len(stmts.elems))
		for i, e := range stmts.elems {
			st, err := p.statement(e, i+1, doc.Version)
			if err != nil {
				return nil, err
			}
			doc.Statements = append(doc.Statements, st)
		}
	default:
		return nil, p.errAt(stmts.off, "Statement", "Statement must be an object or a list of objects, got %s", stmts.kind)
	}
	return doc, nil
}

func (p *parser) statement(n *jnode, index int, version string) (Statement, error) {
	p.stmt, p.sid = index, ""
	defer func() { p.stmt, p.sid = 0, "" }()
	st := Statement{Index: index}
	if n.kind != jObject {
		return st, p.errAt(n.off, "", "statement must be an object, got %s", n.kind)
	}
	// Read the Sid first so that every error can name the statement.
	for _, m := range n.members {
		if m.key == "Sid" {
			if m.val.kind != jString {
				return st, p.errAt(m.val.off, "Sid", "Sid must be a string, got %s", m.val.kind)
			}
			st.Sid = m.val.str
			p.sid = st.Sid
		}
	}
	c := &compiledStatement{}
	var effect *jmember
	for i := range n.members {
		m := &n.members[i]
		var err error
		var list bool
		switch m.key {
		case "Sid":
		case "Effect":
			effect = m
		case "Principal":
			st.Principal, c.principalList, err = p.principals(m)
		case "NotPrincipal":
			st.NotPrincipal, c.notPrincipalList, err = p.principals(m)
		case "Action":
			st.Action, list, err = p.stringList(m)
			if list {
				c.shape |= shapeActionList
			}
		case "NotAction":
			st.NotAction, list, err = p.stringList(m)
			if list {
				c.shape |= shapeNotActionList
			}
		case "Resource":
			st.Resource, list, err = p.stringList(m)
			if list {
				c.shape |= shapeResourceList
			}
		case "NotResource":
			st.NotResource, list, err = p.stringList(m)
			if list {
				c.shape |= shapeNotResourceList
			}
		case "Condition":
			st.Conditions, err = p.conditions(m)
		default:
			return st, p.unknownElement(*m, "statement", statementElements)
		}
		if err != nil {
			return st, err
		}
	}
	switch {
	case effect == nil:
		return st, p.errAt(n.off, "Effect", "statement has no Effect")
	case effect.val.kind != jString:
		return st, p.errAt(effect.val.off, "Effect", "Effect must be \"Allow\" or \"Deny\", got %s", effect.val.kind)
	case effect.val.str != string(Allow) && effect.val.str != string(Deny):
		// Element values are case-sensitive: "allow" is rejected by IAM
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_effect.html).
		return st, p.errAt(effect.val.off, "Effect", "Effect must be \"Allow\" or \"Deny\", got %q", effect.val.str)
	}
	st.Effect = Effect(effect.val.str)
	switch {
	case st.Action != nil && st.NotAction != nil:
		return st, p.errAt(n.off, "Action", "statement has both Action and NotAction")
	case st.Action == nil && st.NotAction == nil:
		return st, p.errAt(n.off, "Action", "statement has neither Action nor NotAction")
	case st.Resource != nil && st.NotResource != nil:
		return st, p.errAt(n.off, "Resource", "statement has both Resource and NotResource")
	case st.Principal != nil && st.NotPrincipal != nil:
		return st, p.errAt(n.off, "Principal", "statement has both Principal and NotPrincipal")
	}
	c.compileMatchers(&st, version)
	c.index()
	c.conds = compileConditions(st.Conditions)
	st.compiled = c
	return st, nil
}

// stringList reads a string or a non-empty list of non-empty strings; list
// reports the list shape.
func (p *parser) stringList(m *jmember) (values []string, list bool, err error) {
	v := m.val
	switch v.kind {
	case jString:
		if v.str == "" {
			return nil, false, p.errAt(v.off, m.key, "%s must not be an empty string", m.key)
		}
		return []string{v.str}, false, nil
	case jArray:
		if len(v.elems) == 0 {
			return nil, true, p.errAt(v.off, m.key, "%s must not be an empty list", m.key)
		}
		out := make([]string, len(v.elems))
		for i, e := range v.elems {
			if e.kind != jString {
				return nil, true, p.errAt(e.off, m.key, "%s entries must be strings, got %s", m.key, e.kind)
			}
			if e.str == "" {
				return nil, true, p.errAt(e.off, m.key, "%s must not contain an empty string", m.key)
			}
			out[i] = e.str
		}
		return out, true, nil
	default:
		return nil, false, p.errAt(v.off, m.key, "%s must be a string or a list of strings, got %s", m.key, v.kind)
	}
}

func (p *parser) principals(m *jmember) (*Principals, uint8, error) {
	v := m.val
	switch v.kind {
	case jString:
		if v.str != "*" {
			return nil, 0, p.errAt(v.off, m.key, "%s must be \"*\" or an object such as {\"AWS\": \"arn:aws:iam::123456789012:root\"}, got %q", m.key, v.str)
		}
		return &Principals{Wildcard: true}, 0, nil
	case jObject:
	default:
		return nil, 0, p.errAt(v.off, m.key, "%s must be \"*\" or an object, got %s", m.key, v.kind)
	}
	if len(v.members) == 0 {
		return nil, 0, p.errAt(v.off, m.key, "%s must not be an empty object", m.key)
	}
	pr := &Principals{Values: make(map[string][]string, len(v.members))}
	var lists uint8
	for i := range v.members {
		t := &v.members[i]
		bit := principalTypeBit(t.key)
		if bit == 0 {
			return nil, 0, p.unknownElement(*t, m.key, principalTypes)
		}
		field := m.key + "." + t.key
		values, list, err := p.stringList(&jmember{key: field, off: t.off, val: t.val})
		if err != nil {
			return nil, 0, err
		}
		if list {
			lists |= bit
		}
		pr.Values[t.key] = values
		pr.typeOrder = append(pr.typeOrder, t.key)
	}
	return pr, lists, nil
}

func (p *parser) conditions(m *jmember) ([]Condition, error) {
	v := m.val
	if v.kind != jObject {
		return nil, p.errAt(v.off, "Condition", "Condition must be an object of operators, got %s", v.kind)
	}
	if len(v.members) == 0 {
		return nil, p.errAt(v.off, "Condition", "Condition must not be an empty object")
	}
	var out []Condition
	for _, op := range v.members {
		field := "Condition." + op.key
		if op.key == "" {
			return nil, p.errAt(op.off, field, "Condition has an empty operator name")
		}
		if op.val.kind != jObject {
			return nil, p.errAt(op.val.off, field, "condition operator %s must map to an object of keys, got %s", op.key, op.val.kind)
		}
		if len(op.val.members) == 0 {
			return nil, p.errAt(op.val.off, field, "condition operator %s must not be an empty object", op.key)
		}
		for _, k := range op.val.members {
			kfield := field + "." + k.key
			if k.key == "" {
				return nil, p.errAt(k.off, kfield, "condition operator %s has an empty key name", op.key)
			}
			c := Condition{Operator: op.key, Key: k.key}
			switch k.val.kind {
			case jString, jNumber, jBool:
				c.scalar = true
				c.Values = []string{k.val.str}
				c.kinds = []byte{valueKind(k.val.kind)}
			case jArray:
				if len(k.val.elems) == 0 {
					return nil, p.errAt(k.val.off, kfield, "condition %s %s must not be an empty list", op.key, k.key)
				}
				c.Values = make([]string, len(k.val.elems))
				c.kinds = make([]byte, len(k.val.elems))
				for i, e := range k.val.elems {
					switch e.kind {
					case jString, jNumber, jBool:
						c.Values[i] = e.str
						c.kinds[i] = valueKind(e.kind)
					default:
						return nil, p.errAt(e.off, kfield, "condition %s %s values must be strings, numbers or booleans, got %s", op.key, k.key, e.kind)
					}
				}
			default:
				return nil, p.errAt(k.val.off, kfield, "condition %s %s must be a string, number, boolean or a list of them, got %s", op.key, k.key, k.val.kind)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func valueKind(k jkind) byte {
	switch k {
	case jNumber:
		return 'n'
	case jBool:
		return 'b'
	default:
		return 's'
	}
}

// MarshalJSON writes the document as compact JSON in canonical element order
// (Version, Id, Statement; Sid, Effect, Principal, NotPrincipal, Action,
// NotAction, Resource, NotResource, Condition), keeping the author's shapes:
// a single statement object or a list, a string or a list, a JSON string,
// number or boolean condition value. Parsing the output gives an equal
// Document.
func (d *Document) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 256)
	b = append(b, '{')
	first := true
	field := func(name string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, name)
		b = append(b, ':')
	}
	if d.Version != "" {
		field("Version")
		b = appendString(b, d.Version)
	}
	if d.ID != "" {
		field("Id")
		b = appendString(b, d.ID)
	}
	field("Statement")
	if d.statementObject && len(d.Statements) == 1 {
		b = appendStatement(b, &d.Statements[0])
	} else {
		b = append(b, '[')
		for i := range d.Statements {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStatement(b, &d.Statements[i])
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	return b, nil
}

func appendStatement(b []byte, st *Statement) []byte {
	var shape, pl, npl uint8
	if c := st.compiled; c != nil {
		shape, pl, npl = c.shape, c.principalList, c.notPrincipalList
	}
	b = append(b, '{')
	first := true
	field := func(name string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, name)
		b = append(b, ':')
	}
	if st.Sid != "" {
		field("Sid")
		b = appendString(b, st.Sid)
	}
	field("Effect")
	b = appendString(b, string(st.Effect))
	if st.Principal != nil {
		field("Principal")
		b = appendPrincipals(b, st.Principal, pl)
	}
	if st.NotPrincipal != nil {
		field("NotPrincipal")
		b = appendPrincipals(b, st.NotPrincipal, npl)
	}
	lists := []struct {
		name   string
		values []string
		bit    uint8
	}{
		{"Action", st.Action, shapeActionList},
		{"NotAction", st.NotAction, shapeNotActionList},
		{"Resource", st.Resource, shapeResourceList},
		{"NotResource", st.NotResource, shapeNotResourceList},
	}
	for _, l := range lists {
		if l.values != nil {
			field(l.name)
			b = appendStrings(b, l.values, shape&l.bit != 0)
		}
	}
	if len(st.Conditions) > 0 {
		field("Condition")
		b = appendConditions(b, st.Conditions)
	}
	return append(b, '}')
}

func appendStrings(b []byte, values []string, list bool) []byte {
	if len(values) == 1 && !list {
		return appendString(b, values[0])
	}
	b = append(b, '[')
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

func appendPrincipals(b []byte, p *Principals, lists uint8) []byte {
	if p.Wildcard {
		return appendString(b, "*")
	}
	order := p.typeOrder
	if len(order) != len(p.Values) || !sameKeys(order, p.Values) {
		order = make([]string, 0, len(p.Values))
		for k := range p.Values {
			order = append(order, k)
		}
		sort.Strings(order)
	}
	b = append(b, '{')
	for i, t := range order {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, t)
		b = append(b, ':')
		b = appendStrings(b, p.Values[t], lists&principalTypeBit(t) != 0)
	}
	return append(b, '}')
}

func sameKeys(order []string, m map[string][]string) bool {
	for _, k := range order {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// appendConditions writes the flat operator/key list back as operator →
// key → values, operators in order of first appearance.
func appendConditions(b []byte, conds []Condition) []byte {
	b = append(b, '{')
	done := make([]bool, len(conds))
	firstOp := true
	for i := range conds {
		if done[i] {
			continue
		}
		if !firstOp {
			b = append(b, ',')
		}
		firstOp = false
		op := conds[i].Operator
		b = appendString(b, op)
		b = append(b, ':', '{')
		firstKey := true
		for j := i; j < len(conds); j++ {
			if done[j] || conds[j].Operator != op {
				continue
			}
			done[j] = true
			if !firstKey {
				b = append(b, ',')
			}
			firstKey = false
			b = appendString(b, conds[j].Key)
			b = append(b, ':')
			b = appendConditionValues(b, &conds[j])
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendConditionValues(b []byte, c *Condition) []byte {
	value := func(i int) {
		v := c.Values[i]
		if i < len(c.kinds) && len(c.kinds) == len(c.Values) {
			switch c.kinds[i] {
			case 'n':
				if json.Valid([]byte(v)) && isJSONNumber(v) {
					b = append(b, v...)
					return
				}
			case 'b':
				if v == "true" || v == "false" {
					b = append(b, v...)
					return
				}
			}
		}
		b = appendString(b, v)
	}
	if c.scalar && len(c.Values) == 1 {
		value(0)
		return b
	}
	b = append(b, '[')
	for i := range c.Values {
		if i > 0 {
			b = append(b, ',')
		}
		value(i)
	}
	return append(b, ']')
}

func isJSONNumber(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	return c == '-' || ('0' <= c && c <= '9')
}

// appendString writes s as a JSON string without HTML escaping; invalid
// UTF-8 becomes U+FFFD, as encoding/json does.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && w == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+w]...)
		}
		i += w
	}
	return append(b, '"')
}
