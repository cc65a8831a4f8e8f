package policy

// Effect is a statement's Effect element.
type Effect string

// The two effects a statement can have.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Document is a parsed IAM policy document.
//
// Fields keep the author's intent: a nil slice means the element was absent,
// which differs from an element that was present (AWS rejects empty lists, and
// Parse reports them).
type Document struct {
	// Version is "2012-10-17", "2008-10-17" or "" when the document had none
	// (AWS then uses 2008-10-17 semantics: no policy variables).
	Version string
	// ID is the optional Id element.
	ID string
	// Statements in document order.
	Statements []Statement
	// statementObject records that Statement was a single object rather than a
	// list, so that marshalling keeps the author's shape.
	statementObject bool
}

// Statement is one statement of a policy document.
type Statement struct {
	// Index is the 1-based position of the statement in its document.
	Index        int
	Sid          string
	Effect       Effect
	Principal    *Principals // nil when absent
	NotPrincipal *Principals // nil when absent
	Action       []string    // nil when absent
	NotAction    []string    // nil when absent
	Resource     []string    // nil when absent
	NotResource  []string    // nil when absent
	// Conditions, one per operator/key pair, in document order.
	Conditions []Condition
	// compiled holds what Parse precomputes for fast matching and the
	// author's shapes (scalar or list) for marshalling; nil for a statement
	// built in Go, which is then compiled on the fly.
	compiled *compiledStatement
}

// ID returns how reports name the statement: its Sid, or "#N" (the 1-based
// position) when it has none.
func (s *Statement) ID() string {
	if s.Sid != "" {
		return s.Sid
	}
	return "#" + itoa(s.Index)
}

// Principals is the value of a Principal or NotPrincipal element.
type Principals struct {
	// Wildcard is true for "Principal": "*" (everyone, including anonymous).
	Wildcard bool
	// Values maps a principal type ("AWS", "Service", "Federated",
	// "CanonicalUser") to its values, in document order. {"AWS": "*"} is kept
	// here as AWS: ["*"], not as Wildcard.
	Values map[string][]string
	// typeOrder keeps the document order of the types for marshalling.
	typeOrder []string
}

// Condition is one operator/key pair of a Condition block with its values.
type Condition struct {
	// Operator as written, e.g. "ForAnyValue:StringLikeIfExists".
	Operator string
	// Key as written, e.g. "aws:RequestedRegion".
	Key string
	// Values as strings; JSON booleans and numbers are kept in their JSON
	// spelling ("true", "10").
	Values []string
	// scalar records that the value was a single JSON value, not a list.
	scalar bool
	// kinds records the JSON type of each value ('s' string, 'b' bool, 'n'
	// number) for marshalling.
	kinds []byte
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
