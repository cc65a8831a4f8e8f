package catalog

import (
	"sort"
	"strings"
)

// ActionsNamed returns the action called name (an API operation's name, any
// case, without a prefix) in every service that has one, ordered by prefix:
// "PutObject" is an action of s3 and of several other services, so an
// operation name alone names the action only when one service has it.
func ActionsNamed(name string) []*Action {
	var out []*Action
	for _, s := range load().services {
		if a, ok := lookupFold(s.Actions, name); ok {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service.Prefix < out[j].Service.Prefix })
	return out
}

// Fits reports whether arn fits one of the resource types the action can be
// authorized against. An action that lists none is authorized against "*"
// only, which no ARN fits; "*" fits every action. An ARN whose last
// qualifier is empty, as CloudWatch Logs writes them
// ("…:log-group:g:log-stream:"), fits the template whose variable it leaves
// empty.
func (a *Action) Fits(arn string) bool {
	if arn == "*" {
		return true
	}
	if strings.HasSuffix(arn, ":") {
		arn += "_"
	}
	for _, r := range a.Resources {
		for _, t := range r.Type.ARNs {
			if _, ok := matchARN(t, arn); ok {
				return true
			}
		}
	}
	return false
}

// ResourceTypeNames returns the names of the resource types the action can
// be authorized against, in the reference's order; none for an action
// authorized against "*" only.
func (a *Action) ResourceTypeNames() []string {
	out := make([]string, len(a.Resources))
	for i, r := range a.Resources {
		out[i] = r.Type.Name
	}
	return out
}
