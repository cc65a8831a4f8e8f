package layers

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// CodeMalformed is the Readability.Error of a layer that uses a policy
// document the snapshot holds but that cannot be parsed. It is IAM's own
// error code for a document it rejects
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html#API_CreatePolicy_Errors).
const CodeMalformed = "MalformedPolicyDocument"

// DocumentError is a policy document of a snapshot that cannot be parsed.
// Loading goes on without it: every layer that uses it is unreadable
// (Readability.Error is CodeMalformed and the message names the document),
// the other layers are unaffected, and Snapshot.Unreadable lists it. iamdiag
// cannot evaluate what it cannot parse, and IAM itself rejects such
// documents (an Effect other than "Allow" or "Deny", an empty Statement
// list, an unknown element:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html),
// so the file was edited or damaged after the capture.
type DocumentError struct {
	// Document names the document for people: `the trust policy of
	// arn:aws:iam::123456789012:role/x`, `managed policy ARN version v3`.
	Document string
	// Policy identifies the document as audit findings do: the policy's
	// ARN, else where it is attached ("role/NAME (inline P)", "role/NAME
	// (trust policy)").
	Policy string
	// Name is the policy's name, where it has one.
	Name string
	// Owner is the role, user or group an inline or trust policy belongs
	// to, the session a session policy belongs to; "" for shared policies.
	Owner string
	// Version is the managed policy's version id; "" for other documents.
	Version string
	// Layer is the layer the document belongs to.
	Layer policy.Layer
	// Used reports whether some layer of the snapshot uses the document. A
	// non-default version of a managed policy, or a policy attached to
	// nothing, is never evaluated: it is only worth a warning.
	Used bool
	// Err is the parser's error: a *policy.ParseError, with the line and
	// column in the document, where the document is JSON at all.
	Err error
}

// Error says which document cannot be parsed, and why.
func (e *DocumentError) Error() string {
	return "parsing " + e.Document + ": " + e.Err.Error()
}

// Unwrap returns the parser's error.
func (e *DocumentError) Unwrap() error { return e.Err }

// Position returns the line and column (1-based) of the error in the
// document, or 0, 0 when the parser gives none.
func (e *DocumentError) Position() (line, column int) {
	var pe *policy.ParseError
	if errors.As(e.Err, &pe) {
		return pe.Line, pe.Column
	}
	return 0, 0
}

// use marks the document as used by a layer and returns the readability of
// that layer.
func (e *DocumentError) use() policy.Readability {
	e.Used = true
	return policy.Readability{Unreadable: true, Error: CodeMalformed,
		Message: e.Document + " cannot be parsed (" + e.Err.Error() + "), so this layer is unknown: correct the document in the snapshot file, or capture the snapshot again"}
}

// Unreadable lists the policy documents of the snapshot that cannot be
// parsed, in the order of the file (managed policies, groups, roles, users,
// resource policies, session policies, organization policies); nil when
// every document was parsed. The result is shared: do not change it.
func (s *Snapshot) Unreadable() []*DocumentError {
	if s.idx == nil {
		return nil
	}
	return s.idx.unreadable
}

// joinRead combines two readabilities of one layer: unreadable when either
// is, with both messages.
func joinRead(a, b policy.Readability) policy.Readability {
	switch {
	case !b.Unreadable:
		return a
	case !a.Unreadable:
		return b
	}
	if a.Error != b.Error {
		a.Error += "," + b.Error
	}
	a.Message += "; " + b.Message
	return a
}

// AmbiguousError says that a principal ARN without a path (a session ARN
// always lacks it) names several roles or users of a snapshot: IAM names
// are unique in an account whatever the path, so the snapshot mixes
// captures, and no one of them may be picked silently.
type AmbiguousError struct {
	// Principal is the ARN as the request gave it.
	Principal string
	// Candidates are the ARNs, with their paths, that the name matches.
	Candidates []string
}

// ErrAmbiguousPrincipal is wrapped by every *AmbiguousError.
var ErrAmbiguousPrincipal = errors.New("ambiguous principal")

// Error lists the candidates and says how to choose.
func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%v: %s matches %d entries of the snapshot (%s): give the ARN with its path as the principal, or an input that names the role (a CloudTrail event carries its ARN and id)",
		ErrAmbiguousPrincipal, e.Principal, len(e.Candidates), strings.Join(e.Candidates, ", "))
}

// Unwrap returns ErrAmbiguousPrincipal.
func (e *AmbiguousError) Unwrap() error { return ErrAmbiguousPrincipal }

// pick chooses among entities sharing a name: the one named exactly by
// the request's IAM ARN, or whose unique id the request's aws:userid
// starts with (a role session's is ROLEID:SESSION:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable).
func pick(cands []*Entity, principal string, h resolveHint) (*Entity, error) {
	if len(cands) == 1 {
		return cands[0], nil
	}
	for _, e := range cands {
		if h.arn != "" && e.ARN == h.arn {
			return e, nil
		}
	}
	if h.id != "" {
		var match *Entity
		n := 0
		for _, e := range cands {
			if e.ID != "" && e.ID == h.id {
				match = e
				n++
			}
		}
		if n == 1 {
			return match, nil
		}
	}
	arns := make([]string, len(cands))
	for i, e := range cands {
		arns[i] = e.ARN
	}
	slices.Sort(arns)
	return nil, &AmbiguousError{Principal: principal, Candidates: arns}
}

// resolveHint is what a request says about its principal besides its ARN.
type resolveHint struct {
	arn string // the IAM ARN with its path (CloudTrail's sessionIssuer.arn)
	id  string // the role's or user's unique id (AROA…, AIDA…)
}

// hintOf reads the principal's IAM ARN and unique id from req.
func hintOf(req *policy.Request) resolveHint {
	h := resolveHint{arn: req.Principal.IAMARN}
	uid := req.Principal.UserID
	if uid == "" && req.Context != nil {
		if v, ok := req.Context.Get("aws:userid"); ok && len(v) == 1 {
			uid = v[0]
		}
	}
	h.id, _, _ = strings.Cut(uid, ":")
	return h
}
