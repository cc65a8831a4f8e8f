package audit

import (
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/lint"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// unreadableFindings reports every document of snap that cannot be parsed
// (IAMA005): an error where a layer uses it, a warning where none does (a
// non-default version, a policy attached to nothing), since no evaluation
// reads it then.
func unreadableFindings(snap *layers.Snapshot) []Finding {
	bad := snap.Unreadable()
	if len(bad) == 0 {
		return nil
	}
	out := make([]Finding, 0, len(bad))
	for _, d := range bad {
		f := Finding{Rule: RuleUnreadableDocument, Severity: ruleSeverity(RuleUnreadableDocument),
			Policy: d.Policy, PolicyName: d.Name, Message: d.Error(), Why: why[RuleUnreadableDocument]}
		var attached []string
		switch {
		case d.Owner != "":
			attached = []string{d.Owner}
		case d.Layer == policy.LayerSCP || d.Layer == policy.LayerRCP:
			attached = snap.PolicyTargets(d.Policy)
		default:
			attached = append(snap.PolicyUsers(d.Policy), snap.BoundaryUsers(d.Policy)...)
		}
		if len(attached) > 0 {
			f.Principal = attached[0]
		}
		if len(attached) > 1 || (d.Owner == "" && len(attached) > 0) {
			f.AttachedTo = sorted(attached)
		}
		f.Fix = "Correct the document in the snapshot file, or capture the snapshot again (iamdiag snapshot -o FILE); if the account itself holds this text, fix the policy in IAM or Organizations."
		if !d.Used {
			f.Severity = lint.Warning
			f.Fix = "No evaluation reads this document (a version other than the default, or a policy attached to nothing): " + f.Fix
		}
		// The principal is left out of the id: a shared policy's finding
		// keeps its id as attachments change.
		f.ID = findingID(f.Rule, d.Owner, f.Policy, "", d.Version)
		switch {
		case d.Layer == policy.LayerSCP || d.Layer == policy.LayerRCP:
			f.scope = scopeOrganization
		case d.Owner == "" && isAWSManaged(d.Policy):
			f.scope = scopeShared
		}
		out = append(out, f)
	}
	return out
}
