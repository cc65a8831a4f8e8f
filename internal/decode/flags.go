package decode

import (
	"fmt"
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// FromFlags builds a Request from --principal, --action, --resource and
// repeated --context KEY=VALUE flags; a repeated key gives a multi-value key.
// At least a principal or an action is required.
func FromFlags(principal, action, resource string, context []string) (*Request, error) {
	principal = strings.TrimSpace(principal)
	action = strings.TrimSpace(action)
	resource = strings.TrimSpace(resource)
	if principal == "" && action == "" {
		return nil, fmt.Errorf("%w: give at least the principal and the action", ErrEmpty)
	}
	for name, v := range map[string]string{"the principal": principal, "the action": action, "the resource": resource} {
		if len(v) > 4096 || strings.ContainsAny(v, " \t\r\n") {
			return nil, fmt.Errorf("%w: %s must be one ARN or name without spaces, at most 4096 bytes", ErrInvalid, name)
		}
	}
	if action != "" && !validAction(action) {
		return nil, fmt.Errorf("%w: action %q is not service:Action (e.g. ec2:RunInstances)", ErrInvalid, action)
	}
	r := &Request{Principal: principal, Action: action, Resource: resource, Source: SourceFlags}
	total := 0
	for _, kv := range context {
		total += len(kv)
		if total > MaxInputSize {
			return nil, fmt.Errorf("%w: the context values exceed %d bytes", ErrTooLarge, MaxInputSize)
		}
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: the context entry %q is not KEY=VALUE", ErrInvalid, kv)
		}
		if r.Context == nil {
			r.Context = &policy.Context{}
		}
		r.Context.Add(k, v)
	}
	if principal == "" {
		r.addMissing("principal")
	}
	if action == "" {
		r.addMissing("action")
	}
	if resource == "" {
		r.addMissing("resource")
	}
	return r, nil
}

// validAction reports whether a is "service:Action": a service prefix of
// letters, digits and dashes, a colon, and an action name (wildcards allowed,
// as the policy simulator allows them).
func validAction(a string) bool {
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" {
		return false
	}
	for _, c := range svc {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '*' || c == '?' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
