package authrecord

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// Client makes the two IAM Toolbox calls. internal/toolbox implements it
// on the AWS SDK's own parts; the official SDK module, once served, is a
// one-file replacement behind the same interface.
type Client interface {
	// GetRequestAuthorizationDetails returns one page of the record of id:
	// GET /authorization-details/{id}?nextToken=….
	GetRequestAuthorizationDetails(ctx context.Context, id, nextToken string) (*DetailsPage, error)
	// GetRequestAuthorizationPolicy returns the document of uri as it was
	// evaluated: GET /authorization-details/{id}/policy?policyUri=….
	GetRequestAuthorizationPolicy(ctx context.Context, id, uri string) (json.RawMessage, error)
	// Region is the region the client calls.
	Region() string
}

// maxPages bounds the pages of one record: one evaluation a page, and a
// request evaluates a handful of actions.
const maxPages = 100

// Fetch reads the record of id: every page in turn and, as soon as a page
// names a policy, its document in parallel with the pages that follow, so
// a one-page record costs two sequential round trips. A document that
// cannot be fetched is recorded in DocumentErrors (its layer is then
// unknown); a failure of the details is returned, classified by the
// Client.
func Fetch(ctx context.Context, c Client, id string) (*Record, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("%w: authorization ID %q: want letters and digits", ErrInvalid, id)
	}
	rec := &Record{Format: Format, AuthorizationID: id, Region: c.Region(), FetchedAt: time.Now().UTC(),
		Documents: map[string]json.RawMessage{}}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		started = map[string]bool{}
	)
	fetchDoc := func(uri string) {
		defer wg.Done()
		doc, err := c.GetRequestAuthorizationPolicy(ctx, id, uri)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if rec.DocumentErrors == nil {
				rec.DocumentErrors = map[string]string{}
			}
			rec.DocumentErrors[uri] = err.Error()
			return
		}
		rec.Documents[uri] = doc
	}
	token := ""
	var err error
	for range maxPages {
		var page *DetailsPage
		page, err = c.GetRequestAuthorizationDetails(ctx, id, token)
		if err != nil {
			break
		}
		if rec.RequestContext == nil {
			rec.RequestContext = page.RequestContext
		}
		rec.Evaluations = append(rec.Evaluations, page.Evaluations...)
		for _, p := range page.Policies {
			mu.Lock()
			isNew := !started[p.URI]
			started[p.URI] = true
			mu.Unlock()
			if !isNew || p.URI == "" {
				continue
			}
			rec.Policies = append(rec.Policies, p)
			wg.Add(1)
			go fetchDoc(p.URI)
		}
		if page.NextToken == "" || page.NextToken == token {
			break
		}
		token = page.NextToken
	}
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("calling GetRequestAuthorizationDetails for %s: %w", id, err)
	}
	return rec, nil
}
