package lint

import (
	"fmt"
	"strings"
)

// Kind is the type of policy a document is linted as: it decides which
// elements are allowed, which size quota applies and which rules run.
type Kind string

// The policy types lint knows.
const (
	// Identity: a managed or inline policy attached to a user, group or role.
	Identity Kind = "identity"
	// Boundary: a managed policy used as a permissions boundary.
	Boundary Kind = "boundary"
	// SCP: an AWS Organizations service control policy.
	SCP Kind = "scp"
	// RCP: an AWS Organizations resource control policy.
	RCP Kind = "rcp"
	// Resource: a resource-based policy (bucket, key, queue, topic, ...).
	Resource Kind = "resource"
	// Trust: a role trust policy (the role's AssumeRolePolicyDocument).
	Trust Kind = "trust"
)

// Kinds lists every Kind in the order the CLI documents them.
var Kinds = []Kind{Identity, Boundary, SCP, RCP, Resource, Trust}

// ParseKind returns the Kind named s ("identity", "scp", ...); "" is not a
// kind.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if strings.EqualFold(s, string(k)) {
			return k, nil
		}
	}
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown policy type %q (want %s)", s, strings.Join(names, ", "))
}

// Severity is how much a finding matters. The zero value is Info.
type Severity int

// Severities, from least to most severe.
const (
	Info Severity = iota
	Warning
	Error
)

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	default:
		return "info"
	}
}

// MarshalText writes the severity's name, so that JSON output says "error".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity returns the severity named s: "info", "warning" or "error".
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(s) {
	case "info":
		return Info, nil
	case "warning":
		return Warning, nil
	case "error":
		return Error, nil
	}
	return Info, fmt.Errorf("unknown severity %q (want error, warning or info)", s)
}

// Finding is one problem in one policy document.
type Finding struct {
	// File is the path the document was read from ("-" for standard input).
	File string `json:"file"`
	// Line and Column (1-based, column in bytes) locate the statement or
	// value the finding is about; for a document wrapped in a JSON string
	// (Terraform output), the position of that string.
	Line   int `json:"line"`
	Column int `json:"column"`
	// Rule is the rule id, e.g. "IAMD003".
	Rule string `json:"rule"`
	// Severity of this finding (a rule may raise or lower its default).
	Severity Severity `json:"severity"`
	// Kind is the policy type the document was checked as; empty for a
	// document that did not parse and whose type was not given.
	Kind Kind `json:"kind,omitempty"`
	// Policy names the document inside a file holding several (a Terraform
	// resource address); empty for a file that is one policy.
	Policy string `json:"policy,omitempty"`
	// Statement is the statement's Sid, or "#N" (1-based position) when it
	// has none; empty for findings about the whole document.
	Statement string `json:"statement,omitempty"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Why says why it matters, with the AWS page or incident behind the rule.
	Why string `json:"why"`
	// Fix says what to change.
	Fix string `json:"fix"`
}
