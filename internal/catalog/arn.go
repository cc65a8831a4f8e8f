package catalog

import (
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// BuildARN fills the resource type's first ARN template. ${Partition},
// ${Region} and ${Account} take the arguments; any other ${Var} takes
// vars[Var] (the name as the template writes it, else in any case). An empty
// argument or a variable without a value becomes "*", so the result is the
// narrowest ARN pattern the caller's knowledge allows, e.g.
// arn:aws:ec2:eu-west-1:111122223333:instance/* for a new instance.
func (r *ResourceType) BuildARN(partition, region, account string, vars map[string]string) string {
	if len(r.ARNs) == 0 {
		return ""
	}
	tmpl := r.ARNs[0]
	var b strings.Builder
	b.Grow(len(tmpl) + 32)
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(tmpl[:i])
		name := tmpl[i+2 : i+j]
		tmpl = tmpl[i+j+1:]
		var v string
		switch name {
		case "Partition":
			v = partition
		case "Region":
			v = region
		case "Account":
			v = account
		default:
			v = lookupVar(vars, name)
		}
		if v == "" {
			v = "*"
		}
		b.WriteString(v)
	}
	b.WriteString(tmpl)
	return b.String()
}

func lookupVar(vars map[string]string, name string) string {
	if v, ok := vars[name]; ok {
		return v
	}
	for k, v := range vars {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// ResourceTypeForARN returns the resource type of service (a prefix such as
// "s3"; empty means the ARN's own service field) whose ARN template the ARN
// fits. A template variable matches one or more characters, and no colon in
// the partition, service, region and account fields. When several templates
// fit, as arn:${Partition}:s3:::${BucketName} and
// arn:${Partition}:s3:::${BucketName}/${ObjectName} both fit
// arn:aws:s3:::b/k, the one with the most literal text wins, so the object
// type is returned; ties go to the first type by name. A "*" in the ARN is an
// ordinary character, so ARN patterns from policies work as well.
func ResourceTypeForARN(service string, arn string) (*ResourceType, bool) {
	if service == "" {
		// An ARN cut short after its service still names it (see
		// policy.ParseARN); matchARN then finds no template.
		a, _ := policy.ParseARN(arn)
		if a.Service == "" {
			return nil, false
		}
		service = a.Service
	}
	s, ok := LookupService(service)
	if !ok {
		return nil, false
	}
	var (
		best      *ResourceType
		bestScore = -1
	)
	for _, rt := range s.ResourceTypes {
		for _, t := range rt.ARNs {
			score, ok := matchARN(t, arn)
			if !ok {
				continue
			}
			if score > bestScore || (score == bestScore && asciiLower(rt.Name) < asciiLower(best.Name)) {
				best, bestScore = rt, score
			}
		}
	}
	return best, best != nil
}

// matchARN reports whether arn fits template and how many literal bytes of
// the template it matched. The partition, service, region and account fields
// are matched one by one, so their variables cannot take a colon; the
// resource part's variables can (log-group:${LogGroupName}:log-stream:...).
func matchARN(template, arn string) (int, bool) {
	t, ok := policy.ParseARN(template)
	a, ok2 := policy.ParseARN(arn)
	if !ok || !ok2 {
		return 0, false
	}
	tf := [...]string{t.Partition, t.Service, t.Region, t.Account, t.Resource}
	af := [...]string{a.Partition, a.Service, a.Region, a.Account, a.Resource}
	literal := len("arn")
	for i := range tf {
		n, ok := matchField(tf[i], af[i])
		if !ok {
			return 0, false
		}
		literal += n
	}
	return literal, true
}

// matchField matches one field against a template field whose ${Var}s each
// stand for one or more characters, and returns the template's literal
// length.
func matchField(tmpl, s string) (int, bool) {
	var parts []string
	rest := tmpl
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			break
		}
		parts = append(parts, rest[:i])
		rest = rest[i+j+1:]
	}
	if parts == nil {
		return len(tmpl), tmpl == s
	}
	p := keyPattern{parts: append(parts, rest)}
	literal := 0
	for _, part := range p.parts {
		literal += len(part)
	}
	return literal, p.match(s)
}
