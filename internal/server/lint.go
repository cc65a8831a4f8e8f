package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/iamdiag/iamdiag/internal/lint"
)

// Linter lints policy documents for POST /v1/lint, as `iamdiag lint` does.
// The findings are marshalled as the answer's "findings" list. A document
// that cannot be linted at all is an *APIError with a 4xx status.
type Linter interface {
	Lint(ctx context.Context, policies []LintPolicy) (findings any, err error)
}

// LinterFunc adapts a function to Linter.
type LinterFunc func(ctx context.Context, policies []LintPolicy) (any, error)

// Lint calls f.
func (f LinterFunc) Lint(ctx context.Context, policies []LintPolicy) (any, error) {
	return f(ctx, policies)
}

// LintRequest is the body of POST /v1/lint.
type LintRequest struct {
	// Policies are the documents to lint.
	Policies []LintPolicy `json:"policies"`
}

// LintPolicy is one document to lint.
type LintPolicy struct {
	// Name names the document in the findings (a file name, a Terraform
	// address); it defaults to "policies[N]".
	Name string `json:"name,omitempty"`
	// Type is the policy type: identity, boundary, scp, rcp, resource or
	// trust; empty lets the linter guess it, as `iamdiag lint` does.
	Type string `json:"type,omitempty"`
	// Document is the policy, as a JSON object or as a string holding it.
	Document RawJSON `json:"document"`
}

// RawJSON is a JSON value kept as it was sent.
type RawJSON []byte

// UnmarshalJSON keeps a copy of b.
func (r *RawJSON) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

// maxLintPolicies bounds one lint request.
const maxLintPolicies = 100

func (s *Server) handleLint(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Linter == nil {
		return apiError(http.StatusNotImplemented, "lint_unavailable", "lint is not available in this build")
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var req LintRequest
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	switch n := len(req.Policies); {
	case n == 0:
		return apiError(http.StatusBadRequest, "invalid_request", "no policies: send {\"policies\": [{\"name\": …, \"type\": \"identity\", \"document\": {…}}]}")
	case n > maxLintPolicies:
		return apiError(http.StatusBadRequest, "invalid_request", fmt.Sprintf("%d policies: send at most %d per request", n, maxLintPolicies))
	}
	for i := range req.Policies {
		p := &req.Policies[i]
		if Bytes([]byte(p.Document)) == nil {
			return apiError(http.StatusBadRequest, "invalid_request", fmt.Sprintf("policies[%d] has no document", i))
		}
		p.Document = Bytes([]byte(p.Document))
		if p.Name == "" {
			p.Name = fmt.Sprintf("policies[%d]", i)
		}
	}
	findings, err := s.cfg.Linter.Lint(r.Context(), req.Policies)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"findings": findings})
	return nil
}

// LintPolicies is the daemon's Linter (as LinterFunc): `iamdiag lint` on
// each document, the findings sorted as the command sorts them. An unknown
// policy type is a 400 invalid_request.
func LintPolicies(_ context.Context, policies []LintPolicy) (any, error) {
	all := []lint.Finding{}
	for i, p := range policies {
		var kind lint.Kind
		if p.Type != "" {
			k, err := lint.ParseKind(p.Type)
			if err != nil {
				return nil, &APIError{Status: http.StatusBadRequest, Code: "invalid_request", Message: fmt.Sprintf("policies[%d].type: %v", i, err)}
			}
			kind = k
		}
		all = append(all, lint.Lint(p.Document, lint.Options{File: p.Name, Kind: kind})...)
	}
	lint.Sort(all)
	return all, nil
}
