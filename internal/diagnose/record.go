package diagnose

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/iamdiag/iamdiag/internal/authrecord"
	"github.com/iamdiag/iamdiag/internal/decode"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/report"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// SourceAuthorizationRecord and SourceAuthorizationID are the decode
// sources of a saved record and of a bare authorization ID.
const (
	SourceAuthorizationRecord = "authorization-record"
	SourceAuthorizationID     = "authorization-id"
)

// fallbackThen ends the line that says why AWS's record is not used.
const fallbackThen = "; diagnosing from the current policies instead"

// RecordFetcher fetches AWS's record of a denied request, with every
// evaluated document, by its authorization ID; region "" is the fetcher's
// own. Its errors wrap authrecord.ErrNotFound, ErrAccessDenied or
// ErrUnsupportedRegion where they mean that.
type RecordFetcher interface {
	FetchRecord(ctx context.Context, id, region string) (*authrecord.Record, error)
}

// Record is the source of AWS's record of the request: every layer as AWS
// evaluated it, documents as they were then. It answers for the request
// ev was read for.
func Record(ev *authrecord.Evaluated) Gatherer {
	return GathererFunc(func(_ context.Context, _ *policy.Request) (*Gathered, error) {
		return &Gathered{Layers: ev.Layers}, nil
	})
}

// fromRecordFile decodes a saved record into the request it describes.
func fromRecordFile(data []byte) (*decode.Request, error) {
	rec, err := authrecord.Parse(data)
	if err != nil {
		return nil, err
	}
	req := &decode.Request{Source: SourceAuthorizationRecord, AuthorizationID: rec.AuthorizationID, AuthorizationRegion: rec.Region}
	if ev := rec.Denied(""); ev != nil {
		req.Action, req.Resource = ev.Action, ev.Resource
	}
	return req, nil
}

// record returns AWS's record of the request the input carries an
// authorization ID for, or nil with the one line that says why not (empty
// when the input carries none).
func record(ctx context.Context, in Input, dec *decode.Request, src Sources) (*authrecord.Record, string) {
	if in.AuthorizationRecord != nil {
		rec, err := authrecord.Parse(in.AuthorizationRecord)
		if err != nil {
			return nil, "the authorization record cannot be read: " + err.Error()
		}
		return rec, ""
	}
	id := dec.AuthorizationID
	if id == "" {
		return nil, ""
	}
	if src.Records == nil {
		return nil, "the input carries authorization ID " + id + " of AWS's record of the denial, which this source cannot read: diagnose with AWS credentials allowed iam:GetRequestAuthorizationDetails and iam:GetRequestAuthorizationPolicy, or from a saved record"
	}
	rec, err := src.Records.FetchRecord(ctx, id, dec.AuthorizationRegion)
	if err == nil {
		return rec, ""
	}
	where := dec.AuthorizationRegion
	if where == "" {
		where = "the configured region"
	}
	const then = fallbackThen
	switch {
	case errors.Is(err, authrecord.ErrNotFound):
		return nil, "AWS's record of authorization ID " + id + " was not found in " + where + ": the ID is unknown there or has expired (records last at least 24 hours)" + then
	case errors.Is(err, authrecord.ErrAccessDenied):
		return nil, "AWS's record of authorization ID " + id + " cannot be read: access denied (allow iam:GetRequestAuthorizationDetails and iam:GetRequestAuthorizationPolicy; the caller must belong to the denied principal's organization, or account)" + then
	case errors.Is(err, authrecord.ErrUnsupportedRegion):
		return nil, "AWS's record of authorization ID " + id + " cannot be read: IAM Toolbox has no endpoint in " + where + then
	case errors.Is(err, authrecord.ErrInvalid):
		return nil, "AWS's record of authorization ID " + id + " cannot be read: " + err.Error() + then
	}
	if ctx.Err() != nil {
		return nil, "AWS's record of authorization ID " + id + " cannot be read: " + ctx.Err().Error() + then
	}
	return nil, "AWS's record of authorization ID " + id + " cannot be read: " + err.Error() + then
}

// recordCheck sets AWS's record beside the local verdict: its decision and
// matched statements, and whether they agree with the evaluation.
func recordCheck(rec *authrecord.Record, ev *authrecord.Evaluated, res *simulate.Result) *report.Record {
	out := &report.Record{AuthorizationID: rec.AuthorizationID, Region: rec.Region, Time: rec.Time(), FetchedAt: rec.FetchedAt}
	if ev.Evaluation != nil {
		out.Decision = ev.Evaluation.EvaluatedEffect
		for _, mp := range ev.Evaluation.MatchedPolicies {
			layer := ""
			if p := rec.Policy(mp.URI); p != nil {
				layer = string(authrecord.LayerOf(p.Type))
			}
			for _, st := range mp.MatchedStatements {
				out.Matched = append(out.Matched, report.RecordStatement{Layer: layer, Policy: mp.URI, Statement: st.Sid, Effect: st.EvaluatedEffect})
			}
		}
	}
	for _, v := range ev.VPCEndpoint {
		out.VPCEndpoint = append(out.VPCEndpoint, v.Name)
	}
	out.Agrees, out.Detail = recordAgrees(out, res)
	return out
}

// recordAgrees compares AWS's evaluated effect and its matched Deny
// statements with the local decision and blockers.
func recordAgrees(r *report.Record, res *simulate.Result) (bool, string) {
	if res == nil {
		return false, "no local verdict"
	}
	want := map[string]simulate.Decision{
		authrecord.EffectAllow:        simulate.Allowed,
		authrecord.EffectExplicitDeny: simulate.ExplicitDeny,
		authrecord.EffectImplicitDeny: simulate.ImplicitDeny,
	}
	d, ok := want[r.Decision]
	if !ok {
		return false, "AWS's record gives no decision this version of iamdiag knows (" + r.Decision + ")"
	}
	if res.Decision != d {
		return false, fmt.Sprintf("AWS decided %s, iamdiag finds %s", r.Decision, res.Decision)
	}
	var missing []string
	for _, st := range r.Matched {
		if !strings.EqualFold(st.Effect, "DENY") {
			continue
		}
		found := false
		for _, b := range res.Blockers {
			if b.Kind != simulate.BlockerExplicitDeny {
				continue
			}
			samePolicy := strings.EqualFold(b.Policy, st.Policy) || b.PolicyName == st.Policy || strings.HasSuffix(st.Policy, "/"+b.PolicyName)
			if samePolicy && (b.Statement == st.Statement || strings.HasPrefix(b.Statement, "#")) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, st.Policy+" statement "+st.Statement)
		}
	}
	if len(missing) > 0 {
		return false, "AWS matched " + strings.Join(missing, ", ") + ", which iamdiag does not find blocking"
	}
	return true, "AWS's evaluation and iamdiag's agree"
}

// currentCheck diagnoses the request against the account's policies now
// and says which of the policies AWS evaluated have changed since the
// denial.
func currentCheck(ctx context.Context, cur Gatherer, req *policy.Request, then *policy.Layers, src Sources) *report.RecordCurrent {
	g, err := cur.Gather(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return &report.RecordCurrent{Error: ctx.Err().Error()}
		}
		return &report.RecordCurrent{Error: err.Error()}
	}
	now := *g.Layers
	if src.ResourceAccount != "" {
		now.ResourceAccount = src.ResourceAccount
	}
	if src.ManagementAccount != "" {
		now.ManagementAccount = src.ManagementAccount
	}
	if src.S3PublicAccess != nil {
		now.S3PublicAccess = src.S3PublicAccess
	}
	return &report.RecordCurrent{Changes: policyChanges(then, &now), Result: simulate.Evaluate(req, &now, simulate.Options{})}
}

// policyChanges lists, for people, how the policies now differ from the
// ones AWS evaluated: a policy with an ARN is matched by it (and, for an
// SCP or RCP, by where it is attached); the single policies of a layer
// (boundary, resource-based, VPC endpoint) by layer; policies without an
// ARN (inline, session) by their documents, since the record names them
// its own way. A layer the current source cannot read is said to be
// unknown, not compared.
func policyChanges(then, now *policy.Layers) []string {
	var out []string
	unknown := func(l policy.Layer, r policy.Readability) bool {
		if r.Unreadable {
			out = append(out, "the current "+l.Title()+" layer is unknown ("+r.Error+"): not compared")
		}
		return r.Unreadable || r.Omitted
	}
	if !unknown(policy.LayerSCP, now.SCPRead) && !then.SCPRead.Unreadable {
		out = append(out, orgChanges(policy.LayerSCP, then.SCP, now.SCP)...)
	}
	if !unknown(policy.LayerRCP, now.RCPRead) && !then.RCPRead.Unreadable {
		out = append(out, orgChanges(policy.LayerRCP, then.RCP, now.RCP)...)
	}
	if !unknown(policy.LayerIdentity, now.IdentityRead) && !then.IdentityRead.Unreadable {
		out = append(out, listChanges(policy.LayerIdentity, then.Identity, now.Identity)...)
	}
	if !unknown(policy.LayerBoundary, now.BoundaryRead) && !then.BoundaryRead.Unreadable {
		out = append(out, oneChange(policy.LayerBoundary, then.Boundary, now.Boundary)...)
	}
	// Session policies cannot be read after the fact: only a source that
	// knows them is compared.
	if now.SessionKnown && !unknown(policy.LayerSession, now.SessionRead) && !then.SessionRead.Unreadable {
		out = append(out, listChanges(policy.LayerSession, then.Session, now.Session)...)
	}
	if !unknown(policy.LayerResource, now.ResourceRead) && !then.ResourceRead.Unreadable {
		out = append(out, oneChange(policy.LayerResource, then.Resource, now.Resource)...)
	}
	if !unknown(policy.LayerVPCEndpoint, now.VPCEndpointRead) && !then.VPCEndpointRead.Unreadable &&
		(then.VPCEndpoint != nil || now.VPCEndpoint != nil) {
		out = append(out, oneChange(policy.LayerVPCEndpoint, then.VPCEndpoint, now.VPCEndpoint)...)
	}
	return out
}

// canonical is a document's text as iamdiag writes it, so that
// formatting does not count as a change; "" for none.
func canonical(d *policy.Document) string {
	if d == nil {
		return ""
	}
	b, err := d.MarshalJSON()
	if err != nil {
		return ""
	}
	return string(b)
}

// orgChanges compares SCPs or RCPs level by level, by policy ARN.
func orgChanges(layer policy.Layer, then, now []policy.OrgLevel) []string {
	flat := func(levels []policy.OrgLevel) []policy.Source {
		var out []policy.Source
		for _, lv := range levels {
			for _, s := range lv.Policies {
				s.Target = lv.Target
				out = append(out, s)
			}
		}
		return out
	}
	return listChanges(layer, flat(then), flat(now))
}

// listChanges compares a layer's policies: by ARN (and attachment
// target) where they have one, by document where they do not.
func listChanges(layer policy.Layer, then, now []policy.Source) []string {
	var out []string
	key := func(s *policy.Source) string { return s.ARN + "@" + s.Target }
	at := func(s *policy.Source) string {
		if s.Target != "" {
			return " at " + s.Target
		}
		return ""
	}
	byKey := map[string]*policy.Source{}
	docsNow := map[string]int{}
	for i := range now {
		if now[i].ARN != "" {
			byKey[key(&now[i])] = &now[i]
		} else {
			docsNow[canonical(now[i].Document)]++
		}
	}
	seen := map[string]bool{}
	for i := range then {
		s := &then[i]
		name := layer.Title() + " " + policy.Label(s.Name, s.ARN) + at(s)
		if s.ARN == "" {
			c := canonical(s.Document)
			if docsNow[c] > 0 {
				docsNow[c]--
				continue
			}
			out = append(out, "the "+layer.Title()+" "+s.Name+" that AWS evaluated is gone or has changed")
			continue
		}
		seen[key(s)] = true
		cur, ok := byKey[key(s)]
		switch {
		case !ok:
			out = append(out, "the "+name+" is no longer attached")
		case canonical(cur.Document) != canonical(s.Document):
			out = append(out, "the "+name+" has changed")
		}
	}
	for i := range now {
		s := &now[i]
		switch {
		case s.ARN != "" && !seen[key(s)]:
			out = append(out, "the "+layer.Title()+" "+policy.Label(s.Name, s.ARN)+at(s)+" is attached now, and AWS did not evaluate it")
		case s.ARN == "" && docsNow[canonical(s.Document)] > 0:
			docsNow[canonical(s.Document)]--
			out = append(out, "the "+layer.Title()+" "+s.Name+" is in force now, and AWS did not evaluate it")
		}
	}
	return out
}

// oneChange compares the single policy of a layer.
func oneChange(layer policy.Layer, then, now *policy.Source) []string {
	hasThen, hasNow := then != nil && then.Document != nil, now != nil && now.Document != nil
	switch {
	case hasThen && !hasNow:
		return []string{"the " + layer.Title() + " " + policy.Label(then.Name, then.ARN) + " that AWS evaluated is gone"}
	case !hasThen && hasNow:
		return []string{"the " + layer.Title() + " " + policy.Label(now.Name, now.ARN) + " is in force now, and AWS did not evaluate one"}
	case hasThen && canonical(then.Document) != canonical(now.Document):
		return []string{"the " + layer.Title() + " " + policy.Label(then.Name, then.ARN) + " has changed"}
	}
	return nil
}
