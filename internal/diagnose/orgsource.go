package diagnose

import (
	"context"
	"errors"
	"fmt"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// OrgSnapshot is the offline source of a multi-account snapshot: each
// request's principal is read from its own account's snapshot (identity
// policies, boundary, SCPs) and its resource from the resource's account's
// (resource policy, RCPs), each account loaded when a request needs it. An
// account recorded as unreadable leaves only its layers unknown.
func OrgSnapshot(o *layers.OrgSnapshot) Gatherer {
	return GathererFunc(func(_ context.Context, req *policy.Request) (*Gathered, error) {
		if req == nil {
			return nil, &Error{Kind: Source, Err: errors.New("no request")}
		}
		pa, err := layers.ParseCaller(req.Principal.ARN)
		if err != nil {
			return nil, &Error{Kind: Source, Err: fmt.Errorf("resolving principal: %w", err)}
		}
		acct := pa.ARN.Account
		var (
			l    *policy.Layers
			g    = &Gathered{}
			snap *layers.Snapshot
		)
		if acct != "" {
			snap, err = o.Account(acct)
		}
		switch {
		case acct == "":
			// A service or anonymous caller: the resource's account
			// answers everything.
		case errors.Is(err, layers.ErrAccountNotInSnapshot):
			return nil, &Error{Kind: PrincipalNotFound, Err: fmt.Errorf("%w: %w: the principal's account %s; capture that account into the organization snapshot", layers.ErrPrincipalNotFound, err, acct)}
		case errors.Is(err, layers.ErrAccountUnreadable):
			l, err = unreadAccountLayers(o, req, pa, err)
			if err != nil {
				return nil, offlineError(err)
			}
		case err != nil:
			return nil, &Error{Kind: Source, Err: err}
		default:
			if l, err = snap.Layers(req); err != nil {
				return nil, offlineError(err)
			}
			g.Fix = FixOptions(snap)
			g.Warnings = unreadableWarnings(snap.Unreadable(), l)
		}
		resAcct := resourceAccount(o, req)
		if l != nil && (resAcct == "" || resAcct == acct) {
			g.Layers = l
			return g, nil
		}
		// The resource's side, from its own account: probed with the
		// account's root, which needs no IAM entity.
		rl, rerr := resourceSide(o, req, resAcct, pa.Partition)
		if l == nil {
			if rerr != nil {
				return nil, offlineError(rerr)
			}
			// No IAM caller: the resource's account's answer, with the
			// caller as it is.
			rl.Principal = req.Principal
			l = rl
			if rs, err := o.Account(resAcct); err == nil {
				layers.NonIAMPrincipal(&l.Principal, pa)
				g.Fix = FixOptions(rs)
			}
			g.Layers = l
			return g, nil
		}
		if rerr != nil {
			l.Resource, l.ResourceAccount = nil, resAcct
			l.ResourceRead = policy.Readability{Unreadable: true, Error: "AccountUnreadable", Message: "cannot read the resource policy in account " + resAcct + ": " + rerr.Error()}
			l.RCP, l.RCPRead = nil, l.ResourceRead
		} else {
			l.Resource, l.ResourceRead, l.ResourceAccount = rl.Resource, rl.ResourceRead, rl.ResourceAccount
			l.RCP, l.RCPRead = rl.RCP, rl.RCPRead
		}
		g.Layers = l
		return g, nil
	})
}

// resourceAccount is the account owning req's resource: the ARN's, else
// aws:ResourceAccount, else the account whose snapshot holds the bucket's
// policy; "" when unknown.
func resourceAccount(o *layers.OrgSnapshot, req *policy.Request) string {
	a, ok := policy.ParseARN(req.Resource)
	if !ok {
		return ""
	}
	if a.Account != "" {
		return a.Account
	}
	if req.Context != nil {
		if v, ok := req.Context.Get("aws:ResourceAccount"); ok && len(v) == 1 {
			return v[0]
		}
	}
	return o.BucketAccount(req.Resource)
}

// resourceSide reads the resource policy and RCPs of req in acct.
func resourceSide(o *layers.OrgSnapshot, req *policy.Request, acct, partition string) (*policy.Layers, error) {
	s, err := o.Account(acct)
	if err != nil {
		return nil, err
	}
	if partition == "" {
		partition = "aws"
	}
	probe := *req
	probe.Principal = policy.Principal{ARN: "arn:" + partition + ":iam::" + acct + ":root"}
	return s.Layers(&probe)
}

// unreadAccountLayers are the layers of a caller whose account could not
// be captured: its identity policies and boundary unknown, its SCPs from
// the organization.
func unreadAccountLayers(o *layers.OrgSnapshot, req *policy.Request, pa layers.Caller, why error) (*policy.Layers, error) {
	acct := pa.ARN.Account
	empty := &layers.Snapshot{Format: layers.Format, AccountID: acct, Organization: o.Organization}
	if err := empty.Index(); err != nil {
		return nil, err
	}
	probe := *req
	probe.Principal = policy.Principal{ARN: "arn:" + pa.Partition + ":iam::" + acct + ":root"}
	l, err := empty.Layers(&probe)
	if err != nil {
		return nil, err
	}
	code := "AccountUnreadable"
	if e := o.Entry(acct); e != nil && e.ErrorCode != "" {
		code = e.ErrorCode
	}
	r := policy.Readability{Unreadable: true, Error: code, Message: "the principal's account " + acct + " could not be read when the snapshot was captured (" + why.Error() + "), so its identity policies and permissions boundary are unknown; capture it again once its reader role can be assumed"}
	l.Principal = req.Principal
	l.Principal.Account = acct
	l.Principal.Type = "AssumedRole"
	l.Principal.IAMARN = "arn:" + pa.Partition + ":iam::" + acct + ":role/" + pa.Name
	if pa.Kind == layers.KindUser {
		l.Principal.Type = "User"
		l.Principal.IAMARN = "arn:" + pa.Partition + ":iam::" + acct + ":user/" + pa.Name
	}
	l.Identity, l.IdentityRead, l.Boundary, l.BoundaryRead = nil, r, nil, r
	l.Session, l.SessionKnown = nil, pa.Kind != layers.KindAssumedRole
	return l, nil
}
