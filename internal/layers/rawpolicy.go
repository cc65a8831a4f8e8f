package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// RawPolicy is a policy document as a snapshot stores it: either a JSON
// object, or a JSON string holding the document URL-encoded (as the raw IAM
// API returns it: https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
// "The policy document returned in this structure is URL-encoded compliant
// with RFC 3986") or as plain JSON text (as Organizations' DescribePolicy
// returns an SCP's Content).
//
// Load parses every RawPolicy it uses; Document returns the result.
type RawPolicy struct {
	// JSON is the element exactly as it appeared in the file.
	JSON json.RawMessage
	doc  *policy.Document
}

// NewRawPolicy returns a RawPolicy holding the given document JSON (an
// object, or a JSON string as described on RawPolicy), parsed.
func NewRawPolicy(js []byte) (RawPolicy, error) {
	r := RawPolicy{JSON: append(json.RawMessage(nil), js...)}
	if err := r.parse(); err != nil {
		return RawPolicy{}, err
	}
	return r, nil
}

// Document returns the parsed document, or nil when the policy has not been
// parsed (Load parses every document the evaluation can use).
func (r *RawPolicy) Document() *policy.Document { return r.doc }

// IsZero reports whether the element was absent.
func (r RawPolicy) IsZero() bool { return len(r.JSON) == 0 }

// MarshalJSON writes the element as it was read.
func (r RawPolicy) MarshalJSON() ([]byte, error) {
	if len(r.JSON) == 0 {
		return []byte("null"), nil
	}
	return r.JSON, nil
}

// UnmarshalJSON keeps the element; parsing happens in Load so that errors
// can name the policy.
func (r *RawPolicy) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*r = RawPolicy{}
		return nil
	}
	r.JSON = append(r.JSON[:0:0], b...)
	r.doc = nil
	return nil
}

var errNoDocument = errors.New("policy document is missing")

// parse parses the document into r.doc.
func (r *RawPolicy) parse() error {
	js := bytes.TrimSpace(r.JSON)
	if len(js) == 0 {
		return errNoDocument
	}
	var (
		doc *policy.Document
		err error
	)
	switch js[0] {
	case '{':
		doc, err = policy.Parse(js)
	case '"':
		var s string
		if err := json.Unmarshal(js, &s); err != nil {
			return fmt.Errorf("reading policy document string: %w", err)
		}
		// A URL-encoded document starts with "%7B"; JSON text starts
		// with "{". Decoding plain JSON text as a URL would corrupt
		// any "+" or "%" in it, so only encoded text is decoded.
		if t := bytes.TrimSpace([]byte(s)); len(t) > 0 && t[0] == '{' {
			doc, err = policy.Parse(t)
		} else {
			doc, err = policy.ParseEncoded(s)
		}
	default:
		return fmt.Errorf("%w: a policy document must be a JSON object or a string, not %.20s", errInvalid, js)
	}
	if err != nil {
		return err
	}
	r.doc = doc
	return nil
}
