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
