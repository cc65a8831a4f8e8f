package simulate

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Decision is the overall verdict of Evaluate and Decide. Its text (String,
// MarshalText, MarshalJSON) is the JSON contract's: "allowed",
// "explicit-deny", "implicit-deny", "inconclusive" or "always-fails".
//
// The zero Decision is no verdict: Evaluate and Decide never return it,
// String says "Decision(0)", and MarshalText and MarshalJSON fail on it, so
// that a Result whose decision was never set cannot pass for allowed.
type Decision uint8

// The overall verdicts.
const (
	// Allowed: every layer that applies allows the request.
	Allowed Decision = iota + 1
	// ExplicitDeny: a Deny statement of some layer applies.
	ExplicitDeny
	// ImplicitDeny: no Deny applies, but a layer that must allow does not.
	ImplicitDeny
	// Inconclusive: the layers read would allow the request, but a layer
	// that could deny it was unreadable or unknown; Result.Suspects names
	// them.
	Inconclusive
	// AlwaysFails: AWS refuses the request whatever the policies say (a
	// protected role, an AWS managed policy, a reserved KMS alias);
	// Result.Exception says why.
	AlwaysFails
)

// String returns the decision's name in the JSON contract, or
// "Decision(N)" for a value that is none of the constants.
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicit-deny"
	case ImplicitDeny:
		return "implicit-deny"
	case Inconclusive:
		return "inconclusive"
	case AlwaysFails:
		return "always-fails"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// MarshalText returns the decision's name; it fails on a value that is none
// of the constants.
func (d Decision) MarshalText() ([]byte, error) {
	if d < Allowed || d > AlwaysFails {
		return nil, fmt.Errorf("marshaling decision: %s is not a verdict", d)
	}
	return []byte(d.String()), nil
}

// UnmarshalText reads a decision's name, exactly as String writes it.
func (d *Decision) UnmarshalText(b []byte) error {
	for v := Allowed; v <= AlwaysFails; v++ {
		if string(b) == v.String() {
			*d = v
			return nil
		}
	}
	return fmt.Errorf("unmarshaling decision: unknown decision %q (want allowed, explicit-deny, implicit-deny, inconclusive or always-fails)", b)
}

// MarshalJSON writes the decision's name as a JSON string.
func (d Decision) MarshalJSON() ([]byte, error) { return marshalJSONText(d) }

// UnmarshalJSON reads a JSON string holding a decision's name; null leaves
// d unchanged.
func (d *Decision) UnmarshalJSON(b []byte) error { return unmarshalJSONText(d, b) }

// BlockerKind says how a Blocker blocks. Its text is the JSON contract's:
// "explicit-deny" or "implicit-deny".
//
// The zero BlockerKind is no kind: every Blocker has one, and MarshalText and
// MarshalJSON fail on it; a caller may use it for "not said" (report.Hint).
type BlockerKind uint8

// The kinds of blockers.
const (
	// BlockerExplicitDeny: a Deny statement applies.
	BlockerExplicitDeny BlockerKind = iota + 1
	// BlockerImplicitDeny: the layer must allow, and nothing in it does.
	BlockerImplicitDeny
)

// String returns the kind's name in the JSON contract, or "BlockerKind(N)"
// for a value that is none of the constants.
func (k BlockerKind) String() string {
	switch k {
	case BlockerExplicitDeny:
		return "explicit-deny"
	case BlockerImplicitDeny:
		return "implicit-deny"
	}
	return "BlockerKind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText returns the kind's name; it fails on a value that is none of
// the constants.
func (k BlockerKind) MarshalText() ([]byte, error) {
	if k < BlockerExplicitDeny || k > BlockerImplicitDeny {
		return nil, fmt.Errorf("marshaling blocker kind: %s is not a kind", k)
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads a kind's name, exactly as String writes it.
func (k *BlockerKind) UnmarshalText(b []byte) error {
	for v := BlockerExplicitDeny; v <= BlockerImplicitDeny; v++ {
		if string(b) == v.String() {
			*k = v
			return nil
		}
	}
	return fmt.Errorf("unmarshaling blocker kind: unknown kind %q (want explicit-deny or implicit-deny)", b)
}

// MarshalJSON writes the kind's name as a JSON string.
func (k BlockerKind) MarshalJSON() ([]byte, error) { return marshalJSONText(k) }

// UnmarshalJSON reads a JSON string holding a kind's name; null leaves k
// unchanged.
func (k *BlockerKind) UnmarshalJSON(b []byte) error { return unmarshalJSONText(k, b) }

// LayerDecision is the verdict of one layer (LayerResult) or of one level
// of the organization (LevelResult). Its text is the JSON contract's:
// "allow", "explicit-deny", "implicit-deny", "not-applicable", "exempt" or
// "unknown".
//
// The zero LayerDecision is no verdict: Evaluate never returns it, and
// MarshalText and MarshalJSON fail on it, so that a layer whose verdict was
// never set cannot pass for one that does not take part.
type LayerDecision uint8

// The verdicts of a layer or level.
const (
	// LayerAllow: an Allow applies (at every level, for SCPs and RCPs).
	LayerAllow LayerDecision = iota + 1
	// LayerExplicitDeny: a Deny applies.
	LayerExplicitDeny
	// LayerImplicitDeny: no Allow applies (at some level, for SCPs and
	// RCPs).
	LayerImplicitDeny
	// LayerNotApplicable: the layer does not take part (no boundary
	// attached, no resource-based policy …).
	LayerNotApplicable
	// LayerExempt: SCPs and RCPs do not apply (management account,
	// service-linked role, RCP for an unsupported service).
	LayerExempt
	// LayerUnknown: the layer is unreadable, or cannot be known (session
	// policies).
	LayerUnknown
)

// String returns the verdict's name in the JSON contract, or
// "LayerDecision(N)" for a value that is none of the constants.
func (d LayerDecision) String() string {
	switch d {
	case LayerAllow:
		return "allow"
	case LayerExplicitDeny:
		return "explicit-deny"
	case LayerImplicitDeny:
		return "implicit-deny"
	case LayerNotApplicable:
		return "not-applicable"
	case LayerExempt:
		return "exempt"
	case LayerUnknown:
		return "unknown"
	}
	return "LayerDecision(" + strconv.Itoa(int(d)) + ")"
}

// MarshalText returns the verdict's name; it fails on a value that is none
// of the constants.
func (d LayerDecision) MarshalText() ([]byte, error) {
	if d < LayerAllow || d > LayerUnknown {
		return nil, fmt.Errorf("marshaling layer decision: %s is not a verdict", d)
	}
	return []byte(d.String()), nil
}

// UnmarshalText reads a verdict's name, exactly as String writes it.
func (d *LayerDecision) UnmarshalText(b []byte) error {
	for v := LayerAllow; v <= LayerUnknown; v++ {
		if string(b) == v.String() {
			*d = v
			return nil
		}
	}
	return fmt.Errorf("unmarshaling layer decision: unknown decision %q (want allow, explicit-deny, implicit-deny, not-applicable, exempt or unknown)", b)
}

// MarshalJSON writes the verdict's name as a JSON string.
func (d LayerDecision) MarshalJSON() ([]byte, error) { return marshalJSONText(d) }

// UnmarshalJSON reads a JSON string holding a verdict's name; null leaves d
// unchanged.
func (d *LayerDecision) UnmarshalJSON(b []byte) error { return unmarshalJSONText(d, b) }

// marshalJSONText writes v's text as a JSON string. The names are plain
// ASCII words and hyphens: quoting them needs no escaping.
func marshalJSONText(v interface{ MarshalText() ([]byte, error) }) ([]byte, error) {
	t, err := v.MarshalText()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(t)+2)
	out = append(out, '"')
	out = append(out, t...)
	return append(out, '"'), nil
}

// unmarshalJSONText reads a JSON string into v with UnmarshalText; null is a
// no-op, as encoding/json does for other types.
func unmarshalJSONText(v interface{ UnmarshalText([]byte) error }, b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("unmarshaling %T: %w", v, err)
	}
	return v.UnmarshalText([]byte(s))
}
