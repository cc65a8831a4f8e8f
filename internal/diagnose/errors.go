package diagnose

import "strings"

// Kind classifies why a diagnosis could not be made; each front end maps it
// to its own code (exit status, HTTP status, Slack wording).
type Kind int

// The kinds of Error.
const (
	// Invalid: the question is malformed (two messages, an action that is
	// not SERVICE:ACTION, a context value that is not KEY=VALUE).
	Invalid Kind = iota + 1
	// NotUnderstood: a message could not be read as a denial.
	NotUnderstood
	// Incomplete: the input does not name what an evaluation needs (the
	// caller, the action), or names it ambiguously (Err says how).
	Incomplete
	// STS: sts:DecodeAuthorizationMessage could not decode the encoded
	// message.
	STS
	// PrincipalNotFound: the source does not know the caller.
	PrincipalNotFound
	// Credentials: AWS rejected the credentials, or there are none.
	Credentials
	// AWS: an AWS call failed otherwise (throttling, the network, a
	// service error).
	AWS
	// Source: the source could not answer (an unreadable snapshot or
	// policy file, a principal form it cannot resolve).
	Source
)

// String names the kind, for logs and API error codes' documentation.
func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid input"
	case NotUnderstood:
		return "input not understood"
	case Incomplete:
		return "incomplete input"
	case STS:
		return "STS failed"
	case PrincipalNotFound:
		return "principal not found"
	case Credentials:
		return "AWS credentials"
	case AWS:
		return "AWS failed"
	case Source:
		return "source failed"
	}
	return "unknown"
}

// Error is why a diagnosis could not be made.
type Error struct {
	// Kind classifies the failure.
	Kind Kind
	// Field is the input at fault (the message that could not be read);
	// FieldNone when the failure is not about one input.
	Field Field
	// Missing lists what the input does not name (Kind Incomplete); Err,
	// when also set, says what the input shows instead.
	Missing []Field
	// Err is the cause; nil for Incomplete.
	Err error
	// Want, when set, is the input to give instead (Kind Incomplete):
	// the encoded message an error text holds, the action an operation
	// name leaves ambiguous.
	Want Field
}

// Error describes the failure with Field's own names.
func (e *Error) Error() string { return e.Describe(Field.String) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Describe describes the failure, naming the fields with name: a front end
// passes its own words for them (a flag, an API field).
func (e *Error) Describe(name func(Field) string) string {
	switch {
	case e.Kind == Incomplete && len(e.Missing) > 0 && (e.Err == nil || e.Field != e.Missing[0]):
		// (An Err about the missing field itself, as an ambiguous
		// principal, reads as the case below.)
		parts := make([]string, len(e.Missing))
		for i, f := range e.Missing {
			parts[i] = what(f) + " (" + name(f) + ")"
		}
		msg := "the input does not name " + strings.Join(parts, " or ")
		if e.Err != nil {
			// What the input shows instead (an operation several
			// services have, an encoded message only).
			msg += ": " + e.Err.Error()
		}
		if e.Want != FieldNone {
			msg += "; give it with " + name(e.Want)
		}
		return msg
	case e.Kind == Incomplete && e.Err != nil:
		// The input names something, but not enough to tell which
		// (a session ARN whose role name the snapshot holds twice), or
		// a request iamdiag cannot evaluate (a web identity's).
		if e.Field == FieldNone {
			return e.Err.Error()
		}
		return "reading " + name(e.Field) + ": " + e.Err.Error()
	case e.Err == nil:
		return e.Kind.String()
	case e.Field != FieldNone && e.Kind != Invalid:
		return "reading " + name(e.Field) + ": " + e.Err.Error()
	}
	return e.Err.Error()
}

// what says what a missing field is, in words.
func what(f Field) string {
	switch f {
	case FieldPrincipal:
		return "the caller"
	case FieldAction:
		return "the action"
	}
	return f.String()
}
