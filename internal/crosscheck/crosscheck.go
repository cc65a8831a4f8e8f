// Package crosscheck asks AWS's own policy simulator,
// iam:SimulatePrincipalPolicy, for its verdict on a request and compares it
// with iamdiag's local one.
//
// What the simulator evaluates differs from what AWS enforces, so a
// disagreement is a lead, not a verdict
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_testing-policies.html):
//
//   - It evaluates the identity-based policies of a role, user (with its
//     groups) or group, the permissions boundary, and the SCPs of the
//     account's organization (OrganizationsDecisionDetail), including their
//     conditions; SCPs whose conditions it cannot evaluate are a known
//     source of wrong results (https://github.com/aws/aws-sdk/issues/102).
//   - It does not evaluate session policies (it knows roles, not
//     sessions), resource control policies, or the resource's own policy
//     (a ResourcePolicy may be passed, and for IAM users only), nor VPC
//     endpoint policies.
//   - It sees only the context keys it is given (MissingContextValues lists
//     those the policies tested but the call did not pass), and it does not
//     apply the management account's or service-linked roles' SCP
//     exemptions the way a real request does.
//
// So: local deny, simulator allow is expected when the local blockers are
// all session, resource or RCP layers; local allow, simulator deny usually
// means a context key the simulator lacked, or an SCP it could not read;
// any other disagreement deserves a look at both sides' details.
package crosscheck

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/iamdiag/iamdiag/internal/awserr"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// SimulatePrincipalPolicyAPI is the IAM call Check makes; *iam.Client
// implements it.
type SimulatePrincipalPolicyAPI interface {
	SimulatePrincipalPolicy(ctx context.Context, params *iam.SimulatePrincipalPolicyInput, optFns ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
}

// The simulator's decisions (PolicyEvaluationDecisionType).
const (
	DecisionAllowed      = "allowed"
	DecisionExplicitDeny = "explicitDeny"
	DecisionImplicitDeny = "implicitDeny"
)

// Statement is a statement the simulator says decided the result.
type Statement struct {
	// SourcePolicyID names the policy: the managed policy's ARN or the
	// inline policy's name, as the simulator reports it.
	SourcePolicyID string
	// SourcePolicyType is "user", "group", "role", "aws-managed",
	// "user-managed", "resource", "none".
	SourcePolicyType string
}

// ContextEntry is one typed context key sent to the simulator.
type ContextEntry struct {
	Key    string
	Type   string // the ContextKeyType: "string", "ipList", …
	Values []string
}

// Result is the simulator's answer for one action on one resource.
type Result struct {
	// PolicySourceARN is the role or user simulated.
	PolicySourceARN string
	Action          string
	Resource        string
	// Context is what was sent as ContextEntries.
	Context []ContextEntry
	// EvalDecision is DecisionAllowed, DecisionExplicitDeny or
	// DecisionImplicitDeny.
	EvalDecision string
	// MatchedStatements are the statements that decided the result.
	MatchedStatements []Statement
	// MissingContextValues are the context keys the policies test but the
	// request did not give.
	MissingContextValues []string
	// AllowedByOrganizations is the simulator's SCP verdict; nil when it
	// gave none (the account is not in an organization).
	AllowedByOrganizations *bool
	// AllowedByPermissionsBoundary is the simulator's boundary verdict; nil
	// when no boundary is attached.
	AllowedByPermissionsBoundary *bool
}

// Error is a cross-check that could not run; the CLI prints "cross-check
// skipped: " and Error(), and goes on.
type Error struct {
	// Code is the AWS error code, "" for a failure without one.
	Code string
	// Denied is true when the caller lacks iam:SimulatePrincipalPolicy.
	Denied bool
	Err    error
}

// Error says what failed, for "cross-check skipped: …".
func (e *Error) Error() string {
	switch {
	case e.Denied:
		return fmt.Sprintf("iam:SimulatePrincipalPolicy was denied (%s)", e.Code)
	case e.Code != "":
		return fmt.Sprintf("iam:SimulatePrincipalPolicy failed (%s): %v", e.Code, e.Err)
	}
	return fmt.Sprintf("iam:SimulatePrincipalPolicy failed: %v", e.Err)
}

// Unwrap returns the SDK error.
func (e *Error) Unwrap() error { return e.Err }

// ErrNoSource is wrapped (inside an *Error) when there is no IAM role or
// user ARN to simulate.
var ErrNoSource = errors.New("no IAM role or user to simulate")

// Check runs iam:SimulatePrincipalPolicy for req's action and resource with
// the policies of sourceARN: the IAM role (with its path) or user behind
// the caller, never an assumed-role session ARN, which the API rejects.
// An empty sourceARN means req.Principal.IAMARN. The request context goes
// as typed ContextEntries. Any failure is an *Error.
func Check(ctx context.Context, api SimulatePrincipalPolicyAPI, req *policy.Request, sourceARN string) (*Result, error) {
	if req == nil {
		return nil, &Error{Err: errors.New("no request")}
	}
	if sourceARN == "" {
		sourceARN = req.Principal.IAMARN
	}
	if !isIAMIdentity(sourceARN) {
		return nil, &Error{Err: fmt.Errorf("%w: %q is not an IAM role or user ARN (the simulator rejects session, federated-user and root ARNs)", ErrNoSource, sourceARN)}
	}
	if req.Action == "" {
		return nil, &Error{Err: errors.New("the request has no action")}
	}
	entries := Entries(req.Context)
	in := &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(sourceARN),
		ActionNames:     []string{req.Action},
	}
	if req.Resource != "" && req.Resource != "*" {
		in.ResourceArns = []string{req.Resource}
	}
	for _, e := range entries {
		in.ContextEntries = append(in.ContextEntries, iamtypes.ContextEntry{
			ContextKeyName: aws.String(e.Key), ContextKeyType: iamtypes.ContextKeyTypeEnum(e.Type), ContextKeyValues: e.Values,
		})
	}
	r := &Result{PolicySourceARN: sourceARN, Action: req.Action, Resource: req.Resource, Context: entries}
	found := false
	p := iam.NewSimulatePrincipalPolicyPaginator(api, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap(err)
		}
		for _, er := range out.EvaluationResults {
			if found {
				continue
			}
			found = true
			r.EvalDecision = string(er.EvalDecision)
			for _, st := range er.MatchedStatements {
				r.MatchedStatements = append(r.MatchedStatements, Statement{SourcePolicyID: aws.ToString(st.SourcePolicyId), SourcePolicyType: string(st.SourcePolicyType)})
			}
			r.MissingContextValues = append(r.MissingContextValues, er.MissingContextValues...)
			if od := er.OrganizationsDecisionDetail; od != nil {
				r.AllowedByOrganizations = aws.Bool(od.AllowedByOrganizations)
			}
			if bd := er.PermissionsBoundaryDecisionDetail; bd != nil {
				r.AllowedByPermissionsBoundary = aws.Bool(bd.AllowedByPermissionsBoundary)
			}
			// One resource was asked for: its specific result, when
			// given, is the decision for it.
			for _, rr := range er.ResourceSpecificResults {
				if aws.ToString(rr.EvalResourceName) == req.Resource && rr.EvalResourceDecision != "" {
					r.EvalDecision = string(rr.EvalResourceDecision)
					for _, st := range rr.MatchedStatements {
						s := Statement{SourcePolicyID: aws.ToString(st.SourcePolicyId), SourcePolicyType: string(st.SourcePolicyType)}
						if !slices.Contains(r.MatchedStatements, s) {
							r.MatchedStatements = append(r.MatchedStatements, s)
						}
					}
					for _, k := range rr.MissingContextValues {
						if !slices.Contains(r.MissingContextValues, k) {
							r.MissingContextValues = append(r.MissingContextValues, k)
						}
					}
					if bd := rr.PermissionsBoundaryDecisionDetail; bd != nil {
						r.AllowedByPermissionsBoundary = aws.Bool(bd.AllowedByPermissionsBoundary)
					}
				}
			}
		}
	}
	if !found {
		return nil, &Error{Err: errors.New("the answer holds no evaluation result")}
	}
	return r, nil
}

// wrap turns an SDK error into an *Error, classifying it by its AWS error
// code only.
func wrap(err error) error {
	code := awserr.Code(err)
	return &Error{Code: code, Denied: code == "AccessDenied" || code == "AccessDeniedException", Err: err}
}

// isIAMIdentity reports whether s is an IAM role or user ARN.
func isIAMIdentity(s string) bool {
	a, ok := policy.ParseARN(s)
	if !ok || a.Service != "iam" || len(a.Account) != 12 {
		return false
	}
	return strings.HasPrefix(a.Resource, "role/") || strings.HasPrefix(a.Resource, "user/")
}

// keyTypes are the types of the condition keys whose type is not string,
// from the global condition keys reference
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
// and the service authorization reference; keys are lower-cased.
var keyTypes = map[string]string{
	"aws:sourceip":                        "ip",
	"aws:vpcsourceip":                     "ip",
	"aws:currenttime":                     "date",
	"aws:tokenissuetime":                  "date",
	"aws:epochtime":                       "numeric",
	"aws:multifactorauthage":              "numeric",
	"aws:multifactorauthpresent":          "boolean",
	"aws:securetransport":                 "boolean",
	"aws:viaawsservice":                   "boolean",
	"aws:principalisawsservice":           "boolean",
	"aws:assumedroot":                     "boolean",
	"s3:max-keys":                         "numeric",
	"s3:signatureage":                     "numeric",
	"s3:tlsversion":                       "numeric",
	"s3:objectlockremainingretentiondays": "numeric",
	"kms:grantisforawsresource":           "boolean",
	"ec2:islaunchtemplateresource":        "boolean",
	"ec2:ebsoptimized":                    "boolean",
	"ec2:encrypted":                       "boolean",
	"ec2:volumesize":                      "numeric",
	"ec2:volumeiops":                      "numeric",
	"glacier:archiveageindays":            "numeric",
	"dynamodb:returnconsumedcapacity":     "string",
}

// multiValued are keys that are lists even with one value.
var multiValued = map[string]bool{
	"aws:tagkeys": true, "aws:principalorgpaths": true, "aws:resourceorgpaths": true,
	"aws:sourceorgpaths": true, "aws:calledvia": true, "aws:principalservicenameslist": true,
}

// Entries turns a request context into typed ContextEntries: the type of a
// known key (aws:SourceIp ip, aws:CurrentTime date,
// aws:MultiFactorAuthPresent boolean …), else string; a key with several
// values, or a multivalued key, as the list form. aws:EpochTime is numeric
// when its value is digits and a date otherwise, as the reference allows
// both. Keys are sorted.
func Entries(c *policy.Context) []ContextEntry {
	var out []ContextEntry
	for _, k := range c.Keys() {
		vals, _ := c.Get(k)
		lk := strings.ToLower(k)
		t, ok := keyTypes[lk]
		if !ok {
			t = "string"
		}
		if lk == "aws:epochtime" {
			for _, v := range vals {
				if strings.Trim(v, "0123456789") != "" {
					t = "date"
				}
			}
		}
		if len(vals) != 1 || multiValued[lk] {
			t += "List"
		}
		out = append(out, ContextEntry{Key: k, Type: t, Values: append([]string(nil), vals...)})
	}
	return out
}

// localDecision maps the simulator's decision onto iamdiag's; the zero
// Decision, no verdict, when the simulator's is unknown.
func localDecision(eval string) simulate.Decision {
	switch eval {
	case DecisionAllowed:
		return simulate.Allowed
	case DecisionExplicitDeny:
		return simulate.ExplicitDeny
	case DecisionImplicitDeny:
		return simulate.ImplicitDeny
	}
	return 0
}

// Compare says whether the local decision and the simulator's agree, and
// describes the simulator's side for people.
func Compare(local simulate.Decision, r *Result) (agrees bool, detail string) {
	if r == nil {
		return false, "no simulator result"
	}
	remote := localDecision(r.EvalDecision)
	desc := describe(r)
	switch {
	case local == simulate.Inconclusive:
		// The local verdict names unreadable layers as suspects: the
		// simulator's word on SCPs and the boundary may settle them.
		return true, "local verdict inconclusive; " + desc
	case remote == 0:
		return false, "the simulator returned an unknown decision " + r.EvalDecision + "; " + desc
	case local == remote:
		return true, desc
	case local != simulate.Allowed && remote == simulate.Allowed:
		return false, desc + "; the simulator does not evaluate session policies, RCPs or the resource's policy: a deny from one of them is expected to show as a disagreement"
	case local == simulate.Allowed:
		return false, desc + "; the simulator may lack a context key the policies test (see missing context values), or evaluate an SCP condition differently"
	}
	return false, desc
}

// Explain is Compare with the local blockers at hand: a local deny whose
// blockers are all in layers the simulator does not evaluate (session
// policy, resource policy, RCP, VPC endpoint policy) against a simulator allow is an agreement.
func Explain(local *simulate.Result, r *Result) (agrees bool, detail string) {
	if local == nil {
		return false, "no local result"
	}
	agrees, detail = Compare(local.Decision, r)
	if agrees || r == nil || localDecision(r.EvalDecision) != simulate.Allowed || len(local.Blockers) == 0 {
		return agrees, detail
	}
	var layers []string
	for _, b := range local.Blockers {
		switch b.Layer {
		case policy.LayerSession, policy.LayerResource, policy.LayerRCP, policy.LayerVPCEndpoint:
			layers = append(layers, string(b.Layer))
		default:
			return false, detail
		}
	}
	return true, describe(r) + "; expected: the local deny comes from " + strings.Join(slices.Compact(layers), ", ") + ", which the simulator does not evaluate"
}

func describe(r *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "iam:SimulatePrincipalPolicy says %s", r.EvalDecision)
	if r.AllowedByOrganizations != nil {
		fmt.Fprintf(&b, ", SCPs allow: %t", *r.AllowedByOrganizations)
	}
	if r.AllowedByPermissionsBoundary != nil {
		fmt.Fprintf(&b, ", boundary allows: %t", *r.AllowedByPermissionsBoundary)
	}
	if len(r.MatchedStatements) > 0 {
		ids := make([]string, 0, len(r.MatchedStatements))
		for _, s := range r.MatchedStatements {
			ids = append(ids, s.SourcePolicyID)
		}
		fmt.Fprintf(&b, ", matched: %s", strings.Join(ids, ", "))
	}
	if len(r.MissingContextValues) > 0 {
		fmt.Fprintf(&b, ", missing context values: %s", strings.Join(r.MissingContextValues, ", "))
	}
	return b.String()
}
