package policy

// Layer names a policy layer of AWS's evaluation logic. The string values are
// part of iamdiag's JSON contract.
type Layer string

// The policy layers, in AWS's evaluation order
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html).
const (
	LayerRCP      Layer = "rcp"
	LayerSCP      Layer = "scp"
	LayerResource Layer = "resource-policy"
	LayerIdentity Layer = "identity-policy"
	LayerBoundary Layer = "permissions-boundary"
	LayerSession  Layer = "session-policy"
	// LayerVPCEndpoint is the policy of the VPC endpoint the request went
	// through: a resource-based policy with a Principal that must allow
	// every request through the endpoint, whoever makes it and whatever the
	// other policies grant; the default policy allows everything
	// (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html).
	LayerVPCEndpoint Layer = "vpc-endpoint-policy"
	// LayerS3PublicAccess is S3 Block Public Access: not a policy, but
	// settings that refuse public and cross-account access to a bucket
	// whose policy is public
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html).
	// It appears only in Result.Blockers and Result.Suspects.
	LayerS3PublicAccess Layer = "s3-block-public-access"
)

// Source is one policy document and where it came from.
type Source struct {
	Layer Layer
	// ARN of a managed policy, SCP or RCP; for a resource-based policy the
	// resource's ARN; empty for an inline policy or an ad-hoc file.
	ARN string
	// Name is the policy name (managed or inline), the SCP/RCP name, or the
	// file's base name.
	Name string
	// Origin says where the policy is attached or was read from, for people:
	// "role/MyRole (inline)", "group/admins", "file:policies/deny.json".
	Origin string
	// Target is, for an SCP or RCP, the root, OU or account id it is attached
	// to.
	Target string
	// AWSManaged is true for an AWS managed policy (including FullAWSAccess
	// and RCPFullAWSAccess).
	AWSManaged bool
	// Document is the parsed policy.
	Document *Document
}

// Readability says whether a layer could be read. The zero value means it
// was read.
type Readability struct {
	// Unreadable is true when the layer could not be read: it is then
	// unknown, never empty.
	Unreadable bool
	// Error is the AWS error code (e.g. "AccessDeniedException") or a short
	// reason ("NoOrganizationData").
	Error string
	// Message says what happened and what to do.
	Message string
	// Omitted is true when the source was not asked about this layer
	// (policy files given without one): the layer is evaluated as empty,
	// and it is not part of the question rather than known to be empty.
	Omitted bool
}

// OrgLevel is one level of the organization between the root and the
// account, with the SCPs or RCPs attached there.
type OrgLevel struct {
	// Target is the root ("r-…"), OU ("ou-…") or account id.
	Target string
	// Type is "ROOT", "ORGANIZATIONAL_UNIT" or "ACCOUNT".
	Type string
	// Name is the OU's name, where known.
	Name     string
	Policies []Source
}

// Layers is every policy layer that applies to one request, gathered from a
// snapshot, policy files or the live account.
type Layers struct {
	// Principal is the caller as resolved by the source (role path, tags,
	// service-linked status), merged into the request before evaluation.
	Principal Principal

	// OrgID and ManagementAccount describe the organization, when known.
	OrgID             string
	ManagementAccount string

	// Identity holds the identity-based policies: the role's or user's inline
	// and managed policies and, for users, their groups' policies.
	Identity     []Source
	IdentityRead Readability

	// Boundary is the permissions boundary; nil when none is attached.
	Boundary     *Source
	BoundaryRead Readability

	// Session holds session policies passed at AssumeRole/GetFederationToken.
	// SessionKnown is false when they could not be known (they cannot be
	// read after the fact), which differs from known to be absent.
	Session      []Source
	SessionKnown bool
	// SessionRead is unreadable when a known session policy could not be
	// read (it cannot be parsed).
	SessionRead Readability

	// SCP and RCP hold the levels from the root down to the account, in that
	// order. A nil slice with Read.Unreadable means the layer is unknown.
	SCP     []OrgLevel
	SCPRead Readability
	RCP     []OrgLevel
	RCPRead Readability

	// Resource is the resource-based policy of the target resource (bucket
	// policy, key policy, role trust policy …); nil when the resource has none
	// or the service has no resource policies.
	Resource     *Source
	ResourceRead Readability
	// ResourceAccount is the account that owns the resource, when known; it
	// decides whether the request is cross-account.
	ResourceAccount string

	// S3PublicAccess holds the S3 Block Public Access settings in force for
	// the request's bucket (the bucket's and its account's combined, the
	// stricter winning); nil when they are unknown.
	S3PublicAccess *PublicAccessBlock

	// VPCEndpoint is the policy of the VPC endpoint the request went
	// through (aws:SourceVpce, or AWS's record of the request says so);
	// nil when it went through none or none is known. A request that went
	// through an endpoint whose policy the source does not have is
	// VPCEndpointRead.Unreadable: the layer is then unknown.
	VPCEndpoint     *Source
	VPCEndpointRead Readability
	// NoVPCEndpoint is true when the source knows the request went
	// through no VPC endpoint (AWS's record evaluated no endpoint policy).
	NoVPCEndpoint bool
}

// PublicAccessBlock is S3 Block Public Access: each setting is true when
// on at the bucket or its account
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PublicAccessBlockConfiguration.html).
type PublicAccessBlock struct {
	BlockPublicAcls       bool
	IgnorePublicAcls      bool
	BlockPublicPolicy     bool
	RestrictPublicBuckets bool
	// Origin says where the settings were read, for people.
	Origin string
}

// Title names the layer for people: "service control policy". It also
// names the layer AWS's error messages mention that is not evaluated as a
// layer of its own ("role-trust-policy"), and returns any other name as it
// is.
func (l Layer) Title() string {
	switch l {
	case LayerSCP:
		return "service control policy"
	case LayerRCP:
		return "resource control policy"
	case LayerResource:
		return "resource-based policy"
	case LayerIdentity:
		return "identity-based policy"
	case LayerBoundary:
		return "permissions boundary"
	case LayerSession:
		return "session policy"
	case LayerS3PublicAccess:
		return "S3 Block Public Access"
	case LayerVPCEndpoint:
		return "VPC endpoint policy"
	case "role-trust-policy":
		return "role trust policy"
	}
	return string(l)
}

// Label names a policy: "Name (ARN)", the name alone, or the ARN alone.
func Label(name, arn string) string {
	switch {
	case name != "" && arn != "" && name != arn:
		return name + " (" + arn + ")"
	case name != "":
		return name
	}
	return arn
}

// ID identifies a policy source: its ARN, else where it came from,
// else its name.
func (s *Source) ID() string {
	if s == nil {
		return ""
	}
	if s.ARN != "" {
		return s.ARN
	}
	if s.Origin != "" {
		return s.Origin
	}
	return s.Name
}
