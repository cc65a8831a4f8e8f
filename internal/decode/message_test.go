package decode

import (
	"context"
	"errors"
	"testing"
)

// fixedDecoder answers every message with its text.
type fixedDecoder string

func (d fixedDecoder) DecodeAuthorizationMessage(context.Context, string) (string, error) {
	return string(d), nil
}

// TestLazy: the decoder is built on the first message, once; a failure
// to build it is an ErrSTS and is tried again on the next message.
func TestLazy(t *testing.T) {
	builds, fail := 0, true
	l := &Lazy{New: func(context.Context) (Decoder, error) {
		builds++
		if fail {
			return nil, errors.New("no credentials")
		}
		return fixedDecoder("decoded"), nil
	}}
	ctx := context.Background()
	if builds != 0 {
		t.Fatal("built before the first message")
	}
	if _, err := l.DecodeAuthorizationMessage(ctx, "m"); !errors.Is(err, ErrSTS) {
		t.Fatalf("failed build: err = %v, want ErrSTS", err)
	}
	fail = false
	for range 2 {
		if got, err := l.DecodeAuthorizationMessage(ctx, "m"); err != nil || got != "decoded" {
			t.Fatalf("DecodeAuthorizationMessage = %q, %v", got, err)
		}
	}
	if builds != 2 {
		t.Errorf("%d builds, want 2: the failed one, then one kept", builds)
	}
}
