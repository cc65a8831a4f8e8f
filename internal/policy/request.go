package policy

// Request is one API call to evaluate: who, what, on which resource, and the
// request context AWS would have assembled.
type Request struct {
	// Principal is the caller. Evaluation of Principal/NotPrincipal elements
	// and of principal policy variables reads it.
	Principal Principal
	// Action is "service:Action", e.g. "ec2:RunInstances".
	Action string
	// Resource is the resource ARN, or "*" when the action takes no resource
	// or the input did not say.
	Resource string
	// ResourceUnknown is true when the input did not say the resource and
	// "*" stands in for it: a statement that names specific resources can
	// then neither be said to match nor not to match (internal/simulate
	// decides it as unknown).
	ResourceUnknown bool
	// Context holds the condition keys and values. Never nil after
	// NewRequest; a nil Context is treated as empty.
	Context *Context
}

// Principal describes the caller as far as it is known.
type Principal struct {
	// ARN is the caller as it appears in errors and CloudTrail, e.g.
	// "arn:aws:sts::123456789012:assumed-role/MyRole/jane".
	ARN string
	// IAMARN is the IAM identity behind the caller, with its path: the role
	// ARN for an assumed-role session, the user ARN for a user or a federated
	// user, "arn:aws:iam::ACCOUNT:root" for the root user. This is the value
	// of aws:PrincipalArn. Empty when unknown.
	IAMARN string
	// Account is the caller's account id (aws:PrincipalAccount).
	Account string
	// Type is the aws:PrincipalType value: "AssumedRole", "User",
	// "FederatedUser", "Account" (root), "Anonymous"; or "Service" for an AWS
	// service principal. Empty when unknown.
	Type string
	// UserID is aws:userid (e.g. "AROAEXAMPLE:jane"), empty when unknown.
	UserID string
	// Username is aws:username (IAM users only).
	Username string
	// SessionName is the role session name of an assumed-role session.
	SessionName string
	// Service is the service principal name (e.g. "ec2.amazonaws.com") when
	// Type is "Service".
	Service string
	// Tags are the principal's tags (role or user tags, session tags win).
	Tags map[string]string
	// ServiceLinked is true for a service-linked role (path
	// /aws-service-role/), which SCPs and RCPs do not restrict.
	ServiceLinked bool
	// OrgID, OrgPaths: aws:PrincipalOrgID and aws:PrincipalOrgPaths when known.
	OrgID    string
	OrgPaths []string
}

// NewRequest returns a request with an empty context.
func NewRequest(principalARN, action, resource string) *Request {
	return &Request{Principal: Principal{ARN: principalARN}, Action: action, Resource: resource, Context: &Context{}}
}
