package lint

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// MaxInput bounds the size of one file given to Lint: a Terraform plan can
// hold many policies, but not this much text.
const MaxInput = 32 << 20

// Options say how to read one file.
type Options struct {
	// File names the input in findings ("-" for standard input).
	File string
	// Kind is the policy type to check plain documents as; empty guesses it
	// (see Guess). Policies found in a Terraform plan or state take their
	// type from their resource type (aws_iam_role's assume_role_policy is a
	// trust policy, aws_organizations_policy of type
	// RESOURCE_CONTROL_POLICY an RCP, ...) unless Kind is set.
	Kind Kind
}

// Lint checks every policy document in data and returns the findings in
// document order. data may be:
//
//   - a policy document (JSON object with a Statement), as written or
//     URL-encoded as the IAM API returns it;
//   - a JSON string whose content is a policy document (what Terraform's
//     jsonencode or an aws_iam_policy_document's json attribute renders);
//   - an object with a "policy", "assume_role_policy" or "json" string holding
//     a document (one resource's attributes);
//   - the output of `terraform show -json` (a plan or state): every IAM,
//     Organizations and resource policy in planned_values or values, in every
//     module.
//
// A document that does not parse gives an IAMD001 finding at the position of
// the error; Lint never fails otherwise.
func Lint(data []byte, opts Options) []Finding {
	if len(data) > MaxInput {
		return []Finding{finding(opts.File, 0, 0, RuleParse, Error, opts.Kind, "",
			fmt.Sprintf("the file is larger than %d bytes: not a policy document", MaxInput),
			"Lint one policy or one Terraform plan per file.")}
	}
	root, err := readTree(data)
	if err != nil {
		if dec, ok := urlEncoded(data); ok {
			// As the IAM API returns documents: lint the decoded one;
			// positions are in the decoded text.
			return Lint(dec, opts)
		}
		// Let the policy parser say where the JSON breaks.
		return parseFailure(data, nil, opts.File, opts.Kind, "", err)
	}
	var out []Finding
	for _, src := range sources(root, data) {
		kind := opts.Kind
		if kind == "" {
			kind = src.kind
		}
		out = append(out, src.lint(opts.File, kind)...)
	}
	return out
}

// urlEncoded decodes a URL-encoded document ("%7B%22Version%22…"), as the
// IAM API returns them
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicyVersion.html).
func urlEncoded(data []byte) ([]byte, bool) {
	t := bytes.TrimSpace(data)
	if len(t) < 3 || !bytes.EqualFold(t[:3], []byte("%7B")) {
		return nil, false
	}
	dec, err := url.PathUnescape(string(t))
	if err != nil {
		return nil, false
	}
	return []byte(dec), true
}

// source is one policy document inside a file: the file itself, or a JSON
// string in it.
type source struct {
	// label names the document inside a file that holds several.
	label string
	// text is the document.
	text []byte
	// outer is the string node holding the document, nil when the document
	// is the file itself (then positions are exact).
	outer *node
	// file is the whole input, for positions of outer.
	file []byte
	// kind is what the surrounding structure says the document is; empty
	// to guess.
	kind Kind
}

func (s source) lint(file string, kind Kind) []Finding {
	var doc *policy.Document
	var err error
	if s.outer == nil {
		doc, err = policy.Parse(s.text)
	} else {
		doc, err = policy.ParseEncoded(string(s.text))
	}
	if err != nil {
		return parseFailure(s.text, s.outerPos(), file, kind, s.label, err)
	}
	if kind == "" {
		kind = Guess(doc)
	}
	var loc locator
	if s.outer == nil {
		loc = newTreeLocator(s.text)
	} else {
		loc = s.outerPos()
	}
	fs := check(doc, s.text, kind, file, loc)
	for i := range fs {
		fs[i].Policy = s.label
	}
	return fs
}

// outerPos is the position of the string holding the document, nil for a
// document that is the file itself.
func (s source) outerPos() *fixedLocator {
	if s.outer == nil {
		return nil
	}
	line, col := lineColumn(s.file, s.outer.off)
	return &fixedLocator{line: line, col: col}
}

// parseFailure turns a parse error into an IAMD001 finding at its position:
// the error's own line in a document that is the file, the position of the
// enclosing string otherwise.
func parseFailure(text []byte, at *fixedLocator, file string, kind Kind, label string, err error) []Finding {
	var pe *policy.ParseError
	if !errors.As(err, &pe) {
		// Not a policy parse error (invalid JSON met by readTree): ask the
		// policy parser, which names the position.
		if _, perr := policy.Parse(text); perr != nil && errors.As(perr, &pe) {
			err = perr
		}
	}
	line, col := 1, 1
	stmt := ""
	if pe != nil {
		if pe.Line > 0 {
			line, col = pe.Line, pe.Column
		}
		if pe.Statement > 0 {
			stmt = "#" + fmt.Sprint(pe.Statement)
			if pe.Sid != "" {
				stmt = pe.Sid
			}
		}
	}
	if at != nil {
		line, col = at.line, at.col
	}
	msg := err.Error()
	if stmt != "" {
		// The finding names the statement: the message does not again.
		q := *pe
		q.Statement, q.Sid = 0, ""
		msg = q.Error()
	}
	f := finding(file, line, col, RuleParse, Error, kind, stmt, msg,
		"Fix the document so that it parses; IAM, Organizations and the resource's service reject it as it is.")
	f.Policy = label
	return []Finding{f}
}

// sources finds the policy documents in a file.
func sources(root *node, file []byte) []source {
	switch root.kind {
	case 's':
		return []source{{text: []byte(root.str), outer: root, file: file}}
	case 'o':
	default:
		return []source{{text: file}}
	}
	if root.member("Statement") != nil || root.member("Version") != nil {
		return []source{{text: file}}
	}
	if root.member("planned_values") != nil || root.member("values") != nil || root.member("format_version") != nil {
		var out []source
		for _, top := range []string{"planned_values", "values"} {
			if v := root.member(top); v != nil {
				out = append(out, moduleSources(v.member("root_module"), file)...)
			}
		}
		return out
	}
	// One resource's attributes, e.g. {"name": "...", "policy": "{...}"}.
	var out []source
	for _, a := range []struct {
		attr string
		kind Kind
	}{{"policy", ""}, {"assume_role_policy", Trust}, {"json", ""}} {
		if v := root.member(a.attr); v != nil && v.kind == 's' && v.str != "" {
			out = append(out, source{label: a.attr, text: []byte(v.str), outer: v, file: file, kind: a.kind})
		}
	}
	if len(out) == 0 {
		// Not a shape lint knows: the policy parser says what is missing.
		return []source{{text: file}}
	}
	return out
}

// policyAttrs maps Terraform resource types (AWS provider) to the attributes
// that hold policy documents and the policy type of each.
var policyAttrs = map[string][]struct {
	attr string
	kind Kind
}{
	"aws_iam_policy":                   {{"policy", Identity}},
	"aws_iam_role_policy":              {{"policy", Identity}},
	"aws_iam_user_policy":              {{"policy", Identity}},
	"aws_iam_group_policy":             {{"policy", Identity}},
	"aws_iam_role":                     {{"assume_role_policy", Trust}},
	"aws_iam_policy_document":          {{"json", ""}},
	"aws_s3_bucket_policy":             {{"policy", Resource}},
	"aws_sqs_queue_policy":             {{"policy", Resource}},
	"aws_sns_topic_policy":             {{"policy", Resource}},
	"aws_kms_key":                      {{"policy", Resource}},
	"aws_ecr_repository_policy":        {{"policy", Resource}},
	"aws_secretsmanager_secret_policy": {{"policy", Resource}},
	"aws_organizations_policy":         {{"content", ""}},
}

// moduleSources collects the policies of a Terraform module and its child
// modules (the "root_module" object of `terraform show -json`).
func moduleSources(mod *node, file []byte) []source {
	if mod == nil || mod.kind != 'o' {
		return nil
	}
	var out []source
	if rs := mod.member("resources"); rs != nil && rs.kind == 'a' {
		for _, r := range rs.elems {
			out = append(out, resourceSources(r, file)...)
		}
	}
	if cs := mod.member("child_modules"); cs != nil && cs.kind == 'a' {
		for _, c := range cs.elems {
			out = append(out, moduleSources(c, file)...)
		}
	}
	return out
}

func resourceSources(r *node, file []byte) []source {
	typ := r.member("type")
	vals := r.member("values")
	if typ == nil || typ.kind != 's' || vals == nil || vals.kind != 'o' {
		return nil
	}
	addr := typ.str
	if a := r.member("address"); a != nil && a.kind == 's' {
		addr = a.str
	}
	var out []source
	for _, a := range policyAttrs[typ.str] {
		v := vals.member(a.attr)
		if v == nil || v.kind != 's' || strings.TrimSpace(v.str) == "" {
			continue // unknown until apply, or not set
		}
		kind := a.kind
		if typ.str == "aws_organizations_policy" {
			t := vals.member("type")
			switch {
			case t != nil && t.str == "SERVICE_CONTROL_POLICY":
				kind = SCP
			case t != nil && t.str == "RESOURCE_CONTROL_POLICY":
				kind = RCP
			default:
				continue // tag, backup and other policies are not IAM documents
			}
		}
		out = append(out, source{label: addr + "." + a.attr, text: []byte(v.str), outer: v, file: file, kind: kind})
	}
	// aws_iam_role's inline_policy blocks.
	if typ.str == "aws_iam_role" {
		if ips := vals.member("inline_policy"); ips != nil && ips.kind == 'a' {
			for i, ip := range ips.elems {
				if v := ip.member("policy"); v != nil && v.kind == 's' && strings.TrimSpace(v.str) != "" {
					out = append(out, source{label: fmt.Sprintf("%s.inline_policy[%d]", addr, i), text: []byte(v.str), outer: v, file: file, kind: Identity})
				}
			}
		}
	}
	return out
}

// Guess returns the policy type a document most likely is when none was
// given: a document with a Principal or NotPrincipal is a resource policy, or
// a trust policy when its statements only grant sts:AssumeRole* and the
// session actions that go with it; anything else is an identity policy.
// SCPs, RCPs and boundaries look like identity policies: pass --type.
func Guess(doc *policy.Document) Kind {
	principal, trustOnly := false, true
	for i := range doc.Statements {
		st := &doc.Statements[i]
		if st.Principal == nil && st.NotPrincipal == nil {
			continue
		}
		principal = true
		if st.Action == nil {
			trustOnly = false
		}
		for _, a := range st.Action {
			if !isTrustAction(a) {
				trustOnly = false
			}
		}
	}
	switch {
	case principal && trustOnly:
		return Trust
	case principal:
		return Resource
	}
	return Identity
}

// isTrustAction reports whether a is one of the actions of a role trust
// policy (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy,
// and sts:TagSession / sts:SetSourceIdentity / sts:SetContext, which AWS
// requires in the trust policy alongside AssumeRole).
func isTrustAction(a string) bool {
	l := strings.ToLower(a)
	return strings.HasPrefix(l, "sts:assumerole") || l == "sts:tagsession" || l == "sts:setsourceidentity" || l == "sts:setcontext"
}
