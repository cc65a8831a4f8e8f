package decode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// Decoder is the one STS call FromEncoded needs,
// sts:DecodeAuthorizationMessage: it returns the DecodedMessage STS
// answered, "" when STS answered none. internal/live adapts the SDK's STS
// client to it, so that this package stays free of the AWS SDK.
type Decoder interface {
	DecodeAuthorizationMessage(ctx context.Context, encoded string) (string, error)
}

// FromEncoded decodes an encoded authorization failure message with
// sts:DecodeAuthorizationMessage and reads the result like
// FromDecodedMessage. The caller needs sts:DecodeAuthorizationMessage
// permission in the account that received the denied request
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html).
func FromEncoded(ctx context.Context, d Decoder, encoded string) (*Request, error) {
	encoded = strings.TrimSpace(encoded)
	if encoded == "" {
		return nil, fmt.Errorf("%w: give the text after \"Encoded authorization failure message:\"", ErrEmpty)
	}
	if len(encoded) > MaxInputSize {
		return nil, fmt.Errorf("%w: the encoded message is %d bytes, at most %d are read", ErrTooLarge, len(encoded), MaxInputSize)
	}
	// A pasted message may carry the terminal's line breaks.
	encoded = strings.Join(strings.Fields(encoded), "")
	for i := 0; i < len(encoded); i++ {
		if !isEncodedByte(encoded[i]) {
			return nil, fmt.Errorf("%w: the encoded message holds %q; paste only the text after \"Encoded authorization failure message:\"", ErrInvalid, encoded[i])
		}
	}
	decoded, err := d.DecodeAuthorizationMessage(ctx, encoded)
	if err != nil {
		return nil, fmt.Errorf("%w: decoding the authorization message: %w (the message can be decoded only in the account that received the request, by a caller allowed sts:DecodeAuthorizationMessage; or give the decoded message)", ErrSTS, err)
	}
	if decoded == "" {
		return nil, fmt.Errorf("%w: decoding the authorization message: STS returned no DecodedMessage", ErrSTS)
	}
	r, err := fromDecoded([]byte(decoded))
	if err != nil {
		return nil, fmt.Errorf("reading the message STS decoded: %w", err)
	}
	r.Source = SourceEncodedMessage
	r.EncodedMessage = encoded
	return r, nil
}

// FromDecodedMessage reads what `aws sts decode-authorization-message`
// printed ({"DecodedMessage": "<json string>"}) or the decoded JSON itself:
// {"allowed", "explicitDeny", "matchedStatements", "failures", "context":
// {"principal": {"id", "arn"}, "action", "resource", "conditions": {"items":
// [{"key", "values": {"items": [{"value"}]}}]}}}.
func FromDecodedMessage(data []byte) (*Request, error) {
	if len(data) > MaxInputSize {
		return nil, fmt.Errorf("%w: the decoded message is %d bytes, at most %d are read", ErrTooLarge, len(data), MaxInputSize)
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: give what `aws sts decode-authorization-message` printed", ErrEmpty)
	}
	var outer struct {
		DecodedMessage json.RawMessage `json:"DecodedMessage"`
	}
	if err := json.Unmarshal(data, &outer); err != nil {
		return nil, fmt.Errorf("%w: reading the decoded message: %w", ErrInvalid, err)
	}
	inner := data
	if len(outer.DecodedMessage) > 0 {
		inner = outer.DecodedMessage
		var str string
		if err := json.Unmarshal(inner, &str); err == nil {
			inner = []byte(str)
		}
	}
	return fromDecoded(inner)
}

// decodedMessage is the JSON of a decoded authorization message.
type decodedMessage struct {
	Allowed      *bool `json:"allowed"`
	ExplicitDeny *bool `json:"explicitDeny"`
	Context      *struct {
		Principal *struct {
			ID  string `json:"id"`
			ARN string `json:"arn"`
		} `json:"principal"`
		Action     string `json:"action"`
		Resource   string `json:"resource"`
		Conditions *struct {
			Items []struct {
				Key    string `json:"key"`
				Values *struct {
					Items []struct {
						Value json.RawMessage `json:"value"`
					} `json:"items"`
				} `json:"values"`
			} `json:"items"`
		} `json:"conditions"`
	} `json:"context"`
}

func fromDecoded(data []byte) (*Request, error) {
	var m decodedMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: reading the decoded message: %w", ErrInvalid, err)
	}
	if m.Context == nil && m.Allowed == nil && m.ExplicitDeny == nil {
		return nil, fmt.Errorf("%w: not a decoded authorization message (no \"context\", \"allowed\" or \"explicitDeny\"); give what `aws sts decode-authorization-message` printed", ErrInvalid)
	}
	r := &Request{Source: SourceDecodedMessage}
	if c := m.Context; c != nil {
		if c.Principal != nil {
			r.Principal = c.Principal.ARN
		}
		r.Resource = c.Resource
		r.Action = c.Action
		if c.Conditions != nil {
			for _, it := range c.Conditions.Items {
				if it.Key == "" {
					continue
				}
				if r.Context == nil {
					r.Context = &policy.Context{}
				}
				// Keys are kept as written ("ec2:instancetype"): the
				// context matches them case-insensitively.
				var vals []string
				if it.Values != nil {
					for _, v := range it.Values.Items {
						vals = append(vals, jsonScalar(v.Value))
					}
				}
				r.Context.Add(it.Key, vals...)
			}
		}
	}
	// The decoded message's action may lack the service prefix
	// ("RunInstances"); the resource ARN's service gives it when present.
	if r.Action != "" && !strings.Contains(r.Action, ":") {
		if svc := arnService(r.Resource); svc != "" {
			op := r.Action
			r.Action, _ = actionFor(svc, op)
			r.addMissing(fmt.Sprintf("action: the message says %q without its service; %s derived from the resource ARN", op, r.Action))
		} else {
			r.addMissing(fmt.Sprintf("action: the message says %q without its service, and names no resource ARN to take it from", r.Action))
		}
	}
	// https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html:
	// the message says whether the request was denied by an explicit deny
	// or by the absence of an allow; it does not say which policy type.
	switch {
	case m.ExplicitDeny != nil && *m.ExplicitDeny:
		r.Hint = &Hint{Kind: KindExplicitDeny}
	case m.ExplicitDeny != nil && m.Allowed != nil && !*m.Allowed:
		r.Hint = &Hint{Kind: KindImplicitDeny}
	}
	if r.Principal == "" {
		r.addMissing("principal")
	}
	if r.Action == "" {
		r.addMissing("action")
	}
	if r.Resource == "" {
		r.addMissing("resource")
	}
	return r, nil
}

// jsonScalar returns a JSON string's value, or any other JSON value's text.
func jsonScalar(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}
