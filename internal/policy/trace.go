package policy

// Kind says which rules apply to a policy's Principal element.
type Kind int

// Policy kinds.
const (
	// IdentityBased: identity policies, permissions boundaries, session
	// policies. A Principal or NotPrincipal element is an error.
	IdentityBased Kind = iota
	// ResourceBased: bucket, key, trust and other resource policies. Each
	// statement needs Principal or NotPrincipal, matched against the caller.
	ResourceBased
	// ServiceControl: SCPs. No Principal element; conditions such as
	// aws:PrincipalArn do the principal scoping.
	ServiceControl
	// ResourceControl: RCPs. Principal must be "*"; NotPrincipal is not
	// supported.
	ResourceControl
)

// Decision is the outcome of evaluating one policy.
type Decision int

// Decisions of a single policy.
const (
	// NotApplicable: no statement applies (an implicit deny as far as this
	// policy is concerned).
	NotApplicable Decision = iota
	// Allowed: an Allow statement applies and no Deny does.
	Allowed
	// Denied: a Deny statement applies (an explicit deny).
	Denied
)

// String returns "not-applicable", "allow" or "explicit-deny".
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allow"
	case Denied:
		return "explicit-deny"
	default:
		return "not-applicable"
	}
}

// Evaluation is the result of evaluating one policy against one request, with
// a trace of every statement: Evaluate does not stop at the first match.
type Evaluation struct {
	Decision Decision
	// Statements has one entry per statement, in document order.
	Statements []StatementTrace
	// Errors are problems met inside the policy (an unknown operator, a bad
	// ARN in an Arn condition, a Principal in an identity policy, a policy
	// variable that has no value in the request). They are recorded, never
	// a crash; each message says what the problem does to its statement:
	// most make the statement, or the element involved, not apply.
	Errors []EvalError
}

// StatementTrace records how one statement fared.
type StatementTrace struct {
	Statement *Statement
	// ActionMatched: Action matched (or NotAction did not).
	ActionMatched bool
	// ResourceMatched: Resource matched (or NotResource did not).
	ResourceMatched bool
	// PrincipalMatched: Principal matched (or NotPrincipal did not); true
	// for kinds that have no principal element.
	PrincipalMatched bool
	// ConditionsMatched: every condition matched (true when there are none).
	ConditionsMatched bool
	// Conditions has one entry per condition of the statement, in order.
	// For speed it may be left empty when the statement failed on action,
	// resource or principal.
	Conditions []ConditionTrace
	// Applies is true when all of the above matched: the statement's effect
	// takes part in the decision.
	Applies bool
}

// ConditionTrace records how one condition fared.
type ConditionTrace struct {
	Operator string
	Key      string
	// PolicyValues are the condition's values after policy variables were
	// substituted.
	PolicyValues []string
	// RequestValues are the request context's values for Key.
	RequestValues []string
	// KeyPresent is false when the request context lacks Key.
	KeyPresent bool
	// Matched is whether the condition is true for this request.
	Matched bool
	// Err describes an evaluation error (unknown operator, a value that is
	// not a number, date, IP or ARN); the condition then does not match.
	Err string
}

// EvalError is a problem met while evaluating a policy.
type EvalError struct {
	// Statement is the 1-based index of the statement, 0 for the document.
	Statement int
	Message   string
}

func (e EvalError) Error() string {
	if e.Statement == 0 {
		return e.Message
	}
	return "statement #" + itoa(e.Statement) + ": " + e.Message
}
