package simulate

import "github.com/iamdiag/iamdiag/internal/policy"

// boundaryNotPrincipalDenies returns the traces of the Deny statements with
// a NotPrincipal element in resource-based policy doc that apply to a
// caller with a permissions boundary: "The NotPrincipal element with a Deny
// effect will always deny any IAM principal that has a permissions boundary
// policy attached, regardless of the values specified in the NotPrincipal
// element" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
// Each such statement is evaluated as if its NotPrincipal named nobody; the
// traces point at the original statements.
func boundaryNotPrincipalDenies(doc *policy.Document, req *policy.Request) []policy.StatementTrace {
	var out []policy.StatementTrace
	for i := range doc.Statements {
		st := &doc.Statements[i]
		if st.Effect != policy.Deny || st.NotPrincipal == nil {
			continue
		}
		cp := *st
		cp.NotPrincipal = nil
		cp.Principal = &policy.Principals{Wildcard: true}
		pe := policy.Evaluate(&policy.Document{Version: doc.Version, Statements: []policy.Statement{cp}}, req, policy.ResourceBased)
		if pe.Decision == policy.Denied && len(pe.Statements) == 1 {
			tr := pe.Statements[0]
			tr.Statement = st
			out = append(out, tr)
		}
	}
	return out
}

// applyBoundaryNotPrincipal makes pe deny through the statements of
// boundaryNotPrincipalDenies; it reports whether it found any.
func applyBoundaryNotPrincipal(pe *policy.Evaluation, doc *policy.Document, req *policy.Request) bool {
	trs := boundaryNotPrincipalDenies(doc, req)
	for _, tr := range trs {
		for i := range pe.Statements {
			if pe.Statements[i].Statement == tr.Statement {
				pe.Statements[i] = tr
			}
		}
	}
	if len(trs) > 0 {
		pe.Decision = policy.Denied
	}
	return len(trs) > 0
}
