// Package authrecord owns AWS's own record of a denied request: the
// authorization details IAM Access Troubleshooter keeps under the
// authorization ID an AccessDenied message carries
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied-authorization-id.html),
// fetched with the IAM Toolbox operations GetRequestAuthorizationDetails and
// GetRequestAuthorizationPolicy
// (https://docs.aws.amazon.com/iam-toolbox/latest/APIReference/API_GetRequestAuthorizationDetails.html).
//
// It holds the wire shapes of those operations, the file a record is saved
// to with its documents, the fetch (every page, every document in
// parallel) over a Client, and the policy layers as AWS evaluated them. It
// imports no AWS SDK: internal/toolbox is the Client that signs and sends
// the calls.
package authrecord

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"
)

// Format is the format name of a saved record file.
const Format = "iamdiag-authorization-record/v1"

// The evaluatedEffect values of an evaluation
// (https://docs.aws.amazon.com/iam-toolbox/latest/APIReference/API_Evaluation.html).
const (
	EffectAllow        = "ALLOW"
	EffectExplicitDeny = "EXPLICIT_DENY"
	EffectImplicitDeny = "IMPLICIT_DENY"
)

// The policy types of PolicyInfo.type.
const (
	TypeIdentity    = "IDENTITY_BASED_POLICY"
	TypeBoundary    = "PERMISSIONS_BOUNDARY"
	TypeResource    = "RESOURCE_BASED_POLICY"
	TypeRCP         = "RESOURCE_CONTROL_POLICY"
	TypeSCP         = "SERVICE_CONTROL_POLICY"
	TypeSession     = "SESSION_POLICY"
	TypeVPCEndpoint = "VPC_ENDPOINT_POLICY"
)

// Errors a Client's failures are classified into; the diagnosis names
// which one in its fallback line.
var (
	// ErrNotFound: ResourceNotFoundException, the ID is unknown in this
	// region or expired (records last at least 24 hours).
	ErrNotFound = errors.New("authorization details not found")
	// ErrAccessDenied: AccessDeniedException, the caller lacks
	// iam:GetRequestAuthorizationDetails or iam:GetRequestAuthorizationPolicy,
	// or is outside the recorded account or organization.
	ErrAccessDenied = errors.New("access to the authorization details denied")
	// ErrUnsupportedRegion: the region has no IAM Toolbox endpoint.
	ErrUnsupportedRegion = errors.New("IAM Toolbox is not available in the region")
	// ErrInvalid: the ID or the record file is malformed.
	ErrInvalid = errors.New("invalid authorization record")
)

// idRE is the authorization ID's pattern. The API reference gives
// [0123456789abcdefghijklmnopqrstuvwxyz]+; its own example
// ("EXAMPLE1a2b3c4d5e") has capitals, so both cases are accepted.
var idRE = regexp.MustCompile(`^[0-9A-Za-z]{1,256}$`)

// ValidID reports whether id has the shape of an authorization ID.
func ValidID(id string) bool { return idRE.MatchString(id) }

// DetailsPage is one page of GetRequestAuthorizationDetails, as the service
// sends it (REST JSON).
type DetailsPage struct {
	RequestContext map[string]json.RawMessage `json:"requestContext"`
	Evaluations    []Evaluation               `json:"evaluations"`
	Policies       []PolicyInfo               `json:"policies"`
	NextToken      string                     `json:"nextToken,omitempty"`
}

// Evaluation is how one action on one resource was evaluated.
type Evaluation struct {
	Action          string                     `json:"action"`
	Resource        string                     `json:"resource"`
	Context         map[string]json.RawMessage `json:"context,omitempty"`
	EvaluatedEffect string                     `json:"evaluatedEffect"`
	MatchedPolicies []MatchedPolicy            `json:"matchedPolicies,omitempty"`
}

// MatchedPolicy is a policy that matched during an evaluation, by URI.
type MatchedPolicy struct {
	URI               string             `json:"uri"`
	MatchedStatements []MatchedStatement `json:"matchedStatements,omitempty"`
}

// MatchedStatement is a statement that matched: its Sid (generated when the
// statement has none) and effect, ALLOW or DENY.
type MatchedStatement struct {
	Sid             string `json:"sid"`
	EvaluatedEffect string `json:"evaluatedEffect"`
}

// PolicyInfo is one evaluated policy: its type, URI (a managed policy's
// ARN, an opaque identifier for an inline one) and where it is attached.
type PolicyInfo struct {
	Type       string       `json:"type"`
	URI        string       `json:"uri"`
	Inline     bool         `json:"inline"`
	AttachedTo []AttachedTo `json:"attachedTo,omitempty"`
}

// AttachedTo is an entity a policy is attached to: a principal, a
// resource, or an Organizations root, OU or account.
type AttachedTo struct {
	ARN string `json:"arn"`
}

// Record is AWS's record of one denied request with every evaluated
// document, as fetched and as saved to a file.
type Record struct {
	// Format is the file format, Format.
	Format string `json:"format"`
	// AuthorizationID is the ID the record was fetched by.
	AuthorizationID string `json:"authorization_id"`
	// Region is where it was fetched.
	Region string `json:"region,omitempty"`
	// FetchedAt is when it was fetched.
	FetchedAt time.Time `json:"fetched_at"`
	// RequestContext, Evaluations and Policies are what
	// GetRequestAuthorizationDetails returned, every page merged.
	RequestContext map[string]json.RawMessage `json:"requestContext"`
	Evaluations    []Evaluation               `json:"evaluations"`
	Policies       []PolicyInfo               `json:"policies"`
	// Documents are the documents GetRequestAuthorizationPolicy returned,
	// by policy URI.
	Documents map[string]json.RawMessage `json:"documents"`
	// DocumentErrors say, by policy URI, why a document could not be
	// fetched.
	DocumentErrors map[string]string `json:"document_errors,omitempty"`
}

// Load reads a saved record.
func Load(r io.Reader) (*Record, error) {
	b, err := io.ReadAll(io.LimitReader(r, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the authorization record: %w", err)
	}
	return Parse(b)
}

// Parse reads a saved record from data.
func Parse(data []byte) (*Record, error) {
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if rec.Format != Format {
		return nil, fmt.Errorf("%w: format %q, want %q (a record iamdiag decode saved)", ErrInvalid, rec.Format, Format)
	}
	if !ValidID(rec.AuthorizationID) {
		return nil, fmt.Errorf("%w: authorization_id %q", ErrInvalid, rec.AuthorizationID)
	}
	return &rec, nil
}

// Marshal returns the record as saved, indented.
func (r *Record) Marshal() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encoding the authorization record: %w", err)
	}
	return b.Bytes(), nil
}

// Time is when AWS evaluated the request: the request context's
// aws:CurrentTime, else aws:EpochTime; zero when neither is there.
func (r *Record) Time() time.Time {
	for _, k := range []string{"aws:CurrentTime", "aws:EpochTime"} {
		for ck, v := range r.RequestContext {
			if !equalFold(ck, k) {
				continue
			}
			for _, s := range values(v) {
				if t, err := time.Parse(time.RFC3339, s); err == nil {
					return t.UTC()
				}
				var sec int64
				if _, err := fmt.Sscan(s, &sec); err == nil && sec > 0 {
					return time.Unix(sec, 0).UTC()
				}
			}
		}
	}
	return time.Time{}
}

// Denied returns the evaluation that denied the request: the first that
// is not ALLOW for action (any action when empty), else the first that is
// not ALLOW, else nil.
func (r *Record) Denied(action string) *Evaluation {
	var first *Evaluation
	for i := range r.Evaluations {
		e := &r.Evaluations[i]
		if e.EvaluatedEffect == EffectAllow {
			continue
		}
		if action == "" || equalFold(e.Action, action) {
			return e
		}
		if first == nil {
			first = e
		}
	}
	return first
}

// Policy returns the policy of uri, or nil.
func (r *Record) Policy(uri string) *PolicyInfo {
	for i := range r.Policies {
		if r.Policies[i].URI == uri {
			return &r.Policies[i]
		}
	}
	return nil
}

// values reads a context value: a string, a number, a boolean or a list
// of them, as strings.
func values(raw json.RawMessage) []string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil
	}
	var out []string
	var add func(v any)
	add = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case bool:
			out = append(out, fmt.Sprint(x))
		case float64:
			out = append(out, formatNumber(x))
		case json.Number:
			out = append(out, x.String())
		case []any:
			for _, e := range x {
				add(e)
			}
		}
	}
	add(v)
	return out
}

func formatNumber(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprint(f)
}

func equalFold(a, b string) bool { return bytes.EqualFold([]byte(a), []byte(b)) }
