package simulate

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// textValue is what the decision types share: a name for people and for the
// JSON contract, read back exactly.
type textValue interface {
	String() string
	MarshalText() ([]byte, error)
	MarshalJSON() ([]byte, error)
}

// textCase is one value with its name; name "" means the value has none and
// must not marshal.
type textCase[T textValue] struct {
	value T
	name  string
}

// checkText checks, for each case, String, MarshalText and MarshalJSON, the
// way back through UnmarshalText, UnmarshalJSON and encoding/json, and that
// the names the type does not know are rejected.
func checkText[T interface {
	comparable
	textValue
}, PT interface {
	*T
	UnmarshalText([]byte) error
	UnmarshalJSON([]byte) error
}](t *testing.T, cases []textCase[T], unknown []string) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.value.String(), func(t *testing.T) {
			if tc.name == "" {
				if b, err := tc.value.MarshalText(); err == nil {
					t.Errorf("MarshalText = %q, want an error", b)
				}
				if b, err := tc.value.MarshalJSON(); err == nil {
					t.Errorf("MarshalJSON = %s, want an error", b)
				}
				if b, err := json.Marshal(struct{ V T }{tc.value}); err == nil {
					t.Errorf("json.Marshal = %s, want an error", b)
				}
				return
			}
			if got := tc.value.String(); got != tc.name {
				t.Errorf("String = %q, want %q", got, tc.name)
			}
			text, err := tc.value.MarshalText()
			if err != nil || string(text) != tc.name {
				t.Errorf("MarshalText = %q, %v; want %q", text, err, tc.name)
			}
			js, err := tc.value.MarshalJSON()
			if want := `"` + tc.name + `"`; err != nil || string(js) != want {
				t.Errorf("MarshalJSON = %s, %v; want %s", js, err, want)
			}
			var fromText, fromJSON T
			if err := PT(&fromText).UnmarshalText([]byte(tc.name)); err != nil || fromText != tc.value {
				t.Errorf("UnmarshalText(%q) = %v, %v; want %v", tc.name, fromText, err, tc.value)
			}
			if err := PT(&fromJSON).UnmarshalJSON(js); err != nil || fromJSON != tc.value {
				t.Errorf("UnmarshalJSON(%s) = %v, %v; want %v", js, fromJSON, err, tc.value)
			}
			// Inside a struct, as the JSON report holds them.
			type wrap struct{ V T }
			b, err := json.Marshal(wrap{tc.value})
			if want := `{"V":"` + tc.name + `"}`; err != nil || string(b) != want {
				t.Errorf("json.Marshal = %s, %v; want %s", b, err, want)
			}
			var back wrap
			if err := json.Unmarshal(b, &back); err != nil {
				t.Errorf("json.Unmarshal(%s): %v", b, err)
			}
			if diff := cmp.Diff(wrap{tc.value}, back); diff != "" {
				t.Errorf("json round trip (-want +got):\n%s", diff)
			}
		})
	}
	for _, s := range unknown {
		t.Run("unknown "+s, func(t *testing.T) {
			var v T
			if err := PT(&v).UnmarshalText([]byte(s)); err == nil {
				t.Errorf("UnmarshalText(%q) = %v, want an error", s, v)
			}
			js, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if err := PT(&v).UnmarshalJSON(js); err == nil {
				t.Errorf("UnmarshalJSON(%s) = %v, want an error", js, v)
			}
			var w struct{ V T }
			if err := json.Unmarshal([]byte(`{"V":`+string(js)+`}`), &w); err == nil {
				t.Errorf("json.Unmarshal(%s) = %v, want an error", js, w.V)
			}
		})
	}
	t.Run("not a string", func(t *testing.T) {
		var v T
		if err := PT(&v).UnmarshalJSON([]byte(`1`)); err == nil {
			t.Errorf("UnmarshalJSON(1) = %v, want an error", v)
		}
	})
	t.Run("null", func(t *testing.T) {
		v := cases[0].value
		if err := PT(&v).UnmarshalJSON([]byte(`null`)); err != nil || v != cases[0].value {
			t.Errorf("UnmarshalJSON(null) = %v, %v; want %v unchanged", v, err, cases[0].value)
		}
	})
}

func TestDecisionText(t *testing.T) {
	checkText(t, []textCase[Decision]{
		{Allowed, "allowed"},
		{ExplicitDeny, "explicit-deny"},
		{ImplicitDeny, "implicit-deny"},
		{Inconclusive, "inconclusive"},
		{AlwaysFails, "always-fails"},
		{0, ""},
		{AlwaysFails + 1, ""},
	}, []string{"", "allow", "Allowed", "ALLOWED", " allowed", "explicitDeny", "denied", "not-applicable", "Decision(0)"})
}

func TestBlockerKindText(t *testing.T) {
	checkText(t, []textCase[BlockerKind]{
		{BlockerExplicitDeny, "explicit-deny"},
		{BlockerImplicitDeny, "implicit-deny"},
		{0, ""},
		{BlockerImplicitDeny + 1, ""},
	}, []string{"", "explicit", "Explicit-Deny", "explicitDeny", "allowed", "inconclusive", "BlockerKind(0)"})
}

func TestLayerDecisionText(t *testing.T) {
	checkText(t, []textCase[LayerDecision]{
		{LayerAllow, "allow"},
		{LayerExplicitDeny, "explicit-deny"},
		{LayerImplicitDeny, "implicit-deny"},
		{LayerNotApplicable, "not-applicable"},
		{LayerExempt, "exempt"},
		{LayerUnknown, "unknown"},
		{0, ""},
		{LayerUnknown + 1, ""},
	}, []string{"", "allowed", "Allow", "notApplicable", "not applicable", "inconclusive", "LayerDecision(0)"})
}

// TestZeroIsNoVerdict pins the choice that the zero values are no verdict:
// a Result or LayerResult whose decision was never set must not read as
// allowed, and must not marshal.
func TestZeroIsNoVerdict(t *testing.T) {
	var r Result
	var lr LayerResult
	var b Blocker
	if r.Decision == Allowed || lr.Decision == LayerAllow || lr.Decision == LayerNotApplicable || b.Kind == BlockerImplicitDeny {
		t.Fatalf("zero values read as verdicts: %v %v %v", r.Decision, lr.Decision, b.Kind)
	}
	for _, v := range []textValue{r.Decision, lr.Decision, b.Kind} {
		if _, err := json.Marshal(v); err == nil {
			t.Errorf("json.Marshal(%v) succeeded, want an error", v)
		}
	}
}
