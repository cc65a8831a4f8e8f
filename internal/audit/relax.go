package audit

import (
	"slices"
	"sync"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// relaxed returns a copy of l for the question "is there a request context
// under which this is allowed?": in every identity policy, boundary and SCP,
// an Allow's conditions on keys other than the principal's and the
// escalation keys are dropped (taken as met), and a Deny with such a
// condition is dropped (the caller can avoid it). Session, resource and
// RCP layers are left out: the audit asks about the principal's own
// permissions. Unreadable SCPs are taken as not restricting, with a
// warning.
func (a *auditor) relaxed(l *policy.Layers) *policy.Layers {
	out := &policy.Layers{Principal: l.Principal, OrgID: l.OrgID, ManagementAccount: l.ManagementAccount,
		IdentityRead: l.IdentityRead, BoundaryRead: l.BoundaryRead, SessionKnown: true}
	out.Identity = make([]policy.Source, len(l.Identity))
	for i, src := range l.Identity {
		src.Document = relaxDoc(&a.relaxCache, src.Document, escalationKnown)
		out.Identity[i] = src
	}
	if l.Boundary != nil {
		b := *l.Boundary
		b.Document = relaxDoc(&a.relaxCache, b.Document, escalationKnown)
		out.Boundary = &b
	}
	if l.SCPRead.Unreadable {
		a.warnf("SCPs are unknown (%s): the escalation check takes them as not restricting", l.SCPRead.Error)
	} else if len(l.SCP) > 0 {
		out.SCP = a.relaxLevels(&a.relaxSCP, l.Principal.Account, l.SCP, escalationKnown, &a.relaxCache)
	}
	return out
}

// relaxLevels returns the SCP levels of an account with every document
// relaxed for known, cached per account in levelCache.
func (a *auditor) relaxLevels(levelCache *sync.Map, acct string, scp []policy.OrgLevel, known func(string) bool, docCache *sync.Map) []policy.OrgLevel {
	if v, ok := levelCache.Load(acct); ok {
		return v.([]policy.OrgLevel)
	}
	levels := slices.Clone(scp)
	for i := range levels {
		levels[i].Policies = slices.Clone(levels[i].Policies)
		for j := range levels[i].Policies {
			levels[i].Policies[j].Document = relaxDoc(docCache, levels[i].Policies[j].Document, known)
		}
	}
	v, _ := levelCache.LoadOrStore(acct, levels)
	return v.([]policy.OrgLevel)
}

// relaxDoc returns doc with the conditions on keys known does not accept
// taken as met in an Allow and as avoidable in a Deny (the Deny is
// dropped), cached per document in cache (one cache per known).
func relaxDoc(cache *sync.Map, doc *policy.Document, known func(string) bool) *policy.Document {
	if doc == nil {
		return nil
	}
	if v, ok := cache.Load(doc); ok {
		return v.(*policy.Document)
	}
	needed := false
	for i := range doc.Statements {
		for _, c := range doc.Statements[i].Conditions {
			if !known(c.Key) {
				needed = true
			}
		}
	}
	out := doc
	if needed {
		d := *doc
		d.Statements = make([]policy.Statement, 0, len(doc.Statements))
		for _, st := range doc.Statements {
			keep := st.Conditions[:0:0]
			avoidable := false
			for _, c := range st.Conditions {
				if known(c.Key) {
					keep = append(keep, c)
				} else {
					avoidable = true
				}
			}
			if avoidable && st.Effect == policy.Deny {
				continue
			}
			st.Conditions = keep
			d.Statements = append(d.Statements, st)
		}
		out = &d
	}
	v, _ := cache.LoadOrStore(doc, out)
	return v.(*policy.Document)
}
