package authrecord

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// Evaluated is the request and its policy layers as AWS evaluated them,
// read from a record.
type Evaluated struct {
	// Request is the denied evaluation's action and resource with AWS's
	// request context (the record's, then the evaluation's own keys).
	Request *policy.Request
	// Layers are the evaluated policies by layer; every layer is read,
	// save those whose document could not be fetched. The VPC endpoint
	// policy AWS evaluated is Layers.VPCEndpoint; a record that evaluated
	// none says the request went through no endpoint (NoVPCEndpoint).
	Layers *policy.Layers
	// VPCEndpoint are the VPC endpoint policies AWS evaluated, as the
	// record names them (a request goes through one endpoint: the first is
	// the layer).
	VPCEndpoint []policy.Source
	// Evaluation is the evaluation that denied the request; nil when the
	// record holds none that did.
	Evaluation *Evaluation
}

// Evaluate reads the request and the layers as AWS evaluated them.
// principal is the caller as the error text named it ("" takes the
// record's aws:PrincipalArn); action picks the evaluation ("" takes the
// first that denied).
func (r *Record) Evaluate(principal, action string) (*Evaluated, error) {
	ev := r.Denied(action)
	if ev == nil && len(r.Evaluations) > 0 {
		ev = &r.Evaluations[0]
	}
	if ev == nil {
		return nil, fmt.Errorf("%w: the record of %s holds no evaluation", ErrInvalid, r.AuthorizationID)
	}
	ctx := &policy.Context{}
	for _, m := range []map[string]json.RawMessage{r.RequestContext, ev.Context} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if v := values(m[k]); len(v) > 0 {
				ctx.Set(k, v...)
			}
		}
	}
	principalARN := first(ctx, "aws:PrincipalArn")
	if principal == "" {
		principal = principalARN
	}
	resource := ev.Resource
	if resource == "" {
		resource = "*"
	}
	req := policy.NewRequest(principal, ev.Action, resource)
	req.Context = ctx
	if strings.HasPrefix(principalARN, "arn:") && strings.Contains(principalARN, ":iam::") {
		req.Principal.IAMARN = principalARN
	}
	req.Principal.Account = first(ctx, "aws:PrincipalAccount")

	out := &Evaluated{Request: req, Evaluation: ev, Layers: &policy.Layers{SessionKnown: true}}
	l := out.Layers
	l.ResourceAccount = first(ctx, "aws:ResourceAccount")
	scp, rcp := levels{}, levels{}
	for _, p := range r.Policies {
		src, err := r.source(p)
		if err != nil {
			unreadable := policy.Readability{Unreadable: true, Error: "GetRequestAuthorizationPolicy",
				Message: "AWS's record names " + p.URI + " but its document could not be fetched: " + err.Error()}
			switch p.Type {
			case TypeIdentity:
				l.IdentityRead = unreadable
			case TypeBoundary:
				l.BoundaryRead = unreadable
			case TypeSession:
				l.SessionRead = unreadable
			case TypeSCP:
				l.SCPRead = unreadable
			case TypeRCP:
				l.RCPRead = unreadable
			case TypeResource:
				l.ResourceRead = unreadable
			case TypeVPCEndpoint:
				l.VPCEndpointRead = unreadable
				out.VPCEndpoint = append(out.VPCEndpoint, src)
			}
			continue
		}
		if (p.Type == TypeIdentity || p.Type == TypeBoundary) && len(p.AttachedTo) > 0 && isIdentityARN(p.AttachedTo[0].ARN) {
			// The policy is attached to the IAM identity, with its path.
			req.Principal.IAMARN = p.AttachedTo[0].ARN
		}
		switch p.Type {
		case TypeIdentity:
			l.Identity = append(l.Identity, src)
		case TypeBoundary:
			s := src
			l.Boundary = &s
		case TypeSession:
			l.Session = append(l.Session, src)
		case TypeResource:
			s := src
			if len(p.AttachedTo) > 0 {
				s.ARN = p.AttachedTo[0].ARN
			}
			l.Resource = &s
		case TypeSCP:
			scp.add(l, p, src)
		case TypeRCP:
			rcp.add(l, p, src)
		case TypeVPCEndpoint:
			s := src
			if len(p.AttachedTo) > 0 {
				s.ARN = p.AttachedTo[0].ARN
			}
			out.VPCEndpoint = append(out.VPCEndpoint, s)
		}
	}
	for i := range out.VPCEndpoint {
		if out.VPCEndpoint[i].Document != nil {
			v := out.VPCEndpoint[i]
			l.VPCEndpoint = &v
			break
		}
	}
	// AWS's record lists every policy it evaluated: without an endpoint
	// policy, the request went through no VPC endpoint.
	l.NoVPCEndpoint = len(out.VPCEndpoint) == 0
	l.SCP, l.RCP = scp.ordered(), rcp.ordered()
	l.Principal = req.Principal
	return out, nil
}

// source parses p's document into a policy source of its layer.
func (r *Record) source(p PolicyInfo) (policy.Source, error) {
	src := policy.Source{Layer: layerOf(p.Type), Name: policyName(p.URI)}
	if strings.HasPrefix(p.URI, "arn:") {
		src.ARN = p.URI
		src.AWSManaged = strings.Contains(p.URI, ":iam::aws:policy/") || strings.Contains(p.URI, "/aws-service-")
	}
	src.Origin = "AWS's record of " + r.AuthorizationID
	if len(p.AttachedTo) > 0 {
		src.Origin += ", attached to " + p.AttachedTo[0].ARN
	}
	if p.Inline {
		src.Origin += " (inline)"
	}
	if e, ok := r.DocumentErrors[p.URI]; ok {
		return src, fmt.Errorf("%s", e)
	}
	raw, ok := r.Documents[p.URI]
	if !ok {
		return src, fmt.Errorf("not in the record")
	}
	doc, err := parseDocument(raw)
	if err != nil {
		return src, err
	}
	src.Document = doc
	return src, nil
}

// parseDocument reads a document as the service returns it: a JSON
// object, or a JSON string holding one (URL-encoded or not).
func parseDocument(raw json.RawMessage) (*policy.Document, error) {
	t := strings.TrimSpace(string(raw))
	if strings.HasPrefix(t, `"`) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("parsing the policy document: %w", err)
		}
		t = s
	}
	doc, err := policy.Parse([]byte(t))
	if err != nil {
		return nil, fmt.Errorf("parsing the policy document: %w", err)
	}
	return doc, nil
}

// layerOf maps a record's policy type to the engine's layer.
func layerOf(t string) policy.Layer {
	switch t {
	case TypeIdentity:
		return policy.LayerIdentity
	case TypeBoundary:
		return policy.LayerBoundary
	case TypeSession:
		return policy.LayerSession
	case TypeResource:
		return policy.LayerResource
	case TypeSCP:
		return policy.LayerSCP
	case TypeRCP:
		return policy.LayerRCP
	case TypeVPCEndpoint:
		return policy.LayerVPCEndpoint
	}
	return policy.Layer(strings.ToLower(t))
}

// LayerOf names the engine's layer of a record's policy type.
func LayerOf(t string) policy.Layer { return layerOf(t) }

// policyName is the last part of a policy ARN's resource, or the URI.
func policyName(uri string) string {
	if !strings.HasPrefix(uri, "arn:") {
		return uri
	}
	if i := strings.LastIndexByte(uri, '/'); i >= 0 {
		return uri[i+1:]
	}
	return uri
}

// levels collects the SCP or RCP levels from the policies' attachedTo
// Organizations ARNs: arn:aws:organizations::MGMT:root/o-…/r-…,
// …:ou/o-…/ou-…, …:account/o-…/ACCOUNT.
type levels struct {
	order []string
	by    map[string]*policy.OrgLevel
}

func (lv *levels) add(l *policy.Layers, p PolicyInfo, src policy.Source) {
	if lv.by == nil {
		lv.by = map[string]*policy.OrgLevel{}
	}
	for _, a := range p.AttachedTo {
		arn, ok := policy.ParseARN(a.ARN)
		if !ok || arn.Service != "organizations" {
			continue
		}
		parts := strings.Split(arn.Resource, "/")
		if len(parts) < 3 {
			continue
		}
		kind, org, target := parts[0], parts[1], parts[len(parts)-1]
		if l.OrgID == "" {
			l.OrgID = org
		}
		if l.ManagementAccount == "" {
			l.ManagementAccount = arn.Account
		}
		lvl := lv.by[target]
		if lvl == nil {
			lvl = &policy.OrgLevel{Target: target, Type: orgType(kind)}
			lv.by[target] = lvl
			lv.order = append(lv.order, target)
		}
		s := src
		s.Target = target
		lvl.Policies = append(lvl.Policies, s)
	}
}

// ordered returns the levels root first, then the OUs as the record named
// them, then the account.
func (lv *levels) ordered() []policy.OrgLevel {
	rank := map[string]int{"ROOT": 0, "ORGANIZATIONAL_UNIT": 1, "ACCOUNT": 2}
	var out []policy.OrgLevel
	for _, t := range lv.order {
		out = append(out, *lv.by[t])
	}
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i].Type] < rank[out[j].Type] })
	return out
}

func orgType(kind string) string {
	switch kind {
	case "root":
		return "ROOT"
	case "ou":
		return "ORGANIZATIONAL_UNIT"
	}
	return "ACCOUNT"
}

func first(c *policy.Context, key string) string {
	if v, ok := c.Get(key); ok && len(v) > 0 {
		return v[0]
	}
	return ""
}

// isIdentityARN reports whether arn is an IAM role's or user's.
func isIdentityARN(arn string) bool {
	a, ok := policy.ParseARN(arn)
	return ok && a.Service == "iam" && (strings.HasPrefix(a.Resource, "role/") || strings.HasPrefix(a.Resource, "user/"))
}
