package fakeaws

import (
	"errors"
	"fmt"
	"strings"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// SimulateQuery is one action × resource of a SimulatePrincipalPolicy call.
type SimulateQuery struct {
	// PolicySourceARN is the user, group or role simulated.
	PolicySourceARN string
	Action          string
	// Resource is the resource ARN, "*" when the call named none.
	Resource string
	// Context holds the call's ContextEntries.
	Context *policy.Context
}

// The EvalDecision values of SimulatePrincipalPolicy
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html).
const (
	EvalAllowed      = "allowed"
	EvalExplicitDeny = "explicitDeny"
	EvalImplicitDeny = "implicitDeny"
)

// SimulateAnswer is one EvaluationResult of SimulatePrincipalPolicy.
type SimulateAnswer struct {
	// Decision is EvalAllowed, EvalExplicitDeny or EvalImplicitDeny.
	Decision string
	// AllowedByOrganizations is OrganizationsDecisionDetail; nil when the
	// account is not in an organization (the element is then absent).
	AllowedByOrganizations *bool
	// AllowedByPermissionsBoundary is PermissionsBoundaryDecisionDetail;
	// nil when the principal has no boundary.
	AllowedByPermissionsBoundary *bool
	// MatchedStatements are the statements that decided: the Deny
	// statements that applied for an explicit deny, the Allow statements
	// that applied for an allow.
	MatchedStatements []MatchedStatement
	// MissingContextValues are the condition keys the policies test that
	// the context lacked.
	MissingContextValues []string
}

// MatchedStatement is one entry of MatchedStatements
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Statement.html).
type MatchedStatement struct {
	// SourcePolicyID is the policy's name (inline or managed) or, for the
	// ResourcePolicy passed in the call, "ResourcePolicy".
	SourcePolicyID string
	// SourcePolicyType is "user", "group", "role", "aws-managed",
	// "user-managed" or "resource".
	SourcePolicyType string
}

type xPosition struct {
	Line   int
	Column int
}

type xStatement struct {
	SourcePolicyId   string
	SourcePolicyType string
	StartPosition    *xPosition `xml:",omitempty"`
	EndPosition      *xPosition `xml:",omitempty"`
}

type xOrgDetail struct{ AllowedByOrganizations bool }
type xBoundaryDetail struct{ AllowedByPermissionsBoundary bool }

type xEvaluationResult struct {
	EvalActionName                    string
	EvalResourceName                  string
	EvalDecision                      string
	MatchedStatements                 []xStatement     `xml:"MatchedStatements>member"`
	MissingContextValues              []string         `xml:"MissingContextValues>member"`
	OrganizationsDecisionDetail       *xOrgDetail      `xml:",omitempty"`
	PermissionsBoundaryDecisionDetail *xBoundaryDetail `xml:",omitempty"`
}

type xSimulateResult struct {
	EvaluationResults []xEvaluationResult `xml:"EvaluationResults>member"`
	IsTruncated       bool
	Marker            string `xml:",omitempty"`
}

// simulatePrincipalPolicy evaluates with iamdiag's engine what IAM's
// simulator evaluates
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html):
// the principal's identity policies and boundary, the organization's SCPs,
// the call's extra policies and its ResourcePolicy; the simulator does not
// fetch resource policies itself and has no session.
func (s *Server) simulatePrincipalPolicy(rq *request) (any, *apiError) {
	src, e := required(rq, "PolicySourceArn")
	if e != nil {
		return nil, e
	}
	actions := formList(rq, "ActionNames")
	if len(actions) == 0 {
		return nil, &apiError{Code: "ValidationError", Message: "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null"}
	}
	resources := formList(rq, "ResourceArns")
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	ctx, e := contextEntries(rq)
	if e != nil {
		return nil, e
	}
	var results []xEvaluationResult
	for _, action := range actions {
		for _, res := range resources {
			q := SimulateQuery{PolicySourceARN: src, Action: action, Resource: res, Context: ctx.Clone()}
			a, e := s.simulate(rq, q)
			if e != nil {
				return nil, e
			}
			if s.opts.SimulateOverride != nil {
				a = s.opts.SimulateOverride(q, a)
			}
			results = append(results, toEvaluationResult(action, res, a))
		}
	}
	start, end, marker, e := s.iamPage(rq, len(results))
	if e != nil {
		return nil, e
	}
	return xSimulateResult{EvaluationResults: results[start:end], IsTruncated: marker != "", Marker: marker}, nil
}

func toEvaluationResult(action, res string, a SimulateAnswer) xEvaluationResult {
	x := xEvaluationResult{EvalActionName: action, EvalResourceName: res, EvalDecision: a.Decision, MissingContextValues: a.MissingContextValues}
	for _, m := range a.MatchedStatements {
		x.MatchedStatements = append(x.MatchedStatements, xStatement{SourcePolicyId: m.SourcePolicyID, SourcePolicyType: m.SourcePolicyType})
	}
	if a.AllowedByOrganizations != nil {
		x.OrganizationsDecisionDetail = &xOrgDetail{AllowedByOrganizations: *a.AllowedByOrganizations}
	}
	if a.AllowedByPermissionsBoundary != nil {
		x.PermissionsBoundaryDecisionDetail = &xBoundaryDetail{AllowedByPermissionsBoundary: *a.AllowedByPermissionsBoundary}
	}
	return x
}

// contextEntries reads ContextEntries.member.N.{ContextKeyName,
// ContextKeyValues.member.M, ContextKeyType}.
func contextEntries(rq *request) (*policy.Context, *apiError) {
	ctx := &policy.Context{}
	for i := 1; ; i++ {
		p := fmt.Sprintf("ContextEntries.member.%d.", i)
		key := rq.form.Get(p + "ContextKeyName")
		if key == "" {
			if _, ok := rq.form[p+"ContextKeyType"]; ok {
				return nil, &apiError{Code: "InvalidInput", Message: "A context entry has no ContextKeyName."}
			}
			return ctx, nil
		}
		ctx.Add(key, formList(rq, p+"ContextKeyValues")...)
	}
}

// simulate computes one EvaluationResult.
func (s *Server) simulate(rq *request, q SimulateQuery) (SimulateAnswer, *apiError) {
	req := &policy.Request{Principal: policy.Principal{ARN: q.PolicySourceARN}, Action: q.Action, Resource: q.Resource, Context: q.Context}
	var l *policy.Layers
	switch typ := strings.SplitN(resourceOf(q.PolicySourceARN), "/", 2)[0]; {
	case strings.Contains(q.PolicySourceARN, ":sts:"):
		// The simulator takes the IAM entity, not a session
		// (PolicySourceArn: "a user, group, or role").
		return SimulateAnswer{}, &apiError{Code: "InvalidInput", Message: fmt.Sprintf("Invalid ARN %s: PolicySourceArn must be the ARN of a user, group or role", q.PolicySourceARN)}
	case typ == "group":
		g, e := s.groupByARN(q.PolicySourceARN)
		if e != nil {
			return SimulateAnswer{}, e
		}
		l = s.groupLayers(g)
		l.SCP, l.SCPRead = s.orgSCPs(req)
	default:
		var err error
		l, err = s.snap.Layers(req)
		if errors.Is(err, layers.ErrPrincipalNotFound) {
			return SimulateAnswer{}, noSuchEntity("The entity %s cannot be found.", q.PolicySourceARN)
		}
		if err != nil {
			return SimulateAnswer{}, &apiError{Code: "InvalidInput", Message: err.Error()}
		}
	}
	if e := s.callerPolicies(rq, l); e != nil {
		return SimulateAnswer{}, e
	}
	// Not simulated: sessions, RCPs; an unreadable organization is no
	// organization.
	l.Session, l.SessionKnown = nil, true
	l.RCP, l.RCPRead = nil, policy.Readability{}
	if l.SCPRead.Unreadable {
		l.SCP, l.SCPRead = nil, policy.Readability{}
	}
	r := simulate.Evaluate(req, l, simulate.Options{})
	return answerOf(r, l), nil
}

// callerPolicies adds the call's PolicyInputList, its
// PermissionsBoundaryPolicyInputList and its ResourcePolicy.
func (s *Server) callerPolicies(rq *request, l *policy.Layers) *apiError {
	parse := func(text, what string) (*policy.Document, *apiError) {
		doc, err := policy.Parse([]byte(text))
		if err != nil {
			return nil, &apiError{Code: "MalformedPolicyDocument", Message: fmt.Sprintf("%s: %v", what, err)}
		}
		return doc, nil
	}
	for i, text := range formList(rq, "PolicyInputList") {
		doc, e := parse(text, "PolicyInputList")
		if e != nil {
			return e
		}
		l.Identity = append(l.Identity, policy.Source{Layer: policy.LayerIdentity, Name: fmt.Sprintf("PolicyInputList.%d", i+1), Origin: "PolicyInputList", Document: doc})
	}
	for i, text := range formList(rq, "PermissionsBoundaryPolicyInputList") {
		doc, e := parse(text, "PermissionsBoundaryPolicyInputList")
		if e != nil {
			return e
		}
		l.Boundary = &policy.Source{Layer: policy.LayerBoundary, Name: fmt.Sprintf("PermissionsBoundaryPolicyInputList.%d", i+1), Origin: "PermissionsBoundaryPolicyInputList", Document: doc}
		l.BoundaryRead = policy.Readability{}
	}
	l.Resource, l.ResourceRead = nil, policy.Readability{}
	if text := param(rq, "ResourcePolicy"); text != "" {
		doc, e := parse(text, "ResourcePolicy")
		if e != nil {
			return e
		}
		l.Resource = &policy.Source{Layer: policy.LayerResource, Name: "ResourcePolicy", Origin: "ResourcePolicy", Document: doc}
		l.ResourceAccount = accountOf(param(rq, "ResourceOwner"))
	}
	return nil
}

// accountOf returns the account field of an ARN, "" when arn is not one.
func accountOf(arn string) string {
	a, _ := policy.ParseARN(arn)
	return a.Account
}

func (s *Server) groupByARN(arn string) (*layers.Group, *apiError) {
	name := resourceOf(arn)
	name = name[strings.LastIndexByte(name, '/')+1:]
	g := s.iam.groups[strings.ToLower(name)]
	if g == nil || g.Arn != arn {
		return nil, noSuchEntity("The entity %s cannot be found.", arn)
	}
	return g, nil
}

// groupLayers is the identity layer of a group: its inline and managed
// policies.
func (s *Server) groupLayers(g *layers.Group) *policy.Layers {
	l := &policy.Layers{Principal: policy.Principal{ARN: g.Arn, IAMARN: g.Arn, Account: accountOf(g.Arn)}, SessionKnown: true}
	origin := "group/" + g.GroupName
	for i := range g.GroupPolicyList {
		ip := &g.GroupPolicyList[i]
		l.Identity = append(l.Identity, policy.Source{Layer: policy.LayerIdentity, Name: ip.PolicyName, Origin: origin + " (inline " + ip.PolicyName + ")", Document: ip.PolicyDocument.Document()})
	}
	for _, ap := range g.AttachedManagedPolicies {
		p := s.iam.policies[ap.PolicyArn]
		if p == nil {
			l.IdentityRead = policy.Readability{Unreadable: true, Error: "PolicyNotInSnapshot"}
			continue
		}
		if v := defaultVersion(p); v != nil {
			l.Identity = append(l.Identity, policy.Source{Layer: policy.LayerIdentity, ARN: p.Arn, Name: p.PolicyName, Origin: origin,
				AWSManaged: strings.Contains(p.Arn, ":iam::aws:policy/"), Document: v.Document.Document()})
		}
	}
	return l
}

// orgSCPs are the SCP levels of the account of req's principal, through
// the snapshot's own resolution for any role or user of that account.
func (s *Server) orgSCPs(req *policy.Request) ([]policy.OrgLevel, policy.Readability) {
	acct := accountOf(req.Principal.ARN)
	probe := *req
	for _, r := range s.iam.details.RoleDetailList {
		if accountOf(r.Arn) == acct {
			probe.Principal = policy.Principal{ARN: r.Arn}
			if l, err := s.snap.Layers(&probe); err == nil {
				return l.SCP, l.SCPRead
			}
		}
	}
	return nil, policy.Readability{}
}

// answerOf turns iamdiag's Result into the simulator's terms.
func answerOf(r *simulate.Result, l *policy.Layers) SimulateAnswer {
	a := SimulateAnswer{}
	switch r.Decision {
	case simulate.Allowed:
		a.Decision = EvalAllowed
	case simulate.ExplicitDeny:
		a.Decision = EvalExplicitDeny
	default:
		// The simulator knows no "inconclusive": what is not allowed is
		// denied.
		a.Decision = EvalImplicitDeny
	}
	for _, lr := range r.Layers {
		switch lr.Layer {
		case policy.LayerSCP:
			if len(l.SCP) > 0 {
				ok := lr.Decision != simulate.LayerExplicitDeny && lr.Decision != simulate.LayerImplicitDeny
				a.AllowedByOrganizations = &ok
			}
		case policy.LayerBoundary:
			if l.Boundary != nil {
				ok := lr.Decision == simulate.LayerAllow
				a.AllowedByPermissionsBoundary = &ok
			}
		}
		if lr.Layer == policy.LayerSCP || lr.Layer == policy.LayerRCP || lr.Layer == policy.LayerSession {
			continue
		}
		for _, pr := range lr.Policies {
			if pr.Evaluation == nil || pr.Source == nil {
				continue
			}
			for _, st := range pr.Evaluation.Statements {
				if !st.Applies || st.Statement == nil {
					continue
				}
				deny := st.Statement.Effect == policy.Deny
				if (a.Decision == EvalExplicitDeny && deny) || (a.Decision == EvalAllowed && !deny && lr.Layer != policy.LayerBoundary) {
					a.MatchedStatements = append(a.MatchedStatements, MatchedStatement{SourcePolicyID: pr.Source.Name, SourcePolicyType: sourceType(pr.Source)})
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, m := range r.Missing {
		if !seen[m.Key] {
			seen[m.Key] = true
			a.MissingContextValues = append(a.MissingContextValues, m.Key)
		}
	}
	return a
}

// sourceType is the simulator's PolicySourceType of a policy.
func sourceType(src *policy.Source) string {
	switch {
	case src.Layer == policy.LayerResource:
		return "resource"
	case src.ARN != "" && src.AWSManaged:
		return "aws-managed"
	case src.ARN != "":
		return "user-managed"
	}
	kind, _, _ := strings.Cut(src.Origin, "/")
	switch kind {
	case "role", "user", "group":
		return kind
	}
	return "none"
}
