package audit

import (
	"slices"

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
		src.Document = a.relaxDoc(src.Document)
		out.Identity[i] = src
	}
	if l.Boundary != nil {
		b := *l.Boundary
		b.Document = a.relaxDoc(b.Document)
		out.Boundary = &b
	}
	if l.SCPRead.Unreadable {
		a.warnf("SCPs are unknown (%s): the escalation check takes them as not restricting", l.SCPRead.Error)
	} else if len(l.SCP) > 0 {
		key := l.Principal.Account
		if v, ok := a.relaxSCP.Load(key); ok {
			out.SCP = v.([]policy.OrgLevel)
		} else {
			levels := slices.Clone(l.SCP)
			for i := range levels {
				levels[i].Policies = slices.Clone(levels[i].Policies)
				for j := range levels[i].Policies {
					levels[i].Policies[j].Document = a.relaxDoc(levels[i].Policies[j].Document)
				}
			}
			v, _ := a.relaxSCP.LoadOrStore(key, levels)
			out.SCP = v.([]policy.OrgLevel)
		}
	}
	return out
}

// relaxDoc returns doc relaxed as relaxed describes, cached per document.
func (a *auditor) relaxDoc(doc *policy.Document) *policy.Document {
	if doc == nil {
		return nil
	}
	if v, ok := a.relaxCache.Load(doc); ok {
		return v.(*policy.Document)
	}
	needed := false
	for i := range doc.Statements {
		for _, c := range doc.Statements[i].Conditions {
			if !escalationKnown(c.Key) {
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
				if escalationKnown(c.Key) {
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
	v, _ := a.relaxCache.LoadOrStore(doc, out)
	return v.(*policy.Document)
}
