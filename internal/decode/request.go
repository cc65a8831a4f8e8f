package decode

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// MaxInputSize is the largest input accepted by the decoders, in bytes.
const MaxInputSize = 1 << 20

// Sources of a Request.
const (
	SourceFlags          = "flags"
	SourceErrorText      = "error-text"
	SourceCloudTrail     = "cloudtrail"
	SourceDecodedMessage = "decoded-message"
	SourceEncodedMessage = "encoded-message"
)

// Hint layers: the policy.Layer names plus the two policy types that error
// messages name but that are not layers of iamdiag's evaluation.
const (
	LayerVPCEndpoint = "vpc-endpoint-policy"
	LayerRoleTrust   = "role-trust-policy"
)

// Hint kinds.
const (
	KindExplicitDeny = "explicit-deny"
	KindImplicitDeny = "implicit-deny"
)

// Errors the callers branch on. Each is wrapped with a detail that says what
// to do.
var (
	// ErrTooLarge: the input exceeds MaxInputSize.
	ErrTooLarge = errors.New("input too large")
	// ErrEmpty: the input is empty.
	ErrEmpty = errors.New("empty input")
	// ErrNoDenial: the text holds no AccessDenied/UnauthorizedOperation
	// message.
	ErrNoDenial = errors.New("no AccessDenied message found in the text")
	// ErrNoDeniedEvent: the CloudTrail input holds no denied event.
	ErrNoDeniedEvent = errors.New("no denied event found in the CloudTrail input")
	// ErrInvalid: the input is malformed (bad JSON, a bad flag value).
	ErrInvalid = errors.New("invalid input")
	// ErrSTS: sts:DecodeAuthorizationMessage failed.
	ErrSTS = errors.New("sts:DecodeAuthorizationMessage failed")
)

// Request is an input normalised: what the input said, nothing guessed.
type Request struct {
	// Principal is the caller exactly as the input wrote it (minus quotes);
	// "" if not said.
	Principal string
	// RoleARN is the IAM role behind an assumed-role principal, with its
	// path, when the input names it (CloudTrail's
	// userIdentity.sessionContext.sessionIssuer.arn); "" otherwise.
	RoleARN string
	// Account is the caller's account id when the input names it (CloudTrail
	// userIdentity.accountId, or CloudWatch Logs' "User with accountId:");
	// "" otherwise.
	Account string
	// Action is "service:Action" as written; "" if not said.
	Action string
	// Resource is as written; "" if not said.
	Resource string
	// Context holds the condition keys the input gave; nil if none.
	Context *policy.Context
	// Hint is what the input says about the denying policy; nil if the input
	// names no policy type.
	Hint *Hint
	// EncodedMessage is the encoded authorization failure message found in
	// the input, if any.
	EncodedMessage string
	// AuthorizationID is the ID of AWS's record of the denial
	// (GetRequestAuthorizationDetails) the input carries, if any.
	AuthorizationID string
	// AuthorizationRegion is the region of the record, when the console
	// link names it; "" otherwise.
	AuthorizationRegion string
	// Operation is the API operation a wrapper named ("when calling the
	// PutObject operation") when the text does not say its service, so
	// that Action is ""; "" otherwise. Which services have an action of
	// that name is for the caller to tell (internal/catalog).
	Operation string
	// Source is one of the Source constants.
	Source string
	// Missing says, for people, what the input did not say: each entry starts
	// with the field ("principal", "action", "resource"), followed where
	// useful by ": " and what was derived instead.
	Missing []string
}

// Hint is what an error message or decoded message says about the policy
// that denied the request.
type Hint struct {
	// Layer is a policy.Layer name, LayerVPCEndpoint, LayerRoleTrust, or ""
	// when the input does not name the policy type.
	Layer string
	// Kind is KindExplicitDeny, KindImplicitDeny or "" when not said.
	Kind string
	// PolicyARN is the denying policy's ARN when the message names it.
	PolicyARN string
}

// MarshalJSON writes the request as `iamdiag decode --format json` prints it:
// {"principal", "action", "resource", "context", "hint": {"layer", "kind",
// "policy_arn"}, "encoded_message", "authorization_id"}, each null where the
// input does not say it.
func (r *Request) MarshalJSON() ([]byte, error) {
	type hintJSON struct {
		Layer     *string `json:"layer"`
		Kind      *string `json:"kind"`
		PolicyARN *string `json:"policy_arn"`
	}
	type requestJSON struct {
		Principal      *string         `json:"principal"`
		Action         *string         `json:"action"`
		Resource       *string         `json:"resource"`
		Context        *policy.Context `json:"context"`
		Hint           *hintJSON       `json:"hint"`
		EncodedMessage *string         `json:"encoded_message"`
		AuthID         *string         `json:"authorization_id"`
	}
	out := requestJSON{
		Principal:      nullable(r.Principal),
		Action:         nullable(r.Action),
		Resource:       nullable(r.Resource),
		EncodedMessage: nullable(r.EncodedMessage),
		AuthID:         nullable(r.AuthorizationID),
	}
	if r.Context != nil {
		out.Context = r.Context
	}
	if r.Hint != nil {
		out.Hint = &hintJSON{Layer: nullable(r.Hint.Layer), Kind: nullable(r.Hint.Kind), PolicyARN: nullable(r.Hint.PolicyARN)}
	}
	// Principals and resources hold "<", ">" and "&" as written (masked
	// account ids such as "<ID>"): no HTML escaping.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// addMissing records, for people, that field was not in the input.
func (r *Request) addMissing(entry string) {
	r.Missing = append(r.Missing, entry)
}
