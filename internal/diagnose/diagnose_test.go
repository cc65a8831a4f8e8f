package diagnose

import (
	"testing"

	"github.com/iamdiag/iamdiag/internal/decode"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

func TestHintKind(t *testing.T) {
	tests := []struct {
		name string
		kind string
		want simulate.BlockerKind
	}{
		{"explicit", decode.KindExplicitDeny, simulate.BlockerExplicitDeny},
		{"implicit", decode.KindImplicitDeny, simulate.BlockerImplicitDeny},
		{"not said", "", 0},
		{"unknown", "denied", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hintKind(tt.kind); got != tt.want {
				t.Errorf("hintKind(%q) = %v, want %v", tt.kind, got, tt.want)
			}
		})
	}
}
